"""The notes' claim on GD, SGD and mini-batches (concept 7), asserted with numbers.

"SGD: one random sample per step: fast, but unstable; minibatch: M samples". Every regime pays
the same per epoch (one pass over the data: n per-sample gradients); GD spends it on one step,
SGD on n steps and mini-batches on n / M steps. So per epoch, SGD gets much closer to the optimum
at first, while its loss curve goes up and down where GD's only goes down; all of them end in the
optimum's neighbourhood. Same data and settings as ``examples/plot_gd_vs_sgd.py``.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_notes import LogisticRegressionGD

ALPHA, EPOCHS = 1e-3, 30
REGIMES = {
    "gd": dict(solver="gd", accelerated=False),
    "minibatch": dict(solver="minibatch", learning_rate="constant", eta0=0.05),
    "sgd": dict(solver="sgd", learning_rate="constant", eta0=0.05),
}


@pytest.fixture(scope="module")
def curves():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    optimum = LogisticRegressionGD(alpha=ALPHA, tol=1e-12, max_iter=20_000).fit(X, y)
    gaps = {}
    for name, params in REGIMES.items():
        clf = LogisticRegressionGD(
            alpha=ALPHA, max_iter=EPOCHS, tol=0.0, n_iter_no_change=EPOCHS, random_state=0, **params
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0: every epoch runs
            clf.fit(X, y)
        gaps[name] = np.asarray(clf.loss_curve_) - optimum.loss_curve_[-1]
    return gaps


def _upward_movement(gap):
    return float(np.sum(np.maximum(np.diff(gap), 0.0)))


def test_sgd_gets_closest_after_one_epoch(curves):
    """Same cost (one pass), more steps: after one epoch SGD < minibatch < GD, by far."""
    first = {name: gap[0] for name, gap in curves.items()}
    assert first["sgd"] < first["minibatch"] < first["gd"]
    assert first["sgd"] < first["gd"] / 5


def test_sgd_is_unstable_gd_is_monotone(curves):
    assert _upward_movement(curves["gd"]) == 0.0  # full-batch steps of 1/L never go up
    # one-sample steps do, by as much as SGD's whole distance to the optimum
    assert _upward_movement(curves["sgd"]) > 0.5 * curves["sgd"].mean()


def test_every_regime_reaches_the_optimum_neighbourhood(curves):
    for name, gap in curves.items():
        assert gap.min() >= -1e-9, name  # the optimum is a lower bound
        assert gap[-1] < 0.06, name  # from 0.27 (GD) after the first epoch
