"""A discrete Bayesian network that is a scikit-learn classifier (notes: "Bayesian Network",
Bayes' theorem, MLE, Bayesian decision).

The network factorizes the joint of the feature columns and the target into one conditional
probability table (CPT) per node, :math:`P(v_1, \\ldots, v_n) = \\prod_i P(v_i \\mid
\\mathrm{pa}(v_i))`. Each CPT is estimated by maximum likelihood with a Dirichlet pseudo-count
``alpha`` (Laplace smoothing; plain MLE when ``alpha = 0``),

.. math:: \\hat P(v = k \\mid \\mathrm{pa}(v) = j) = \\frac{N_{jk} + \\alpha}{\\sum_{k'} N_{jk'} +
          \\alpha K_v},

where :math:`N_{jk}` counts (weighted) training rows. Prediction is the Bayesian decision: the class
of largest posterior :math:`P(y \\mid x)`, computed by variable elimination (see ``_inference``), so
that missing entries are marginalized rather than imputed. With ``edges=None`` the structure is
naive Bayes (the target is the only parent of every feature), the notes' conditional-independence
assumption; any other DAG relaxes it.
"""

import math
import numbers
import warnings
from collections import namedtuple
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from ..utils import atomic_fit
from ..utils._validation import check_sample_weight
from ._dag import DAG, _ancestors_mask, _moral_reach
from ._inference import _check_size, log_evidence, most_probable, variable_elimination
from ._structure import chow_liu_edges, hill_climb_edges, tan_edges

__all__ = ["CPT", "BayesNet", "BayesNetSample", "n_free_parameters"]

_STRUCTURE_LEARNERS = {"chow-liu", "tan", "hill-climb"}

BayesNetSample = namedtuple("BayesNetSample", ["X", "y"])
BayesNetSample.__doc__ = """Rows drawn from a fitted :class:`BayesNet`: ``X, y = model.sample(n)``.

``X`` (n_samples, n_features) holds the columns' states, ``y`` (n_samples,) the classes. It unpacks
as ``(X, y)``, like :meth:`sklearn.mixture.GaussianMixture.sample`; ``np.asarray(sample)`` is ``X``.
"""
BayesNetSample.__array__ = lambda self, dtype=None, copy=None: np.asarray(self.X, dtype=dtype)


# --- readable conditional probability tables ---------------------------------------------------


@dataclass(frozen=True, eq=False)
class CPT:
    """The conditional probability table ``P(variable | parents)`` of one node.

    Attributes
    ----------
    variable : hashable
        The node.
    parents : tuple
        Its parents, in the order of the table's leading axes.
    states : tuple
        The node's states (the table's last axis).
    parent_states : tuple of tuple
        The states of each parent.
    table : ndarray of shape (n_states of parents[0], ..., n_states of parents[-1], n_states)
        ``table[j1, ..., jm, k] = P(variable = states[k] | parents = (j1, ..., jm))``; sums to 1
        over the last axis.
    """

    variable: Hashable
    parents: tuple
    states: tuple
    parent_states: tuple
    table: np.ndarray

    def rows(self):
        """Yield ``(parent configuration, {state: probability})`` for every parent configuration."""
        configs = np.ndindex(*self.table.shape[:-1])
        for idx in configs:
            config = tuple(self.parent_states[i][j] for i, j in enumerate(idx))
            yield config, dict(zip(self.states, self.table[idx].tolist()))

    def __str__(self):
        given = f" | {', '.join(map(str, self.parents))}" if self.parents else ""
        labels = [", ".join(map(str, c)) for c, _ in self.rows()]
        corner = ", ".join(map(str, self.parents))
        label_w = max([len(s) for s in labels] + [len(corner)])
        widths = [max(len(str(s)), 6) for s in self.states]
        header = "  ".join(str(s).rjust(w) for s, w in zip(self.states, widths))
        lines = [f"P({self.variable}{given})", corner.ljust(label_w) + "  " + header]
        for label, (_, probs) in zip(labels, self.rows()):
            cells = [f"{p:.4f}".rjust(w) for p, w in zip(probs.values(), widths)]
            lines.append(label.ljust(label_w) + "  " + "  ".join(cells))
        return "\n".join(lines)

    def __repr__(self):
        return f"CPT({self.variable!r} | {list(self.parents)!r}, shape={self.table.shape})"

    def to_frame(self):
        """The table as a pandas DataFrame (rows: parent configurations; columns: states)."""
        import pandas as pd

        configs, probs = zip(*self.rows())
        index = (
            pd.MultiIndex.from_tuples(configs, names=list(self.parents))
            if self.parents
            else pd.Index(["-"])
        )
        return pd.DataFrame([list(p.values()) for p in probs], index=index, columns=self.states)


def n_free_parameters(cardinalities, parents):
    """Free parameters of a discrete Bayesian network: ``sum_v (K_v - 1) * prod_{p in pa(v)} K_p``.

    The notes' point: a full joint table over n variables with d states needs ``d**n - 1``
    parameters; the naive Bayes factorization needs ``(K_y - 1) + n * K_y * (d - 1)``.

    Parameters
    ----------
    cardinalities : dict of {node: int}
    parents : dict of {node: list of nodes}

    Returns
    -------
    n_params : int

    Examples
    --------
    >>> cards = {"y": 2, "a": 3, "b": 3}
    >>> n_free_parameters(cards, {"y": [], "a": ["y"], "b": ["y"]})  # naive Bayes
    9
    >>> n_free_parameters(cards, {"y": [], "a": ["y"], "b": ["y", "a"]})  # + edge a -> b
    17
    """
    total = 0
    for v, k in cardinalities.items():
        total += (k - 1) * int(np.prod([cardinalities[p] for p in parents[v]], dtype=np.int64))
    return total


# --- columns: categories and bins --------------------------------------------------------------


def _missing_scalar(v):
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN is the one value not equal to itself
    except (TypeError, ValueError):  # pandas.NA: its comparisons are NA, not booleans
        return True


def _is_missing(values):
    """NaN, None or pandas.NA, element-wise, for any dtype."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return _map_distinct(values, _missing_scalar, bool)
    return np.zeros(values.shape, dtype=bool)


def _map_distinct(values, fn, dtype):
    """``fn`` of every entry of an object array, calling ``fn`` once per distinct value."""
    try:
        image = {v: fn(v) for v in dict.fromkeys(values.tolist())}
    except TypeError:  # an unhashable entry: one call per entry
        return np.fromiter((fn(v) for v in values), dtype, count=len(values))
    return np.fromiter((image[v] for v in values.tolist()), dtype, count=len(values))


def _as_float(values):
    """The column as float64, or None when it holds non-numeric values."""
    if values.dtype.kind in "biuf":
        return values.astype(np.float64)
    if values.dtype.kind != "O":
        return None
    missing = _is_missing(values)
    try:
        return np.array(
            [np.nan if m else float(v) for v, m in zip(values, missing)], dtype=np.float64
        )
    except (TypeError, ValueError):
        return None


def _interval_labels(edges):
    """Readable, distinct labels of the bins ``(e_{k-1}, e_k]`` (4 significant digits, or more
    when two edges would print alike)."""
    for digits in range(4, 18):
        text = [f"{e:.{digits}g}" for e in edges]
        if len(set(text)) == len(text):
            break
    labels = [f"<= {text[0]}"]
    labels += [f"({a}, {b}]" for a, b in zip(text[:-1], text[1:])]
    labels.append(f"> {text[-1]}")
    return tuple(labels)


@dataclass(frozen=True)
class _Column:
    """How one feature column maps raw values to state indices (learned in ``fit``)."""

    name: Hashable
    edges: np.ndarray | None  # inner bin edges for a discretized column, else None
    states: tuple  # state labels: the categories, or readable intervals

    def encode(self, values):
        """State index per value; -1 for a missing value, -2 for a category never seen in fit."""
        missing = _is_missing(values)
        codes = np.full(values.shape, -1, dtype=np.int64)
        if self.edges is not None:
            x = _as_float(values)
            if x is None:
                raise ValueError(f"Column {self.name!r} was discretized in fit; got non-numbers.")
            if np.isinf(x).any():
                raise ValueError(f"Input X contains infinity (column {self.name!r}).")
            # Bins are (e_{k-1}, e_k]: np.searchsorted(side="left") counts edges strictly below x.
            codes[~missing] = np.searchsorted(self.edges, x[~missing], side="left")
            return codes
        numeric = _numeric_states(self.states)
        x = _as_float(values) if numeric is not None else None
        if x is not None:  # sorted numeric categories: vectorized exact lookup
            obs = ~missing
            pos = np.minimum(np.searchsorted(numeric, x[obs]), len(numeric) - 1)
            codes[obs] = np.where(numeric[pos] == x[obs], pos, -2)
            return codes
        lookup = {s: i for i, s in enumerate(self.states)}
        obs = ~missing
        codes[obs] = _map_distinct(values[obs], lambda v: lookup.get(_canonical(v), -2), np.int64)
        return codes

    def state_index(self, value):
        """Index of one observed value (a state label, or a number for a discretized column)."""
        if value in self.states:
            return self.states.index(value)
        if self.edges is not None and isinstance(value, numbers.Real):
            if not math.isfinite(value):
                # searchsorted would put +inf (and NaN) in the top bin, -inf in the bottom one;
                # predict_proba refuses infinity too.
                raise ValueError(
                    f"Evidence for {self.name!r} must be finite or a bin label; got {value!r}."
                )
            return int(np.searchsorted(self.edges, float(value), side="left"))
        canon = _canonical(value)
        if canon in self.states:
            return self.states.index(canon)
        raise ValueError(f"{value!r} is not a state of {self.name!r}; states: {list(self.states)}.")


def _canonical(value):
    """Python scalars for numpy scalars, so that 1, 1.0 and np.int64(1) name the same category."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _numeric_states(states):
    """The states as a sorted float array when they are all real numbers, else None."""
    if not all(isinstance(s, numbers.Real) and not isinstance(s, bool) for s in states):
        return None
    arr = np.asarray(states, dtype=np.float64)
    return arr if np.all(arr[1:] > arr[:-1]) else None


def _sorted_states(values):
    try:
        distinct = dict.fromkeys(values.tolist())
    except TypeError:  # unhashable entries: reported by the caller
        distinct = values
    uniq = list(dict.fromkeys(_canonical(v) for v in distinct))
    try:
        return tuple(sorted(uniq))
    except TypeError:  # mixed types (e.g. 1 and "a"): order of first appearance
        return tuple(uniq)


def _declared_column(name, raw, weight, declared):
    """A column whose states the user listed: every observed value must be one of them."""
    states = tuple(_canonical(v) for v in declared)
    if len(set(states)) != len(states) or not states:
        raise ValueError(f"categories[{name!r}] must list distinct states; got {list(declared)}.")
    column = _Column(name, None, states)
    keep = (weight > 0) & ~_is_missing(raw)
    outside = raw[keep][column.encode(raw[keep]) == -2]
    if outside.size:
        shown = sorted({str(v) for v in outside})[:5]
        raise ValueError(f"Column {name!r} holds values {shown} not in categories[{name!r}].")
    return column


def _learn_column(name, raw, weight, n_bins, strategy, discretize):
    """Categories, or bins for a continuous column, from the observed rows with positive weight."""
    keep = (weight > 0) & ~_is_missing(raw)
    if not keep.any():
        raise ValueError(f"Column {name!r} has no observed value (with positive weight) in fit.")
    used = raw[keep]
    x = _as_float(raw)
    if x is not None:
        if np.isinf(x).any():
            raise ValueError(f"Input X contains infinity (column {name!r}).")
        xu = x[keep]
        if discretize == "auto":
            # Continuous: a fractional value. Integers are codes (categories), however many.
            discretize = bool(np.any(xu != np.round(xu)))
        if discretize:
            if strategy == "quantile":
                qs = np.arange(1, n_bins) / n_bins
                inner = np.quantile(xu, qs, weights=weight[keep], method="inverted_cdf")
            else:
                inner = np.linspace(xu.min(), xu.max(), n_bins + 1)[1:-1]
            edges = np.unique(inner)
            return _Column(name, edges, _interval_labels(edges))
        return _Column(name, None, _sorted_states(np.unique(xu)))
    try:
        return _Column(name, None, _sorted_states(used))
    except TypeError as exc:  # unhashable values, e.g. a dict
        raise TypeError(
            f"Column {name!r}: a category must be hashable; the argument must be a string or a "
            f"number, got {type(next(v for v in used if not isinstance(v, Hashable))).__name__}."
        ) from exc


class _RowStates(Mapping):
    """{column: its codes in ``rows``}, each sliced only when inference reads it (most observed
    columns of a large network are pruned away before that)."""

    def __init__(self, codes, rows, columns):
        self.codes, self.rows, self.columns = codes, rows, columns
        self.known = set(columns)

    def __getitem__(self, j):
        if j not in self.known:
            raise KeyError(j)
        return self.codes[self.rows, j]

    def __contains__(self, j):
        return j in self.known

    def __iter__(self):
        return iter(self.columns)

    def __len__(self):
        return len(self.columns)


# --- the estimator -----------------------------------------------------------------------------


class BayesNet(ClassifierMixin, BaseEstimator):
    """Discrete Bayesian network classifier with exact inference by variable elimination.

    The nodes are the feature columns (named after the DataFrame columns, else ``x0 … x{d-1}``)
    plus the target node ``target``. Every node gets a conditional probability table learned by
    smoothed maximum likelihood; predictions are posteriors ``P(target | observed columns)``.

    Parameters
    ----------
    edges : iterable of (parent, child) pairs, {"chow-liu", "tan", "hill-climb"} or None, \
            default=None
        The structure: a list, a set, a generator or a networkx edge view (read once, in ``fit``).
        None means naive Bayes: ``target -> column`` for every column. Columns that no edge
        mentions are isolated nodes. A string learns the structure from the training data:
        "chow-liu", the maximum-likelihood tree over the columns and the target (rooted at the
        target); "tan", tree-augmented naive Bayes (the target a parent of every column, plus the
        tree of conditional mutual informations given it); "hill-climb", greedy search over
        DAGs maximizing ``scoring``.
    target : hashable, default="y"
        Name of the target node (must differ from every column name).
    alpha : float, default=1.0
        Dirichlet pseudo-count added to every CPT cell (0: maximum likelihood). A parent
        configuration with no training row gets a uniform distribution.
    discretize : "auto", bool or list, default="auto"
        Which numeric columns are continuous and cut into ``n_bins`` bins. "auto": the numeric
        columns with a non-integer value (integer codes stay categories, however many distinct
        values they take); True: every numeric column;
        False: none (every distinct value is a category); a list: those column names/indices.
        Non-numeric columns (e.g. strings) are always categorical.
    n_bins : int, default=5
        Number of bins of a discretized column (fewer when quantiles coincide).
    strategy : {"quantile", "uniform"}, default="quantile"
        Bin edges at (sample-weighted) quantiles, or equally spaced between min and max.
    categories : "auto" or dict, default="auto"
        States of some columns, declared up front: ``{column: [state, ...]}`` (a column name, or
        an index when X has no column names). Declared columns are never discretized; a state
        with no training row still gets the pseudo-count ``alpha``, and a value outside the list
        is an error in ``fit``. "auto": every column's states are learned from the data.
    elimination_order : {"min_fill", "min_degree"}, default="min_fill"
        Greedy heuristic choosing the order in which variable elimination sums variables out.
    scoring : {"bic", "bdeu"}, default="bic"
        Score maximized by ``edges="hill-climb"``: BIC (log-likelihood minus half log n per free
        parameter) or BDeu (Bayesian Dirichlet marginal likelihood, equivalent sample size 10).
    max_parents : int, default=None
        Most parents of a node in ``edges="hill-climb"``; None: no limit.
    max_iter : int, default=1000
        Most edge moves of ``edges="hill-climb"``; a ``ConvergenceWarning`` says when it stops
        the search while the score still improves.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The target's states.
    dag_ : DAG
        The fitted structure.
    cpts_ : dict of {node: CPT}
        One readable conditional probability table per node (``print(cpts_[node])``).
    states_ : dict of {node: tuple}
        The states of each node: categories, readable bin intervals, or the classes.
    bin_edges_ : dict of {column: ndarray}
        Inner bin edges of the discretized columns; bins are ``(e_{k-1}, e_k]``.
    n_iter_ : int
        Passes of ``edges="hill-climb"`` over the candidate moves (each but the last applies
        one); 1 for any other structure.
    n_features_in_ : int
        Number of feature columns.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when X is a DataFrame with string column names.

    See Also
    --------
    sklearn.naive_bayes.CategoricalNB : naive Bayes over categorical features (the default
        structure, without missing-value marginalization).
    sklearn_notes.GaussianNB : naive Bayes with Gaussian features.
    sklearn_notes.DAG : the structure, with d-separation.

    Notes
    -----
    Inference prunes *barren* nodes (those that are not ancestors of the query or the evidence:
    they sum to one) and the nodes d-separated from the query given the evidence, then eliminates
    the others in min-fill (or min-degree) order, refusing with a ``ValueError`` any factor above
    2**27 entries. ``predict_proba`` runs one batched elimination per pattern of missing columns:
    a fully observed row reads only the CPTs of the target's Markov blanket, and a missing entry
    (NaN/None, or a category never seen in fit) is summed out.
    In ``fit``, each CPT is counted over the rows that observe its node and the node's parents
    (available-case analysis: unbiased when values are missing completely at random; full
    maximum likelihood under missing data would need EM).

    References
    ----------
    .. [1] D. Koller and N. Friedman, "Probabilistic Graphical Models", MIT Press, 2009,
       chapters 9 (variable elimination) and 17 (parameter estimation).
    .. [2] J. Pearl, "Probabilistic Reasoning in Intelligent Systems", Morgan Kaufmann, 1988.
    .. [3] C. Chow and C. Liu, "Approximating discrete probability distributions with dependence
       trees", IEEE Trans. Information Theory 14(3), 1968.
    .. [4] N. Friedman, D. Geiger and M. Goldszmidt, "Bayesian network classifiers", Machine
       Learning 29, 1997.
    .. [5] D. Heckerman, D. Geiger and D. M. Chickering, "Learning Bayesian networks: the
       combination of knowledge and statistical data", Machine Learning 20, 1995.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes import BayesNet
    >>> X = np.array([["sunny", "hot"], ["rainy", "mild"], ["sunny", "mild"], ["rainy", "hot"]] * 5,
    ...              dtype=object)
    >>> y = np.array(["no", "yes", "yes", "no"] * 5)
    >>> clf = BayesNet(alpha=1.0).fit(X, y)
    >>> clf.predict([["sunny", "hot"]])
    array(['no'], dtype='<U3')
    >>> round(clf.query("y", evidence={"x1": "mild"})["y"]["yes"], 3)
    0.917
    >>> clf.predict_proba([[None, "mild"]]).round(3)  # x0 missing: marginalized
    array([[0.083, 0.917]])
    """

    _parameter_constraints = {
        "edges": [StrOptions(_STRUCTURE_LEARNERS), Iterable, None],
        "target": [Hashable],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "discretize": [StrOptions({"auto"}), "boolean", list, tuple],
        "n_bins": [Interval(numbers.Integral, 2, None, closed="left")],
        "strategy": [StrOptions({"quantile", "uniform"})],
        "categories": [StrOptions({"auto"}), dict],
        "elimination_order": [StrOptions({"min_fill", "min_degree"})],
        "scoring": [StrOptions({"bic", "bdeu"})],
        "max_parents": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        edges=None,
        target="y",
        alpha=1.0,
        discretize="auto",
        n_bins=5,
        strategy="quantile",
        categories="auto",
        elimination_order="min_fill",
        scoring="bic",
        max_parents=None,
        max_iter=1000,
    ):
        self.edges = edges
        self.target = target
        self.alpha = alpha
        self.discretize = discretize
        self.n_bins = n_bins
        self.strategy = strategy
        self.categories = categories
        self.elimination_order = elimination_order
        self.scoring = scoring
        self.max_parents = max_parents
        self.max_iter = max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing entries are marginalized in predict
        return tags

    # --- fit ---------------------------------------------------------------------------------

    def _check_X(self, X, reset):
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=reset)
        if X.dtype.kind not in "biufO":  # e.g. fixed-width strings: keep the Python values
            X = X.astype(object)
        return X

    def _column_names(self, n_features):
        if hasattr(self, "feature_names_in_"):
            return list(self.feature_names_in_)
        return [f"x{j}" for j in range(n_features)]

    def _discretized(self, names):
        if self.discretize in ("auto", True, False):
            return [self.discretize] * len(names)
        chosen = set()
        for c in self.discretize:
            if isinstance(c, numbers.Integral) and not isinstance(c, bool):
                if not 0 <= c < len(names):
                    raise ValueError(f"discretize: column index {c} out of range.")
                chosen.add(names[c])
            elif c in names:
                chosen.add(c)
            else:
                raise ValueError(f"discretize: unknown column {c!r}; columns: {names}.")
        return [name in chosen for name in names]

    def _declared(self, names):
        """{column name: declared states} from the ``categories`` parameter."""
        if self.categories == "auto":
            return {}
        out = {}
        for key, states in self.categories.items():
            if key in names:
                out[key] = list(states)
            elif isinstance(key, numbers.Integral) and 0 <= key < len(names):
                out[names[key]] = list(states)
            else:
                raise ValueError(f"categories: unknown column {key!r}; columns: {names}.")
        return out

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Learn the states of every column and the CPTs (smoothed maximum likelihood).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Any hashable values (numbers, strings). A missing entry (NaN/None) leaves its row out
            of the counts of the CPTs that involve its column (available-case estimation).
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights: counts become weighted counts; quantile bins use weighted quantiles.

        Returns
        -------
        self : BayesNet
        """
        X, y = validate_data(self, X, y, dtype=None, ensure_all_finite=False, reset=True)
        if X.dtype.kind not in "biufO":
            X = X.astype(object)
        check_classification_targets(y)
        weight = check_sample_weight(sample_weight, X, dtype=np.float64)
        classes, y_codes = np.unique(y, return_inverse=True)
        names = self._column_names(X.shape[1])
        if self.target in names:
            raise ValueError(f"target={self.target!r} is also a column name; rename one of them.")

        # 1. states of every column (categories or bins) and the code of every entry
        declared = self._declared(names)
        columns = [
            _declared_column(name, X[:, j], weight, declared[name])
            if name in declared
            else _learn_column(name, X[:, j], weight, self.n_bins, self.strategy, disc)
            for j, (name, disc) in enumerate(zip(names, self._discretized(names)))
        ]
        codes = np.column_stack([c.encode(X[:, j]) for j, c in enumerate(columns)] + [y_codes])
        # 2. structure: given, naive Bayes, or learned from the codes
        nodes = names + [self.target]
        states = {c.name: c.states for c in columns}
        states[self.target] = tuple(classes.tolist())
        cards = [len(states[v]) for v in nodes]
        n_iter = 1
        if isinstance(self.edges, str) and self.edges in _STRUCTURE_LEARNERS:
            pairs, n_iter = self._learn_structure(codes, cards, weight)
            edges = [(nodes[u], nodes[v]) for u, v in pairs]
        else:
            edges = self._edges(names)
        dag = DAG(edges, nodes=nodes)
        if names and not len(dag._parents_idx(len(names))) + len(dag._children_idx(len(names))):
            warnings.warn(
                f"No edge touches the target {self.target!r}: it is independent of every "
                "column, and predict_proba returns its prior for every row.",
                UserWarning,
                stacklevel=4,
            )
        # 3. one CPT per node, from weighted counts over the rows that observe the node and its
        #    parents (available cases); rows of zero weight may hold unseen codes
        used = weight > 0
        cpts = {}
        for i, v in enumerate(nodes):
            pa = [dag._index[p] for p in dag.parents(v)]
            shape = tuple(cards[p] for p in pa) + (cards[i],)
            _check_size(math.prod(shape), f"The CPT of {v!r} ({len(pa)} parents)")
            family = codes[:, pa + [i]]
            rows = used & (family >= 0).all(axis=1)
            flat = np.ravel_multi_index(family[rows].T, shape)
            counts = np.bincount(flat, weights=weight[rows], minlength=int(np.prod(shape)))
            cpts[v] = CPT(
                v,
                tuple(nodes[p] for p in pa),
                states[v],
                tuple(states[nodes[p]] for p in pa),
                _normalize_counts(counts.reshape(shape), self.alpha),
            )

        self.classes_ = classes
        self.dag_ = dag
        self.cpts_ = cpts
        self.states_ = states
        self.bin_edges_ = {c.name: c.edges for c in columns if c.edges is not None}
        self.n_iter_ = n_iter
        self._columns = columns
        return self

    # --- inference -----------------------------------------------------------------------------

    def _learn_structure(self, codes, cards, weight):
        """Index pairs of the structure learned from the codes (target: the last column), and
        the number of hill-climbing passes (1 for a tree)."""
        target = len(cards) - 1
        used = weight > 0
        codes, weight = codes[used], weight[used]
        if self.edges == "chow-liu":
            return chow_liu_edges(codes, cards, weight, root=target), 1
        if self.edges == "tan":
            return tan_edges(codes, cards, weight, target), 1
        edges, n_iter, converged = hill_climb_edges(
            codes, cards, weight, self.scoring, self.max_parents, self.max_iter
        )
        if not converged:
            warnings.warn(
                f"Hill climbing stopped after max_iter={self.max_iter} moves with the score still "
                "improving; increase max_iter.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return edges, n_iter

    def _edges(self, names):
        """The (parent, child) pairs of the structure."""
        if self.edges is None:
            return [(self.target, name) for name in names]
        if isinstance(self.edges, str):
            raise ValueError(
                f"edges={self.edges!r}: a string must be one of {sorted(_STRUCTURE_LEARNERS)}; "
                "otherwise give (parent, child) pairs."
            )
        return list(self.edges)

    def _posterior(self, query, evidence):
        """Posterior over node indices ``query`` given ``{index: state or states per row}``,
        from the CPTs that can matter (see :meth:`_factors`)."""
        factors = self._factors(list(query) + list(evidence), query, list(evidence))
        return variable_elimination(
            factors, query, evidence, self.elimination_order, names=self.dag_.nodes
        )

    def _factors(self, seeds, query=None, observed=()):
        """(scope, table) of the CPTs that can matter, scopes in node indices.

        Only ``seeds`` and their ancestors count (the other nodes are barren: their CPTs sum to
        one). Given a ``query``, of those only the nodes d-connected to it given ``observed``
        count, found as the query's component in the moral graph of the ancestors with the
        observed nodes removed (Lauritzen et al., 1990): a CPT enters when its node is in that
        component, or is observed with a parent there.
        """
        dag = self.dag_
        keep = _ancestors_mask(dag._pa_ptr, dag._pa_idx, np.asarray(seeds, dtype=np.int64))
        if query is not None:
            blocked = np.zeros(len(keep), dtype=bool)
            blocked[observed] = True
            reached = _moral_reach(
                dag._pa_ptr,
                dag._pa_idx,
                dag._ch_ptr,
                dag._ch_idx,
                keep,
                np.asarray(query, dtype=np.int64),
                blocked,
            )
            hidden = reached & ~blocked
            child_of = np.repeat(np.arange(len(keep)), np.diff(dag._pa_ptr))
            parent_hidden = np.bincount(child_of, hidden[dag._pa_idx], minlength=len(keep)) > 0
            keep &= hidden | (blocked & parent_hidden)
        cpts, nodes = self.cpts_, dag.nodes
        return [
            (
                tuple(dag._pa_idx[dag._pa_ptr[i] : dag._pa_ptr[i + 1]].tolist()) + (i,),
                cpts[nodes[i]].table,
            )
            for i in np.flatnonzero(keep).tolist()
        ]

    def _query_indices(self, variables, observed):
        """Node indices of ``variables`` (a node, or a collection of nodes; a string is one node,
        never its characters), each once, none of them in ``observed``."""
        query = self.dag_._as_list(variables, "variables")
        if not query:
            raise ValueError("`variables` is empty: name at least one node to query.")
        if len(set(query)) != len(query):
            raise ValueError("`variables` lists a node twice.")
        both = set(query) & set(observed)
        if both:
            names = sorted(str(self.dag_.nodes[i]) for i in both)
            raise ValueError(f"Node(s) {names} are both queried and observed.")
        return query

    def _state_index(self, node, value):
        if _missing_scalar(value):
            # Evidence is what was observed: a missing value has no state to condition on (NaN
            # on a discretized column would otherwise land in the top bin). Leaving the node
            # out of the evidence is how to marginalize it, as predict_proba does with NaN.
            raise ValueError(
                f"Evidence for {node!r} must be an observed value; got {value!r}. Leave the node "
                "out of the evidence to marginalize it."
            )
        if node == self.target:
            if value in self.states_[node]:
                return self.states_[node].index(value)
            raise ValueError(f"{value!r} is not a class; classes: {list(self.states_[node])}.")
        return self._columns[self.dag_._index[node]].state_index(value)

    def query(self, variables, evidence=None, joint=False):
        """Posterior of ``variables`` given ``evidence``, by variable elimination.

        Parameters
        ----------
        variables : node or list of nodes
            A string is one node's name, never a list of characters. At least one node, none
            twice, none observed (else a ``ValueError``).
        evidence : dict of {node: state}, default=None
            Observed states (for a discretized column, a bin label or a finite number). A
            missing value (NaN, None, pandas.NA) is a ``ValueError``, not a marginalized node:
            leave an unobserved node out of the dict.
        joint : bool, default=False
            Return the joint posterior of ``variables`` instead of one marginal each.

        Returns
        -------
        posterior : dict
            ``joint=False``: ``{variable: {state: probability}}``. ``joint=True``:
            ``{(state of variables[0], state of variables[1], ...): probability}``, the states
            in the order of ``variables``.

        Raises
        ------
        ValueError
            When the evidence has probability zero in the part of the network the query depends
            on. Evidence d-separated from ``variables`` is pruned unread, so its probability is
            not checked (that would be a second elimination over the evidence's ancestors):
            the answer is then the posterior given the rest of the evidence.
        """
        check_is_fitted(self)
        evidence = dict(evidence or {})
        observed = self._evidence_codes(evidence)
        query = self._query_indices(variables, observed)
        variables = [self.dag_.nodes[i] for i in query]
        table = self._posterior(query, observed)
        if not np.all(np.isfinite(table)):
            raise ValueError(f"The evidence {evidence} has probability zero under the model.")
        if joint:
            return {
                tuple(self.states_[v][k] for v, k in zip(variables, idx)): float(table[idx])
                for idx in np.ndindex(*table.shape)
            }
        out = {}
        for axis, v in enumerate(variables):
            marginal = table.sum(axis=tuple(a for a in range(table.ndim) if a != axis))
            out[v] = dict(zip(self.states_[v], marginal.tolist()))
        return out

    def predict_proba(self, X):
        """Posterior ``P(target | row)`` for every row; missing entries are marginalized.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN/None mark missing entries; a category never seen in fit counts as missing (with one
            warning per call).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        codes = self._encode(X)
        target = len(self._columns)
        proba = np.empty((codes.shape[0], len(self.classes_)))
        # Rows that miss the same columns share one pruned network and one batched elimination;
        # a fully observed row needs only the CPTs of the target and of its children.
        patterns, group = np.unique(codes >= 0, axis=0, return_inverse=True)
        for k, observed in enumerate(patterns):
            rows = np.flatnonzero(group.ravel() == k)
            evidence = _RowStates(codes, rows, np.flatnonzero(observed).tolist())
            proba[rows] = self._posterior([target], evidence)
        impossible = ~np.isfinite(proba).all(axis=1)
        if impossible.any():
            warnings.warn(
                f"{impossible.sum()} row(s) have probability zero under the model (alpha=0 and a "
                "combination never seen in fit); their posterior is uniform.",
                UserWarning,
                stacklevel=2,
            )
            proba[impossible] = 1.0 / len(self.classes_)
        return proba

    def _encode(self, X):
        """State codes of X's entries, shape (n_samples, n_features); -1 where missing.

        A category never seen in fit counts as missing, with one warning per call.
        """
        X = self._check_X(X, reset=False)
        codes = np.empty(X.shape, dtype=np.int64)
        unseen = {}
        for j, column in enumerate(self._columns):
            codes[:, j] = column.encode(X[:, j])
            if (codes[:, j] == -2).any():
                unseen[column.name] = sorted({str(v) for v in X[codes[:, j] == -2, j]})[:5]
        if unseen:
            warnings.warn(
                f"Categories never seen in fit are treated as missing: {unseen}.",
                UserWarning,
                stacklevel=3,
            )
        codes[codes == -2] = -1
        return codes

    def predict_log_proba(self, X):
        """Log posterior ``log P(target | row)``; missing entries are marginalized.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Bayesian decision: the class of largest posterior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def log_likelihood(self, X, y):
        """Log-likelihood ``sum_rows sum_v log P(v | pa(v))`` of complete data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        log_likelihood : float
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},); got {y.shape}.")
        cols = [c.encode(X[:, j]) for j, c in enumerate(self._columns)]
        known = np.isin(y, self.classes_)
        y_codes = np.searchsorted(self.classes_, y)
        if not known.all() or any((c < 0).any() for c in cols):
            raise ValueError("log_likelihood needs complete data with states seen in fit.")
        codes = np.column_stack(cols + [y_codes])
        index = self.dag_._index
        total = 0.0
        with np.errstate(divide="ignore"):
            for v, cpt in self.cpts_.items():
                idx = tuple(codes[:, index[p]] for p in cpt.parents) + (codes[:, index[v]],)
                total += float(np.log(cpt.table[idx]).sum())
        return total

    def score_samples(self, X):
        """Log-likelihood ``log P(row)`` of every row, the target and missing entries summed out.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN/None (or a category never seen in fit) mark entries to marginalize.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            ``-inf`` for a row of probability zero.
        """
        check_is_fitted(self)
        codes = self._encode(X)
        out = np.zeros(codes.shape[0])
        patterns, group = np.unique(codes >= 0, axis=0, return_inverse=True)
        for k, observed in enumerate(patterns):
            rows = np.flatnonzero(group.ravel() == k)
            columns = np.flatnonzero(observed).tolist()
            if not columns:
                continue  # nothing observed: log 1
            evidence = {j: codes[rows, j] for j in columns}
            # The observed nodes' ancestors: every other CPT sums to one.
            factors = self._factors(columns)
            out[rows] = log_evidence(factors, evidence, self.elimination_order, self.dag_.nodes)
        return out

    def bic(self, X):
        """Bayesian information criterion on X: ``-2 log L + k log n`` (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        bic : float
            ``L`` is the likelihood of the rows (see :meth:`score_samples`), ``k`` the number of
            free parameters (:meth:`n_free_parameters`) and ``n`` the number of rows.
        """
        log_likelihood = self.score_samples(X)
        n = len(log_likelihood)
        return -2.0 * float(log_likelihood.sum()) + self.n_free_parameters() * np.log(n)

    def _forward_sample(self, n_samples, rng):
        """Codes of ``n_samples`` rows drawn node by node in topological order."""
        dag = self.dag_
        codes = np.empty((n_samples, len(dag.nodes)), dtype=np.int64)
        for i in dag._order.tolist():
            table = self.cpts_[dag.nodes[i]].table
            parents = dag._parents_idx(i)
            probs = table[tuple(codes[:, parents].T)] if len(parents) else table[None, :]
            cumulative = np.cumsum(probs, axis=1)
            u = rng.random_sample(n_samples) * cumulative[:, -1]
            # Inverse CDF: the first state whose cumulative probability exceeds u.
            codes[:, i] = np.minimum((u[:, None] >= cumulative).sum(axis=1), table.shape[-1] - 1)
        return codes

    def sample(self, n_samples=1, evidence=None, random_state=None):
        """Draw rows from the network (forward sampling; rejection sampling given evidence).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows.
        evidence : dict of {node: state}, default=None
            Fixed states: the rows are drawn from the joint conditioned on them (every draw that
            disagrees with the evidence is rejected, so the sample is exact). Values as in
            :meth:`query` (a missing value is a ``ValueError``).
        random_state : int, RandomState instance or None, default=None
            Seed of the draw.

        Returns
        -------
        sample : BayesNetSample
            Named tuple ``(X, y)``: ``X`` of shape (n_samples, n_features) in the training
            columns' states (a bin label for a discretized column; numeric when every column's
            states are numbers, else of object dtype), ``y`` of shape (n_samples,) the classes.

        Raises
        ------
        ValueError
            When the evidence has probability zero, or so small that more than 10**8 draws would
            be expected.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, bool):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        if n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        rng = check_random_state(random_state)
        observed = self._evidence_codes(evidence or {})
        if not observed:
            codes = self._forward_sample(n_samples, rng)
        else:
            codes = self._rejection_sample(n_samples, observed, rng)
        d = len(self._columns)
        columns = [
            np.asarray(c.states, dtype=object)[codes[:, j]] for j, c in enumerate(self._columns)
        ]
        X = np.column_stack(columns) if columns else np.empty((n_samples, 0), dtype=object)
        numeric = all(
            c.edges is None and _numeric_states(c.states) is not None for c in self._columns
        )
        if numeric and d:
            X = np.asarray(X.tolist())
        return BayesNetSample(X, self.classes_[codes[:, d]])

    def _rejection_sample(self, n_samples, observed, rng):
        factors = self._factors(list(observed))
        p_evidence = float(np.exp(log_evidence(factors, observed, self.elimination_order)))
        if not p_evidence > 0:
            raise ValueError("The evidence has probability zero under the model.")
        if n_samples / p_evidence > 1e8:
            raise ValueError(
                f"The evidence has probability {p_evidence:.3g}: rejection sampling would need "
                f"about {n_samples / p_evidence:.2g} draws (more than 10**8)."
            )
        nodes, states = list(observed), np.array(list(observed.values()))
        kept, n_kept = [], 0
        while n_kept < n_samples:  # about n_samples / p_evidence draws in all
            batch = int(min(1.2 * (n_samples - n_kept) / p_evidence + 100, 10**6))
            codes = self._forward_sample(batch, rng)
            codes = codes[(codes[:, nodes] == states).all(axis=1)]
            kept.append(codes)
            n_kept += len(codes)
        return np.concatenate(kept)[:n_samples]

    def _evidence_codes(self, evidence):
        """{node index: state index} of a dict {node: state}; unknown nodes are errors."""
        if not isinstance(evidence, dict):
            raise TypeError(
                f"evidence must be a dict {{node: state}}; got {type(evidence).__name__}."
            )
        return {self.dag_._idx(v): self._state_index(v, s) for v, s in evidence.items()}

    def map_query(self, variables=None, evidence=None):
        """The most probable joint state of ``variables`` given ``evidence`` (MAP).

        The unobserved nodes outside ``variables`` are summed out, then ``variables`` are
        maximized out by max-product elimination (never building their joint table).

        Parameters
        ----------
        variables : node or list of nodes, default=None
            None: every unobserved node (the most probable explanation; an empty dict when
            every node is observed). Otherwise as in :meth:`query`: one node or a non-empty
            list (an empty one is a ``ValueError``).
        evidence : dict of {node: state}, default=None
            Observed states, as in :meth:`query` (a missing value is a ``ValueError``).

        Returns
        -------
        assignment : dict of {node: state}

        Raises
        ------
        ValueError
            When the evidence has probability zero, detected as in :meth:`query`.
        """
        check_is_fitted(self)
        evidence = dict(evidence or {})
        observed = self._evidence_codes(evidence)
        if variables is None:
            query = [i for i in range(len(self.dag_.nodes)) if i not in observed]
            if not query:
                return {}  # every node observed: nothing is left to explain
        else:
            query = self._query_indices(variables, observed)
        variables = [self.dag_.nodes[i] for i in query]
        factors = self._factors(query + list(observed), query, list(observed))
        best = most_probable(factors, query, observed, self.elimination_order, self.dag_.nodes)
        return {v: self.states_[v][best[i]] for v, i in zip(variables, query)}

    def to_bif(self, path=None, name="unknown"):
        """The network in the Bayesian Interchange Format (BIF), read back by :func:`read_bif`.

        Parameters
        ----------
        path : path, default=None
            File to write; None: only return the text.
        name : str, default="unknown"
            The network's name in the file.

        Returns
        -------
        text : str
            Every node's states and CPT; probabilities written in their shortest exact form, so
            that reading the file back gives the same tables bit for bit. States are written as
            text (``read_bif`` gives back strings).

        Raises
        ------
        ValueError
            When a node or state name cannot be read back as written: a bin label such as
            ``"(0.5, 1]"`` (it holds delimiters), a comment marker (``//``, ``/*``, ``*/``), or
            whitespace other than single spaces between words (the reader splits names at
            whitespace and joins the words with one space).
        """
        from ._bif import write_bif

        check_is_fitted(self)
        return write_bif(self, path, name)

    def n_free_parameters(self):
        """Free parameters of the fitted network's CPTs.

        Returns
        -------
        n_params : int
            See :func:`n_free_parameters`.
        """
        check_is_fitted(self)
        cards = {v: len(s) for v, s in self.states_.items()}
        return n_free_parameters(cards, {v: list(c.parents) for v, c in self.cpts_.items()})

    # --- d-separation, delegated to the DAG --------------------------------------------------

    def is_d_separated(self, x, y, given=()):
        """Whether ``given`` d-separates ``x`` and ``y`` in :attr:`dag_`.

        Parameters
        ----------
        x, y : node or collection of nodes
        given : node or collection of nodes, default=()

        Returns
        -------
        separated : bool
            See :meth:`DAG.is_d_separated`.
        """
        check_is_fitted(self)
        return self.dag_.is_d_separated(x, y, given)

    def explain(self, x, y, given=()):
        """One active trail between ``x`` and ``y`` in :attr:`dag_`, or None when d-separated.

        Parameters
        ----------
        x, y : node or collection of nodes
        given : node or collection of nodes, default=()

        Returns
        -------
        trail : list or None
            See :meth:`DAG.explain`.
        """
        check_is_fitted(self)
        return self.dag_.explain(x, y, given)

    def markov_blanket(self, node):
        """The Markov blanket of ``node`` in :attr:`dag_` (parents, children, co-parents).

        Parameters
        ----------
        node : hashable

        Returns
        -------
        blanket : set
        """
        check_is_fitted(self)
        return self.dag_.markov_blanket(node)


def _from_cpts(cpts, target, elimination_order="min_fill"):
    """A fitted BayesNet whose CPTs are given (no data): every node but ``target`` is a column.

    ``cpts`` is a list of :class:`CPT`; the columns follow its order. Used to load a published
    network (:func:`read_bif`).
    """
    by_node = {c.variable: c for c in cpts}
    if len(by_node) != len(cpts):
        raise ValueError("Two tables describe the same variable.")
    if target not in by_node:
        raise ValueError(f"target={target!r} is not a variable of the network.")
    names = [c.variable for c in cpts if c.variable != target]
    nodes = names + [target]
    edges = [(p, c.variable) for c in cpts for p in c.parents]
    dag = DAG(edges, nodes=nodes)
    model = BayesNet(edges=edges, target=target, elimination_order=elimination_order)
    model.dag_ = dag
    model.cpts_ = {}
    for v in nodes:
        cpt = by_node[v]
        # The DAG lists parents in node order; the tables' axes follow.
        parents = tuple(dag.parents(v))
        perm = [cpt.parents.index(p) for p in parents] + [len(parents)]
        model.cpts_[v] = CPT(
            v,
            parents,
            cpt.states,
            tuple(by_node[p].states for p in parents),
            np.ascontiguousarray(np.transpose(cpt.table, perm)),
        )
    model.states_ = {v: by_node[v].states for v in nodes}
    model.classes_ = np.array(by_node[target].states)
    model.bin_edges_ = {}
    model.n_iter_ = 1
    model._columns = [_Column(v, None, by_node[v].states) for v in names]
    model.n_features_in_ = len(names)
    if all(isinstance(v, str) for v in names):
        model.feature_names_in_ = np.array(names, dtype=object)
    return model


def _normalize_counts(counts, alpha):
    """(N + alpha) / sum over the last axis; a column with no mass becomes uniform, not NaN."""
    smoothed = counts + alpha
    total = smoothed.sum(axis=-1, keepdims=True)
    uniform = np.full_like(smoothed, 1.0 / smoothed.shape[-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, smoothed / total, uniform)
