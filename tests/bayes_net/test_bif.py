"""BIF: reading, writing, round trips, line-numbered errors; pgmpy's bundled networks (slow)."""

import numpy as np
import pandas as pd
import pytest

from sklearn_notes import BayesNet, read_bif

ASIA = """
network asia {
}
// the chest clinic of Lauritzen & Spiegelhalter (1988)
variable asia { type discrete [ 2 ] { yes, no }; }
variable tub { type discrete [ 2 ] { yes, no }; }
variable smoke { type discrete [ 2 ] { yes, no }; }
variable lung { type discrete [ 2 ] { yes, no }; }
variable bronc { type discrete [ 2 ] { yes, no }; }
variable either { type discrete [ 2 ] { yes, no }; }
variable xray { type discrete [ 2 ] { yes, no }; }
variable dysp { type discrete [ 2 ] { yes, no }; }
probability ( asia ) { table 0.01, 0.99; }
probability ( tub | asia ) { (yes) 0.05, 0.95; (no) 0.01, 0.99; }
probability ( smoke ) { table 0.5, 0.5; }
probability ( lung | smoke ) { (yes) 0.1, 0.9; (no) 0.01, 0.99; }
probability ( bronc | smoke ) { (yes) 0.6, 0.4; (no) 0.3, 0.7; }
probability ( either | lung, tub ) {
  (yes, yes) 1.0, 0.0;
  (no, yes) 1.0, 0.0;
  (yes, no) 1.0, 0.0;
  (no, no) 0.0, 1.0;
}
probability ( xray | either ) { (yes) 0.98, 0.02; (no) 0.05, 0.95; }
probability ( dysp | bronc, either ) {
  (yes, yes) 0.9, 0.1;
  (no, yes) 0.7, 0.3;
  (yes, no) 0.8, 0.2;
  (no, no) 0.1, 0.9;
}
"""


def test_read_bif_builds_the_network_and_answers_queries():
    net = read_bif(ASIA)
    assert net.target == "dysp" and net.n_features_in_ == 7
    assert net.dag_.parents("either") == ["tub", "lung"]
    # P(either | lung=no, tub=yes): the table's axes follow the DAG's parent order.
    assert net.cpts_["either"].table[1, 1, 1] == 1.0  # tub=no, lung=no -> either=no
    assert net.cpts_["either"].table[0, 1, 0] == 1.0  # tub=yes, lung=no -> either=yes
    # P(lung = yes) = 0.5 * 0.1 + 0.5 * 0.01
    assert net.query("lung")["lung"]["yes"] == pytest.approx(0.055, abs=1e-15)
    tub = net.query("tub", {"either": "yes"})["tub"]["yes"]
    p_tub, p_lung = 0.99 * 0.01 + 0.01 * 0.05, 0.055
    assert tub == pytest.approx(p_tub / (p_tub + p_lung - p_tub * p_lung), abs=1e-12)
    row = [["no", "yes", "yes", "yes", "yes", "yes", "yes"]]
    assert net.predict_proba(np.array(row, dtype=object)).shape == (1, 2)


def test_bif_round_trip_is_exact(tmp_path):
    net = read_bif(ASIA, target="lung")
    path = tmp_path / "asia.bif"
    net.to_bif(path)
    again = read_bif(path, target="lung")
    for v in net.dag_.nodes:
        assert again.cpts_[v].parents == net.cpts_[v].parents
        np.testing.assert_array_equal(again.cpts_[v].table, net.cpts_[v].table)
    rng = np.random.RandomState(0)
    X = rng.randint(0, 3, size=(40, 3))
    fitted = BayesNet(edges=[("y", "x0"), ("x0", "x1"), ("y", "x2")]).fit(X, X[:, 0] % 2)
    loaded = read_bif(fitted.to_bif())
    for v in fitted.dag_.nodes:
        np.testing.assert_array_equal(loaded.cpts_[v].table, fitted.cpts_[v].table)
    assert loaded.states_["x0"] == ("0", "1", "2")  # states come back as text
    binned = BayesNet().fit(rng.rand(20, 1), [0, 1] * 10)
    with pytest.raises(ValueError, match="cannot be written in BIF"):
        binned.to_bif()


def _fitted(column, states):
    """A naive Bayes net over one column named ``column`` holding ``states``."""
    X = pd.DataFrame({column: list(states) * 2})
    return BayesNet().fit(X, [0, 1] * len(states))


def test_to_bif_refuses_names_it_cannot_read_back():
    # Comment markers made read_bif drop text ('a/*b' ... 'c*/d' became one node 'a d', a state
    # 'http://a' an unreadable file); runs of whitespace came back as one space.
    for column, states in [
        ("a/*b", ["p", "q"]),
        ("c*/d", ["p", "q"]),
        ("e//f", ["p", "q"]),
        ("url", ["http://a", "b"]),
        ("my  col", ["p", "q"]),
        ("tab\tcol", ["p", "q"]),
        ("col", ["p  q", "p q"]),
        ("col", ["p\u00a0q", "r"]),
    ]:
        with pytest.raises(ValueError, match="cannot be written in BIF"):
            _fitted(column, states).to_bif()
    with pytest.raises(ValueError, match="cannot be written in BIF"):
        _fitted("col", ["p", "q"]).to_bif(name="net // v2")
    # What the reader gives back unchanged is still written: single spaces, a lone '/' or '*'.
    net = _fitted("a b/c*d", ["p q", "r/s", "t*u"])
    back = read_bif(net.to_bif(name="net v2"), target="y")
    assert back.dag_.nodes == ["a b/c*d", "y"]
    assert back.states_["a b/c*d"] == ("p q", "r/s", "t*u")


@pytest.mark.parametrize(
    "text, message",
    [
        ("variable a { type discrete [ 2 ] { x, y } }", "line 1: expected ';', got '}'"),
        ("variable a {\n type discrete [ 3 ] { x, y };\n}", r"line 2: \[ 3 \] states declared"),
        (
            "variable a { type discrete [ 2 ] { x, y }; }\nprobability ( a ) {\n table 0.5; }",
            "line 3: 2 probabilities expected, got 1",
        ),
        (
            "variable a { type discrete [ 2 ] { x, y }; }\nprobability ( a | b ) { (x) 1, 0; }",
            "line 2: probability of undeclared variable 'b'",
        ),
        (
            "variable a { type discrete [ 2 ] { x, y }; }\nprobability ( a ) {\n table 0.5, x; }",
            "line 3: expected a probability, got 'x'",
        ),
        (
            "variable a { type discrete [ 2 ] { x, y }; }\nprobability ( a ) { table 0.7, 0.7; }",
            "line 2: the probabilities of 'a' are not distributions",
        ),
        (
            "variable a { type discrete [ 2 ] { x, y }; }\n"
            "variable b { type discrete [ 2 ] { x, y }; }\nprobability ( a ) { table 0.5, 0.5; }\n"
            "probability ( b | a ) {\n (z) 0.5, 0.5; (y) 0.5, 0.5; }",
            "line 5: 'z' is not a state of 'a'",
        ),
        (
            "variable a { type discrete [ 2 ] { x, y }; }\n"
            "variable b { type discrete [ 2 ] { x, y }; }\nprobability ( a ) { table 0.5, 0.5; }\n"
            "probability ( b | a, a ) {\n (x, x) 0.5, 0.5; (x, y) 0.5, 0.5;\n"
            " (y, x) 0.5, 0.5; (y, y) 0.5, 0.5; }",
            "line 4: 'a' appears twice in the probability of 'b'",
        ),
        (
            "variable a { type discrete [ 2 ] { x, y }; }\n"
            "probability ( a | a ) { (x) 0.5, 0.5; (y) 0.5, 0.5; }",
            "line 2: 'a' appears twice in the probability of 'a'",
        ),
        ("variable a { type discrete [ 2 ] { x, y }; }\n\nfoo", "line 3: expected 'network'"),
        ("variable a { type discrete [ 2 ] { x, y }; }", r"no probability block for \['a'\]"),
    ],
)
def test_read_bif_malformed_file_names_the_line(text, message):
    with pytest.raises(ValueError, match=message):
        read_bif(text)


NETWORKS = ["asia", "cancer", "sachs", "child", "alarm", "insurance", "hailfinder", "win95pts"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NETWORKS)
def test_read_bif_equals_pgmpy_on_its_bundled_networks(name):
    pgmpy_utils = pytest.importorskip("pgmpy.utils")
    import os
    import warnings

    from pgmpy.inference import VariableElimination

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pgmpy_utils.get_example_model(name)
    path = os.path.join(os.path.dirname(pgmpy_utils.__file__), "example_models", f"{name}.bif.gz")
    net = read_bif(path)
    assert set(net.dag_.edges) == set(reference.edges())
    for cpd in reference.get_cpds():
        v = cpd.variable
        ours = net.cpts_[v]
        parents = list(cpd.variables[1:])
        values = cpd.get_values().reshape((len(ours.states), *[cpd.cardinality[1:]][0]))
        values = np.moveaxis(values, 0, -1)
        values = np.transpose(values, [parents.index(p) for p in ours.parents] + [len(parents)])
        assert list(cpd.state_names[v]) == list(ours.states)
        np.testing.assert_array_equal(ours.table, values)
    again = read_bif(net.to_bif())
    for v in net.dag_.nodes:
        np.testing.assert_array_equal(again.cpts_[v].table, net.cpts_[v].table)
    # Queries agree with pgmpy's variable elimination.
    rng = np.random.RandomState(0)
    ve = VariableElimination(reference)
    nodes = list(net.dag_.nodes)
    for _ in range(5):
        picks = rng.permutation(len(nodes))
        query, observed = nodes[picks[0]], [nodes[i] for i in picks[1:4]]
        X, _ = net.sample(1, random_state=rng)
        row = dict(zip(nodes[:-1], X[0]))
        evidence = {v: row.get(v, net.classes_[0]) for v in observed}
        ours = net.query(query, evidence)[query]
        theirs = ve.query([query], evidence=evidence, show_progress=False)
        expected = [theirs.get_value(**{query: s}) for s in ours]
        np.testing.assert_allclose(list(ours.values()), expected, atol=1e-9)
