"""The EM engine shared by the Gaussian mixture and k-means (concept map rows 27 and 30).

The notes derive EM from a lower bound on the log-likelihood. For any distribution ``q(z)`` over the
latent variables,

.. math::

    \\ln p(X \\mid \\theta) = \\underbrace{\\mathbb E_q[\\ln p(X, Z \\mid \\theta)] + H(q)}_{
    \\mathrm{ELBO}(q, \\theta)} + KL\\big(q(Z) \\,\\|\\, p(Z \\mid X, \\theta)\\big)
    \\;\\ge\\; \\mathrm{ELBO}(q, \\theta),

because ``KL >= 0`` (Jensen). EM is coordinate ascent on the ELBO:

1. **E-step**: with ``theta`` fixed, the best ``q`` is the posterior ``p(z | x, theta)``; the KL
   term is then 0 and the bound touches the log-likelihood.
2. **M-step**: with ``q`` fixed, maximize ``E_q[ln p(X, Z | theta)]`` over ``theta``.

Neither step can lower the bound, and after each E-step the bound *is* the log-likelihood, so the
log-likelihood never decreases. k-means is the same loop with *hard* responsibilities (``q`` puts
all its mass on the nearest centroid) and the objective ``-inertia``.

:class:`BaseEM` owns everything that does not depend on the model: initialization through a hook,
the E/M loop, convergence (on the change of the objective, or on a model's own measure of change),
``n_init`` restarts keeping the best, ``warm_start``, ``max_iter`` with a
:class:`~sklearn.exceptions.ConvergenceWarning`, ``verbose`` progress, ``random_state`` and the
per-iteration history. A model supplies its E-step, M-step and initialization (the E-step returns
the objective at the current parameters).
"""

import warnings
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass, field

from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ..utils._threads import limit_blas

__all__ = ["BaseEM", "EMRun"]


@dataclass
class EMRun:
    """The outcome of one EM run from one initialization.

    Attributes
    ----------
    params : object
        The model's parameters after the last M-step (whatever the model's hooks exchange).
    resp : object
        The E-step posterior at ``params`` (soft or hard responsibilities): the final E-step.
    objective : float
        The objective at ``params`` (GMM: mean log-likelihood; k-means: ``-inertia``).
    history : list of float
        The objective at the initial parameters and after every iteration (``n_iter + 1`` values).
    n_iter : int
        Number of M-steps performed.
    converged : bool
        Whether the change of the objective fell within the tolerance before ``max_iter``.
    """

    params: object
    resp: object
    objective: float
    history: list = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False


class BaseEM(BaseEstimator, metaclass=ABCMeta):
    """Base class for models fitted by expectation-maximization.

    Subclasses store the hyper-parameters ``tol``, ``max_iter``, ``n_init``, ``random_state`` and
    ``verbose`` (and optionally ``warm_start``) and implement the hooks below. Their ``fit`` calls
    :meth:`_fit_em` and turns the winning :class:`EMRun` into fitted attributes.

    Notes
    -----
    The hooks a model implements:

    _prepare(X, sample_weight)
        Per-sample quantities computed once per fit (e.g. ``||x||^2``), shared by every iteration
        and every restart. Defaults to ``X``.
    _initialize(data, sample_weight, random_state)
        The parameters ``theta^(0)`` of one restart.
    _warm_params(data)
        The parameters to continue from when ``warm_start`` is set and the model is fitted.
    _e_step(data, sample_weight, params) -> (resp, objective)
        The posterior over the latent variables at ``params`` and the objective there.
    _m_step(data, sample_weight, resp) -> params
        The parameters maximizing the expected complete-data objective under ``resp``.
    _objective_scale(data, sample_weight)
        The convergence test is ``change <= tol * scale`` (default scale 1).
    _change(old_params, old_resp, params, resp, objective_change)
        The quantity the convergence test compares with ``tol * scale`` (default: the absolute
        change of the objective).
    _n_restarts()
        How many initializations to try (default ``n_init``).
    _blas_threads(X)
        BLAS threads during the loop (default 1, see :meth:`_fit_em`; None: no limit).
    """

    # --- hooks -----------------------------------------------------------------------------------

    def _prepare(self, X, sample_weight):
        return X

    @abstractmethod
    def _initialize(self, data, sample_weight, random_state):
        """Return the initial parameters of one restart."""

    def _warm_params(self, data):
        raise NotImplementedError(f"{type(self).__name__} does not support warm_start.")

    @abstractmethod
    def _e_step(self, data, sample_weight, params):
        """Return ``(resp, objective)``: the posterior at ``params`` and the objective there."""

    @abstractmethod
    def _m_step(self, data, sample_weight, resp):
        """Return the parameters that maximize the expected objective under ``resp``."""

    def _objective_scale(self, data, sample_weight):
        return 1.0

    def _change(self, old_params, old_resp, params, resp, objective_change):
        return abs(objective_change)

    def _n_restarts(self):
        return self.n_init

    def _blas_threads(self, X):
        return 1

    # --- the engine ------------------------------------------------------------------------------

    def _run_em(self, data, sample_weight, params):
        """EM from ``params`` until the objective changes by at most the tolerance.

        Every iteration ends with an E-step at the new parameters: it gives the objective used by
        the convergence test, the posterior for the next M-step and, after the last iteration, the
        posterior consistent with the returned parameters (so ``fit_predict`` agrees with
        ``predict``).
        """
        tol = self.tol * self._objective_scale(data, sample_weight)
        resp, objective = self._e_step(data, sample_weight, params)
        history = [objective]
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            old_params, old_resp = params, resp
            params = self._m_step(data, sample_weight, resp)
            resp, new_objective = self._e_step(data, sample_weight, params)
            change = self._change(old_params, old_resp, params, resp, new_objective - objective)
            objective = new_objective
            history.append(objective)
            if self.verbose >= 2:
                print(f"  Iteration {n_iter}: objective {objective:.8g}, change {change:.3g}")
            if change <= tol:
                converged = True
                break
        return EMRun(params, resp, objective, history, n_iter, converged)

    def _fit_em(self, X, sample_weight):
        """Run EM from every initialization and return the best :class:`EMRun`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Validated data.
        sample_weight : ndarray of shape (n_samples,)
            Validated non-negative weights.

        Returns
        -------
        best : EMRun
            The run with the highest final objective (the first one on ties).
        """
        # An EM iteration is a few thin matrix products (n x small); waking BLAS threads for each
        # costs more than it saves, above all on a loaded machine, so the loop runs single-threaded
        # BLAS by default, as scikit-learn's KMeans does.
        limit = self._blas_threads(X)
        if limit is None:
            return self._fit_em_runs(X, sample_weight)
        with limit_blas(limit):
            return self._fit_em_runs(X, sample_weight)

    def _fit_em_runs(self, X, sample_weight):
        random_state = check_random_state(self.random_state)
        data = self._prepare(X, sample_weight)
        warm = getattr(self, "warm_start", False) and hasattr(self, "n_iter_")
        n_restarts = 1 if warm else self._n_restarts()
        best = None
        for init in range(n_restarts):
            if warm:
                params = self._warm_params(data)
            else:
                params = self._initialize(data, sample_weight, random_state)
            run = self._run_em(data, sample_weight, params)
            if self.verbose:
                state = "converged" if run.converged else "did not converge"
                print(
                    f"Initialization {init}: {state} after {run.n_iter} iterations, "
                    f"objective {run.objective:.8g}"
                )
            if best is None or run.objective > best.objective:
                best = run
        if not best.converged and self.max_iter > 0:
            warnings.warn(
                f"{type(self).__name__}: Best performing initialization did not converge. Try "
                "different init parameters, or increase max_iter, tol, or check for degenerate "
                f"data (max_iter={self.max_iter}, tol={self.tol}).",
                ConvergenceWarning,
                stacklevel=3,
            )
        return best
