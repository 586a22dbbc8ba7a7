"""The shared engine of the generators: a plain scikit-learn estimator around a skorch net.

skorch's own ``NeuralNet`` does not pass ``check_estimator`` (it validates nothing, rescales
nothing, keeps global torch RNG state), so every generator here is composition: a
:class:`BaseGenerator` subclass validates X, scales it to the model's working range, builds a
private skorch net (:mod:`._nets`) inside ``fit``, trains it through the package's one torch base
(:class:`~sklearn_notes.utils._torch_base.TorchEstimator`: seeding, threads, the epoch loop, one
progress bar, interrupt safety), and maps everything back to the user's units. Subclasses fill
these hooks:

- ``_make_net(nets, n_features, hidden, common, Xs)``: the skorch net (module, loss, optimizer);
- ``_sample_scaled(nets, n_samples, generator, labels)``: samples in the working range;
- ``_sampling_labels(n_samples, y, generator)`` (optional): the classes ``sample(y=...)`` asks
  for, as label codes (a model fitted without ``y`` refuses ``y``);
- ``_scaler()`` (optional): the working range, standardization unless overridden.
"""

import numbers
import re
import textwrap
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import _fit_context
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._fit_guard import atomic_fit
from ..utils._torch import MAX_SEED, import_torch, seed_from, uses_n_jobs
from ..utils._torch_base import TorchEstimator, copy_net, history_dict

__all__ = [
    "BaseGenerator",
    "BaseNeuralEstimator",
    "check_unchanged",
    "import_nets",
    "shared_parameter_docs",
]


def import_nets():
    """Import the torch side of the family (the one install hint when torch is missing)."""
    import_torch()
    from . import _nets

    return _nets


# The entries of the training parameters that the torch estimators share, written once.
_TRAINING_PARAMETERS = """\
n_jobs : int, default=None
    torch CPU threads for ``fit`` and every other method: None means 1 (the networks are small;
    threads cost more than they save on them), -1 all cores.
early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data and stop when its loss (the training
    objective on held-out rows, with the same random draws every epoch) has not improved by
    1e-4 for ``n_iter_no_change`` epochs, keeping the weights of the best epoch.
validation_fraction : float, default=0.1
    Share of the training data held out for early stopping.
n_iter_no_change : int, default=10
    Epochs without improvement before early stopping.
"""


def shared_parameter_docs(cls):
    """Class decorator: the docstring's ``%(training_parameters)s`` line becomes the shared
    entries, at that line's indentation (docstrings are dedented by Python 3.13, not before)."""

    def fill(match):
        return textwrap.indent(_TRAINING_PARAMETERS, match.group(1))

    cls.__doc__ = re.sub(r"^([ \t]*)%\(training_parameters\)s\n", fill, cls.__doc__, flags=re.M)
    return cls


class BaseNeuralEstimator(TorchEstimator, metaclass=ABCMeta):
    """Base class of the skorch-trained models of the family (not for direct use).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers.
    max_epochs : int
        Passes over the data per call to ``fit``.
    batch_size : int
        Mini-batch size (capped at ``n_samples``).
    lr : float
        Adam learning rate.
    device : {"cpu", "cuda", "auto"}
        Where torch trains and samples; ``"auto"`` picks CUDA when available.
    verbose : int
        0: silent; >= 1: one progress bar over the epochs.
    warm_start : bool
        When True, ``fit`` continues training the fitted networks (``max_epochs`` more epochs,
        same scaling) instead of starting afresh; it refuses a change to ``hidden_layer_sizes``
        or to a parameter of ``_net_parameters``.
    random_state : int, RandomState instance or None
        Seeds the weights, the batches and the training noise.
    """

    _parameter_constraints = {
        **TorchEstimator._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "n_jobs": [numbers.Integral, None],
    }
    # the constraint of the models whose hidden_layer_sizes also takes "auto" (``_auto_hidden``)
    _auto_hidden_constraint = {
        "hidden_layer_sizes": [StrOptions({"auto"}), *_parameter_constraints["hidden_layer_sizes"]]
    }

    # --- hooks ---------------------------------------------------------------------------------

    @abstractmethod
    def _make_net(self, nets, n_features, hidden, common, Xs):
        """Return the unfitted skorch net; ``common`` holds the shared skorch arguments and
        ``Xs`` is the training data in the working range."""

    def _scaler(self):
        return StandardScaler()

    # The parameters that ``_make_net`` builds into the networks or their training (besides
    # hidden_layer_sizes, max_epochs, batch_size and lr, which the base handles): a warm start
    # keeps the fitted networks, so it refuses a change to any of them rather than ignore it.
    _net_parameters = ()

    def _resolved_parameters(self):
        """``{name: value}`` of the fitted model's parameters that ``"auto"`` resolved."""
        return {}

    # --- fit -----------------------------------------------------------------------------------

    def _auto_hidden(self, n_features):
        """The widths that ``hidden_layer_sizes="auto"`` stands for with ``n_features`` features
        (in the models whose constraints allow ``"auto"``)."""
        raise NotImplementedError

    def _lr(self, n_features):
        """The learning rate for ``n_features`` features (a model whose ``lr`` takes ``"auto"``
        resolves it here)."""
        return self.lr

    def _hidden(self, n_features):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, str) and sizes == "auto":
            return self._auto_hidden(n_features)
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
        if not sizes or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in sizes
        ):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}."
            )
        return tuple(int(s) for s in sizes)

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def fit(self, X, y=None):
        """Train the model on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, in any units: it is scaled internally and samples come back in the
            same units.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "net_")
        X = validate_data(self, X, reset=not warm, dtype=np.float64)
        nets = import_nets()
        hidden = self._hidden(X.shape[1])
        net_parameters = {name: getattr(self, name) for name in self._net_parameters}
        if warm:
            check_unchanged(
                {"hidden_layer_sizes": self.hidden_layer_sizes_, **self._fitted_net_parameters},
                {"hidden_layer_sizes": hidden, **net_parameters},
                {k: v for k, v in self._resolved_parameters().items() if k in net_parameters},
            )
        lr = self._lr(X.shape[1])
        self._check_params()
        device = self._device()

        # 1. working range: reuse the fitted scaling when warm-starting, so units stay consistent
        scaler = self.scaler_ if warm else self._fit_scaler(X)
        Xs = _scaled(scaler, X)

        # 2. seed: a fresh fit and every warm-start round get their own, reproducible seed
        seed = seed_from(check_random_state(self.random_state))
        if warm:
            seed = (seed + len(self.net_.history)) % MAX_SEED

        # 3. train a fresh net, or a copy of the fitted one: a failed or interrupted fit leaves
        # the estimator as it was
        if warm:
            net = copy_net(self.net_)
            # only what changed: skorch re-creates the optimizers (losing Adam's moments) when lr
            # is set
            new = dict(max_epochs=self.max_epochs, lr=lr, batch_size=min(self.batch_size, len(Xs)))
            net.set_params(**{k: v for k, v in new.items() if getattr(net, k) != v})
        else:
            common = dict(
                max_epochs=self.max_epochs,
                batch_size=min(self.batch_size, len(Xs)),
                lr=lr,
                device=device,
                # the package's loop draws the one progress bar; skorch's table stays quiet
                verbose=0,
                model_name=type(self).__name__,
                callbacks=[],
            )
            net = self._make_net(nets, X.shape[1], hidden, common, Xs)
        self._train(net, Xs, seed=seed, device=device, warm=warm)

        self.hidden_layer_sizes_ = hidden
        self._fitted_net_parameters = net_parameters
        self.scaler_ = scaler
        self.net_ = net
        self.device_ = device
        self.history_ = history_dict(net.history)
        return self

    def _fit_scaler(self, X):
        # the scaler's own overflow warnings are replaced by the clear error of _scaled
        with np.errstate(over="ignore", invalid="ignore"):
            return self._scaler().fit(X)

    def _check_params(self):
        """Model-specific checks that the parameter constraints cannot express."""

    def _log_jacobian(self):
        """``log |d x_scaled / d x|`` of the per-feature affine scaling: a log-density of the
        scaled data plus this is one of the user's x."""
        log_scale = np.sum(np.log(self.scaler_.scale_))
        # MinMaxScaler multiplies by scale_, StandardScaler divides by it
        return log_scale if isinstance(self.scaler_, MinMaxScaler) else -log_scale

    # --- helpers -------------------------------------------------------------------------------

    def _torch_generator(self, seed):
        import torch

        return torch.Generator(device=self.device_).manual_seed(int(seed))

    def _to_scaled_tensor(self, X):
        """X (validated) in the working range as a float64 tensor on the model's device."""
        import torch

        return torch.as_tensor(self.scaler_.transform(X), dtype=torch.float64, device=self.device_)

    def _validate(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


class BaseGenerator(BaseNeuralEstimator):
    """Base class of the generators: a fitted model that can ``sample`` (not for direct use)."""

    @abstractmethod
    def _sample_scaled(self, nets, n_samples, generator, labels=None):
        """Return a torch tensor of ``n_samples`` samples in the working range; ``labels`` (label
        codes from ``_sampling_labels``) for a class-conditional model, else None."""

    def _sampling_labels(self, n_samples, y, generator):
        """Label codes for ``n_samples`` samples, or None: here a model fitted without ``y``."""
        if y is not None:
            raise ValueError(
                f"{type(self).__name__} was fitted without y; fit(X, y) to sample classes."
            )
        return None

    @uses_n_jobs
    def sample(self, n_samples=1, random_state=None, y=None):
        """Generate new samples, in the units of the training data.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the sampling noise: the same value gives the same samples.
        y : label or array-like of shape (n_samples,), default=None
            Classes to draw, for a model fitted with ``y``; ``None`` draws classes in the
            proportions of the training data.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), float64
            Generated samples.
        """
        check_is_fitted(self)
        if (
            not isinstance(n_samples, numbers.Integral)
            or isinstance(n_samples, bool)
            or n_samples < 1
        ):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        nets = import_nets()
        generator = self._torch_generator(seed_from(check_random_state(random_state)))
        labels = self._sampling_labels(int(n_samples), y, generator)
        # samples are drawn in the networks' float32 (sampling is the costly part of diffusion);
        # the noise comes from a generator of its own, so global torch state is untouched
        Z = nets.as_numpy(self._sample_scaled(nets, int(n_samples), generator, labels))
        return self.scaler_.inverse_transform(Z)


def check_unchanged(fitted, now, resolved=None):
    """A ValueError naming the first parameter whose value in ``now`` differs from ``fitted``.

    ``resolved`` maps a parameter fitted as ``"auto"`` to the value it stood for: asking for
    that value explicitly is no change.
    """
    resolved = resolved or {}
    for name, value in now.items():
        before = fitted[name]
        if _same(before, value) or (name in resolved and _same(resolved[name], value)):
            continue
        meant = f" (= {resolved[name]!r})" if not _same(resolved.get(name, before), before) else ""
        raise ValueError(
            f"warm_start cannot change {name} (fitted with {before!r}{meant}, now {value!r}): the "
            "fitted networks are kept. Set it back, or refit with warm_start=False."
        )


def _same(a, b):
    if isinstance(a, (list, tuple, np.ndarray)) and isinstance(b, (list, tuple, np.ndarray)):
        return tuple(a) == tuple(b)
    return a == b


def _scaled(scaler, X):
    """X in the working range as float32, or a ValueError when X is too large for it."""
    with np.errstate(over="ignore", invalid="ignore"):
        Xs = scaler.transform(X)
    if not np.all(np.isfinite(Xs)) or np.max(np.abs(Xs), initial=0.0) > np.finfo(np.float32).max:
        raise ValueError(
            f"X cannot be scaled to the working range: values of magnitude up to "
            f"{np.max(np.abs(X)):.3g} overflow float64 statistics or float32 training; rescale "
            "X first (e.g. divide it by its largest value)."
        )
    return Xs.astype(np.float32)
