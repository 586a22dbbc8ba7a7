"""Shared timing helper of the benchmark scripts: interleaved runs, best of each.

This machine is noisy: timing ours, then theirs, in two blocks lets a burst of load land on one of
them. Running them in turn (ours, theirs, ours, theirs, ...) and keeping each one's best time
compares them under the same conditions.
"""

import time

__all__ = ["best_of"]


def best_of(fns, repeats=3):
    """Call the callables in turn, ``repeats`` rounds; keep each one's fastest time.

    Parameters
    ----------
    fns : sequence of callable
        Zero-argument callables, called in this order in every round.
    repeats : int, default=3
        Rounds.

    Returns
    -------
    times : list of float
        Best time of each callable, in seconds.
    results : list
        Each callable's return value from the last round.
    """
    times = [float("inf")] * len(fns)
    results = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            results[i] = fn()
            times[i] = min(times[i], time.perf_counter() - start)
    return times, results
