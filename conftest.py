"""Test-session settings (doctests in sklearn_notes/ and tests/ alike)."""

try:
    import torch
except ImportError:  # the torch-backed estimators' tests skip themselves
    torch = None

if torch is not None:
    # The torch models under test are tiny: one thread is fastest, and pytest-xdist already runs
    # one worker per core (more threads only oversubscribe the CPU).
    torch.set_num_threads(1)
