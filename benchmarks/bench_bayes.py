"""Benchmarks of the Bayes families, ours and the reference side by side in one process.

1. d-separation queries on random DAGs of 100, 1,000 and 10,000 nodes: ``sklearn_notes.DAG``
   against networkx ``is_d_separator`` (and pgmpy's ``DAG.is_dconnected`` when installed).
   Graphs are built once; each side then answers the same queries; the answers must agree.
2. Exact inference on a random 35-node network with evidence: variable elimination
   (:meth:`BayesNet.query`) alone, and on a 20-node network also against brute-force enumeration of
   the full joint table (2**20 entries), with the answers compared.
3. ``GaussianNB`` fit + predict_proba against scikit-learn's on digits.
4. Inference that scales, against pgmpy 1.1 (``VariableElimination``, one query per row) on random
   networks (2-3 states, random CPTs): ``predict_proba`` on 20 fully observed rows of a 100-node
   network (up to 3 parents among all earlier nodes), with the peak memory of ours; queries with 20
   evidence nodes among the last 10 % of a 500-node network (up to 2 parents among all earlier
   nodes); ``predict_proba`` on 100 rows of a 2,000-node network whose parents are among the 10
   previous nodes (fully observed, and with 20 % of the entries missing). Answers must agree to
   1e-9.
5. Structure learning on rows sampled from pgmpy's bundled alarm network (read with ``read_bif``):
   Chow-Liu and TAN against pgmpy's ``TreeSearch``, hill climbing with BIC and BDeu against
   ``HillClimbSearch`` with the same score, both graphs scored by pgmpy; then, on asia and alarm, the
   precision / recall of the learned edges against the true graph and the held-out accuracy of
   each structure (every structure's CPTs fitted by ``BayesNet``) next to ``CategoricalNB``.

Runs are interleaved (ours, theirs, ours, theirs, ...) and the best of each is kept, so that noise
from other processes hits both sides alike. ``--quick`` makes a short smoke run.

Usage: ``python benchmarks/bench_bayes.py [--quick]``
"""

import argparse
import os
import sys
import tracemalloc
import warnings

import networkx as nx
import numpy as np
import pandas as pd
from sklearn import naive_bayes as sk_nb
from sklearn.datasets import load_digits

from sklearn_notes import CPT, DAG, BayesNet, GaussianNB, read_bif
from sklearn_notes.bayes_net._bayes_net import _from_cpts

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_of


def random_dag(n, mean_parents, rng):
    """Random DAG on 0..n-1: each node draws Poisson(mean_parents) parents among earlier nodes,
    then the labels are shuffled so that the numbering says nothing about the order."""
    label = rng.permutation(n)
    edges = []
    for j in range(1, n):
        k = min(j, rng.poisson(mean_parents))
        for i in rng.choice(j, size=k, replace=False):
            edges.append((int(label[i]), int(label[j])))
    return edges


def random_queries(n, count, rng, n_given):
    out = []
    for _ in range(count):
        picks = rng.choice(n, size=2 + n_given, replace=False).tolist()
        out.append((picks[0], picks[1], picks[2:]))
    return out


def bench_d_separation(sizes, n_queries, repeats, rng):
    try:
        from pgmpy.base import DAG as PgmpyDAG
    except ImportError:
        PgmpyDAG = None
    print("d-separation: per-query time (graph built once; same queries on each side)")
    print(f"{'nodes':>7} {'edges':>7} {'ours':>10} {'networkx':>10} {'ratio':>7}  agree")
    ratios = {}
    for n in sizes:
        edges = random_dag(n, 2.0, rng)
        ours = DAG(edges, nodes=range(n))
        ref = nx.DiGraph(edges)
        ref.add_nodes_from(range(n))
        queries = random_queries(n, n_queries, rng, n_given=min(5, n - 2))
        ours.is_d_separated(*queries[0])  # compile / load the numba kernels outside the timing

        def run_ours(queries=queries, ours=ours):
            return [ours.is_d_separated(x, y, z) for x, y, z in queries]

        def run_nx(queries=queries, ref=ref):
            return [nx.is_d_separator(ref, {x}, {y}, set(z)) for x, y, z in queries]

        fns = [run_ours, run_nx]
        if PgmpyDAG is not None and n <= 1000:  # pgmpy takes seconds per query beyond
            pg = PgmpyDAG(edges)
            pg.add_nodes_from(range(n))
            fns.append(
                lambda pg=pg, queries=queries: [
                    not pg.is_dconnected(x, y, z) for x, y, z in queries
                ]
            )
        times, results = best_of(fns, repeats)
        agree = all(r == results[0] for r in results[1:])
        per = [t / len(queries) for t in times]
        ratios[n] = per[1] / per[0]
        line = f"{n:>7} {len(edges):>7} {per[0] * 1e6:>8.1f}us {per[1] * 1e6:>8.1f}us "
        line += f"{ratios[n]:>6.1f}x  {agree}"
        if len(per) > 2:
            line += f"   pgmpy {per[2] * 1e6:.1f}us ({per[2] / per[0]:.1f}x)"
        print(line)
        n_sep = sum(results[0])
        print(f"{'':>7} ({n_sep}/{len(queries)} queries d-separated)")
    return ratios


def sample_network(n_nodes, max_parents, n_samples, rng):
    """A random binary network and data sampled from it (ancestral sampling)."""
    names = [f"v{i}" for i in range(n_nodes)]
    edges = []
    data = np.zeros((n_samples, n_nodes), dtype=int)
    for j in range(n_nodes):
        parents = sorted(rng.choice(j, size=min(j, rng.randint(0, max_parents + 1)), replace=False))
        edges += [(names[i], names[j]) for i in parents]
        probs = rng.beta(0.7, 0.7, size=2 ** len(parents))
        config = np.zeros(n_samples, dtype=int)
        for i in parents:
            config = 2 * config + data[:, i]
        data[:, j] = rng.rand(n_samples) < probs[config]
    return names, edges, data


def brute_force(model, variable, evidence):
    """P(variable | evidence) by summing the full joint table of the fitted model."""
    nodes = model.dag_.nodes
    args = []
    for v in nodes:
        cpt = model.cpts_[v]
        args += [cpt.table, [nodes.index(p) for p in cpt.parents] + [nodes.index(v)]]
    joint = np.einsum(*args, list(range(len(nodes))), optimize="greedy")
    index = tuple(evidence.get(v, slice(None)) for v in nodes)
    sub = joint[index]
    kept = [v for v in nodes if v not in evidence]
    marginal = sub.sum(axis=tuple(i for i, v in enumerate(kept) if v != variable))
    return marginal / marginal.sum()


def bench_inference(n_nodes, repeats, rng, compare):
    names, edges, data = sample_network(n_nodes, 3, 5000, rng)
    target = names[-1]
    model = BayesNet(edges=edges, target=target, discretize=False)
    # The node names come from the DataFrame's columns.
    model.fit(pd.DataFrame(data[:, :-1], columns=names[:-1]), data[:, -1])
    observed = rng.choice(n_nodes - 1, size=n_nodes // 4, replace=False)
    evidence = {names[i]: int(data[0, i]) for i in observed}
    query = next(v for v in names[:-1] if v not in evidence)
    fns = [lambda: model.query(query, evidence)[query]]
    if compare:
        fns.append(lambda: brute_force(model, query, evidence))
    times, results = best_of(fns, repeats)
    line = f"{n_nodes:>3} nodes, {len(edges)} edges, {len(evidence)} observed: "
    line += f"variable elimination {times[0] * 1e3:.2f} ms"
    if compare:
        ve = np.array(list(results[0].values()))
        err = np.abs(ve - results[1]).max()
        line += f", brute force {times[1] * 1e3:.1f} ms ({times[1] / times[0]:.0f}x), "
        line += f"max |difference| {err:.1e}"
    print(line)


def bench_gaussian_nb(repeats):
    X, y = load_digits(return_X_y=True)

    def ours():
        return GaussianNB().fit(X, y).predict_proba(X)

    def theirs():
        return sk_nb.GaussianNB().fit(X, y).predict_proba(X)

    times, results = best_of([ours, theirs], repeats)
    diff = np.abs(results[0] - results[1]).max()
    print(
        f"GaussianNB digits fit+predict_proba: ours {times[0] * 1e3:.2f} ms, sklearn "
        f"{times[1] * 1e3:.2f} ms ({times[1] / times[0]:.2f}x), max |proba difference| {diff:.1e}"
    )


# --- 4. inference that scales, against pgmpy -------------------------------------------------------


def random_cpts(n, max_parents, window, rng):
    """CPTs of a random network v0..v{n-1}: up to ``max_parents`` parents among the earlier nodes
    (the ``window`` previous ones when given), 2-3 states, rows drawn from Dirichlet(1)."""
    cards = rng.randint(2, 4, size=n)
    names = [f"v{i}" for i in range(n)]
    cpts = []
    for j in range(n):
        lo = 0 if window is None else max(0, j - window)
        k = min(j - lo, rng.randint(0, max_parents + 1))
        pa = sorted(rng.choice(np.arange(lo, j), size=k, replace=False).tolist()) if k else []
        shape = tuple(cards[pa]) + (cards[j],)
        table = rng.dirichlet(np.ones(cards[j]), size=int(np.prod(shape[:-1]))).reshape(shape)
        cpts.append(
            CPT(
                names[j],
                tuple(names[p] for p in pa),
                tuple(range(cards[j])),
                tuple(tuple(range(cards[p])) for p in pa),
                table,
            )
        )
    return cpts


def to_pgmpy(model):
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    reference = DiscreteBayesianNetwork(model.dag_.edges)
    reference.add_nodes_from(model.dag_.nodes)
    for v, cpt in model.cpts_.items():
        k = cpt.table.shape[-1]
        names = {
            v: list(cpt.states),
            **{p: list(s) for p, s in zip(cpt.parents, cpt.parent_states)},
        }
        reference.add_cpds(
            TabularCPD(
                v,
                k,
                cpt.table.reshape(-1, k).T,  # pgmpy: one column per parent configuration
                evidence=list(cpt.parents) or None,
                evidence_card=[len(s) for s in cpt.parent_states] or None,
                state_names=names,
            )
        )
    return reference


def _pgmpy_rows(ve, model, X):
    out = []
    for row in X.itertuples(index=False):
        evidence = {c: v for c, v in zip(X.columns, row) if v == v}
        factor = ve.query([model.target], evidence=evidence, show_progress=False)
        out.append([factor.get_value(**{model.target: c}) for c in model.classes_])
    return np.array(out)


def _peak_memory(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_predict_proba(n_nodes, n_rows, repeats, rng, pgmpy=True, missing=0.0, window=None):
    from pgmpy.inference import VariableElimination

    model = _from_cpts(random_cpts(n_nodes, 3, window, rng), f"v{n_nodes // 2}")
    X, _ = model.sample(n_rows, random_state=rng)
    X = pd.DataFrame(X.astype(float), columns=model.feature_names_in_)
    X = X.mask(rng.rand(*X.shape) < missing)
    model.predict_proba(X)  # compile / warm up outside the timing
    fns = [lambda: model.predict_proba(X)]
    if pgmpy:
        ve = VariableElimination(to_pgmpy(model))
        fns.append(lambda: _pgmpy_rows(ve, model, X))
    times, results = best_of(fns, repeats)
    peak = _peak_memory(lambda: model.predict_proba(X))
    line = (
        f"{n_nodes:>5} nodes, {n_rows} rows ({missing:.0%} missing): ours {times[0] * 1e3:.1f} ms"
    )
    line += f" (peak {peak / 2**20:.1f} MiB)"
    if pgmpy:
        err = np.abs(results[0] - results[1]).max()
        line += (
            f", pgmpy {times[1] * 1e3:.0f} ms ({times[1] / times[0]:.1f}x), max |diff| {err:.1e}"
        )
        assert err < 1e-9
    print(line)
    return times


def bench_late_evidence(n_nodes, n_queries, repeats, rng):
    from pgmpy.inference import VariableElimination

    model = _from_cpts(random_cpts(n_nodes, 2, None, rng), f"v{n_nodes - 1}")
    late = rng.choice(np.arange(int(0.9 * n_nodes), n_nodes), size=20, replace=False)
    evidence = {f"v{i}": int(rng.randint(2)) for i in late}
    candidates = [f"v{i}" for i in rng.permutation(n_nodes) if f"v{i}" not in evidence]
    queries = candidates[:n_queries]
    ve = VariableElimination(to_pgmpy(model))
    model.query(queries[0], evidence)
    total = [0.0, 0.0]
    worst = 0.0
    for q in queries:
        times, results = best_of(
            [
                lambda q=q: list(model.query(q, evidence)[q].values()),
                lambda q=q: ve.query([q], evidence=evidence, show_progress=False).values,
            ],
            repeats,
        )
        assert np.abs(np.array(results[0]) - results[1]).max() < 1e-9
        total = [a + b for a, b in zip(total, times)]
        worst = max(worst, times[0] / times[1])
    print(
        f"{n_nodes} nodes, 20 late evidence nodes, {len(queries)} queries: ours "
        f"{total[0] * 1e3:.0f} ms, pgmpy {total[1] * 1e3:.0f} ms ({total[1] / total[0]:.1f}x); "
        f"slowest query relative to pgmpy: {worst:.2f}x its time"
    )
    return total


# --- 5. structure learning --------------------------------------------------------------------


def _bundled(name):
    import pgmpy.utils

    return os.path.join(os.path.dirname(pgmpy.utils.__file__), "example_models", f"{name}.bif.gz")


def _precision_recall(learned, true):
    learned, true = set(learned), set(true)
    skeleton = {frozenset(e) for e in learned}
    true_skeleton = {frozenset(e) for e in true}
    hit, hit_skeleton = len(learned & true), len(skeleton & true_skeleton)
    return (
        hit / max(len(learned), 1),
        hit / len(true),
        hit_skeleton / max(len(skeleton), 1),
        hit_skeleton / len(true_skeleton),
    )


def bench_structure(name, target, n_rows, repeats, rng, timing):
    from pgmpy.estimators import BIC, BDeu, HillClimbSearch, TreeSearch
    from sklearn.naive_bayes import CategoricalNB
    from sklearn.preprocessing import OrdinalEncoder

    true = read_bif(_bundled(name), target=target)
    X, y = true.sample(n_rows, random_state=rng)
    Xt, yt = true.sample(n_rows // 2, random_state=rng)
    columns = list(true.feature_names_in_)
    frame, test = pd.DataFrame(X, columns=columns), pd.DataFrame(Xt, columns=columns)
    full = frame.assign(**{target: y})

    def ours(edges):
        return BayesNet(edges=edges, target=target, alpha=1.0).fit(frame, y)

    runs = {
        "chow-liu": (
            lambda: ours("chow-liu"),
            lambda: TreeSearch(full, root_node=target).estimate(
                estimator_type="chow-liu", show_progress=False
            ),
        ),
        "tan": (
            lambda: ours("tan"),
            lambda: TreeSearch(full, root_node=columns[0]).estimate(
                estimator_type="tan", class_node=target, show_progress=False
            ),
        ),
        "hill-climb": (
            lambda: ours("hill-climb"),
            lambda: HillClimbSearch(full).estimate(scoring_method="bic-d", show_progress=False),
        ),
        "hc-bdeu": (
            lambda: BayesNet(edges="hill-climb", scoring="bdeu", target=target).fit(frame, y),
            lambda: HillClimbSearch(full).estimate(scoring_method="bdeu", show_progress=False),
        ),
    }
    scores = {"hill-climb": BIC(full), "hc-bdeu": BDeu(full)}
    rows = []
    for method, (fn_ours, fn_pgmpy) in runs.items():
        if timing:
            times, (model, graph) = best_of([fn_ours, fn_pgmpy], repeats)
        else:
            times, model, graph = None, fn_ours(), fn_pgmpy()
        line = f"{name} {method:>10}"
        if times:
            line += f": ours {times[0]:.2f} s (fit included), pgmpy {times[1]:.2f} s "
            line += f"({times[1] / times[0]:.1f}x)"
        if method in scores:
            from pgmpy.models import DiscreteBayesianNetwork

            score_ours = scores[method].score(DiscreteBayesianNetwork(model.dag_.edges))
            score_pgmpy = scores[method].score(graph)
            line += f", score ours {score_ours:,.1f}, pgmpy {score_pgmpy:,.1f}"
        if timing:
            print(line)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a learned graph may leave the target alone
            theirs = ours(list(graph.edges()))
        for who, m in (("ours", model), ("pgmpy", theirs)):
            rows.append(
                (
                    method,
                    who,
                    _precision_recall(m.dag_.edges, true.dag_.edges),
                    np.mean(m.predict(test) == yt),
                )
            )
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(frame)
    nb = CategoricalNB(min_categories=[len(c) for c in encoder.categories_])
    nb.fit(encoder.transform(frame), y)
    nb_acc = np.mean(nb.predict(np.maximum(encoder.transform(test), 0)) == yt)
    true_acc = np.mean(true.predict(test) == yt)
    print(
        f"{name} ({len(true.dag_.edges)} edges), target {target!r}, {n_rows:,} rows, "
        f"held-out accuracy: true graph {true_acc:.3f}, CategoricalNB {nb_acc:.3f}"
    )
    print(f"  {'method':>10} {'by':>6}  precision/recall (directed)  (skeleton)   accuracy")
    for method, who, (p, r, ps, rs), acc in rows:
        print(
            f"  {method:>10} {who:>6}  {p:.2f} / {r:.2f}                {ps:.2f} / {rs:.2f}  "
            f"{acc:.3f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    args = parser.parse_args(argv)
    rng = np.random.RandomState(0)
    if args.quick:
        sizes, n_queries, repeats = (100, 1000), 20, 2
    else:
        sizes, n_queries, repeats = (100, 1000, 10_000), 100, 5
    ratios = bench_d_separation(sizes, n_queries, repeats, rng)
    print()
    bench_inference(12 if args.quick else 20, repeats, rng, compare=True)
    bench_inference(35, repeats, rng, compare=False)
    print()
    bench_gaussian_nb(4 * repeats)  # milliseconds each: more repeats against noise
    print()
    rng = np.random.RandomState(0)
    bench_predict_proba(100, 20, repeats, rng)
    bench_late_evidence(500, 4 if args.quick else 20, repeats, rng)
    for missing in (0.0, 0.2):
        times = bench_predict_proba(
            2000, 100, repeats, rng, pgmpy=False, missing=missing, window=10
        )
        print(f"      2,000-node predict_proba within 1 s: {times[0] < 1.0}")
    print()
    n_rows = 2000 if args.quick else 20_000
    rng = np.random.RandomState(0)  # the same samples whatever ran before
    bench_structure("asia", "dysp", n_rows, 1, rng, timing=False)
    bench_structure("alarm", "BP", n_rows, 1 if args.quick else 2, rng, timing=True)
    largest = max(ratios)
    print(f"\nd-separation speed-up at {largest} nodes: {ratios[largest]:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
