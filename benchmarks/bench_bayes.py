"""Benchmarks of the Bayes families, ours and the reference side by side in one process.

1. d-separation queries on random DAGs of 100, 1,000 and 10,000 nodes: ``sklearn_notes.DAG``
   against networkx ``is_d_separator`` (and pgmpy's ``DAG.is_dconnected`` when installed).
   Graphs are built once; each side then answers the same queries; the answers must agree.
2. Exact inference on a random 35-node network with evidence: variable elimination
   (:meth:`BayesNet.query`) alone, and on a 20-node network also against brute-force enumeration of
   the full joint table (2**20 entries), with the answers compared.
3. ``GaussianNB`` fit + predict_proba against scikit-learn's on digits.

Runs are interleaved (ours, theirs, ours, theirs, ...) and the best of each is kept, so that noise
from other processes hits both sides alike. ``--quick`` makes a short smoke run.

Usage: ``python benchmarks/bench_bayes.py [--quick]``
"""

import argparse
import os
import sys

import networkx as nx
import numpy as np
import pandas as pd
from sklearn import naive_bayes as sk_nb
from sklearn.datasets import load_digits

from sklearn_notes import DAG, BayesNet, GaussianNB

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
        if PgmpyDAG is not None:
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
    largest = max(ratios)
    print(f"\nd-separation speed-up at {largest} nodes: {ratios[largest]:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
