"""Shared timing helper of the benchmark scripts: interleaved runs, best of each.

This machine is noisy: timing ours, then theirs, in two blocks lets a burst of load land on one of
them. Running them in turn (ours, theirs, ours, theirs, ...) and keeping each one's best time
compares them under the same conditions.
"""

import time

__all__ = ["interleaved_best"]


def interleaved_best(runs, repeats=3):
    """Time each callable ``repeats`` times, in turn, and keep each one's fastest run.

    Parameters
    ----------
    runs : dict of str -> callable
        Name -> zero-argument callable; its return value of the fastest run is kept too.
    repeats : int, default=3
        Rounds; each round calls every callable once, in the dict's order.

    Returns
    -------
    best : dict of str -> (float, object)
        Name -> (best time in seconds, return value of that run).
    """
    best = {name: (float("inf"), None) for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - start
            if elapsed < best[name][0]:
                best[name] = (elapsed, result)
    return best
