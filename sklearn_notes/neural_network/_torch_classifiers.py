"""CNN and RNN/LSTM/GRU classifiers: torch modules trained through skorch (notes: CNN, RNN, LSTM,
GRU).

The notes' architectures are torch modules (``_torch_modules.py``); training is a skorch net
(sample-weighted cross-entropy, Adam, mini-batches) driven by the package's one torch base
(:class:`~sklearn_notes.utils._torch_base.TorchEstimator`), so that the whole passes
``check_estimator``, pickles, is reproducible from ``random_state``, and survives Ctrl-C.

- CNN: convolution (a learned filter slid over the image, producing a feature map), ReLU, pooling
  (down-sampling the map), repeated, then fully connected layers that classify.
- RNN: :math:`h_t = \\tanh(W_x x_t + W_h h_{t-1} + b)`, trained by back-propagation through time;
  the gradient reaching step ``t`` from step ``T`` is a product of ``T - t`` Jacobians, so it
  vanishes on long sequences. LSTM adds a cell state ``c_t = f_t * c_{t-1} + i_t * g_t`` (forget,
  input and output gates) whose additive update carries the gradient far back; GRU merges forget
  and input into an update gate (plus a reset gate): three weight blocks instead of four, so fewer
  parameters and faster steps. The gates keep a memory only as long as their biases let them:
  those are initialized for the sequence length (chrono initialization, see
  ``_torch_modules.chrono_initialization``); over 200 steps a plain RNN stays at chance where the
  LSTM and GRU learn (``examples/plot_rnn_vanishing_gradient.py``).
"""

import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._fit_guard import atomic_fit
from ..utils._torch import import_torch, seed_from, torch_seeded, uses_n_jobs
from ..utils._torch_base import TorchEstimator, history_dict
from ..utils._validation import check_sample_weight

__all__ = ["CNNClassifier", "RNNClassifier"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_positive_ints(name, value, lengths):
    """``value`` as a tuple of positive ints of one of ``lengths``, else a ValueError naming it."""
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if (
        items is None
        or len(items) not in lengths
        or not all(isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in items)
    ):
        sizes = " or ".join(str(n) for n in sorted(lengths))
        raise ValueError(f"{name} must be a tuple of {sizes} positive integers, got {value!r}.")
    return tuple(int(v) for v in items)


class _TorchClassifier(ClassifierMixin, TorchEstimator):
    """Template for the torch classifiers: subclasses say how a sample is laid out (``_layout``)
    and which module classifies it (``_module``)."""

    _parameter_constraints = {
        **TorchEstimator._parameter_constraints,
        **TorchEstimator._training_constraints,
        "weight_decay": [Interval(Real, 0, None, closed="left")],
    }

    def _layout(self, X, fitted_shape):
        """``(X as 2-D, shape of one sample or None)``; the base case takes 2-D X as it is."""
        return X, None

    def _module(self, sample_shape, n_features, n_classes):
        """``(module class, its keyword arguments, learned attributes to set)``."""
        raise NotImplementedError

    def _flatten(self, X, fitted_shape):
        """Multi-dimensional arrays (images, sequences) -> one row per sample."""
        if isinstance(X, (list, tuple)):  # nested lists of images / sequences are array-like too
            nested = np.asarray(X)
            X = nested if nested.ndim > 2 else X
        if sp.issparse(X) or not isinstance(getattr(X, "ndim", None), int) or X.ndim <= 2:
            return X, None  # validate_data reports what is wrong with anything else
        return self._layout(np.asarray(X), fitted_shape)

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def fit(self, X, y, sample_weight=None):
        """Train the network: sample-weighted cross-entropy, Adam, shuffled mini-batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or an array of samples
            Flattened images or sequences, or (see the class docstring) images / sequences.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample's loss; None gives every sample weight 1.

        Returns
        -------
        self
        """
        X, sample_shape = self._flatten(X, None)
        X, y = validate_data(self, X, y, dtype=np.float64)
        _check_float32_range(X)
        sample_weight = check_sample_weight(sample_weight, X)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes; got one class "
                f"{encoder.classes_}."
            )
        torch, _ = import_torch()
        from ._torch_modules import ClassifierNet

        module, module_params, learned = self._module(
            sample_shape, X.shape[1], len(encoder.classes_)
        )
        net = ClassifierNet(
            module,
            **{f"module__{key}": value for key, value in module_params.items()},
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=min(self.batch_size, len(X)),
            device=self._device(),
        )
        codes = encoder.transform(y)
        counts = np.bincount(codes)
        # mean 1, for the net's per-batch loss (see ClassifierNet); a zero weight drops the row
        weight = sample_weight / sample_weight.mean()
        data = (X.astype(np.float32), codes.astype(np.int64), weight.astype(np.float32))
        seed = seed_from(check_random_state(self.random_state))
        self._train(
            net, data, seed=seed, device=net.device, stratify=codes if counts.min() > 1 else None
        )
        # Predict in float64: float32 results depend on the batch's size and composition at the
        # 1e-7 level (BLAS blocking), and a prediction must not depend on which rows come with it.
        # Eval mode now, so that predicting changes nothing in the fitted model.
        net.module_.double().eval()
        net.criterion_.eval()
        for key, value in learned.items():
            setattr(self, key, value)
        self.classes_ = encoder.classes_
        self.net_ = net
        self.device_ = net.device
        self.history_ = history_dict(net.history)
        self.n_parameters_ = sum(p.numel() for p in net.module_.parameters() if p.requires_grad)
        self.n_iter_ = len(self.history_["loss"])
        return self

    @uses_n_jobs
    def predict_proba(self, X):
        """Class probabilities: softmax of the network's output.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or an array of samples
            As in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X, _ = self._flatten(X, self._sample_shape())
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with torch_seeded(device=self.device_):
            proba = self.net_.predict_proba(X)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or an array of samples
            As in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _marker_sequences(n_samples, n_steps, random_state=None):
    """The notes' long-range experiment: a class decided at the first step, then distractors.

    Each sequence has ``n_steps`` steps of two features: a value, uniform on (-1, 1) at every
    step, and a marker that is 1 at the first step only. The class is the sign of the marked
    value, so a model must write it into its state when the marker says so and keep it, unchanged
    by the ``n_steps - 1`` distractor values that follow, until the last step.

    Returns
    -------
    X : ndarray of shape (n_samples, n_steps, 2)
    y : ndarray of shape (n_samples,) of {0, 1}
    """
    rng = check_random_state(random_state)
    y = rng.randint(2, size=n_samples)
    X = np.zeros((n_samples, n_steps, 2))
    X[:, :, 0] = rng.uniform(-1, 1, size=(n_samples, n_steps))
    X[:, 0, 0] = (2.0 * y - 1.0) * rng.uniform(0.1, 1, size=n_samples)
    X[:, 0, 1] = 1.0
    return X, y


def _check_float32_range(X):
    """The networks train in float32: refuse values that would overflow there (instead of a
    RuntimeWarning and a fit on infinities)."""
    largest = float(np.max(np.abs(X))) if X.size else 0.0
    if largest > _FLOAT32_MAX:
        raise ValueError(
            f"X has values of magnitude up to {largest:.3g}, beyond the float32 range "
            f"({_FLOAT32_MAX:.3g}) the network trains in; rescale X (e.g. StandardScaler)."
        )


class CNNClassifier(_TorchClassifier):
    """Convolutional network for images: two conv/ReLU/pool blocks and a fully connected head.

    Parameters
    ----------
    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(C, H, W)`` of the images when ``X`` is 2-D, its columns the pixels in
        row-major order (channel first). ``None``: square one-channel images when ``n_features``
        is a perfect square (``load_digits``: 8 x 8), else ``(1, n_features)`` (a one-row image,
        so any tabular input still works). Arrays of shape (n, H, W) or (n, C, H, W) carry their
        own shape.
    channels : tuple of (int, int), default=(16, 32)
        Feature maps of the two convolutions.
    kernel_size : int, default=3
        Side of the convolution filters (odd; "same" padding).
    hidden : int, default=64
        Units of the fully connected hidden layer.
    max_epochs : int, default=30
        Passes over the training data (at most, with ``early_stopping``).
    batch_size : int, default=64
        Samples per gradient step.
    lr : float, default=0.01
        Adam's step size.
    weight_decay : float, default=0.0
        L2 penalty (Adam's ``weight_decay``).
    n_jobs : int, default=None
        torch CPU threads for fit and predict: None means 1 (the networks are small; threads
        cost more than they save), -1 all cores.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and stop when its
        loss has not improved by 1e-4 for ``n_iter_no_change`` epochs, keeping the weights of
        the best epoch.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train; "auto" picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization, the mini-batch order and the validation split.
    verbose : int, default=0
        Show one progress bar over the epochs, with the latest losses.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    image_shape_ : tuple of (int, int)
        Height and width of the images.
    n_channels_ : int
        Channels of the images.
    net_ : skorch.NeuralNet
        The trained skorch net (``net_.module_`` is the torch module).
    history_ : dict of str -> list of float
        Per-epoch mean training loss (``"loss"``, sample-weighted cross-entropy) and, with
        ``early_stopping``, the held-out loss (``"valid_loss"``).
    n_parameters_ : int
        Trainable parameters of the network.
    n_iter_ : int
        Epochs run.
    device_ : str
        The device used.
    n_features_in_ : int
        Number of features (values per sample) seen during fit.

    See Also
    --------
    MLPClassifier : the same task without convolutions.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to
       document recognition", Proc. IEEE 86(11), 1998.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_notes import CNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = CNNClassifier(max_epochs=5, random_state=0).fit(X[:500] / 16, y[:500])
    >>> clf.image_shape_
    (8, 8)
    >>> images = X[:500].reshape(-1, 8, 8) / 16  # (n, H, W) arrays work as well
    >>> CNNClassifier(max_epochs=5, random_state=0).fit(images, y[:500]).predict(images[:3])
    array([0, 1, 2])
    """

    _parameter_constraints = {
        **_TorchClassifier._parameter_constraints,
        "image_shape": [tuple, None],
        "channels": [tuple],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "hidden": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        image_shape=None,
        *,
        channels=(16, 32),
        kernel_size=3,
        hidden=64,
        max_epochs=30,
        batch_size=64,
        lr=0.01,
        weight_decay=0.0,
        n_jobs=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.image_shape = image_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.n_jobs = n_jobs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _layout(self, X, fitted_shape):
        if X.ndim not in (3, 4):
            raise ValueError(
                "CNNClassifier takes X of shape (n_samples, n_features), (n_samples, H, W) or "
                f"(n_samples, C, H, W); got an array of shape {X.shape}."
            )
        shape = X.shape[1:] if X.ndim == 4 else (1, *X.shape[1:])
        if fitted_shape is not None and shape != fitted_shape:
            raise ValueError(
                f"X holds images of shape {X.shape[1:]}, but {type(self).__name__} was fitted "
                f"on images of shape (C, H, W) = {fitted_shape}."
            )
        return X.reshape(len(X), -1), shape

    def _sample_shape(self):
        return (self.n_channels_, *self.image_shape_)

    def _module(self, sample_shape, n_features, n_classes):
        from ._torch_modules import ConvNet

        channels = _check_positive_ints("channels", self.channels, {2})
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}.")
        if self.image_shape is not None:
            given = _check_positive_ints("image_shape", self.image_shape, {2, 3})
            given = given if len(given) == 3 else (1, *given)
            if sample_shape is not None and given != sample_shape:
                raise ValueError(
                    f"image_shape={self.image_shape} disagrees with the (C, H, W) = "
                    f"{sample_shape} of the images in X."
                )
            if math.prod(given) != n_features:
                raise ValueError(
                    f"image_shape={self.image_shape} has {math.prod(given)} pixels but X has "
                    f"{n_features} features."
                )
            shape = given
        elif sample_shape is not None:
            shape = sample_shape
        else:
            side = math.isqrt(n_features)
            shape = (1, side, side) if side * side == n_features else (1, 1, n_features)
        params = dict(
            image_shape=shape,
            n_classes=n_classes,
            channels=channels,
            kernel_size=self.kernel_size,
            hidden=self.hidden,
        )
        return ConvNet, params, {"image_shape_": shape[1:], "n_channels_": shape[0]}


class RNNClassifier(_TorchClassifier):
    """Recurrent sequence classifier with a plain RNN, LSTM or GRU cell.

    Each sample is one sequence: an array of shape (n_samples, T, d), or 2-D ``X`` whose rows hold
    ``T = n_features / n_step_features`` time steps flattened step after step. The last hidden
    state goes through a linear layer to the class scores.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}, default="lstm"
        The recurrent unit. The LSTM's forget and the GRU's update gate biases start at
        ``log U(1, T - 1)`` (chrono initialization [3]_): memories of 1 to ``T - 1`` steps.
    n_step_features : int, default=None
        Features per time step ``d`` of 2-D ``X``; must divide ``n_features``. None: 1, or the
        last dimension of a 3-D ``X``.
    hidden_size : int, default=32
        Units of the hidden state.
    num_layers : int, default=1
        Stacked recurrent layers.
    max_epochs : int, default=30
        Passes over the training data (at most, with ``early_stopping``).
    batch_size : int, default=64
        Samples per gradient step.
    lr : float, default=0.01
        Adam's step size.
    weight_decay : float, default=0.0
        L2 penalty (Adam's ``weight_decay``).
    n_jobs : int, default=None
        torch CPU threads for fit and predict: None means 1 (the networks are small; threads
        cost more than they save), -1 all cores.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and stop when its
        loss has not improved by 1e-4 for ``n_iter_no_change`` epochs, keeping the weights of
        the best epoch.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train; "auto" picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization, the mini-batch order and the validation split.
    verbose : int, default=0
        Show one progress bar over the epochs, with the latest losses.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_step_features_ : int
        Features per time step.
    net_ : skorch.NeuralNet
        The trained skorch net (``net_.module_`` is the torch module).
    history_ : dict of str -> list of float
        Per-epoch mean training loss (``"loss"``, sample-weighted cross-entropy) and, with
        ``early_stopping``, the held-out loss (``"valid_loss"``).
    n_parameters_ : int
        Trainable parameters of the network.
    n_iter_ : int
        Epochs run.
    device_ : str
        The device used.
    n_features_in_ : int
        Number of features (values per sample) seen during fit.

    References
    ----------
    .. [1] S. Hochreiter, J. Schmidhuber, "Long short-term memory", Neural Computation 9(8), 1997.
    .. [2] K. Cho et al., "Learning phrase representations using RNN encoder-decoder for
       statistical machine translation", EMNLP 2014 (the GRU).
    .. [3] C. Tallec, Y. Ollivier, "Can recurrent neural networks warp time?", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes import RNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.choice([-1.0, 1.0], size=(200, 10))  # sequences of 10 steps
    >>> y = (X[:, -1] > 0).astype(int)  # the label is the last step's sign
    >>> clf = RNNClassifier(cell="gru", max_epochs=20, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    >>> clf.score(X[:, :, None], y) > 0.9  # (n_samples, T, d) arrays work as well
    True
    """

    _parameter_constraints = {
        **_TorchClassifier._parameter_constraints,
        "cell": [StrOptions({"rnn", "lstm", "gru"})],
        "n_step_features": [Interval(Integral, 1, None, closed="left"), None],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        cell="lstm",
        *,
        n_step_features=None,
        hidden_size=32,
        num_layers=1,
        max_epochs=30,
        batch_size=64,
        lr=0.01,
        weight_decay=0.0,
        n_jobs=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.cell = cell
        self.n_step_features = n_step_features
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.n_jobs = n_jobs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _layout(self, X, fitted_shape):
        if X.ndim != 3:
            raise ValueError(
                "RNNClassifier takes X of shape (n_samples, n_features) or (n_samples, T, d); "
                f"got an array of shape {X.shape}."
            )
        if fitted_shape is not None and X.shape[2] != fitted_shape[1]:
            raise ValueError(
                f"X has {X.shape[2]} features per time step, but {type(self).__name__} was "
                f"fitted with {fitted_shape[1]}."
            )
        if fitted_shape is not None and X.shape[1] != fitted_shape[0]:
            raise ValueError(
                f"X holds sequences of {X.shape[1]} time steps, but {type(self).__name__} was "
                f"fitted on sequences of {fitted_shape[0]}."
            )
        return X.reshape(len(X), -1), X.shape[1:]

    def _sample_shape(self):
        return (self.n_features_in_ // self.n_step_features_, self.n_step_features_)

    def _module(self, sample_shape, n_features, n_classes):
        from ._torch_modules import RecurrentNet

        d = self.n_step_features
        if sample_shape is not None:
            if d is not None and d != sample_shape[1]:
                raise ValueError(
                    f"n_step_features={d} disagrees with the {sample_shape[1]} features per "
                    "time step of the 3-D X."
                )
            d = sample_shape[1]
        d = 1 if d is None else d
        if n_features % d:
            raise ValueError(
                f"n_step_features={d} does not divide the {n_features} features of X into time "
                "steps."
            )
        params = dict(
            n_step_features=d,
            n_classes=n_classes,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            n_steps=n_features // d,
        )
        return RecurrentNet, params, {"n_step_features_": d}
