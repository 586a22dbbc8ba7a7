"""Fixtures of the generator tests (torch threads are set once, in the root conftest.py)."""

import pytest


@pytest.fixture(scope="session")
def read_digits():
    """Fit a generator on the training split of the digits and read 500 of its samples with a
    classifier fitted on the same split only.

    Returns a function ``(model, conditional=False) -> reader_scores dict`` with also
    ``"mmd2"``, the squared MMD (0.3 x median) of the samples to the held-out digits; with
    ``conditional`` the model is fitted with the labels and asked for 50 samples of each class.
    """
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from sklearn_notes.generative import fit_reader
    from sklearn_notes.generative._tour import digits_scores

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    reader = fit_reader(X_train, y_train)

    def read(model, conditional=False):
        requested = np.arange(500) % 10 if conditional else None
        if conditional:
            S = model.fit(X_train, y_train).sample(500, random_state=0, y=requested)
        else:
            S = model.fit(X_train).sample(500, random_state=0)
        return digits_scores(reader, S, X_test, y=requested)

    return read
