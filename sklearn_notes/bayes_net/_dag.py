"""Directed acyclic graphs and d-separation (notes: "Bayesian Network", "D-separation").

The notes: in a Bayes net, X and Y are conditionally independent given evidence Z when Z
*d-separates* them. A trail between X and Y is *active* given Z when every node W on it satisfies

* W is a chain (``-> W ->``) or fork (``<- W ->``) node and W is not in Z, or
* W is a collider (``-> W <-``, a v-structure) and W or one of its descendants is in Z;

X and Y are d-separated by Z when no trail between them is active. Testing all trails would be
exponential; the *reachable* procedure of Koller & Friedman (Algorithm 3.1, "Bayes-ball") finds
every node with an active trail from X in time linear in the size of the graph:

1. mark Z and all ancestors of Z (the colliders that observation opens);
2. breadth-first search over (node, direction) pairs, direction "up" when arriving from a child and
   "down" when arriving from a parent, starting from (x, up) for x in X;
3. at (W, up) with W not in Z: continue up to the parents and down to the children;
   at (W, down): continue down to the children if W is not in Z, and up to the parents if W was
   marked in step 1 (an opened collider).

The graph is stored once as compressed sparse rows of integer indices (parents and children), so a
query is one pass over flat arrays in a compiled kernel, not a walk over dictionaries.
"""

import itertools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["DAG", "Independence"]

_UNSEEN = -2  # predecessor value of a state that the search has not reached
_START = -1  # predecessor value of a start state


# --- compiled kernels over compressed adjacency ------------------------------------------------


@njit(cache=True)
def _ancestors_mask(pa_ptr, pa_idx, seeds):  # pragma: no cover - compiled
    """Boolean mask of ``seeds`` and all their ancestors (upward breadth-first search)."""
    n = pa_ptr.shape[0] - 1
    mask = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for s in seeds:
        if not mask[s]:
            mask[s] = True
            stack[top] = s
            top += 1
    while top > 0:
        top -= 1
        v = stack[top]
        for k in range(pa_ptr[v], pa_ptr[v + 1]):
            p = pa_idx[k]
            if not mask[p]:
                mask[p] = True
                stack[top] = p
                top += 1
    return mask


@njit(cache=True)
def _reachable(
    pa_ptr, pa_idx, ch_ptr, ch_idx, sources, observed, opened, targets
):  # pragma: no cover
    """Koller & Friedman's Algorithm 3.1 over (node, direction) states.

    State ``2 * v`` is "at v, arrived from a child (travelling up)", ``2 * v + 1`` is "at v,
    arrived from a parent (travelling down)". ``opened`` marks Z and its ancestors. The search
    stops at the first unobserved node of ``targets``; it returns that state (or -1) and the
    predecessor of every state, from which a trail can be read back.
    """
    n = pa_ptr.shape[0] - 1
    pred = np.full(2 * n, -2, dtype=np.int64)
    queue = np.empty(2 * n, dtype=np.int64)
    head = 0
    tail = 0
    for s in sources:
        state = 2 * s
        if pred[state] == -2:
            pred[state] = -1
            queue[tail] = state
            tail += 1
    while head < tail:
        state = queue[head]
        head += 1
        v = state >> 1
        up = (state & 1) == 0
        if targets[v] and not observed[v]:
            return state, pred
        if not observed[v]:
            # (v, up): parents up and children down; (v, down): children down.
            if up:
                for k in range(pa_ptr[v], pa_ptr[v + 1]):
                    nxt = 2 * pa_idx[k]
                    if pred[nxt] == -2:
                        pred[nxt] = state
                        queue[tail] = nxt
                        tail += 1
            for k in range(ch_ptr[v], ch_ptr[v + 1]):
                nxt = 2 * ch_idx[k] + 1
                if pred[nxt] == -2:
                    pred[nxt] = state
                    queue[tail] = nxt
                    tail += 1
        if not up and opened[v]:
            # An observed collider, or one with an observed descendant: the v-structure is open.
            for k in range(pa_ptr[v], pa_ptr[v + 1]):
                nxt = 2 * pa_idx[k]
                if pred[nxt] == -2:
                    pred[nxt] = state
                    queue[tail] = nxt
                    tail += 1
    return -1, pred


@njit(cache=True)
def _kahn_order(ch_ptr, ch_idx, indegree):  # pragma: no cover - compiled
    """Topological order by Kahn's algorithm; shorter than n when the graph has a cycle."""
    n = ch_ptr.shape[0] - 1
    indeg = indegree.copy()
    order = np.empty(n, dtype=np.int64)
    head = 0
    tail = 0
    for v in range(n):
        if indeg[v] == 0:
            order[tail] = v
            tail += 1
    while head < tail:
        v = order[head]
        head += 1
        for k in range(ch_ptr[v], ch_ptr[v + 1]):
            c = ch_idx[k]
            indeg[c] -= 1
            if indeg[c] == 0:
                order[tail] = c
                tail += 1
    return order[:tail]


@njit(cache=True)
def _moral_reach(pa_ptr, pa_idx, ch_ptr, ch_idx, keep, sources, blockers):  # pragma: no cover
    """Search of the moral graph induced on ``keep`` without building it.

    A node's moral neighbours are its parents, its children and its children's other parents.
    The married parents of a child form a clique: the first time the search crosses it, every
    member is reached, and the clique is never scanned again. Each parent list is thus read at
    most twice, so the search is linear in the size of the graph (marrying the parents of a
    node with k parents would cost k**2).
    """
    n = pa_ptr.shape[0] - 1
    seen = np.zeros(n, dtype=np.bool_)
    crossed = np.zeros(n, dtype=np.bool_)  # child whose parents' clique was crossed
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for s in sources:
        if not seen[s]:
            seen[s] = True
            stack[top] = s
            top += 1
    while top > 0:
        top -= 1
        v = stack[top]
        for k in range(pa_ptr[v], pa_ptr[v + 1]):
            w = pa_idx[k]
            if keep[w] and not seen[w]:
                seen[w] = True
                if not blockers[w]:
                    stack[top] = w
                    top += 1
        for k in range(ch_ptr[v], ch_ptr[v + 1]):
            c = ch_idx[k]
            if not keep[c]:
                continue
            if not seen[c]:
                seen[c] = True
                if not blockers[c]:
                    stack[top] = c
                    top += 1
            if crossed[c]:
                continue
            crossed[c] = True
            for kk in range(pa_ptr[c], pa_ptr[c + 1]):
                w = pa_idx[kk]
                if keep[w] and not seen[w]:
                    seen[w] = True
                    if not blockers[w]:
                        stack[top] = w
                        top += 1
    return seen


def _csr(heads, tails, n):
    """Row pointer and column indices of the rows ``heads`` -> entries ``tails`` (sorted)."""
    order = np.lexsort((tails, heads))
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(heads, minlength=n), out=ptr[1:])
    return ptr, np.ascontiguousarray(tails[order], dtype=np.int64)


# --- public objects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Independence:
    """The statement ``x ⊥ y | given`` read off a DAG by d-separation.

    Attributes
    ----------
    x, y : hashable
        The two nodes.
    given : tuple
        A minimal separating set (empty for a marginal independence).
    """

    x: Hashable
    y: Hashable
    given: tuple

    def __str__(self):
        cond = " | " + ", ".join(map(str, self.given)) if self.given else ""
        return f"{self.x} ⊥ {self.y}{cond}"


class DAG:
    """A directed acyclic graph over hashable node names, with linear-time d-separation.

    Parameters
    ----------
    edges : iterable of (parent, child) pairs
        The directed edges. Repeated edges are kept once.
    nodes : iterable of hashable, default=None
        Every node, in the order used by :attr:`nodes` (isolated nodes included). When None, the
        nodes are those of ``edges`` in order of first appearance. When given, an edge endpoint that
        is not listed is an error.

    Attributes
    ----------
    nodes : list
        The node names; node ``nodes[i]`` has integer index ``i`` in the adjacency arrays.
    edges : list of tuple
        The (parent, child) pairs, sorted by the parent's then the child's index.

    Raises
    ------
    ValueError
        On a self-loop, a cycle (the cycle is named), or an edge to a node absent from ``nodes``.

    Notes
    -----
    Parents and children are kept as compressed sparse rows of integer indices, built once;
    :meth:`is_d_separated`, :meth:`active_trail_nodes` and :meth:`explain` run the "reachable"
    procedure of [1]_ (Algorithm 3.1) in a compiled kernel, in O(nodes + edges) per query.

    References
    ----------
    .. [1] D. Koller and N. Friedman, "Probabilistic Graphical Models: Principles and Techniques",
       MIT Press, 2009, section 3.3.3.
    .. [2] R. D. Shachter, "Bayes-Ball: The Rational Pastime", UAI 1998.
    .. [3] B. van der Zander, M. Liskiewicz, J. Textor, "Separators and adjustment sets in causal
       graphs: complete criteria and an algorithmic framework", Artificial Intelligence, 2019.

    Examples
    --------
    >>> from sklearn_notes import DAG
    >>> g = DAG([("burglary", "alarm"), ("earthquake", "alarm"), ("alarm", "call")])
    >>> g.is_d_separated("burglary", "earthquake")
    True
    >>> g.is_d_separated("burglary", "earthquake", given="call")  # explaining away
    False
    >>> g.explain("burglary", "earthquake", given="call")
    ['burglary', 'alarm', 'earthquake']
    """

    def __init__(self, edges, nodes=None):
        edges = list(edges)
        for e in edges:
            if isinstance(e, str) or not hasattr(e, "__len__") or len(e) != 2:
                raise ValueError(f"An edge is a (parent, child) pair; got {e!r}.")
        edges = [tuple(e) for e in edges]
        if nodes is None:
            names = list(dict.fromkeys(itertools.chain.from_iterable(edges)))
        else:
            names = list(nodes)
            if len(set(names)) != len(names):
                raise ValueError("`nodes` lists a node more than once.")
            known = set(names)
            for u, v in edges:
                for end in (u, v):
                    if end not in known:
                        raise ValueError(
                            f"Edge ({u!r}, {v!r}) uses node {end!r}, which is not in `nodes`."
                        )
        for u, v in edges:
            if u == v:
                raise ValueError(
                    f"Self-loop on node {u!r}: a DAG has no edge from a node to itself."
                )
        index = {name: i for i, name in enumerate(names)}
        n = len(names)
        pairs = np.array([(index[u], index[v]) for u, v in edges], dtype=np.int64).reshape(-1, 2)
        pairs = np.unique(pairs, axis=0)
        heads, tails = pairs[:, 0], pairs[:, 1]
        self._ch_ptr, self._ch_idx = _csr(heads, tails, n)
        self._pa_ptr, self._pa_idx = _csr(tails, heads, n)
        self.nodes = names
        self._index = index
        self.edges = [(names[u], names[v]) for u, v in pairs]
        order = _kahn_order(self._ch_ptr, self._ch_idx, np.diff(self._pa_ptr))
        if len(order) < n:
            cycle = self._find_cycle(set(range(n)) - set(order.tolist()))
            path = " -> ".join(repr(names[i]) for i in cycle)
            raise ValueError(f"The graph has a cycle: {path}; a Bayesian network must be acyclic.")
        self._order = order

    # --- structure -------------------------------------------------------------------------------

    def _find_cycle(self, remaining):
        """A cycle among the nodes Kahn's algorithm could not order (each has a parent there)."""
        # Walking to a parent inside `remaining` always succeeds, so the walk must repeat a node.
        v = min(remaining)
        seen = {}
        walk = []
        while v not in seen:
            seen[v] = len(walk)
            walk.append(v)
            v = next(p for p in self._parents_idx(v) if p in remaining)
        cycle = walk[seen[v] :][::-1]
        return cycle + [cycle[0]]

    def _parents_idx(self, i):
        return self._pa_idx[self._pa_ptr[i] : self._pa_ptr[i + 1]]

    def _children_idx(self, i):
        return self._ch_idx[self._ch_ptr[i] : self._ch_ptr[i + 1]]

    def __len__(self):
        return len(self.nodes)

    def __contains__(self, node):
        try:
            return node in self._index
        except TypeError:
            return False

    def __repr__(self):
        return f"DAG(n_nodes={len(self.nodes)}, n_edges={len(self.edges)})"

    def _idx(self, node):
        if node not in self:
            raise ValueError(f"Unknown node {node!r}; the DAG's nodes are {self._preview()}.")
        return self._index[node]

    def _preview(self):
        shown = ", ".join(map(repr, self.nodes[:10]))
        return f"[{shown}{', ...' if len(self.nodes) > 10 else ''}]"

    def _as_list(self, nodes, what):
        """Indices of a node or a collection of nodes, in order, repeats kept (a name in the
        graph is a single node, and so is any other string: never its characters; None, when it
        is not a node's name, is the empty list)."""
        if nodes in self:
            return [self._index[nodes]]
        if nodes is None:
            return []
        if isinstance(nodes, str) or not isinstance(nodes, Iterable):
            raise ValueError(f"Unknown node {nodes!r} in `{what}`; nodes: {self._preview()}.")
        out = []
        for node in nodes:
            if node not in self:
                raise ValueError(f"Unknown node {node!r} in `{what}`; nodes: {self._preview()}.")
            out.append(self._index[node])
        return out

    def _as_set(self, nodes, what):
        """Like :meth:`_as_list`, each node once."""
        return list(dict.fromkeys(self._as_list(nodes, what)))

    def _three_sets(self, x, y, given):
        xs, ys = self._as_set(x, "x"), self._as_set(y, "y")
        zs = self._as_set(given, "given")
        for (a, na), (b, nb) in (
            ((xs, "x"), (ys, "y")),
            ((xs, "x"), (zs, "given")),
            ((ys, "y"), (zs, "given")),
        ):
            common = set(a) & set(b)
            if common:
                names = sorted((self.nodes[i] for i in common), key=str)
                raise ValueError(f"`{na}` and `{nb}` must be disjoint; both hold {names}.")
        return xs, ys, zs

    def _names(self, idx):
        return {self.nodes[i] for i in idx}

    def parents(self, node):
        """The parents of ``node``.

        Parameters
        ----------
        node : hashable

        Returns
        -------
        parents : list
            In the order of :attr:`nodes`.
        """
        return [self.nodes[i] for i in self._parents_idx(self._idx(node))]

    def children(self, node):
        """The children of ``node``.

        Parameters
        ----------
        node : hashable

        Returns
        -------
        children : list
            In the order of :attr:`nodes`.
        """
        return [self.nodes[i] for i in self._children_idx(self._idx(node))]

    def ancestors(self, nodes):
        """The ancestors of a node or of a set of nodes (the nodes themselves excluded).

        Parameters
        ----------
        nodes : hashable or collection of hashable

        Returns
        -------
        ancestors : set
        """
        seeds = np.asarray(self._as_set(nodes, "nodes"), dtype=np.int64)
        mask = _ancestors_mask(self._pa_ptr, self._pa_idx, seeds)
        mask[seeds] = False
        return self._names(np.flatnonzero(mask))

    def markov_blanket(self, node):
        """Parents, children and the children's other parents of ``node``.

        Given its Markov blanket, a node is independent of every other node.

        Parameters
        ----------
        node : hashable

        Returns
        -------
        blanket : set
        """
        i = self._idx(node)
        blanket = set(self._parents_idx(i).tolist()) | set(self._children_idx(i).tolist())
        for c in self._children_idx(i):
            blanket.update(self._parents_idx(c).tolist())
        blanket.discard(i)
        return self._names(blanket)

    def topological_order(self):
        """Nodes ordered so that every parent comes before its children (Kahn's algorithm).

        Returns
        -------
        order : list
        """
        return [self.nodes[i] for i in self._order]

    # --- d-separation ----------------------------------------------------------------------------

    def _search(self, xs, zs, ys=()):
        n = len(self.nodes)
        observed = np.zeros(n, dtype=np.bool_)
        observed[zs] = True
        opened = _ancestors_mask(self._pa_ptr, self._pa_idx, np.asarray(zs, dtype=np.int64))
        targets = np.zeros(n, dtype=np.bool_)
        targets[list(ys)] = True
        return _reachable(
            self._pa_ptr,
            self._pa_idx,
            self._ch_ptr,
            self._ch_idx,
            np.asarray(xs, dtype=np.int64),
            observed,
            opened,
            targets,
        )

    def is_d_separated(self, x, y, given=()):
        """Whether ``given`` d-separates ``x`` from ``y`` (no active trail between them).

        Parameters
        ----------
        x, y : hashable or collection of hashable
            A node or a set of nodes each.
        given : hashable or collection of hashable, default=()
            The observed nodes Z; ``x``, ``y`` and ``given`` must be disjoint.

        Returns
        -------
        separated : bool
        """
        xs, ys, zs = self._three_sets(x, y, given)
        if not xs or not ys:
            return True  # no trail starts or ends in the empty set (as networkx)
        hit, _ = self._search(xs, zs, ys)
        return hit < 0

    def active_trail_nodes(self, x, given=()):
        """Every node reachable from ``x`` by a trail that is active given ``given``.

        The nodes of ``x`` are included (each trivially reaches itself); observed nodes never are.

        Parameters
        ----------
        x : hashable or collection of hashable
        given : hashable or collection of hashable, default=()

        Returns
        -------
        nodes : set
        """
        xs, zs = self._as_set(x, "x"), self._as_set(given, "given")
        common = set(xs) & set(zs)
        if common:
            raise ValueError(f"`x` and `given` must be disjoint; both hold {self._names(common)}.")
        _, pred = self._search(xs, zs)
        reached = (pred[0::2] != _UNSEEN) | (pred[1::2] != _UNSEEN)
        reached[zs] = False
        return self._names(np.flatnonzero(reached))

    def explain(self, x, y, given=()):
        """One active trail from ``x`` to ``y`` given ``given``, or None when they are d-separated.

        The trail is a shortest one in the search over (node, direction) states; it never repeats a
        node. Reading it tells *why* x and y are dependent: each interior node is an unobserved
        chain/fork node or a collider that is observed or has an observed descendant.

        Parameters
        ----------
        x, y : hashable or collection of hashable
        given : hashable or collection of hashable, default=()

        Returns
        -------
        trail : list or None
            Nodes from a node of ``x`` to a node of ``y``.
        """
        xs, ys, zs = self._three_sets(x, y, given)
        if not xs or not ys:
            return None
        hit, pred = self._search(xs, zs, ys)
        if hit < 0:
            return None
        trail = []
        state = hit
        while state != _START:
            trail.append(self.nodes[state >> 1])
            state = pred[state]
        return trail[::-1]

    def minimal_d_separator(self, x, y):
        """A minimal set that d-separates ``x`` and ``y``, or None when no set does.

        Minimal: no proper subset separates. Found in the moral graph of the ancestors of x and y
        (van der Zander et al., 2019): start from every ancestor, keep those adjacent to (reachable
        without crossing the set from) x, then those of them reachable from y.

        Parameters
        ----------
        x, y : hashable or collection of hashable

        Returns
        -------
        separator : set or None
        """
        xs, ys, _ = self._three_sets(x, y, ())
        if not xs or not ys:
            return set()  # nothing to separate (as networkx)
        seeds = np.asarray(xs + ys, dtype=np.int64)
        anc = _ancestors_mask(self._pa_ptr, self._pa_idx, seeds)
        candidates = anc.copy()
        candidates[seeds] = False
        hit, _ = self._search(xs, np.flatnonzero(candidates), ys)
        if hit >= 0:
            return None
        # z1: the candidates adjacent to x in the moral graph of the ancestors, reached without
        # crossing a candidate; z2: those of z1 reached likewise from y.
        z1 = self._moral_reach(anc, xs, candidates) & candidates
        z2 = self._moral_reach(anc, ys, z1) & z1
        return self._names(np.flatnonzero(z2))

    def _moral_reach(self, keep, sources, blockers):
        """Mask of the nodes reachable from ``sources`` in the moral graph induced on ``keep``,
        entering but never leaving a node of ``blockers``."""
        return _moral_reach(
            self._pa_ptr,
            self._pa_idx,
            self._ch_ptr,
            self._ch_idx,
            keep,
            np.asarray(sources, dtype=np.int64),
            blockers,
        )

    def independencies(self):
        """Every pairwise statement ``x ⊥ y | Z`` of the graph, with Z a minimal separator.

        A pair is listed when it is not adjacent (adjacent nodes are never separable). This runs
        one separator search per pair, O(n_nodes**2) searches: it is meant for small graphs.

        Returns
        -------
        statements : list of Independence
            In node order; ``str(statement)`` reads ``"x ⊥ y | z1, z2"``.
        """
        adjacent = set()
        for u, v in self.edges:
            adjacent.add((u, v))
            adjacent.add((v, u))
        out = []
        for a, b in itertools.combinations(self.nodes, 2):
            if (a, b) in adjacent:
                continue
            sep = self.minimal_d_separator(a, b)
            given = tuple(sorted(sep, key=self._index.__getitem__))
            out.append(Independence(a, b, given))
        return out
