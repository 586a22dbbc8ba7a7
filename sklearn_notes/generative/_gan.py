r"""Generative adversarial network (concept map row 33).

A generator :math:`G(z)`, :math:`z \sim \mathcal N(0, I)`, and a discriminator
:math:`D(x) = P(\text{real} \mid x)` play the notes' minimax game

.. math:: \min_G \max_D\ \mathbb E_{x}[\log D(x)] + \mathbb E_{z}[\log(1 - D(G(z)))].

Training alternates (1) a discriminator step that pushes :math:`D(x) \to 1` on real data and
:math:`D(G(z)) \to 0` on fakes, and (2) a generator step. For (2) the *non-saturating* loss
:math:`-\log D(G(z))` of Goodfellow et al. (2014) is used instead of
:math:`\log(1 - D(G(z)))`: both have the same fixed points, but the latter's gradient vanishes
exactly when D rejects the fakes confidently, which is how training starts. Mode collapse, the
notes' failure mode, is measurable: count the modes of a known mixture that the samples cover
(``examples/compare_generators.py``).

What makes the game converge on small data is the field's tool kit, each a parameter: an R1
gradient penalty on D at the real data, an exponential moving average of G's weights for
sampling, small batches (more steps of the game per epoch), and optionally spectral
normalization, separate learning rates (TTUR), a cosine learning-rate schedule and D's minibatch
standard deviation feature against collapse; ``scaling="minmax"`` (which ``"auto"`` picks for
pixel-like data) gives G a ``tanh`` output on data mapped to [-1, 1].
"""

import numbers

import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils._torch import single_threaded
from ._base import BaseGenerator, _scaled, import_nets
from ._conditional import ConditionalGeneratorMixin
from ._evaluation import mmd2

__all__ = ["GAN"]

_SCORE_SEED = 0
# generated samples behind the Parzen-window estimate of score_samples
_N_PARZEN = 1000
# at most this many samples of X enter the MMD of score
_MAX_MMD = 2000
# up to this many features the "auto" widths are small and the "auto" rate is the slower one
_SMALL = 16


class GAN(ConditionalGeneratorMixin, BaseGenerator):
    """Generative adversarial network trained with skorch (two modules, two optimizers).

    Fitted with labels (``fit(X, y)``) it is a conditional GAN [2]_: the generator and the
    discriminator also take the class, and ``sample(n, y=labels)`` draws the classes asked for.

    Read more in the :ref:`User Guide <generative>`.

    Parameters
    ----------
    latent_dim : int, default=16
        Size of the generator's input noise ``z``.
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden widths of the generator and of the discriminator. ``"auto"``: ``(64, 64)`` for
        up to 16 features, else three layers of ``min(512, 4 * n_features)`` units. On 2-D data
        a bigger network makes the game unstable (on the two moons, 0.52 of the samples lie
        near the arcs with three layers of 64 and 0.53 with two of 128, against 0.98 with two of
        64); the 8x8 digits need more (reader confidence, min-max scaled: 0.83 with two layers
        of 256, 0.87 with three; 0.77 at the former fixed (64, 64), standardized).
    max_epochs : int, default=100
        Passes over the data per call to ``fit``; each batch makes one discriminator and one
        generator step.
    batch_size : int, default=64
        Mini-batch size (capped at ``n_samples``). Each batch is one step of each player, so
        on small data sets a smaller batch gives the game more steps per epoch.
    scaling : {"auto", "standard", "minmax"}, default="auto"
        The working range. ``"standard"``: each feature standardized, a linear generator
        output. ``"minmax"``: each feature mapped to [-1, 1] by the training data's range and
        the generator's output through ``tanh`` (the convention of DCGAN [5]_), so samples stay
        inside the training data's box and a feature at its minimum (an image's background) is
        reached by saturation; for sparse, skewed features such as pixels, whose standardized
        values reach many standard deviations, the generator no longer has to make such
        outliers. ``"auto"``: ``"minmax"`` when values pile up at the features' bounds (on
        average over the features, at least a quarter of a feature's values equal its minimum or
        its maximum, as with pixels: 0.58 on the digits), ``"standard"`` otherwise (continuous
        features: 0.00 on the two moons, 0.02 on iris).
    lr : "auto" or float, default="auto"
        Learning rate of the generator's Adam optimizer. ``"auto"``: 7e-4 up to 16 features
        (with the small networks of ``hidden_layer_sizes="auto"``, a slower generator oscillates
        less around thin supports such as the two moons), 1e-3 beyond (the digits need the
        faster rate within 300 epochs). The User Guide has the measurements.
    lr_discriminator : float or None, default=None
        Learning rate of the discriminator's Adam optimizer; None: the generator's (``lr_``).
        A faster discriminator is the two time-scale update rule (TTUR) [6]_.
    adam_betas : tuple of two floats, default=(0.5, 0.999)
        Adam's ``(beta1, beta2)`` for both optimizers. The GAN literature lowers ``beta1``
        from Adam's 0.9 (0.5 in DCGAN, 0.0 with ``beta2=0.99`` in StyleGAN): the momentum of
        the other player's old gradients makes the game oscillate.
    lr_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` anneals both learning rates to 0 along a half cosine over each ``fit``.
    ema_decay : float, default=0.999
        Decay of the exponential moving average of the generator's weights that ``sample``
        uses (0: the last iterate). The average damps the oscillation of the adversarial game.
    spectral_norm : bool, default=False
        Spectral normalization of the discriminator's layers [3]_ (D 1-Lipschitz up to its
        activations). Off by default: on modes narrower than the data's spread (the ring) a
        1-Lipschitz D cannot tell a sample on a mode from one beside it, and the R1 penalty
        does better.
    r1_penalty : float, default=0.1
        Weight :math:`\\gamma` of the R1 gradient penalty
        :math:`\\tfrac\\gamma2\\mathbb E\\lVert\\nabla_x D(x)\\rVert^2` on real data [4]_
        (in the working range; 0: none). It keeps D flat on the data, where the plain game
        oscillates around the equilibrium instead of reaching it; too large a weight also keeps
        D from resolving modes narrower than the data's spread.
    minibatch_std : bool, default=False
        Append the minibatch standard deviation (the mean over the discriminator's last hidden
        features of their standard deviation over the batch) to the discriminator's last layer
        [7]_: a batch of near copies is then told from a real batch, which counters mode
        collapse. ``discriminate`` then judges X as one batch.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where torch trains and samples; ``"auto"`` picks CUDA when available.
    n_jobs : int, default=None
        torch CPU threads for ``fit``, ``sample`` and scoring: None means 1 (the networks are
        small; threads cost more than they save on them), -1 all cores.
    verbose : int, default=0
        0: silent; >= 1: one progress bar over the epochs, with the latest losses.
    warm_start : bool, default=False
        Continue training the fitted networks on the next ``fit``: ``max_epochs`` more
        epochs at the current ``lr`` and ``batch_size``, in the fitted scaling. Only those
        three and what sampling or scoring alone reads may change; any other changed
        parameter is a ``ValueError``: refit with ``warm_start=False``.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batches and noise: the same seed gives the same model on CPU.

    Attributes
    ----------
    scaler_ : StandardScaler or MinMaxScaler
        Maps X to the working range (see ``scaling``) and back.
    scaling_ : {"standard", "minmax"}
        The working range used (``scaling`` with ``"auto"`` resolved).
    hidden_layer_sizes_ : tuple of int
        The hidden widths used (``hidden_layer_sizes`` with ``"auto"`` resolved).
    lr_ : float
        The generator's learning rate used (``lr`` with ``"auto"`` resolved).
    net_ : skorch.NeuralNet
        The trained net: ``net_.module_`` is the generator, ``net_.discriminator_`` the
        discriminator.
    history_ : dict of str -> list of float
        Per-epoch means of ``"discriminator_loss"`` (with the R1 penalty), ``"generator_loss"``,
        their sum ``"loss"``, and ``"r1_penalty"`` when it is on. A discriminator loss near
        ``2 log 2 = 1.386`` means D cannot tell real from fake.
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
    VAE, DiffusionModel : The other generators of the notes.

    Notes
    -----
    A GAN has no likelihood, so ``score`` is **minus the squared maximum mean discrepancy**
    (unbiased estimate, RBF kernel with ``gamma = 1 / n_features`` in the training data's
    standardized units, whatever ``scaling`` is) between X (a fixed random subsample of 2,000 when X is
    larger) and as many fresh samples, drawn with a fixed seed: 0 on average when the samples are
    distributed like X, lower when they are not. It is not in nats and cannot be compared with
    the log-likelihood scores of :class:`VAE` or :class:`DiffusionModel`, but it can be compared
    across the GAN's own hyper-parameters, ``scaling`` included (the kernel depends only on the
    training data), so ``GridSearchCV`` can tune a GAN without ``scoring=``.
    ``score_samples`` is a Parzen-window (kernel density) estimate of the generator's log-density
    at each sample, the evaluation of [1]_.

    References
    ----------
    .. [1] Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    .. [2] Mirza, Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784, 2014.
    .. [3] Miyato, Kataoka, Koyama, Yoshida, "Spectral Normalization for Generative Adversarial
       Networks", ICLR 2018.
    .. [4] Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?",
       ICML 2018.
    .. [5] Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep
       Convolutional Generative Adversarial Networks", ICLR 2016.
    .. [6] Heusel, Ramsauer, Unterthiner, Nessler, Hochreiter, "GANs Trained by a Two Time-Scale
       Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017.
    .. [7] Karras, Aila, Laine, Lehtinen, "Progressive Growing of GANs for Improved Quality,
       Stability, and Variation", ICLR 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_notes import GAN
    >>> X, _ = load_iris(return_X_y=True)
    >>> gan = GAN(max_epochs=20, random_state=0).fit(X)
    >>> gan.sample(3, random_state=0).shape
    (3, 4)
    >>> gan.discriminate(X[:2]).shape
    (2,)
    >>> sorted(gan.history_)
    ['discriminator_loss', 'generator_loss', 'loss', 'r1_penalty']
    """

    _net_parameters = (
        "latent_dim",
        "scaling",
        "lr_discriminator",
        "adam_betas",
        "lr_schedule",
        "ema_decay",
        "spectral_norm",
        "r1_penalty",
        "minibatch_std",
    )
    _parameter_constraints = {
        **BaseGenerator._parameter_constraints,
        **BaseGenerator._auto_hidden_constraint,
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [StrOptions({"auto"}), *BaseGenerator._parameter_constraints["lr"]],
        "scaling": [StrOptions({"auto", "minmax", "standard"})],
        "lr_discriminator": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "adam_betas": [tuple],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "ema_decay": [Interval(numbers.Real, 0, 1, closed="left")],
        "spectral_norm": ["boolean"],
        "r1_penalty": [Interval(numbers.Real, 0, None, closed="left")],
        "minibatch_std": ["boolean"],
    }

    def __init__(
        self,
        latent_dim=16,
        *,
        hidden_layer_sizes="auto",
        max_epochs=100,
        batch_size=64,
        scaling="auto",
        lr="auto",
        lr_discriminator=None,
        adam_betas=(0.5, 0.999),
        lr_schedule="constant",
        ema_decay=0.999,
        spectral_norm=False,
        r1_penalty=0.1,
        minibatch_std=False,
        device="cpu",
        n_jobs=None,
        verbose=0,
        warm_start=False,
        random_state=None,
    ):
        self.latent_dim = latent_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.scaling = scaling
        self.lr = lr
        self.lr_discriminator = lr_discriminator
        self.adam_betas = adam_betas
        self.lr_schedule = lr_schedule
        self.ema_decay = ema_decay
        self.spectral_norm = spectral_norm
        self.r1_penalty = r1_penalty
        self.minibatch_std = minibatch_std
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.warm_start = warm_start
        self.random_state = random_state

    def _auto_hidden(self, n_features):
        return (64, 64) if n_features <= _SMALL else (min(512, 4 * n_features),) * 3

    def _lr(self, n_features):
        self.lr_ = (7e-4 if n_features <= _SMALL else 1e-3) if self.lr == "auto" else self.lr
        return self.lr_

    def _scaler(self):
        return MinMaxScaler((-1, 1)) if self.scaling_ == "minmax" else StandardScaler()

    def _resolved_parameters(self):
        return {"scaling": self.scaling_}

    def _fit_scaler(self, X):
        self.scaling_ = self.scaling
        if self.scaling == "auto":
            at_bounds = np.mean((X == X.min(axis=0)) | (X == X.max(axis=0)))
            self.scaling_ = "minmax" if at_bounds >= 0.25 else "standard"
        scaler = super()._fit_scaler(X)
        # score's kernel works in standardized units for every scaling: in the [-1, 1] box of
        # minmax, distances shrink and the MMD^2 of a worse model can come out closer to 0
        self._mmd_scaler = scaler
        if self.scaling_ != "standard":
            with np.errstate(over="ignore", invalid="ignore"):
                self._mmd_scaler = StandardScaler().fit(X)
        if self.scaling_ == "minmax" and not np.all(
            np.isfinite(scaler.data_range_) & (scaler.scale_ > 0)
        ):
            # a range that overflows float64 would map every sample to -1 without complaint
            raise ValueError(
                f"X cannot be scaled to the working range: the range of values of magnitude up "
                f"to {np.max(np.abs(X)):.3g} overflows float64; rescale X first (e.g. divide it "
                "by its largest value)."
            )
        return scaler

    def _check_params(self):
        betas = self.adam_betas
        if not (
            len(betas) == 2
            and all(isinstance(b, numbers.Real) and not isinstance(b, bool) for b in betas)
            and all(0 <= b < 1 for b in betas)
        ):
            raise ValueError(f"adam_betas must be two numbers in [0, 1), got {betas!r}.")

    def _make_net(self, nets, n_features, hidden, common, Xs):
        import torch

        if self.lr_schedule == "cosine":
            decay = ("lr_decay", nets.CosineDecay())
            common = dict(common, callbacks=[*(common["callbacks"] or []), decay])
        betas = tuple(float(b) for b in self.adam_betas)
        return nets.GANNet(
            nets.Generator,
            module__n_features=n_features,
            module__latent_dim=self.latent_dim,
            module__hidden_layer_sizes=hidden,
            module__n_classes=self._n_classes(),
            module__ema_decay=self.ema_decay,
            module__bounded=self.scaling_ == "minmax",
            discriminator=nets.Discriminator,
            discriminator__n_features=n_features,
            discriminator__hidden_layer_sizes=hidden,
            discriminator__n_classes=self._n_classes(),
            discriminator__spectral_norm=self.spectral_norm,
            discriminator__minibatch_std=self.minibatch_std,
            lr_d=self.lr_discriminator,
            r1_penalty=self.r1_penalty,
            optimizer=torch.optim.Adam,
            optimizer__betas=betas,
            optimizer_discriminator=torch.optim.Adam,
            optimizer_discriminator__betas=betas,
            **common,
        )

    def _sample_scaled(self, nets, n_samples, generator, labels=None):
        import torch

        G = self.net_.module_.sampler
        p = next(G.parameters())
        with torch.no_grad():
            z = torch.randn(
                n_samples,
                self.net_.module_.latent_dim,
                generator=generator,
                dtype=p.dtype,
                device=p.device,
            )
            return G(z, labels)

    @single_threaded
    def discriminate(self, X):
        """The discriminator's belief that each sample is real, :math:`D(x) \\in (0, 1)`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba_real : ndarray of shape (n_samples,)
        """
        import torch

        nets = import_nets()
        X = self._validate(X)
        D = nets.float64_copy(self.net_.discriminator_)
        with torch.no_grad():
            return nets.as_numpy(torch.sigmoid(D(self._to_scaled_tensor(X))))

    @single_threaded
    def score_samples(self, X):
        """Parzen-window log-density of X under the generator (Goodfellow et al. 2014, sec. 5).

        A Gaussian kernel density estimate (scikit-learn's ``KernelDensity``, Scott's bandwidth)
        is fitted to 1,000 samples drawn with a fixed seed, in the standardized space; the
        log-Jacobian of the standardization makes it a log-density in the user's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        from sklearn.neighbors import KernelDensity

        X = self._validate(X)
        fake = self.scaler_.transform(self.sample(_N_PARZEN, random_state=_SCORE_SEED))
        kde = KernelDensity(bandwidth="scott").fit(fake)
        scores = kde.score_samples(self.scaler_.transform(X)) + self._log_jacobian()
        return import_nets().finite_scores(scores, X, type(self).__name__)

    @single_threaded
    def score(self, X, y=None):
        """Minus the squared MMD between X and as many fresh samples (see Notes); higher is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            At least 2 samples.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        X = self._validate(X)
        if len(X) < 2:
            raise ValueError("GAN.score needs at least 2 samples to compare distributions.")
        if len(X) > _MAX_MMD:  # the kernel matrices grow as n^2: a fixed random subsample
            X = X[check_random_state(_SCORE_SEED).choice(len(X), _MAX_MMD, replace=False)]
        _scaled(self.scaler_, X)  # X beyond the working range: a ValueError, not an overflow
        fake = self.sample(len(X), random_state=_SCORE_SEED)
        units = self._mmd_scaler
        return -mmd2(units.transform(X), units.transform(fake), gamma=1.0 / X.shape[1])
