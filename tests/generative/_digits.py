"""The digits goals of issue 12 and the settings that reach them, shared by the slow tests."""

from sklearn_notes.generative._tour import DIGITS_GOALS, DIGITS_MMD_GOAL, DIGITS_SETTINGS

# GaussianMixture(40, "full")'s MMD^2 to the held-out digits (bench_generative --quality, seed 0)
GMM_MMD2 = 0.0030


def digits_model(cls, **params):
    """``cls`` with the settings of examples/plot_digits_generators.py, seeded; ``params`` on top."""
    return cls(**{**DIGITS_SETTINGS[cls.__name__], "random_state": 0, **params})


def assert_digits_goals(scores):
    """Issue 12's goals for unconditional samples, on the scores of the ``read_digits`` fixture.

    Reader confidence >= 0.85 (real held-out digits: about 0.91), every class >= 4 % of the
    samples (no collapse), MMD^2 (0.3 x median) to the held-out digits <= 1.5 x
    GaussianMixture(40, "full")'s (0.0030) + 1e-3.
    """
    assert scores["confidence"] >= DIGITS_GOALS["confidence"]
    assert scores["min_class_share"] >= DIGITS_GOALS["min_class_share"]
    assert scores["mmd2"] <= DIGITS_MMD_GOAL[0] * GMM_MMD2 + DIGITS_MMD_GOAL[1]
