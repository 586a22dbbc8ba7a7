"""Variable elimination equals brute-force enumeration of the joint."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_notes.bayes_net._inference import BATCH, elimination_order, variable_elimination


@st.composite
def random_networks(draw, max_nodes=7):
    """Factors (scope, CPT) of a random DAG over nodes 0..n-1 with random cardinalities."""
    n = draw(st.integers(2, max_nodes))
    rng = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    cards = rng.randint(2, 4, size=n)
    factors = []
    for v in range(n):
        parents = [u for u in range(v) if rng.rand() < 0.4][:3]
        shape = tuple(cards[parents]) + (cards[v],)
        table = rng.dirichlet(np.ones(cards[v]), size=int(np.prod(shape[:-1]))).reshape(shape)
        factors.append((tuple(parents) + (v,), table))
    return n, cards, factors, rng


def _joint(n, factors):
    args = []
    for scope, table in factors:
        args += [table, list(scope)]
    return np.einsum(*args, list(range(n)))


def _brute_force(n, factors, query, evidence):
    joint = _joint(n, factors)
    index = tuple(evidence.get(v, slice(None)) for v in range(n))
    sub = joint[index]
    kept = [v for v in range(n) if v not in evidence]
    sub = sub.sum(axis=tuple(i for i, v in enumerate(kept) if v not in query))
    remaining = [v for v in kept if v in query]
    sub = np.transpose(sub, [remaining.index(q) for q in query])
    return sub / sub.sum()


@settings(max_examples=80, deadline=None)
@given(random_networks(), st.sampled_from(["min_fill", "min_degree"]))
def test_variable_elimination_equals_brute_force_enumeration(network, heuristic):
    n, cards, factors, rng = network
    order = rng.permutation(n)
    n_query = rng.randint(1, min(3, n) + 1)
    query = [int(v) for v in order[:n_query]]
    evidence = {int(v): int(rng.randint(cards[v])) for v in order[n_query:] if rng.rand() < 0.5}
    posterior = variable_elimination(factors, query, evidence, heuristic)
    np.testing.assert_allclose(posterior, _brute_force(n, factors, query, evidence), atol=1e-12)
    np.testing.assert_allclose(posterior.sum(), 1.0)


@settings(max_examples=40, deadline=None)
@given(random_networks())
def test_variable_elimination_batched_soft_evidence_equals_row_by_row(network):
    """A one-hot factor is hard evidence; an all-ones factor marginalizes the variable."""
    n, cards, factors, rng = network
    q = int(rng.randint(n))
    observed = [v for v in range(n) if v != q]
    n_rows = 6
    states = np.array([[rng.randint(-1, cards[v]) for v in observed] for _ in range(n_rows)])
    soft = []
    for j, v in enumerate(observed):
        ind = np.ones((n_rows, cards[v]))
        rows = states[:, j] >= 0
        ind[rows] = np.eye(cards[v])[states[rows, j]]
        soft.append(((BATCH, v), ind))
    batched = variable_elimination(factors + soft, [q])
    for r in range(n_rows):
        evidence = {v: int(states[r, j]) for j, v in enumerate(observed) if states[r, j] >= 0}
        np.testing.assert_allclose(batched[r], _brute_force(n, factors, [q], evidence), atol=1e-12)


def test_variable_elimination_does_not_underflow_with_many_variables():
    """1,000 conditionally independent observations: the raw product underflows float64."""
    rng = np.random.RandomState(0)
    n = 1000
    prior = ((0,), np.array([0.5, 0.5]))
    cpts = [((0, v), rng.dirichlet([1, 1, 1], size=2)) for v in range(1, n + 1)]
    evidence = {v: int(rng.randint(3)) for v in range(1, n + 1)}
    posterior = variable_elimination([prior, *cpts], [0], evidence)
    log_joint = [sum(np.log(t[c, evidence[v]]) for (_, v), t in cpts) for c in (0, 1)]
    assert max(log_joint) < -745  # exp(.) of both underflows to 0 in float64 ...
    expected = 1 / (1 + np.exp(log_joint[1] - log_joint[0]))
    np.testing.assert_allclose(posterior[0], expected, rtol=1e-9)  # ... yet no 0/0 here


def test_elimination_order_min_fill_avoids_fill_in_on_a_star():
    # Star centred on 0: eliminating the centre first would connect all leaves (fill-in 6).
    scopes = [(0, v) for v in range(1, 5)]
    order = elimination_order(scopes, range(5))
    assert order.index(0) >= 3
    assert elimination_order(scopes, range(5), "min_degree").index(0) >= 3
    with pytest.raises(ValueError, match="heuristic"):
        elimination_order(scopes, range(5), "random")


def test_variable_elimination_zero_probability_evidence_is_nan():
    prior = ((0,), np.array([1.0, 0.0]))
    child = ((0, 1), np.array([[1.0, 0.0], [0.0, 1.0]]))
    out = variable_elimination([prior, child], [0], {1: 1})
    assert np.isnan(out).all()
    assert list(itertools.chain(out.shape)) == [2]
