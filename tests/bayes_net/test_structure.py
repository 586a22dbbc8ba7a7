"""Structure learning: Chow-Liu, TAN and hill climbing against brute force and known graphs."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from sklearn_notes import BayesNet
from sklearn_notes.bayes_net._structure import (
    _pairwise,
    chow_liu_edges,
    hill_climb_edges,
    structure_score,
    tan_edges,
)


def _mi_by_definition(a, b, w):
    total = w.sum()
    out = 0.0
    for x in np.unique(a):
        for y in np.unique(b):
            pxy = w[(a == x) & (b == y)].sum() / total
            if pxy > 0:
                out += pxy * np.log(pxy / (w[a == x].sum() / total * w[b == y].sum() / total))
    return out


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(2, 40), st.integers(2, 4)), elements=st.integers(0, 2)),
    st.data(),
)
def test_pairwise_mutual_information_equals_its_definition(codes, data):
    weight = data.draw(arrays(np.float64, len(codes), elements=st.floats(0.1, 2.0)))
    cards = [3] * codes.shape[1]
    mi = _pairwise(codes, cards, weight)
    for i, j in itertools.combinations(range(codes.shape[1]), 2):
        expected = _mi_by_definition(codes[:, i], codes[:, j], weight)
        assert mi[i, j] == pytest.approx(expected, abs=1e-12)


def _tree_log_likelihood(codes, cards, edges):
    return structure_score(codes, cards, np.ones(len(codes)), edges, "bic") + sum(
        0.5 * np.log(len(codes)) * (cards[v] - 1) * np.prod([cards[u] for u, w in edges if w == v])
        for v in range(len(cards))
    )


@settings(max_examples=25, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(5, 60), st.just(4)), elements=st.integers(0, 1)))
def test_chow_liu_tree_has_the_largest_likelihood_of_all_trees(codes):
    """Chow & Liu's theorem, checked by enumerating every spanning tree on 4 nodes."""
    cards = [2] * 4
    learned = chow_liu_edges(codes, cards, np.ones(len(codes)), root=0)
    assert len(learned) == 3
    best = -np.inf
    pairs = list(itertools.combinations(range(4), 2))
    for tree in itertools.combinations(pairs, 3):
        if len({v for e in tree for v in e}) == 4 and _connected(tree):
            best = max(best, _tree_log_likelihood(codes, cards, _orient(tree, 0)))
    # All trees have the same parameter count: the likelihood alone decides.
    assert _tree_log_likelihood(codes, cards, learned) == pytest.approx(best, abs=1e-9)


def _connected(tree):
    seen, stack = {0}, [0]
    while stack:
        v = stack.pop()
        for a, b in tree:
            for x, y in ((a, b), (b, a)):
                if x == v and y not in seen:
                    seen.add(y)
                    stack.append(y)
    return len(seen) == 4


def _orient(tree, root):
    out, seen, stack = [], {root}, [root]
    while stack:
        v = stack.pop()
        for a, b in tree:
            for x, y in ((a, b), (b, a)):
                if x == v and y not in seen:
                    seen.add(y)
                    out.append((x, y))
                    stack.append(y)
    return out


def _sample_chain(n, rng):
    """y -> a -> b -> c with strong links, and a noise column d."""
    y = rng.randint(0, 2, n)
    a = np.where(rng.rand(n) < 0.9, y, 1 - y)
    b = np.where(rng.rand(n) < 0.85, a, 1 - a)
    c = np.where(rng.rand(n) < 0.85, b, 1 - b)
    d = rng.randint(0, 2, n)
    return np.column_stack([a, b, c, d]), y


def test_tan_makes_the_target_a_parent_of_every_column_and_a_tree_of_the_rest():
    X, y = _sample_chain(3000, np.random.RandomState(0))
    model = BayesNet(edges="tan").fit(X, y)
    edges = set(model.dag_.edges)
    assert {("y", f"x{j}") for j in range(4)} <= edges
    among = {frozenset(e) for e in edges if "y" not in e}
    assert len(among) == 3
    assert {frozenset(("x0", "x1")), frozenset(("x1", "x2"))} <= among
    codes = np.column_stack([X, y])
    assert tan_edges(codes, [2] * 5, np.ones(len(y)), 4)[:4] == [(4, 0), (4, 1), (4, 2), (4, 3)]


def test_chow_liu_and_hill_climbing_recover_a_chain():
    X, y = _sample_chain(3000, np.random.RandomState(0))
    truth = {frozenset(e) for e in [("y", "x0"), ("x0", "x1"), ("x1", "x2")]}
    tree = BayesNet(edges="chow-liu").fit(X, y)
    assert truth <= {frozenset(e) for e in tree.dag_.edges}
    assert tree.dag_.parents("y") == []  # rooted at the target
    for scoring in ("bic", "bdeu"):
        climbed = BayesNet(edges="hill-climb", scoring=scoring).fit(X, y)
        assert {frozenset(e) for e in climbed.dag_.edges} == truth  # the noise column stays alone


@settings(max_examples=20, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(10, 80), st.just(4)), elements=st.integers(0, 2)),
    st.sampled_from(["bic", "bdeu"]),
    st.sampled_from([None, 1, 2]),
)
def test_hill_climbing_is_a_local_optimum_with_at_most_max_parents(codes, scoring, max_parents):
    cards = [3] * 4
    w = np.ones(len(codes))
    edges, _, converged = hill_climb_edges(codes, cards, w, scoring, max_parents)
    assert converged
    parents = {v: {u for u, x in edges if x == v} for v in range(4)}
    assert max_parents is None or all(len(p) <= max_parents for p in parents.values())
    score = structure_score(codes, cards, w, edges, scoring)
    assert score > structure_score(codes, cards, w, [], scoring) - 1e-9
    # No single addition or removal (that keeps a DAG within the limit) improves by more than
    # the stopping threshold.
    from sklearn_notes.bayes_net._dag import DAG

    for u, v in itertools.permutations(range(4), 2):
        if (u, v) in edges:
            other = [e for e in edges if e != (u, v)]
        elif max_parents is not None and len(parents[v]) >= max_parents:
            continue
        else:
            other = edges + [(u, v)]
            try:
                DAG(other, nodes=range(4))
            except ValueError:
                continue
        assert structure_score(codes, cards, w, other, scoring) <= score + 1e-4


def test_hill_climbing_warns_when_max_iter_stops_it():
    X, y = _sample_chain(500, np.random.RandomState(0))
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        model = BayesNet(edges="hill-climb", max_iter=1).fit(X, y)
    assert len(model.dag_.edges) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        BayesNet(edges="hill-climb").fit(X, y)
