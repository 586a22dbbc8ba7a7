r"""Denoising diffusion model (concept map row 34).

Forward process (fixed, no learning): :math:`x_t = \sqrt{1-\beta_t}\,x_{t-1} + \sqrt{\beta_t}\,
\varepsilon`, with the closed form :math:`q(x_t|x_0) = \mathcal N(\sqrt{\bar\alpha_t}x_0,
(1-\bar\alpha_t)I)` (see :mod:`._schedules`). Reverse process (learned): a network
:math:`\varepsilon_\theta(x_t, t)` predicts the noise in :math:`x_t`, trained with the notes' MSE
loss (eq. 14 of Ho et al. 2020)

.. math:: L = \mathbb E_{x_0, t, \varepsilon}
          \big\lVert \varepsilon - \varepsilon_\theta(\sqrt{\bar\alpha_t}x_0 +
          \sqrt{1-\bar\alpha_t}\,\varepsilon,\ t) \big\rVert^2 .

Sampling starts from :math:`x_T \sim \mathcal N(0, I)` and denoises step by step: DDPM's ancestral
sampler is stochastic (the notes: "the same denoising does not always give the same result"),
draws each step with variance :math:`\beta_t` (or the posterior's :math:`\tilde\beta_t`) and
uses all T steps; DDIM (Song et al. 2021) is deterministic given :math:`x_T` and can skip
steps — the notes' "slow sampling, 100-1000 steps" made measurable
(``examples/compare_generators.py``); DPM-Solver++(2M) (Lu et al. 2022) is DDIM with a
second-order correction, for still fewer steps.
"""

import math
import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils._torch import single_threaded
from ._base import BaseGenerator, import_nets, shared_parameter_docs
from ._conditional import ConditionalGeneratorMixin
from ._schedules import BETA_SCHEDULES, VARIANCE_TYPES, bound_quadrature, sampling_timesteps

__all__ = ["DiffusionModel"]

_SCORE_SEED = 0
# Network evaluations per sample in score_samples: the bound's sum over steps is exact up to this
# many steps and grouped into this many runs of equal weight beyond.
_MAX_BOUND_TERMS = 200
# The deterministic samplers' default number of steps (when n_sampling_steps is None).
_DDIM_DEFAULT_STEPS = 50
# snr_shift="auto" shifts the training noise levels of data with fewer features than this by
# log(_SNR_SHIFT_FEATURES / n_features): none for the 8x8 digits, log 32 for 2-D data.
_SNR_SHIFT_FEATURES = 64


@shared_parameter_docs
class DiffusionModel(ConditionalGeneratorMixin, BaseGenerator):
    """Denoising diffusion probabilistic model with DDPM and DDIM samplers, trained with skorch.

    Fitted with labels (``fit(X, y)``) the noise network also takes the class (10 % of the
    labels replaced by a null label during training), and ``sample(n, y=labels)`` draws the
    classes asked for with classifier-free guidance [4]_.

    Read more in the :ref:`User Guide <generative>`.

    Parameters
    ----------
    n_steps : int, default=1000
        Length ``T`` of the forward chain.
    beta_schedule : {"linear", "cosine"}, default="linear"
        Noise schedule: linear betas of [1]_ or the cosine schedule of [3]_.
    sampler : {"ddpm", "ddim", "dpm-solver++"}, default="ddpm"
        ``"ddpm"``: ancestral sampling, stochastic at every step. ``"ddim"``: deterministic
        sampling of [2]_, good with far fewer steps. ``"dpm-solver++"``: DPM-Solver++(2M) of
        [5]_, DDIM's update with a second-order multistep correction (the same number of
        network evaluations, closer to the converged sampler with few steps).
    n_sampling_steps : int, default=None
        Denoising steps used by ``sample``. ``None``: all ``n_steps`` for DDPM, 50 for the
        deterministic samplers.
        Fewer steps than ``n_steps`` are spaced quadratically, denser at low noise
        (:func:`~sklearn_notes.generative._schedules.sampling_timesteps`).
    variance_type : {"fixed_large", "fixed_small"}, default="fixed_large"
        The variance :math:`\\sigma_t^2` of DDPM's reverse steps, the two choices of [1]_
        (named as in diffusers): ``"fixed_large"`` is :math:`\\beta_t`, ``"fixed_small"`` the
        forward posterior's :math:`\\tilde\\beta_t = \\beta_t(1-\\bar\\alpha_{t-1})/
        (1-\\bar\\alpha_t)`. The first is exact for data spread like :math:`\\mathcal N(0, I)`,
        the second for data concentrated at one point; they differ only in the first steps,
        where the noise is as small as the data's finest detail. On data whose modes are that
        narrow ``"fixed_small"`` adds too little noise there and its samples come out too
        sharp: on the ring of 8 Gaussians their mean squared distance to the nearest centre is
        0.77-0.84 of the truth's with ``"fixed_small"`` and 0.95-1.03 with ``"fixed_large"``
        (seeds 0-2). Used by the DDPM sampler and by ``score_samples`` (the bound is that of the
        model sampled); DDIM and DPM-Solver++ add no noise and ignore it.
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden widths of the noise network :math:`\\varepsilon_\\theta`. ``"auto"``: three
        layers of ``min(1024, max(128, 12 * n_features))`` units. The network predicts a
        ``n_features``-dimensional noise from a ``n_features``-dimensional input at every noise
        level, so its width grows with the features: 128 units for 2-D data, 768 for the
        8x8 digits (on the digits, the reader's confidence in the samples is 0.77 with 128
        units and 0.86 with 768).
    max_epochs : int, default=100
        Passes over the data per call to ``fit``.
    batch_size : int, default=128
        Mini-batch size (capped at ``n_samples``).
    lr : float, default=3e-3
        Adam learning rate (annealed to 0 along a half cosine over each ``fit``).
    ema_decay : float, default=0.999
        Decay of the exponential moving average of the network's weights that ``sample`` and
        ``score_samples`` use (0: the last iterate).
    snr_shift : "auto" or float, default="auto"
        Shift ``s``, in nats of log signal-to-noise ratio, of the noise levels the network is
        trained on: each uniformly drawn step t is replaced by the first step whose log-SNR
        :math:`\\log(\\bar\\alpha_t/(1-\\bar\\alpha_t))` is at most that of t plus
        ``s`` (:func:`~sklearn_notes.generative._schedules.training_timesteps`). 0 draws t
        uniformly, as [1]_; ``s > 0`` trains more at low noise, ``s < 0`` at high noise.
        ``"auto"``: ``max(0, log(64 / n_features))``, the dimension-dependent shift of [6]_ with
        the 8x8 digits as reference: none for 64 features or more, ``log 32`` for 2-D data,
        whose sharp modes the few-step samplers need a precise low-noise network for (on the
        ring of 8 Gaussians, DDIM's 20 steps put 0.89 of the samples within 3 sigma with 0 and
        0.94-0.95 with ``log 32``, seeds 0-2).
    guidance_scale : float, default=2.0
        Classifier-free guidance of class-conditional sampling: the noise estimate is
        :math:`\\varepsilon_\\varnothing + s(\\varepsilon_y - \\varepsilon_\\varnothing)`;
        1 samples the conditional model itself, larger values give samples more typical of
        their class at some cost in diversity.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where torch trains and samples; ``"auto"`` picks CUDA when available.
    %(training_parameters)s
    verbose : int, default=0
        0: silent; >= 1: one progress bar over the epochs, with the latest losses.
    warm_start : bool, default=False
        Continue training the fitted network on the next ``fit``: ``max_epochs`` more
        epochs at the current ``lr`` and ``batch_size``, in the fitted scaling. Only those
        three and what sampling or scoring alone reads may change; any other changed
        parameter is a ``ValueError``: refit with ``warm_start=False``.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batches and noise: the same seed gives the same model on CPU.

    Attributes
    ----------
    scaler_ : StandardScaler
        Maps X to the working range (zero mean, unit variance: the scale of :math:`x_T`) and back.
    hidden_layer_sizes_ : tuple of int
        The noise network's hidden widths (``hidden_layer_sizes`` with ``"auto"`` resolved).
    snr_shift_ : float
        The training draws' log-SNR shift (``snr_shift`` with ``"auto"`` resolved).
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` holds the noise network and the schedule buffers.
    history_ : dict of str -> list of float
        Per-epoch mean denoising loss, key ``"loss"``.
    device_ : str
        The device used.
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit`` (only when fitted with ``y``).
    class_prior_ : ndarray of shape (n_classes,)
        Their proportions, used to draw classes when ``sample`` gets no ``y``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string feature names.

    See Also
    --------
    GAN, VAE : The other generators of the notes.

    Notes
    -----
    ``score_samples(x)`` is minus the variational bound of [1]_ (eq. 5) on :math:`-\\log p(x)`
    for the reverse chain that DDPM's sampler runs (variances :math:`\\tilde\\beta_t`, a Gaussian
    decoder of variance :math:`\\beta_1` at the last step): a lower bound on the log-density of x
    in nats, *in the user's units* (the log-Jacobian of the standardization is included). Unlike
    the training loss, whose scale changes with ``n_steps`` and the schedule, it can be compared
    across hyper-parameters and with any density model (``GridSearchCV`` can choose between
    them). Each term draws its epsilon from a stream seeded by the sample's own values, so the
    score is deterministic and the same whatever other samples share the call; beyond 200 steps
    the sum is evaluated at 200 steps, the midpoints of equal shares of the total weight (the
    heavy early steps several times). ``score(X)`` is the mean.

    References
    ----------
    .. [1] Ho, Jain, Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS 2020.
    .. [2] Song, Meng, Ermon, "Denoising Diffusion Implicit Models", ICLR 2021.
    .. [3] Nichol, Dhariwal, "Improved Denoising Diffusion Probabilistic Models", ICML 2021.
    .. [4] Ho, Salimans, "Classifier-Free Diffusion Guidance", arXiv:2207.12598, 2022.
    .. [5] Lu, Zhou, Bao, Chen, Li, Zhu, "DPM-Solver++: Fast Solver for Guided Sampling of
       Diffusion Probabilistic Models", arXiv:2211.01095, 2022.
    .. [6] Hoogeboom, Heek, Salimans, "simple diffusion: End-to-end diffusion for high
       resolution images", ICML 2023 (the noise schedule shifted with the data's size).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_notes import DiffusionModel
    >>> X, _ = load_iris(return_X_y=True)
    >>> dm = DiffusionModel(n_steps=100, max_epochs=20, random_state=0).fit(X)
    >>> dm.sample(3, random_state=0).shape
    (3, 4)
    >>> dm.set_params(sampler="ddim", n_sampling_steps=10).sample(3, random_state=0).shape
    (3, 4)
    """

    _net_parameters = ("n_steps", "beta_schedule", "ema_decay", "snr_shift")
    _parameter_constraints = {
        **BaseGenerator._parameter_constraints,
        **BaseGenerator._training_constraints,
        **BaseGenerator._auto_hidden_constraint,
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "beta_schedule": [StrOptions(set(BETA_SCHEDULES))],
        "sampler": [StrOptions({"ddpm", "ddim", "dpm-solver++"})],
        "variance_type": [StrOptions(set(VARIANCE_TYPES))],
        "n_sampling_steps": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "ema_decay": [Interval(numbers.Real, 0, 1, closed="left")],
        "snr_shift": [StrOptions({"auto"}), Interval(numbers.Real, None, None, closed="neither")],
        "guidance_scale": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_steps=1000,
        *,
        beta_schedule="linear",
        sampler="ddpm",
        n_sampling_steps=None,
        variance_type="fixed_large",
        hidden_layer_sizes="auto",
        max_epochs=100,
        batch_size=128,
        lr=3e-3,
        ema_decay=0.999,
        snr_shift="auto",
        guidance_scale=2.0,
        device="cpu",
        n_jobs=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        verbose=0,
        warm_start=False,
        random_state=None,
    ):
        self.n_steps = n_steps
        self.beta_schedule = beta_schedule
        self.sampler = sampler
        self.n_sampling_steps = n_sampling_steps
        self.variance_type = variance_type
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.ema_decay = ema_decay
        self.snr_shift = snr_shift
        self.guidance_scale = guidance_scale
        self.device = device
        self.n_jobs = n_jobs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.verbose = verbose
        self.warm_start = warm_start
        self.random_state = random_state

    def _auto_hidden(self, n_features):
        return (min(1024, max(128, 12 * n_features)),) * 3

    def _snr_shift(self, n_features):
        if isinstance(self.snr_shift, str):  # "auto"
            return max(0.0, math.log(_SNR_SHIFT_FEATURES / n_features))
        return float(self.snr_shift)

    def _resolved_parameters(self):
        return {"snr_shift": self.snr_shift_}

    def _make_net(self, nets, n_features, hidden, common, Xs):
        import torch

        # the training data's box in the working range, widened by one standard deviation
        clip_low, clip_high = Xs.min(axis=0) - 1.0, Xs.max(axis=0) + 1.0
        # cosine decay of lr to 0 over the fit: the last steps fine-tune at small lr, which the
        # precision of the small-t noise predictions needs
        decay = ("lr_decay", nets.CosineDecay())
        common = dict(common, callbacks=[*(common["callbacks"] or []), decay])
        # a fresh fit only (warm starts keep the module); atomic_fit restores it if the fit fails
        self.snr_shift_ = self._snr_shift(n_features)

        return nets.DiffusionNet(
            nets.GaussianDiffusion,
            module__n_features=n_features,
            module__hidden_layer_sizes=hidden,
            module__betas=BETA_SCHEDULES[self.beta_schedule](self.n_steps),
            module__clip_low=clip_low,
            module__clip_high=clip_high,
            module__n_classes=self._n_classes(),
            module__ema_decay=self.ema_decay,
            module__snr_shift=self.snr_shift_,
            optimizer=torch.optim.Adam,
            **common,
        )

    def _timesteps(self):
        T = self.net_.module_.n_steps
        steps = self.n_sampling_steps
        if steps is None:
            steps = T if self.sampler == "ddpm" else min(T, _DDIM_DEFAULT_STEPS)
        return sampling_timesteps(T, steps)

    def _sample_scaled(self, nets, n_samples, generator, labels=None):
        eta = 1.0 if self.sampler == "ddpm" else 0.0
        order = 2 if self.sampler == "dpm-solver++" else 1
        return self.net_.module_.sample(
            n_samples,
            self._timesteps(),
            eta,
            generator,
            labels,
            self.guidance_scale,
            order,
            self.variance_type,
        )

    @single_threaded
    def score_samples(self, X):
        """Variational lower bound on each sample's log-density, in nats (see Notes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            :math:`-L(x) - \\sum_j \\log s_j`, with :math:`L` the bound in the standardized
            space and :math:`s_j` the standard deviations of the training data.
        """
        import torch

        nets = import_nets()
        X = self._validate(X)
        module = nets.float64_copy(self.net_.module_)
        x0 = self._to_scaled_tensor(X)
        betas = self.net_.module_.betas.double().cpu()
        steps, weights, constant = bound_quadrature(betas, _MAX_BOUND_TERMS, self.variance_type)
        noise = nets.row_normal(X, len(steps) + 1, X.shape[1], _SCORE_SEED, x0.dtype, x0.device)
        with torch.no_grad():
            bound = nets.as_numpy(module.variational_bound(x0, steps, weights, noise, constant))
        scores = -bound + self._log_jacobian()
        return nets.finite_scores(scores, X, type(self).__name__)

    @single_threaded
    def score(self, X, y=None):
        """Mean of ``score_samples(X)``: a bound on the mean log-likelihood in nats per sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))
