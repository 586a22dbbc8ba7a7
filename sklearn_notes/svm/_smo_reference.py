"""SMO as the notes teach it, in plain numpy: the reference the fast solver is tested against.

The dual of the soft-margin SVM (concept map rows 11-13), with :math:`Q_{ij} = y_i y_j K_{ij}`,

.. math::

    \\min_\\alpha \\tfrac12 \\alpha^\\top Q \\alpha - \\textstyle\\sum_i \\alpha_i
    \\quad \\text{s.t.} \\quad 0 \\le \\alpha_i \\le C_i,\\ \\ \\textstyle\\sum_i y_i \\alpha_i = 0,

is solved two multipliers at a time, because the equality constraint lets no single one move.
Each step: pick ``i`` (the largest KKT violation), pick ``j`` (the largest decrease of the
objective together with ``i``), step along the constraint line
:math:`y_i \\alpha_i + y_j \\alpha_j = \\text{const}`, clip the step to the box
:math:`[0, C]^2`, update the gradient. :func:`~sklearn_notes.svm._smo.solve_binary` does the same
with shrinking, a kernel cache, working sets, Newton steps and an exact polish; this one holds the
whole ``Q`` and does nothing else (O(n) per step, O(n^2) memory).
"""

import numpy as np

from ._smo import TAU, _rho

__all__ = ["smo_reference"]


def smo_reference(K, y, C, *, tol=1e-3, max_iter=1_000_000):
    """Solve the binary C-SVM dual by pairwise SMO (second-order choice of j, as libsvm).

    Parameters
    ----------
    K : ndarray of shape (n, n)
        Kernel matrix.
    y : ndarray of shape (n,)
        Labels in {-1, +1}.
    C : ndarray of shape (n,)
        Upper bounds of the multipliers (``inf`` for the hard margin).
    tol : float, default=1e-3
        Stop when the largest KKT violation ``m - M`` is below ``tol``.
    max_iter : int, default=1_000_000
        Largest number of pair steps.

    Returns
    -------
    alpha : ndarray of shape (n,)
    rho : float
        The decision function is ``f(x) = sum_i y_i alpha_i K(x_i, x) - rho``.
    n_iter : int
        Pair steps taken.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.svm._smo_reference import smo_reference
    >>> X = np.array([[0.0], [1.0], [3.0], [4.0]])
    >>> y = np.array([-1.0, -1.0, 1.0, 1.0])
    >>> alpha, rho, n_iter = smo_reference(X @ X.T, y, np.full(4, 10.0), tol=1e-9)
    >>> np.round(alpha, 6)  # the two closest points are the support vectors: w = 1, margin 1 - 3
    array([0. , 0.5, 0.5, 0. ])
    >>> round(rho, 6)  # f(x) = x - 2
    2.0
    """
    y, C = np.asarray(y, dtype=float), np.asarray(C, dtype=float)
    Q = y[:, None] * y[None, :] * K
    alpha = np.zeros(len(y))
    G = -np.ones(len(y))  # gradient Q alpha - 1 at alpha = 0
    n_iter = 0
    while n_iter < max_iter:
        # Who may move: I_up can grow y_i alpha_i, I_low can shrink it (without leaving the box).
        up = np.where(y > 0, alpha < C, alpha > 0)
        low = np.where(y > 0, alpha > 0, alpha < C)
        F = -y * G  # KKT: optimal iff max over I_up of F <= min over I_low of F
        if not (up.any() and low.any()):
            break
        # 1. Pick i: the largest violation, m = max F over I_up.
        i = np.flatnonzero(up)[np.argmax(F[up])]
        m = F[i]
        if m - F[low].min() < tol:
            break
        # 2. Pick j in I_low with F_j < m: the largest decrease b^2 / a of the objective along
        #    the pair's line (a: its curvature, TAU where the kernel is not positive there).
        js = np.flatnonzero(low & (F < m))
        a = np.maximum(K[i, i] + K[js, js] - 2 * K[i, js], TAU)
        j = js[np.argmax((m - F[js]) ** 2 / a)]
        # 3. Step along the constraint line: alpha_i += y_i t, alpha_j -= y_j t keeps
        #    sum y alpha; the objective's minimum on the line is at t = (m - F_j) / a_ij.
        t = (m - F[j]) / max(K[i, i] + K[j, j] - 2 * K[i, j], TAU)
        # 4. Clip to the box: neither multiplier may leave [0, C].
        room_i = C[i] - alpha[i] if y[i] > 0 else alpha[i]
        room_j = alpha[j] if y[j] > 0 else C[j] - alpha[j]
        t = min(t, room_i, room_j)
        # 5. Update the multipliers and the gradient (two columns of Q).
        alpha[i] += y[i] * t
        alpha[j] -= y[j] * t
        G += Q[:, i] * (y[i] * t) - Q[:, j] * (y[j] * t)
        n_iter += 1
    # 6. rho: the mean of y_i G_i over the free multipliers (on the margin, y_i f(x_i) = 1).
    return alpha, _rho(alpha, G, y, C), n_iter
