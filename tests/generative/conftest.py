"""Fixtures of the generator tests (torch threads are set once, in the root conftest.py)."""

import pytest


@pytest.fixture(scope="session")
def digit_classes():
    """Fit a generator on the digits and read its samples with a classifier of real digits.

    Returns a function ``model -> (number of classes among 500 samples, mean confidence)``.
    """
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    X, y = load_digits(return_X_y=True)
    reader = LogisticRegression(max_iter=2000).fit(X, y)

    def classes(model):
        S = np.clip(model.fit(X).sample(500, random_state=0), 0, 16)
        counts = np.bincount(reader.predict(S), minlength=10)
        return np.count_nonzero(counts), reader.predict_proba(S).max(axis=1).mean()

    return classes
