"""Structure learning: a DAG from data when no graph is given (notes: "Bayesian Network", MLE;
Chow & Liu 1968, Friedman, Geiger & Goldszmidt 1997, Heckerman, Geiger & Chickering 1995).

All three work on integer state codes (-1 for a missing entry) with row weights:

* **Chow-Liu**: the tree that maximizes the likelihood is the maximum-weight spanning tree of the
  pairwise mutual informations :math:`I(X_i; X_j) = \\sum p(a, b) \\log \\frac{p(a, b)}{p(a) p(b)}`,
  oriented away from a root (the target).
* **TAN** (tree-augmented naive Bayes): the target is a parent of every column, and the columns
  form the maximum spanning tree of the conditional mutual informations
  :math:`I(X_i; X_j \\mid Y)`.
* **Hill climbing**: from the empty graph, apply the single edge addition, removal or reversal that
  most increases a decomposable score, never creating a cycle or more than ``max_parents`` parents,
  until none increases it (a tabu list of the last 100 moves keeps it from undoing itself). The
  score is a sum of local terms, one per node and parent set, so a move re-scores one or two
  nodes. BIC: :math:`\\sum_{jk} N_{jk} \\log (N_{jk} / N_j) - \\tfrac12 \\log N \\, q (r - 1)`;
  BDeu (equivalent sample size 10): the log marginal likelihood under a uniform Dirichlet prior.

Every pairwise count comes from one product of one-hot matrices, :math:`O^\\top \\mathrm{diag}(w)
O`: a missing entry is an all-zero one-hot row, so each pair is counted over the rows that
observe both of its columns.
"""

import collections
import math

import numpy as np
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree
from scipy.special import gammaln

from ..utils._threads import limit_blas

__all__ = ["chow_liu_edges", "hill_climb_edges", "tan_edges"]

BDEU_SAMPLE_SIZE = 10.0
_TABU_LENGTH = 100
_EPSILON = 1e-4


# --- tree structures -------------------------------------------------------------------------


def _one_hot(codes, cards):
    """(n_rows, sum(cards)) indicators and the column offset of each variable."""
    offsets = np.concatenate([[0], np.cumsum(cards)])
    onehot = np.zeros((codes.shape[0], offsets[-1]))
    rows, cols = np.nonzero(codes >= 0)
    onehot[rows, offsets[cols] + codes[rows, cols]] = 1.0
    return onehot, offsets


def _mutual_information(block):
    """I(A; B) in nats from a table of joint (weighted) counts."""
    total = block.sum()
    if total <= 0:
        return 0.0
    pa = block.sum(axis=1, keepdims=True)
    pb = block.sum(axis=0, keepdims=True)
    nz = block > 0
    return float((block[nz] * np.log(block[nz] * total / (pa @ pb)[nz])).sum() / total)


def _pairwise(codes, cards, weight, mask=None):
    """Matrix of I(X_i; X_j) over the rows in ``mask`` (all rows when None)."""
    w = weight if mask is None else weight * mask
    onehot, off = _one_hot(codes, cards)
    with limit_blas(1):  # a thin product: threads only contend
        counts = onehot.T @ (onehot * w[:, None])
    n = len(cards)
    mi = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            mi[i, j] = mi[j, i] = _mutual_information(
                counts[off[i] : off[i + 1], off[j] : off[j + 1]]
            )
    return mi


def _spanning_tree(weights, root):
    """Directed edges of the maximum spanning tree of ``weights``, oriented away from ``root``."""
    n = weights.shape[0]
    if n < 2:
        return []
    # Minimum spanning tree of (top - weight): every pair stays an edge (strictly positive).
    cost = weights.max() + 1.0 - weights
    np.fill_diagonal(cost, 0.0)
    tree = minimum_spanning_tree(np.triu(cost))
    _, pred = breadth_first_order(tree, root, directed=False, return_predecessors=True)
    return [(int(pred[v]), v) for v in range(n) if pred[v] >= 0]


def chow_liu_edges(codes, cards, weight, root):
    """Chow-Liu tree over every column of ``codes``, rooted at column ``root`` (index pairs)."""
    return _spanning_tree(_pairwise(codes, cards, weight), root)


def tan_edges(codes, cards, weight, target):
    """TAN: ``target`` -> every other column, plus the tree of I(X_i; X_j | target)."""
    features = [j for j in range(codes.shape[1]) if j != target]
    cmi = np.zeros((len(features), len(features)))
    y = codes[:, target]
    sub, sub_cards = codes[:, features], [cards[j] for j in features]
    for c in range(cards[target]):
        in_class = y == c
        share = weight[in_class].sum() / weight[y >= 0].sum()
        if share > 0:  # I(X; X' | Y) = sum_c P(c) I(X; X' | Y = c)
            cmi += share * _pairwise(sub, sub_cards, weight, in_class)
    tree = _spanning_tree(cmi, 0)
    return [(target, j) for j in features] + [(features[a], features[b]) for a, b in tree]


# --- score-based search ----------------------------------------------------------------------


class _LocalScore:
    """Cached local score of (node, parent set) from the codes: BIC or BDeu."""

    def __init__(self, codes, cards, weight, scoring):
        # One contiguous row of codes per variable: a family's flat index is a few axpys.
        self.columns = np.ascontiguousarray(codes.T)
        self.cards, self.weight = list(cards), weight
        self.complete = bool((codes >= 0).all())
        self.scoring = scoring
        self.log_n = math.log(weight.sum())
        self.cache = {}

    def __call__(self, v, parents):
        key = (v, parents)
        if key not in self.cache:
            self.cache[key] = self._compute(v, sorted(parents))
        return self.cache[key]

    def _compute(self, v, parents):
        family = parents + [v]
        flat = self.columns[family[0]].copy()
        for u in family[1:]:
            flat *= self.cards[u]
            flat += self.columns[u]
        weight = self.weight
        if not self.complete:  # available cases: the rows that observe the whole family
            rows = (self.columns[family] >= 0).all(axis=0)
            flat, weight = flat[rows], weight[rows]
        size = math.prod(self.cards[u] for u in family)
        counts = np.bincount(flat, weights=weight, minlength=size)
        counts = counts.reshape(-1, self.cards[v])  # (parent configurations, states)
        q, r = counts.shape
        n_j = counts.sum(axis=1)
        if self.scoring == "bic":
            nz = counts > 0
            ll = (counts[nz] * np.log((counts / np.maximum(n_j, 1e-300)[:, None])[nz])).sum()
            return float(ll - 0.5 * self.log_n * q * (r - 1))
        a_j, a_jk = BDEU_SAMPLE_SIZE / q, BDEU_SAMPLE_SIZE / (q * r)
        return float(
            (gammaln(a_j) - gammaln(a_j + n_j)).sum()
            + (gammaln(a_jk + counts) - gammaln(a_jk)).sum()
        )


def _reachability(parents, n):
    """reach[a, b]: a directed path a -> ... -> b exists (a != b)."""
    children = [[] for _ in range(n)]
    indeg = np.zeros(n, dtype=int)
    for v in range(n):
        for p in parents[v]:
            children[p].append(v)
            indeg[v] += 1
    order = [v for v in range(n) if indeg[v] == 0]
    for v in order:
        for c in children[v]:
            indeg[c] -= 1
            if indeg[c] == 0:
                order.append(c)
    reach = np.zeros((n, n), dtype=bool)
    for v in reversed(order):
        for c in children[v]:
            reach[v, c] = True
            reach[v] |= reach[c]
    return reach, children


def hill_climb_edges(codes, cards, weight, scoring="bic", max_parents=None, max_iter=1000):
    """Greedy hill climbing over DAGs with a tabu list; returns (edges, n_iter, converged)."""
    n = codes.shape[1]
    limit = n if max_parents is None else max_parents
    score = _LocalScore(codes, cards, weight, scoring)
    parents = [frozenset() for _ in range(n)]
    tabu = collections.deque(maxlen=_TABU_LENGTH)
    for n_iter in range(1, max_iter + 1):
        reach, children = _reachability(parents, n)
        best, best_delta = None, _EPSILON
        for v in range(n):
            base_v = score(v, parents[v])
            for u in range(n):
                if u == v:
                    continue
                if u in parents[v]:
                    # remove u -> v
                    delta = score(v, parents[v] - {u}) - base_v
                    if delta > best_delta and ("-", u, v) not in tabu:
                        best, best_delta = ("-", u, v), delta
                    # reverse u -> v into v -> u: no other path from u to v
                    if len(parents[u]) < limit and ("r", u, v) not in tabu:
                        if not any(reach[c, v] for c in children[u] if c != v):
                            delta += score(u, parents[u] | {v}) - score(u, parents[u])
                            if delta > best_delta:
                                best, best_delta = ("r", u, v), delta
                elif len(parents[v]) < limit and not reach[v, u] and ("+", u, v) not in tabu:
                    # add u -> v
                    delta = score(v, parents[v] | {u}) - base_v
                    if delta > best_delta:
                        best, best_delta = ("+", u, v), delta
        if best is None:
            return _edge_list(parents), n_iter, True
        op, u, v = best
        if op == "+":
            parents[v] = parents[v] | {u}
            tabu.append(("-", u, v))
        elif op == "-":
            parents[v] = parents[v] - {u}
            tabu.append(("+", u, v))
        else:
            parents[v] = parents[v] - {u}
            parents[u] = parents[u] | {v}
            tabu.append(("r", v, u))
    return _edge_list(parents), max_iter, False


def _edge_list(parents):
    return [(p, v) for v, pa in enumerate(parents) for p in sorted(pa)]


def structure_score(codes, cards, weight, edges, scoring="bic"):
    """The decomposable score of a DAG given as index pairs (higher is better)."""
    n = codes.shape[1]
    parents = [set() for _ in range(n)]
    for u, v in edges:
        parents[v].add(u)
    score = _LocalScore(codes, cards, weight, scoring)
    return sum(score(v, frozenset(parents[v])) for v in range(n))
