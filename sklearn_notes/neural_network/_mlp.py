"""Multi-layer perceptrons trained by hand-written backpropagation (notes: Multi layer NN, Back
Propagation, Delta Rule, SGD, GD with mini-batch).

Forward pass, layer ``l = 1..L`` (``a_0 = X``)::

    z_l = a_{l-1} W_l + b_l,        a_l = f(z_l)        (f = softmax / sigmoid / identity at l = L)

Backward pass: the chain rule, one layer at a time. With the canonical output/loss pairs
(softmax + cross-entropy, sigmoid + binary cross-entropy, identity + squared error) the error at the
output is simply ``delta_L = (a_L - Y) / n`` — the notes' delta rule — and then::

    dW_l = a_{l-1}^T delta_l + alpha W_l,     db_l = sum_rows(delta_l),
    delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1})

Each activation's derivative sits next to its formula (as in micrograd), written through the layer's
output ``a`` (``relu' = [a > 0]``, ``tanh' = 1 - a^2``, ``sigmoid' = a (1 - a)``) so nothing else
needs storing. Training is mini-batch SGD (with momentum) or Adam; ``batch_size=1`` is the notes'
SGD and ``batch_size=n_samples`` full-batch gradient descent. The tests check the gradients against
finite differences and that a hidden layer solves XOR, which the perceptron cannot.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["MLPClassifier", "MLPRegressor"]


# --- activations: forward formula and derivative (through the output a = f(z)) side by side ------

ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0.0).astype(a.dtype)),
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "logistic": (expit, lambda a: a * (1.0 - a)),
    "identity": (lambda z: z, lambda a: np.ones_like(a)),
}


# --- losses of the output layer, from its pre-activation z (stable: no log of a rounded 0) -------


def _squared_error(z, Y):
    """0.5 * mean squared error; output = identity."""
    return 0.5 * np.mean(np.sum((z - Y) ** 2, axis=1)), z


def _binary_cross_entropy(z, Y):
    """Mean binary cross-entropy of sigmoid(z); log(1 + e^{-z}) through logaddexp."""
    loss = np.mean(np.sum(Y * np.logaddexp(0.0, -z) + (1.0 - Y) * np.logaddexp(0.0, z), axis=1))
    return loss, expit(z)


def _cross_entropy(z, Y):
    """Mean categorical cross-entropy of softmax(z), via log-softmax."""
    return -np.mean(np.sum(Y * log_softmax(z, axis=1), axis=1)), softmax(z, axis=1)


LOSSES = {"squared_error": _squared_error, "log_loss": _binary_cross_entropy, "ce": _cross_entropy}


def forward(coefs, intercepts, X, activation):
    """Forward pass. Returns the hidden activations ``[a_0 = X, a_1, ..., a_{L-1}]`` and ``z_L``."""
    f = ACTIVATIONS[activation][0]
    activations = [X]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        activations.append(f(activations[-1] @ W + b))  # (n, fan_out)
    return activations, activations[-1] @ coefs[-1] + intercepts[-1]


def loss_and_gradients(coefs, intercepts, X, Y, activation, loss, alpha):
    """Objective ``mean loss + alpha/2 * sum ||W_l||^2`` and its gradients by backpropagation.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights ``W_l`` of shape (fan_in, fan_out) and biases ``b_l`` of shape (fan_out,).
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets (one-hot / 0-1 column for classification).
    activation : {"relu", "tanh", "logistic", "identity"}
    loss : {"squared_error", "log_loss", "ce"}
    alpha : float
        L2 penalty on the weights (not the biases).

    Returns
    -------
    objective : float
    coef_grads, intercept_grads : list of ndarray
        Same shapes as ``coefs`` and ``intercepts``.
    """
    activations, z_out = forward(coefs, intercepts, X, activation)
    value, a_out = LOSSES[loss](z_out, Y)
    value += 0.5 * alpha * sum(np.vdot(W, W) for W in coefs)
    derivative = ACTIVATIONS[activation][1]
    # 1. error at the output: canonical link => delta_L = (a_L - Y) / n
    delta = (a_out - Y) / X.shape[0]
    coef_grads, intercept_grads = [None] * len(coefs), [None] * len(coefs)
    for layer in range(len(coefs) - 1, -1, -1):
        # 2. gradients of this layer's parameters
        coef_grads[layer] = activations[layer].T @ delta + alpha * coefs[layer]
        intercept_grads[layer] = delta.sum(axis=0)
        if layer > 0:
            # 3. chain rule: send the error one layer back
            delta = (delta @ coefs[layer].T) * derivative(activations[layer])
    return value, coef_grads, intercept_grads


# --- optimizers ------------------------------------------------------------------------------------


class _SGD:
    """Mini-batch SGD with (heavy-ball) momentum: v <- mu v - lr g;  w <- w + v."""

    def __init__(self, params, lr, momentum):
        self.lr, self.momentum = lr, momentum
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, params, grads):
        for p, g, v in zip(params, grads, self.velocity):
            v *= self.momentum
            v -= self.lr * g
            p += v


class _Adam:
    """Adam (Kingma & Ba, 2015): bias-corrected first and second moment estimates."""

    def __init__(self, params, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.lr, self.beta_1, self.beta_2, self.epsilon = lr, beta_1, beta_2, epsilon
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params, grads):
        self.t += 1
        lr = self.lr * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta_1
            m += (1 - self.beta_1) * g
            v *= self.beta_2
            v += (1 - self.beta_2) * g * g
            p -= lr * m / (np.sqrt(v) + self.epsilon)


class _BaseMLP(BaseEstimator):
    """Shared training loop of the MLP classifier and regressor."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        activation="relu",
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        momentum=0.9,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        shuffle=True,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose

    def _train(self, X, Y, loss):
        """Fit the weights to (X, Y) by mini-batch backprop; assign the fitted state at the end."""
        hidden = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if hidden.ndim != 1 or not np.issubdtype(hidden.dtype, np.integer) or np.any(hidden < 1):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}."
            )
        rng = check_random_state(self.random_state)
        n_samples = X.shape[0]
        sizes = [X.shape[1], *hidden.tolist(), Y.shape[1]]
        coefs, intercepts = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            # Glorot & Bengio (2010) uniform init keeps activations' variance across layers.
            factor = 2.0 if self.activation == "logistic" else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(rng.uniform(-bound, bound, fan_out))
        params = coefs + intercepts
        if self.solver == "sgd":
            optimizer = _SGD(params, self.learning_rate_init, self.momentum)
        else:
            optimizer = _Adam(params, self.learning_rate_init)
        batch = (
            min(200, n_samples) if self.batch_size == "auto" else min(self.batch_size, n_samples)
        )
        loss_curve, best, stale = [], np.inf, 0
        order = np.arange(n_samples)
        for epoch in range(1, self.max_iter + 1):
            if self.shuffle:
                rng.shuffle(order)
            epoch_loss = 0.0
            for start in range(0, n_samples, batch):
                idx = order[start : start + batch]
                value, gW, gb = loss_and_gradients(
                    coefs, intercepts, X[idx], Y[idx], self.activation, loss, self.alpha
                )
                optimizer.step(params, gW + gb)
                epoch_loss += value * len(idx)
            epoch_loss /= n_samples
            if not np.isfinite(epoch_loss):
                raise ValueError(
                    f"The training loss became {epoch_loss} at epoch {epoch}; lower "
                    f"learning_rate_init (now {self.learning_rate_init}) or scale the inputs."
                )
            loss_curve.append(epoch_loss)
            if self.verbose:
                print(f"Epoch {epoch}, loss = {epoch_loss:.8f}")
            if epoch_loss > best - self.tol:
                stale += 1
            else:
                stale = 0
            best = min(best, epoch_loss)
            if stale >= self.n_iter_no_change:
                break
        else:
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} epochs reached and the loss is "
                "still improving; increase max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.coefs_ = coefs
        self.intercepts_ = intercepts
        self.loss_curve_ = loss_curve
        self.loss_ = loss_curve[-1]
        self.best_loss_ = best
        self.n_iter_ = len(loss_curve)
        self.n_layers_ = len(sizes)
        self.n_outputs_ = Y.shape[1]
        return self

    def _output_logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return forward(self.coefs_, self.intercepts_, X, self.activation)[1]


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by hand-written backpropagation.

    Hidden layers with a non-linear activation, a sigmoid (two classes) or softmax output, the
    cross-entropy loss plus ``alpha/2 * sum ||W||^2``, and mini-batch gradient steps.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer activation.
    solver : {"adam", "sgd"}, default="adam"
        ``"sgd"``: mini-batch SGD with momentum; ``"adam"``: Adam.
    alpha : float, default=1e-4
        L2 penalty on the weights.
    batch_size : int or "auto", default="auto"
        Samples per gradient step, ``min(200, n_samples)`` for "auto". 1 is the notes' SGD,
        ``n_samples`` full-batch gradient descent.
    learning_rate_init : float, default=1e-3
        Step size.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Training stops once the epoch loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    shuffle : bool, default=True
        Reshuffle the samples each epoch.
    random_state : int, RandomState instance or None, default=None
        Seed of the weight initialization and shuffling.
    verbose : int, default=0
        Print the loss of each epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        ``intercepts_[l]`` has shape (fan_out,).
    loss_curve_ : list of float
        Mean training objective of each epoch.
    loss_ : float
        Last epoch's objective.
    best_loss_ : float
        Lowest epoch objective.
    n_iter_ : int
        Epochs run.
    n_layers_ : int
        Layers including input and output.
    n_outputs_ : int
        Output units (1 for two classes).
    n_features_in_ : int

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's MLP (the same model and optimizers).
    Perceptron : no hidden layer: only linearly separable problems.

    References
    ----------
    .. [1] D. E. Rumelhart, G. E. Hinton, R. J. Williams, "Learning representations by
       back-propagating errors", Nature 323, 1986.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes import MLPClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 10, dtype=float)
    >>> y = np.array([0, 1, 1, 0] * 10)  # XOR
    >>> clf = MLPClassifier((8,), activation="tanh", learning_rate_init=0.05, max_iter=500,
    ...                     random_state=0).fit(X, y)
    >>> clf.predict([[0, 0], [0, 1], [1, 0], [1, 1]])
    array([0, 1, 1, 0])
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : MLPClassifier
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        binarizer = LabelBinarizer().fit(y)
        if len(binarizer.classes_) < 2:
            raise ValueError(
                f"MLPClassifier needs at least two classes; got one class {binarizer.classes_}."
            )
        Y = binarizer.transform(y).astype(np.float64)
        loss = "log_loss" if Y.shape[1] == 1 else "ce"
        self._train(X, Y, loss)
        self.classes_ = binarizer.classes_
        return self

    def predict_proba(self, X):
        """Class probabilities (sigmoid or softmax of the output layer).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        z = self._output_logits(X)
        if z.shape[1] == 1:
            p = expit(z)
            return np.hstack([1.0 - p, p])
        return softmax(z, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        z = self._output_logits(X)
        if z.shape[1] == 1:
            return np.hstack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
        return log_softmax(z, axis=1)

    def predict(self, X):
        """Most probable class (the Bayesian decision on the network's posterior).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        z = self._output_logits(X)
        index = (z[:, 0] > 0).astype(int) if z.shape[1] == 1 else z.argmax(axis=1)
        return self.classes_[index]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by hand-written backpropagation.

    Hidden layers with a non-linear activation, an identity output, the loss
    ``1/(2n) ||Y - f(X)||^2 + alpha/2 * sum ||W||^2``, and mini-batch gradient steps.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer activation.
    solver : {"adam", "sgd"}, default="adam"
        ``"sgd"``: mini-batch SGD with momentum; ``"adam"``: Adam.
    alpha : float, default=1e-4
        L2 penalty on the weights.
    batch_size : int or "auto", default="auto"
        Samples per gradient step, ``min(200, n_samples)`` for "auto".
    learning_rate_init : float, default=1e-3
        Step size.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Stop once the epoch loss has not improved by ``tol`` for ``n_iter_no_change`` epochs.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    shuffle : bool, default=True
        Reshuffle the samples each epoch.
    random_state : int, RandomState instance or None, default=None
        Seed of the weight initialization and shuffling.
    verbose : int, default=0
        Print the loss of each epoch.

    Attributes
    ----------
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        ``intercepts_[l]`` has shape (fan_out,).
    loss_curve_ : list of float
        Mean training objective of each epoch.
    loss_ : float
        Last epoch's objective.
    best_loss_ : float
        Lowest epoch objective.
    n_iter_ : int
        Epochs run.
    n_layers_ : int
        Layers including input and output.
    n_outputs_ : int
        Number of targets.
    n_features_in_ : int

    See Also
    --------
    sklearn.neural_network.MLPRegressor : scikit-learn's MLP regressor.

    References
    ----------
    .. [1] D. E. Rumelhart, G. E. Hinton, R. J. Williams, "Learning representations by
       back-propagating errors", Nature 323, 1986.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes import MLPRegressor
    >>> X = np.linspace(-2, 2, 200).reshape(-1, 1)
    >>> reg = MLPRegressor((32,), activation="tanh", learning_rate_init=0.01, max_iter=500,
    ...                    random_state=0).fit(X, X.ravel() ** 2)
    >>> round(reg.score(X, X.ravel() ** 2), 2) > 0.95
    True
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : MLPRegressor
        """
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        Y = y.reshape(len(y), -1)
        return self._train(X, Y, "squared_error")

    def predict(self, X):
        """Network output.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        z = self._output_logits(X)
        return z.ravel() if self.n_outputs_ == 1 else z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
