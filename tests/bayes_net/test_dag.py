"""DAG: d-separation against the exact joint, against networkx, and the graph utilities."""

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_notes import DAG


@st.composite
def random_dags(draw, max_nodes=8):
    """Random DAG: nodes 0..n-1 in a hidden random order, each forward pair an edge w.p. p."""
    n = draw(st.integers(2, max_nodes))
    seed = draw(st.integers(0, 2**31 - 1))
    p = draw(st.sampled_from([0.2, 0.35, 0.5]))
    rng = np.random.RandomState(seed)
    perm = rng.permutation(n)
    edges = [
        (int(perm[i]), int(perm[j]))
        for i, j in itertools.combinations(range(n), 2)
        if rng.rand() < p
    ]
    return n, edges, rng


def _random_query(n, rng):
    x, y = rng.choice(n, size=2, replace=False)
    rest = [v for v in range(n) if v not in (x, y)]
    z = [v for v in rest if rng.rand() < 0.4]
    return int(x), int(y), z


def _exact_joint(n, edges, rng, card=2):
    """Joint table P(v_0, ..., v_{n-1}) of random Dirichlet CPTs, shape (card,) * n."""
    graph = DAG(edges, nodes=range(n))
    joint = np.ones((card,) * n)
    for v in range(n):
        pa = graph.parents(v)
        cpt = rng.dirichlet(np.ones(card), size=card ** len(pa)).reshape(
            (card,) * len(pa) + (card,)
        )
        shape = [1] * n
        for axis in pa + [v]:
            shape[axis] = card
        # np.moveaxis puts the CPT's axes (parents in index order, then v) at their joint positions.
        axes = pa + [v]
        cpt = np.moveaxis(cpt, range(len(axes)), np.argsort(np.argsort(axes)))
        joint = joint * cpt.reshape(shape)
    return graph, joint


def _dependence(joint, x, y, z):
    """max |P(x,y,z) P(z) - P(x,z) P(y,z)|: zero iff X ⊥ Y | Z in this joint."""
    n = joint.ndim
    keep = sorted([x, y, *z])
    pxyz = joint.sum(axis=tuple(v for v in range(n) if v not in keep))
    ax = {v: i for i, v in enumerate(keep)}
    pz = pxyz.sum(axis=(ax[x], ax[y]), keepdims=True)
    pxz = pxyz.sum(axis=ax[y], keepdims=True)
    pyz = pxyz.sum(axis=ax[x], keepdims=True)
    return np.abs(pxyz * pz - pxz * pyz).max()


@settings(max_examples=60, deadline=None)
@given(random_dags(max_nodes=6))
def test_dag_d_separation_equals_conditional_independence_in_exact_joint(dag):
    """d-separated => independent in every parametrization; d-connected => dependent in a random
    one (random CPTs are faithful with probability one)."""
    n, edges, rng = dag
    graph, joint = _exact_joint(n, edges, rng)
    for _ in range(6):
        x, y, z = _random_query(n, rng)
        dep = _dependence(joint, x, y, z)
        if graph.is_d_separated(x, y, z):
            assert dep < 1e-14
        else:
            assert dep > 1e-10, (x, y, z, graph.explain(x, y, z))


@settings(max_examples=100, deadline=None)
@given(random_dags(max_nodes=12))
def test_dag_d_separation_agrees_with_networkx(dag):
    n, edges, rng = dag
    graph = DAG(edges, nodes=range(n))
    ref = nx.DiGraph(edges)
    ref.add_nodes_from(range(n))
    for _ in range(8):
        x, y, z = _random_query(n, rng)
        assert graph.is_d_separated(x, y, z) == nx.is_d_separator(ref, {x}, {y}, set(z))
        reach = graph.active_trail_nodes(x, z)
        for v in set(range(n)) - {x} - set(z):
            assert (v in reach) == (not nx.is_d_separator(ref, {x}, {v}, set(z)))
    # sets of nodes on each side
    nodes = rng.permutation(n)
    k = max(1, n // 3)
    xs, ys, zs = (
        set(nodes[:k].tolist()),
        set(nodes[k : 2 * k].tolist()),
        set(nodes[2 * k :].tolist()),
    )
    if ys:
        assert graph.is_d_separated(xs, ys, zs) == nx.is_d_separator(ref, xs, ys, zs)


def _is_active_trail(graph, trail, z):
    z = set(z)
    if len(set(trail)) != len(trail) or any(v in z for v in (trail[0], trail[-1])):
        return False
    edges = set(graph.edges)
    for a, b in zip(trail, trail[1:]):
        if (a, b) not in edges and (b, a) not in edges:
            return False
    for a, w, b in zip(trail, trail[1:], trail[2:]):
        collider = (a, w) in edges and (b, w) in edges
        if collider and not (w in z or graph.ancestors(z) & {w}):
            return False
        if not collider and w in z:
            return False
    return True


@settings(max_examples=60, deadline=None)
@given(random_dags(max_nodes=10))
def test_dag_explain_returns_an_active_trail_exactly_when_connected(dag):
    n, edges, rng = dag
    graph = DAG(edges, nodes=range(n))
    for _ in range(6):
        x, y, z = _random_query(n, rng)
        trail = graph.explain(x, y, z)
        if graph.is_d_separated(x, y, z):
            assert trail is None
        else:
            assert trail[0] == x and trail[-1] == y
            assert _is_active_trail(graph, trail, z), trail
        reach = graph.active_trail_nodes(x, z)
        assert (y in reach) == (trail is not None)
        assert x in reach and not reach & set(z)


@settings(max_examples=60, deadline=None)
@given(random_dags(max_nodes=10))
def test_dag_minimal_d_separator_is_minimal_and_agrees_with_networkx(dag):
    n, edges, rng = dag
    graph = DAG(edges, nodes=range(n))
    ref = nx.DiGraph(edges)
    ref.add_nodes_from(range(n))
    x, y, _ = _random_query(n, rng)
    sep = graph.minimal_d_separator(x, y)
    if (x, y) in graph.edges or (y, x) in graph.edges:
        assert sep is None
        return
    assert sep is not None and graph.is_d_separated(x, y, sep)
    for v in sep:  # dropping any element breaks separation
        assert not graph.is_d_separated(x, y, sep - {v})
    assert nx.is_minimal_d_separator(ref, {x}, {y}, sep)


@settings(max_examples=30, deadline=None)
@given(random_dags(max_nodes=7))
def test_dag_independencies_hold_and_cover_every_non_adjacent_pair(dag):
    n, edges, _ = dag
    graph = DAG(edges, nodes=range(n))
    statements = graph.independencies()
    adjacent = {frozenset(e) for e in graph.edges}
    pairs = {frozenset((s.x, s.y)) for s in statements}
    all_pairs = {frozenset(p) for p in itertools.combinations(range(n), 2)}
    assert pairs == all_pairs - adjacent
    for s in statements:
        assert graph.is_d_separated(s.x, s.y, s.given)


@settings(max_examples=50, deadline=None)
@given(random_dags(max_nodes=10))
def test_dag_structure_queries_agree_with_networkx(dag):
    n, edges, _ = dag
    graph = DAG(edges, nodes=range(n))
    ref = nx.DiGraph(edges)
    ref.add_nodes_from(range(n))
    order = graph.topological_order()
    assert sorted(order) == list(range(n))
    pos = {v: i for i, v in enumerate(order)}
    assert all(pos[u] < pos[v] for u, v in edges)
    for v in range(n):
        assert set(graph.parents(v)) == set(ref.predecessors(v))
        assert set(graph.children(v)) == set(ref.successors(v))
        assert graph.ancestors(v) == nx.ancestors(ref, v)
        blanket = set(ref.predecessors(v)) | set(ref.successors(v))
        for c in ref.successors(v):
            blanket |= set(ref.predecessors(c))
        assert graph.markov_blanket(v) == blanket - {v}


# --- the notes' three canonical cases, named ----------------------------------------------------


def test_dag_chain_is_blocked_by_observing_the_middle():
    g = DAG([("cloudy", "rain"), ("rain", "wet")])
    assert not g.is_d_separated("cloudy", "wet")
    assert g.explain("cloudy", "wet") == ["cloudy", "rain", "wet"]
    assert g.is_d_separated("cloudy", "wet", given="rain")


def test_dag_fork_is_blocked_by_observing_the_common_cause():
    g = DAG([("season", "rain"), ("season", "sprinkler")])
    assert not g.is_d_separated("rain", "sprinkler")
    assert g.is_d_separated("rain", "sprinkler", given="season")


def test_dag_collider_explaining_away_opens_when_effect_or_descendant_observed():
    g = DAG([("burglary", "alarm"), ("earthquake", "alarm"), ("alarm", "call")])
    assert g.is_d_separated("burglary", "earthquake")
    assert not g.is_d_separated("burglary", "earthquake", given="alarm")
    assert not g.is_d_separated("burglary", "earthquake", given=["call"])
    assert g.explain("burglary", "earthquake", given="call") == ["burglary", "alarm", "earthquake"]
    assert g.markov_blanket("burglary") == {"alarm", "earthquake"}
    assert [str(s) for s in g.independencies()] == [
        "burglary ⊥ earthquake",
        "burglary ⊥ call | alarm",
        "earthquake ⊥ call | alarm",
    ]


# --- errors ---------------------------------------------------------------------------------------


def test_dag_cycle_is_named():
    with pytest.raises(ValueError, match=r"cycle: 'b' -> 'c' -> 'a' -> 'b'"):
        DAG([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])


def test_dag_self_loop_and_unknown_nodes_raise():
    with pytest.raises(ValueError, match="Self-loop on node 'a'"):
        DAG([("a", "a")])
    with pytest.raises(ValueError, match="node 'z', which is not in `nodes`"):
        DAG([("a", "z")], nodes=["a", "b"])
    g = DAG([("a", "b")], nodes=["a", "b", "c"])
    assert g.is_d_separated("a", "c")  # isolated node
    with pytest.raises(ValueError, match="Unknown node 'q'"):
        g.is_d_separated("a", "q")
    with pytest.raises(ValueError, match="Unknown node 'q'"):
        g.parents("q")
    with pytest.raises(ValueError, match="Unknown node 'q'"):
        g.explain("a", ["b", "q"])


def test_dag_malformed_edges_raise():
    with pytest.raises(ValueError, match="pair"):
        DAG(["ab"])
    with pytest.raises(ValueError, match="pair"):
        DAG([("a", "b", "c")])


def test_dag_non_disjoint_sets_raise():
    g = DAG([("a", "b"), ("b", "c")])
    with pytest.raises(ValueError, match="`x` and `y` must be disjoint"):
        g.is_d_separated(["a", "b"], "b")
    with pytest.raises(ValueError, match="`y` and `given` must be disjoint"):
        g.is_d_separated("a", "c", given=["c"])
    with pytest.raises(ValueError, match="must be disjoint"):
        g.active_trail_nodes("a", given="a")


def test_dag_adjacent_nodes_have_no_separator():
    g = DAG([("a", "b"), ("b", "c")])
    assert g.minimal_d_separator("a", "b") is None
    assert g.minimal_d_separator("a", "c") == {"b"}


def test_dag_handles_a_long_chain_without_recursion():
    n = 20_000
    g = DAG([(i, i + 1) for i in range(n - 1)])
    assert not g.is_d_separated(0, n - 1)
    assert g.is_d_separated(0, n - 1, given=n // 2)
    assert len(g.explain(0, n - 1)) == n


def test_plot_dag_draws_every_node_and_marks_the_trail():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.text import Annotation

    from sklearn_notes import plot_dag

    g = DAG([("burglary", "alarm"), ("earthquake", "alarm"), ("alarm", "call")])
    trail = g.explain("burglary", "earthquake", given="call")
    ax = plot_dag(g, observed=["call"], trail=trail)
    labels = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert labels == ["alarm", "burglary", "call", "earthquake"]
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    red = [a for a in arrows if a.arrow_patch.get_edgecolor()[0] > 0.7]
    assert len(arrows) == 3 and len(red) == 2  # burglary -> alarm <- earthquake
    plt.close(ax.figure)


def test_dag_empty_sets_are_treated_as_networkx_treats_them():
    g = DAG([("a", "b"), ("b", "c")])
    ref = nx.DiGraph([("a", "b"), ("b", "c")])
    assert g.is_d_separated([], "c") is nx.is_d_separator(ref, set(), {"c"}, set()) is True
    assert g.is_d_separated("a", set(), "b")
    assert g.minimal_d_separator([], "c") == nx.find_minimal_d_separator(ref, set(), {"c"})
    assert g.explain([], "c") is None
    assert g.active_trail_nodes([]) == set()


def test_dag_a_node_named_none_is_a_node():
    g = DAG([(None, "a"), ("a", "b")])
    assert g.is_d_separated(None, "b", given="a")
    assert not g.is_d_separated(None, "b")
    assert g.parents("a") == [None] and g.ancestors("b") == {None, "a"}


def test_dag_minimal_separator_of_a_wide_collider_matches_networkx():
    # Marrying 3,000 parents would add 4.5 million moral edges; the search never builds them.
    k = 3000
    edges = [(f"p{i}", "c") for i in range(k)] + [("c", "d"), ("p0", "d")]
    g = DAG(edges)
    assert g.minimal_d_separator("p1", "p2") == set()
    assert g.minimal_d_separator("p1", "d") == {"c", "p0"}
    ref = nx.DiGraph(edges)
    assert nx.is_minimal_d_separator(ref, {"p1"}, {"d"}, {"c", "p0"})
