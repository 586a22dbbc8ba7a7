"""The forward process of diffusion models, in float64 numpy (no torch needed)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_notes.generative._schedules import (
    BETA_SCHEDULES,
    cosine_beta_schedule,
    diffusion_coefficients,
    forward_marginal,
    linear_beta_schedule,
    sampling_timesteps,
    simulate_forward_chain,
    training_timesteps,
)


@pytest.mark.parametrize("name", sorted(BETA_SCHEDULES))
@pytest.mark.parametrize("n_steps", [10, 100, 1000])
def test_schedules_are_valid_and_end_in_noise(name, n_steps):
    betas = BETA_SCHEDULES[name](n_steps)
    assert betas.shape == (n_steps,) and betas.dtype == np.float64
    assert np.all((betas > 0) & (betas < 1))
    abar = diffusion_coefficients(betas)["alphas_cumprod"]
    assert np.all(np.diff(abar) < 0)  # each step destroys more signal
    assert abar[-1] < 0.01  # x_T is (almost) pure noise, whatever T


def test_linear_schedule_matches_ho_et_al_at_1000_steps():
    np.testing.assert_allclose(linear_beta_schedule(1000)[[0, -1]], [1e-4, 0.02])


def test_cosine_schedule_alphas_cumprod_follows_the_cosine():
    T, s = 200, 0.008
    abar = np.cumprod(1 - cosine_beta_schedule(T, s))
    t = np.arange(1, T + 1) / T
    f = np.cos((t + s) / (1 + s) * np.pi / 2) ** 2 / np.cos(s / (1 + s) * np.pi / 2) ** 2
    # equal until the 0.999 clip of the very last betas
    np.testing.assert_allclose(abar[: T - 5], f[: T - 5], rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(
    x0=st.floats(-3, 3),
    t=st.integers(0, 49),
    name=st.sampled_from(sorted(BETA_SCHEDULES)),
)
def test_forward_marginal_matches_the_simulated_chain(x0, t, name):
    betas = BETA_SCHEDULES[name](50)
    abar = diffusion_coefficients(betas)["alphas_cumprod"]
    n = 20_000
    states = simulate_forward_chain(np.full((n, 1), x0), betas[: t + 1], random_state=t)
    mean, var = forward_marginal(x0, t, abar)
    # 5 standard errors of the Monte-Carlo mean and variance
    assert abs(states[t].mean() - mean) < 5 * np.sqrt(var / n)
    assert abs(states[t].var() - var) < 5 * var * np.sqrt(2 / n) + 1e-12


@settings(max_examples=10, deadline=None)
@given(var0=st.floats(0.01, 9.0), beta=st.floats(0.01, 0.2))
def test_forward_variance_stays_bounded_but_grows_without_the_shrink(var0, beta):
    T = 400
    betas = np.full(T, beta)
    x0 = np.sqrt(var0) * np.random.default_rng(0).standard_normal((4000, 1))
    with_shrink = simulate_forward_chain(x0, betas, random_state=1).var(axis=(1, 2))
    without = simulate_forward_chain(x0, betas, random_state=1, shrink=False).var(axis=(1, 2))
    # the notes' process: Var(x_t) = 1 - abar_t (1 - Var x0) stays within [min, max](1, Var x0)
    bound = max(1.0, x0.var()) * 1.1
    assert with_shrink.max() < bound
    # plain accumulation: Var(x_t) = Var x0 + t beta, unbounded as T grows
    np.testing.assert_allclose(without[-1], x0.var() + T * beta, rtol=0.1)
    assert without[-1] > 10 * bound or T * beta < 10 * bound


def test_forward_chain_ends_at_standard_normal():
    rng = np.random.default_rng(0)
    x0 = rng.choice([-3.0, 2.0], size=(20_000, 2))  # far from Gaussian
    xT = simulate_forward_chain(x0, linear_beta_schedule(1000), random_state=0)[-1]
    np.testing.assert_allclose(xT.mean(axis=0), 0, atol=0.03)
    np.testing.assert_allclose(np.cov(xT.T), np.eye(2), atol=0.05)
    # and Gaussian: the fourth standardized moment of N(0, 1) is 3
    np.testing.assert_allclose(np.mean(xT**4, axis=0), 3.0, atol=0.15)


@pytest.mark.parametrize("T, S", [(1000, 1000), (1000, 50), (10, 3), (5, 20)])
def test_sampling_timesteps_are_decreasing_and_end_at_zero(T, S):
    steps = sampling_timesteps(T, S)
    assert steps[0] == T - 1 and steps[-1] == 0
    assert np.all(np.diff(steps) < 0)
    assert len(steps) == min(S, T)


def test_sampling_timesteps_are_denser_at_low_noise():
    # quadratic spacing: small jumps near t = 0, where the fine structure is decided
    gaps = -np.diff(sampling_timesteps(1000, 20))
    assert gaps[-1] <= 3 < 50 < gaps[0]
    assert np.all(gaps[1:] <= gaps[:-1])


def test_diffusion_coefficients_reject_invalid_betas():
    with pytest.raises(ValueError, match="betas"):
        diffusion_coefficients([0.1, 1.0])


@pytest.mark.parametrize("name", sorted(BETA_SCHEDULES))
@pytest.mark.parametrize("shift", [-1.0, 0.5, np.log(32)])
def test_training_timesteps_shift_the_log_snr(name, shift):
    abar = diffusion_coefficients(BETA_SCHEDULES[name](1000))["alphas_cumprod"]
    log_snr = np.log(abar / (1 - abar))
    np.testing.assert_array_equal(training_timesteps(abar, 0.0), np.arange(1000))
    steps = training_timesteps(abar, shift)
    assert steps.dtype == np.int64 and np.all(np.diff(steps) >= 0)
    # each draw t trains the first step at or below log-SNR(t) + shift (or the last step)
    target = log_snr + shift
    inside = steps < 999
    assert np.all(log_snr[steps[inside]] <= target[inside] + 1e-12)
    before = steps[inside] - 1
    assert np.all((before < 0) | (log_snr[np.maximum(before, 0)] > target[inside]))
    # a positive shift trains at less noise than the uniform draw, a negative one at more
    assert np.all(steps <= np.arange(1000)) if shift > 0 else np.all(steps >= np.arange(1000))
