"""Exact polish of the SMO solution: the KKT equations of the notes, solved on the free set.

SMO stops at a tolerance (``m(alpha) - M(alpha) < tol``), so two fits of the same problem that
take different paths -- a sample of weight 2 versus the same sample repeated twice -- stop at
solutions that differ by O(tol). Once SMO has found which multipliers are free,
:math:`F = \\{i : 0 < \\alpha_i < C_i\\}`, and which sit at a bound (:math:`B`), the optimum on that
face is the solution of the notes' KKT conditions, which are linear there (with
:math:`\\beta_i = y_i \\alpha_i` and the decision function :math:`f(x) = \\sum_j \\beta_j K(x_j, x)
+ b`):

.. math::

    \\sum_{j} K_{ij} \\beta_j + b = y_i \\quad (i \\in F) \\qquad
    \\text{(complementary slackness: } y_i f(x_i) = 1 \\text{ on free support vectors)},

    \\sum_{i \\in F} \\beta_i = - \\sum_{i \\in B} \\beta_i \\qquad
    (\\textstyle\\sum_i y_i \\alpha_i = 0).

:func:`polish_dual` solves them in float64 and keeps the result only when it is still a KKT point
of the whole dual: inside the box, the bound multipliers' conditions intact, the objective no worse.
"""

import numpy as np
from scipy.linalg import solve_triangular
from scipy.linalg.lapack import dpstrf

from ._smo import BinarySolution, _matvec, _rho, _violations

__all__ = ["polish_dual", "polish_solution"]

# Kernel blocks of the polish are computed this many values at a time (16 MB in float64).
BLOCK_ELEMENTS = 2**21


def _kkt_violation(alpha, G, y, C):
    """m(alpha) - M(alpha), the largest KKT violation (0 or less at an exact optimum)."""
    up, low, yg = _violations(alpha, G, y, C)
    m = yg[up].max() if up.any() else -np.inf
    M = yg[low].min() if low.any() else np.inf
    return float(m - M)


def polish_dual(exact_rows, kernel_rows, y, C, alpha, G, tol):
    """Solve the KKT equations on SMO's free set exactly; keep the result if it is still optimal.

    With the free set :math:`F` and the bound multipliers :math:`B` of SMO's solution fixed, and
    :math:`\\beta = y \\circ \\alpha`, the correction :math:`(d, \\delta)` of
    :math:`(\\beta_F, b)` solves the bordered system

    .. math::

        \\begin{pmatrix} K_{FF} & \\mathbf 1 \\\\ \\mathbf 1^\\top & 0 \\end{pmatrix}
        \\begin{pmatrix} d \\\\ \\delta \\end{pmatrix} =
        \\begin{pmatrix} y_F - K_{F,S}\\, \\beta_S - b \\\\ -\\mathbf 1^\\top \\beta \\end{pmatrix}

    (:math:`S`: the support vectors), i.e. :math:`y_i f(x_i) = 1` on :math:`F` and
    :math:`\\sum_i y_i \\alpha_i = 0` after the step. :math:`K_{FF}` is singular when samples
    repeat (the sample-weight case: a sample repeated ``k`` times against one of weight ``k``) or
    for a linear kernel with more free vectors than features, so it is factored by Cholesky with
    complete pivoting (LAPACK ``dpstrf``), which stops at its numerical rank ``r``: the correction
    lives on the ``r`` pivots ``P`` (the other free multipliers keep their value -- a duplicate's
    twin carries the change, which leaves ``f`` the same), and by the Schur complement of the
    border, with :math:`K_{PP} u = r_P`, :math:`K_{PP} v = \\mathbf 1`,

    .. math::

        \\delta = \\frac{\\mathbf 1^\\top u + \\mathbf 1^\\top \\beta}{\\mathbf 1^\\top v},
        \\qquad d_P = u - \\delta v.

    Equations of the dropped rows that the pivots do not satisfy (an inconsistent system: SMO's
    free set is not the optimum's) show up as a KKT violation and the result is rejected.

    The result is accepted only if

    1. every multiplier stays in its box :math:`[0, C_i]` (to round-off: ``1e-10`` of the largest
       finite bound or multiplier; such round-off is clipped),
    2. the largest KKT violation :math:`m(\\alpha) - M(\\alpha)` over *all* multipliers, with the
       new gradient, is below ``tol`` (the bound multipliers keep their conditions), and
    3. the dual objective does not increase (a non-PSD kernel, e.g. sigmoid, can make the
       stationary point of the face a saddle).

    Kernel values of the equations are float64 (``exact_rows``); the gradient of the bound
    multipliers, which the solver kept with its float32 kernel, is corrected by the same float32
    kernel (``kernel_rows``): the correction is small, so its float32 round-off is far below that
    of the gradient it corrects.

    Parameters
    ----------
    exact_rows : callable(rows, cols) -> ndarray of shape (len(rows), len(cols))
        Kernel blocks in float64, e.g. :class:`~sklearn_notes.svm._kernels.KernelRows` with
        ``dtype=np.float64``.
    kernel_rows : callable(rows, cols, out=None) -> ndarray
        The solver's (float32) kernel blocks.
    y : ndarray of shape (n,)
        Labels in {-1, +1}.
    C : ndarray of shape (n,)
        Upper bounds (``inf`` for the hard margin).
    alpha : ndarray of shape (n,)
        SMO's solution (feasible).
    G : ndarray of shape (n,)
        Gradient :math:`Q \\alpha - 1` at ``alpha``.
    tol : float
        The solver's tolerance on :math:`m - M`.

    Returns
    -------
    alpha, G : ndarray of shape (n,), or None
        The polished multipliers and their gradient (free entries exact in float64), or ``None``
        when the polish is rejected (SMO's solution is then the answer).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.svm._kernels import KernelRows
    >>> from sklearn_notes.svm._polish import polish_dual
    >>> from sklearn_notes.svm._smo import solve_binary
    >>> X = np.array([[0.0], [1.0], [1.5], [3.0], [4.0]])
    >>> y = np.array([-1.0, -1.0, 1.0, 1.0, 1.0])
    >>> C = np.ones(5)
    >>> rows = KernelRows(X, "rbf", gamma=0.5)  # the solver's float32 kernel
    >>> exact = KernelRows(X, "rbf", gamma=0.5, dtype=np.float64)
    >>> sol = solve_binary(rows, y, C, tol=0.1)
    >>> float(sol.violation) > 0.01  # SMO stopped at tol
    True
    >>> alpha, G = polish_dual(exact, rows, y, C, sol.alpha, sol.G, tol=0.1)
    >>> free = (alpha > 0) & (alpha < C)
    >>> bool(np.ptp(y[free] * G[free]) < 1e-12)  # y_i f(x_i) = 1 on every free vector
    True
    """
    free = np.flatnonzero((alpha > 0) & (alpha < C))
    if free.size == 0:
        return None  # no equation: b is only bounded, and SMO's alpha is a vertex of the box
    sv = np.flatnonzero(alpha > 0)
    beta = y * alpha
    n_free = free.size

    # 1. K_FF and the exact free gradient G_F = y_F (K_F,S beta_S) - 1, in float64 row blocks.
    free_in_sv = np.searchsorted(sv, free)
    K_FF = np.empty((n_free, n_free))
    K_beta = np.empty(n_free)
    step = max(1, BLOCK_ELEMENTS // sv.size)
    for start in range(0, n_free, step):
        block = np.asarray(exact_rows(free[start : start + step], sv), dtype=np.float64)
        K_beta[start : start + step] = block @ beta[sv]
        K_FF[start : start + step] = block[:, free_in_sv]
    y_F = y[free]
    G_F = y_F * K_beta - 1.0
    b = float(np.mean(y_F - K_beta))  # SMO's b, least-squares over the free equations

    # 2. Pivoted Cholesky P^T K_FF P = U^T U up to the numerical rank, then the bordered system.
    U, piv, rank, info = dpstrf(K_FF, lower=0)
    if info < 0 or rank == 0:
        return None
    P = piv[:rank] - 1
    U = U[:rank, :rank]
    rhs = np.column_stack([y_F[P] - K_beta[P] - b, np.ones(rank)])
    uv = solve_triangular(U, solve_triangular(U, rhs, trans="T"))
    u, v = uv[:, 0], uv[:, 1]
    delta = (u.sum() + beta.sum()) / v.sum()
    d = np.zeros(n_free)
    d[P] = u - delta * v

    # 3. Box, with round-off clipped.
    finite = np.isfinite(C)
    scale = max(alpha.max(), C[finite].max() if finite.any() else 0.0)
    a_F = alpha[free] + y_F * d
    slack = 1e-10 * scale
    if np.any(a_F < -slack) or np.any(a_F > C[free] + slack):
        return None
    a_F = np.clip(a_F, 0.0, C[free])
    d = y_F * (a_F - alpha[free])

    # 4. New gradient: free entries exact (float64), the others corrected with the solver's kernel.
    new_G = G.copy()
    new_G[free] = G_F + y_F * (K_FF @ d)
    others = np.setdiff1d(np.arange(y.size), free, assume_unique=True)
    step = max(1, BLOCK_ELEMENTS // n_free)
    for start in range(0, others.size, step):
        rows = others[start : start + step]
        block = kernel_rows(rows, free)
        new_G[rows] += y[rows] * _matvec(block, d)
    new_alpha = alpha.copy()
    new_alpha[free] = a_F

    # 5. Accept only a KKT point of the whole dual with an objective no worse than SMO's:
    #    f(alpha + Δ) - f(alpha) = G_F·Δ_F + 1/2 d^T K_FF d, with Δ_F = y_F d.
    change = float(G_F @ (y_F * d) + 0.5 * d @ (K_FF @ d))
    if change > 1e-12 * (1.0 + abs(float(alpha @ (G - 1.0)))):
        return None
    if not _kkt_violation(new_alpha, new_G, y, C) < tol:
        return None
    return new_alpha, new_G


def polish_solution(solution, exact_rows, kernel_rows, y, C, tol):
    """:func:`polish_dual` applied to a converged :class:`~sklearn_notes.svm._smo.BinarySolution`.

    Returns a new solution with ``rho`` (libsvm's mean over the free multipliers), ``objective`` and
    ``violation`` (the largest KKT violation of the returned ``alpha``) recomputed from the polished
    gradient, or ``solution`` itself when it did not converge or the polish was rejected.
    """
    if not (solution.converged and solution.separable):
        return solution
    polished = polish_dual(exact_rows, kernel_rows, y, C, solution.alpha, solution.G, tol)
    if polished is None:
        return solution
    alpha, G = polished
    return BinarySolution(
        alpha,
        _rho(alpha, G, y, C),
        solution.n_iter,
        max(_kkt_violation(alpha, G, y, C), 0.0),
        0.5 * float(alpha @ (G - 1.0)),
        True,
        True,
        G,
    )
