"""What RidgeGD, LassoGD and LogisticRegressionGD share: hyper-parameters, validation, the fit loop.

The fit is a template (``imblearn``'s ``fit_resample`` style): :meth:`_BaseGD.fit` validates, asks
the subclass for the penalties (``_penalties``), builds the problem and hands it to the engine
(:func:`~sklearn_notes.linear_model._gd.gradient_descent`); ``_unpack`` turns the solution into
``coef_`` / ``intercept_``. Everything is computed into locals and assigned at the end, so a failed
fit leaves no half-updated model.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import atomic_fit
from ..utils._validation import check_sample_weight
from ._gd import DesignProblem, GramProblem, WorkingSetProblem, gradient_descent, overflow_error
from ._sgd_epoch import kernel_input

__all__ = []

# Above this many features the (d, d) Gram matrix costs more than it saves.
_MAX_GRAM_FEATURES = 4000


class _BaseGD(BaseEstimator):
    """Hyper-parameters and fit loop of the gradient-descent linear models (not public)."""

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"gd", "sgd", "minibatch"})],
        "accelerated": ["boolean"],
        "learning_rate": [StrOptions({"lipschitz", "constant", "invscaling"})],
        "eta0": [Interval(Real, 0, None, closed="neither"), None],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "fit_intercept": ["boolean"],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        solver="gd",
        accelerated=True,
        learning_rate="lipschitz",
        eta0=None,
        power_t=0.5,
        batch_size=32,
        max_iter=1000,
        tol=1e-6,
        n_iter_no_change=5,
        shuffle=True,
        fit_intercept=True,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.alpha = alpha
        self.solver = solver
        self.accelerated = accelerated
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.fit_intercept = fit_intercept
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # --- hooks for the subclasses ----------------------------------------------------------

    #: loss of the engine: "squared" or "logistic"/"multinomial" (chosen in _encode_target)
    _loss = "squared"

    def _encode_target(self, y):
        """Return ``(Y, state)``: a 2-D float target and what ``_unpack`` needs to decode it."""
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return Y.astype(np.float64, copy=False), {"ndim": y.ndim}

    def _penalties(self, sample_weight):
        """``(l2, l1)`` of the mean-scaled engine objective."""
        raise NotImplementedError

    def _objective_scale(self, sample_weight):
        """Factor from the engine's mean-scaled objective to the estimator's documented one."""
        return 1.0

    def _exact_solution(self, X, Y, sample_weight):
        """``(W, b)`` by a direct solve, for solvers that are not gradient descent."""
        raise NotImplementedError

    def _weights(self, y, sample_weight):
        """``(weights of the objective, what its mean divides by)``; class weights go here."""
        return sample_weight, None

    def _extra_attributes(self, X, Y, W, b, sample_weight, state, result):
        """Learned attributes beyond ``coef_`` / ``intercept_`` (e.g. the lasso's duality gap)."""
        return {}

    # --- fit ---------------------------------------------------------------------------------

    def _validate(self, X, y, sample_weight):
        regression = self._loss == "squared"
        # multi_output=True lets a sparse y through validate_data, to fail later on "setting an
        # array element with a sequence"; scikit-learn's regressors refuse it up front
        if scipy.sparse.issparse(y):
            raise TypeError(
                "Sparse data was passed for y, but dense data is required. Use '.toarray()' to "
                "convert to a dense numpy array."
            )
        X, y = validate_data(
            self, X, y, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32),
            multi_output=regression, y_numeric=regression,
        )  # fmt: skip
        sample_weight = check_sample_weight(sample_weight, X)
        if regression and not np.all(np.isfinite(np.square(np.asarray(y, dtype=np.float64)))):
            raise overflow_error("y")
        return X, y, sample_weight

    def _uses_gram(self, X):
        n, d = X.shape
        l1 = self._penalties(np.ones(1))[1]
        # the lasso's working sets stay small, so they suit n < d as well
        return (
            self._loss == "squared"
            and self.solver == "gd"
            and (n >= d or l1 > 0)
            and d <= _MAX_GRAM_FEATURES
        )

    def _initial(self, n_features, n_outputs):
        """Starting ``(W, b)``: zeros, or the current ``coef_`` / ``intercept_`` on a warm start.

        As in scikit-learn, a user-set ``coef_`` suffices; a missing ``intercept_`` starts at 0.
        """
        W0 = np.zeros((n_features, n_outputs))
        b0 = np.zeros(n_outputs)
        if self.warm_start and hasattr(self, "coef_"):
            coef = np.asarray(self.coef_, dtype=np.float64)
            if coef.size == W0.size:
                W0 = coef.reshape(-1, n_features).T.copy()
                intercept = np.asarray(getattr(self, "intercept_", 0.0), dtype=np.float64)
                b0 = np.broadcast_to(intercept.reshape(-1), (n_outputs,)).copy()
        return W0, b0

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by gradient descent on the penalized objective.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; a CSR / CSC matrix is used as it is, never densified.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the objective; integer weights are equivalent to repeating
            rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # overflow is reported by the finiteness checks as a clear error, never as warnings
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight):
        X, y, sample_weight = self._validate(X, y, sample_weight)
        dtype = X.dtype  # float32 in, float32 out (before any float64 copy for the kernels)
        Y, state = self._encode_target(y)
        n_features, n_outputs = X.shape[1], Y.shape[1]
        # 1. warm start from the previous solution when its shape still fits
        W0, b0 = self._initial(n_features, n_outputs)
        weights, norm = self._weights(y, sample_weight)
        positive = getattr(self, "positive", False)
        if getattr(self, "solver", None) == "closed_form":
            W, b = self._exact_solution(X, Y, sample_weight)
            curve, n_iter, result = [], 0, None
        else:
            # 2. the problem: through the Gram matrix for least squares when n >> d
            l2, l1 = self._penalties(sample_weight)
            if self._uses_gram(X) and l1 > 0:
                problem = WorkingSetProblem(
                    X, Y, weights, l2, l1, self.fit_intercept, positive=positive
                )
            elif self._uses_gram(X):
                problem = GramProblem(X, Y, weights, l2, l1, self.fit_intercept, positive)
            else:
                if self.solver != "gd":  # the compiled SGD epoch has one specialization
                    X = kernel_input(X)
                loss = state.get("loss", self._loss)
                problem = DesignProblem(
                    X, Y, weights, loss, l2, l1, self.fit_intercept, norm=norm, positive=positive
                )
            theta0 = problem.to_theta(W0, b0)
            # 3. the engine
            result = gradient_descent(
                problem,
                theta0,
                solver=self.solver,
                accelerated=self.accelerated,
                learning_rate=self.learning_rate,
                eta0=self.eta0,
                power_t=self.power_t,
                batch_size=self.batch_size,
                max_iter=self.max_iter,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                shuffle=self.shuffle,
                random_state=check_random_state(self.random_state),
                verbose=self.verbose,
            )
            W, b = problem.from_theta(result.theta)
            scale = self._objective_scale(sample_weight)
            curve = [scale * value for value in result.loss_curve]
            n_iter = result.n_iter
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise overflow_error()
        extra = self._extra_attributes(X, Y, W, b, sample_weight, state, result)
        # 4. assign everything at the end
        self._unpack(W, b, state, dtype)
        for name, value in extra.items():
            setattr(self, name, value)
        self.loss_curve_ = curve
        self.n_iter_ = self._n_iter(n_iter, n_outputs)
        return self

    def _n_iter(self, n_iter, n_outputs):
        """``n_iter_`` in the subclass's scikit-learn form (the targets share one run)."""
        return n_iter

    def _unpack(self, W, b, state, dtype):
        # scikit-learn's shapes: a single target gives a 1-D coef_, even from a (n, 1) y, whose
        # intercept_ stays an array of shape (1,)
        self.coef_ = (W[:, 0] if W.shape[1] == 1 else W.T).astype(dtype)
        self.intercept_ = dtype.type(b[0]) if state["ndim"] == 1 else np.asarray(b, dtype=dtype)

    def _decision(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32), reset=False
        )
        coef = np.asarray(self.coef_)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(X @ coef.T) + self.intercept_


class _BaseRegressorGD(RegressorMixin, _BaseGD):
    """The least-squares regressors (ridge, lasso): single or multi-output ``X w + b``."""

    _parameter_constraints: dict = {**_BaseGD._parameter_constraints, "positive": ["boolean"]}

    def __init__(
        self,
        alpha=1.0,
        *,
        solver="gd",
        accelerated=True,
        learning_rate="lipschitz",
        eta0=None,
        power_t=0.5,
        batch_size=32,
        max_iter=1000,
        tol=1e-6,
        n_iter_no_change=5,
        shuffle=True,
        fit_intercept=True,
        warm_start=False,
        positive=False,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            alpha=alpha,
            solver=solver,
            accelerated=accelerated,
            learning_rate=learning_rate,
            eta0=eta0,
            power_t=power_t,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            shuffle=shuffle,
            fit_intercept=fit_intercept,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )
        self.positive = positive

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predict ``X w + b``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted targets.
        """
        return self._decision(X)
