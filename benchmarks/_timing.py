"""Shared timing helper of the benchmark scripts: interleaved runs, best of each.

This machine is noisy: timing ours, then theirs, in two blocks lets a burst of load land on one of
them. Running them in turn (ours, theirs, ours, theirs, ...) and keeping each one's best time
compares them under the same conditions. When the whole machine slows for long stretches (a
neighbour's load), no round may be quiet for both; :func:`interleaved` keeps every round, so a
benchmark can take the median over the rounds of the ratio of two adjacent calls, which such a
slowdown scales alike.
"""

import time

import numpy as np

__all__ = ["best_of", "interleaved"]


def interleaved(fns, repeats=3):
    """Call the callables in turn, ``repeats`` rounds; every time of every round.

    Parameters
    ----------
    fns : sequence of callable
        Zero-argument callables, called in this order in every round.
    repeats : int, default=3
        Rounds.

    Returns
    -------
    times : ndarray of shape (repeats, len(fns))
        Seconds of each call, one row per round.
    results : list
        Each callable's return value from the last round.
    """
    times = np.empty((repeats, len(fns)))
    results = [None] * len(fns)
    for r in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            results[i] = fn()
            times[r, i] = time.perf_counter() - start
    return times, results


def best_of(fns, repeats=3):
    """:func:`interleaved` (same parameters), keeping each callable's fastest time.

    Returns
    -------
    times : list of float
        Best time of each callable, in seconds.
    results : list
        Each callable's return value from the last round.
    """
    times, results = interleaved(fns, repeats)
    return times.min(axis=0).tolist(), results
