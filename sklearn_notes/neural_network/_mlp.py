"""Multi-layer perceptrons trained by hand-written backpropagation (notes: Multi layer NN, Back
Propagation, Delta Rule, SGD, GD with mini-batch).

Forward pass, layer ``l = 1..L`` (``a_0 = X``)::

    z_l = a_{l-1} W_l + b_l,        a_l = f(z_l)        (f = softmax / sigmoid / identity at l = L)

The objective of a batch of ``n`` samples is scikit-learn's: the mean loss plus an L2 penalty that
is also divided by ``n``, so that ``alpha`` weighs the same against the data whatever the batch::

    J = (1/n) sum_i loss(a_L(x_i), y_i) + alpha / (2 n) * sum_l ||W_l||^2

Backward pass: the chain rule, one layer at a time. With the canonical output/loss pairs
(softmax + cross-entropy, sigmoid + binary cross-entropy, identity + squared error) the error at the
output is simply ``delta_L = (a_L - Y) / n`` — the notes' delta rule — and then::

    dW_l = a_{l-1}^T delta_l + (alpha / n) W_l,     db_l = sum_rows(delta_l),
    delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1})

Each activation's derivative sits next to its formula (as in micrograd), written through the layer's
output ``a`` (``relu' = [a > 0]``, ``tanh' = 1 - a^2``, ``sigmoid' = a (1 - a)``) so nothing else
needs storing. Training is mini-batch SGD (momentum, a learning-rate schedule) or Adam, with
scikit-learn's stopping rules (training loss or a held-out validation score, ``n_iter_no_change``),
or full-batch L-BFGS (scipy) on the same gradient; ``batch_size=1`` is the notes' SGD and
``batch_size=n_samples`` full-batch gradient descent. The tests check the gradients against finite
differences, the loss curves against scikit-learn's, and that a hidden layer solves XOR, which the
perceptron cannot.
"""

import copy
import types
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse
from scipy.special import expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..utils._fit_guard import atomic_fit

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
    """Forward pass. Returns the hidden activations ``[a_0 = X, a_1, ..., a_{L-1}]`` and ``z_L``.

    ``X`` may be a scipy sparse matrix: only ``X @ W_1`` touches it.
    """
    f = ACTIVATIONS[activation][0]
    activations = [X]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        activations.append(f(activations[-1] @ W + b))  # (n, fan_out)
    return activations, activations[-1] @ coefs[-1] + intercepts[-1]


def loss_and_gradients(coefs, intercepts, X, Y, activation, loss, alpha):
    """Objective ``mean loss + alpha/(2n) * sum ||W_l||^2`` and its gradients by backpropagation.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights ``W_l`` of shape (fan_in, fan_out) and biases ``b_l`` of shape (fan_out,).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets (one-hot / 0-1 column for classification).
    activation : {"relu", "tanh", "logistic", "identity"}
    loss : {"squared_error", "log_loss", "ce"}
    alpha : float
        L2 penalty on the weights (not the biases), divided by the batch size ``n``.

    Returns
    -------
    objective : float
    coef_grads, intercept_grads : list of ndarray
        Same shapes as ``coefs`` and ``intercepts``.
    """
    n = X.shape[0]
    activations, z_out = forward(coefs, intercepts, X, activation)
    value, a_out = LOSSES[loss](z_out, Y)
    value += 0.5 * alpha / n * sum(np.vdot(W, W) for W in coefs)
    derivative = ACTIVATIONS[activation][1]
    # 1. error at the output: canonical link => delta_L = (a_L - Y) / n
    delta = (a_out - Y) / n
    coef_grads, intercept_grads = [None] * len(coefs), [None] * len(coefs)
    for layer in range(len(coefs) - 1, -1, -1):
        # 2. gradients of this layer's parameters: d/dW of alpha/(2n) ||W||^2 is (alpha/n) W
        coef_grads[layer] = activations[layer].T @ delta + (alpha / n) * coefs[layer]
        intercept_grads[layer] = delta.sum(axis=0)
        if layer > 0:
            # 3. chain rule: send the error one layer back
            delta = (delta @ coefs[layer].T) * derivative(activations[layer])
    return value, coef_grads, intercept_grads


def init_weights(sizes, activation, random_state):
    """Glorot & Bengio (2010) uniform weights and biases, drawn layer by layer as scikit-learn does.

    ``U(-b, b)`` with ``b = sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` for the logistic
    activation) keeps the activations' variance across layers.
    """
    coefs, intercepts = [], []
    factor = 2.0 if activation == "logistic" else 6.0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(random_state.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(random_state.uniform(-bound, bound, fan_out))
    return coefs, intercepts


def _pack(arrays):
    return np.concatenate([a.ravel() for a in arrays])


def _unpack(theta, shapes):
    arrays, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        arrays.append(theta[start : start + size].reshape(shape))
        start += size
    return arrays


# --- optimizers -----------------------------------------------------------------------------------


class _SGD:
    """Mini-batch SGD with momentum and a learning-rate schedule (scikit-learn's rules).

    Heavy ball: ``v <- mu v - lr g;  w <- w + v``. Nesterov: the step looks ahead along the new
    velocity, ``w <- w + mu v - lr g``. Schedules: ``"constant"``; ``"invscaling"``
    ``lr = lr_init / (t + 1)^power_t`` after each epoch (``t``: samples seen); ``"adaptive"``: the
    rate is divided by 5 each time the stopping rule fires, and training stops below 1e-6.
    """

    def __init__(self, params, learning_rate_init, schedule, momentum, nesterov, power_t):
        self.learning_rate_init = self.learning_rate = learning_rate_init
        self.schedule, self.momentum, self.nesterov, self.power_t = (
            schedule, momentum, nesterov, power_t
        )  # fmt: skip
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, params, grads):
        for p, g, v in zip(params, grads, self.velocity):
            v *= self.momentum
            v -= self.learning_rate * g
            if self.nesterov:
                p += self.momentum * v - self.learning_rate * g
            else:
                p += v

    def iteration_ends(self, time_step):
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self):
        """Whether to stop now that the loss stalls (else the rate was lowered)."""
        if self.schedule != "adaptive" or self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        return False


class _Adam:
    """Adam (Kingma & Ba, 2015): bias-corrected first and second moment estimates."""

    def __init__(self, params, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = self.learning_rate = learning_rate_init
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params, grads):
        self.t += 1
        # lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t) folds both bias corrections into the step
        self.learning_rate = (
            self.learning_rate_init * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        )
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta_1
            m += (1 - self.beta_1) * g  # m <- beta_1 m + (1 - beta_1) g
            v *= self.beta_2
            v += (1 - self.beta_2) * (g * g)  # v <- beta_2 v + (1 - beta_2) g^2
            p -= self.learning_rate * m / (np.sqrt(v) + self.epsilon)

    def iteration_ends(self, time_step):
        pass

    def trigger_stopping(self):
        return True


_STOCHASTIC_SOLVERS = ("sgd", "adam")
# Learned state of the stochastic solvers, beyond the weights; partial_fit and warm_start carry it.
_STOCHASTIC_STATE = (
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "t_",
    "_no_improvement_count",
    "_best_coefs",
    "_best_intercepts",
    "_optimizer",
)
_OVERFLOW = (
    "{what} is not finite: float64 overflowed (overflow) in the network's arithmetic. Scale the "
    "inputs{targets} (e.g. StandardScaler){lower}."
)


def _hidden_layer_sizes(value):
    hidden = np.atleast_1d(np.asarray(value))
    if hidden.size == 0:  # no hidden layer (a linear or logistic model), as in scikit-learn;
        return []  # np.asarray(()) is float, which the integer test below would reject
    if hidden.ndim != 1 or not np.issubdtype(hidden.dtype, np.integer) or np.any(hidden < 1):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {value!r}.")
    return hidden.tolist()


class _BaseMLP(BaseEstimator):
    """Shared training loop of the MLP classifier and regressor (scikit-learn's semantics)."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # --- what the classifier and the regressor supply --------------------------------------------

    def _validation_score(self, z, Y, loss):
        """Early-stopping score of output pre-activations ``z`` against targets ``Y``."""
        raise NotImplementedError

    # --- training --------------------------------------------------------------------------------

    def _first_pass(self, incremental):
        return not hasattr(self, "coefs_") or not (self.warm_start or incremental)

    def _validate_X_y(self, X, y, reset, **kwargs):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=np.float64, reset=reset, **kwargs
        )
        # Mini-batches take rows: CSR (a sparse copy at most, never dense).
        return (X.tocsr() if scipy.sparse.issparse(X) else X), y

    def _fit(self, X, Y, loss, incremental):
        """Train on validated ``X`` and 2-D float targets ``Y`` for ``loss`` (a key of ``LOSSES``).

        The fitted state is assigned at the end, so a fit that raises leaves the model as it was.
        """
        sizes = [X.shape[1], *_hidden_layer_sizes(self.hidden_layer_sizes), Y.shape[1]]
        rng = check_random_state(self.random_state)
        if self._first_pass(incremental):
            state = self._new_state(sizes, rng)
        else:
            state = self._resumed_state(sizes)
        # Overflow is detected (non-finite loss or weights) and reported as a ValueError.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, Y, loss, state)
            else:
                self._fit_stochastic(X, Y, loss, state, rng, incremental)
        if not all(np.all(np.isfinite(p)) for p in state.coefs_ + state.intercepts_):
            raise ValueError(self._overflow_message("The fitted weights", lower=True))
        if self.solver == "lbfgs":
            for key in _STOCHASTIC_STATE:  # no stale state of an earlier stochastic fit
                vars(self).pop(key, None)
        for key, value in vars(state).items():
            setattr(self, key, value)
        self.n_layers_ = len(sizes)
        self.n_outputs_ = Y.shape[1]
        self.out_activation_ = {"squared_error": "identity", "log_loss": "logistic"}.get(
            loss, "softmax"
        )
        return self

    def _overflow_message(self, what, lower=False):
        targets = "" if isinstance(self, ClassifierMixin) else " and targets"
        hint = f", or lower learning_rate_init (now {self.learning_rate_init})" if lower else ""
        return _OVERFLOW.format(what=what, targets=targets, lower=hint)

    def _new_state(self, sizes, rng):
        coefs, intercepts = init_weights(sizes, self.activation, rng)
        state = types.SimpleNamespace(coefs_=coefs, intercepts_=intercepts, n_iter_=0)
        if self.solver in _STOCHASTIC_SOLVERS:
            self._start_progress(state)
        return state

    def _start_progress(self, state):
        """The stochastic solvers' bookkeeping, from scratch."""
        state.t_ = 0
        state.loss_curve_ = []
        state._no_improvement_count = 0
        state._optimizer = None
        state._best_coefs = [W.copy() for W in state.coefs_]
        state._best_intercepts = [b.copy() for b in state.intercepts_]
        if self.early_stopping:
            state.validation_scores_, state.best_validation_score_ = [], -np.inf
            state.best_loss_ = None
        else:
            state.validation_scores_ = state.best_validation_score_ = None
            state.best_loss_ = np.inf

    def _resumed_state(self, sizes):
        shapes = list(zip(sizes[:-1], sizes[1:]))
        fitted = [W.shape for W in self.coefs_]
        if fitted != shapes:
            raise ValueError(
                f"warm_start and partial_fit continue the fitted network, whose layers have the "
                f"weight shapes {fitted}; hidden_layer_sizes={self.hidden_layer_sizes!r} and the "
                f"data ask for {shapes}. Refit with warm_start=False."
            )
        state = types.SimpleNamespace(
            coefs_=[W.copy() for W in self.coefs_],
            intercepts_=[b.copy() for b in self.intercepts_],
            n_iter_=self.n_iter_,
        )
        if self.solver in _STOCHASTIC_SOLVERS:
            # Fresh bookkeeping, then what the model has (none after L-BFGS); copies, so that a
            # failed fit does not touch the model.
            self._start_progress(state)
            for key in _STOCHASTIC_STATE:
                if hasattr(self, key):
                    setattr(state, key, copy.deepcopy(getattr(self, key)))
            if self.early_stopping and state.validation_scores_ is None:
                state.validation_scores_, state.best_validation_score_ = [], -np.inf
            if not self.early_stopping and state.best_loss_ is None:
                state.best_loss_ = np.inf
        return state

    def _fit_lbfgs(self, X, Y, loss, state):
        """Full-batch L-BFGS (scipy's L-BFGS-B) on the backpropagation gradient."""
        shapes = [p.shape for p in state.coefs_ + state.intercepts_]
        n_layers = len(state.coefs_)

        def objective(theta):
            params = _unpack(theta, shapes)
            value, gW, gb = loss_and_gradients(
                params[:n_layers], params[n_layers:], X, Y, self.activation, loss, self.alpha
            )
            return value, _pack(gW + gb)

        result = scipy.optimize.minimize(
            objective,
            _pack(state.coefs_ + state.intercepts_),
            method="L-BFGS-B",
            jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
        )
        if not np.isfinite(result.fun):
            raise ValueError(self._overflow_message("The training loss"))
        state.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        state.loss_ = float(result.fun)
        params = _unpack(result.x, shapes)
        state.coefs_, state.intercepts_ = params[:n_layers], params[n_layers:]
        if self.verbose:
            print(f"L-BFGS: {state.n_iter_} iterations, loss = {state.loss_:.8f}")

    def _make_optimizer(self, params):
        if self.solver == "sgd":
            return _SGD(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return _Adam(params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)

    def _fit_stochastic(self, X, Y, loss, state, rng, incremental):
        """Epochs of mini-batch steps until the stopping rule fires or ``max_iter`` epochs."""
        params = state.coefs_ + state.intercepts_  # updated in place by the optimizer
        if not incremental or state._optimizer is None:
            state._optimizer = self._make_optimizer(params)
        optimizer = state._optimizer
        X_val = Y_val = None
        if self.early_stopping:
            if incremental:
                raise ValueError("partial_fit does not support early_stopping=True")
            # scikit-learn stratifies a single output column only (two classes), not one-hot rows.
            # (as booleans: a class too small to split is then named as scikit-learn names it)
            single = isinstance(self, ClassifierMixin) and Y.shape[1] == 1
            stratify = Y.astype(bool) if single else None
            X, X_val, Y, Y_val = train_test_split(
                X, Y, random_state=rng, test_size=self.validation_fraction, stratify=stratify
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' or the "
                    "size of your dataset."
                )
        n_samples = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    f"Got batch_size={self.batch_size} larger than the sample size "
                    f"({n_samples}); it is clipped to {n_samples}.",
                    UserWarning,
                    stacklevel=6,
                )
            batch_size = min(self.batch_size, n_samples)
        order = np.arange(n_samples)
        state.n_iter_ = 0
        for _ in range(self.max_iter):
            if self.shuffle:
                rng.shuffle(order)
            epoch_loss = 0.0
            for start in range(0, n_samples, batch_size):
                rows = order[start : start + batch_size]
                value, gW, gb = loss_and_gradients(
                    state.coefs_, state.intercepts_, X[rows], Y[rows], self.activation, loss,
                    self.alpha,
                )  # fmt: skip
                epoch_loss += value * len(rows)
                optimizer.step(params, gW + gb)
            state.n_iter_ += 1
            state.t_ += n_samples
            state.loss_ = epoch_loss / n_samples
            if not np.isfinite(state.loss_):
                raise ValueError(
                    self._overflow_message(f"The training loss at epoch {state.n_iter_}", True)
                )
            state.loss_curve_.append(state.loss_)
            if self.verbose:
                print(f"Iteration {state.n_iter_}, loss = {state.loss_:.8f}")
            self._update_no_improvement_count(state, X_val, Y_val, loss)
            optimizer.iteration_ends(state.t_)
            if state._no_improvement_count > self.n_iter_no_change:
                if self.verbose:
                    what = "Validation score" if self.early_stopping else "Training loss"
                    print(
                        f"{what} did not improve more than tol={self.tol} for "
                        f"{self.n_iter_no_change} consecutive epochs."
                    )
                if optimizer.trigger_stopping():
                    break
                state._no_improvement_count = 0
            if incremental:
                break
        else:
            warnings.warn(
                f"{type(self).__name__}: maximum iterations (max_iter={self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=6,
            )
        if self.early_stopping:  # the weights of the best validation score
            state.coefs_, state.intercepts_ = state._best_coefs, state._best_intercepts

    def _update_no_improvement_count(self, state, X_val, Y_val, loss):
        """scikit-learn's rule: an epoch improves if it beats the best so far by ``tol``."""
        if self.early_stopping:
            z = forward(state.coefs_, state.intercepts_, X_val, self.activation)[1]
            score = self._validation_score(z, Y_val, loss)
            state.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:.6f}")
            if score < state.best_validation_score_ + self.tol:
                state._no_improvement_count += 1
            else:
                state._no_improvement_count = 0
            if score > state.best_validation_score_:
                state.best_validation_score_ = score
                state._best_coefs = [W.copy() for W in state.coefs_]
                state._best_intercepts = [b.copy() for b in state.intercepts_]
        else:
            if state.loss_ > state.best_loss_ - self.tol:
                state._no_improvement_count += 1
            else:
                state._no_improvement_count = 0
            state.best_loss_ = min(state.best_loss_, state.loss_)

    def _stochastic(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} is not "
                "stochastic."
            )
        return True

    def _output_logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=np.float64, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):
            z = forward(self.coefs_, self.intercepts_, X, self.activation)[1]
        if not np.all(np.isfinite(z)):
            raise ValueError(self._overflow_message("The network's output on X"))
        return z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by hand-written backpropagation.

    Hidden layers with a non-linear activation, a sigmoid (two classes) or softmax output, the
    cross-entropy loss plus ``alpha/(2n) * sum ||W||^2``, and mini-batch gradient steps or L-BFGS.
    The parameters and stopping rules are scikit-learn's.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer; ``()`` is no hidden layer (a linear model of the inputs).
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer activation.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        ``"sgd"``: mini-batch SGD with momentum; ``"adam"``: Adam; ``"lbfgs"``: full-batch
        L-BFGS (scipy) on the backpropagation gradient, often best on small data.
    alpha : float, default=1e-4
        L2 penalty: the objective of a batch of ``n`` samples adds ``alpha / (2 n) * sum ||W||^2``
        to the mean loss, as in scikit-learn.
    batch_size : int or "auto", default="auto"
        Samples per gradient step, ``min(200, n_samples)`` for "auto" (not used by L-BFGS). 1 is
        the notes' SGD, ``n_samples`` full-batch gradient descent.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of ``solver="sgd"``: ``"invscaling"``: ``learning_rate_init / (t + 1)^power_t``
        after each epoch, ``t`` the samples seen; ``"adaptive"``: divided by 5 whenever
        ``n_iter_no_change`` epochs do not improve by ``tol``, until it falls below 1e-6.
    learning_rate_init : float, default=1e-3
        Initial step size (sgd, adam).
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    max_iter : int, default=200
        Maximum number of epochs (sgd, adam) or of L-BFGS iterations.
    shuffle : bool, default=True
        Reshuffle the samples each epoch (sgd, adam).
    random_state : int, RandomState instance or None, default=None
        Seed of the weight initialization, the shuffling and the validation split.
    tol : float, default=1e-4
        An epoch improves when the training loss falls (or, with ``early_stopping``, the
        validation score rises) by more than ``tol`` against the best so far; L-BFGS's gradient
        tolerance.
    verbose : bool, default=False
        Print the loss of each epoch.
    warm_start : bool, default=False
        If True, ``fit`` continues from the fitted weights instead of a new initialization.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    nesterovs_momentum : bool, default=True
        Nesterov's look-ahead step instead of the heavy ball (``solver="sgd"``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for two classes),
        stop when its score (accuracy or R^2) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the weights of the best score (sgd, adam).
    validation_fraction : float, default=0.1
        Fraction of the training data held out by ``early_stopping``.
    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate.
    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate.
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int, default=10
        Epochs without improvement (see ``tol``) before stopping or, with ``"adaptive"``,
        lowering the rate.
    max_fun : int, default=15000
        Maximum number of loss evaluations of L-BFGS.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    loss_ : float
        Last epoch's mean training objective (L-BFGS: the final objective).
    loss_curve_ : list of float
        Mean training objective of each epoch (sgd, adam).
    best_loss_ : float or None
        Lowest epoch objective (sgd, adam); None with ``early_stopping``.
    validation_scores_ : list of float or None
        Score on the held-out data after each epoch with ``early_stopping``; else None.
    best_validation_score_ : float or None
        Best of ``validation_scores_`` with ``early_stopping``; else None.
    t_ : int
        Training samples seen by the stochastic solver (sgd, adam).
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        ``intercepts_[l]`` has shape (fan_out,).
    n_iter_ : int
        Epochs run by the last ``fit`` (L-BFGS: iterations).
    n_layers_ : int
        Layers including input and output.
    n_outputs_ : int
        Output units (1 for two classes).
    out_activation_ : str
        ``"logistic"`` (two classes) or ``"softmax"``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's MLP (the same model and optimizers).
    Perceptron : no hidden layer: only linearly separable problems.

    References
    ----------
    .. [1] D. E. Rumelhart, G. E. Hinton, R. J. Williams, "Learning representations by
       back-propagating errors", Nature 323, 1986.
    .. [2] D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.

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

    def _validation_score(self, z, Y, loss):
        # accuracy; for several sigmoid outputs (multilabel) every label of a sample must be right
        if loss == "ce":
            return float(np.mean(z.argmax(axis=1) == Y.argmax(axis=1)))
        return float(np.mean(np.all((z > 0) == (Y > 0.5), axis=1)))

    def _binarized(self, y, incremental):
        """One-hot, 0/1 column (two classes) or indicator (multilabel) targets, and the loss.

        The classes are set by a first fit only.
        """
        check_classification_targets(y)
        if not hasattr(self, "classes_") or not (self.warm_start or incremental):
            binarizer = LabelBinarizer().fit(y)
        else:
            binarizer = self._label_binarizer
            classes = unique_labels(y)
            if self.warm_start and not incremental and set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {classes}."
                )
            if np.setdiff1d(classes, self.classes_).size:
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        if len(binarizer.classes_) < 2:
            raise ValueError(
                f"MLPClassifier needs at least two classes; got one class {binarizer.classes_}."
            )
        Y = binarizer.transform(y).astype(np.float64)
        # softmax + cross-entropy for one label among several; a sigmoid per column otherwise
        loss = "ce" if binarizer.y_type_ == "multiclass" else "log_loss"
        return binarizer, Y, loss

    def _validate_classification(self, X, y, reset):
        X, y = self._validate_X_y(X, y, reset=reset, multi_output=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # one target as a column, not a multilabel indicator
        return X, y

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : MLPClassifier
        """
        X, y = self._validate_classification(X, y, reset=self._first_pass(False))
        binarizer, Y, loss = self._binarized(y, incremental=False)
        self._fit(X, Y, loss, incremental=False)
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        return self

    @available_if(lambda self: self._stochastic())
    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """One epoch of mini-batch steps on (X, y), continuing the fitted network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call, ignored afterwards.

        Returns
        -------
        self : MLPClassifier
        """
        first_call = _check_partial_fit_first_call(self, classes)
        X, y = self._validate_classification(X, y, reset=first_call or not hasattr(self, "coefs_"))
        if first_call:
            multilabel = type_of_target(y).startswith("multilabel")
            self._label_binarizer = LabelBinarizer().fit(y if multilabel else self.classes_)
        binarizer, Y, loss = self._binarized(y, incremental=True)
        self._fit(X, Y, loss, incremental=True)
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        return self

    def predict_proba(self, X):
        """Class probabilities (sigmoid or softmax of the output layer).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        z = self._output_logits(X)
        if self.out_activation_ == "softmax":
            return softmax(z, axis=1)
        p = expit(z)
        return np.hstack([1.0 - p, p]) if self.n_outputs_ == 1 and not self._multilabel else p

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        z = self._output_logits(X)
        if self.out_activation_ == "softmax":
            return log_softmax(z, axis=1)
        log_p = -np.logaddexp(0.0, -z)
        if self.n_outputs_ == 1 and not self._multilabel:
            return np.hstack([-np.logaddexp(0.0, z), log_p])
        return log_p

    def predict(self, X):
        """Most probable class (the Bayesian decision on the network's posterior).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        z = self._output_logits(X)
        if self._multilabel:
            return (z > 0).astype(int)
        index = (z[:, 0] > 0).astype(int) if z.shape[1] == 1 else z.argmax(axis=1)
        return self.classes_[index]

    @property
    def _multilabel(self):
        return self._label_binarizer.y_type_.startswith("multilabel")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by hand-written backpropagation.

    Hidden layers with a non-linear activation, an identity output, the objective
    ``1/(2n) ||Y - f(X)||^2 + alpha/(2n) * sum ||W||^2``, and mini-batch gradient steps or L-BFGS.
    The parameters and stopping rules are scikit-learn's.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer; ``()`` is no hidden layer (a linear model of the inputs).
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer activation.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        ``"sgd"``: mini-batch SGD with momentum; ``"adam"``: Adam; ``"lbfgs"``: full-batch
        L-BFGS (scipy) on the backpropagation gradient, often best on small data.
    alpha : float, default=1e-4
        L2 penalty: the objective of a batch of ``n`` samples adds ``alpha / (2 n) * sum ||W||^2``
        to the mean loss, as in scikit-learn.
    batch_size : int or "auto", default="auto"
        Samples per gradient step, ``min(200, n_samples)`` for "auto" (not used by L-BFGS). 1 is
        the notes' SGD, ``n_samples`` full-batch gradient descent.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of ``solver="sgd"``: ``"invscaling"``: ``learning_rate_init / (t + 1)^power_t``
        after each epoch, ``t`` the samples seen; ``"adaptive"``: divided by 5 whenever
        ``n_iter_no_change`` epochs do not improve by ``tol``, until it falls below 1e-6.
    learning_rate_init : float, default=1e-3
        Initial step size (sgd, adam).
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    max_iter : int, default=200
        Maximum number of epochs (sgd, adam) or of L-BFGS iterations.
    shuffle : bool, default=True
        Reshuffle the samples each epoch (sgd, adam).
    random_state : int, RandomState instance or None, default=None
        Seed of the weight initialization, the shuffling and the validation split.
    tol : float, default=1e-4
        An epoch improves when the training loss falls (or, with ``early_stopping``, the
        validation score rises) by more than ``tol`` against the best so far; L-BFGS's gradient
        tolerance.
    verbose : bool, default=False
        Print the loss of each epoch.
    warm_start : bool, default=False
        If True, ``fit`` continues from the fitted weights instead of a new initialization.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    nesterovs_momentum : bool, default=True
        Nesterov's look-ahead step instead of the heavy ball (``solver="sgd"``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for two classes),
        stop when its score (accuracy or R^2) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the weights of the best score (sgd, adam).
    validation_fraction : float, default=0.1
        Fraction of the training data held out by ``early_stopping``.
    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate.
    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate.
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int, default=10
        Epochs without improvement (see ``tol``) before stopping or, with ``"adaptive"``,
        lowering the rate.
    max_fun : int, default=15000
        Maximum number of loss evaluations of L-BFGS.

    Attributes
    ----------
    loss_ : float
        Last epoch's mean training objective (L-BFGS: the final objective).
    loss_curve_ : list of float
        Mean training objective of each epoch (sgd, adam).
    best_loss_ : float or None
        Lowest epoch objective (sgd, adam); None with ``early_stopping``.
    validation_scores_ : list of float or None
        Score on the held-out data after each epoch with ``early_stopping``; else None.
    best_validation_score_ : float or None
        Best of ``validation_scores_`` with ``early_stopping``; else None.
    t_ : int
        Training samples seen by the stochastic solver (sgd, adam).
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        ``intercepts_[l]`` has shape (fan_out,).
    n_iter_ : int
        Epochs run by the last ``fit`` (L-BFGS: iterations).
    n_layers_ : int
        Layers including input and output.
    n_outputs_ : int
        Number of targets.
    out_activation_ : str
        ``"identity"``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

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

    def _validation_score(self, z, Y, loss):
        return float(r2_score(Y, z))

    def _targets(self, X, y, incremental):
        X, y = self._validate_X_y(
            X, y, reset=self._first_pass(incremental), multi_output=True, y_numeric=True
        )
        return X, y.reshape(len(y), -1)

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : MLPRegressor
        """
        X, Y = self._targets(X, y, incremental=False)
        return self._fit(X, Y, "squared_error", incremental=False)

    @available_if(lambda self: self._stochastic())
    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y):
        """One epoch of mini-batch steps on (X, y), continuing the fitted network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : MLPRegressor
        """
        X, Y = self._targets(X, y, incremental=True)
        return self._fit(X, Y, "squared_error", incremental=True)

    def predict(self, X):
        """Network output.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        z = self._output_logits(X)
        return z.ravel() if self.n_outputs_ == 1 else z

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination :math:`R^2` of the prediction.

        :math:`R^2` does not depend on the scale of ``y``; the targets and predictions are divided
        by one power of two (exactly) before their squares are summed, so that huge or tiny values
        neither overflow nor underflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        y_pred = self.predict(X)
        y = np.asarray(y, dtype=np.float64)
        largest = max(np.max(np.abs(y), initial=0.0), np.max(np.abs(y_pred), initial=0.0))
        scale = 2.0 ** np.frexp(largest)[1] if np.isfinite(largest) and largest > 0 else 1.0
        return float(r2_score(y / scale, y_pred / scale, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
