"""BayesNet: CPTs, exact queries vs enumeration, missing values, d-separation in fitted nets."""

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.naive_bayes import CategoricalNB

from sklearn_notes import BayesNet, n_free_parameters, read_bif

# --- helpers --------------------------------------------------------------------------------------


def _joint(model):
    """Brute force: the full joint table over dag_.nodes, as the product of every CPT."""
    nodes = model.dag_.nodes
    args = []
    for v in nodes:
        cpt = model.cpts_[v]
        args += [cpt.table, [nodes.index(p) for p in cpt.parents] + [nodes.index(v)]]
    return np.einsum(*args, list(range(len(nodes))))


def _enumerate(model, variables, evidence):
    """P(variables | evidence) by summing the joint table."""
    nodes = model.dag_.nodes
    joint = _joint(model)
    index = tuple(
        model.states_[v].index(evidence[v]) if v in evidence else slice(None) for v in nodes
    )
    sub = joint[index]
    kept = [v for v in nodes if v not in evidence]
    sub = sub.sum(axis=tuple(i for i, v in enumerate(kept) if v not in variables))
    remaining = [v for v in kept if v in variables]
    sub = np.transpose(sub, [remaining.index(v) for v in variables])
    return sub / sub.sum()


@st.composite
def fitted_networks(draw, max_features=5):
    """A BayesNet with a random DAG (target included), fitted on random categorical data."""
    d = draw(st.integers(1, max_features))
    rng = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    nodes = [f"x{j}" for j in range(d)] + ["y"]
    perm = rng.permutation(len(nodes))
    edges = [
        (nodes[perm[i]], nodes[perm[j]])
        for i, j in itertools.combinations(range(len(nodes)), 2)
        if rng.rand() < 0.45
    ]
    n = int(rng.randint(5, 60))
    X = np.column_stack([rng.randint(0, rng.randint(2, 4), size=n) for _ in range(d)])
    y = rng.choice(["a", "b", "c"][: rng.randint(2, 4)], size=n)
    alpha = draw(st.sampled_from([0.5, 1.0]))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No edge touches the target", UserWarning)
        model = BayesNet(edges=edges, alpha=alpha, discretize=False).fit(X, y)
    return model, rng


# --- inference against enumeration --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(fitted_networks(), st.booleans())
def test_bayesnet_query_equals_brute_force_enumeration(net, joint):
    model, rng = net
    nodes = list(model.dag_.nodes)
    rng.shuffle(nodes)
    k = rng.randint(1, min(2, len(nodes)) + 1)
    variables = nodes[:k]
    evidence = {
        v: model.states_[v][rng.randint(len(model.states_[v]))]
        for v in nodes[k:]
        if rng.rand() < 0.5
    }
    expected = _enumerate(model, variables, evidence)
    result = model.query(variables, evidence, joint=joint)
    if joint:
        for states, p in result.items():
            idx = tuple(model.states_[v].index(s) for v, s in zip(variables, states))
            assert p == pytest.approx(expected[idx], abs=1e-12)
        assert sum(result.values()) == pytest.approx(1.0)
    else:
        for axis, v in enumerate(variables):
            marginal = expected.sum(axis=tuple(a for a in range(len(variables)) if a != axis))
            np.testing.assert_allclose(list(result[v].values()), marginal, atol=1e-12)
            assert sum(result[v].values()) == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(fitted_networks())
def test_bayesnet_predict_proba_with_missing_values_equals_query(net):
    model, rng = net
    d = model.n_features_in_
    X = np.column_stack(
        [rng.choice(model.states_[f"x{j}"], size=8).astype(float) for j in range(d)]
    )
    X[rng.rand(*X.shape) < 0.4] = np.nan
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    for row, p in zip(X, proba):
        evidence = {f"x{j}": int(v) for j, v in enumerate(row) if not np.isnan(v)}
        expected = model.query("y", evidence)["y"]
        np.testing.assert_allclose(p, [expected[c] for c in model.classes_], atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(fitted_networks(max_features=4))
def test_bayesnet_d_separation_implies_independence_in_the_fitted_joint(net):
    """Concept map row 26: d-separated => conditionally independent in every fitted network."""
    model, rng = net
    nodes = model.dag_.nodes
    joint = _joint(model)
    for x, y in itertools.combinations(range(len(nodes)), 2):
        z = [v for v in range(len(nodes)) if v not in (x, y) and rng.rand() < 0.5]
        if not model.is_d_separated(nodes[x], nodes[y], [nodes[v] for v in z]):
            continue
        keep = sorted([x, y, *z])
        p = joint.sum(axis=tuple(v for v in range(len(nodes)) if v not in keep))
        ax = {v: i for i, v in enumerate(keep)}
        pz = p.sum(axis=(ax[x], ax[y]), keepdims=True)
        lhs = p * pz
        rhs = p.sum(axis=ax[y], keepdims=True) * p.sum(axis=ax[x], keepdims=True)
        np.testing.assert_allclose(lhs, rhs, atol=1e-14)


def test_bayesnet_query_prunes_barren_nodes(monkeypatch):
    """Descendants of neither the query nor the evidence never enter the elimination."""
    import sklearn_notes.bayes_net._bayes_net as module

    rng = np.random.RandomState(0)
    X = rng.randint(0, 2, size=(100, 4))
    y = rng.randint(0, 2, 100)
    edges = [("x0", "y"), ("y", "x1"), ("x1", "x2"), ("x1", "x3")]
    model = BayesNet(edges=edges).fit(X, y)
    seen = []
    real = module.variable_elimination

    def spy(factors, *args, **kwargs):
        seen.append({v for scope, _ in factors for v in scope})
        return real(factors, *args, **kwargs)

    monkeypatch.setattr(module, "variable_elimination", spy)
    index = model.dag_._index
    with_pruning = model.query("y", {"x0": 1})["y"]
    assert seen[-1] == {index["x0"], index["y"]}  # x1, x2, x3 are barren
    model.query("y", {"x2": 1})
    assert index["x3"] not in seen[-1] and index["x2"] in seen[-1]
    monkeypatch.undo()
    expected = _enumerate(model, ["y"], {"x0": 1})
    np.testing.assert_allclose(list(with_pruning.values()), expected, atol=1e-12)


def test_bayesnet_elimination_heuristics_give_the_same_posterior():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 3, size=(200, 4))
    y = (X[:, 0] + X[:, 1] > 2).astype(int)
    edges = [("y", "x0"), ("x0", "x1"), ("y", "x1"), ("x1", "x2"), ("x2", "x3"), ("y", "x3")]
    a = BayesNet(edges=edges, elimination_order="min_fill").fit(X, y)
    b = BayesNet(edges=edges, elimination_order="min_degree").fit(X, y)
    X_test = X[:20].astype(float)
    X_test[::3, 1] = np.nan
    np.testing.assert_allclose(a.predict_proba(X_test), b.predict_proba(X_test), atol=1e-12)


# --- parameters -----------------------------------------------------------------------------------


def test_bayesnet_cpts_are_smoothed_relative_frequencies():
    X = np.array([[0], [0], [1], [1], [1], [0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    mle = BayesNet(alpha=0.0).fit(X, y)
    np.testing.assert_allclose(mle.cpts_["y"].table, [0.5, 0.5])
    np.testing.assert_allclose(mle.cpts_["x0"].table, [[2 / 3, 1 / 3], [1 / 3, 2 / 3]])
    laplace = BayesNet(alpha=1.0).fit(X, y)
    np.testing.assert_allclose(laplace.cpts_["x0"].table, [[3 / 5, 2 / 5], [2 / 5, 3 / 5]])
    assert laplace.cpts_["x0"].parents == ("y",)
    assert "P(x0 | y)" in str(laplace.cpts_["x0"])


def test_bayesnet_unseen_parent_configuration_gets_a_uniform_column():
    X = np.array([[0, 0], [1, 1], [0, 0], [1, 0]])
    y = np.array([0, 1, 0, 0])
    model = BayesNet(edges=[("x1", "x0"), ("y", "x0")], alpha=0.0).fit(X, y)
    table = model.cpts_["x0"].table  # axes (x1, y, x0)
    np.testing.assert_allclose(table[0, 0], [2 / 3, 1 / 3])  # seen: relative frequencies
    np.testing.assert_allclose(table[0, 1], [0.5, 0.5])  # x1=0, y=1 never seen: uniform
    np.testing.assert_allclose(table[1, 0], [0.5, 0.5])


def test_bayesnet_default_structure_equals_categorical_naive_bayes():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 4, size=(300, 6))
    y = (X[:, 0] + rng.randint(0, 3, 300)) % 3
    ours = BayesNet(alpha=1.0, discretize=False).fit(X, y)
    prior = ours.cpts_["y"].table
    theirs = CategoricalNB(alpha=1.0, class_prior=prior).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-10)


def test_bayesnet_mle_maximizes_the_log_likelihood():
    """Concept map row 23: with alpha=0 the CPTs maximize the likelihood of the training data."""
    rng = np.random.RandomState(1)
    X = rng.randint(0, 3, size=(150, 3))
    y = rng.randint(0, 2, 150)
    edges = [("y", "x0"), ("x0", "x1"), ("y", "x2")]
    model = BayesNet(edges=edges, alpha=0.0).fit(X, y)
    best = model.log_likelihood(X, y)
    joint = _joint(model)
    codes = np.column_stack([X, y])
    assert best == pytest.approx(np.log(joint[tuple(codes.T)]).sum())
    for node in model.dag_.nodes:
        cpt = model.cpts_[node]
        original = cpt.table
        for _ in range(3):
            perturbed = original + 0.05 * rng.rand(*original.shape)
            perturbed /= perturbed.sum(axis=-1, keepdims=True)
            object.__setattr__(cpt, "table", perturbed)  # CPTs are frozen: force it for the test
            assert model.log_likelihood(X, y) < best
        object.__setattr__(cpt, "table", original)
        assert model.log_likelihood(X, y) == best
    assert BayesNet(edges=edges, alpha=1.0).fit(X, y).log_likelihood(X, y) < best


def test_bayesnet_parameter_count_naive_bayes_versus_full_joint():
    """Notes: conditional independence turns O(d^n) parameters into O(nd)."""
    rng = np.random.RandomState(0)
    n, d = 10, 4
    X = rng.randint(0, d, size=(500, n))
    y = rng.randint(0, 2, 500)
    model = BayesNet(discretize=False).fit(X, y)
    assert model.n_free_parameters() == (2 - 1) + n * 2 * (d - 1) == 61
    full = {v: len(s) for v, s in model.states_.items()}
    chain = {v: list(model.dag_.nodes[:i]) for i, v in enumerate(model.dag_.nodes)}
    assert n_free_parameters(full, chain) == 2 * d**n - 1  # the full joint table


# --- the notes' explaining-away example, with numbers ---------------------------------------------


def _alarm_data(n=20_000, seed=0):
    rng = np.random.RandomState(seed)
    burglary = rng.rand(n) < 0.1
    earthquake = rng.rand(n) < 0.2
    p_alarm = np.select([burglary & earthquake, burglary, earthquake], [0.95, 0.9, 0.3], 0.01)
    alarm = rng.rand(n) < p_alarm
    call = rng.rand(n) < np.where(alarm, 0.9, 0.05)
    X = pd.DataFrame({"burglary": burglary, "earthquake": earthquake, "call": call}).astype(int)
    return X, alarm.astype(int)


def test_bayesnet_explaining_away():
    X, alarm = _alarm_data()
    edges = [("burglary", "alarm"), ("earthquake", "alarm"), ("alarm", "call")]
    model = BayesNet(edges=edges, target="alarm").fit(X, alarm)
    p_b = model.query("burglary")["burglary"][1]
    p_b_alarm = model.query("burglary", {"alarm": 1})["burglary"][1]
    p_b_alarm_eq = model.query("burglary", {"alarm": 1, "earthquake": 1})["burglary"][1]
    assert p_b == pytest.approx(0.1, abs=0.01)
    assert p_b_alarm > 0.5 > p_b  # the alarm makes a burglary likely ...
    assert p_b_alarm_eq < p_b_alarm - 0.3  # ... an earthquake explains it away
    # marginally independent causes, dependent given the common effect or its descendant
    assert model.is_d_separated("burglary", "earthquake")
    assert not model.is_d_separated("burglary", "earthquake", given="call")
    assert model.explain("burglary", "earthquake", "call") == ["burglary", "alarm", "earthquake"]
    p_e = model.query("earthquake")["earthquake"][1]
    assert model.query("earthquake", {"burglary": 1})["earthquake"][1] == pytest.approx(p_e)
    # the joint posterior, readable
    joint = model.query(["burglary", "earthquake"], {"call": 1}, joint=True)
    assert set(joint) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert sum(joint.values()) == pytest.approx(1.0)


def test_bayesnet_chain_and_fork_independencies_in_numbers():
    rng = np.random.RandomState(0)
    n = 5000
    a = rng.rand(n) < 0.5
    b = rng.rand(n) < np.where(a, 0.9, 0.2)  # chain a -> b -> c
    c = rng.rand(n) < np.where(b, 0.8, 0.1)
    X = np.column_stack([a, c]).astype(int)
    model = BayesNet(edges=[("x0", "y"), ("y", "x1")]).fit(X, b.astype(int))
    given_b = [model.query("x1", {"x0": s, "y": 1})["x1"][1] for s in (0, 1)]
    assert given_b[0] == pytest.approx(given_b[1], abs=1e-12)  # blocked by the middle node
    free = [model.query("x1", {"x0": s})["x1"][1] for s in (0, 1)]
    assert free[1] - free[0] > 0.3  # open chain
    fork = BayesNet(edges=[("y", "x0"), ("y", "x1")]).fit(X, b.astype(int))  # naive Bayes
    given_y = [fork.query("x1", {"x0": s, "y": 0})["x1"][1] for s in (0, 1)]
    assert given_y[0] == pytest.approx(given_y[1], abs=1e-12)


# --- inputs ---------------------------------------------------------------------------------------


def test_bayesnet_strings_dataframes_and_unseen_categories():
    X = pd.DataFrame(
        {
            "outlook": ["sunny", "rain", "rain", "overcast", "sunny", "rain"] * 4,
            "windy": ["no", "yes", "no", "no", "yes", "yes"] * 4,
        }
    )
    y = np.array(["play", "stay", "play", "play", "stay", "stay"] * 4)
    model = BayesNet(target="decision").fit(X, y)
    assert set(model.dag_.nodes) == {"outlook", "windy", "decision"}
    assert model.states_["outlook"] == ("overcast", "rain", "sunny")
    new = pd.DataFrame({"outlook": ["snow", "sunny", None], "windy": ["no", "hail", "yes"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = model.predict_proba(new)
    assert len(caught) == 1 and "never seen" in str(caught[0].message)
    assert "snow" in str(caught[0].message) and "hail" in str(caught[0].message)
    as_missing = pd.DataFrame({"outlook": [None, "sunny", np.nan], "windy": ["no", pd.NA, "yes"]})
    np.testing.assert_allclose(proba, model.predict_proba(as_missing))
    assert model.score(X, y) > 0.8


def test_bayesnet_discretizes_continuous_columns_and_reads_raw_evidence():
    rng = np.random.RandomState(0)
    x = rng.normal(size=400)
    y = (x > 0).astype(int)
    model = BayesNet(n_bins=4).fit(x[:, None], y)
    assert len(model.states_["x0"]) == 4
    np.testing.assert_allclose(model.bin_edges_["x0"], np.quantile(x, [0.25, 0.5, 0.75]), atol=0.02)
    assert model.query("y", {"x0": 2.5})["y"][1] > 0.9
    label = model.states_["x0"][0]
    assert model.query("y", {"x0": label})["y"][0] > 0.9
    assert model.score(x[:, None], y) > 0.95
    close = BayesNet(n_bins=3).fit(np.array([[1.00001], [1.00002], [1.00003], [5.0]] * 3), [0] * 12)
    assert len(set(close.states_["x0"])) == len(close.states_["x0"])  # distinct labels
    # explicit choice: no discretization makes every value a category
    integer_codes = BayesNet(discretize=False).fit(np.round(x[:, None] * 2), y)
    assert len(integer_codes.states_["x0"]) == np.unique(np.round(x * 2)).size


def test_bayesnet_missing_or_infinite_evidence_is_refused_not_binned():
    # NaN used to be searchsorted into the top bin and -inf into the bottom one, silently.
    rng = np.random.RandomState(0)
    x = rng.normal(size=200)
    model = BayesNet(n_bins=4).fit(
        np.column_stack([x, rng.randint(0, 2, 200)]), (x > 0.5).astype(int)
    )
    missing = [np.nan, None, pd.NA, np.float64("nan")]
    for value in missing:
        with pytest.raises(ValueError, match="must be an observed value"):
            model.query("y", {"x0": value})
        with pytest.raises(ValueError, match="must be an observed value"):
            model.query("y", {"x1": value})  # a categorical column: the same message
    for value in [np.inf, -np.inf, float("inf")]:
        with pytest.raises(ValueError, match="must be finite"):
            model.query("y", {"x0": value})
    for call in (
        lambda ev: model.map_query(["y"], ev),
        lambda ev: model.sample(3, evidence=ev, random_state=0),
    ):
        with pytest.raises(ValueError, match="must be an observed value"):
            call({"x0": np.nan})
        with pytest.raises(ValueError, match="must be finite"):
            call({"x0": np.inf})
    # A finite number still reads as its bin.
    top = model.states_["x0"][-1]
    assert model.query("y", {"x0": 9.0}) == model.query("y", {"x0": top})


def test_bayesnet_declared_categories_keep_unseen_states():
    X = np.array([["low"], ["high"], ["low"], ["low"]], dtype=object)
    y = np.array([0, 1, 0, 1])
    model = BayesNet(categories={0: ["low", "mid", "high"]}, alpha=1.0).fit(X, y)
    assert model.states_["x0"] == ("low", "mid", "high")
    np.testing.assert_allclose(model.cpts_["x0"].table[0], [3 / 5, 1 / 5, 1 / 5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "mid" is a known state: no unseen-category warning
        proba = model.predict_proba(np.array([["mid"]], dtype=object))
    np.testing.assert_allclose(proba, [[0.5, 0.5]])  # mid equally likely under both classes
    with pytest.raises(ValueError, match="not in categories"):
        BayesNet(categories={0: ["low"]}).fit(X, y)
    with pytest.raises(ValueError, match="unknown column"):
        BayesNet(categories={"nope": ["low"]}).fit(X, y)


def test_bayesnet_sample_weight_equals_repeated_rows():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=60), rng.randint(0, 3, 60)])
    y = rng.randint(0, 2, 60)
    w = rng.randint(0, 4, 60)
    weighted = BayesNet(edges=[("y", "x0"), ("x0", "x1"), ("y", "x1")]).fit(X, y, sample_weight=w)
    repeated = BayesNet(edges=[("y", "x0"), ("x0", "x1"), ("y", "x1")])
    repeated.fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_array_equal(weighted.bin_edges_["x0"], repeated.bin_edges_["x0"])
    for node in weighted.dag_.nodes:
        np.testing.assert_allclose(weighted.cpts_[node].table, repeated.cpts_[node].table)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X))


def test_bayesnet_bad_structure_and_queries_raise():
    X = np.array([[0, 1], [1, 0], [1, 1]])
    y = np.array([0, 1, 1])
    with pytest.raises(ValueError, match="cycle"):
        BayesNet(edges=[("x0", "x1"), ("x1", "y"), ("y", "x0")]).fit(X, y)
    with pytest.raises(ValueError, match="'x7', which is not in `nodes`"):
        BayesNet(edges=[("y", "x7")]).fit(X, y)
    with pytest.raises(ValueError, match="also a column name"):
        BayesNet(target="x0").fit(X, y)
    model = BayesNet().fit(X, y)
    with pytest.raises(ValueError, match="Unknown node 'z'"):
        model.query("z")
    with pytest.raises(ValueError, match="both queried and observed"):
        model.query("y", {"y": 1})
    with pytest.raises(ValueError, match="is not a state of 'x0'"):
        model.query("y", {"x0": 5})
    with pytest.raises(ValueError, match="no observed value"):
        BayesNet().fit(np.array([[np.nan, 1.0], [np.nan, 0.0]]), [0, 1])
    mle = BayesNet(alpha=0.0).fit(X, y)
    with pytest.raises(ValueError, match="probability zero"):
        mle.query("y", {"x0": 0, "x1": 0})


def test_bayesnet_query_variables_a_string_is_one_node_and_empty_is_an_error():
    X = pd.DataFrame({"a": [0, 1, 1, 0, 1, 1], "b": [1, 1, 0, 0, 1, 0]})
    model = BayesNet().fit(X, [0, 1, 1, 0, 1, 0])
    # "ab" used to be read as the nodes 'a' and 'b' (and "zz" as 'z', 'z').
    for call in (model.query, model.map_query):
        with pytest.raises(ValueError, match="Unknown node 'ab'"):
            call("ab")
        with pytest.raises(ValueError, match="Unknown node 'zz'"):
            call("zz")
        with pytest.raises(ValueError, match="lists a node twice"):
            call(["a", "a"])
        # query([]) said "Nothing to infer", map_query([]) returned {}.
        for empty in ([], ()):
            with pytest.raises(ValueError, match="`variables` is empty"):
                call(empty)
        with pytest.raises(ValueError, match="both queried and observed"):
            call("a", {"a": 1})
    with pytest.raises(ValueError, match="`variables` is empty"):
        model.query(None)  # map_query's None means every unobserved node, see below
    assert model.query("a") == model.query(["a"])
    assert set(model.query(["a", "b"])) == {"a", "b"}
    assert list(model.map_query(("b", "a"))) == ["b", "a"]
    # None asks map_query for every unobserved node: none left is an empty answer, not an error.
    assert model.map_query(None, {"a": 1, "b": 0, "y": 1}) == {}
    row = pd.DataFrame({"a": [1], "b": [0]})
    assert model.map_query(evidence={"a": 1, "b": 0}) == {"y": model.predict(row)[0]}


def test_bayesnet_map_query_refuses_impossible_evidence_where_query_does():
    # b is "no" whatever a is: b = "yes" is impossible, and every (a, b = yes) has probability 0.
    net = read_bif(
        """
        variable a { type discrete [ 2 ] { no, yes }; }
        variable b { type discrete [ 2 ] { no, yes }; }
        variable c { type discrete [ 2 ] { no, yes }; }
        probability ( a ) { table 0.4, 0.6; }
        probability ( b | a ) { (no) 1.0, 0.0; (yes) 1.0, 0.0; }
        probability ( c ) { table 0.3, 0.7; }
        """,
        target="c",
    )
    with pytest.raises(ValueError, match="probability zero"):
        net.query("a", {"b": "yes"})
    # map_query used to return the arbitrary argmax {'a': 'no'} of an all-zero table.
    for variables in (["a"], None):
        with pytest.raises(ValueError, match="probability zero"):
            net.map_query(variables, {"b": "yes"})
    assert net.map_query(["a"], {"b": "no"}) == {"a": "yes"}
    # Known limit, shared by query and map_query: c is d-separated from b, so b's table is
    # pruned unread and the evidence's probability is never computed (doing so is a second
    # elimination over the evidence's ancestors); both answer from P(c).
    assert net.query("c", {"b": "yes"}) == {"c": {"no": 0.3, "yes": 0.7}}
    assert net.map_query(["c"], {"b": "yes"}) == {"c": "yes"}


# --- scaling: Markov blanket, d-separated nodes, factor sizes -----------------------------------


def _poison(model, keep):
    """A copy of the model whose CPTs outside ``keep`` are NaN: reading one spoils the answer."""
    import copy

    poisoned = copy.deepcopy(model)
    for v, cpt in poisoned.cpts_.items():
        if v not in keep:
            object.__setattr__(cpt, "table", np.full_like(cpt.table, np.nan))
    return poisoned


def _chain_network(seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randint(0, 3, size=(400, 6))
    y = (X[:, 2] + rng.randint(0, 2, 400) > 2).astype(int)
    edges = [("x0", "x1"), ("x1", "x2"), ("x2", "y"), ("y", "x3"), ("x4", "x3"), ("x3", "x5")]
    return BayesNet(edges=edges).fit(X, y), X


def test_bayesnet_fully_observed_rows_use_only_the_markov_blanket():
    model, X = _chain_network()
    blanket = model.markov_blanket("y") | {"y"}
    assert blanket == {"x2", "x3", "x4", "y"}
    expected = model.predict_proba(X[:20])
    np.testing.assert_allclose(_poison(model, {"y", "x3"}).predict_proba(X[:20]), expected)


def test_bayesnet_query_drops_nodes_d_separated_from_the_query():
    model, _ = _chain_network()
    # Given x2, y is d-separated from x0 and x1; x5 is barren once x3 is not observed.
    expected = model.query("y", {"x2": 1, "x0": 0})["y"]
    got = _poison(model, {"y", "x2"}).query("y", {"x2": 1, "x0": 0})["y"]
    np.testing.assert_allclose(list(got.values()), list(expected.values()))
    np.testing.assert_allclose(
        list(expected.values()), _enumerate(model, ["y"], {"x2": 1, "x0": 0}), atol=1e-12
    )


def test_bayesnet_rows_with_different_missing_columns_are_each_exact():
    model, X = _chain_network()
    Xm = X[:30].astype(float)
    rng = np.random.RandomState(1)
    Xm[rng.rand(*Xm.shape) < 0.3] = np.nan
    proba = model.predict_proba(Xm)
    for row, p in zip(Xm, proba):
        evidence = {f"x{j}": int(v) for j, v in enumerate(row) if not np.isnan(v)}
        np.testing.assert_allclose(p, _enumerate(model, ["y"], evidence), atol=1e-12)


def test_bayesnet_too_many_parents_is_a_clear_error_before_allocation():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 4, size=(50, 17))
    y = rng.randint(0, 2, 50)
    edges = [(f"x{j}", "x16") for j in range(16)] + [("x16", "y")]
    with pytest.raises(ValueError, match=r"CPT of 'x16' \(16 parents\) needs a table of 17,179"):
        BayesNet(edges=edges).fit(X, y)
    X3 = rng.randint(0, 3, size=(50, 41))
    edges = [(f"x{j}", "x40") for j in range(40)] + [("x40", "y")]
    with pytest.raises(ValueError, match="CPT of 'x40' \\(40 parents\\)"):
        BayesNet(edges=edges).fit(X3, y)


# --- sampling, MAP, likelihood --------------------------------------------------------------------


def test_bayesnet_sample_frequencies_match_the_posterior():
    model, _ = _chain_network()
    X, y = model.sample(20_000, random_state=0)
    assert X.shape == (20_000, 6) and X.dtype.kind == "i"
    prior = model.query("x3")["x3"]
    freq = np.bincount(X[:, 3], minlength=3) / len(X)
    np.testing.assert_allclose(freq, list(prior.values()), atol=0.015)  # ~4 standard errors
    X2, y2 = model.sample(20_000, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    Xe, ye = model.sample(5_000, evidence={"x5": 2, "x0": 1}, random_state=1)
    assert (Xe[:, 5] == 2).all() and (Xe[:, 0] == 1).all()
    posterior = model.query("y", {"x5": 2, "x0": 1})["y"]
    np.testing.assert_allclose(np.mean(ye == 1), posterior[1], atol=0.03)


def test_bayesnet_sample_returns_the_training_states():
    X = np.array([["a", 0.1], ["b", 0.7], ["a", 0.4], ["b", 0.9]] * 5, dtype=object)
    model = BayesNet(n_bins=2).fit(X, [0, 1, 0, 1] * 5)
    Xs, ys = model.sample(50, random_state=0)
    assert set(Xs[:, 0]) <= {"a", "b"} and set(Xs[:, 1]) <= set(model.states_["x1"])
    assert set(ys) <= {0, 1}
    with pytest.raises(ValueError, match="positive integer"):
        model.sample(0)
    mle = BayesNet(alpha=0.0).fit(np.array([[0], [1]]), [0, 1])
    with pytest.raises(ValueError, match="probability zero"):
        mle.sample(5, evidence={"x0": 0, "y": 1})


@settings(max_examples=30, deadline=None)
@given(fitted_networks(max_features=4))
def test_bayesnet_map_query_is_the_argmax_of_the_joint_posterior(net):
    model, rng = net
    nodes = list(model.dag_.nodes)
    rng.shuffle(nodes)
    k = rng.randint(1, len(nodes) + 1)
    variables = nodes[:k]
    evidence = {v: model.states_[v][0] for v in nodes[k:] if rng.rand() < 0.5}
    posterior = _enumerate(model, variables, evidence)
    best = model.map_query(variables, evidence)
    assert list(best) == variables
    index = tuple(model.states_[v].index(best[v]) for v in variables)
    np.testing.assert_allclose(posterior[index], posterior.max(), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(fitted_networks(max_features=4))
def test_bayesnet_score_samples_is_the_log_marginal_of_the_observed_entries(net):
    model, rng = net
    d = model.n_features_in_
    X = np.column_stack([rng.choice(model.states_[f"x{j}"], size=6) for j in range(d)])
    X = X.astype(float)
    X[rng.rand(*X.shape) < 0.3] = np.nan
    joint = _joint(model)
    expected = []
    for row in X:
        index = tuple(
            slice(None) if v == "y" or np.isnan(row[j]) else model.states_[v].index(int(row[j]))
            for j, v in enumerate(model.dag_.nodes)
        )
        expected.append(np.log(joint[index].sum()))
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=1e-10, atol=1e-12)
    complete = X[~np.isnan(X).any(axis=1)]
    if len(complete):
        k = model.n_free_parameters()
        bic = -2 * model.score_samples(complete).sum() + k * np.log(len(complete))
        assert model.bic(complete) == pytest.approx(bic)


# --- small API items ----------------------------------------------------------------------------


def test_bayesnet_edges_may_be_any_iterable_of_pairs():
    import networkx as nx

    rng = np.random.RandomState(0)
    X = rng.randint(0, 2, size=(60, 2))
    y = rng.randint(0, 2, 60)
    pairs = [("y", "x0"), ("x0", "x1")]
    expected = BayesNet(edges=pairs).fit(X, y).predict_proba(X)
    for edges in (set(pairs), (p for p in pairs), nx.DiGraph(pairs).edges, tuple(pairs)):
        np.testing.assert_allclose(BayesNet(edges=edges).fit(X, y).predict_proba(X), expected)
    with pytest.raises(ValueError, match="a string must be one of"):
        BayesNet(edges="y->x0").fit(X, y)


def test_bayesnet_integer_codes_stay_categories_and_floats_are_binned():
    rng = np.random.RandomState(0)
    codes = rng.randint(0, 8, size=200)
    X = np.column_stack([codes, rng.rand(200)])
    model = BayesNet().fit(X, codes % 2)
    assert model.states_["x0"] == tuple(range(8))
    assert len(model.states_["x1"]) == 5 and "x1" in model.bin_edges_
    assert len(BayesNet(discretize=True).fit(X, codes % 2).states_["x0"]) == 5


def test_bayesnet_warns_when_no_edge_touches_the_target():
    X = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    with pytest.warns(UserWarning, match="No edge touches the target 'y'"):
        BayesNet(edges=[("x0", "x1")]).fit(X, [0, 1, 1, 0])


def test_bayesnet_rejects_negative_weights_and_a_failed_refit_keeps_the_model():
    X = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    y = [0, 1, 1, 0]
    model = BayesNet().fit(X, y)
    before = model.predict_proba(X)
    with pytest.raises(ValueError, match="[Nn]egative"):
        model.fit(X, y, sample_weight=[1.0, -1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="cycle"):
        model.set_params(edges=[("x0", "x1"), ("x1", "x0")]).fit(np.c_[X, X], y)
    assert model.n_features_in_ == 2
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_bayesnet_a_target_named_none_can_be_queried():
    X = np.random.RandomState(0).randint(0, 2, size=(50, 2))
    model = BayesNet(target=None).fit(X, X[:, 0])
    expected = _enumerate(model, [None], {"x0": 1})
    np.testing.assert_allclose(list(model.query(None, {"x0": 1})[None].values()), expected)
    assert model.is_d_separated("x0", "x1", given=None)  # None names the target here
    assert model.markov_blanket(None) == {"x0", "x1"}
