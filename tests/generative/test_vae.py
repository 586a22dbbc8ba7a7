"""VAE: the ELBO's pieces, the reparameterization trick, and the estimator."""

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_iris

from sklearn_notes import VAE
from sklearn_notes.utils import gaussian_kl
from tests.generative._digits import digits_model

torch = pytest.importorskip("torch")
nets = pytest.importorskip("sklearn_notes.generative._nets")

finite = st.floats(-3, 3, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(mu=arrays(np.float64, 3, elements=finite), logvar=arrays(np.float64, 3, elements=finite))
def test_vae_kl_is_the_closed_form_gaussian_kl(mu, logvar):
    kl = float(nets.kl_standard_normal(torch.tensor(mu), torch.tensor(logvar)))
    assert kl >= 0
    np.testing.assert_allclose(
        kl, gaussian_kl(mu, np.exp(logvar), np.zeros(3), np.eye(3)), rtol=1e-10, atol=1e-12
    )


@settings(max_examples=5, deadline=None)
@given(
    mu=arrays(np.float64, 2, elements=st.floats(-1.5, 1.5)),
    logvar=arrays(np.float64, 2, elements=st.floats(-1, 1)),
)
def test_vae_kl_equals_its_monte_carlo_estimate(mu, logvar):
    rng = np.random.default_rng(0)
    sigma = np.exp(0.5 * logvar)
    z = mu + sigma * rng.standard_normal((200_000, 2))
    # KL(q || p) = E_q[log q(z) - log p(z)]
    log_ratio = (scipy.stats.norm.logpdf(z, mu, sigma) - scipy.stats.norm.logpdf(z)).sum(axis=1)
    kl = float(nets.kl_standard_normal(torch.tensor(mu), torch.tensor(logvar)))
    se = log_ratio.std() / np.sqrt(len(z))
    assert abs(log_ratio.mean() - kl) < 5 * se + 1e-9


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
@pytest.mark.parametrize("beta", [1.0, 0.3])
def test_vae_loss_decomposes_into_reconstruction_plus_kl(likelihood, beta):
    X = load_iris().data
    vae = VAE(
        likelihood=likelihood,
        beta=beta,
        n_prior_components=1,
        kl_warmup=0,
        max_epochs=3,
        random_state=0,
    ).fit(X)
    net = vae.net_
    x = torch.as_tensor(vae.scaler_.transform(X), dtype=torch.float32)
    eps = torch.randn(len(X), vae.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out, mu, logvar = net.module_(x, eps=eps)
        loss = float(net.get_loss((out, mu, logvar), None, X=x))
    # the two terms computed independently, with scipy
    z = (mu + torch.exp(0.5 * logvar) * eps).numpy()
    with torch.no_grad():
        params = net.module_.decoder_params(net.module_.decode(torch.as_tensor(z)))
    xs = x.numpy().astype(np.float64)
    if likelihood == "gaussian":
        mean, logvar_x = (v.numpy().astype(np.float64) for v in params)
        rec = -scipy.stats.norm.logpdf(xs, mean, np.exp(0.5 * logvar_x)).sum(axis=1)
    else:
        p = 1 / (1 + np.exp(-params.numpy().astype(np.float64)))
        rec = -(xs * np.log(p) + (1 - xs) * np.log1p(-p)).sum(axis=1)
    kl = [
        gaussian_kl(m, np.exp(lv), np.zeros(2), np.eye(2))
        for m, lv in zip(mu.numpy().astype(float), logvar.numpy().astype(float))
    ]
    np.testing.assert_allclose(loss, rec.mean() + beta * np.mean(kl), rtol=1e-5)
    # and the logged parts are the same two terms
    parts = net.loss_parts((out, mu, logvar), x)
    np.testing.assert_allclose(float(parts["reconstruction"]), rec.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(parts["kl"]), np.mean(kl), rtol=1e-5)


def _mixture_prior(means, logvars, logits):
    prior = nets.MixturePrior(means.shape[1], means.shape[0]).double()
    with torch.no_grad():
        prior.means.copy_(torch.as_tensor(means))
        prior.raw_logvars.copy_(torch.as_tensor(logvars))
        prior.logits.copy_(torch.as_tensor(logits))
    return prior.requires_grad_(False)


def _scipy_mixture_logpdf(z, means, logvars, logits):
    log_pi = logits - scipy.special.logsumexp(logits)
    log_n = [
        scipy.stats.multivariate_normal.logpdf(z, m, np.diag(np.exp(lv)))
        for m, lv in zip(means, logvars)
    ]
    return scipy.special.logsumexp(np.add(log_pi[:, None], np.reshape(log_n, (len(means), -1))), 0)


mixtures = dict(
    means=arrays(np.float64, (3, 2), elements=st.floats(-3, 3)),
    logvars=arrays(np.float64, (3, 2), elements=st.floats(-2, 1)),
    logits=arrays(np.float64, 3, elements=st.floats(-2, 2)),
)


@settings(max_examples=20, deadline=None)
@given(z=arrays(np.float64, (4, 2), elements=st.floats(-4, 4)), **mixtures)
def test_vae_mixture_prior_log_prob_is_the_mixture_density(z, means, logvars, logits):
    prior = _mixture_prior(means, logvars, logits)
    log_p = prior.log_prob(torch.as_tensor(z)).detach().numpy()
    np.testing.assert_allclose(log_p, _scipy_mixture_logpdf(z, means, logvars, logits), rtol=1e-9)


@settings(max_examples=10, deadline=None)
@given(
    mu=arrays(np.float64, 2, elements=st.floats(-2, 2)),
    logvar=arrays(np.float64, 2, elements=st.floats(-2, 0.5)),
    **mixtures,
)
def test_vae_mixture_kl_is_an_upper_bound_on_the_true_kl(mu, logvar, means, logvars, logits):
    prior = _mixture_prior(means, logvars, logits)
    bound = float(prior.kl(torch.as_tensor(mu), torch.as_tensor(logvar)))
    rng = np.random.default_rng(0)
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal((100_000, 2))
    # KL(q || p) = E_q[log q(z) - log p(z)], p's density from scipy
    log_ratio = scipy.stats.norm.logpdf(z, mu, np.exp(0.5 * logvar)).sum(axis=1)
    log_ratio -= _scipy_mixture_logpdf(z, means, logvars, logits)
    kl = log_ratio.mean()
    assert bound >= kl - 5 * log_ratio.std() / np.sqrt(len(z)) - 1e-9


def test_vae_mixture_kl_is_exact_within_one_component():
    mu, logvar = np.array([0.3, -0.2]), np.array([-1.0, -0.5])
    # one component: the Gaussian KL itself
    one = _mixture_prior(np.array([[1.0, 2.0]]), np.array([[0.5, -0.3]]), np.zeros(1))
    np.testing.assert_allclose(
        float(one.kl(torch.as_tensor(mu), torch.as_tensor(logvar))),
        gaussian_kl(mu, np.exp(logvar), [1.0, 2.0], np.exp([0.5, -0.3])),
        rtol=1e-12,
    )
    # a far second component changes the bound by nothing but the log of the first's weight
    two = _mixture_prior(np.array([[1.0, 2.0], [40.0, 40.0]]), np.zeros((2, 2)), np.zeros(2))
    np.testing.assert_allclose(
        float(two.kl(torch.as_tensor(mu), torch.as_tensor(logvar))),
        gaussian_kl(mu, np.exp(logvar), [1.0, 2.0], np.ones(2)) + np.log(2),
        rtol=1e-12,
    )
    # and N(0, I) with its closed form is the prior of n_prior_components=1
    standard = nets.make_prior(2, 1)
    np.testing.assert_allclose(
        float(standard.kl(torch.as_tensor(mu), torch.as_tensor(logvar))),
        gaussian_kl(mu, np.exp(logvar), np.zeros(2), np.eye(2)),
        rtol=1e-12,
    )


def test_vae_mixture_prior_samples_follow_its_weights_and_components():
    prior = _mixture_prior(
        np.array([[-5.0, 0.0], [5.0, 1.0]]), np.log([[0.25, 1.0], [1.0, 4.0]]), np.log([0.2, 0.8])
    )
    z = prior.sample(40_000, torch.Generator().manual_seed(0), like=prior.means).numpy()
    left = z[:, 0] < 0
    assert left.mean() == pytest.approx(0.2, abs=0.01)
    np.testing.assert_allclose(z[left].mean(0), [-5, 0], atol=0.05)
    np.testing.assert_allclose(z[left].std(0), [0.5, 1.0], rtol=0.05)
    np.testing.assert_allclose(z[~left].std(0), [1.0, 2.0], rtol=0.05)


def test_vae_reparameterization_gradients_reach_mu_and_logvar():
    torch.manual_seed(0)
    module = nets.VAEModule(n_features=4, latent_dim=2, hidden_layer_sizes=(8,))
    x = torch.randn(16, 4)
    mu, logvar = module.encode(x)
    mu.retain_grad()
    logvar.retain_grad()
    eps = torch.randn_like(mu)
    z = mu + torch.exp(0.5 * logvar) * eps
    rec, kl = nets.negative_elbo_terms(module, x, module.decode(z), mu, logvar)
    (rec + kl).mean().backward()
    for grad in (mu.grad, logvar.grad):
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    # and the encoder's weights receive them
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.encoder.parameters())


def test_vae_history_records_loss_reconstruction_and_kl():
    X = load_iris().data
    vae = VAE(kl_warmup=0, max_epochs=30, random_state=0).fit(X)
    h = vae.history_
    assert set(h) == {"loss", "reconstruction", "kl"}
    assert all(len(v) == 30 for v in h.values())
    np.testing.assert_allclose(h["loss"], np.add(h["reconstruction"], h["kl"]), rtol=1e-5)
    assert h["loss"][-1] < h["loss"][0]


def test_vae_score_is_a_log_density_in_user_units():
    X = load_iris().data
    a = VAE(max_epochs=20, random_state=0).fit(X)
    b = VAE(max_epochs=20, random_state=0).fit(10.0 * X + 3.0)
    # standardization makes both fits identical; densities differ by the Jacobian 10^-d (up to
    # the importance samples, which are seeded by each row's values in the user's units)
    assert b.score(10.0 * X + 3.0) == pytest.approx(a.score(X) - 4 * np.log(10.0), abs=0.05)
    assert a.score(X) == pytest.approx(np.mean(a.score_samples(X)))
    # a row's score does not depend on the other rows of the call
    np.testing.assert_allclose(a.score_samples(X[10:20]), a.score_samples(X)[10:20])


def test_vae_importance_weighting_tightens_the_elbo():
    X = load_iris().data
    vae = VAE(max_epochs=20, random_state=0).fit(X)
    elbo = vae.set_params(n_importance_samples=1).score(X)
    iwae = vae.set_params(n_importance_samples=100).score(X)
    assert iwae > elbo  # log-mean-exp of the weights >= mean of their logs (Jensen)


def test_vae_elbo_is_below_the_true_log_likelihood():
    # Data from a known density: N(0, 1) in 1-D, log p(x) known exactly.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 1))
    vae = VAE(latent_dim=1, hidden_layer_sizes=(16,), max_epochs=60, random_state=0).fit(X)
    true_ll = scipy.stats.norm.logpdf(X, 0, X.std()).sum(axis=1)  # best Gaussian fit
    # the bound holds on average (Monte-Carlo noise aside) and is not vacuous
    assert vae.score(X) <= true_ll.mean() + 0.02
    assert vae.score(X) > true_ll.mean() - 0.5


def test_vae_transform_inverse_transform_and_sample_shapes():
    X = load_iris().data
    vae = VAE(latent_dim=3, max_epochs=5, random_state=0).fit(X)
    Z = vae.transform(X)
    assert Z.shape == (150, 3) and Z.dtype == np.float64
    assert vae.inverse_transform(Z).shape == (150, 4)
    assert list(vae.get_feature_names_out()) == ["vae0", "vae1", "vae2"]
    with pytest.raises(ValueError, match="3 latent features"):
        vae.inverse_transform(np.zeros((2, 2)))


def test_vae_bernoulli_works_in_unit_range_and_returns_user_units():
    X = load_iris().data
    vae = VAE(likelihood="bernoulli", max_epochs=5, random_state=0).fit(X)
    S = vae.sample(50, random_state=0)
    # decoder means lie in [0, 1] in the working range, i.e. inside the training box
    assert np.all(S >= X.min(axis=0) - 1e-9) and np.all(S <= X.max(axis=0) + 1e-9)
    assert np.all(vae.score_samples(X) < 0)


@pytest.mark.slow
def test_vae_on_the_ring_covers_every_mode_within_the_goal():
    # issue 12's goal for the VAE at the defaults (2,000 points): within 3 sigma >= KDE's share
    # - 0.20 (KDE: 0.98) and narrow MMD^2 <= 5 x KDE's + 5e-4 (about 0.002); here on 1,000 points
    # to halve the time, with thresholds of its own. With the standard normal prior the share
    # was 0.09: prior draws between the posteriors' clusters decode between the modes.
    from sklearn_notes.generative import (
        make_ring,
        mode_coverage,
        multiscale_mmd2,
        precision_recall,
        ring_centers,
        support_share,
    )

    X, _ = make_ring(1000, random_state=0)
    X_test, _ = make_ring(2000, random_state=1)
    S = VAE(max_epochs=300, random_state=0).fit(X).sample(2000, random_state=0)
    share = support_share(S, ring_centers(), 0.05)
    mmd = multiscale_mmd2(X_test, S, scales=(0.1,))[0.1]
    assert share >= 0.85  # 0.925 when measured
    assert mmd <= 0.0025  # 0.0011
    assert mode_coverage(S, ring_centers(), 0.05)[0] == 8
    assert precision_recall(X_test, S)[1] > 0.9  # diverse: the samples cover the held-out data


@pytest.mark.slow
def test_vae_mixture_prior_scores_a_bimodal_density_below_and_near_the_truth():
    # held-out data of a known density: any model's mean log-density on fresh data is at most
    # the true one (Gibbs' inequality), and the IWAE score is below the model's log-density
    def draw(n, seed):
        rng = np.random.default_rng(seed)
        return (np.where(rng.random(n) < 0.5, -3.0, 3.0) + 0.3 * rng.standard_normal(n))[:, None]

    X, X_test = draw(500, 0), draw(2000, 1)
    true_ll = scipy.special.logsumexp(
        [scipy.stats.norm.logpdf(X_test[:, 0], m, 0.3) for m in (-3.0, 3.0)], axis=0
    ).mean() - np.log(2)
    params = dict(latent_dim=1, hidden_layer_sizes=(64, 64), max_epochs=200, random_state=0)
    mixture = VAE(n_prior_components=4, **params).fit(X).score(X_test)
    standard = VAE(n_prior_components=1, **params).fit(X).score(X_test)
    # measured: mixture -1.02, standard normal -1.63, truth -0.90
    assert mixture <= true_ll + 0.02
    assert mixture > true_ll - 0.25
    assert mixture > standard + 0.3


@pytest.mark.slow
def test_conditional_vae_draws_the_requested_digits(read_digits):
    scores = read_digits(digits_model(VAE), conditional=True)
    assert scores["agreement"] >= 0.95
    assert scores["confidence"] > 0.9


def test_vae_kl_warmup_prevents_posterior_collapse():
    from sklearn_notes.generative import make_ring

    X, _ = make_ring(2000, random_state=0)
    # the standard normal prior and the narrower networks where the collapse was seen
    params = dict(
        n_prior_components=1,
        hidden_layer_sizes=(64, 64),
        max_epochs=100,
        batch_size=256,
        random_state=0,
    )
    collapsed = VAE(kl_warmup=0, **params).fit(X)
    annealed = VAE(kl_warmup=0.5, **params).fit(X)
    # collapse: q(z|x) = prior for every x (KL ~ 0), z carries no information
    assert collapsed.history_["kl"][-1] < 0.1
    assert annealed.history_["kl"][-1] > 0.4
    # during the warm-up the logged loss weighs the KL by epoch / 50
    h = annealed.history_
    np.testing.assert_allclose(
        h["loss"][:50],
        np.add(h["reconstruction"][:50], np.arange(50) / 50 * np.array(h["kl"][:50])),
        rtol=1e-5,
    )


def test_vae_score_samples_far_from_the_data_is_a_clear_error():
    X = load_iris().data
    vae = VAE(max_epochs=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="not a finite number"):
        vae.score_samples(X * 1e300)
