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
    "single_threaded",
    "torch_seeded",
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


def single_threaded(method):
    """Run ``method`` with torch limited to one CPU thread, restoring the caller's setting after.

    The networks of the package are small: OpenMP intra-op threads cost more in synchronization
    than they save (about 5x slower fits measured on a 2-core machine under load), so training,
    sampling and scoring on CPU run single-threaded.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            import torch
        except ImportError:  # the method itself raises the helpful ImportError
            return method(self, *args, **kwargs)

        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return method(self, *args, **kwargs)
        finally:
            torch.set_num_threads(previous)

    return wrapper
