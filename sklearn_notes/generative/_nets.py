"""The torch side of the generators: modules, losses and one small skorch net per model (private).

This is the only module of the family that imports torch and skorch; the estimators import it
inside ``fit`` and the methods that need a fitted model, so ``import sklearn_notes`` stays
torch-free. The training loop is skorch's (``fit_loop`` -> ``run_single_epoch`` -> ``train_step``
-> ``train_step_single`` -> ``infer`` -> ``get_loss``); each model overrides the smallest hook:

- :class:`AutoencoderNet`: ``get_loss`` = MSE(reconstruction, X).
- :class:`VAENet`: ``get_loss`` = reconstruction + beta * KL (the negative ELBO).
- :class:`DiffusionNet`: ``infer`` draws (t, epsilon) and predicts epsilon; ``get_loss`` = MSE.
- :class:`GANNet`: a second module and optimizer (``initialize_module`` / ``initialize_optimizer``)
  and a ``train_step`` that alternates a discriminator step and a generator step.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PrintLog
from skorch.utils import to_tensor
from torch import nn

from ..utils._torch_base import ArrayBatches, QuickModeSwitch

__all__ = [
    "AutoencoderModule",
    "AutoencoderNet",
    "CosineDecay",
    "DiffusionNet",
    "Discriminator",
    "EMA",
    "EMAUpdate",
    "EpsilonNet",
    "GANNet",
    "GaussianDiffusion",
    "Generator",
    "GeneratorNet",
    "GeneratorNetwork",
    "KLWarmup",
    "LossMonitor",
    "MixturePrior",
    "SpectralNormLinear",
    "StandardNormalPrior",
    "TimeResidualBlock",
    "VAEModule",
    "VAENet",
    "as_numpy",
    "batch_tensors",
    "drop_labels",
    "extract",
    "finite_scores",
    "float64_copy",
    "gaussian_nll",
    "importance_weighted_bound",
    "kl_standard_normal",
    "make_prior",
    "minibatch_std",
    "mlp",
    "negative_elbo_terms",
    "one_hot",
    "row_normal",
    "timestep_embedding",
]

#: Seed of the random draws (noise levels, noise, dropped labels) of the held-out loss.
_VALID_SEED = 0


# --- building blocks ---------------------------------------------------------------------------


def mlp(sizes, activation=nn.SiLU):
    """A fully connected network ``sizes[0] -> ... -> sizes[-1]``, linear output."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class LossMonitor(Callback):
    """Per-epoch means of the loss and its parts into the history; stops on a non-finite loss.

    Each net's ``train_step`` returns ``{"loss": ..., "parts": {name: tensor}}``; the batch values
    are averaged weighted by batch size. A NaN or infinite value raises ``FloatingPointError``
    naming the epoch, the loss and what to try, instead of training on garbage.
    """

    def __init__(self, model_name="model"):
        self.model_name = model_name

    def on_epoch_begin(self, net, **kwargs):
        self.sums_, self.count_ = {}, 0

    def on_batch_end(self, net, batch=None, training=False, loss=None, parts=None, **kwargs):
        if not training:
            return
        n = len(batch[0])
        for name, value in {"loss": loss, **(parts or {})}.items():
            value = value.item() if torch.is_tensor(value) else float(value)
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"{self.model_name} diverged: the {name} became {value} in epoch "
                    f"{len(net.history)}. Try a smaller lr (now {net.lr}), a larger batch_size "
                    f"(now {net.batch_size}) or smaller hidden layers, and check X for extreme "
                    "values."
                )
            self.sums_[name] = self.sums_.get(name, 0.0) + value * n
        self.count_ += n

    def on_epoch_end(self, net, **kwargs):
        for name, total in self.sums_.items():
            net.history.record(name, total / max(self.count_, 1))


class CosineDecay(Callback):
    """Anneal every optimizer's lr from its starting value (:meth:`GeneratorNet.initial_lr`) to 0
    along a half cosine over one ``fit`` call.

    Each call (including a warm-started one) starts again from ``net.lr``, unlike a scheduler
    keyed to the global step count, whose cosine would climb back up after the first call.
    """

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        n = len(X[0] if isinstance(X, tuple) else X)
        self.total_ = net.max_epochs * math.ceil(n / net.batch_size)
        self.step_ = 0

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        cosine = math.cos(math.pi * self.step_ / self.total_)
        for name in net._optimizers:
            lr = 0.5 * net.initial_lr(name) * (1.0 + cosine)
            for group in getattr(net, name + "_").param_groups:
                group["lr"] = lr
        self.step_ += 1


def batch_tensors(batch, device):
    """``(X, labels)`` of a batch from :class:`ArrayBatches`; labels None when unconditional."""
    X, targets = batch
    labels = None if targets is None else to_tensor(targets[0], device=device)
    return to_tensor(X, device=device), labels


def one_hot(y, n_classes, n_rows, like):
    """Labels as one-hot rows of ``n_classes + 1`` columns, the last one the *null* label (no
    class: unconditional); ``y=None`` gives null rows. None for an unconditional model."""
    if not n_classes:
        return None
    if y is None:
        y = torch.full((n_rows,), n_classes, dtype=torch.int64, device=like.device)
    return F.one_hot(y, n_classes + 1).to(like.dtype)


def drop_labels(y, n_classes, p):
    """Replace a random share ``p`` of the labels by the null label (classifier-free guidance
    trains the unconditional model in the same network, Ho & Salimans 2022)."""
    if y is None or p <= 0:
        return y
    return torch.where(torch.rand(len(y), device=y.device) < p, n_classes, y)


# --- exponential moving average of the weights -------------------------------------------------


class EMA(nn.Module):
    r"""A frozen copy of ``source`` whose weights follow it as an exponential moving average.

    ``update`` after each optimizer step: :math:`\bar\theta \leftarrow d\,\bar\theta +
    (1-d)\,\theta` with :math:`d = \min(\text{decay}, (1+n)/(10+n))` after n updates, so that
    a short fit is not averaged with its random initial weights. The average is smoother than the
    last iterate, which oscillates with the optimizer's noise (the diffusion models of Ho et al.
    sample with it).
    """

    def __init__(self, source, decay):
        super().__init__()
        import copy

        self.decay = decay
        self.average = copy.deepcopy(source).requires_grad_(False)
        self.register_buffer("n_updates", torch.zeros((), dtype=torch.int64))

    @torch.no_grad()
    def update(self, source):
        n = int(self.n_updates)
        d = min(self.decay, (1 + n) / (10 + n))
        for avg, new in zip(self.average.parameters(), source.parameters()):
            avg.lerp_(new, 1 - d)
        self.n_updates += 1

    def forward(self, *args, **kwargs):
        return self.average(*args, **kwargs)


class EMAUpdate(Callback):
    """Update the module's EMA (``module_.ema``, when it has one) after every training step."""

    def on_batch_end(self, net, training=False, **kwargs):
        ema = getattr(net.module_, "ema", None)
        if training and ema is not None:
            ema.update(net.module_.network)


class GeneratorNet(QuickModeSwitch, NeuralNet):
    """skorch ``NeuralNet`` trained on X alone: no validation split, fast batches, loss monitor."""

    def __init__(self, module, criterion=nn.MSELoss, *, model_name="model", **kwargs):
        kwargs.setdefault("train_split", None)
        kwargs.setdefault("iterator_train", ArrayBatches)
        kwargs.setdefault("iterator_train__shuffle", True)
        kwargs.setdefault("iterator_valid", ArrayBatches)
        super().__init__(module, criterion, **kwargs)
        self.model_name = model_name

    @property
    def _default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("loss_monitor", LossMonitor(self.model_name)),
            ("ema", EMAUpdate()),
            ("print_log", PrintLog()),
        ]

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, labels = batch_tensors(batch, self.device)
        y_pred = self.infer(Xi) if labels is None else self.infer(Xi, y=labels)
        loss = self.get_loss(y_pred, labels, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred, "parts": self.loss_parts(y_pred, Xi)}

    def initial_lr(self, optimizer_name):
        """Starting lr of the optimizer ``optimizer_name`` (every one starts at ``lr`` here)."""
        return self.lr

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if training or iterator is None:
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        # The held-out loss is a Monte-Carlo estimate (the diffusion model's t and epsilon, the
        # VAE's z). Drawn afresh each epoch its noise, on a small held-out set, is larger than an
        # epoch's progress and decides early stopping; the same draws every epoch (the held-out
        # batches come in a fixed order) leave only the model's change. The global stream is
        # forked, so validating does not shift the training draws either.
        devices = [] if torch.device(self.device).type == "cpu" else None
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(_VALID_SEED)
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def validation_step(self, batch, **fit_params):
        # skorch's own would pass the labels as targets, not to ``infer``
        self._set_training(False)
        Xi, labels = batch_tensors(batch, self.device)
        with torch.no_grad():
            y_pred = self.infer(Xi) if labels is None else self.infer(Xi, y=labels)
            loss = self.get_loss(y_pred, labels, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}

    def loss_parts(self, y_pred, X):
        """Named parts of the loss to log per epoch (none by default)."""
        return {}


def float64_copy(module):
    """A float64 copy of ``module`` in eval mode.

    Inference runs in float64 so that a sample's output does not depend on which other samples
    share its batch (float32 matmul kernels round differently for different batch sizes).
    """
    import copy

    return copy.deepcopy(module).double().eval()


# --- autoencoder -------------------------------------------------------------------------------


class AutoencoderModule(nn.Module):
    """Encoder ``n_features -> hidden -> latent_dim`` and mirrored decoder."""

    def __init__(self, n_features, latent_dim, hidden_layer_sizes):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.latent_dim = latent_dim
        self.encoder = mlp([n_features, *hidden, latent_dim])
        self.decoder = mlp([latent_dim, *hidden[::-1], n_features])

    def forward(self, x):
        return self.decoder(self.encoder(x))


class AutoencoderNet(GeneratorNet):
    """Autoencoder: ``get_loss`` is the MSE between the reconstruction and X itself."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return F.mse_loss(y_pred, X)


# --- VAE ---------------------------------------------------------------------------------------


def kl_standard_normal(mu, logvar):
    r"""Closed-form :math:`KL(\mathcal N(\mu, \mathrm{diag}\,\sigma^2) \| \mathcal N(0, I))`.

    ``0.5 * sum(sigma^2 + mu^2 - 1 - log sigma^2)`` per row, shape (batch,).
    """
    # expm1(v) - v >= 0 holds in floating point too; exp(v) - 1 - v can round below 0 near v = 0
    return 0.5 * torch.sum(torch.expm1(logvar) - logvar + mu.pow(2), dim=-1)


def gaussian_nll(x, mean, logvar):
    """``-log N(x | mean, diag exp(logvar))`` summed over features, shape (batch,)."""
    return 0.5 * torch.sum(
        math.log(2 * math.pi) + logvar + (x - mean).pow(2) * torch.exp(-logvar), dim=-1
    )


class StandardNormalPrior(nn.Module):
    """The notes' prior :math:`p(z) = \\mathcal N(0, I)`, with the closed-form KL."""

    def __init__(self, latent_dim):
        super().__init__()
        self.latent_dim = latent_dim

    def log_prob(self, z):
        """``log p(z)``, shape (...,) for z of shape (..., latent_dim)."""
        return -gaussian_nll(z, torch.zeros_like(z), torch.zeros_like(z))

    def kl(self, mu, logvar):
        """``KL(N(mu, diag exp(logvar)) || p)`` per row, exact."""
        return kl_standard_normal(mu, logvar)

    def sample(self, n_samples, generator, like):
        """``n_samples`` draws of z, with the dtype and device of the tensor ``like``."""
        return torch.randn(
            n_samples, self.latent_dim, generator=generator, dtype=like.dtype, device=like.device
        )


class MixturePrior(nn.Module):
    r"""A learned mixture of Gaussians :math:`p(z) = \sum_k \pi_k \mathcal N(z; m_k,
    \mathrm{diag}\, s_k^2)` (the "MoG prior" of Tomczak & Welling 2018).

    With :math:`\mathcal N(0, I)` the encoder must spread the data over one blob, and data with
    separate modes leave holes in it: prior draws that fall between the posteriors' clusters decode
    to points between the modes. Learned components sit on the clusters instead. The KL to a
    mixture has no closed form; :meth:`kl` is the upper bound

    .. math:: KL(q \| p) \le -H(q) - \log \textstyle\sum_k \pi_k
              \exp \mathbb E_q[\log \mathcal N(z; m_k, s_k^2)]

    (Jensen with the best weights over the components, Hershey & Olsen 2007), deterministic and in
    closed form, so the loss stays a bound on :math:`-\log p(x)`; it is exact when q lies within
    one component. ``log_prob`` is exact, so the IWAE bound of ``score_samples`` is unchanged.
    """

    def __init__(self, latent_dim, n_components):
        super().__init__()
        self.latent_dim = latent_dim
        self.means = nn.Parameter(torch.randn(n_components, latent_dim))
        self.raw_logvars = nn.Parameter(torch.zeros(n_components, latent_dim))
        self.logits = nn.Parameter(torch.zeros(n_components))

    @property
    def logvars(self):
        # the encoder's floor: a component sharper than any posterior only loses likelihood
        return self.raw_logvars.clamp(-12.0, 8.0)

    def log_prob(self, z):
        """``log p(z)``, shape (...,) for z of shape (..., latent_dim)."""
        log_n = -gaussian_nll(z.unsqueeze(-2), self.means, self.logvars)  # (..., K)
        return torch.logsumexp(F.log_softmax(self.logits, dim=-1) + log_n, dim=-1)

    def kl(self, mu, logvar):
        """Upper bound on ``KL(N(mu, diag exp(logvar)) || p)`` per row (see the class)."""
        entropy = 0.5 * torch.sum(math.log(2 * math.pi) + 1.0 + logvar, dim=-1)
        # E_q[log N(z; m_k, s_k^2)] = log N(mu; m_k, s_k^2) - 0.5 sum(sigma^2 / s_k^2), (B, K)
        mu, var = mu.unsqueeze(-2), torch.exp(logvar).unsqueeze(-2)
        cross = -gaussian_nll(mu, self.means, self.logvars) - 0.5 * torch.sum(
            var * torch.exp(-self.logvars), dim=-1
        )
        return -entropy - torch.logsumexp(F.log_softmax(self.logits, dim=-1) + cross, dim=-1)

    def sample(self, n_samples, generator, like):
        """``n_samples`` draws of z: a component by its weight, then its Gaussian."""
        k = torch.multinomial(
            F.softmax(self.logits, dim=-1), n_samples, replacement=True, generator=generator
        )
        eps = torch.randn(
            n_samples, self.latent_dim, generator=generator, dtype=like.dtype, device=like.device
        )
        return self.means[k] + torch.exp(0.5 * self.logvars[k]) * eps


def make_prior(latent_dim, n_components):
    r""":math:`\mathcal N(0, I)` for one component, else a learned mixture of ``n_components``."""
    if n_components == 1:
        return StandardNormalPrior(latent_dim)
    return MixturePrior(latent_dim, n_components)


class VAEModule(nn.Module):
    """Encoder ``x -> (mu, log sigma^2)``, decoder ``z -> p(x|z)``, prior ``p(z)``.

    For ``likelihood="gaussian"`` the decoder outputs the mean *and* the log variance of
    p(x|z), both functions of z: a variance shared by every z would have to cover the spread of
    the whole data set around each decoded mean, and a 2-D VAE would sample a cloud instead of
    tight modes. For ``"bernoulli"`` it outputs logits. ``prior`` is :func:`make_prior`'s.
    """

    def __init__(
        self,
        n_features,
        latent_dim,
        hidden_layer_sizes,
        likelihood="gaussian",
        n_classes=0,
        n_prior_components=1,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        # conditional VAE (Sohn et al. 2015): q(z|x, y) and p(x|z, y), y one-hot beside the input
        self.n_classes = n_classes
        n_y = n_classes + 1 if n_classes else 0
        n_out = 2 * n_features if likelihood == "gaussian" else n_features
        self.encoder = mlp([n_features + n_y, *hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim + n_y, *hidden[::-1], n_out])
        self.prior = make_prior(latent_dim, n_prior_components)

    def _with_label(self, h, y):
        y = one_hot(y, self.n_classes, len(h), h)
        return h if y is None else torch.cat([h, y], dim=-1)

    def encode(self, x, y=None):
        mu, logvar = self.encoder(self._with_label(x, y)).chunk(2, dim=-1)
        # A floor on log sigma^2 keeps exp() finite when a posterior becomes very sharp.
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z, y=None):
        """The decoder's raw output: mean and log variance side by side, or logits."""
        return self.decoder(self._with_label(z, y))

    def decoder_params(self, out):
        """Gaussian: ``(mean, log variance)`` of p(x|z) from the raw output; Bernoulli: logits."""
        if self.likelihood != "gaussian":
            return out
        mean, logvar = out.chunk(2, dim=-1)
        # the floor keeps a decoder that memorizes a point from an unbounded likelihood
        return mean, logvar.clamp(-9.0, 4.0)

    def log_likelihood(self, x, out):
        """``log p(x|z)`` summed over features, shape (batch,), from the raw decoder output."""
        if self.likelihood == "gaussian":
            return -gaussian_nll(x, *self.decoder_params(out))
        return -F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(dim=-1)

    def mean(self, out):
        """Mean of p(x|z) in the working range."""
        if self.likelihood == "gaussian":
            return self.decoder_params(out)[0]
        return torch.sigmoid(out)

    def forward(self, x, eps=None, y=None):
        mu, logvar = self.encode(x, y)
        if eps is None:
            eps = torch.randn_like(mu)
        # Reparameterization: z = mu + sigma * eps, so dz/dmu = 1 and dz/dlogvar = eps*sigma/2
        # are ordinary derivatives and the gradient reaches the encoder.
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.decode(z, y), mu, logvar


def negative_elbo_terms(module, x, out, mu, logvar):
    """Reconstruction term ``-log p(x|z)`` and ``KL(q(z|x) || p(z))`` (for a mixture prior its
    upper bound), each of shape (batch,)."""
    return -module.log_likelihood(x, out), module.prior.kl(mu, logvar)


def importance_weighted_bound(module, x, eps, y=None):
    r"""The IWAE bound (Burda et al. 2016) on :math:`\log p(x)`, shape (batch,).

    .. math:: \log p(x) \ge \log \frac1K\sum_{k=1}^K
              \frac{p(x|z_k)\,p(z_k)}{q(z_k|x)},\qquad z_k = \mu + \sigma\odot\varepsilon_k,

    with ``eps`` of shape (K, batch, latent_dim) (:func:`row_normal`). K = 1 is the ELBO; the
    bound tightens as K grows.
    """
    mu, logvar = module.encode(x, y)
    std = torch.exp(0.5 * logvar)
    log_w = []
    for e in eps:  # (B, L): one importance sample for every row
        z = mu + std * e
        # log q(z|x) = log N(e | 0, I) - sum(log sigma): the density of z = mu + sigma * e
        log_qz = -gaussian_nll(e, torch.zeros_like(e), torch.zeros_like(e)) - 0.5 * logvar.sum(-1)
        log_pxz = module.log_likelihood(x, module.decode(z, y))
        log_w.append(log_pxz + module.prior.log_prob(z) - log_qz)
    return torch.logsumexp(torch.stack(log_w), dim=0) - math.log(len(eps))


class KLWarmup(Callback):
    """Raise the VAE's KL weight linearly from 0 to ``beta`` over the first ``n_epochs`` epochs.

    Started at full weight, the KL term can pull every posterior onto the prior before the decoder
    learns to use z (posterior collapse: KL ~ 0, a decoder that ignores z); annealing it in
    avoids that (Bowman et al. 2016).
    """

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs

    def on_train_begin(self, net, **kwargs):
        self.epoch_ = 0

    def on_epoch_begin(self, net, **kwargs):
        net.kl_weight_ = (
            net.beta * min(1.0, self.epoch_ / self.n_epochs) if self.n_epochs else net.beta
        )
        self.epoch_ += 1

    def on_train_end(self, net, **kwargs):
        net.kl_weight_ = net.beta


class VAENet(GeneratorNet):
    """VAE: ``get_loss`` = mean over the batch of reconstruction + beta * KL (= -ELBO at beta=1).

    With labels, a share ``label_dropout`` of them is replaced by the null label, so that the
    same networks also learn the unconditional model (``score_samples`` uses it)."""

    def __init__(self, module, *args, beta=1.0, label_dropout=0.1, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.beta = beta
        self.label_dropout = label_dropout

    def infer(self, x, y=None, **fit_params):
        y = drop_labels(y, self.module_.n_classes, self.label_dropout)
        return self.module_(to_tensor(x, device=self.device), y=y)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        rec, kl = negative_elbo_terms(self.module_, X, *y_pred)
        rec, kl = rec.mean(), kl.mean()
        # kept for loss_parts, so that the two terms are not computed twice per batch
        self.last_parts_ = {"reconstruction": rec.detach(), "kl": kl.detach()}
        weight = getattr(self, "kl_weight_", self.beta) if training else self.beta
        return rec + weight * kl

    def loss_parts(self, y_pred, X):
        return self.last_parts_


# --- GAN ---------------------------------------------------------------------------------------


class GeneratorNetwork(nn.Module):
    """``z`` (and a one-hot label) -> a sample, one forward pass; with ``bounded`` the output goes
    through ``tanh`` into (-1, 1), the working range of min-max scaled data."""

    def __init__(self, n_features, latent_dim, hidden_layer_sizes, n_classes=0, bounded=False):
        super().__init__()
        self.n_classes = n_classes
        self.bounded = bounded
        n_y = n_classes + 1 if n_classes else 0
        self.net = mlp([latent_dim + n_y, *hidden_layer_sizes, n_features], activation=nn.ReLU)

    def forward(self, z, y=None):
        y = one_hot(y, self.n_classes, len(z), z)
        out = self.net(z if y is None else torch.cat([z, y], dim=-1))
        return torch.tanh(out) if self.bounded else out


class Generator(nn.Module):
    """``z ~ N(0, I)`` of size ``latent_dim`` -> a sample; ``network`` is trained, ``ema`` (when
    ``ema_decay > 0``) follows it and is what ``sample`` uses."""

    def __init__(
        self, n_features, latent_dim, hidden_layer_sizes, n_classes=0, ema_decay=0.0, bounded=False
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.network = GeneratorNetwork(
            n_features, latent_dim, hidden_layer_sizes, n_classes, bounded=bounded
        )
        self.ema = EMA(self.network, ema_decay) if ema_decay > 0 else None

    def forward(self, z, y=None):
        return self.network(z, y)

    @property
    def sampler(self):
        """The network that samples: the EMA of the weights when kept, else the last iterate."""
        return self.network if self.ema is None else self.ema


class SpectralNormLinear(nn.Module):
    """A linear layer whose weight is divided by its largest singular value :math:`\\sigma(W)`.

    :math:`\\sigma` is tracked by one step of power iteration per training forward pass (Miyato
    et al. 2018, algorithm 1): ``u <- W v / |W v|`` with ``v = W^T u / |W^T u|``, then
    :math:`\\sigma \\approx u^\\top W v`. (torch's own parametrization cannot be pickled.)
    """

    def __init__(self, linear):
        super().__init__()
        self.weight, self.bias = linear.weight, linear.bias
        u = F.normalize(torch.randn(linear.out_features), dim=0)
        self.register_buffer("u", u)

    def forward(self, x):
        W = self.weight
        if self.training:
            with torch.no_grad():
                v = F.normalize(W.t() @ self.u.to(W.dtype), dim=0)
                self.u.copy_(F.normalize(W @ v, dim=0))
        u = self.u.to(W.dtype, copy=True)  # later passes update self.u in place
        v = F.normalize(W.t() @ u, dim=0).detach()
        sigma = u @ W @ v
        return F.linear(x, W / sigma, self.bias)


def minibatch_std(h):
    """The minibatch standard deviation feature (Karras et al. 2018, sec. 3): each feature's
    standard deviation over the batch, averaged, appended to every row as one more column.

    A collapsed generator's batch has a smaller spread than a real batch, which D can then see
    in each sample; ``h``: (B, H) -> (B, H + 1).
    """
    std = h.std(dim=0, unbiased=False).mean() if len(h) > 1 else h.new_zeros(())
    return torch.cat([h, std.expand(len(h), 1)], dim=-1)


class Discriminator(nn.Module):
    """``x`` (and a one-hot label) -> logit of ``D(x) = P(real | x)``.

    With ``spectral_norm`` every linear layer is divided by its largest singular value (Miyato
    et al. 2018): D is then 1-Lipschitz up to its activations, so it cannot grow arbitrarily
    confident and the generator's gradients stay informative. With ``minibatch_std`` the last
    layer also sees the spread of the batch (:func:`minibatch_std`), so a batch of near copies
    (mode collapse) is recognized as fake.
    """

    def __init__(
        self, n_features, hidden_layer_sizes, n_classes=0, spectral_norm=True, minibatch_std=False
    ):
        super().__init__()
        self.n_classes = n_classes
        self.minibatch_std = minibatch_std
        n_y = n_classes + 1 if n_classes else 0
        body = mlp([n_features + n_y, *hidden_layer_sizes], activation=lambda: nn.LeakyReLU(0.2))
        # mlp leaves its last layer linear: the body ends with an activation like the others
        self.body = nn.Sequential(*body, nn.LeakyReLU(0.2))
        self.head = nn.Linear(hidden_layer_sizes[-1] + int(minibatch_std), 1)
        if spectral_norm:
            for i, layer in enumerate(self.body):
                if isinstance(layer, nn.Linear):
                    self.body[i] = SpectralNormLinear(layer)
            self.head = SpectralNormLinear(self.head)

    def forward(self, x, y=None):
        y = one_hot(y, self.n_classes, len(x), x)
        h = self.body(x if y is None else torch.cat([x, y], dim=-1))  # (B, H)
        if self.minibatch_std:
            h = minibatch_std(h)  # (B, H + 1)
        return self.head(h).squeeze(-1)


class GANNet(GeneratorNet):
    """GAN: ``module_`` is the generator, ``discriminator_`` the second module, each with its own
    optimizer (``optimizer_`` at ``lr`` and ``optimizer_discriminator_`` at ``lr_d``, None: the
    same)."""

    def __init__(
        self,
        module,
        *args,
        discriminator=Discriminator,
        optimizer_discriminator=None,
        lr_d=None,
        r1_penalty=0.0,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.discriminator = discriminator
        self.optimizer_discriminator = optimizer_discriminator
        self.lr_d = lr_d
        self.r1_penalty = r1_penalty

    def initial_lr(self, optimizer_name):
        """Starting lr of an optimizer (TTUR: the discriminator's is ``lr_d`` when set)."""
        if optimizer_name == "optimizer_discriminator" and self.lr_d is not None:
            return self.lr_d
        return self.lr

    def initialize_module(self):
        super().initialize_module()
        params = self.get_params_for("discriminator")
        self.discriminator_ = self.initialized_instance(self.discriminator, params)
        return self

    def initialize_optimizer(self, *args, **kwargs):
        named = self.module_.network.named_parameters()
        args_, kwargs_ = self.get_params_for_optimizer("optimizer", named)
        self.optimizer_ = self.optimizer(*args_, **kwargs_)
        named = self.discriminator_.named_parameters()
        args_, kwargs_ = self.get_params_for_optimizer("optimizer_discriminator", named)
        if self.lr_d is not None:
            kwargs_["lr"] = self.lr_d
        factory = self.optimizer_discriminator or self.optimizer
        self.optimizer_discriminator_ = factory(*args_, **kwargs_)
        return self

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        x, y = batch_tensors(batch, self.device)  # y: the real samples' labels, or None
        z = torch.randn(len(x), self.module_.latent_dim, device=x.device)
        fake = self.module_(z, y)  # a conditional GAN fakes the same labels as the batch
        D = self.discriminator_
        ones, zeros = torch.ones(len(x), device=x.device), torch.zeros(len(x), device=x.device)

        # 1. Discriminator step: real -> 1, fake -> 0; the fake is detached so G is untouched.
        #    R1 (Mescheder et al. 2018): + gamma/2 E|grad_x D(x)|^2 on real data, which keeps D
        #    flat on the data so that G is not pushed past it (the oscillation of the plain game).
        self.optimizer_discriminator_.zero_grad()
        x_real = x.detach().requires_grad_(self.r1_penalty > 0)
        d_real = D(x_real, y)
        d_loss = F.binary_cross_entropy_with_logits(
            d_real, ones
        ) + F.binary_cross_entropy_with_logits(D(fake.detach(), y), zeros)
        parts = {}
        if self.r1_penalty > 0:
            (grad,) = torch.autograd.grad(d_real.sum(), x_real, create_graph=True)
            r1 = 0.5 * self.r1_penalty * grad.pow(2).sum(dim=-1).mean()
            d_loss = d_loss + r1
            parts["r1_penalty"] = r1.detach()
        d_loss.backward()
        self.optimizer_discriminator_.step()

        # 2. Generator step, non-saturating: minimize -log D(G(z)) rather than log(1 - D(G(z))),
        #    whose gradient vanishes exactly when D confidently rejects the fakes (early training).
        self.optimizer_.zero_grad()
        g_loss = F.binary_cross_entropy_with_logits(D(fake, y), ones)
        g_loss.backward()
        self.optimizer_.step()
        parts.update(discriminator_loss=d_loss.detach(), generator_loss=g_loss.detach())
        return {"loss": d_loss.detach() + g_loss.detach(), "y_pred": fake, "parts": parts}


# --- diffusion ---------------------------------------------------------------------------------


def extract(a, t, shape):
    """``a[t]`` for a batch of timesteps ``t``, reshaped to broadcast against ``shape``.

    ``a``: (T,), ``t``: (B,) int64 -> (B, 1, ..., 1) with ``len(shape) - 1`` trailing ones.
    """
    return a.gather(-1, t).reshape(len(t), *((1,) * (len(shape) - 1)))


def timestep_embedding(t, dim):
    """Sinusoidal embedding of integer timesteps (a transformer's positional encoding), (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    args = t.to(torch.float64)[:, None] * freqs[None, :]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    return emb


class TimeResidualBlock(nn.Module):
    """``h -> skip(h) + W2 silu(W1 silu(h) + Wt emb)``: the time embedding enters every block
    (as in the DDPM U-Net's residual blocks), not only the input layer."""

    def __init__(self, n_in, n_out, emb_dim):
        super().__init__()
        self.lin1 = nn.Linear(n_in, n_out)
        self.time = nn.Linear(emb_dim, n_out)
        self.lin2 = nn.Linear(n_out, n_out)
        self.skip = nn.Identity() if n_in == n_out else nn.Linear(n_in, n_out)

    def forward(self, h, emb):
        return self.skip(h) + self.lin2(F.silu(self.lin1(F.silu(h)) + self.time(emb)))


class EpsilonNet(nn.Module):
    """The noise predictor :math:`\\varepsilon_\\theta(x_t, t)`: residual MLP blocks, each
    conditioned on a sinusoidal embedding of ``t``."""

    def __init__(self, n_features, hidden_layer_sizes, noise_var, time_dim=32, n_classes=0):
        super().__init__()
        self.time_dim = time_dim
        self.n_classes = n_classes
        sizes = list(hidden_layer_sizes)
        emb_dim = sizes[0]
        self.time_mlp = nn.Sequential(
            nn.Linear(time_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)
        )
        # a label embedding added to the time embedding (the last row: the null label)
        self.label = nn.Embedding(n_classes + 1, emb_dim) if n_classes else None
        # Fourier features of x_t (NeRF's positional encoding): near a tight mode the optimal
        # eps(x_t, t) changes over a distance of the mode's width, which a plain MLP on x_t
        # (spectrally biased towards smooth functions) fits poorly.
        self.register_buffer("freqs", math.pi * 2.0 ** torch.arange(6, dtype=torch.float32))
        # 1 - alpha_bar_t, the variance of the noise in x_t: a feature of frequency f is damped by
        # exp(-f^2 (1 - alpha_bar_t) / 2), its expectation over that noise. Undamped, the high
        # frequencies of a noisy x_t are noise the network must learn to ignore, and what it
        # makes of them between the data's arms (a swiss roll's gaps) sends samples there.
        self.register_buffer("noise_var", torch.as_tensor(noise_var, dtype=torch.float32))
        self.inp = nn.Linear(n_features * (1 + 2 * len(self.freqs)), sizes[0])
        self.blocks = nn.ModuleList(
            TimeResidualBlock(n_in, n_out, emb_dim)
            for n_in, n_out in zip(sizes, sizes[1:] + sizes[-1:])
        )
        self.out = nn.Linear(sizes[-1], n_features)

    def forward(self, x, t, y=None):
        emb = self.time_mlp(timestep_embedding(t, self.time_dim).to(x.dtype))  # (B, E)
        if self.label is not None:
            if y is None:
                y = torch.full((len(x),), self.n_classes, dtype=torch.int64, device=x.device)
            emb = emb + self.label(y)
        freqs = self.freqs.to(x.dtype)
        angles = x[:, :, None] * freqs  # (B, d, F)
        # E[sin(f x_t)] = sin(f m) exp(-f^2 v / 2) for x_t ~ N(m, v)
        damp = torch.exp(-0.5 * freqs**2 * self.noise_var.to(x.dtype)[t][:, None, None])
        waves = [(torch.sin(angles) * damp).flatten(1), (torch.cos(angles) * damp).flatten(1)]
        h = self.inp(torch.cat([x, *waves], dim=-1))  # (B, H)
        for block in self.blocks:
            h = block(h, emb)
        return self.out(F.silu(h))  # (B, d)


class GaussianDiffusion(nn.Module):
    """The schedule (float32 buffers computed in float64) kept apart from the noise network.

    Parameters
    ----------
    n_features, hidden_layer_sizes :
        Passed to :class:`EpsilonNet`.
    betas : ndarray of shape (T,), float64
        From :mod:`sklearn_notes.generative._schedules`.
    clip_low, clip_high : ndarray of shape (n_features,)
        Box the predicted clean sample is clipped to while sampling (the training data's range,
        widened), as diffusers' ``clip_sample``: it keeps early, poorly-predicted steps from
        amplifying errors by up to :math:`1/\\sqrt{\\bar\\alpha_T}`.
    snr_shift : float
        Log-SNR shift of the training draws (:func:`._schedules.training_timesteps`), kept as the
        buffer ``train_steps``: a uniform draw ``t`` trains step ``train_steps[t]``.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        betas,
        clip_low,
        clip_high,
        n_classes=0,
        ema_decay=0.0,
        snr_shift=0.0,
    ):
        super().__init__()
        from ._schedules import diffusion_coefficients, training_timesteps

        coefs = diffusion_coefficients(betas)
        self.network = EpsilonNet(
            n_features, hidden_layer_sizes, 1.0 - coefs["alphas_cumprod"], n_classes=n_classes
        )
        self.ema = EMA(self.network, ema_decay) if ema_decay > 0 else None
        self.n_classes = n_classes
        self.n_features = n_features
        self.n_steps = len(betas)
        for name, value in coefs.items():
            self.register_buffer(name, torch.tensor(value, dtype=torch.float32))
        steps = training_timesteps(coefs["alphas_cumprod"], snr_shift)
        self.register_buffer("train_steps", torch.tensor(steps, dtype=torch.int64))
        self.register_buffer("clip_low", torch.tensor(clip_low, dtype=torch.float32))
        self.register_buffer("clip_high", torch.tensor(clip_high, dtype=torch.float32))

    def forward(self, x_t, t, y=None):
        return self.network(x_t, t, y)

    @property
    def denoiser(self):
        """The noise network that samples and scores: the EMA of the weights when kept."""
        return self.network if self.ema is None else self.ema

    def q_sample(self, x0, t, noise):
        r"""Closed-form forward process (the notes' chain in one jump).

        :math:`x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon`; shapes: ``x0``,
        ``noise`` (B, d), ``t`` (B,).
        """
        return (
            extract(self.sqrt_alphas_cumprod, t, x0.shape) * x0
            + extract(self.sqrt_one_minus_alphas_cumprod, t, x0.shape) * noise
        )

    def denoising_loss(self, x0, t, noise):
        """Per-sample ``mean_j (eps_j - eps_theta(x_t, t)_j)^2``, shape (B,)."""
        return (self(self.q_sample(x0, t, noise), t) - noise).pow(2).mean(dim=-1)

    def variational_bound(self, x0, steps, weights, noise, constant=0.0):
        r"""Per-sample variational bound on :math:`-\log p(x_0)` in nats, shape (B,).

        The negative ELBO of Ho et al. (2020, eq. 5) with the reverse variances
        :math:`\sigma_t^2` that DDPM's sampler uses (0-based t here):

        .. math:: L = \underbrace{KL(q(x_{T-1}|x_0)\,\|\,\mathcal N(0, I))}_{L_T}
                  + \sum_{t=1}^{T-1} w_t
                  \lVert\varepsilon - \varepsilon_\theta(x_t, t)\rVert^2 + d\,c
                  + \underbrace{\tfrac d2\log(2\pi\beta_0)
                  + \tfrac{\lVert\varepsilon - \varepsilon_\theta(x_0', 0)\rVert^2}
                  {2\alpha_0}}_{-\log \mathcal N(x_0 \mid \mu_\theta(x_0', 0),\ \beta_0 I)}

        ``steps``, ``weights`` and ``constant`` (c) give the sum over t for the chosen
        :math:`\sigma_t^2` (:func:`._schedules.bound_quadrature`); ``noise`` (len(steps) + 1,
        B, d) holds the epsilon of each term, the decoder's first.
        """
        d = x0.shape[1]
        a_T = self.alphas_cumprod[-1].to(x0.dtype)
        # 1. prior term L_T, closed form
        bound = 0.5 * torch.sum(a_T * x0.pow(2) - a_T - torch.log1p(-a_T), dim=-1)
        # 2. the decoder (t = 0) and the steps t >= 1
        beta0 = float(self.betas[0])
        terms = zip([0, *np.asarray(steps).tolist()], [0.5 / (1 - beta0), *weights], noise)
        for t, w, eps in terms:
            tt = torch.full((len(x0),), int(t), dtype=torch.int64, device=x0.device)
            eps_theta = self.denoiser(self.q_sample(x0, tt, eps), tt)
            bound = bound + float(w) * (eps_theta - eps).pow(2).sum(-1)
        return bound + d * (0.5 * math.log(2 * math.pi * beta0) + constant)

    @torch.no_grad()
    def sample(
        self,
        n_samples,
        timesteps,
        eta,
        generator,
        y=None,
        guidance_scale=1.0,
        order=1,
        variance_type="fixed_small",
    ):
        """Reverse process from :math:`x_T \\sim \\mathcal N(0, I)` along decreasing ``timesteps``.

        One update covers both samplers of DDIM (Song et al. 2021, eq. 12): with
        :math:`\\hat x_0 = (x_t - \\sqrt{1-\\bar\\alpha_t}\\,\\varepsilon_\\theta)
        /\\sqrt{\\bar\\alpha_t}`,

        .. math:: x_s = \\sqrt{\\bar\\alpha_s}\\,\\hat x_0 + \\sqrt{1-\\bar\\alpha_s-\\sigma^2}\\,
                  \\varepsilon_\\theta + \\sigma z,\\quad
                  \\sigma = \\eta\\sqrt{\\tfrac{1-\\bar\\alpha_s}{1-\\bar\\alpha_t}}
                  \\sqrt{1-\\tfrac{\\bar\\alpha_t}{\\bar\\alpha_s}}.

        With labels ``y`` the noise is classifier-free guided (Ho & Salimans 2022):
        :math:`\\varepsilon_\\varnothing + s\\,(\\varepsilon_y - \\varepsilon_\\varnothing)`
        with ``s = guidance_scale`` (1: the conditional model alone; > 1 sharper classes).

        ``eta = 1`` is DDPM's ancestral sampling (the posterior :math:`q(x_s|x_t,\\hat x_0)`, whose
        variance is :math:`\\tilde\\beta_t`); ``eta = 0`` is deterministic DDIM.
        ``variance_type="fixed_large"`` keeps the step's mean and draws its noise with
        :math:`\\eta^2` times the step's own :math:`\\beta = 1 - \\bar\\alpha_t/\\bar\\alpha_s`
        instead of :math:`\\tilde\\beta` (Ho et al.'s :math:`\\sigma_t^2 = \\beta_t`); the last
        step adds no noise either way.

        ``order = 2`` (with ``eta = 0``) is DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): the
        same update with :math:`\\hat x_0` replaced by its linear extrapolation in
        :math:`\\lambda = \\log(\\sqrt{\\bar\\alpha}/\\sqrt{1-\\bar\\alpha})` from the
        previous step's, :math:`D = (1 + \\tfrac{1}{2r})\\hat x_0 - \\tfrac{1}{2r}\\hat x_0'`,
        :math:`r = h'/h` the ratio of the steps in :math:`\\lambda`: a second-order solver of the
        probability-flow ODE that DDIM solves to first order, at the same network evaluations.
        """
        p = abar = self.alphas_cumprod  # dtype and device of the model
        x = torch.randn(
            n_samples,
            self.n_features,
            generator=generator,
            dtype=p.dtype,
            device=p.device,
        )
        lam = 0.5 * torch.log(abar / (1 - abar))  # log signal-to-noise ratio / 2, (T,)
        x0_prev = h_prev = None
        for i, t in enumerate(timesteps):
            # 1. predicted noise and predicted clean sample at step t
            tt = torch.full((n_samples,), int(t), dtype=torch.int64, device=p.device)
            eps = self.denoiser(x, tt, y)
            if y is not None and guidance_scale != 1.0:
                eps_null = self.denoiser(x, tt)
                eps = eps_null + guidance_scale * (eps - eps_null)
            a_t = abar[t]
            a_s = abar[timesteps[i + 1]] if i + 1 < len(timesteps) else torch.ones_like(a_t)
            x0 = (x - torch.sqrt(1 - a_t) * eps) / torch.sqrt(a_t)
            x0 = torch.maximum(torch.minimum(x0, self.clip_high), self.clip_low)
            last = i + 1 == len(timesteps)
            h = None if last else lam[timesteps[i + 1]] - lam[t]
            # 2M: x0 extrapolated from this step's and the previous one's (the last step, to
            # alpha_bar = 1, stays first order)
            x0_now = x0
            if order == 2 and not last and x0_prev is not None:
                x0 = x0 + (x0 - x0_prev) * h / (2 * h_prev)
            x0_prev, h_prev = x0_now, h
            # the noise that the (clipped, extrapolated) x0 implies
            eps = (x - torch.sqrt(a_t) * x0) / torch.sqrt(1 - a_t)
            # 2. noise level of this step (0 for DDIM), then the step itself: the mean is the
            # posterior's whatever the variance of the noise added to it
            sigma = eta * torch.sqrt((1 - a_s) / (1 - a_t) * (1 - a_t / a_s))
            x = torch.sqrt(a_s) * x0 + torch.sqrt(torch.clamp(1 - a_s - sigma**2, min=0.0)) * eps
            if variance_type == "fixed_large":
                sigma = eta * torch.sqrt(1 - a_t / a_s)
            if eta > 0 and not last:
                x = x + sigma * torch.randn(
                    x.shape, generator=generator, dtype=x.dtype, device=x.device
                )
        return x


class DiffusionNet(GeneratorNet):
    """Diffusion: ``infer`` draws ``t ~ U{0..T-1}`` (mapped through the module's ``train_steps``),
    ``eps ~ N(0, I)`` and predicts ``eps`` from ``x_t``; ``get_loss`` is the MSE between
    predicted and true noise (eq. 14 of Ho et al. 2020).

    With labels, a share ``label_dropout`` of them is replaced by the null label: the one network
    learns the conditional and the unconditional noise, which classifier-free guidance combines.
    """

    def __init__(self, module, *args, label_dropout=0.1, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.label_dropout = label_dropout

    def infer(self, x, y=None, **fit_params):
        x = to_tensor(x, device=self.device)
        m = self.module_
        t = m.train_steps[torch.randint(0, m.n_steps, (len(x),), device=x.device)]
        noise = torch.randn_like(x)
        y = drop_labels(y, m.n_classes, self.label_dropout)
        return m(m.q_sample(x, t, noise), t, y), noise

    def get_loss(self, y_pred, y_true, X=None, training=False):
        eps_pred, noise = y_pred
        return F.mse_loss(eps_pred, noise)


def row_normal(X, n_draws, n_dim, seed, dtype, device):
    """Standard normal draws of shape (n_draws, n_rows, n_dim), each row's from its own stream.

    A row's stream is seeded by a hash of its bytes (and ``seed``), so its draws do not depend on
    which other rows share the call (a score is the same on a subset), while distinct rows get
    independent draws (the Monte-Carlo noise of a mean score falls as 1 / sqrt(n_rows)).
    """
    import hashlib

    X = np.ascontiguousarray(X, dtype=np.float64)
    out = np.empty((len(X), n_draws, n_dim))
    for i, row in enumerate(X):
        key = int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little")
        out[i] = np.random.default_rng([key, seed]).standard_normal((n_draws, n_dim))
    return torch.as_tensor(out.transpose(1, 0, 2).copy(), dtype=dtype, device=device)


def finite_scores(scores, X, model_name):
    """``scores`` when every value is finite, else a ValueError naming the samples at fault.

    A sample so far from the training data that its log-density overflows float64 (X * 1e300)
    would otherwise score -inf or NaN, and one such sample turns a mean score into nonsense.
    """
    bad = ~np.isfinite(scores)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"{model_name}: the log-density of {rows.size} sample(s) (rows {rows[:5].tolist()}"
            f"{', ...' if rows.size > 5 else ''}) is not a finite number: they lie so far from "
            f"the training data (largest |x| {np.max(np.abs(X[rows])):.3g}) that it overflows."
        )
    return scores


def as_numpy(tensor):
    """float64 numpy copy of a tensor."""
    return tensor.detach().cpu().numpy().astype(np.float64)
