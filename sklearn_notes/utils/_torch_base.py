"""The one torch estimator base: what every torch-trained model of the package shares.

The CNN / RNN classifiers (``neural_network``) and the generators (``generative``) are plain
scikit-learn estimators that hold a private skorch net. skorch supplies the steps (``train_step``
-> ``infer`` -> ``get_loss``, the callbacks); :class:`TorchEstimator` owns the rest, once:

1. validation, device (:func:`~._torch.resolve_device`), torch threads (``n_jobs``), and a seed
   drawn from ``random_state`` on a forked torch RNG (:func:`~._torch.torch_seeded`);
2. the epoch loop (:func:`train_epochs`), bounded by ``max_epochs``: one progress bar over all
   epochs under ``verbose``, ``history`` as per-epoch means, early stopping on a held-out
   ``validation_fraction`` (a flag checked after each epoch, never an exception), a non-finite
   loss turned into a ``ValueError``;
3. training on a fresh or copied net and assigning it at the end, inside
   :func:`~._fit_guard.atomic_fit`, so that a failed or interrupted fit leaves the previous model
   exactly as it was. skorch's own ``partial_fit`` swallows ``KeyboardInterrupt`` (it uses it to
   stop training); this loop does not, so Ctrl-C propagates to the caller.

torch is imported only inside the functions that train, never at ``import sklearn_notes``.
"""

import copy
import math
import numbers
import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from ._stack import user_stacklevel
from ._torch import import_torch, resolve_device, torch_seeded, torch_threads

__all__ = [
    "ArrayBatches",
    "QuickModeSwitch",
    "TorchEstimator",
    "copy_net",
    "history_dict",
    "train_epochs",
]

#: Smallest decrease of the validation loss that counts as an improvement for early stopping.
EARLY_STOPPING_TOL = 1e-4


class ArrayBatches:
    """Shuffled mini-batches sliced from arrays held as tensors (a skorch ``iterator_train``).

    ``dataset`` is ``X`` or a tuple ``(X, *targets)`` of arrays with the same first dimension;
    batches are ``(X_batch, targets_batch)``, ``targets_batch`` a tuple or None. skorch's default
    ``DataLoader`` indexes and collates sample by sample, which costs more than the small networks
    of the package; slicing with one random permutation per epoch gives the batches a bare torch
    loop would use.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False):
        import torch

        arrays = dataset if isinstance(dataset, tuple) else (getattr(dataset, "X", dataset),)
        self.arrays = tuple(torch.as_tensor(a) for a in arrays)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(len(self.arrays[0]) / self.batch_size)

    def __iter__(self):
        import torch

        n = len(self.arrays[0])
        order = torch.randperm(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            index = (
                slice(start, start + self.batch_size)
                if order is None
                else order[start : start + self.batch_size]
            )
            X, *targets = (a[index] for a in self.arrays)
            yield X, (tuple(targets) if targets else None)


class QuickModeSwitch:
    """Mixin for the package's skorch nets: ``_set_training`` touches a module only when its mode
    changes.

    skorch calls it before every batch, and ``nn.Module.train`` walks all submodules each time: a
    fixed cost per batch that is several percent of a small network's step. The package's nets
    never switch submodules' modes on their own, so the top module's flag tells the mode of all.
    """

    def _set_training(self, training=True):
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if getattr(module, "training", training) != training:
                module.train(training)


class _EarlyStopping:
    """Stop when the validation loss has not improved by ``tol`` for ``patience`` epochs; keep the
    weights of the best epoch (scikit-learn's MLP does the same)."""

    def __init__(self, patience, tol=EARLY_STOPPING_TOL):
        self.patience, self.tol = patience, tol
        self.best, self.best_state, self.bad_epochs = np.inf, None, 0

    def should_stop(self, valid_loss, module):
        if valid_loss < self.best - self.tol:
            self.best, self.bad_epochs = valid_loss, 0
            self.best_state = copy.deepcopy(module.state_dict())
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


def _epoch_mean(history, prefix):
    """Batch-size weighted mean of the epoch's ``{prefix}_loss`` batch records (skorch's own)."""
    batches = [b for b in history[-1]["batches"] if f"{prefix}_loss" in b]
    sizes = np.array([b[f"{prefix}_batch_size"] for b in batches], dtype=np.float64)
    losses = np.array([b[f"{prefix}_loss"] for b in batches], dtype=np.float64)
    return float(np.dot(sizes, losses) / sizes.sum())


def train_epochs(net, data, *, valid=None, initialize=True, verbose=0, patience=None, name=None):
    """Train a skorch net for ``net.max_epochs`` epochs at most: the package's one training loop.

    Parameters
    ----------
    net : skorch.NeuralNet
        Its ``iterator_train`` / ``iterator_valid`` receive ``data`` and ``valid`` as given.
    data : ndarray or tuple of ndarray
        Training data: ``X``, or ``(X, *targets)``.
    valid : ndarray, tuple of ndarray or None, default=None
        Held-out data of the same form; its loss is recorded as ``valid_loss`` each epoch.
    initialize : bool, default=True
        False continues training an initialized net (warm start).
    verbose : int, default=0
        Show one progress bar over all epochs, with the latest losses.
    patience : int or None, default=None
        Early stopping: stop after this many epochs without a lower ``valid_loss`` and restore the
        module's weights of the best epoch. Needs ``valid``.
    name : str, default=None
        Model name used in messages and on the progress bar.

    Returns
    -------
    stopped_early : bool
        Whether early stopping ended training before ``net.max_epochs``.

    Raises
    ------
    ValueError
        When a training loss becomes NaN or infinite.
    KeyboardInterrupt
        Propagated as it came: the caller discards the partly trained net.
    """
    from tqdm.auto import tqdm

    name = name or type(net).__name__
    if initialize:
        net.initialize()
    on_epoch = {"dataset_train": data, "dataset_valid": valid}
    iterator_train = net.get_iterator(data, training=True)
    iterator_valid = None if valid is None else net.get_iterator(valid, training=False)
    stopper = None if patience is None else _EarlyStopping(patience)
    net.notify("on_train_begin", X=data, y=None)
    bar = tqdm(total=net.max_epochs, desc=name, disable=not verbose, unit="epoch")
    stopped_early = False
    try:
        for _ in range(net.max_epochs):
            net.notify("on_epoch_begin", **on_epoch)
            net.run_single_epoch(iterator_train, True, "train", net.train_step)
            net.run_single_epoch(iterator_valid, False, "valid", net.validation_step)
            net.notify("on_epoch_end", **on_epoch)
            losses = _record_losses(net, name, valid is not None)
            bar.set_postfix(_latest(net.history), refresh=False)
            bar.update()
            if stopper is not None and stopper.should_stop(losses["valid_loss"], net.module_):
                stopped_early = True
                break
    except FloatingPointError as exc:
        # a diverged fit is bad input or a bad hyper-parameter, which callers expect as ValueError
        raise ValueError(str(exc)) from exc
    finally:
        bar.close()
    if stopper is not None and stopper.best_state is not None:
        net.module_.load_state_dict(stopper.best_state)
    net.notify("on_train_end", X=data, y=None)
    return stopped_early


def _record_losses(net, name, has_valid):
    """Put the epoch's mean training (and validation) loss into the history; refuse NaN / inf."""
    row = net.history[-1]
    if "loss" not in row:  # a net's own callback may have recorded it, with its parts
        net.history.record("loss", _epoch_mean(net.history, "train"))
    if has_valid:
        net.history.record("valid_loss", _epoch_mean(net.history, "valid"))
    losses = {k: row[k] for k in ("loss", "valid_loss") if k in row}
    for key, value in losses.items():
        if not math.isfinite(value):
            raise FloatingPointError(
                f"{name} diverged: the {key} became {value} in epoch {len(net.history)}. Try a "
                f"smaller lr (now {net.lr}) and check X for extreme values."
            )
    return losses


_NOT_LOSSES = {"epoch", "batches", "dur", "train_batch_count", "valid_batch_count"}


def _loss_keys(history):
    return [k for k in history[-1] if k not in _NOT_LOSSES and not k.endswith("_best")]


def _latest(history):
    """The last epoch's losses (and their parts), for the progress bar."""
    return {k: f"{history[-1][k]:.4g}" for k in _loss_keys(history)}


def history_dict(history):
    """skorch History -> ``{name: list of per-epoch floats}`` (losses only, not timings)."""
    return {k: [float(row[k]) for row in history if k in row] for k in _loss_keys(history)}


def copy_net(net):
    """An independent copy of a skorch net on the same device, to train without touching ``net``.

    ``copy.deepcopy`` would go through skorch's pickling, which serializes every module and
    optimizer with ``torch.save`` so that a pickle can move between devices; a copy in place needs
    none of that. Deep-copying the attributes under one memo copies each tensor once, so the
    copied optimizers step the copied modules' parameters.
    """
    new = type(net).__new__(type(net))
    new.__dict__.update(copy.deepcopy(net.__dict__, {id(net): new}))
    return new


def _split(data, validation_fraction, seed, stratify=None):
    """Hold out ``validation_fraction`` of the rows of every array in ``data``."""
    from sklearn.model_selection import train_test_split

    parts = train_test_split(
        *data, test_size=validation_fraction, random_state=seed % (2**32), stratify=stratify
    )
    return tuple(parts[0::2]), tuple(parts[1::2])


def _as_dataset(arrays):
    """What the nets' batch iterators take: ``X`` alone, or the tuple ``(X, *targets)``."""
    return arrays[0] if len(arrays) == 1 else arrays


class TorchEstimator(BaseEstimator, metaclass=ABCMeta):
    """Base class of the torch-trained estimators (not for direct use).

    Parameters shared by every subclass: ``max_epochs``, ``batch_size``, ``lr``, ``device``,
    ``verbose``, ``random_state`` (constraints in ``_parameter_constraints``). A subclass that
    exposes ``n_jobs``, ``early_stopping``, ``validation_fraction`` and ``n_iter_no_change`` in
    its ``__init__`` adds ``_training_constraints``; one that does not gets the class defaults
    below (one thread, no early stopping).
    """

    _parameter_constraints = {
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    _training_constraints = {
        "n_jobs": [numbers.Integral, None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    n_jobs = None
    early_stopping = False
    validation_fraction = 0.1
    n_iter_no_change = 10

    @abstractmethod
    def fit(self, X, y=None):
        """Build the skorch net from the data and train it with :meth:`_train`."""

    def _train(self, net, data, *, seed, device, warm=False, stratify=None):
        """Train ``net`` (fresh, or a copy of the fitted one when ``warm``) on ``data``; return it.

        Runs on a torch RNG forked and seeded with ``seed`` and on ``n_jobs`` threads; holds out
        ``validation_fraction`` of the rows for early stopping when ``early_stopping`` is on.
        ``ConvergenceWarning`` when early stopping is on but ``max_epochs`` ended the fit.
        """
        import_torch()
        data = data if isinstance(data, tuple) else (data,)
        valid = None
        if self.early_stopping:
            data, valid = _split(data, self.validation_fraction, seed, stratify)
        with torch_threads(self.n_jobs), torch_seeded(seed, device):
            stopped = train_epochs(
                net,
                _as_dataset(data),
                valid=None if valid is None else _as_dataset(valid),
                initialize=not warm,
                verbose=self.verbose,
                patience=self.n_iter_no_change if self.early_stopping else None,
                name=type(self).__name__,
            )
        if self.early_stopping and not stopped:
            warnings.warn(
                f"{type(self).__name__}: max_epochs={self.max_epochs} ended the fit before early "
                f"stopping did (the validation loss never went n_iter_no_change="
                f"{self.n_iter_no_change} epochs without improving); consider raising "
                "max_epochs.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
        return net

    def _device(self):
        return resolve_device(self.device)
