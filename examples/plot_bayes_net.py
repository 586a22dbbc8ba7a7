"""
Bayesian network: d-separation cases, queries with and without evidence, explaining away
========================================================================================


The notes' d-separation rule on the classic alarm network (Pearl): a burglary or an earthquake sets
the alarm off, and the alarm makes John and Mary call. We sample data from known probabilities, fit
:class:`sklearn_notes.BayesNet` on it, and show

1. the three cases of the notes (chain, fork, collider) as d-separation statements, each with the
   active trail that :meth:`sklearn_notes.DAG.explain` returns when the nodes are d-connected;
2. posteriors from exact inference (variable elimination) with and without evidence;
3. explaining away, with numbers: once the alarm rings, learning that there was an earthquake makes
   a burglary much less likely, although burglary and earthquake are marginally independent;
4. the same network from the data alone (hill climbing with BIC), the most probable explanation of
   two calls (``map_query``) and rows drawn given them (``sample``).

The figure draws the network with :func:`sklearn_notes.plot_dag` (matplotlib only, no graphviz).
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_notes import BayesNet, plot_dag
from sklearn_notes.utils._examples import quick_mode, save_figure

EDGES = [
    ("burglary", "alarm"),
    ("earthquake", "alarm"),
    ("alarm", "john_calls"),
    ("alarm", "mary_calls"),
]


def sample_alarm_network(n, rng):
    """Ancestral sampling from the textbook probabilities (Russell & Norvig, fig. 14.2)."""
    burglary = rng.rand(n) < 0.01
    earthquake = rng.rand(n) < 0.02
    p_alarm = np.select(
        [burglary & earthquake, burglary, earthquake], [0.95, 0.94, 0.29], default=0.001
    )
    alarm = rng.rand(n) < p_alarm
    john = rng.rand(n) < np.where(alarm, 0.90, 0.05)
    mary = rng.rand(n) < np.where(alarm, 0.70, 0.01)
    X = pd.DataFrame(
        {"burglary": burglary, "earthquake": earthquake, "john_calls": john, "mary_calls": mary}
    ).astype(int)
    return X, alarm.astype(int)


def main():
    quick = quick_mode()
    rng = np.random.RandomState(0)
    X, alarm = sample_alarm_network(20_000 if quick else 500_000, rng)
    model = BayesNet(edges=EDGES, target="alarm", alpha=1.0).fit(X, alarm)
    dag = model.dag_
    print(model.cpts_["alarm"], end="\n\n")

    # 1. The notes' three d-separation cases.
    cases = [
        ("chain", "burglary", "john_calls", ()),
        ("chain, middle observed", "burglary", "john_calls", ("alarm",)),
        ("fork", "john_calls", "mary_calls", ()),
        ("fork, cause observed", "john_calls", "mary_calls", ("alarm",)),
        ("collider", "burglary", "earthquake", ()),
        ("collider, effect's child observed", "burglary", "earthquake", ("john_calls",)),
    ]
    print("d-separation (the notes: X and Y are CI given Z iff Z d-separates them)")
    panels = []
    for name, x, y, z in cases:
        separated = model.is_d_separated(x, y, z)
        trail = model.explain(x, y, z)
        given = f" | {', '.join(z)}" if z else ""
        verdict = "d-separated" if separated else f"d-connected via {' - '.join(trail)}"
        print(f"  {name:<34} {x} vs {y}{given}: {verdict}")
        panels.append((name, x, y, z, separated, trail))
    print("  minimal separators:", [str(s) for s in dag.independencies()])

    # 2. Queries with and without evidence.
    print("\nposterior P(burglary = 1 | evidence)")
    evidence_sets = [
        {},
        {"john_calls": 1},
        {"john_calls": 1, "mary_calls": 1},
        {"alarm": 1},
        {"alarm": 1, "earthquake": 1},
    ]
    probs = []
    for ev in evidence_sets:
        p = model.query("burglary", ev)["burglary"][1]
        probs.append(p)
        print(f"  {str(ev) or '{}':<45} {p:.4f}")
    joint = model.query(["burglary", "earthquake"], {"alarm": 1}, joint=True)
    print("  joint P(burglary, earthquake | alarm=1):", {k: round(v, 4) for k, v in joint.items()})

    # 3. Explaining away in numbers.
    p_alarm, p_alarm_eq = probs[3], probs[4]
    print(
        f"\nexplaining away: P(B | A) = {p_alarm:.3f} drops to P(B | A, E) = {p_alarm_eq:.3f} "
        f"({p_alarm / p_alarm_eq:.0f}x smaller), although P(B | E) = "
        f"{model.query('burglary', {'earthquake': 1})['burglary'][1]:.4f} = P(B) = {probs[0]:.4f}"
    )

    # 4. From data alone: the structure by hill climbing, the most probable explanation of both
    #    calls, and rows drawn given them.
    learned = BayesNet(edges="hill-climb", target="alarm").fit(X, alarm)
    skeleton = {frozenset(e) for e in learned.dag_.edges} == {frozenset(e) for e in EDGES}
    print(f"\nhill climbing (BIC) on the data: {sorted(learned.dag_.edges)}")
    print(f"  the true skeleton: {skeleton}")
    calls = {"john_calls": 1, "mary_calls": 1}
    print("  most probable explanation of both calls:", model.map_query(evidence=calls))
    Xs, ys = model.sample(2000, evidence=calls, random_state=0)
    print(
        f"  2,000 rows drawn given both calls: burglary in {Xs[:, 0].mean():.1%} of them "
        f"(exact: {probs[2]:.1%}), alarm in {ys.mean():.1%}"
    )

    fig = plt.figure(figsize=(13, 7))
    for k, (name, x, y, z, separated, trail) in enumerate(panels):
        ax = fig.add_subplot(2, 4, [1, 2, 3, 5, 6, 7][k])
        verdict = "d-separated" if separated else "d-connected"
        plot_dag(dag, ax=ax, observed=z, trail=trail, title=f"{name}\n{x} vs {y}: {verdict}")
    ax = fig.add_subplot(1, 4, 4)
    labels = ["none", "J", "J, M", "A", "A, E"]
    ax.bar(labels, probs, color=["0.6", "0.6", "0.6", "tab:red", "tab:blue"])
    ax.set_yscale("log")
    ax.set_ylabel("P(burglary = 1 | evidence)")
    ax.set_xlabel("evidence")
    ax.set_title("explaining away:\nA = alarm, E = earthquake", fontsize=9)
    fig.tight_layout()
    save_figure(fig, "bayes_net.png")


if __name__ == "__main__":
    main()
