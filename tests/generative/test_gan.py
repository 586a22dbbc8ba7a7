"""GAN: two modules and optimizers inside skorch, alternating steps, non-saturating loss."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from sklearn_notes import GAN
from sklearn_notes.generative import (
    make_ring,
    mmd2,
    mode_coverage,
    multiscale_mmd2,
    ring_centers,
    support_share,
)
from tests.generative._digits import assert_digits_goals, digits_model

torch = pytest.importorskip("torch")


def test_gan_keeps_two_modules_two_optimizers_and_both_losses():
    X, _ = make_ring(300, random_state=0)
    gan = GAN(max_epochs=4, random_state=0).fit(X)
    net = gan.net_
    assert net.optimizer_ is not net.optimizer_discriminator_
    g_params = {id(p) for group in net.optimizer_.param_groups for p in group["params"]}
    d_params = {
        id(p) for group in net.optimizer_discriminator_.param_groups for p in group["params"]
    }
    # the generator's optimizer trains the network; its moving average is updated, not trained
    assert g_params == {id(p) for p in net.module_.network.parameters()}
    assert d_params == {id(p) for p in net.discriminator_.parameters()}
    h = gan.history_
    assert set(h) == {"loss", "discriminator_loss", "generator_loss", "r1_penalty"}
    np.testing.assert_allclose(
        h["loss"], np.add(h["discriminator_loss"], h["generator_loss"]), rtol=1e-6
    )


def test_gan_train_step_updates_each_player_with_its_own_loss():
    X, _ = make_ring(256, random_state=0)
    gan = GAN(max_epochs=1, batch_size=256, random_state=0).fit(X)
    net = gan.net_
    g_before = [p.detach().clone() for p in net.module_.network.parameters()]
    d_before = [p.detach().clone() for p in net.discriminator_.parameters()]
    x = torch.as_tensor(gan.scaler_.transform(X), dtype=torch.float32)
    step = net.train_step((x, None))
    assert {"discriminator_loss", "generator_loss"} <= set(step["parts"])
    assert all(not torch.equal(a, b) for a, b in zip(g_before, net.module_.network.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d_before, net.discriminator_.parameters()))


def test_gan_non_saturating_loss_keeps_gradients_when_the_discriminator_wins():
    # D confidently rejects the fake: logit -8, D(G(z)) ~ 3e-4
    logit = torch.tensor([-8.0], requires_grad=True)
    non_saturating = torch.nn.functional.binary_cross_entropy_with_logits(logit, torch.ones(1))
    (g_ns,) = torch.autograd.grad(non_saturating, logit)
    saturating = torch.log1p(-torch.sigmoid(logit))  # the minimax generator objective
    (g_mm,) = torch.autograd.grad(saturating, logit)
    assert abs(g_ns.item()) > 0.99  # -(1 - D): full-size gradient
    assert abs(g_mm.item()) < 1e-3  # -D: vanishes


def test_gan_discriminate_is_a_probability_and_score_is_minus_mmd():
    X, _ = make_ring(300, random_state=0)
    gan = GAN(max_epochs=5, random_state=0).fit(X)
    d = gan.discriminate(X)
    assert d.shape == (300,) and np.all((d > 0) & (d < 1))
    fake = gan.sample(300, random_state=0)
    expected = -mmd2(gan.scaler_.transform(X), gan.scaler_.transform(fake), gamma=0.5)
    assert gan.score(X) == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least 2"):
        gan.score(X[:1])


def test_gan_score_kernel_is_in_standardized_units_whatever_the_scaling():
    # minmax squeezes the data into [-1, 1]; a kernel there would see every distance shrunk and
    # rank a minmax model above a standard one that matches X better (found by an audit)
    X, _ = make_ring(300, random_state=0)
    units = StandardScaler().fit(X)
    for scaling in ("minmax", "standard"):
        gan = GAN(scaling=scaling, max_epochs=3, random_state=0).fit(X)
        fake = gan.sample(300, random_state=0)
        expected = -mmd2(units.transform(X), units.transform(fake), gamma=0.5)
        assert gan.score(X) == pytest.approx(expected, rel=1e-9)
        if scaling == "minmax":  # the working range's kernel gives another number
            squeezed = -mmd2(gan.scaler_.transform(X), gan.scaler_.transform(fake), gamma=0.5)
            assert abs(expected - squeezed) > 0.1 * abs(expected)


def test_gan_score_prefers_a_trained_generator():
    X, _ = make_ring(1000, random_state=0)
    untrained = GAN(latent_dim=2, max_epochs=1, random_state=0).fit(X)
    trained = GAN(latent_dim=2, max_epochs=60, random_state=0).fit(X)
    assert trained.score(X) > untrained.score(X)
    assert trained.score_samples(X).mean() > untrained.score_samples(X).mean()


@pytest.mark.slow
def test_gan_reaches_the_ring_goal_at_the_defaults():
    # issue 12: within-3-sigma share >= KDE's - 0.10 and narrow-kernel MMD^2 <= 3 x KDE's + 5e-4,
    # with KernelDensity (bandwidth by CV) at 0.984 and 0.0003 on these sets (the benchmark)
    X, _ = make_ring(2000, random_state=0)
    X_test, _ = make_ring(2000, random_state=1)
    S = GAN(max_epochs=300, random_state=0).fit(X).sample(2000, random_state=0)
    assert support_share(S, ring_centers(), 0.05) >= 0.984 - 0.10
    assert multiscale_mmd2(X_test, S, scales=(0.1,))[0.1] <= 3 * 0.0003 + 5e-4
    assert mode_coverage(S, ring_centers(), 0.05)[0] == 8


@pytest.mark.slow
def test_gan_reaches_the_moons_goal_at_the_defaults():
    # issue 12's goals with KernelDensity (bandwidth by CV) at 0.987 and -0.0002 on these sets
    # (the benchmark): the MMD^2 goal is then the 5e-4 noise floor, where the noise-free arcs
    # themselves score 0.0007 (the samples must be as wide as the data, not only on the arcs)
    from sklearn.datasets import make_moons

    X, _ = make_moons(2000, noise=0.05, random_state=0)
    X_test, _ = make_moons(2000, noise=0.05, random_state=1)
    S = GAN(max_epochs=300, random_state=0).fit(X).sample(2000, random_state=0)
    arcs, _ = make_moons(20_000, noise=0.0)
    assert support_share(S, arcs, 0.05) >= 0.987 - 0.10
    assert multiscale_mmd2(X_test, S, scales=(0.1,))[0.1] <= 3 * max(-0.0002, 0) + 5e-4


def test_gan_score_samples_far_from_the_data_is_a_clear_error():
    X, _ = make_ring(200, random_state=0)
    gan = GAN(max_epochs=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="not a finite number"):
        gan.score_samples(X * 1e300)


def test_gan_r1_penalty_is_half_gamma_times_the_squared_gradient_on_real_data():
    X, _ = make_ring(128, random_state=0)
    gan = GAN(max_epochs=1, batch_size=128, r1_penalty=2.0, spectral_norm=False, random_state=0)
    gan.fit(X)
    assert "r1_penalty" in gan.history_
    x = torch.as_tensor(gan.scaler_.transform(X), dtype=torch.float32).requires_grad_(True)
    (grad,) = torch.autograd.grad(gan.net_.discriminator_(x).sum(), x)
    expected = 0.5 * 2.0 * grad.pow(2).sum(dim=-1).mean().item()
    step = gan.net_.train_step((x.detach(), None))
    assert step["parts"]["r1_penalty"].item() == pytest.approx(expected, rel=1e-4)


def test_gan_minibatch_std_is_the_mean_feature_std_of_the_batch():
    from sklearn_notes.generative._nets import minibatch_std

    h = torch.tensor([[0.0, 1.0], [2.0, 5.0]])
    out = minibatch_std(h)
    # feature stds over the batch: 1 and 2, mean 1.5, appended to every row
    np.testing.assert_allclose(out[:, -1].numpy(), [1.5, 1.5])
    assert torch.equal(out[:, :2], h)
    # a collapsed batch (copies of one sample) has zero spread; a batch of one has none defined
    assert torch.all(minibatch_std(h[[0, 0, 0]])[:, -1] == 0)
    assert minibatch_std(h[:1])[0, -1].item() == 0


def test_gan_discriminator_sees_the_batch_spread_with_minibatch_std():
    X, _ = make_ring(256, random_state=0)
    gan = GAN(max_epochs=2, minibatch_std=True, random_state=0).fit(X)
    D = gan.net_.discriminator_
    x = torch.as_tensor(gan.scaler_.transform(X), dtype=torch.float32)
    with torch.no_grad():
        alone = D(x[:1])
        among_copies = D(x[[0] * 8])
        among_data = D(x)[:1]
    # the same sample is judged differently in a collapsed batch than among the real data
    assert torch.allclose(alone, among_copies)
    assert not torch.allclose(among_copies, among_data)


def test_gan_ttur_learning_rates_and_betas_reach_the_two_optimizers():
    X, _ = make_ring(200, random_state=0)
    gan = GAN(
        max_epochs=1, lr=1e-4, lr_discriminator=4e-4, adam_betas=(0.0, 0.99), random_state=0
    ).fit(X)
    (g_group,) = gan.net_.optimizer_.param_groups
    (d_group,) = gan.net_.optimizer_discriminator_.param_groups
    assert g_group["lr"] == 1e-4 and d_group["lr"] == 4e-4
    assert g_group["betas"] == d_group["betas"] == (0.0, 0.99)
    # None: the discriminator trains at the generator's rate
    gan = GAN(max_epochs=1, lr=3e-4, lr_discriminator=None, random_state=0).fit(X)
    assert gan.net_.optimizer_discriminator_.param_groups[0]["lr"] == 3e-4


def test_gan_cosine_schedule_anneals_each_rate_from_its_own_start():
    X, _ = make_ring(256, random_state=0)
    gan = GAN(
        max_epochs=3,
        batch_size=64,
        lr=1e-3,
        lr_discriminator=3e-3,
        lr_schedule="cosine",
        random_state=0,
    ).fit(X)
    total = 3 * 4  # steps: epochs x batches
    last = 0.5 * (1 + np.cos(np.pi * (total - 1) / total))  # the factor of the last step
    assert gan.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * last)
    assert gan.net_.optimizer_discriminator_.param_groups[0]["lr"] == pytest.approx(3e-3 * last)


@pytest.mark.parametrize("betas", [(0.5,), (0.5, 1.0), (-0.1, 0.9), ("a", 0.9)])
def test_gan_bad_adam_betas_are_a_clear_error(betas):
    X, _ = make_ring(50, random_state=0)
    with pytest.raises(ValueError, match="adam_betas"):
        GAN(max_epochs=1, adam_betas=betas).fit(X)


@pytest.mark.parametrize("scaling", ["standard", "minmax"])
def test_gan_score_samples_is_a_density_in_the_users_units(scaling):
    # the working range of 10 X is that of X: the same model, its density 10^-d times as high
    X, _ = make_ring(200, random_state=0)
    small = GAN(max_epochs=2, scaling=scaling, random_state=0).fit(X)
    large = GAN(max_epochs=2, scaling=scaling, random_state=0).fit(10 * X)
    np.testing.assert_allclose(
        large.score_samples(10 * X[:20]), small.score_samples(X[:20]) - 2 * np.log(10), atol=1e-3
    )


def test_gan_minmax_scaling_keeps_samples_inside_the_training_box():
    X, _ = make_ring(200, random_state=0)
    gan = GAN(max_epochs=2, scaling="minmax", random_state=0).fit(X)
    S = gan.sample(500, random_state=0)
    assert np.all((S >= X.min(axis=0)) & (S <= X.max(axis=0)))
    with pytest.raises(ValueError, match="overflows float64"):
        GAN(max_epochs=1, scaling="minmax").fit(np.array([[-1e308, 0.0], [1e308, 1.0]]))


@pytest.mark.parametrize(
    "n_features, hidden, lr",
    [(2, (64, 64), 7e-4), (16, (64, 64), 7e-4), (17, (68,) * 3, 1e-3), (200, (512,) * 3, 1e-3)],
)
def test_gan_auto_widths_and_rate_change_beyond_16_features(n_features, hidden, lr):
    X = np.random.RandomState(0).randn(40, n_features)
    gan = GAN(max_epochs=1, random_state=0).fit(X)
    assert gan.hidden_layer_sizes_ == hidden
    # the resolved rate is the one both optimizers start from (lr_discriminator=None)
    assert gan.lr_ == lr
    assert [g["lr"] for g in gan.net_.optimizer_.param_groups] == [lr]
    assert [g["lr"] for g in gan.net_.optimizer_discriminator_.param_groups] == [lr]
    assert GAN(lr=0.01, max_epochs=1).fit(X).lr_ == 0.01
    D = [
        m.out_features for m in gan.net_.discriminator_.modules() if isinstance(m, torch.nn.Linear)
    ]
    G = [m.out_features for m in gan.net_.module_.modules() if isinstance(m, torch.nn.Linear)]
    assert D == [*hidden, 1] and hidden[0] in G and max(G) == max(hidden[0], n_features)
    # warm start keeps the fitted networks' widths
    assert gan.set_params(warm_start=True).fit(X).hidden_layer_sizes_ == hidden


def test_gan_auto_scaling_is_minmax_for_pixels_and_standard_for_continuous_data():
    from sklearn.datasets import load_digits

    digits = load_digits().data[:300]
    X, _ = make_ring(300, random_state=0)
    assert GAN(max_epochs=1, random_state=0).fit(digits).scaling_ == "minmax"
    assert GAN(max_epochs=1, random_state=0).fit(X).scaling_ == "standard"
    # the threshold: on average a quarter of a feature's values at its minimum or maximum
    U = np.random.RandomState(0).uniform(size=(400, 2))  # one minimum and one maximum each
    U[:197, 0] = -1.0  # feature 0: 198 of 400 values at a bound, feature 1: 2 of 400
    assert GAN(max_epochs=1, random_state=0).fit(U).scaling_ == "minmax"  # (198 + 2) / 800
    U[196, 0] = 0.5
    assert GAN(max_epochs=1, random_state=0).fit(U).scaling_ == "standard"
    # an explicit choice is kept; the minmax generator's tanh output stays in the pixels' range
    gan = GAN(max_epochs=1, scaling="standard", random_state=0).fit(digits)
    assert gan.scaling_ == "standard" and isinstance(gan.scaler_, StandardScaler)
    S = GAN(max_epochs=1, random_state=0).fit(digits).sample(200, random_state=0)
    assert S.min() >= 0 and S.max() <= 16


@pytest.mark.slow
def test_gan_digits_reach_the_goals_at_the_defaults(read_digits):
    # issue 12's goals at the defaults: the "auto" scaling and widths (minmax, three layers of
    # 256) make the digits reachable without the example's settings
    assert_digits_goals(read_digits(GAN(max_epochs=300, random_state=0)))


@pytest.mark.bench
def test_gan_digits_reach_the_goals_with_the_examples_settings(read_digits):
    # bench, not slow: the defaults' test above holds the goals in CI; this one (2 minutes on 2
    # cores) guards the example's settings, also measured by bench_generative --quality ("GAN
    # (example)", 0.861)
    scores = read_digits(digits_model(GAN))
    assert_digits_goals(scores)


@pytest.mark.slow
def test_gan_conditional_digits_are_read_as_the_requested_class(read_digits):
    # shorter than the example (128-sample batches, 200 epochs): the labels make it easy
    scores = read_digits(digits_model(GAN, batch_size=128, max_epochs=200), conditional=True)
    assert scores["agreement"] >= 0.95  # issue 12's goal
    assert scores["confidence"] >= 0.85
