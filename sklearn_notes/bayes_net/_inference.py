"""Exact inference by variable elimination (notes: Bayes' theorem, marginalization,
normalization).

A Bayesian network's joint is the product of its conditional probability tables,
:math:`P(v_1, \\ldots, v_n) = \\prod_i P(v_i \\mid \\mathrm{pa}(v_i))`. A posterior is the notes'
marginalization (sum the hidden variables out) followed by normalization (divide by the sum over the
query's states):

.. math:: P(Q \\mid e) = \\frac{\\sum_{h} \\prod_i P(v_i \\mid \\mathrm{pa}(v_i))|_{e}}
          {\\sum_{q} \\sum_{h} \\prod_i P(v_i \\mid \\mathrm{pa}(v_i))|_{e}}.

Summing the full product costs :math:`O(d^n)`; *variable elimination* pushes each sum inside the
product, past the factors that do not mention the variable:

1. reduce every factor to the observed states of the evidence;
2. pick the next hidden variable by a greedy heuristic (min-fill: the fewest new edges in the
   interaction graph; min-degree: the fewest neighbours);
3. multiply the factors that mention it and sum it out (one ``einsum``);
4. repeat; multiply what is left and normalize.

A factor is a pair ``(scope, table)``: a tuple of integer variable ids and an ndarray with one axis
per variable, in scope order. The id :data:`BATCH` stands for a leading axis of independent rows: a
factor over ``(BATCH, v)`` holds per-row *soft evidence* on ``v`` (one-hot for an observed value,
all ones for a missing one, which marginalizes it), so that one elimination answers a posterior for
every row of a data set at once.
"""

import itertools

import numpy as np

__all__ = ["BATCH", "elimination_order", "variable_elimination"]

#: Variable id of the row axis of batched factors; it is never eliminated.
BATCH = -1

_HEURISTICS = ("min_fill", "min_degree")


def _scope_key(v):
    # The batch axis first, then variables by id: a canonical order for produced factors.
    return (v != BATCH, v)


def elimination_order(scopes, eliminate, heuristic="min_fill"):
    """Greedy elimination order over the interaction graph of the factors.

    Parameters
    ----------
    scopes : iterable of tuple of int
        The scopes of the factors; two variables interact when some scope holds both.
    eliminate : iterable of int
        The variables to order.
    heuristic : {"min_fill", "min_degree"}, default="min_fill"
        Next variable: the one whose elimination adds the fewest edges between its neighbours
        (ties: fewest neighbours), or the one with the fewest neighbours. Remaining ties go to
        the smallest id.

    Returns
    -------
    order : list of int

    Examples
    --------
    >>> elimination_order([(0, 1), (1, 2), (2, 3)], [0, 1, 2])  # a chain: from the end
    [0, 1, 2]
    """
    if heuristic not in _HEURISTICS:
        raise ValueError(f"heuristic must be one of {_HEURISTICS}; got {heuristic!r}.")
    adj = {}
    for scope in scopes:
        scope = [v for v in scope if v != BATCH]
        for v in scope:
            adj.setdefault(v, set())
        for a, b in itertools.combinations(scope, 2):
            adj[a].add(b)
            adj[b].add(a)
    remaining = set(eliminate)
    for v in remaining:
        adj.setdefault(v, set())

    def cost(v):
        nb = adj[v]
        if heuristic == "min_degree":
            return (len(nb), v)
        fill = sum(1 for a, b in itertools.combinations(nb, 2) if b not in adj[a])
        return (fill, len(nb), v)

    order = []
    while remaining:
        v = min(remaining, key=cost)
        nb = adj.pop(v)
        for a in nb:
            adj[a].discard(v)
            adj[a].update(nb - {a})  # the fill-in edges: v's neighbours become a clique
        remaining.remove(v)
        order.append(v)
    return order


def _contract(factors, out_scope):
    """Multiply ``factors`` and sum out every variable not in ``out_scope`` (one einsum)."""
    ids = {}
    args = []
    for scope, table in factors:
        args += [table, [ids.setdefault(v, len(ids)) for v in scope]]
    args.append([ids[v] for v in out_scope])
    optimize = "greedy" if len(factors) > 2 else False
    return np.einsum(*args, optimize=optimize)


def _rescale(scope, table):
    """Divide by the largest entry (per row for a batched factor) so long products cannot
    underflow; a posterior is normalized at the end, so the constant does not matter."""
    if scope and scope[0] == BATCH:
        peak = table.reshape(table.shape[0], -1).max(axis=1)
        peak[peak == 0] = 1.0
        return table / peak.reshape((-1,) + (1,) * (table.ndim - 1))
    peak = table.max() if table.size else 0.0
    return table / peak if peak > 0 else table


def _reduce(scope, table, evidence):
    """Keep only the observed state of each evidence variable in the factor's scope."""
    for v, state in evidence.items():
        if v in scope:
            axis = scope.index(v)
            table = np.take(table, state, axis=axis)
            scope = scope[:axis] + scope[axis + 1 :]
    return scope, table


def variable_elimination(factors, query, evidence=None, heuristic="min_fill"):
    """Posterior over ``query`` given ``evidence``, by variable elimination.

    Parameters
    ----------
    factors : list of (tuple of int, ndarray)
        The factors (scope, table) whose product is the (unnormalized) joint; a factor may carry a
        leading :data:`BATCH` axis of rows.
    query : list of int
        The variables of the posterior, in the order of its axes.
    evidence : dict of {int: int}, default=None
        Observed state index of some variables (hard evidence, the same for every row).
    heuristic : {"min_fill", "min_degree"}, default="min_fill"
        Elimination-order heuristic, see :func:`elimination_order`.

    Returns
    -------
    posterior : ndarray
        Shape ``(n_rows, *query cards)`` when a factor is batched, else ``(*query cards)``; sums to
        1 over the query axes (a row whose evidence has probability zero is all NaN).

    Examples
    --------
    >>> import numpy as np
    >>> prior = ((0,), np.array([0.9, 0.1]))                 # P(rain)
    >>> wet = ((0, 1), np.array([[0.8, 0.2], [0.1, 0.9]]))   # P(wet | rain)
    >>> variable_elimination([prior, wet], query=[0], evidence={1: 1}).round(3)
    array([0.667, 0.333])
    """
    evidence = dict(evidence or {})
    reduced = [_reduce(tuple(s), np.asarray(t, dtype=float), evidence) for s, t in factors]
    batched = any(BATCH in s for s, _ in reduced)
    keep = set(query) | {BATCH}
    hidden = {v for s, _ in reduced for v in s} - keep
    for v in elimination_order([s for s, _ in reduced], hidden, heuristic):
        involved = [f for f in reduced if v in f[0]]
        reduced = [f for f in reduced if v not in f[0]]
        scope = tuple(sorted({u for s, _ in involved for u in s} - {v}, key=_scope_key))
        reduced.append((scope, _rescale(scope, _contract(involved, scope))))
    # Multiply what is left two at a time, rescaling as we go: the posterior's peak stays at 1.
    out_scope = ((BATCH,) if batched else ()) + tuple(query)
    result = None
    for f in reduced:
        if result is None:
            result = f
            continue
        scope = tuple(sorted(set(result[0]) | set(f[0]), key=_scope_key))
        result = (scope, _rescale(scope, _contract([result, f], scope)))
    if result is None:
        raise ValueError("Nothing to infer: no factor mentions the query.")
    missing = [v for v in out_scope if v not in result[0]]
    if missing:
        raise ValueError(f"Query variable(s) {missing} appear in no factor.")
    table = _contract([result], out_scope)
    axes = tuple(range(1 if batched else 0, table.ndim))
    total = table.sum(axis=axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return table / total
