"""Drawing a DAG with matplotlib alone (no graphviz), for the notes' d-separation pictures."""

__all__ = ["plot_dag"]


def _layered_positions(dag):
    """A node's row is the length of the longest path from a root; rows are centred."""
    depth = {}
    for v in dag.topological_order():
        depth[v] = 1 + max((depth[p] for p in dag.parents(v)), default=-1)
    rows = {}
    for v, d in depth.items():
        rows.setdefault(d, []).append(v)
    pos = {}
    for d, nodes in rows.items():
        for i, v in enumerate(nodes):
            pos[v] = (i - (len(nodes) - 1) / 2, -d)
    return pos


def plot_dag(dag, ax=None, observed=(), trail=None, title=None, node_size=2600, fontsize=7):
    """Draw ``dag`` in layers: observed nodes shaded, an (active) trail's edges in red.

    Parameters
    ----------
    dag : DAG
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.
    observed : collection of nodes, default=()
        Nodes drawn shaded (the evidence).
    trail : list of nodes, default=None
        A trail (e.g. from :meth:`DAG.explain`) whose edges are drawn in red.
    title : str, default=None
    node_size : float, default=2600
        Marker area of the nodes, in points squared.
    fontsize : float, default=7

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_notes import DAG, plot_dag
    >>> g = DAG([("rain", "wet"), ("sprinkler", "wet")])
    >>> ax = plot_dag(g, observed=["wet"], trail=g.explain("rain", "sprinkler", "wet"))
    >>> sorted(t.get_text() for t in ax.texts if t.get_text())
    ['rain', 'sprinkler', 'wet']
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    pos = _layered_positions(dag)
    on_trail = set(zip(trail, trail[1:])) | set(zip(trail[1:], trail)) if trail else set()
    observed = set(observed)
    for u, v in dag.edges:
        red = (u, v) in on_trail
        ax.annotate(
            "",
            xy=pos[v],
            xytext=pos[u],
            arrowprops=dict(
                arrowstyle="-|>",
                color="tab:red" if red else "0.4",
                lw=2.5 if red else 1.2,
                shrinkA=22,
                shrinkB=22,
            ),
        )
    for v, (x, y) in pos.items():
        face = "0.75" if v in observed else "white"
        ax.scatter([x], [y], s=node_size, c=face, edgecolors="black", zorder=3)
        ax.text(
            x, y, str(v).replace("_", "\n"), ha="center", va="center", fontsize=fontsize, zorder=4
        )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    if title:
        ax.set_title(title, fontsize=9)
    ax.axis("off")
    return ax
