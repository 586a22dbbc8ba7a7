"""Fixtures of the generator tests (torch threads are set once, in the root conftest.py)."""

import pytest


@pytest.fixture(scope="session")
def read_digits():
    """Fit a generator on the training split of the digits and read 500 of its samples with a
    classifier fitted on the same split only.

    Returns a function ``(model, conditional=False) -> reader_scores dict``; with
    ``conditional`` the model is fitted with the labels and asked for 50 samples of each class.
    """
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from sklearn_notes.generative import fit_reader, reader_scores

    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    reader = fit_reader(X_train, y_train)

    def read(model, conditional=False):
        if conditional:
            requested = np.arange(500) % 10
            S = model.fit(X_train, y_train).sample(500, random_state=0, y=requested)
            return reader_scores(reader, np.clip(S, 0, 16), y=requested)
        S = model.fit(X_train).sample(500, random_state=0)
        return reader_scores(reader, np.clip(S, 0, 16))

    return read
