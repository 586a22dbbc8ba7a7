r"""Noise schedules and the forward process of diffusion models (concept map row 34).

The notes' forward process adds Gaussian noise step by step while *shrinking* the previous state,

.. math:: x_t = \sqrt{1 - \beta_t}\, x_{t-1} + \sqrt{\beta_t}\, \varepsilon_t,
          \qquad \varepsilon_t \sim \mathcal N(0, I)

(the notes write :math:`\sigma_t^2` for :math:`\beta_t`). Because the shrink and the noise balance,
the variance stays bounded, and the chain has the closed-form marginal

.. math:: q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\, x_0,\ (1 - \bar\alpha_t) I\big),
          \qquad \bar\alpha_t = \prod_{s \le t} (1 - \beta_s),

so :math:`x_T \approx \mathcal N(0, I)` once :math:`\bar\alpha_T \approx 0`. Without the shrink
(:math:`x_t = x_{t-1} + \sqrt{\beta_t}\varepsilon_t`) the variance is :math:`\mathrm{Var}(x_0) +
\sum_s \beta_s`, which grows without bound with the number of steps: the notes' reason for the
:math:`\sqrt{1-\beta_t}` factor.

Everything here is a pure float64 numpy function (no torch), so the mathematics can be tested alone;
:class:`~sklearn_notes.generative.DiffusionModel` stores the results once as float32 torch buffers.

References
----------
.. [1] Ho, Jain, Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS 2020.
.. [2] Nichol, Dhariwal, "Improved Denoising Diffusion Probabilistic Models", ICML 2021
   (the cosine schedule, eq. 17).
"""

import numpy as np

__all__ = [
    "BETA_SCHEDULES",
    "VARIANCE_TYPES",
    "bound_quadrature",
    "cosine_beta_schedule",
    "diffusion_coefficients",
    "forward_marginal",
    "linear_beta_schedule",
    "sampling_timesteps",
    "simulate_forward_chain",
    "training_timesteps",
]


# --- schedules ---------------------------------------------------------------------------------


def linear_beta_schedule(n_steps):
    """Linear betas of [1]_, rescaled so that any ``n_steps`` reaches about the same noise level.

    For ``n_steps = 1000`` this is ``linspace(1e-4, 0.02, 1000)``; for other lengths both ends are
    multiplied by ``1000 / n_steps`` (as in [2]_) so that :math:`\\bar\\alpha_T` stays near 0.

    Parameters
    ----------
    n_steps : int
        Number of diffusion steps ``T`` (>= 1).

    Returns
    -------
    betas : ndarray of shape (n_steps,), float64
    """
    scale = 1000.0 / n_steps
    return np.linspace(scale * 1e-4, min(scale * 0.02, 0.999), n_steps, dtype=np.float64)


def cosine_beta_schedule(n_steps, s=0.008):
    """Cosine schedule of [2]_: :math:`\\bar\\alpha_t = f(t)/f(0)`.

    ``f(t) = cos²((t/T + s)/(1 + s)·π/2)``.

    Parameters
    ----------
    n_steps : int
        Number of diffusion steps ``T`` (>= 1).
    s : float, default=0.008
        Offset that keeps the first betas from being vanishingly small.

    Returns
    -------
    betas : ndarray of shape (n_steps,), float64
        ``1 - alpha_bar_t / alpha_bar_{t-1}``, clipped to 0.999 as in [2]_ to avoid a singular
        last step.
    """
    t = np.arange(n_steps + 1, dtype=np.float64) / n_steps
    f = np.cos((t + s) / (1 + s) * np.pi / 2) ** 2
    alphas_cumprod = f / f[0]
    return np.clip(1.0 - alphas_cumprod[1:] / alphas_cumprod[:-1], 0.0, 0.999)


#: Name -> schedule function, the choices of ``DiffusionModel(beta_schedule=...)``.
BETA_SCHEDULES = {"linear": linear_beta_schedule, "cosine": cosine_beta_schedule}


def diffusion_coefficients(betas):
    """Every per-step coefficient the model needs, computed once in float64.

    Parameters
    ----------
    betas : array-like of shape (T,)
        Noise variances, each in (0, 1).

    Returns
    -------
    coefs : dict of str -> ndarray of shape (T,)
        ``betas``, ``alphas`` (``1 - betas``), ``alphas_cumprod`` (:math:`\\bar\\alpha_t`),
        ``sqrt_alphas_cumprod`` and ``sqrt_one_minus_alphas_cumprod`` (for ``q(x_t|x_0)``).
    """
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size == 0 or np.any(betas <= 0) or np.any(betas >= 1):
        raise ValueError("betas must be a non-empty vector of values in (0, 1).")
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas)
    return {
        "betas": betas,
        "alphas": alphas,
        "alphas_cumprod": alphas_cumprod,
        "sqrt_alphas_cumprod": np.sqrt(alphas_cumprod),
        "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - alphas_cumprod),
    }


def sampling_timesteps(n_steps, n_sampling_steps):
    """Decreasing timesteps a sampler visits: ``n_sampling_steps`` of ``[0, T)``, denser near 0.

    Quadratic spacing (the DDIM paper's choice for few steps, Song et al. 2021, appendix D.2):
    :math:`t_i \\approx (i\\,\\sqrt{T-1}/(S-1))^2`, nudged to be distinct. Fine details (the
    width of a tight mode) are decided at small t, where even spacing would take one jump of
    ``T / S`` steps; every step of the chain is visited when ``n_sampling_steps >= T``.

    Parameters
    ----------
    n_steps : int
        ``T``, the length of the training chain.
    n_sampling_steps : int
        How many denoising steps to take; ``n_steps`` or more gives every step.

    Returns
    -------
    timesteps : ndarray of int64, decreasing, from ``T - 1`` to 0
    """
    T, S = int(n_steps), min(int(n_sampling_steps), int(n_steps))
    quadratic = np.round(np.linspace(0.0, np.sqrt(T - 1), S) ** 2).astype(np.int64)
    i = np.arange(S)
    # t_i - i never decreases and ends at T - S, so t_i stays in [0, T - 1] and strictly increases
    steps = np.maximum.accumulate(quadratic - i) + i
    return steps[::-1].copy()


def training_timesteps(alphas_cumprod, snr_shift):
    """The step trained for each uniform draw of ``t``: the noise levels shifted by ``snr_shift``.

    Step ``t`` has the log signal-to-noise ratio :math:`\\lambda_t = \\log(\\bar\\alpha_t /
    (1 - \\bar\\alpha_t))`, decreasing in t. A uniform draw ``t`` trains the first step whose
    :math:`\\lambda` is at most :math:`\\lambda_t + s`: with ``s > 0`` training sees less noise,
    the shift of the noise schedule that Hoogeboom et al. (2023, "simple diffusion") make with
    the size of the data, here applied to the training draws only (the sampler keeps every
    step). ``s = 0`` is the uniform draw of Ho et al.; with ``s > 0`` the steps whose
    :math:`\\lambda` is below :math:`\\lambda_{T-1} + s` are not drawn, and ``s < 0`` piles
    the lowest-noise draws onto the last step.

    Parameters
    ----------
    alphas_cumprod : array-like of shape (T,)
        :math:`\\bar\\alpha_t`, strictly decreasing.
    snr_shift : float
        ``s``, in nats of log-SNR.

    Returns
    -------
    steps : ndarray of int64 of shape (T,)
        Nondecreasing; ``steps[t]`` is the step a draw of ``t`` trains (``arange(T)`` when
        ``s = 0``).
    """
    abar = np.asarray(alphas_cumprod, dtype=np.float64)
    log_snr = np.log(abar) - np.log1p(-abar)
    # -log_snr increases: the first index where -log_snr >= -(log_snr_t + s)
    steps = np.searchsorted(-log_snr, -(log_snr + snr_shift), side="left")
    return np.minimum(steps, len(abar) - 1).astype(np.int64)


VARIANCE_TYPES = ("fixed_large", "fixed_small")


def bound_quadrature(betas, max_terms, variance_type="fixed_small"):
    r"""Steps, weights and constant of the variational bound's sum over steps ``t >= 1``.

    Step t's term (0-based t) is :math:`KL(q(x_{t-1}|x_t,x_0)\,\|\,\mathcal N(\mu_\theta,
    \sigma_t^2 I))`, with :math:`\tilde\beta_t = \beta_t(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)`
    the variance of the posterior q:

    .. math:: w_t\,\lVert\varepsilon - \varepsilon_\theta\rVert^2 + \tfrac d2\big(r_t - 1
              - \log r_t\big),\qquad w_t = \frac{\beta_t^2}{2\sigma_t^2\alpha_t
              (1-\bar\alpha_t)},\quad r_t = \tilde\beta_t / \sigma_t^2

    (eq. 12 of Ho et al.): ``"fixed_small"`` is :math:`\sigma_t^2 = \tilde\beta_t` (weight
    :math:`\beta_t/(2\alpha_t(1-\bar\alpha_{t-1}))`, no constant), ``"fixed_large"``
    :math:`\sigma_t^2 = \beta_t` (weight :math:`\beta_t/(2\alpha_t(1-\bar\alpha_t))`, and
    :math:`r_t = (1-\bar\alpha_{t-1})/(1-\bar\alpha_t)`). With ``T - 1 <= max_terms`` every
    step is returned with its weight; beyond, ``max_terms`` steps at the midpoints of equal shares
    of the total weight, each weighing ``total / max_terms`` (the midpoint rule on the weights'
    CDF: the heavy early steps get several evaluations, each with its own noise). The constant
    needs no network and is summed exactly.

    Parameters
    ----------
    betas : array-like of shape (T,)
    max_terms : int
    variance_type : {"fixed_small", "fixed_large"}, default="fixed_small"
        The reverse variances :math:`\sigma_t^2`.

    Returns
    -------
    steps : ndarray of int64
        Steps in ``[1, T)``, possibly repeated.
    weights : ndarray of float64, same length
    constant : float
        :math:`\tfrac12\sum_t (r_t - 1 - \log r_t)`, nats per feature (0 for ``"fixed_small"``).
    """
    if variance_type not in VARIANCE_TYPES:
        raise ValueError(f"variance_type must be one of {VARIANCE_TYPES}, got {variance_type!r}.")
    c = diffusion_coefficients(betas)
    one_minus = 1 - c["alphas_cumprod"]
    if variance_type == "fixed_small":
        w = c["betas"][1:] / (2 * c["alphas"][1:] * one_minus[:-1])
        constant = 0.0
    else:
        w = c["betas"][1:] / (2 * c["alphas"][1:] * one_minus[1:])
        r = one_minus[:-1] / one_minus[1:]
        constant = float(0.5 * np.sum(r - 1 - np.log(r)))
    steps = np.arange(1, len(w) + 1)
    if len(w) <= max_terms:
        return steps, w, constant
    cum = np.cumsum(w)
    targets = (np.arange(max_terms) + 0.5) / max_terms * cum[-1]
    return (
        steps[np.searchsorted(cum, targets)],
        np.full(max_terms, cum[-1] / max_terms),
        constant,
    )


# --- the forward process -----------------------------------------------------------------------


def forward_marginal(x0, t, alphas_cumprod):
    """Mean and variance of the closed form :math:`q(x_t | x_0)` (eq. 4 of [1]_).

    Parameters
    ----------
    x0 : array-like
        Clean data.
    t : int
        Step index, 0-based (``t = 0`` is one step of noise).
    alphas_cumprod : array-like of shape (T,)

    Returns
    -------
    mean : ndarray, like ``x0``
        :math:`\\sqrt{\\bar\\alpha_t}\\, x_0`.
    var : float
        :math:`1 - \\bar\\alpha_t` (the same for every coordinate).
    """
    abar = float(np.asarray(alphas_cumprod, dtype=np.float64)[t])
    return np.sqrt(abar) * np.asarray(x0, dtype=np.float64), 1.0 - abar


def simulate_forward_chain(x0, betas, random_state=None, *, shrink=True):
    """Run the forward chain step by step and return every state.

    Parameters
    ----------
    x0 : array-like of shape (n_samples, n_features)
        Starting points.
    betas : array-like of shape (T,)
        Noise variances.
    random_state : int, RandomState instance or None, default=None
    shrink : bool, default=True
        ``True``: :math:`x_t = \\sqrt{1-\\beta_t}x_{t-1} + \\sqrt{\\beta_t}\\varepsilon` (the notes'
        process). ``False``: :math:`x_t = x_{t-1} + \\sqrt{\\beta_t}\\varepsilon`, noise without the
        shrink, whose variance grows without bound.

    Returns
    -------
    states : ndarray of shape (T, n_samples, n_features)
        ``states[t]`` is :math:`x_t` for ``t = 0 .. T-1`` (0-based, after ``t + 1`` steps).
    """
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    x = np.asarray(x0, dtype=np.float64)
    betas = np.asarray(betas, dtype=np.float64)
    states = np.empty((betas.size, *x.shape))
    for t, beta in enumerate(betas):
        keep = np.sqrt(1.0 - beta) if shrink else 1.0
        x = keep * x + np.sqrt(beta) * rng.standard_normal(x.shape)
        states[t] = x
    return states
