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

1. drop the factors that cannot change the posterior: once the evidence is fixed, a factor whose
   unobserved variables are not connected to the query through other factors' unobserved variables
   is a constant (in a Bayesian network: the nodes d-separated from the query given the evidence);
2. reduce every factor to the observed states of the evidence;
3. pick the next hidden variable by a greedy heuristic (min-fill: the fewest new edges in the
   interaction graph; min-degree: the fewest neighbours), updating only the costs that change;
4. multiply the factors that mention it and sum it out (one ``einsum``), after checking the size
   of the factor it produces;
5. repeat; multiply what is left and normalize.

A factor is a pair ``(scope, table)``: a tuple of integer variable ids and an ndarray with one axis
per variable, in scope order. The id :data:`BATCH` stands for a leading axis of independent rows: a
factor over ``(BATCH, v)`` holds per-row *soft evidence* on ``v`` (one-hot for an observed value,
all ones for a missing one, which marginalizes it). Evidence may also be *per row*: an integer array
of states, one per row, which reduces each factor by a gather instead of a product. Either way one
elimination answers a posterior for every row of a data set at once.
"""

import heapq
import itertools
import math

import numpy as np

__all__ = ["BATCH", "MAX_FACTOR_SIZE", "elimination_order", "variable_elimination"]

#: Variable id of the row axis of batched factors; it is never eliminated.
BATCH = -1

#: Largest factor (number of float64 entries, 1 GiB) that inference allocates.
MAX_FACTOR_SIZE = 2**27

_HEURISTICS = ("min_fill", "min_degree")


def _scope_key(v):
    # The batch axis first, then variables by id: a canonical order for produced factors.
    return (v != BATCH, v)


# --- elimination order -------------------------------------------------------------------------


def _interaction_graph(scopes, eliminate):
    adj = {}
    for scope in scopes:
        scope = [v for v in scope if v != BATCH]
        for v in scope:
            adj.setdefault(v, set())
        for a, b in itertools.combinations(scope, 2):
            adj[a].add(b)
            adj[b].add(a)
    for v in eliminate:
        adj.setdefault(v, set())
    return adj


def _fill_in(adj, v):
    """Edges that eliminating ``v`` adds between its neighbours."""
    nb = adj[v]
    # Each missing edge is seen from both of its ends.
    return sum(len(nb - adj[a]) - 1 for a in nb) // 2


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

    Notes
    -----
    Eliminating ``v`` turns its neighbours into a clique. Only the neighbours (whose neighbourhood
    changed) and their neighbours (between whose neighbours edges appeared) can change cost, so
    only those are re-scored; a heap with stale entries skipped gives the cheapest next variable.

    Examples
    --------
    >>> elimination_order([(0, 1), (1, 2), (2, 3)], [0, 1, 2])  # a chain: from the end
    [0, 1, 2]
    """
    if heuristic not in _HEURISTICS:
        raise ValueError(f"heuristic must be one of {_HEURISTICS}; got {heuristic!r}.")
    remaining = set(eliminate)
    adj = _interaction_graph(scopes, remaining)

    def cost(v):
        if heuristic == "min_degree":
            return (len(adj[v]), v)
        return (_fill_in(adj, v), len(adj[v]), v)

    current = {v: cost(v) for v in remaining}
    heap = list(current.values())
    heapq.heapify(heap)
    order = []
    while remaining:
        key = heapq.heappop(heap)
        v = key[-1]
        if v not in remaining or current[v] != key:
            continue  # stale entry: v was eliminated or re-scored since
        nb = adj.pop(v)
        for a in nb:
            adj[a].discard(v)
            adj[a].update(nb - {a})  # the fill-in edges: v's neighbours become a clique
        remaining.remove(v)
        order.append(v)
        touched = set(nb)
        if heuristic == "min_fill":
            for a in nb:
                touched |= adj[a]
        for u in touched & remaining:
            new = cost(u)
            if new != current[u]:
                current[u] = new
                heapq.heappush(heap, new)
    return order


# --- factors -------------------------------------------------------------------------------------


def _describe(v, names):
    return repr(names[v]) if names is not None else f"variable {v}"


def _check_size(size, what):
    if size > MAX_FACTOR_SIZE:
        raise ValueError(
            f"{what} needs a table of {size:,} entries ({size * 8 / 2**30:,.1f} GiB), above the "
            f"limit of {MAX_FACTOR_SIZE:,} entries; the network is too densely connected for "
            "exact inference here (fewer parents, or more evidence, would help)."
        )


def _contract(factors, out_scope):
    """Multiply ``factors`` and sum out every variable not in ``out_scope`` (one einsum)."""
    ids = {}
    args = []
    for scope, table in factors:
        args += [table, [ids.setdefault(v, len(ids)) for v in scope]]
    args.append([ids[v] for v in out_scope])
    # A contraction path pays off only on large tables; small ones go in one einsum call.
    optimize = "greedy" if len(factors) > 2 and sum(t.size for _, t in factors) > 4096 else False
    return np.einsum(*args, optimize=optimize)


def _rescale(scope, table):
    """Divide by the largest entry (per row for a batched factor) so long products cannot
    underflow; return the table and the log of what was divided out."""
    if scope and scope[0] == BATCH:
        peak = table.reshape(table.shape[0], -1).max(axis=1)
        peak[~(peak > 0)] = 1.0
        return table / peak.reshape((-1,) + (1,) * (table.ndim - 1)), np.log(peak)
    peak = table.max() if table.size else 0.0
    if not peak > 0:
        return table, 0.0
    return table / peak, np.log(peak)


def _reduce(scope, table, evidence, cards, names):
    """Keep only the observed state of each evidence variable in the factor's scope.

    A state given as an integer array (one per row) gathers one slice per row: the factor gains
    the :data:`BATCH` axis.
    """
    for v in [u for u in scope if u in evidence and np.ndim(evidence[u]) == 0]:
        axis = scope.index(v)
        table = np.take(table, evidence[v], axis=axis)
        scope = scope[:axis] + scope[axis + 1 :]
    per_row = [u for u in scope if u in evidence]
    if not per_row:
        return scope, table
    lead = ([BATCH] if BATCH in scope else []) + per_row
    rest = tuple(u for u in scope if u not in lead)
    n_rows = len(evidence[per_row[0]])
    _check_size(
        n_rows * int(np.prod([cards[u] for u in rest], dtype=np.float64)),
        f"The factor of {_describe(scope[-1], names)} reduced to the evidence of {n_rows} rows",
    )
    table = np.moveaxis(table, [scope.index(u) for u in lead], range(len(lead)))
    index = ([np.arange(n_rows)] if BATCH in scope else []) + [evidence[u] for u in per_row]
    return (BATCH,) + rest, table[tuple(index)]


def _connected_to_query(factors, query, observed):
    """The factors whose unobserved variables connect to the query (the others are constants)."""
    parent = {}

    def find(v):
        root = v
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(v, v) != root:  # path compression
            parent[v], v = root, parent[v]
        return root

    free = []
    for scope, _ in factors:
        hidden = [v for v in scope if v != BATCH and v not in observed]
        free.append(hidden)
        for a in hidden[1:]:
            ra, rb = find(a), find(hidden[0])
            if ra != rb:
                parent[ra] = rb
    roots = {find(q) for q in query}
    return [f for f, hidden in zip(factors, free) if hidden and find(hidden[0]) in roots]


def _prepare(factors, query, evidence, names, prune):
    """Cardinalities, row count (None unless batched) and the reduced factors."""
    cards = {}
    for scope, table in factors:
        cards.update(zip(scope, np.shape(table)))
    per_row = next((len(s) for s in evidence.values() if np.ndim(s) == 1), None)
    n_rows = cards.get(BATCH, per_row)
    if prune:
        # Factors that mention only evidence, or unobserved variables cut off from the query by
        # the evidence, multiply every query state alike and cancel in the normalization.
        factors = _connected_to_query(factors, query, evidence)
    if n_rows is not None:
        factors = [*factors, ((BATCH,), np.ones(n_rows))]  # the rows' axis survives pruning
    reduced = [
        _reduce(tuple(s), np.asarray(t, dtype=float), evidence, cards, names) for s, t in factors
    ]
    return reduced, cards, n_rows


def _eliminate_all(factors, variables, heuristic, cards, n_rows, names, trace=None):
    """Sum (or, with a ``trace`` list, maximize) ``variables`` out of ``factors`` one at a time.

    Returns the remaining factors and the log of the constants divided out. Maximizing appends
    ``(v, scope, argmax table)`` to ``trace``: the best state of ``v`` given the others.
    """
    log_scale = 0.0
    # Which live factors mention each variable, so that each step touches only its own factors.
    store = dict(enumerate(factors))
    mentions = {}
    for key, (scope, _) in store.items():
        for v in scope:
            mentions.setdefault(v, set()).add(key)
    next_key = len(store)
    for v in elimination_order([s for s, _ in factors], variables, heuristic):
        keys = mentions.pop(v, set())
        involved = [store.pop(k) for k in keys]
        scope = tuple(sorted({u for s, _ in involved for u in s} - {v}, key=_scope_key))
        size = math.prod(cards.get(u, 1) for u in scope if u != BATCH)
        size *= n_rows if BATCH in scope else 1
        _check_size(
            size * (cards[v] if trace is not None else 1), f"Eliminating {_describe(v, names)}"
        )
        for u in scope:
            mentions[u] -= keys
            mentions[u].add(next_key)
        if trace is None:
            table = _contract(involved, scope)
        else:
            product = _contract(involved, scope + (v,))
            trace.append((v, scope, product.argmax(axis=-1)))
            table = product.max(axis=-1)
        table, log_peak = _rescale(scope, table)
        log_scale = log_scale + log_peak
        store[next_key] = (scope, table)
        next_key += 1
    return list(store.values()), log_scale


def _eliminate(factors, query, evidence, heuristic, names, prune):
    """Unnormalized table over ``(BATCH?, *query)`` and the log of the constant divided out."""
    reduced, cards, n_rows = _prepare(factors, query, evidence, names, prune)
    hidden = {v for s, _ in reduced for v in s} - set(query) - {BATCH}
    left, log_scale = _eliminate_all(reduced, hidden, heuristic, cards, n_rows, names)
    # Multiply what is left two at a time, rescaling as we go: the posterior's peak stays at 1.
    out_scope = ((BATCH,) if n_rows is not None else ()) + tuple(query)
    result = None
    for f in left:
        if result is None:
            result = f
            continue
        scope = tuple(sorted(set(result[0]) | set(f[0]), key=_scope_key))
        _check_size(
            int(np.prod([cards.get(u, 1) for u in scope], dtype=np.float64)),
            f"The joint posterior of {[names[q] if names else q for q in query]}",
        )
        table, log_peak = _rescale(scope, _contract([result, f], scope))
        log_scale = log_scale + log_peak
        result = (scope, table)
    if result is None:
        raise ValueError("Nothing to infer: no factor mentions the query.")
    missing = [v for v in out_scope if v not in result[0]]
    if missing:
        raise ValueError(f"Query variable(s) {missing} appear in no factor.")
    return _contract([result], out_scope), log_scale


def most_probable(factors, query, evidence=None, heuristic="min_fill", names=None):
    """The most probable joint state of ``query`` given ``evidence`` (hard evidence only).

    The other unobserved variables are summed out first, then the query's are maximized out one
    at a time (max-product elimination); reading the argmax tables back in reverse order gives
    the assignment, without ever building the joint table of the query.

    Returns
    -------
    assignment : dict of {int: int}
        The state index of every query variable (ties: the lowest index).

    Raises
    ------
    ValueError
        When every joint state of the query has probability zero given the evidence (the
        evidence is impossible), where every argmax would be an arbitrary tie.
    """
    evidence = dict(evidence or {})
    reduced, cards, _ = _prepare(factors, list(query), evidence, names, prune=True)
    hidden = {v for s, _ in reduced for v in s} - set(query)
    left, _ = _eliminate_all(reduced, hidden, heuristic, cards, None, names)
    trace = []
    constants, _ = _eliminate_all(left, set(query), heuristic, cards, None, names, trace)
    # What is left is scalars whose product is the largest joint probability of the query and
    # the evidence (up to the positive constants divided out): zero exactly when the evidence is
    # impossible, the case in which variable_elimination's normalization is 0 / 0.
    if not math.prod(float(t) for _, t in constants) > 0:
        raise ValueError("The evidence has probability zero under the model.")
    assignment = {}
    for v, scope, argmax in reversed(trace):
        assignment[v] = int(argmax[tuple(assignment[u] for u in scope)])
    return assignment


def variable_elimination(factors, query, evidence=None, heuristic="min_fill", names=None):
    """Posterior over ``query`` given ``evidence``, by variable elimination.

    Parameters
    ----------
    factors : list of (tuple of int, ndarray)
        The factors (scope, table) whose product is the (unnormalized) joint; a factor may carry a
        leading :data:`BATCH` axis of rows.
    query : list of int
        The variables of the posterior, in the order of its axes.
    evidence : dict of {int: int or ndarray of int}, default=None
        Observed state index of some variables: one integer (hard evidence, the same for every
        row) or an integer array with one state per row.
    heuristic : {"min_fill", "min_degree"}, default="min_fill"
        Elimination-order heuristic, see :func:`elimination_order`.
    names : sequence or dict, default=None
        ``names[v]`` is variable ``v``'s name, used in error messages.

    Returns
    -------
    posterior : ndarray
        Shape ``(n_rows, *query cards)`` when a factor or the evidence is batched, else
        ``(*query cards)``; sums to 1 over the query axes (a row whose evidence has probability
        zero is all NaN).

    Raises
    ------
    ValueError
        When a factor the elimination would build holds more than :data:`MAX_FACTOR_SIZE`
        entries; the message names the variable being eliminated and the size.

    Examples
    --------
    >>> import numpy as np
    >>> prior = ((0,), np.array([0.9, 0.1]))                 # P(rain)
    >>> wet = ((0, 1), np.array([[0.8, 0.2], [0.1, 0.9]]))   # P(wet | rain)
    >>> variable_elimination([prior, wet], query=[0], evidence={1: 1}).round(3)
    array([0.667, 0.333])
    """
    evidence = {} if evidence is None else evidence  # any mapping; read, never copied
    table, _ = _eliminate(factors, list(query), evidence, heuristic, names, prune=True)
    batched = table.ndim > len(query)
    axes = tuple(range(1 if batched else 0, table.ndim))
    total = table.sum(axis=axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return table / total


def log_evidence(factors, evidence, heuristic="min_fill", names=None):
    """Log of the sum of the product of ``factors`` at the evidence (per row when batched).

    For the CPTs of a Bayesian network this is :math:`\\log P(e)`; ``-inf`` for impossible
    evidence.
    """
    table, log_scale = _eliminate(list(factors), [], dict(evidence), heuristic, names, False)
    with np.errstate(divide="ignore"):
        return np.log(table) + log_scale
