"""DiffusionModel: the torch forward process, the samplers, the estimator."""

import numpy as np
import pytest
import scipy.stats

from sklearn_notes import DiffusionModel
from sklearn_notes.generative import (
    make_ring,
    mode_coverage,
    ring_centers,
    support_share,
    support_spread,
)
from sklearn_notes.generative._schedules import (
    BETA_SCHEDULES,
    bound_quadrature,
    diffusion_coefficients,
    forward_marginal,
    linear_beta_schedule,
    sampling_timesteps,
    training_timesteps,
)
from tests.generative._digits import assert_digits_goals, digits_model

torch = pytest.importorskip("torch")
nets = pytest.importorskip("sklearn_notes.generative._nets")


def _diffusion(betas, n_features=1):
    wide = np.full(n_features, 1e3)
    return nets.GaussianDiffusion(n_features, (8,), betas, -wide, wide).double()


def test_diffusion_extract_broadcasts_per_sample():
    a = torch.arange(10.0)
    t = torch.tensor([3, 0, 9])
    out = nets.extract(a, t, (3, 5, 7))
    assert out.shape == (3, 1, 1)
    np.testing.assert_array_equal(out.flatten().numpy(), [3.0, 0.0, 9.0])


@pytest.mark.parametrize("name", sorted(BETA_SCHEDULES))
def test_diffusion_buffers_are_the_float64_schedule_in_float32(name):
    betas = BETA_SCHEDULES[name](100)
    module = nets.GaussianDiffusion(2, (8,), betas, np.zeros(2), np.ones(2))
    assert module.alphas_cumprod.dtype == torch.float32
    expected = diffusion_coefficients(betas)["alphas_cumprod"]
    np.testing.assert_allclose(module.alphas_cumprod.numpy(), expected, rtol=1e-6)


def test_diffusion_q_sample_is_the_closed_form_marginal():
    betas = linear_beta_schedule(200)
    module = _diffusion(betas)
    x0 = torch.full((50_000, 1), 1.7, dtype=torch.float64)
    for t in (0, 50, 199):
        tt = torch.full((len(x0),), t)
        xt = module.q_sample(x0, tt, torch.randn_like(x0)).numpy()
        mean, var = forward_marginal(1.7, t, diffusion_coefficients(betas)["alphas_cumprod"])
        assert abs(xt.mean() - mean) < 5 * np.sqrt(var / len(xt))
        assert abs(xt.var() - var) < 5 * var * np.sqrt(2 / len(xt))


class _OracleEps(torch.nn.Module):
    """The exact E[eps | x_t] for data ~ N(m, s^2): the best possible noise network."""

    def __init__(self, alphas_cumprod, m, s):
        super().__init__()
        self.abar, self.m, self.s = alphas_cumprod, m, s

    def forward(self, x, t, y=None):
        a = self.abar[t][:, None]
        return torch.sqrt(1 - a) * (x - torch.sqrt(a) * self.m) / (a * self.s**2 + 1 - a)


@pytest.mark.parametrize(
    "eta, n_sampling_steps, variance_type",
    [
        (1.0, 1000, "fixed_small"),
        (1.0, 1000, "fixed_large"),
        (1.0, 100, "fixed_large"),
        (0.0, 1000, "fixed_small"),
        (0.0, 100, "fixed_small"),
    ],
)
def test_diffusion_samplers_reproduce_the_data_with_the_exact_noise_network(
    eta, n_sampling_steps, variance_type
):
    m, s, n = 1.5, 0.3, 10_000
    module = _diffusion(linear_beta_schedule(1000))
    module.network = _OracleEps(module.alphas_cumprod, m, s)
    steps = sampling_timesteps(1000, n_sampling_steps)
    generator = torch.Generator().manual_seed(0)
    x = module.sample(n, steps, eta, generator, variance_type=variance_type).numpy()
    assert abs(x.mean() - m) < 5 * s / np.sqrt(n)
    # every step: within 3 % (discretization of the reverse chain and Monte-Carlo error);
    # DDIM with 10x fewer steps: within 10 %
    assert abs(x.std() - s) < (0.03 if n_sampling_steps == 1000 else 0.1) * s


def test_diffusion_ddpm_large_variance_keeps_modes_as_narrow_as_the_first_steps_noise():
    # Data N(1.5, 0.03^2): its width is that of the noise of the first ~10 of 1,000 steps (std
    # 0.01-0.03), where beta-tilde is well below beta. With the exact noise network, beta-tilde
    # steps leave the samples too sharp (measured: std 0.865 x the truth), beta steps do not
    # (0.985); on data as wide as the noise (s = 0.3) both are within 1 %.
    m, s, n = 1.5, 0.03, 20_000
    module = _diffusion(linear_beta_schedule(1000))
    module.network = _OracleEps(module.alphas_cumprod, m, s)
    steps = sampling_timesteps(1000, 1000)
    ratio = {}
    for variance_type in ("fixed_small", "fixed_large"):
        generator = torch.Generator().manual_seed(0)
        x = module.sample(n, steps, 1.0, generator, variance_type=variance_type).numpy()
        assert abs(x.mean() - m) < 5 * s / np.sqrt(n)
        ratio[variance_type] = x.std() / s
    assert abs(ratio["fixed_large"] - 1) < 0.03
    assert ratio["fixed_small"] < 0.9


@pytest.mark.parametrize("order, min_ratio, max_ratio", [(1, 1.8, 2.2), (2, 3.0, 4.5)])
def test_diffusion_deterministic_samplers_converge_at_their_order(order, min_ratio, max_ratio):
    # The same x_T through DDIM (order 1) and DPM-Solver++(2M) (order 2) with 20 and 40 steps,
    # against the ODE solved with all 1000: doubling the steps divides the error by about 2^order.
    module = _diffusion(linear_beta_schedule(1000))
    module.network = _OracleEps(module.alphas_cumprod, 1.5, 0.3)

    def run(n_steps, order):
        steps = sampling_timesteps(1000, n_steps)
        return module.sample(5000, steps, 0.0, torch.Generator().manual_seed(0), order=order)

    exact = run(1000, 1)
    errors = [float((run(n, order) - exact).abs().max()) for n in (20, 40)]
    assert min_ratio < errors[0] / errors[1] < max_ratio


def test_diffusion_ddim_is_a_deterministic_map_of_x_T_and_ddpm_is_stochastic():
    module = _diffusion(linear_beta_schedule(50))
    module.network = _OracleEps(module.alphas_cumprod, 0.0, 0.5)
    steps = sampling_timesteps(50, 50)
    a = module.sample(2000, steps, 0.0, torch.Generator().manual_seed(0))
    # the same x_T (first draw of the generator) under DDPM: fresh noise at every step
    b = module.sample(2000, steps, 1.0, torch.Generator().manual_seed(0))
    x_T = torch.randn(2000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    # for Gaussian data the DDIM map is linear and monotone: x_0 = c * x_T exactly
    ratio = (a / x_T).numpy()
    np.testing.assert_allclose(ratio.ravel(), np.full(len(ratio), ratio[0, 0]), rtol=1e-8)
    assert abs(np.corrcoef(b.numpy().ravel(), x_T.numpy().ravel())[0, 1]) < 0.9


def test_diffusion_model_fits_and_samples_in_user_units():
    X, _ = make_ring(400, random_state=0)
    X = 100.0 * X + 50.0
    dm = DiffusionModel(n_steps=50, max_epochs=5, random_state=0).fit(X)
    assert set(dm.history_) == {"loss"} and len(dm.history_["loss"]) == 5
    S = dm.sample(300, random_state=0)
    assert S.shape == (300, 2) and S.dtype == np.float64
    assert np.all(np.abs(S.mean(axis=0) - 50.0) < 100.0)  # the user's units, not standardized


@pytest.mark.parametrize(
    "sampler, steps",
    [("ddpm", None), ("ddpm", 10), ("ddim", None), ("ddim", 5), ("dpm-solver++", 5)],
)
def test_diffusion_model_samplers_and_step_counts(sampler, steps):
    X, _ = make_ring(200, random_state=0)
    dm = DiffusionModel(
        n_steps=40, max_epochs=2, random_state=0, sampler=sampler, n_sampling_steps=steps
    ).fit(X)
    expected = {None: 40 if sampler == "ddpm" else 40, 10: 10, 5: 5}[steps]
    assert len(dm._timesteps()) == min(expected, 40)
    S = dm.sample(7, random_state=1)
    assert S.shape == (7, 2) and np.all(np.isfinite(S))


@pytest.mark.parametrize(
    "variance_type, n_steps, max_gap",
    [
        ("fixed_small", 10, 6.0),
        ("fixed_small", 100, 1.5),
        ("fixed_small", 1000, 0.6),
        # beta_t is the exact reverse variance for N(0, I) data and closer to the truth here:
        # measured gaps 0.27, 0.05, 0.01 (beta-tilde: 1.71, 1.13, 0.45)
        ("fixed_large", 10, 0.5),
        ("fixed_large", 100, 0.15),
        ("fixed_large", 1000, 0.06),
    ],
)
def test_diffusion_variational_bound_is_above_the_true_nll_and_tightens(
    variance_type, n_steps, max_gap
):
    # data N(m, s^2) and the exact noise network: the bound on -log p(x) holds in nats, and its
    # slack (the reverse variances are not the true ones) shrinks as T grows
    m, s = 0.5, 0.3
    X = np.random.default_rng(0).normal(m, s, (3000, 1))
    betas = linear_beta_schedule(n_steps)
    module = _diffusion(betas)
    module.network = _OracleEps(module.alphas_cumprod, m, s)
    steps, weights, constant = bound_quadrature(betas, 200, variance_type)
    noise = nets.row_normal(X, len(steps) + 1, 1, 0, torch.float64, "cpu")
    bound = module.variational_bound(torch.tensor(X), steps, weights, noise, constant).numpy()
    true_nll = -scipy.stats.norm.logpdf(X[:, 0], m, s)
    gap = bound.mean() - true_nll.mean()
    se = (bound - true_nll).std() / np.sqrt(len(X))
    assert -3 * se < gap < max_gap


def test_diffusion_bound_quadrature_keeps_the_total_weight():
    betas = linear_beta_schedule(1000)
    steps, weights, _ = bound_quadrature(betas, 1000)
    assert len(steps) == 999 and steps[0] == 1 and steps[-1] == 999
    few_steps, few_weights, _ = bound_quadrature(betas, 50)
    assert len(few_steps) == 50 and np.all(np.diff(few_steps) >= 0)
    assert few_weights.sum() == pytest.approx(weights.sum())
    # the heavy first steps get several evaluations
    assert np.sum(few_steps <= 5) >= 5


def test_diffusion_bound_quadrature_of_the_large_variances():
    betas = linear_beta_schedule(1000)
    c = diffusion_coefficients(betas)
    steps, weights, constant = bound_quadrature(betas, 1000, "fixed_large")
    small = bound_quadrature(betas, 1000, "fixed_small")
    # w_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t)): sigma_t^2 = beta_t against beta-tilde
    beta_tilde = betas[1:] * (1 - c["alphas_cumprod"][:-1]) / (1 - c["alphas_cumprod"][1:])
    np.testing.assert_allclose(weights / small[1], beta_tilde / betas[1:])
    # the variance mismatch KL(N(0, beta-tilde) || N(0, beta)) per feature, summed over t
    r = beta_tilde / betas[1:]
    assert constant == pytest.approx(0.5 * np.sum(r - 1 - np.log(r))) and constant > 0
    assert small[2] == 0.0
    with pytest.raises(ValueError, match="variance_type"):
        bound_quadrature(betas, 10, "learned")


def test_diffusion_model_score_is_a_log_density_in_user_units():
    X, _ = make_ring(256, random_state=0)
    short = DiffusionModel(n_steps=50, max_epochs=1, random_state=0).fit(X)
    longer = DiffusionModel(n_steps=50, max_epochs=25, random_state=0).fit(X)
    assert longer.score(X) > short.score(X) + 0.5  # nats per sample
    assert short.score(X) == pytest.approx(np.mean(short.score_samples(X)))
    # a row's score does not depend on the other rows of the call
    np.testing.assert_allclose(longer.score_samples(X[5:9]), longer.score_samples(X)[5:9])
    # the same fit in other units: densities differ by the Jacobian 10^-2 (4.6 nats), up to
    # the round-off of the standardization and the Monte-Carlo noise of the bound (each row
    # draws its own epsilons), which 4,000 held-out rows average out
    scaled = DiffusionModel(n_steps=50, max_epochs=25, random_state=0).fit(10 * X + 3)
    Y, _ = make_ring(4000, random_state=1)
    assert scaled.score(10 * Y + 3) == pytest.approx(longer.score(Y) - 2 * np.log(10), abs=0.25)


def test_diffusion_model_score_samples_far_from_the_data_is_a_clear_error():
    X, _ = make_ring(100, random_state=0)
    dm = DiffusionModel(n_steps=20, max_epochs=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="not a finite number"):
        dm.score_samples(X * 1e300)
    assert np.all(np.isfinite(dm.score_samples(X * 1e3)))


@pytest.mark.parametrize("param, value", [("n_steps", 30), ("snr_shift", 0.0)])
def test_diffusion_model_warm_start_cannot_change_the_training_chain(param, value):
    X, _ = make_ring(100, random_state=0)
    dm = DiffusionModel(n_steps=20, max_epochs=1, warm_start=True, random_state=0).fit(X)
    steps = dm.net_.module_.train_steps.clone()
    with pytest.raises(ValueError, match=f"warm_start cannot change {param}"):
        dm.set_params(**{param: value}).fit(X)
    assert torch.equal(dm.net_.module_.train_steps, steps)
    # unchanged ("auto" resolves to the same shift on the same data), the fit goes on
    dm.set_params(n_steps=20, snr_shift="auto").fit(X)
    assert len(dm.history_["loss"]) == 2


@pytest.mark.parametrize(
    "n_features, shift", [(2, np.log(32)), (16, np.log(4)), (64, 0.0), (100, 0.0)]
)
def test_diffusion_model_auto_snr_shift_falls_with_the_features(n_features, shift):
    X = np.random.RandomState(0).randn(40, n_features)
    dm = DiffusionModel(n_steps=50, hidden_layer_sizes=(8,), max_epochs=1, random_state=0).fit(X)
    assert dm.snr_shift_ == pytest.approx(shift)
    abar = dm.net_.module_.alphas_cumprod.double().numpy()
    expected = training_timesteps(
        diffusion_coefficients(linear_beta_schedule(50))["alphas_cumprod"], shift
    )
    np.testing.assert_array_equal(dm.net_.module_.train_steps.numpy(), expected)
    assert abar.shape == (50,)
    explicit = DiffusionModel(
        n_steps=50, snr_shift=-0.5, hidden_layer_sizes=(8,), max_epochs=1
    ).fit(X)
    assert explicit.snr_shift_ == -0.5


@pytest.mark.parametrize("shift", [np.nan, np.inf, -np.inf])
def test_diffusion_model_rejects_a_shift_that_is_not_finite(shift):
    X = np.random.RandomState(0).randn(20, 2)
    # the parameter constraint's open interval (-inf, inf) excludes both infinities and nan
    with pytest.raises(ValueError, match="'snr_shift' parameter of DiffusionModel must be"):
        DiffusionModel(n_steps=5, snr_shift=shift, max_epochs=1).fit(X)


def test_diffusion_model_without_a_shift_trains_on_uniform_steps():
    # 64 features: "auto" is no shift, the same model as snr_shift=0 to the bit
    X = np.random.RandomState(0).rand(60, 64)
    kw = dict(n_steps=30, hidden_layer_sizes=(16,), max_epochs=3, random_state=0)
    auto, zero = DiffusionModel(**kw).fit(X), DiffusionModel(snr_shift=0.0, **kw).fit(X)
    np.testing.assert_array_equal(auto.sample(5, random_state=0), zero.sample(5, random_state=0))
    # a shift changes which steps train (and so the model)
    shifted = DiffusionModel(snr_shift=2.0, **kw).fit(X)
    assert not np.array_equal(shifted.sample(5, random_state=0), zero.sample(5, random_state=0))


@pytest.mark.slow
def test_diffusion_model_covers_the_ring_with_high_quality_samples():
    X, _ = make_ring(2000, random_state=0)
    X_test, _ = make_ring(2000, random_state=1)
    dm = DiffusionModel(n_steps=100, max_epochs=150, random_state=0).fit(X)
    # 100 steps are too coarse for modes this narrow (the first step's noise, std 0.03 in the
    # working range, is already the modes' width): DDPM's beta-tilde steps leave them too sharp,
    # its beta steps too wide (measured: spread 0.49 and 1.31; share 0.989 and 0.930); the
    # defaults' 1,000 steps get the width right (next test)
    spread = {}
    for variance_type in ("fixed_small", "fixed_large"):
        S = dm.set_params(variance_type=variance_type).sample(2000, random_state=0)
        assert mode_coverage(S, ring_centers(), 0.05)[0] == 8
        spread[variance_type] = support_spread(S, X_test, ring_centers(), 0.05)
    assert spread["fixed_small"] < 0.7 and spread["fixed_large"] > 1.15
    assert support_share(S, ring_centers(), 0.05) >= 0.90
    S = dm.set_params(variance_type="fixed_small").sample(2000, random_state=0)
    assert support_share(S, ring_centers(), 0.05) >= 0.97
    # 20 of the 100 steps: 5x fewer network evaluations, every mode, blurrier on modes this
    # narrow; DPM-Solver++(2M) less so than DDIM (measured: DDPM 0.989, DDIM 0.935, 2M 0.968;
    # with uniform training draws, snr_shift=0: 0.958, 0.863, 0.909)
    shares = {}
    for sampler in ("ddim", "dpm-solver++"):
        S = dm.set_params(sampler=sampler, n_sampling_steps=20).sample(2000, random_state=0)
        assert mode_coverage(S, ring_centers(), 0.05)[0] == 8
        shares[sampler] = support_share(S, ring_centers(), 0.05)
    assert shares["ddim"] >= 0.90
    assert shares["dpm-solver++"] >= max(0.94, shares["ddim"] + 0.02)


def _ring_shares(snr_shift, X_test):
    """DDPM's and 20-step DDIM's within-3-sigma shares (and DDPM's spread) of a DiffusionModel
    fitted on the ring at the defaults."""
    X, _ = make_ring(2000, random_state=0)
    dm = DiffusionModel(max_epochs=300, snr_shift=snr_shift, random_state=0).fit(X)
    S = dm.sample(2000, random_state=0)
    ddpm, spread = (
        support_share(S, ring_centers(), 0.05),
        support_spread(S, X_test, ring_centers(), 0.05),
    )
    S = dm.set_params(sampler="ddim", n_sampling_steps=20).sample(2000, random_state=0)
    return ddpm, support_share(S, ring_centers(), 0.05), spread


@pytest.mark.slow
def test_diffusion_model_ddim_20_steps_is_close_to_ddpm_on_the_ring_at_the_defaults():
    # issue 12's goal: DDIM with 20 steps within 0.05 of DDPM's within-3-sigma share on the ring.
    # The 20-step ODE solve is limited by the network's precision at low noise (steps 10-100 of
    # 1,000), which the shifted training draws (snr_shift="auto", log 32) give it. Measured, seed
    # 0: DDPM 0.991, DDIM 0.944 (seeds 1, 2: 0.950, 0.952). The truth puts 0.991 within 3 sigma;
    # DDPM's spread around the centres is that of real data (measured 0.95; 0.77 with beta-tilde
    # steps, whose too-sharp modes scored 0.998).
    X_test, _ = make_ring(2000, random_state=1)
    ddpm, ddim, spread = _ring_shares("auto", X_test)
    assert 0.85 < spread < 1.15
    assert ddpm >= support_share(X_test, ring_centers(), 0.05) - 0.01
    assert ddim >= ddpm - 0.06


@pytest.mark.bench
def test_diffusion_model_snr_shift_is_what_brings_ddim_close_to_ddpm():
    # bench, not slow (two fits at the defaults, close to 3 minutes of CI's 2 cores): the
    # ablation behind the test above. Uniform training draws (snr_shift=0) leave 20-step DDIM
    # far behind: measured, seed 0, DDPM 0.991 and DDIM 0.894, against 0.944 with "auto"
    X_test, _ = make_ring(2000, random_state=1)
    auto, uniform = _ring_shares("auto", X_test), _ring_shares(0.0, X_test)
    assert auto[1] >= uniform[1] + 0.03


@pytest.mark.slow
def test_diffusion_model_reaches_the_swiss_roll_goal_at_the_defaults():
    # issue 12: within-3-sigma share >= KDE's - 0.02 and narrow-kernel MMD^2 <= 1.5 x KDE's +
    # 5e-4, with KernelDensity (bandwidth by CV) at 0.991 and 0.0005 on these sets (the benchmark,
    # benchmarks/bench_generative.py --quality); the roll's arms are 0.5 wide and ~1.5 apart, so
    # samples between them fall outside 3 sigma
    from sklearn.datasets import make_swiss_roll

    from sklearn_notes.generative import multiscale_mmd2

    def roll(n, noise, seed):
        return make_swiss_roll(n, noise=noise, random_state=seed)[0][:, [0, 2]]

    X, X_test, support = roll(2000, 0.5, 0), roll(2000, 0.5, 1), roll(20_000, 0.0, 0)
    dm = DiffusionModel(max_epochs=300, random_state=0).fit(X)
    S = dm.sample(2000, random_state=0)
    ddpm = support_share(S, support, 0.5)
    assert ddpm >= 0.991 - 0.02
    assert multiscale_mmd2(X_test, S, scales=(0.1,))[0.1] <= 1.5 * 0.0005 + 5e-4
    # 20 steps of DPM-Solver++(2M) stay within 0.05 of DDPM's 1,000
    S = dm.set_params(sampler="dpm-solver++", n_sampling_steps=20).sample(2000, random_state=0)
    assert support_share(S, support, 0.5) >= ddpm - 0.05


@pytest.mark.slow
def test_diffusion_model_grid_search_picks_the_longer_chain_on_gaussian_data():
    # Data of known density N(3, 2^2). The bound's slack falls with the chain's length (see the
    # exact-network test above), so the 200-step model is the right choice, and its score is a
    # log-density in the user's units: below the truth, and not far below.
    from sklearn.model_selection import GridSearchCV

    X = np.random.default_rng(0).normal(3.0, 2.0, (600, 1))
    search = GridSearchCV(
        DiffusionModel(hidden_layer_sizes=(64, 64), max_epochs=40, random_state=0),
        {"n_steps": [10, 200]},
        cv=3,
    ).fit(X)
    assert search.best_params_ == {"n_steps": 200}
    true_ll = scipy.stats.norm.logpdf(X[:, 0], 3.0, 2.0).mean()
    # measured: -2.21 against the true -2.11 (-3.11 with the beta-tilde variances)
    assert true_ll - 0.5 < search.best_score_ < true_ll + 0.1


@pytest.mark.parametrize("n_features, width", [(2, 128), (10, 128), (64, 768), (100, 1024)])
def test_diffusion_model_auto_hidden_layer_sizes_grow_with_the_features(n_features, width):
    X = np.random.RandomState(0).randn(40, n_features)
    dm = DiffusionModel(n_steps=5, max_epochs=1, random_state=0).fit(X)
    assert dm.hidden_layer_sizes_ == (width,) * 3
    widths = [m.out_features for m in dm.net_.module_.modules() if isinstance(m, torch.nn.Linear)]
    assert width in widths and max(widths) == width
    explicit = DiffusionModel(n_steps=5, hidden_layer_sizes=(32, 16), max_epochs=1).fit(X)
    assert explicit.hidden_layer_sizes_ == (32, 16)


@pytest.mark.bench
def test_diffusion_model_digits_reach_the_goals_at_the_defaults(read_digits):
    # issue 12's goals at the defaults: the "auto" width (768 units for 64 features) is what
    # the digits need; the example's cosine schedule and 200 steps add a little (0.88 vs 0.86).
    # 300 epochs of 768-wide blocks and 1,000 sampling steps: 5-10 min on one core, past CI's
    # budget on AVX2 machines; bench_generative.py --quality checks the same goals (0.856 there)
    assert_digits_goals(read_digits(DiffusionModel(max_epochs=300, random_state=0)))


@pytest.mark.slow
def test_diffusion_model_guided_digits_are_read_as_the_requested_class(read_digits):
    # narrower and shorter than the example: guidance by the label does most of the work
    dm = digits_model(DiffusionModel, hidden_layer_sizes=(256, 256, 256), max_epochs=150)
    scores = read_digits(dm, conditional=True)
    assert scores["agreement"] >= 0.95  # issue 12's goal
    assert scores["confidence"] >= 0.85
