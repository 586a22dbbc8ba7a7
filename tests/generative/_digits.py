"""The digits goals of issue 12 and the settings that reach them, shared by the slow tests."""

from sklearn_notes.generative._tour import DIGITS_SETTINGS


def digits_model(cls, **params):
    """``cls`` with the settings of examples/plot_digits_generators.py, seeded; ``params`` on top."""
    return cls(**{**DIGITS_SETTINGS[cls.__name__], "random_state": 0, **params})


def assert_digits_goals(scores):
    """Issue 12's goals for unconditional samples, on the scores of the ``read_digits`` fixture.

    Reader confidence >= 0.85 (real held-out digits: about 0.91), every class >= 4 % of the
    samples (no collapse), MMD^2 (0.3 x median) to the held-out digits <= 1.5 x
    GaussianMixture(40, "full")'s (0.0030) + 1e-3.
    """
    assert scores["confidence"] >= 0.85
    assert scores["min_class_share"] >= 0.04
    assert scores["mmd2"] <= 1.5 * 0.0030 + 1e-3
