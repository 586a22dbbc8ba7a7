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
from numba import njit
from scipy.linalg.lapack import dpotrf, dpotrs, dpstrf

from ..utils._threads import limit_blas

__all__ = ["newton_step_dual", "polish_dual"]

# Free sets from this size on are factored on one BLAS thread: OpenBLAS's dpotrf goes parallel
# from size 128 on, and on a busy machine threads waiting for a core cost far more than the
# factorization (smaller ones never wake others).
SINGLE_THREAD_FREE = 100

# Steps of the active-set loop that pins multipliers blocking the step to the face's minimizer.
MAX_PIN_STEPS = 50


def _factor(K):
    """Cholesky factor ``U`` (upper, ``U^T U = K[P][:, P]``) on numerically independent pivots P.

    Plain Cholesky first (half the cost of the pivoted one); if a pivot falls below LAPACK's own
    rank threshold ``n eps max(diag K)`` -- repeated samples; a linear kernel with more than
    ``d + 1`` free vectors -- Cholesky with complete pivoting (``dpstrf``) stops at the numerical
    rank instead. Returns None for a matrix without a positive diagonal.
    """
    n = K.shape[0]
    threshold = n * np.finfo(np.float64).eps * K.diagonal().max()
    if not threshold > 0:
        return None
    # (K.T: the Fortran-ordered view of the symmetric K, which LAPACK reads without a transpose)
    U, info = dpotrf(K.T, lower=0, clean=0)
    if info == 0 and U.diagonal().min() ** 2 > threshold:
        return U, np.arange(n)
    U, piv, rank, info = dpstrf(K.T, tol=threshold, lower=0)
    if info < 0 or rank == 0:
        return None
    return np.triu(U[:rank, :rank]), piv[:rank] - 1


def _cho_solve(U, B):
    """K^-1 B from the factor U^T U = K (LAPACK dpotrs: one call, where scipy's
    solve_triangular pair has per-call overhead that dominates small systems)."""
    X, info = dpotrs(U, B, lower=0)
    return X


@njit(cache=True, nogil=True)
def _kkt_violation(alpha, G, y, C):  # pragma: no cover
    """m(alpha) - M(alpha), the largest KKT violation (0 or less at an exact optimum)."""
    m = -np.inf
    M = np.inf
    for t in range(alpha.shape[0]):
        f = -y[t] * G[t]
        if (alpha[t] < C[t]) if y[t] > 0 else (alpha[t] > 0):  # I_up
            m = max(m, f)
        if (alpha[t] > 0) if y[t] > 0 else (alpha[t] < C[t]):  # I_low
            M = min(M, f)
    return m - M


# Reassociation (vectorized sums) and contraction for the kernel sums, but no assumption that
# values are finite: C is inf for the hard margin.
_SUMS = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, nogil=True, fastmath=_SUMS)
def _free_system(K_rows, slots, y, C, alpha, G, partial):  # pragma: no cover
    """Step 1 of the polish in one compiled pass (per-call overhead of numpy dominates small
    problems): the free set F and its multiplier q deepest inside the box; from the free rows
    ``K_rows[slots]``, ``K_FF`` and ``G_F = y_F (K_F,: beta) - 1`` in float64 (``G_F`` from ``G``
    when ``partial``); the reduced matrix ``B = N^T K_FF N`` of the elimination of q (``B_ab = K_ab
    - K_aq - K_qb + K_qq`` over ``a, b != q``) and its right-hand side ``g``; ``s`` (the change of
    ``sum y alpha`` asked for) and the slack of the box."""
    n = alpha.shape[0]
    m = 0
    for t in range(n):
        if 0.0 < alpha[t] < C[t]:
            m += 1
    free = np.empty(m, dtype=np.intp)
    m = 0
    q = 0
    deepest = -1.0
    s = 0.0
    largest = 0.0  # largest multiplier or finite bound
    for t in range(n):
        s -= y[t] * alpha[t]
        largest = max(largest, alpha[t])
        if C[t] < np.inf:
            largest = max(largest, C[t])
        if 0.0 < alpha[t] < C[t]:
            depth = min(alpha[t], C[t] - alpha[t])
            if depth > deepest:
                deepest, q = depth, m
            free[m] = t
            m += 1
    if partial:
        # A partial step keeps sum y alpha (the solver's round-off aside): its alpha may be the
        # active part of a shrunk problem, whose sum is not zero.
        s = 0.0
    K_FF = np.empty((m, m))
    G_F = np.empty(m)
    r = np.empty(m)  # y_F - K_F,: beta - b: the residual of the equations y_i f(x_i) = 1
    b = 0.0
    for a in range(m):
        row = K_rows[slots[a]]
        f = free[a]
        if partial:
            K_beta = y[f] * (G[f] + 1.0)  # (the solver's G: the rows may miss shrunk columns)
        else:
            K_beta = 0.0
            for t in range(row.shape[0]):
                K_beta += np.float64(row[t]) * (y[t] * alpha[t])
        G_F[a] = y[f] * K_beta - 1.0
        r[a] = y[f] - K_beta
        b += r[a]
        for c in range(m):
            K_FF[a, c] = row[free[c]]
    b /= max(m, 1)  # SMO's b, least-squares over the free equations
    B = np.empty((m - 1, m - 1)) if m else np.empty((0, 0))
    g = np.empty(max(m - 1, 0))
    if m:
        Kqq = K_FF[q, q]
        r_q = r[q] - b
        for a in range(m - 1):
            ra = a + (a >= q)
            g[a] = (r[ra] - b - s * K_FF[ra, q]) - (r_q - s * Kqq)
            for c in range(m - 1):
                rc = c + (c >= q)
                B[a, c] = K_FF[ra, rc] - K_FF[ra, q] - K_FF[q, rc] + Kqq
    return free, q, K_FF, G_F, B, g, s, 1e-10 * largest


@njit(cache=True, nogil=True)
def _inside(z, a_P, y_P, C_P, a_q, y_q, C_q, s, slack):  # pragma: no cover
    """Whether the step ``z`` keeps every multiplier, q included, in its box (up to slack)."""
    total = 0.0
    for a in range(z.shape[0]):
        v = a_P[a] + y_P[a] * z[a]
        if v < -slack or v > C_P[a] + slack:
            return False
        total += z[a]
    v = a_q + y_q * (s - total)
    return -slack <= v <= C_q + slack


@njit(cache=True, nogil=True)
def _correction(d, K_rows, slots):  # pragma: no cover
    """``sum_f d_f K[f, :]`` over the free rows, accumulated in float64."""
    out = np.zeros(K_rows.shape[1])
    for f in range(d.shape[0]):
        c = d[f]
        if c != 0.0:
            row = K_rows[slots[f]]
            for t in range(row.shape[0]):
                out[t] += c * row[t]
    return out


@njit(cache=True, nogil=True)
def _finish(
    alpha, G, y, C, free, positions, q, z, s, K_FF, G_F, K_rows, slots, solved, tol
):  # pragma: no cover
    """Steps 4 and 5 of the polish, in one compiled pass (as step 1): the step d on the free
    multipliers (``z`` at ``positions``, ``q`` closing ``sum d = s``), clipped onto the box; the
    change of the objective (must not increase); the new gradient (free entries from the equations,
    the others corrected by ``K_:,F D_F``); the KKT violation of every multiplier (must be below
    tol); rho over the solved equations."""
    n_free = free.shape[0]
    d = np.zeros(n_free)
    for a in range(positions.shape[0]):
        d[positions[a]] = z[a]
    a_F = np.empty(n_free)
    total = 0.0
    for a in range(n_free):
        if a == q:
            continue
        f = free[a]
        # round-off (and the pinned) onto the box
        a_F[a] = min(max(alpha[f] + y[f] * d[a], 0.0), C[f])
        if not solved[a]:
            # a pinned multiplier exactly on its bound: left 1e-15 inside by round-off, it would
            # count as free, its margin (off by up to tol) as a KKT violation
            a_F[a] = C[f] if a_F[a] > 0.5 * C[f] else 0.0
        d[a] = y[f] * (a_F[a] - alpha[f])
        total += d[a]
    # q (deepest inside its box) closes sum d = s exactly, what the clipping moved included
    d[q] = s - total
    f = free[q]
    a_F[q] = min(max(alpha[f] + y[f] * d[q], 0.0), C[f])
    d[q] = y[f] * (a_F[q] - alpha[f])
    # 4. f(alpha + D) - f(alpha) = G_F.D_F + 1/2 d^T K_FF d with D_F = y_F d, in float64.
    K_d = K_FF @ d
    change = 0.0
    for a in range(n_free):
        change += G_F[a] * y[free[a]] * d[a] + 0.5 * d[a] * K_d[a]
    objective = 0.0
    for t in range(alpha.shape[0]):
        objective += alpha[t] * (G[t] - 1.0)
    empty = np.empty(0)
    if change > 1e-12 * (1.0 + abs(objective)):
        return False, empty, empty, 0.0, 0.0
    # 5. the new gradient and the KKT conditions of every multiplier
    new_G = G + y * _correction(d, K_rows, slots)
    new_alpha = alpha.copy()
    for a in range(n_free):
        f = free[a]
        new_G[f] = G_F[a] + y[f] * K_d[a]
        new_alpha[f] = a_F[a]
    violation = _kkt_violation(new_alpha, new_G, y, C)
    if not violation < tol:
        return False, empty, empty, 0.0, 0.0
    rho = 0.0
    count = 0
    for a in range(n_free):
        if solved[a]:
            rho += y[free[a]] * new_G[free[a]]
            count += 1
    if count == 0:
        return False, empty, empty, 0.0, 0.0
    return True, new_alpha, new_G, rho / count, violation


def polish_dual(K_rows, slots, y, C, alpha, G, tol):
    """Solve the KKT equations on SMO's free set exactly; keep the result if it is still optimal.

    With the free set :math:`F` and the bound multipliers :math:`B` of SMO's solution fixed, and
    :math:`\\beta = y \\circ \\alpha`, the correction :math:`(d, \\delta)` of
    :math:`(\\beta_F, b)` solves the bordered system

    .. math::

        \\begin{pmatrix} K_{FF} & \\mathbf 1 \\\\ \\mathbf 1^\\top & 0 \\end{pmatrix}
        \\begin{pmatrix} d \\\\ \\delta \\end{pmatrix} =
        \\begin{pmatrix} y_F - K_{F,S}\\, \\beta_S - b \\\\ -\\mathbf 1^\\top \\beta \\end{pmatrix}

    (:math:`S`: the support vectors), i.e. :math:`y_i f(x_i) = 1` on :math:`F` and
    :math:`\\sum_i y_i \\alpha_i = 0` after the step. The constraint row is eliminated first: with
    ``q`` the free multiplier deepest inside its box, :math:`d = d_0 + N z`,
    :math:`d_0 = s\\, e_q`, :math:`s = -\\mathbf 1^\\top \\beta`,
    :math:`N = [e_i - e_q]_{i \\ne q}`, and (multiplying the first block row by :math:`N^\\top`,
    which removes :math:`\\delta`)

    .. math::

        B z = N^\\top (r - K_{FF} d_0), \\qquad B = N^\\top K_{FF} N,
        \\quad B_{ij} = K_{ij} - K_{iq} - K_{qj} + K_{qq}.

    :math:`B` is singular only along real ties -- a sample repeated ``k`` times against one of
    weight ``k``, exactly the sample-weight case -- whereas :math:`K_{FF}` also is for a linear
    kernel with ``d + 1`` free vectors (whose bordered system is regular). It is factored by
    Cholesky, with complete pivoting (LAPACK ``dpstrf``) when a pivot falls below the numerical
    rank threshold: the correction then lives on the pivots (a duplicate's twin carries the
    change, which leaves ``f`` the same). If the face's minimizer leaves the box, a primal
    active-set loop steps from SMO's point towards it as far as the box allows and pins the
    blocking multipliers to their bound, :math:`E_R^\\top z = t`, through the Schur complement
    :math:`E_R^\\top B^{-1} E_R` (at most ``MAX_PIN_STEPS`` steps; with a PSD kernel the objective
    decreases at every step). Equations that the pivots cannot satisfy (SMO's free set
    is not the optimum's) show up as a KKT violation and the result is rejected.

    The result is accepted only if

    1. every multiplier stays in its box :math:`[0, C_i]` (to round-off: ``1e-10`` of the largest
       finite bound or multiplier; such round-off is clipped),
    2. the largest KKT violation :math:`m(\\alpha) - M(\\alpha)` over *all* multipliers, with the
       new gradient, is below ``tol`` (the bound multipliers keep their conditions), and
    3. the dual objective does not increase (a non-PSD kernel, e.g. sigmoid, can make the
       stationary point of the face a saddle).

    The kernel is the solver's own: the float32 rows ``K_rows[slots]`` of the free multipliers
    (held in memory by the solver), with all arithmetic in float64. The polished ``alpha`` is the
    exact optimum of the dual the solver works on -- whose kernel values are rounded to float32,
    as in libsvm's cache, a relative 6e-8 --, and every gradient entry is consistent with it.

    Cost: one Cholesky (``|F|^3 / 3``), two passes over the free rows (``2 |F| n``) and O(n)
    bookkeeping (its measured price is in ``doc/svm.rst``).

    Parameters
    ----------
    K_rows : ndarray of shape (n_rows, n), float32
        Kernel rows held by the solver (the whole matrix, or its row cache).
    slots : ndarray of shape (n_free,)
        The rows ``K_rows[slots]`` are ``K[F, :]``, the free multipliers
        ``F = {0 < alpha_i < C_i}`` in index order.
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
    alpha, G : ndarray of shape (n,)
        The polished multipliers and their gradient (free entries exact in float64).
    rho : float
        :math:`-b`: the mean of :math:`y_i G_i` over the free multipliers whose equation was
        solved (SMO's free set less the pinned ones) -- also those that the step left at a bound
        up to round-off, which still lie on the margin.
    violation : float
        Their largest KKT violation :math:`\\max(m - M, 0)`.

    ``None`` is returned instead when the polish is rejected (SMO's solution is then the
    answer).

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
    >>> sol = solve_binary(rows, y, C, tol=0.1, polish=False)
    >>> float(sol.violation) > 0.01  # SMO stopped at tol
    True
    >>> free = np.flatnonzero((sol.alpha > 0) & (sol.alpha < C))
    >>> K = rows(np.arange(5), np.arange(5))
    >>> alpha, G, rho, violation = polish_dual(K, free, y, C, sol.alpha, sol.G, tol=0.1)
    >>> free = (alpha > 0) & (alpha < C)
    >>> bool(np.ptp(y[free] * G[free]) < 1e-12)  # y_i f(x_i) = 1 on every free vector
    True
    >>> bool(violation < 1e-12)  # ... and every other KKT condition holds: the exact optimum
    True
    """
    return _face_step(K_rows, slots, y, C, alpha, G, tol, False)


def newton_step_dual(K_rows, slots, y, C, alpha, G):
    """The solver's Newton step: towards the minimizer of the free multipliers' face, in the box.

    Where SMO stalls, the same equations as :func:`polish_dual` give the minimizer of the
    objective on the face of the free multipliers; the step moves towards it by the polish's
    active-set loop, keeping the loop's last point when it cannot reach the minimizer (out of
    steps, or blocked by the eliminated multiplier). Unlike the polish it asks for no KKT
    condition (the point need not be optimal: SMO goes on from there), and it takes ``G_F`` from
    ``G`` rather than from the rows, so ``K_rows`` may hold the active columns only (a shrunk
    problem: ``y, C, alpha, G`` then are the active ones too). It is a descent step: every
    multiplier stays in its box and the objective does not increase.

    Parameters
    ----------
    K_rows, slots, y, C, alpha, G
        As in :func:`polish_dual`.

    Returns
    -------
    alpha, G : ndarray of shape (n,)
        The multipliers after the step and their gradient; ``None`` when no step was possible
        (the point already is the face's minimizer, or the step would not descend).
    """
    step = _face_step(K_rows, slots, y, C, alpha, G, np.inf, True)
    return None if step is None else step[:2]


def _face_step(K_rows, slots, y, C, alpha, G, tol, partial):
    if slots.shape[0] < SINGLE_THREAD_FREE:
        return _polish_dual(K_rows, slots, y, C, alpha, G, tol, partial)
    # One BLAS thread for the factorization: on a busy machine, threads waiting for a core cost
    # far more than a factorization of this size.
    with limit_blas(1):
        return _polish_dual(K_rows, slots, y, C, alpha, G, tol, partial)


def _pin_steps(U, u, a_P, y_P, C_P, a_q, y_q, C_q, s, slack, partial):
    """Step 3 of the polish when the face's minimizer ``u`` (``B_PP u = g_P``) leaves the box: the
    primal active-set loop. Returns ``(z, pinned)`` -- the point reached and the positions in P
    pinned at a bound -- or None when it cannot reach the minimizer (out of steps, or blocked by
    the eliminated multiplier q, which cannot be pinned); with ``partial``, the last point reached
    is returned instead."""
    n_P = u.size
    pinned = np.empty(0, dtype=np.intp)  # positions in P
    to_upper = np.empty(0, dtype=bool)  # pinned at C (else at 0)
    Z = np.empty((n_P, 0))  # B_PP^-1 E_R: the columns of the inverse of the pinned ones
    z_cur = np.zeros(n_P)  # the current point (SMO's), inside the box
    for _ in range(MAX_PIN_STEPS):
        # The face's minimizer: B z + E_R lam = g, E_R^T z = t (the pinned on their bound), by the
        # Schur complement E_R^T B^-1 E_R. Then the primal active-set step: move towards it as far
        # as the box allows (the objective decreases along the way, K being PSD) and pin the
        # multipliers that block the step.
        target = np.where(to_upper, C_P[pinned] - a_P[pinned], -a_P[pinned])  # alpha's step
        z = u
        if pinned.size:
            try:
                lam = np.linalg.solve(Z[pinned], u[pinned] - y_P[pinned] * target)
            except np.linalg.LinAlgError:
                return None
            z = u - Z @ lam
        a_cur, a_new = a_P + y_P * z_cur, a_P + y_P * z
        a_q_cur = a_q + y_q * (s - z_cur.sum())
        a_q_new = a_q + y_q * (s - z.sum())
        out = (a_new < -slack) | (a_new > C_P + slack)
        out[pinned] = False
        q_out = a_q_new < -slack or a_q_new > C_q + slack
        if not out.any():
            if q_out:  # (q, eliminated, cannot be pinned)
                return (z_cur, pinned) if partial else None
            return z, pinned
        # largest step t in [0, 1] from a_cur towards a_new that keeps the leavers in the box
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(a_new < 0, a_cur / (a_cur - a_new), (C_P - a_cur) / (a_new - a_cur))
        t = step[out].min()
        if q_out:
            bound_q = 0.0 if a_q_new < 0 else C_q
            if (bound_q - a_q_cur) / (a_q_new - a_q_cur) <= t:  # (q blocks first)
                return (z_cur, pinned) if partial else None
        z_cur = z_cur + t * (z - z_cur)
        new = np.flatnonzero(out & (step <= t))
        pinned = np.concatenate([pinned, new])
        to_upper = np.concatenate([to_upper, a_new[new] > C_P[new]])
        E = np.zeros((n_P, new.size))
        E[new, np.arange(new.size)] = 1.0
        Z = np.column_stack([Z, _cho_solve(U, E)])
    return (z_cur, pinned) if partial else None


def _polish_dual(K_rows, slots, y, C, alpha, G, tol, partial):
    # 1. Eliminating the equality constraint with the free multiplier q deepest inside its box,
    #    d_q = s - sum of the others (s = -1^T beta), the reduced matrix B = N^T K_FF N,
    #    N = [I; -1^T]: singular only along real ties (repeated samples), where K_FF also is for
    #    a linear kernel with |F| = d + 1 free vectors, whose bordered system is regular.
    free, q, K_FF, G_F, B, g, s, slack = _free_system(K_rows, slots, y, C, alpha, G, partial)
    n_free = free.size
    if n_free == 0:
        return None  # (no free multiplier: b is only bounded, and alpha is a vertex of the box)
    y_F = y[free]
    rest = np.arange(n_free - 1)
    rest[q:] += 1
    factor = _factor(B) if rest.size else (np.empty((0, 0)), rest)
    if factor is None:
        return None
    U, P = factor  # positions in rest
    y_P, a_P, C_P = y_F[rest[P]], alpha[free[rest[P]]], C[free[rest[P]]]
    u = _cho_solve(U, g[P]) if P.size else np.empty(0)
    a_q, y_q, C_q = alpha[free[q]], y_F[q], C[free[q]]
    if _inside(u, a_P, y_P, C_P, a_q, y_q, C_q, s, slack):
        z = u  # (the usual case, checked in one compiled pass: no multiplier leaves the box)
        pinned = np.empty(0, dtype=np.intp)
    else:
        pinned_step = _pin_steps(U, u, a_P, y_P, C_P, a_q, y_q, C_q, s, slack, partial)
        if pinned_step is None:
            return None
        z, pinned = pinned_step
    if partial and not z.any():
        return None
    solved = np.ones(n_free, dtype=np.bool_)
    solved[rest[P][pinned]] = False
    ok, new_alpha, new_G, rho, violation = _finish(
        alpha, G, y, C, free, rest[P], q, z, s, K_FF, G_F, K_rows, slots, solved, tol
    )
    if not ok:
        return None
    return new_alpha, new_G, rho, max(violation, 0.0)
