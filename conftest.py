"""Test-session settings (doctests in sklearn_notes/ and tests/ alike).

pytest-xdist runs one worker per core; a worker whose BLAS, numba or torch also starts a thread per core
oversubscribes the CPU, and OpenBLAS's spinning threads then make small matrix products ten times
slower. The estimators under test are small, so each worker computes on one thread.
"""

import numba
from hypothesis import settings
from threadpoolctl import threadpool_limits

# Hypothesis draws the same examples on every run (so a suite that passed here passes on CI's fresh
# clone); `pytest --hypothesis-profile=explore` draws new random ones to hunt for corner cases,
# which then become explicit @example cases of their test.
settings.register_profile("default", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("default")

threadpool_limits(limits=1)
numba.set_num_threads(1)  # the parallel k-means E-step: one thread per worker too

try:
    import torch
except ImportError:  # torch is the optional "deep" extra: its modules are not collected
    torch = None
    collect_ignore = [
        "sklearn_notes/generative/_nets.py",
        "sklearn_notes/neural_network/_torch_modules.py",
    ]

if torch is not None:
    torch.set_num_threads(1)
