"""CNN and RNN/LSTM/GRU classifiers: torch modules trained through skorch (notes: CNN, RNN, LSTM,
GRU).

The notes' architectures are torch modules (``_torch_modules.py``); training is skorch's
``NeuralNetClassifier`` (cross-entropy, Adam, mini-batches), held by a plain scikit-learn estimator
so that the whole passes ``check_estimator``, pickles, and is reproducible from ``random_state``.

- CNN: convolution (a learned filter slid over the image, producing a feature map), ReLU, pooling
  (down-sampling the map), repeated, then fully connected layers that classify.
- RNN: :math:`h_t = \\tanh(W_x x_t + W_h h_{t-1} + b)`, trained by back-propagation through time;
  the gradient reaching step ``t`` from step ``T`` is a product of ``T - t`` Jacobians, so it
  vanishes on long sequences. LSTM adds a cell state ``c_t = f_t * c_{t-1} + i_t * g_t`` (forget,
  input and output gates) whose additive update carries the gradient far back; GRU merges forget
  and input into an update gate (plus a reset gate): three weight blocks instead of four, so fewer
  parameters and faster steps.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._torch import import_torch, resolve_device, seed_from, single_threaded, torch_seeded

__all__ = ["CNNClassifier", "RNNClassifier"]


class _SkorchClassifier(ClassifierMixin, BaseEstimator):
    """Template for the torch classifiers: subclasses only build their module."""

    _parameter_constraints = {
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _build_module(self, n_features, n_classes):
        raise NotImplementedError

    @_fit_context(prefer_skip_nested_validation=True)
    @single_threaded
    def fit(self, X, y):
        """Train the network with cross-entropy and Adam.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Flattened images or sequences (see the class docstring for the layout).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes; got one class "
                f"{encoder.classes_}."
            )
        torch, skorch = import_torch()
        from skorch.callbacks import ProgressBar

        device = resolve_device(self.device)
        seed = seed_from(check_random_state(self.random_state))
        with torch_seeded(seed):
            module = self._build_module(X.shape[1], len(encoder.classes_))
            net = skorch.NeuralNetClassifier(
                module,
                criterion=torch.nn.CrossEntropyLoss,
                optimizer=torch.optim.Adam,
                optimizer__weight_decay=self.weight_decay,
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                train_split=None,
                iterator_train__shuffle=True,
                callbacks=[ProgressBar()] if self.verbose else None,
                device=device,
                verbose=int(self.verbose),
            )
            net.fit(X, encoder.transform(y).astype(np.int64))
        losses = [float(v) for v in net.history[:, "train_loss"]]
        bad = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
        if bad is not None:
            raise ValueError(
                f"The training loss of {type(self).__name__} became {losses[bad]} at epoch "
                f"{bad + 1}; lower lr (now {self.lr}) or standardize the inputs."
            )
        # Predict in float64: float32 results depend on the batch's size and composition at the
        # 1e-7 level (BLAS blocking), and a prediction must not depend on which rows come with it.
        net.module_.double()
        self.classes_ = encoder.classes_
        self.net_ = net
        self.history_ = losses
        self.n_iter_ = len(losses)
        return self

    @single_threaded
    def predict_proba(self, X):
        """Class probabilities: softmax of the network's output.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with torch_seeded():
            proba = self.net_.predict_proba(X)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class CNNClassifier(_SkorchClassifier):
    """Convolutional network for images: two conv/ReLU/pool blocks and a fully connected head.

    Parameters
    ----------
    image_shape : tuple of (int, int) or None, default=None
        Height and width of the images, whose pixels are the columns of ``X`` in row-major order.
        ``None``: square images when ``n_features`` is a perfect square (``load_digits``: 8 x 8),
        else ``(1, n_features)`` (a one-row image, so any tabular input still works).
    channels : tuple of (int, int), default=(16, 32)
        Feature maps of the two convolutions.
    kernel_size : int, default=3
        Side of the convolution filters (odd; "same" padding).
    hidden : int, default=64
        Units of the fully connected hidden layer.
    max_epochs : int, default=30
        Passes over the training data.
    batch_size : int, default=64
        Samples per gradient step.
    lr : float, default=0.01
        Adam's step size.
    weight_decay : float, default=0.0
        L2 penalty (Adam's ``weight_decay``).
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train; "auto" picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization and the mini-batch order.
    verbose : int, default=0
        Show skorch's per-epoch table and a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skorch.NeuralNetClassifier
        The trained skorch net (``net_.module_`` is the torch module).
    history_ : list of float
        Mean training loss of each epoch.
    image_shape_ : tuple of (int, int)
        The image shape used.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int

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
    """

    _parameter_constraints = {
        **_SkorchClassifier._parameter_constraints,
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
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _build_module(self, n_features, n_classes):
        from ._torch_modules import ConvNet

        if self.image_shape is None:
            side = math.isqrt(n_features)
            shape = (side, side) if side * side == n_features else (1, n_features)
        else:
            shape = tuple(int(s) for s in self.image_shape)
            if len(shape) != 2 or shape[0] * shape[1] != n_features:
                raise ValueError(
                    f"image_shape={self.image_shape} has {np.prod(shape)} pixels but X has "
                    f"{n_features} features."
                )
        if len(self.channels) != 2:
            raise ValueError(f"channels must be two integers, got {self.channels!r}.")
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}.")
        self.image_shape_ = shape
        return ConvNet(shape, n_classes, self.channels, self.kernel_size, self.hidden)


class RNNClassifier(_SkorchClassifier):
    """Recurrent sequence classifier with a plain RNN, LSTM or GRU cell.

    Each row of ``X`` is one sequence of ``n_features / n_step_features`` time steps, flattened
    step after step; the last hidden state goes through a linear layer to the class scores.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}, default="lstm"
        The recurrent unit.
    n_step_features : int, default=1
        Features per time step; must divide ``n_features``.
    hidden_size : int, default=32
        Units of the hidden state.
    num_layers : int, default=1
        Stacked recurrent layers.
    max_epochs : int, default=30
        Passes over the training data.
    batch_size : int, default=64
        Samples per gradient step.
    lr : float, default=0.01
        Adam's step size.
    weight_decay : float, default=0.0
        L2 penalty (Adam's ``weight_decay``).
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train; "auto" picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization and the mini-batch order.
    verbose : int, default=0
        Show skorch's per-epoch table and a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skorch.NeuralNetClassifier
        The trained skorch net (``net_.module_`` is the torch module).
    history_ : list of float
        Mean training loss of each epoch.
    n_parameters_ : int
        Trainable parameters (a GRU has 3/4 of an LSTM's recurrent weights).
    n_iter_ : int
        Epochs run.
    n_features_in_ : int

    References
    ----------
    .. [1] S. Hochreiter, J. Schmidhuber, "Long short-term memory", Neural Computation 9(8), 1997.
    .. [2] K. Cho et al., "Learning phrase representations using RNN encoder-decoder for
       statistical machine translation", EMNLP 2014 (the GRU).

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
    """

    _parameter_constraints = {
        **_SkorchClassifier._parameter_constraints,
        "cell": [StrOptions({"rnn", "lstm", "gru"})],
        "n_step_features": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        cell="lstm",
        *,
        n_step_features=1,
        hidden_size=32,
        num_layers=1,
        max_epochs=30,
        batch_size=64,
        lr=0.01,
        weight_decay=0.0,
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
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _build_module(self, n_features, n_classes):
        from ._torch_modules import RecurrentNet, count_parameters

        if n_features % self.n_step_features:
            raise ValueError(
                f"n_step_features={self.n_step_features} does not divide the {n_features} "
                "features of X into time steps."
            )
        module = RecurrentNet(
            self.n_step_features, n_classes, self.cell, self.hidden_size, self.num_layers
        )
        self.n_parameters_ = count_parameters(module)
        return module
