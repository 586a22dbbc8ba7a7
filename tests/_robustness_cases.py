"""The hostile-input matrix of ``tests/test_robustness.py``, run for one estimator per process.

``python tests/_robustness_cases.py NAME`` fits estimator NAME on every hostile input, calls every
public method of the fitted model on every hostile input, and prints one JSON line per case:
``{"input": ..., "method": ..., "outcome": ..., "detail": ...}``. A line is printed (and flushed)
*before* each case starts, too, so that the parent names the case that hung if the process has to
be killed: numba loops cannot be interrupted by a signal, so the timeout is the parent's.

Outcomes: ``ok`` (finite outputs, no RuntimeWarning), ``rejected`` (a ValueError or TypeError:
the clear refusal we want for bad input) and the bad ones: ``wrong-error`` (any other exception,
including numpy's LinAlgError and FloatingPointError), ``non-finite`` (NaN or inf computed from
finite input), ``warning`` (a RuntimeWarning leaked to the user), ``changed`` (a failed refit left
the model different from before).
"""

import functools
import json
import pickle
import sys
import types
import warnings

import numpy as np

PREDICT_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "score_samples",
    "score",
)


def base_data(estimator, n=60, d=4, random_state=0):
    """Clean data the estimator's kind expects: labels for a classifier, codes for BayesNet."""
    from sklearn.base import is_classifier, is_regressor

    rng = np.random.default_rng(random_state)
    X = rng.normal(size=(n, d))
    y = None
    if is_classifier(estimator):
        y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    elif is_regressor(estimator):
        y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    if type(estimator).__name__ == "BayesNet":
        X = np.round(X).clip(-2, 2)
    return X, y


def hostile_inputs(X, y):
    """(name, X, y, sample_weight, when) cases; ``when`` is "fit" or "predict" (fit on clean)."""
    n, d = X.shape
    rng = np.random.default_rng(1)
    cases = [("clean", X, y, None, "fit")]
    for name, value in [("nan", np.nan), ("+inf", np.inf), ("-inf", -np.inf)]:
        Xb = X.copy()
        Xb[3, 1] = value
        cases += [(name, Xb, y, None, "fit"), (name, Xb, y, None, "predict")]
    for scale in (1e300, 1e150, 1e-150, 1e-300):
        cases += [(f"x{scale:g}", X * scale, y, None, "fit")]
        cases += [(f"x{scale:g}", X * scale, y, None, "predict")]
    Xc = X.copy()
    Xc[:, 1] = 3.0
    cases += [("constant-column", Xc, y, None, "fit")]
    cases += [("all-constant", np.ones_like(X), y, None, "fit")]
    cases += [
        (
            "duplicated-rows",
            np.repeat(X, 3, axis=0),
            None if y is None else np.repeat(y, 3),
            None,
            "fit",
        )
    ]
    cases += [("one-row", X[:1], None if y is None else y[:1], None, "fit")]
    if y is not None:
        cases += [("one-class", X, np.zeros_like(y), None, "fit")]
    wide = rng.normal(size=(6, 3 * d))
    cases += [("more-features-than-samples", wide, None if y is None else y[:6], None, "fit")]
    for dtype in (np.int64, np.bool_, np.float16, np.float32):
        cases += [(f"dtype-{np.dtype(dtype).name}", X.astype(dtype), y, None, "fit")]
    cases += [("dtype-object-numbers", X.astype(object), y, None, "fit")]
    Xs = X.astype(str).astype(object)
    Xs[0, 0] = "a"
    cases += [("strings", Xs, y, None, "fit"), ("strings", Xs, y, None, "predict")]
    cases += [("1-D", X[:, 0], y, None, "fit"), ("1-D", X[:, 0], y, None, "predict")]
    cases += [("3-D", X[:, :, None], y, None, "fit"), ("3-D", X[:, :, None], y, None, "predict")]
    cases += [("empty", X[:0], None if y is None else y[:0], None, "fit")]
    cases += [("feature-count-mismatch", X[:, :-1], y, None, "predict")]
    try:
        import scipy.sparse as sp

        cases += [("sparse-csr", sp.csr_matrix(X), y, None, "fit")]
        cases += [("sparse-csr", sp.csr_matrix(X), y, None, "predict")]
    except ImportError:  # pragma: no cover
        pass
    try:
        import pandas as pd

        df = pd.DataFrame(X, columns=[f"f{i}" for i in range(d)])
        cases += [("dataframe", df, y, None, "fit")]
        renamed = df.rename(columns={"f0": "other"})
        cases += [("dataframe-renamed-columns", renamed, y, None, "predict")]
    except ImportError:  # pragma: no cover
        pass
    w = np.ones(n)
    for name, weights in [("negative", -w), ("zero", 0 * w), ("nan", np.where(w, np.nan, 0))]:
        cases += [(f"sample_weight-{name}", X, y, weights, "fit")]
    one_negative = w.copy()
    one_negative[0] = -1.0
    cases += [("sample_weight-one-negative", X, y, one_negative, "fit")]
    return cases


def _finite(value):
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return True  # labels of another kind
    return bool(np.all(np.isfinite(arr)))


def _call(fn, finite_input):
    """Run fn; classify what happened."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn()
        except (ValueError, TypeError) as exc:
            if isinstance(exc, np.linalg.LinAlgError):
                return "wrong-error", f"LinAlgError: {exc}", None
            return "rejected", f"{type(exc).__name__}: {str(exc)[:200]}", None
        except Exception as exc:
            return "wrong-error", f"{type(exc).__name__}: {str(exc)[:200]}", None
    # ``score`` of a regressor is scikit-learn's R^2 (RegressorMixin): undefined for one sample
    # (NaN with an UndefinedMetricWarning), and its squares overflow for predictions at 1e300.
    # Those are scikit-learn's metric's answers, not ours.
    from sklearn.exceptions import UndefinedMetricWarning

    ours = [w for w in caught if "sklearn/metrics" not in w.filename.replace("\\", "/")]
    leaked = [w for w in ours if issubclass(w.category, RuntimeWarning)]
    if leaked:
        return "warning", f"{leaked[0].category.__name__}: {leaked[0].message}", out
    undefined = len(ours) < len(caught) or any(
        issubclass(w.category, UndefinedMetricWarning) for w in caught
    )
    if finite_input and not _finite(out) and not undefined:
        return "non-finite", "NaN or inf output", out
    return "ok", "", out


def _is_finite_input(X):
    try:
        import scipy.sparse as sp

        if sp.issparse(X):
            return bool(np.all(np.isfinite(X.data)))
    except ImportError:  # pragma: no cover
        pass
    try:
        return bool(np.all(np.isfinite(np.asarray(X, dtype=float))))
    except (TypeError, ValueError):
        return False


def _same_state(model, reference):
    """True when ``model`` holds the same attributes and values as the (unpickled) reference.

    The comparison walks the objects (arrays by value, torch tensors by value, containers and
    objects by their items), since two equal models need not pickle to the same bytes.
    """
    return _same(vars(model), vars(reference), set())


def _same(a, b, seen):
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if type(a).__module__.startswith("torch") and hasattr(a, "detach"):  # a tensor
        import torch

        return a.shape == b.shape and bool(torch.equal(a.detach().cpu(), b.detach().cpu()))
    if isinstance(a, type):
        return a is b
    if hasattr(a, "state_dict") and hasattr(a, "load_state_dict"):  # a torch module or optimizer
        return _same(a.state_dict(), b.state_dict(), seen)
    if (id(a), id(b)) in seen:
        return True
    seen.add((id(a), id(b)))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], seen) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, seen) for x, y in zip(a, b))
    if isinstance(a, functools.partial):
        return _same((a.func, a.args, a.keywords), (b.func, b.args, b.keywords), seen)
    if isinstance(a, types.MethodType):
        return a.__func__ is b.__func__ and _same(a.__self__, b.__self__, seen)
    if isinstance(a, (str, bytes, int, float, complex, bool, type(None))) or callable(a):
        try:
            return bool(a == b) or (a != a and b != b)  # NaN equals NaN here
        except Exception:
            return a is b
    if hasattr(a, "__dict__"):
        return _same(vars(a), vars(b), seen)
    try:
        return bool(a == b)
    except Exception:
        return pickle.dumps(a) == pickle.dumps(b)


def _fit_args(estimator, X, y, sample_weight):
    import inspect

    kwargs = {}
    if sample_weight is not None:
        if "sample_weight" not in inspect.signature(estimator.fit).parameters:
            return None
        kwargs["sample_weight"] = sample_weight
    return (X, y), kwargs


def _methods(estimator):
    names = [m for m in PREDICT_METHODS if hasattr(estimator, m)]
    if hasattr(estimator, "sample"):
        names.append("sample")
    return names


def _call_method(estimator, method, X, y):
    if method == "score":
        return lambda: estimator.score(X, y) if y is not None else estimator.score(X)
    if method == "sample":
        return lambda: estimator.sample(5, random_state=0)
    return lambda: getattr(estimator, method)(X)


def run(name):
    from sklearn.base import clone

    from sklearn_notes import all_estimators
    from sklearn_notes.utils._test_common import construct_instance

    cls = dict(all_estimators())[name]
    prototype = construct_instance(cls)
    X0, y0 = base_data(prototype)
    clean = clone(prototype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean.fit(X0, y0)
    clean_state = pickle.dumps(clean)

    def emit(record):
        print(json.dumps(record), flush=True)

    for input_name, X, y, weight, when in hostile_inputs(X0, y0):
        finite = _is_finite_input(X) and (weight is None or np.all(np.isfinite(weight)))
        if when == "fit":
            args = _fit_args(prototype, X, y, weight)
            if args is None:
                continue
            (Xf, yf), kwargs = args
            # A refit of a fitted model: on failure it must be left as it was.
            model = pickle.loads(clean_state)
            emit({"input": input_name, "method": "fit", "outcome": "started"})
            outcome, detail, _ = _call(lambda m=model, a=(Xf, yf), k=kwargs: m.fit(*a, **k), finite)
            if outcome != "ok":
                if outcome != "warning" and not _same_state(model, pickle.loads(clean_state)):
                    outcome, detail = "changed", f"failed refit changed the model ({detail})"
                emit({"input": input_name, "method": "fit", "outcome": outcome, "detail": detail})
                continue
            emit({"input": input_name, "method": "fit", "outcome": outcome, "detail": detail})
            Xp, yp = Xf, yf
        else:
            model = pickle.loads(clean_state)
            Xp, yp = X, y0 if y is None else y
            if Xp.shape[0] != X0.shape[0]:
                yp = None
        for method in _methods(model):
            emit({"input": input_name, "method": method, "outcome": "started"})
            if method == "score" and yp is None and (y0 is not None):
                continue
            outcome, detail, _ = _call(_call_method(model, method, Xp, yp), finite)
            emit({"input": input_name, "method": method, "outcome": outcome, "detail": detail})


if __name__ == "__main__":
    import threadpoolctl

    threadpoolctl.threadpool_limits(1)
    run(sys.argv[1])
