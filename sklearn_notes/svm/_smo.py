"""SMO for the dual QP of the soft-margin SVM (concept map rows 9-13).

The notes go primal -> Lagrangian -> dual and solve the dual "by QP". The dual of the C-SVM, with
:math:`Q_{ij} = y_i y_j K(x_i, x_j)`, is

.. math::

    \\min_\\alpha f(\\alpha) = \\tfrac12 \\alpha^\\top Q \\alpha - \\sum_i \\alpha_i
    \\quad \\text{s.t.} \\quad 0 \\le \\alpha_i \\le C_i,\\; \\sum_i y_i \\alpha_i = 0,

with :math:`C_i = C \\cdot w_i` (sample and class weights) and :math:`C_i = \\infty` for the
hard margin. Its KKT conditions (the notes' complementary slackness) say, with the gradient
:math:`G = Q\\alpha - 1` and :math:`m(\\alpha) = \\max_{t \\in I_{up}} -y_t G_t`,
:math:`M(\\alpha) = \\min_{t \\in I_{low}} -y_t G_t`, that :math:`\\alpha` is optimal iff
:math:`m(\\alpha) \\le M(\\alpha)`; the solver stops when :math:`m - M < \\text{tol}`
(libsvm's rule).

One code path, in three parts:

1. Outer loop (:func:`solve_binary`, ThunderSVM's decomposition, Wen et al. 2018): pick a working
   set of ``q`` maximal violators (half of it new, half kept from the previous round), fetch their
   kernel rows in one BLAS block (through a row cache of ``cache_size`` MB), solve the
   sub-problem, then update the full gradient with one matrix-vector product
   ``G += y * (K_ws^T (y_ws * dalpha_ws))``.
2. Inner loop (:func:`smo_pairs`, numba): classic SMO on the working set -- select ``i`` (maximal
   violation) -> select ``j`` (second-order WSS2 of Fan, Chen & Lin 2005) -> analytic step along
   the constraint line -> clip to the box -> update the gradient.
3. Newton steps where SMO stalls: SMO converges linearly, slowly where the free multipliers' kernel
   block is ill-conditioned (a linear kernel with about ``d`` free vectors). When a sub-problem uses
   up its cap of pair updates, the solver jumps along the face of the free multipliers to its
   minimizer -- the KKT equations of the notes solved exactly, as far as the box allows (the
   polish's active-set loop, :func:`~sklearn_notes.svm._polish.newton_step_dual`)
   -- and SMO goes on from there to find the bound multipliers that must move.

Shrinking (libsvm's rule) removes bound variables that cannot move from the active set; before
stopping, the gradient of the removed ones is rebuilt from the support vectors and optimality is
checked again on all variables (the final un-shrinking check). The threshold ``rho`` is the mean of
``y_i G_i`` over the free variables (``0 < alpha_i < C_i``), the decision function
:math:`f(x) = \\sum_i y_i \\alpha_i K(x_i, x) - \\rho`; a converged solution is polished to the
exact optimum on its face (:mod:`~sklearn_notes.svm._polish`).
"""

import numpy as np
from numba import njit

from ._kernels import matvec
from ._polish import _kkt_violation, newton_step_dual, polish_dual

__all__ = ["BinarySolution", "smo_pairs", "solve_binary"]

# libsvm's TAU: curvature used when K_ii + K_jj - 2 K_ij <= 0 (non-PSD kernels, duplicate points).
TAU = 1e-12

# Hard margin: a sum of alphas above this means a margin below ~2e-6 -- treated as "not separable".
HARD_MARGIN_ALPHA_LIMIT = 1e12

# Pair updates allowed by max_iter=-1: libsvm's max(10**7, 100 n) (a non-PSD kernel or a huge C may
# never reach tol); for the hard margin max(10**6, 100 n), past which the data count as not
# separable.
MAX_ITER = 10**7
HARD_MAX_ITER = 10**6

# Sub-problem of a round (ThunderSVM's rule): solved to max(tol, INNER_TOL * outer violation), at
# most INNER_MAX * q pair updates (then a Newton step). A loose inner tolerance spends the pair
# updates where the outer violation is; the cap trades SMO's cheap updates against Newton steps
# (both chosen by measurement: doc/svm.rst, "Design measurements").
INNER_TOL = 0.1
INNER_MAX = 50

# A polish rejected at tol, or accepted with a KKT violation above this fraction of tol, is tried
# again after SMO to this fraction of tol.
RETRY_TOL = 0.01

# Inner shrinking copies the active kernel block, so it waits until this fraction can be set aside.
SHRINK_FRACTION = 0.125

# Kernel blocks that are not written straight into the cache are computed in a scratch array of
# this many float32 values (16 MB), reused for every block of a fit.
SCRATCH_ELEMENTS = 2**22


@njit(cache=True, nogil=True)
def _in_up(a, c, y):
    return a < c if y > 0 else a > 0


@njit(cache=True, nogil=True)
def _in_low(a, c, y):
    return a > 0 if y > 0 else a < c


# Excluded entries of the masked reductions sit at -+BIG: finite, so that fastmath may assume no
# infinities there (|F| is many orders of magnitude below it).
BIG = 1e300


@njit(cache=True, nogil=True)
def _update(F, Ki, Kj, step, n):
    # (no fastmath: it let LLVM take K_i - K_j in float32, 1e-6 gradient drift in 40 updates)
    for c in range(n):
        F[c] -= step * (np.float64(Ki[c]) - np.float64(Kj[c]))


@njit(cache=True, nogil=True, fastmath=True)
def _extremes(F, up_pen, low_pen, n):
    """max_c F_c + up_pen_c and min_c F_c + low_pen_c, four accumulators each: one accumulator
    is a dependency chain through ``max`` that the compiler cannot vectorize."""
    m0 = m1 = m2 = m3 = -BIG
    M0 = M1 = M2 = M3 = BIG
    n4 = n - n % 4
    for c in range(0, n4, 4):
        u0 = F[c] + up_pen[c]
        u1 = F[c + 1] + up_pen[c + 1]
        u2 = F[c + 2] + up_pen[c + 2]
        u3 = F[c + 3] + up_pen[c + 3]
        l0 = F[c] + low_pen[c]
        l1 = F[c + 1] + low_pen[c + 1]
        l2 = F[c + 2] + low_pen[c + 2]
        l3 = F[c + 3] + low_pen[c + 3]
        m0 = u0 if u0 > m0 else m0
        m1 = u1 if u1 > m1 else m1
        m2 = u2 if u2 > m2 else m2
        m3 = u3 if u3 > m3 else m3
        M0 = l0 if l0 < M0 else M0
        M1 = l1 if l1 < M1 else M1
        M2 = l2 if l2 < M2 else M2
        M3 = l3 if l3 < M3 else M3
    for c in range(n4, n):
        u0 = F[c] + up_pen[c]
        l0 = F[c] + low_pen[c]
        m0 = u0 if u0 > m0 else m0
        M0 = l0 if l0 < M0 else M0
    return max(max(m0, m1), max(m2, m3)), min(min(M0, M1), min(M2, M3))


@njit(cache=True, nogil=True, fastmath=True)
def _gains(F, Ki, diag, low_f, m, Kii, out, n):
    """out_c = b^2 / a (b = m - F_c > 0, c in I_low): the decrease of the objective by the
    analytic step on (i, c), a = K_ii + K_cc - 2 K_ic (TAU when not positive)."""
    for c in range(n):
        b = m - F[c]
        a = Kii + diag[c] - 2.0 * np.float64(Ki[c])
        b = b if b > 0.0 else 0.0
        a = a if a > TAU else TAU
        out[c] = b * b / a * low_f[c]


@njit(cache=True, nogil=True, fastmath=True)
def _max(v, n):
    m0 = m1 = m2 = m3 = -BIG
    n4 = n - n % 4
    for c in range(0, n4, 4):
        m0 = v[c] if v[c] > m0 else m0
        m1 = v[c + 1] if v[c + 1] > m1 else m1
        m2 = v[c + 2] if v[c + 2] > m2 else m2
        m3 = v[c + 3] if v[c + 3] > m3 else m3
    for c in range(n4, n):
        m0 = v[c] if v[c] > m0 else m0
    return max(max(m0, m1), max(m2, m3))


@njit(cache=True, nogil=True)
def _set_flags(c, a, Cc, yc, up_pen, low_pen, low_f):
    up = _in_up(a, Cc, yc)
    low = _in_low(a, Cc, yc)
    up_pen[c] = 0.0 if up else -BIG
    low_pen[c] = 0.0 if low else BIG
    low_f[c] = 1.0 if low else 0.0


@njit(cache=True, nogil=True)
def _unshrink(K, y, C, alpha, alpha0, G0, perm, yp, Cp, ap, Fp, diag, n, up_pen, low_pen, low_f):
    """Bring every variable back, in its own position, with its exact gradient.

    The active ones carry theirs; for the ones set aside, ``G_k = G0_k + y_k sum_j y_j
    (alpha_j - alpha0_j) K_jk`` from the start of this solve (variables outside the working set
    are constant here, so their part is in ``G0``): row by row over the variables that moved.
    """
    q = y.shape[0]
    F = np.empty(q)
    for p in range(q):
        alpha[perm[p]] = ap[p]
    for p in range(n):
        F[perm[p]] = Fp[p]
    aside = perm[n:].copy()
    G_aside = np.empty(aside.shape[0])
    for s in range(aside.shape[0]):
        G_aside[s] = G0[aside[s]]
    for j in range(q):
        d = alpha[j] - alpha0[j]
        if d != 0.0:
            yd = y[j] * d
            Kj = K[j]
            for s in range(aside.shape[0]):
                k = aside[s]
                G_aside[s] += y[k] * yd * np.float64(Kj[k])
    for s in range(aside.shape[0]):
        F[aside[s]] = -y[aside[s]] * G_aside[s]
    for t in range(q):
        perm[t] = t
        yp[t] = y[t]
        Cp[t] = C[t]
        ap[t] = alpha[t]
        Fp[t] = F[t]
        diag[t] = K[t, t]
        _set_flags(t, ap[t], Cp[t], yp[t], up_pen, low_pen, low_f)


@njit(cache=True, nogil=True)
def _compact(K_src, K_buf, keep, n_keep):
    """K_buf[:n_keep^2] as the (n_keep, n_keep) block K_src[keep][:, keep], row-major.

    Safe in place (K_src a view of K_buf with stride n_src >= n_keep, keep ascending): every
    read lies at or after the position being written."""
    for r in range(n_keep):
        src = K_src[keep[r]]
        base = r * n_keep
        for c in range(n_keep):
            K_buf[base + c] = src[keep[c]]


@njit(cache=True, nogil=True)
def smo_pairs(K, y, C, alpha, G, tol, max_iter, shrinking):
    """Solve the dual restricted to a working set by pairwise SMO with WSS2 (in place).

    Parameters
    ----------
    K : ndarray of shape (q, q)
        Kernel matrix of the working set (symmetric, C-contiguous float32); not modified.
    y : ndarray of shape (q,)
        Labels in {-1, +1} as float64.
    C : ndarray of shape (q,)
        Upper bounds (``inf`` for the hard margin).
    alpha : ndarray of shape (q,)
        Feasible start; updated in place.
    G : ndarray of shape (q,)
        Gradient of the full dual restricted to the working set; updated in place (exact for every
        variable on return, shrunk ones included).
    tol : float
        Stop when the maximal violation ``m - M`` is below ``tol``.
    max_iter : int
        Maximal number of pair updates.
    shrinking : bool
        libsvm's shrinking: every ``min(q, 1000)`` updates, set aside the bound variables that the
        current ``m``, ``M`` say cannot move; rebuild their gradient and re-check before stopping.

    Returns
    -------
    n_iter : int
        Pair updates done.
    gap : float
        Maximal violation ``m - M`` at the last selection.

    Notes
    -----
    The variables are kept in *positions*: the active ones first, ``perm[p]`` the variable at
    position ``p``, and ``Kp`` the kernel block of the active positions, contiguous. Every pass
    of an update (gradient step, ``m``/``M``, the WSS2 gains) then runs over contiguous arrays,
    which the compiler vectorizes (passes through an index list are not). Setting variables aside
    copies the active block (``O(n_active^2)``), so it is done only when at least an eighth of the
    active set goes (``SHRINK_FRACTION``)."""
    q = y.shape[0]
    # Position arrays; positions are the variables' own indices until the first compaction.
    perm = np.arange(q)
    yp = y.copy()
    Cp = C.copy()
    ap = alpha.copy()
    Fp = -y * G
    diag = np.empty(q)
    for t in range(q):
        diag[t] = K[t, t]
    up_pen = np.empty(q)
    low_pen = np.empty(q)
    low_f = np.empty(q)
    for t in range(q):
        _set_flags(t, ap[t], Cp[t], yp[t], up_pen, low_pen, low_f)
    gain = np.empty(q)
    alpha0 = alpha.copy()
    G0 = G.copy()
    Kp = K
    K_buf = np.empty(0, dtype=np.float32)  # allocated at the first compaction
    n = q
    unshrunk = False
    counter = min(q, 1000)
    n_iter = 0
    gap = np.inf
    step = 0.0
    i = j = -1
    while True:
        if step != 0.0:
            _update(Fp, Kp[i], Kp[j], step, n)
        step = 0.0
        m, M = _extremes(Fp, up_pen, low_pen, n)
        gap = m - M
        if m <= -BIG or gap < tol or n_iter >= max_iter:
            if n < q:
                # Final un-shrinking check: optimality must hold for every variable.
                _unshrink(K, y, C, alpha, alpha0, G0, perm, yp, Cp, ap, Fp, diag, n,
                          up_pen, low_pen, low_f)  # fmt: skip
                Kp = K
                n = q
                unshrunk = True
                if n_iter < max_iter:
                    continue
            break
        counter -= 1
        if shrinking and counter == 0:
            counter = min(q, 1000)
            if not unshrunk and gap <= 10 * tol and n < q:
                # Close to the end: bring everything back once, so the set aside is chosen well.
                _unshrink(K, y, C, alpha, alpha0, G0, perm, yp, Cp, ap, Fp, diag, n,
                          up_pen, low_pen, low_f)  # fmt: skip
                Kp = K
                n = q
                unshrunk = True
                continue
            # libsvm's rule: out of I_up with F > m, or out of I_low with F < M, cannot be picked.
            kept = np.empty(n, dtype=np.bool_)
            n_keep = 0
            for c in range(n):
                kept[c] = not (
                    (up_pen[c] != 0.0 and Fp[c] > m) or (low_pen[c] != 0.0 and Fp[c] < M)
                )
                n_keep += kept[c]
            if n - n_keep >= SHRINK_FRACTION * n and n_keep >= 2:
                # Positions: kept ones first (in order), the set-aside ones after them.
                order = np.empty(n, dtype=np.intp)
                front, back = 0, n_keep
                for c in range(n):
                    if kept[c]:
                        order[front] = c
                        front += 1
                    else:
                        order[back] = c
                        back += 1
                if K_buf.size == 0:
                    K_buf = np.empty(q * q, dtype=np.float32)
                _compact(Kp, K_buf, order, n_keep)
                Kp = K_buf[: n_keep * n_keep].reshape((n_keep, n_keep))
                for arr in (yp, Cp, ap, Fp, diag, up_pen, low_pen, low_f):
                    arr[:n] = arr[:n][order]
                perm[:n] = perm[:n][order]
                n = n_keep
                continue
        # (bounded searches: with a NaN in the data the reductions need not find their argument)
        i = 0
        while i < n and not (up_pen[i] == 0.0 and Fp[i] == m):
            i += 1
        if i == n:
            break
        Kii = diag[i]
        Ki = Kp[i]
        _gains(Fp, Ki, diag, low_f, m, Kii, gain, n)
        best = _max(gain, n)
        if best <= 0.0:
            break
        j = 0
        while j < n and gain[j] != best:
            j += 1
        if j == n:
            break
        a = Kii + diag[j] - 2.0 * np.float64(Ki[j])
        if a <= 0:
            a = TAU
        step = (m - Fp[j]) / a
        room_i = Cp[i] - ap[i] if yp[i] > 0 else ap[i]
        room_j = ap[j] if yp[j] > 0 else Cp[j] - ap[j]
        step = min(step, room_i, room_j)
        ap[i] = ap[i] + yp[i] * step
        ap[j] = ap[j] - yp[j] * step
        if step == room_i:
            ap[i] = Cp[i] if yp[i] > 0 else 0.0
        if step == room_j:
            ap[j] = 0.0 if yp[j] > 0 else Cp[j]
        _set_flags(i, ap[i], Cp[i], yp[i], up_pen, low_pen, low_f)
        _set_flags(j, ap[j], Cp[j], yp[j], up_pen, low_pen, low_f)
        n_iter += 1
    for p in range(q):
        alpha[perm[p]] = ap[p]
        G[perm[p]] = -yp[p] * Fp[p]
    return n_iter, gap


class BinarySolution:
    """Result of :func:`solve_binary`: the dual solution and what the solver stopped on."""

    def __init__(
        self, alpha, rho, n_iter, violation, objective, converged, separable, G=None, n_newton=0
    ):
        self.alpha = alpha
        self.n_newton = n_newton  # Newton steps taken when SMO stalled
        self.G = G  # gradient Q alpha - 1 of the dual at alpha
        self.rho = rho
        self.n_iter = n_iter
        self.violation = violation
        self.objective = objective
        self.converged = converged
        self.separable = separable


@njit(cache=True, nogil=True)
def _gather(buffer, slots, samples, scratch):
    """K_ws[a, b] = K[samples[a], samples[b]] from the cached rows (slots[a]: sample a's row),
    written into the front of ``scratch`` (reused between rounds: no fresh pages to fault in)."""
    q = slots.shape[0]
    K = scratch[: q * q].reshape((q, q))
    for a in range(q):
        row = buffer[slots[a]]
        for b in range(q):
            K[a, b] = row[samples[b]]
    return K


@njit(cache=True, nogil=True)
def _update_gradient(G, y, buffer, slots, delta, active):
    """G_k += y_k sum_r delta_r K[ws_r, k], k in active: one streamed pass per changed row."""
    for r in range(slots.shape[0]):
        d = delta[r]
        if d != 0.0:
            row = buffer[slots[r]]
            for c in range(active.shape[0]):
                k = active[c]
                G[k] += y[k] * d * row[k]


@njit(cache=True, nogil=True)
def _scatter(buffer, rows, cols, block):
    """buffer[rows[a], cols[b]] = block[a, b] (numpy's ``np.ix_`` assignment builds index
    arrays of the block's size)."""
    for a in range(rows.shape[0]):
        dst = buffer[rows[a]]
        src = block[a]
        for b in range(cols.shape[0]):
            dst[cols[b]] = src[b]


class _RowCache:
    """Kernel rows ``K[i, :]`` kept in a fixed float32 buffer, least recently used out.

    Rows are computed only on the active columns (what shrinking saves); the other entries of such
    a row are stale, so :meth:`reset`, which the solver calls whenever it re-activates variables,
    drops them and keeps the rows computed on every column. The buffer holds
    ``max(q, cache_size / row size)`` rows: the working set's own rows always fit.
    """

    def __init__(self, kernel_rows, n, cache_size, q):
        self.kernel_rows = kernel_rows
        n_rows = max(q, int(cache_size * 2**20 // (4 * n)))
        self.buffer = np.empty((min(n_rows, n), n), dtype=np.float32)
        self.n = n
        self.slot = np.full(n, -1, dtype=np.intp)  # sample -> buffer row
        self.owner = np.full(self.buffer.shape[0], -1, dtype=np.intp)  # buffer row -> sample
        self.complete = np.zeros(self.buffer.shape[0], dtype=bool)  # computed on all columns
        self.last_used = np.zeros(self.buffer.shape[0], dtype=np.int64)
        self.clock = 0
        self.scratch = np.empty(0, dtype=np.float32)

    def blocks(self, rows, cols):
        """Yield ``(start, stop, K[rows[start:stop]][:, cols])`` computed in one reused scratch.

        A fresh array per block costs its page faults every time: allocations this large are
        mmapped and returned to the system on free, and first touches of fresh memory cost
        about as much as the kernel values written into them on this machine.
        """
        step = max(1, min(len(rows), SCRATCH_ELEMENTS // max(len(cols), 1)))
        if self.scratch.size < step * len(cols):
            self.scratch = np.empty(step * len(cols), dtype=np.float32)
        for start in range(0, len(rows), step):
            stop = min(start + step, len(rows))
            out = self.scratch[: (stop - start) * len(cols)].reshape(stop - start, len(cols))
            yield start, stop, self.kernel_rows(rows[start:stop], cols, out=out)

    def reset(self):
        """Forget the rows computed on a subset of the columns only."""
        partial = (self.owner >= 0) & ~self.complete
        self.slot[self.owner[partial]] = -1
        self.owner[partial] = -1
        self.last_used[partial] = 0

    def slots(self, ws, active):
        """Buffer rows holding ``K[ws, active]``, computing the missing ones in one block."""
        self.clock += 1
        slots = self.slot[ws]
        missing = np.flatnonzero(slots < 0)
        if missing.size:
            # Evict the least recently used rows that are not part of this working set.
            self.last_used[slots[slots >= 0]] = self.clock
            free = np.sort(np.argsort(self.last_used, kind="stable")[: missing.size])
            old = self.owner[free]
            self.slot[old[old >= 0]] = -1
            new = ws[missing]
            if len(active) == self.n and free[-1] - free[0] == free.size - 1:
                # Whole rows into a contiguous block: written in place, no copy.
                self.kernel_rows(new, active, out=self.buffer[free[0] : free[-1] + 1])
            else:
                for start, stop, block in self.blocks(new, active):
                    if len(active) == self.n:
                        self.buffer[free[start:stop]] = block
                    else:
                        _scatter(self.buffer, free[start:stop], active, block)
            self.owner[free] = new
            self.complete[free] = len(active) == self.n
            self.slot[new] = free
            slots[missing] = free
        self.last_used[slots] = self.clock
        return slots


def _violations(alpha, G, y, C):
    """Masks of I_up / I_low and the values -y G."""
    pos = y > 0
    up = np.where(pos, alpha < C, alpha > 0)
    low = np.where(pos, alpha > 0, alpha < C)
    return up, low, -y * G


def _select_working_set(yg, up, low, kept, q):
    """ThunderSVM's selection: top violators alternately from I_up and I_low, plus the kept half."""
    q_new = q - len(kept)
    exclude = np.zeros(len(yg), dtype=bool)
    exclude[kept] = True
    idx_up = np.flatnonzero(up & ~exclude)
    idx_low = np.flatnonzero(low & ~exclude)
    idx_up = idx_up[np.argsort(-yg[idx_up], kind="stable")[:q_new]]
    idx_low = idx_low[np.argsort(yg[idx_low], kind="stable")[:q_new]]
    both = np.full(2 * q_new, -1, dtype=np.intp)
    both[0 : 2 * len(idx_up) : 2] = idx_up
    both[1 : 2 * len(idx_low) : 2] = idx_low
    both = both[both >= 0]
    _, first = np.unique(both, return_index=True)
    new = both[np.sort(first)][:q_new]
    return np.concatenate([kept, new]).astype(np.intp)


def _rho(alpha, G, y, C):
    """libsvm's rho: mean of y_i G_i over the free variables, else mid-range of its bounds."""
    yG = y * G
    free = (alpha > 0) & (alpha < C)
    if free.any():
        return float(yG[free].mean())
    at_upper = alpha >= C
    # Bounds on rho from the variables at a bound (libsvm's calculate_rho).
    ub_mask = np.where(at_upper, y < 0, y > 0)
    lb_mask = ~ub_mask
    ub = yG[ub_mask].min() if ub_mask.any() else np.inf
    lb = yG[lb_mask].max() if lb_mask.any() else -np.inf
    if not np.isfinite(ub):
        return float(lb)
    if not np.isfinite(lb):
        return float(ub)
    return float((ub + lb) / 2)


def solve_binary(
    kernel_rows,
    y,
    C,
    *,
    tol=1e-3,
    max_iter=-1,
    cache_size=200.0,
    shrinking=True,
    working_set_size=None,
    polish=True,
    verbose=False,
):
    """Solve one binary C-SVM dual by working-set decomposition with an inner WSS2 SMO.

    Parameters
    ----------
    kernel_rows : callable(rows, cols, out=None) -> ndarray of shape (len(rows), len(cols))
        Kernel values ``K[rows][:, cols]`` as float32 (libsvm's cache type too; the gradient and
        alpha stay float64), computed in one block (into ``out`` when given), e.g.
        :class:`~sklearn_notes.svm._kernels.KernelRows`.
    y : ndarray of shape (n,)
        Labels in {-1, +1}.
    C : ndarray of shape (n,)
        Positive per-sample upper bounds; ``inf`` for the hard margin.
    tol : float, default=1e-3
        Stopping tolerance on the maximal KKT violation ``m(alpha) - M(alpha)``.
    max_iter : int, default=-1
        Maximal number of pair updates (a Newton step counts as one); -1 for libsvm's limit,
        ``max(10**7, 100 n)`` (``max(10**6, 100 n)`` for the hard margin, see Notes).
    cache_size : float, default=200.0
        MB of kernel rows kept between rounds.
    shrinking : bool, default=True
        Use libsvm's shrinking heuristic.
    working_set_size : int, optional
        Size ``q`` of the working set of the outer loop; default 2048 (the whole problem when
        ``n <= 2048``). A working set smaller than the set of free support vectors keeps
        cycling them through the cache; the whole kernel matrix up front computes rows of samples
        that never enter a working set (measurements: doc/svm.rst).
    polish : bool, default=True
        After convergence, solve the KKT equations on the free multipliers exactly
        (:func:`~sklearn_notes.svm._polish.polish_dual`) with their kernel rows from memory (the
        whole matrix, or the row cache; skipped when they do not fit in it).
    verbose : bool, default=False

    Returns
    -------
    solution : BinarySolution
        ``alpha``, ``rho``, ``n_iter`` (pair updates), ``violation`` (final ``m - M``),
        ``objective`` (``1/2 alpha^T Q alpha - sum alpha``), ``converged``, ``separable`` (False
        when a hard margin was asked for and the dual is unbounded: no separating hyperplane in
        the kernel's space) and ``n_newton`` (Newton steps taken where SMO stalled).

    Notes
    -----
    With ``C = inf`` and data that are not separable the dual is unbounded; the solver stops as
    soon as ``sum(alpha)`` passes ``1e12`` (a margin below ``2e-6``) or after
    ``max(10**6, 100 n)`` pair updates.
    """
    return _BinarySolver(
        kernel_rows, y, C, tol=tol, max_iter=max_iter, cache_size=cache_size,
        shrinking=shrinking, working_set_size=working_set_size, verbose=verbose,
    ).solve(polish)  # fmt: skip


class _BinarySolver:
    """The state of one binary solve and its named phases.

    :meth:`solve` runs them in order: SMO to ``tol`` -- on the whole matrix
    (:meth:`whole_problem`) or in working-set rounds (:meth:`rounds`, each a :meth:`round` with
    :meth:`shrink` / :meth:`unshrink`), with a :meth:`newton_step` wherever SMO stalls -- then
    the exact :meth:`polish`; a polish rejected or short of the optimum gets one :meth:`retry`
    (SMO to a tighter tolerance, then the polish again).
    """

    def __init__(
        self, kernel_rows, y, C, *, tol, max_iter, cache_size, shrinking, working_set_size, verbose
    ):
        self.y = y = np.asarray(y, dtype=np.float64)
        self.C = C = np.asarray(C, dtype=np.float64)
        self.n = n = y.shape[0]
        self.hard = bool(np.isinf(C).any())
        if max_iter is None or max_iter < 0:
            max_iter = max(HARD_MAX_ITER if self.hard else MAX_ITER, 100 * n)
        self.max_iter = max_iter
        self.tol, self.shrinking, self.verbose = tol, shrinking, verbose
        self.kernel_rows = kernel_rows
        q = 2048 if working_set_size is None else working_set_size
        self.q = int(min(n, max(q, 2)))
        self.alpha = np.zeros(n)
        self.G = -np.ones(n)
        self.active = np.arange(n)
        if n > self.q:  # (a whole-problem solve reads its one matrix: no row cache, no gathers)
            self.cache = _RowCache(kernel_rows, n, cache_size, self.q)
            self.K_scratch = np.empty(self.q * self.q, dtype=np.float32)
        self.K_whole = None
        self.kept = np.empty(0, dtype=np.intp)
        self.n_iter = self.n_round = self.n_newton = self.stalled = 0
        self.violation = np.inf
        self.unshrunk = False
        self.converged = self.separable = True
        self.stop_tol, self.budget, self.saved = tol, max_iter, None

    # --- SMO on the whole problem ---------------------------------------------------------------

    def whole_problem(self):
        """The working set is the whole problem: SMO on the whole kernel matrix, which shrinks
        and un-shrinks by itself; no rounds, no row cache, no outer checks (their overhead
        dominates small problems such as digits' one-vs-one pairs). One call, unless it stalls:
        calls of at most ``INNER_MAX * n`` pair updates with Newton steps between."""
        y, C, n = self.y, self.C, self.n
        if self.K_whole is None:
            every = np.arange(n)
            self.K_whole = self.kernel_rows(every, every)
        cap = INNER_MAX * n
        while True:
            it, self.violation = smo_pairs(
                self.K_whole, y, C, self.alpha, self.G, self.stop_tol,
                min(self.budget - self.n_iter, cap), self.shrinking,
            )  # fmt: skip
            self.n_iter += it
            self.progress()
            if self.violation < self.stop_tol or self.n_iter >= self.budget or it == 0:
                break  # (no pair could move: a NaN, or a kernel that is no inner product)
            if self.newton_step():
                self.n_newton += 1
                self.n_iter += 1  # (a step counts towards max_iter: the loop stays bounded)
            else:
                # No descent along the face (a non-PSD kernel's saddle): SMO alone, to the end.
                cap = self.budget
        # The gradient afresh, G = y * (K (y alpha)) - 1 (one pass over K): the float32 kernel is
        # symmetric only up to rounding (BLAS computes K_ij and K_ji apart), and SMO's updates
        # read K by rows where this reads it by columns, which drifts G by ~1e-7 relative.
        self.G = y * matvec(self.K_whole, y * self.alpha) - 1.0
        self.converged = self.violation < self.stop_tol
        if self.hard and self.alpha.sum() > HARD_MARGIN_ALPHA_LIMIT:
            self.separable = self.converged = False

    # --- working-set rounds -----------------------------------------------------------------------

    def rounds(self):
        """Working-set rounds until the active problem is optimal, the budget is spent, or no
        pair can move."""
        while self.round():
            pass

    def round(self):
        """One round (ThunderSVM's decomposition); False when the rounds are over."""
        y, C, n, q, active = self.y, self.C, self.n, self.q, self.active
        alpha, G = self.alpha, self.G
        # 1. Optimality on the active set: m - M < tol.
        a_act, G_act, y_act, C_act = alpha[active], G[active], y[active], C[active]
        up, low, yg = _violations(a_act, G_act, y_act, C_act)
        m = yg[up].max() if up.any() else -np.inf
        M = yg[low].min() if low.any() else np.inf
        self.violation = m - M
        if self.violation < self.stop_tol or self.n_iter >= self.budget:
            if len(active) < n:
                # Final un-shrinking check: optimality must hold on every variable.
                self.unshrink()
                if self.n_iter < self.budget:
                    return True
                self.violation = _kkt_violation(alpha, G, y, C)
            self.converged = self.violation < self.stop_tol
            return False
        if (
            self.shrinking
            and not self.unshrunk
            and self.violation < 10 * self.stop_tol
            and len(active) < n
        ):
            # libsvm un-shrinks once when close, so that the shrunk set is rebuilt from a good
            # alpha.
            self.unshrink()
            return True
        # 2. Shrinking: bound variables whose gradient pushes them further out of the box.
        if self.shrinking and self.n_round % 10 == 9 and len(active) > q:
            if self.shrink(a_act, G_act, y_act, C_act, m, M):
                return True
        # 3. Working set (positions in the active set).
        n_act = len(active)
        whole = n_act <= q  # the sub-problem is the whole (active) problem
        if whole:
            ws = np.arange(n_act)
            inner_tol = self.stop_tol
            inner_max = self.budget - self.n_iter
        else:
            ws = _select_working_set(yg, up, low, self.kept, q)
            inner_tol = max(self.stop_tol, INNER_TOL * self.violation)
            inner_max = min(self.budget - self.n_iter, INNER_MAX * q)
        samples = active[ws]
        # 4. Kernel rows of the working set, then the sub-problem by SMO.
        cache = self.cache
        slots = cache.slots(samples, active)
        if whole and n_act == n and np.array_equal(slots, samples):
            K_ws = cache.buffer
        else:
            K_ws = _gather(cache.buffer, slots, samples, self.K_scratch)
        a_old = alpha[samples]
        a_new = a_old.copy()
        G_ws = G[samples].copy()
        it, _ = smo_pairs(
            K_ws, y[samples], C[samples], a_new, G_ws, inner_tol, inner_max, self.shrinking
        )
        self.n_iter += it
        self.n_round += 1
        # 5. Full gradient: G_A += y_A * (K_ws,A^T (y_ws * dalpha)); the inner G already is it
        # when the working set is the whole active set.
        if whole:
            G[samples] = G_ws
        else:
            _update_gradient(G, y, cache.buffer, slots, y[samples] * (a_new - a_old), active)
        alpha[samples] = a_new
        if self.hard and alpha.sum() > HARD_MARGIN_ALPHA_LIMIT:
            self.separable = self.converged = False
            return False
        if not whole and it >= inner_max and self.newton_step():
            self.n_newton += 1
            self.n_iter += 1
            self.kept = np.empty(0, dtype=np.intp)
            return True
        self.stalled = self.stalled + 1 if it == 0 else 0
        if self.stalled > 2:
            # Rounds in which no pair can move (a kernel that is no inner product): stop, as
            # libsvm does at max_iter, with the violation reached.
            self.violation = _kkt_violation(alpha, G, y, C)
            self.converged = self.violation < self.stop_tol
            return False
        # 6. Keep half of the set for the next round, free variables first (still moving).
        if not whole:
            free = (a_new > 0) & (a_new < C[samples])
            order = np.argsort(~free, kind="stable")
            self.kept = ws[order[: q // 2]]
        self.progress(n_act)
        return True

    def shrink(self, a_act, G_act, y_act, C_act, m, M):
        """libsvm's shrinking: set aside the bound variables whose gradient pushes them further
        out of the box; True when some were (and at least ``q`` stay)."""
        Gmax1, Gmax2 = m, -M
        pos = y_act > 0
        out = ((a_act >= C_act) & np.where(pos, -G_act > Gmax1, -G_act > Gmax2)) | (
            (a_act <= 0) & np.where(pos, G_act > Gmax2, G_act > Gmax1)
        )
        if out.any() and (~out).sum() >= self.q:
            self.active = self.active[~out]
            self.kept = np.empty(0, dtype=np.intp)
            return True
        return False

    def unshrink(self):
        """Bring every variable back: rebuild G of the inactive ones from the support vectors,
        ``G = y * (K (y alpha)) - 1``; the cached rows computed on the active columns only are
        stale from now on."""
        y, alpha = self.y, self.alpha
        inactive = np.setdiff1d(np.arange(self.n), self.active, assume_unique=True)
        sv = np.flatnonzero(alpha > 0)
        if inactive.size:
            coef = y[sv] * alpha[sv]
            for start, stop, block in self.cache.blocks(inactive, sv):
                rows = inactive[start:stop]
                self.G[rows] = y[rows] * matvec(block, coef) - 1.0
        self.cache.reset()
        self.active = np.arange(self.n)
        self.unshrunk = True
        self.kept = np.empty(0, dtype=np.intp)

    # --- Newton steps and the polish --------------------------------------------------------------

    def free_rows(self, free):
        """The kernel rows of the free multipliers (positions ``free`` in the active set), from
        memory, as (rows, slots): the whole matrix, else the row cache -- None when they do not
        fit in it. A shrunk problem's cached rows hold valid values on the active columns only,
        so those are copied (at most the cache's size)."""
        if self.n <= self.q:
            return self.K_whole, free
        cache, active = self.cache, self.active
        if free.size > cache.buffer.shape[0]:
            return None
        slots = cache.slots(active[free], active)
        if len(active) < self.n:
            return cache.buffer[np.ix_(slots, active)], np.arange(free.size)
        return cache.buffer, slots

    def newton_step(self):
        """SMO stopped on its cap of pair updates: its linear rate is slow on this problem (a
        free set whose kernel block is ill-conditioned: a linear kernel with about d free
        vectors). Jump along the face of the active problem's free multipliers to its minimizer,
        as far as the box allows (a descent step), and let SMO go on from there."""
        active = self.active
        a_act, C_act = self.alpha[active], self.C[active]
        free = np.flatnonzero((a_act > 0) & (a_act < C_act))
        found = self.free_rows(free) if free.size else None
        if found is None:
            return False
        step = newton_step_dual(*found, self.y[active], C_act, a_act, self.G[active])
        if step is None:
            return False
        self.alpha[active], self.G[active] = step
        return True

    def polish(self):
        """The exact polish of a converged solution. Returns ``(found, rho)``: whether the free
        rows were in memory, and rho when the polish was accepted (else None)."""
        free = np.flatnonzero((self.alpha > 0) & (self.alpha < self.C))
        found = self.free_rows(free)  # (converged: every variable is active)
        if found is None:
            return False, None
        polished = polish_dual(*found, self.y, self.C, self.alpha, self.G, self.tol)
        if polished is None:
            return True, None
        self.alpha, self.G, rho, self.violation = polished
        return True, rho

    def retry(self, rho):
        """A polish rejected, or accepted short of the optimum: SMO stopped on another face than
        the optimum's (a multiplier free that is at a bound there, or the reverse). SMO goes on
        to ``RETRY_TOL * tol``, with as many pair updates again at most, and the polish is tried
        once more; the solution at ``tol`` is kept to fall back on."""
        self.saved = self.alpha.copy(), self.G.copy(), self.violation, rho
        self.stop_tol = RETRY_TOL * self.tol
        self.budget = min(self.max_iter, 2 * self.n_iter)
        self.kept = np.empty(0, dtype=np.intp)

    # --- the whole solve --------------------------------------------------------------------------

    def solve(self, polish=True):
        while True:
            if self.n <= self.q:
                self.whole_problem()
            else:
                self.rounds()
            if self.hard and self.n_iter >= self.max_iter and not self.converged:
                if self.saved is None:
                    self.separable = False
            rho = None
            if self.saved is not None and not self.converged:
                # The retry ran out of its budget: back to the solution at tol.
                self.alpha, self.G, self.violation, rho = self.saved
                self.converged = True
                break
            has_free = np.any((self.alpha > 0) & (self.alpha < self.C))
            if not (polish and self.converged and self.separable and has_free):
                break
            found, rho = self.polish()
            if rho is not None and self.violation <= RETRY_TOL * self.tol:
                break  # the exact optimum (once SMO has its face, the polish reaches 1e-9)
            if not found or self.saved is not None or self.n_iter >= self.max_iter:
                break
            self.retry(rho)
        alpha, G, y, C = self.alpha, self.G, self.y, self.C
        if rho is None:
            rho = _rho(alpha, G, y, C)
        objective = 0.5 * float(alpha @ (G - 1.0))
        if self.verbose:
            print(
                f"optimization finished, #iter = {self.n_iter}, violation = "
                f"{self.violation:.3g}, Newton steps = {self.n_newton}\n"
                f"obj = {objective:.6f}, rho = {rho:.6f}\n"
                f"nSV = {int(np.sum(alpha > 0))}, nBSV = {int(np.sum(alpha >= C))}",
                flush=True,
            )
        return BinarySolution(
            alpha, rho, self.n_iter, float(self.violation), objective, self.converged,
            self.separable, G, self.n_newton,
        )  # fmt: skip

    def progress(self, n_active=None):
        """One line of solver progress (``verbose=True``), as libsvm prints its dots and #iter."""
        if not self.verbose:
            return
        where = "" if n_active is None else f"round {self.n_round}, active {n_active}, "
        print(
            f"[SMO] {where}pair updates {self.n_iter}, violation {self.violation:.3g}, "
            f"SV {int(np.sum(self.alpha > 0))} (at C {int(np.sum(self.alpha >= self.C))}), "
            f"Newton steps {self.n_newton}",
            flush=True,
        )
