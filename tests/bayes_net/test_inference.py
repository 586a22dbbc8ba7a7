"""Variable elimination equals brute-force enumeration of the joint."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_notes.bayes_net._inference import (
    BATCH,
    elimination_order,
    log_evidence,
    most_probable,
    variable_elimination,
)


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


# --- elimination order: the incremental heap against the plain recomputation ---------------------


def _reference_order(scopes, eliminate, heuristic):
    """Every cost recomputed at every step (the definition the fast version must follow)."""
    adj = {}
    for scope in scopes:
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
        return (sum(b not in adj[a] for a, b in itertools.combinations(nb, 2)), len(nb), v)

    order = []
    while remaining:
        v = min(remaining, key=cost)
        nb = adj.pop(v)
        for a in nb:
            adj[a].discard(v)
            adj[a].update(nb - {a})
        remaining.remove(v)
        order.append(v)
    return order


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 14), min_size=1, max_size=4), min_size=1, max_size=25),
    st.sets(st.integers(0, 14)),
    st.sampled_from(["min_fill", "min_degree"]),
)
def test_elimination_order_incremental_equals_recomputing_every_cost(scopes, eliminate, heuristic):
    scopes = [tuple(dict.fromkeys(s)) for s in scopes]
    assert elimination_order(scopes, eliminate, heuristic) == _reference_order(
        scopes, eliminate, heuristic
    )


# --- pruning, per-row evidence, size limits ----------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(random_networks())
def test_variable_elimination_never_reads_factors_cut_off_by_the_evidence(network):
    """A factor whose unobserved variables are separated from the query is a constant: filled
    with NaN, it must not reach the answer."""
    n, cards, factors, rng = network
    q = int(rng.randint(n))
    evidence = {v: int(rng.randint(cards[v])) for v in range(n) if v != q and rng.rand() < 0.5}
    expected = _brute_force(n, factors, [q], evidence)
    # Connectivity of the unobserved variables through the factors' scopes.
    reach, frontier = {q}, [q]
    while frontier:
        v = frontier.pop()
        for scope, _ in factors:
            hidden = [u for u in scope if u not in evidence]
            if v in hidden:
                for u in hidden:
                    if u not in reach:
                        reach.add(u)
                        frontier.append(u)
    poisoned = [
        (s, t if set(s) - set(evidence) & reach else np.full_like(t, np.nan)) for s, t in factors
    ]
    np.testing.assert_allclose(variable_elimination(poisoned, [q], evidence), expected, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(random_networks())
def test_variable_elimination_per_row_evidence_equals_one_row_at_a_time(network):
    n, cards, factors, rng = network
    q = int(rng.randint(n))
    others = [v for v in range(n) if v != q]
    observed = [v for v in others if rng.rand() < 0.6] or others[:1]
    states = {v: rng.randint(cards[v], size=5) for v in observed}
    batched = variable_elimination(factors, [q], states)
    assert batched.shape == (5, cards[q])
    for r in range(5):
        evidence = {v: int(s[r]) for v, s in states.items()}
        np.testing.assert_allclose(batched[r], _brute_force(n, factors, [q], evidence), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(random_networks())
def test_log_evidence_equals_the_log_of_the_summed_joint(network):
    n, cards, factors, rng = network
    observed = [v for v in range(n) if rng.rand() < 0.5] or [0]
    states = {v: rng.randint(cards[v], size=4) for v in observed}
    joint = _joint(n, factors)
    for r in range(4):
        index = tuple(int(states[v][r]) if v in states else slice(None) for v in range(n))
        with np.errstate(divide="ignore"):
            expected = np.log(joint[index].sum())
        got = log_evidence(factors, states)[r]
        np.testing.assert_allclose(got, expected, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(random_networks())
def test_most_probable_equals_the_argmax_of_the_joint_posterior(network):
    n, cards, factors, rng = network
    order = rng.permutation(n)
    k = rng.randint(1, n + 1)
    query = sorted(int(v) for v in order[:k])
    evidence = {int(v): int(rng.randint(cards[v])) for v in order[k:] if rng.rand() < 0.5}
    posterior = _brute_force(n, factors, query, evidence)
    best = most_probable(factors, query, evidence)
    found = posterior[tuple(best[v] for v in query)]
    # Ties may pick another argmax, of the same probability.
    np.testing.assert_allclose(found, posterior.max(), rtol=1e-12)


def test_variable_elimination_refuses_a_factor_above_the_size_limit(monkeypatch):
    from sklearn_notes.bayes_net import _inference

    monkeypatch.setattr(_inference, "MAX_FACTOR_SIZE", 8)
    # Eliminating the hub of a star over 4 binary leaves builds a 16-entry factor.
    factors = [((0,), np.array([0.5, 0.5]))]
    factors += [((0, v), np.full((2, 2), 0.5)) for v in range(1, 5)]
    factors.append(((1, 2, 3, 4, 5), np.full((2,) * 5, 0.5)))  # the leaves interact
    with pytest.raises(ValueError, match=r"Eliminating 'hub' needs a table of 16 entries"):
        variable_elimination(factors, [5], names=["hub", "a", "b", "c", "d", "e"])
