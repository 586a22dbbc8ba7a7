"""torch helpers shared by the torch-backed estimators (neural_network, generative).

torch and skorch are an optional extra: they are imported here, on first use inside ``fit``, never
at ``import sklearn_notes``.
"""

import contextlib
import functools

import numpy as np

__all__ = [
    "MAX_SEED",
    "import_torch",
    "resolve_device",
    "seed_from",
    "n_threads",
    "single_threaded",
    "torch_seeded",
    "torch_threads",
    "uses_n_jobs",
]


def import_torch():
    """Import and return ``(torch, skorch)``, or raise an ImportError that says how to get them."""
    try:
        import skorch
        import torch
    except ImportError as exc:
        raise ImportError(
            "This estimator needs torch and skorch: pip install 'sklearn-notes[deep]' "
            "(install a CPU build of torch first on a machine without a GPU)."
        ) from exc
    return torch, skorch


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when a GPU is available (else ``"cpu"``); check ``"cuda"``."""
    torch, _ = import_torch()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but torch sees no CUDA device.")
    return device


MAX_SEED = int(np.iinfo(np.int32).max)


def seed_from(random_state):
    """Draw a torch seed from a numpy RandomState (``check_random_state`` output)."""
    return int(random_state.randint(MAX_SEED))


@contextlib.contextmanager
def torch_seeded(seed=None, device="cpu"):
    """Run a block on a fork of torch's global RNG (seeded with ``seed`` unless None).

    skorch's data loaders (also when predicting) and torch's weight initialization draw from the
    global generator; forking it makes a fit reproducible from ``random_state`` and leaves the
    caller's own torch random stream exactly where it was (the CUDA generators too when
    ``device`` is not "cpu").
    """
    torch, _ = import_torch()
    devices = [] if device == "cpu" else list(range(torch.cuda.device_count()))
    with torch.random.fork_rng(devices=devices):
        if seed is not None:
            torch.manual_seed(seed)
        yield


def n_threads(n_jobs):
    """Number of torch CPU threads for ``n_jobs`` (scikit-learn's convention: None is 1, -1 all).

    The networks of the package are small, so one thread is the default: OpenMP intra-op threads
    cost more in synchronization than they save on such layers, and a fit must not take every core
    of a shared machine unless asked to.
    """
    from joblib import effective_n_jobs

    return max(1, int(effective_n_jobs(n_jobs)))


@contextlib.contextmanager
def torch_threads(n_jobs):
    """Run a block with torch limited to ``n_threads(n_jobs)`` CPU threads, then restore."""
    try:
        import torch
    except ImportError:  # the block itself raises the helpful ImportError
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads(n_jobs))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def uses_n_jobs(method):
    """Run an estimator's ``method`` with as many torch threads as its ``n_jobs`` asks for.

    An estimator without an ``n_jobs`` parameter runs on one thread.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with torch_threads(getattr(self, "n_jobs", None)):
            return method(self, *args, **kwargs)

    return wrapper


# The name the generators' methods use; one mechanism, kept under its first name for them.
single_threaded = uses_n_jobs
