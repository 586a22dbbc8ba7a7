"""Faults on every exported estimator: an interrupted fit, and reproducibility across processes.

* Ctrl-C in the middle of a refit: ``KeyboardInterrupt`` is raised from inside the training code
  (a trace function raises it at the k-th call of a sklearn_notes function, half-way through the
  calls a complete fit makes); the fit must re-raise it and leave the previous model exactly as
  it was.
* The same ``random_state`` gives bit-identical results in two fresh processes.
"""

import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from sklearn.base import clone

from sklearn_notes import all_estimators
from sklearn_notes.utils._test_common import construct_instance

sys.path.insert(0, str(Path(__file__).parent))
from _robustness_cases import _same_state, base_data

PACKAGE = str(Path(__file__).parents[1] / "sklearn_notes")


class _Interrupt:
    """A trace function counting calls into sklearn_notes; raises KeyboardInterrupt at call k."""

    def __init__(self, at=None):
        self.at, self.calls = at, 0

    def __call__(self, frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGE):
            self.calls += 1
            if self.at is not None and self.calls == self.at:
                raise KeyboardInterrupt
        return None

    def run(self, fn):
        sys.settrace(self)
        try:
            return fn()
        finally:
            sys.settrace(None)


@pytest.mark.parametrize("name", [name for name, _ in all_estimators()])
def test_interrupted_refit_reraises_and_keeps_the_previous_model(name):
    prototype = construct_instance(dict(all_estimators())[name])
    X_old, y_old = base_data(prototype, random_state=0)
    X_new, y_new = base_data(prototype, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = clone(prototype).fit(X_old, y_old)
        previous = pickle.loads(pickle.dumps(model))
        counter = _Interrupt()
        counter.run(lambda: clone(prototype).fit(X_new, y_new))
        assert counter.calls >= 4, "the fit makes too few Python calls to be interrupted"
        with pytest.raises(KeyboardInterrupt):
            _Interrupt(at=counter.calls // 2).run(lambda: model.fit(X_new, y_new))
    assert _same_state(model, previous)


_DIGESTS = """
import hashlib, sys, warnings
import numpy as np
sys.path.insert(0, {tests!r})
from _robustness_cases import base_data
from sklearn_notes import all_estimators
from sklearn_notes.utils._test_common import construct_instance
warnings.simplefilter("ignore")
for name, cls in all_estimators():
    model = construct_instance(cls)
    X, y = base_data(model)
    model.fit(X, y)
    h = hashlib.sha256()
    for method in ("predict", "predict_proba", "decision_function", "transform", "score_samples"):
        if hasattr(model, method):
            h.update(np.ascontiguousarray(getattr(model, method)(X)).tobytes())
    if hasattr(model, "sample"):
        h.update(np.ascontiguousarray(model.sample(5, random_state=0)).tobytes())
    print(name, h.hexdigest())
"""


@pytest.mark.slow
def test_same_random_state_gives_identical_results_in_two_processes():
    code = _DIGESTS.format(tests=str(Path(__file__).parent))
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
        ).stdout.split()
        for _ in range(2)
    ]
    first, second = (dict(zip(run[::2], run[1::2])) for run in runs)
    assert set(first) == {name for name, _ in all_estimators()}
    assert first == second


def test_interrupt_helper_counts_package_calls():
    """The fault injector itself: it sees the package's calls and raises where asked."""
    from sklearn_notes import GaussianNB

    X, y = base_data(GaussianNB())
    counter = _Interrupt()
    counter.run(lambda: GaussianNB().fit(X, y))
    assert counter.calls > 1
    with pytest.raises(KeyboardInterrupt):
        _Interrupt(at=1).run(lambda: GaussianNB().fit(X, y))
