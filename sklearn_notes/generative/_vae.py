r"""Variational autoencoder (concept map row 31).

The notes' three problems and their answers: the prior :math:`p(z) = \mathcal N(0, I)` (or a
learned mixture of Gaussians, for data with separate modes); the likelihood
:math:`p_\theta(x|z)` is the decoder; the intractable integral
:math:`\log p(x) = \log \int p_\theta(x|z)p(z)\,dz` is replaced by its lower bound (ELBO)

.. math:: \log p(x) \ge \mathrm{ELBO}(x) =
          \mathbb E_{q_\phi(z|x)}[\log p_\theta(x|z)] - KL\big(q_\phi(z|x) \,\|\, p(z)\big),

with the encoder :math:`q_\phi(z|x) = \mathcal N(\mu_\phi(x), \mathrm{diag}\,\sigma^2_\phi(x))`.
For the standard normal prior the KL term has the closed form
:math:`\tfrac12\sum_j(\sigma_j^2 + \mu_j^2 - 1 - \log\sigma_j^2)` (for the mixture, a
closed-form upper bound);
the expectation is estimated with the reparameterization :math:`z = \mu + \sigma\odot\varepsilon`,
:math:`\varepsilon \sim \mathcal N(0, I)`, through which gradients reach :math:`\mu` and
:math:`\log\sigma^2` (sampling z directly would not be differentiable, as the notes say). Training
minimizes reconstruction + :math:`\beta`·KL (:math:`\beta = 1`: the negative ELBO).
"""

import numbers

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils._torch import single_threaded
from ._autoencoder import _check_codes
from ._base import BaseGenerator, import_nets, shared_parameter_docs
from ._conditional import ConditionalGeneratorMixin

__all__ = ["VAE"]

# seed of the per-row noise streams of score_samples (nets.row_normal)
_SCORE_SEED = 0


@shared_parameter_docs
class VAE(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ConditionalGeneratorMixin, BaseGenerator
):
    """Variational autoencoder trained with skorch: a generator and an encoder in one.

    Fitted with labels (``fit(X, y)``) it is a conditional VAE [3]_: the encoder and the decoder
    also take the class, and ``sample(n, y=labels)`` draws the classes asked for.

    Read more in the :ref:`User Guide <generative>`.

    Parameters
    ----------
    latent_dim : int, default=2
        Size of the latent variable ``z``.
    hidden_layer_sizes : tuple of int, default=(128, 128)
        Hidden widths of the encoder; the decoder mirrors them. The decoder maps the latent
        space onto the data's modes and curves; with (64, 64) it bends them too little (the
        swiss roll's inner turn, the moons' tips).
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        The decoder's :math:`p(x|z)`. ``"gaussian"``: data are standardized, the decoder outputs
        the mean and the variance of each feature, both functions of z. ``"bernoulli"``: data
        are min-max scaled to [0, 1] (e.g. pixel intensities) and the decoder outputs
        probabilities.
    beta : float, default=1.0
        Weight of the KL term (``beta=1`` is the ELBO; > 1 the beta-VAE).
    n_prior_components : int, default=32
        Components of the prior :math:`p(z)`. ``1``: the notes' :math:`\\mathcal N(0, I)`, with
        the closed-form KL. More: a mixture of that many Gaussians, whose means, variances and
        weights are learned with the networks (the "MoG prior" of [4]_). Data with separate modes
        need it: the posteriors form one cluster per mode, and a standard normal prior puts mass
        between the clusters, which decodes to points between the modes (on the ring of 8, 0.10
        of the samples lie within 3 sigma of a mode with ``1``, 0.95 with 32). The KL term of the
        loss is then an upper bound (see Notes), and the score stays a bound on
        :math:`\\log p(x)`.
    kl_warmup : float, default=0.5
        Fraction of ``max_epochs`` over which the KL weight rises linearly from 0 to ``beta``
        (KL annealing). It prevents *posterior collapse*, where the KL term pulls every posterior
        onto the prior before the decoder learns to use z (with the standard normal prior and
        (64, 64) hidden units, the ring collapses to one broad Gaussian with ``kl_warmup=0``).
    n_importance_samples : int, default=100
        Importance samples K of the bound that ``score_samples`` estimates (IWAE); ``1`` gives
        the ELBO. Affects scoring only, not training.
    max_epochs : int, default=100
        Passes over the data per call to ``fit``.
    batch_size : int, default=64
        Mini-batch size (capped at ``n_samples``). Small batches give more steps per epoch,
        which the decoder's variance needs to shrink to the width of tight modes (on the ring
        of 8 with 1,000 points and 300 epochs, 0.60 of the samples lie within 3 sigma of a mode
        with 128 against 0.93 with 64).
    lr : float, default=1e-3
        Adam learning rate.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where torch trains and samples; ``"auto"`` picks CUDA when available.
    %(training_parameters)s
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
        Maps X to the working range and back.
    hidden_layer_sizes_ : tuple of int
        The hidden widths of the fitted networks.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` holds the encoder and decoder.
    history_ : dict of str -> list of float
        Per-epoch means of ``"loss"`` (reconstruction + beta * KL), ``"reconstruction"``
        (:math:`-\\log p(x|z)` in the working range) and ``"kl"``.
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
    Autoencoder : The deterministic autoencoder (no prior, no sampling).
    GAN, DiffusionModel : The other generators of the notes.

    Notes
    -----
    ``score_samples`` is the importance-weighted bound of [2]_ with ``n_importance_samples``
    draws per sample, seeded by the sample's own values (deterministic, and the same whatever
    other samples share the call),

    .. math:: \\log p(x) \\ge \\log \\tfrac1K\\textstyle\\sum_k p(x|z_k)p(z_k)/q(z_k|x),

    which tightens towards :math:`\\log p(x)` as K grows. For the Gaussian likelihood it is a
    log-density of X in nats *in the user's units* (the log-Jacobian of the standardization is
    included), comparable across hyper-parameters and with any other density model's
    ``score_samples`` (``GridSearchCV`` can choose between them). For the Bernoulli likelihood it
    is the bound on the log probability of the [0, 1]-scaled data seen as Bernoulli means (the
    usual choice for grey-level images; not a density of continuous data, so not comparable with
    the Gaussian VAE's).

    With a mixture prior (``n_prior_components > 1``) the KL term has no closed form; training
    uses the upper bound [5]_

    .. math:: KL(q \\| p) \\le -H(q) - \\log\\textstyle\\sum_k \\pi_k
              \\exp\\mathbb E_q[\\log\\mathcal N(z; m_k, \\mathrm{diag}\\, s_k^2)],

    exact when q(z|x) lies within one component, so the loss is still a bound on
    :math:`-\\log p(x)`; ``score_samples`` evaluates the mixture's density exactly. A conditional
    VAE is trained with 10 % of its labels replaced by a null
    label, so that the same networks also model :math:`p(x)`: ``score_samples``, ``transform``
    and ``inverse_transform`` use that unconditional model.

    References
    ----------
    .. [1] Kingma, Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    .. [2] Burda, Grosse, Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016.
    .. [3] Sohn, Lee, Yan, "Learning Structured Output Representation using Deep Conditional
       Generative Models", NeurIPS 2015.
    .. [4] Tomczak, Welling, "VAE with a VampPrior", AISTATS 2018.
    .. [5] Hershey, Olsen, "Approximating the Kullback Leibler Divergence Between Gaussian
       Mixture Models", ICASSP 2007.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_notes import VAE
    >>> X, _ = load_iris(return_X_y=True)
    >>> vae = VAE(latent_dim=2, max_epochs=50, random_state=0).fit(X)
    >>> vae.transform(X).shape
    (150, 2)
    >>> vae.sample(3, random_state=0).shape
    (3, 4)
    >>> bool(vae.score(X) < 0)  # mean IWAE bound on the log density, in nats
    True
    """

    _net_parameters = ("latent_dim", "likelihood", "n_prior_components", "beta", "kl_warmup")
    _parameter_constraints = {
        **BaseGenerator._parameter_constraints,
        **BaseGenerator._training_constraints,
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "likelihood": [StrOptions({"gaussian", "bernoulli"})],
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
        "n_prior_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "kl_warmup": [Interval(numbers.Real, 0, 1, closed="both")],
        "n_importance_samples": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        latent_dim=2,
        *,
        hidden_layer_sizes=(128, 128),
        likelihood="gaussian",
        beta=1.0,
        n_prior_components=32,
        kl_warmup=0.5,
        n_importance_samples=100,
        max_epochs=100,
        batch_size=64,
        lr=1e-3,
        device="cpu",
        n_jobs=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        verbose=0,
        warm_start=False,
        random_state=None,
    ):
        self.latent_dim = latent_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.likelihood = likelihood
        self.beta = beta
        self.n_prior_components = n_prior_components
        self.kl_warmup = kl_warmup
        self.n_importance_samples = n_importance_samples
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.device = device
        self.n_jobs = n_jobs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.verbose = verbose
        self.warm_start = warm_start
        self.random_state = random_state

    def _scaler(self):
        return StandardScaler() if self.likelihood == "gaussian" else MinMaxScaler()

    def _make_net(self, nets, n_features, hidden, common, Xs):
        import torch

        warmup = ("kl_warmup", nets.KLWarmup(int(round(self.kl_warmup * self.max_epochs))))
        return nets.VAENet(
            nets.VAEModule,
            module__n_features=n_features,
            module__latent_dim=self.latent_dim,
            module__hidden_layer_sizes=hidden,
            module__likelihood=self.likelihood,
            module__n_classes=self._n_classes(),
            module__n_prior_components=self.n_prior_components,
            beta=self.beta,
            optimizer=torch.optim.Adam,
            **dict(common, callbacks=[*(common["callbacks"] or []), warmup]),
        )

    @property
    def _n_features_out(self):
        return self.net_.module_.latent_dim  # the fitted one: set_params may have changed it

    def _module64(self):
        return import_nets().float64_copy(self.net_.module_)

    @single_threaded
    def transform(self, X):
        """Encode X: the posterior means :math:`\\mu_\\phi(x)` of q(z|x).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
        """
        import torch

        X = self._validate(X)
        with torch.no_grad():
            mu, _ = self._module64().encode(self._to_scaled_tensor(X))
        return import_nets().as_numpy(mu)

    @single_threaded
    def inverse_transform(self, X):
        """Decode latent codes: the mean of p(x|z), in the units of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. from ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        import torch

        Z = _check_codes(self, X)
        with torch.no_grad():
            module = self._module64()
            mean = module.mean(module.decode(torch.as_tensor(Z, device=self.device_)))
        return self.scaler_.inverse_transform(import_nets().as_numpy(mean))

    @single_threaded
    def score_samples(self, X):
        """Per-sample importance-weighted bound on :math:`\\log p(x)`, in nats (see Notes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        import torch

        nets = import_nets()
        X = self._validate(X)
        module = self._module64()
        Xs = self._to_scaled_tensor(X)
        if module.likelihood == "bernoulli":
            Xs = Xs.clamp(0.0, 1.0)
        eps = nets.row_normal(
            X, self.n_importance_samples, module.latent_dim, _SCORE_SEED, Xs.dtype, Xs.device
        )
        with torch.no_grad():
            bound = nets.as_numpy(nets.importance_weighted_bound(module, Xs, eps))
        if module.likelihood == "gaussian":
            bound += self._log_jacobian()
        return nets.finite_scores(bound, X, type(self).__name__)

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

    def _sample_scaled(self, nets, n_samples, generator, labels=None):
        import torch

        module = self.net_.module_
        p = next(module.parameters())
        with torch.no_grad():
            z = module.prior.sample(n_samples, generator, like=p)
            out = module.decode(z, labels)
            if module.likelihood == "bernoulli":
                # images: the decoder's mean (pixel probabilities), as is customary
                return module.mean(out)
            mean, logvar = module.decoder_params(out)
            noise = torch.randn(mean.shape, generator=generator, dtype=p.dtype, device=p.device)
            return mean + torch.exp(0.5 * logvar) * noise
