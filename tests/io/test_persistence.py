"""Secure persistence: round trips for every estimator, tampered files refused."""

import io
import json
import zipfile

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_blobs
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_notes import all_estimators
from sklearn_notes.io import UntrustedTypeError, load, save
from sklearn_notes.utils._test_common import construct_instance

pytest.importorskip("skops")

TORCH = {"VAE", "GAN", "DiffusionModel", "Autoencoder", "CNNClassifier", "RNNClassifier"}


def _data(name):
    X, y = load_iris(return_X_y=True)
    if name == "BayesNet":
        X = np.round(X).astype(int)
    return X, y


def _outputs(estimator, X):
    """Every deterministic output a fitted estimator gives on X."""
    out = {}
    for method in ("predict", "predict_proba", "decision_function", "transform", "score_samples"):
        if hasattr(estimator, method):
            try:
                out[method] = np.asarray(getattr(estimator, method)(X))
            except (NotImplementedError, AttributeError):
                pass
    if hasattr(estimator, "sample"):
        try:
            out["sample"] = np.asarray(estimator.sample(5, random_state=0))
        except TypeError:  # scikit-learn's signature (GMM): seeded by the model
            out["sample"] = np.asarray(estimator.sample(5)[0])
    return out


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", [n for n, _ in all_estimators()])
def test_save_load_round_trip_gives_identical_outputs(name, tmp_path):
    if name in TORCH:
        pytest.importorskip("safetensors")
    cls = dict(all_estimators())[name]
    X, y = _data(name)
    estimator = construct_instance(cls)
    try:
        estimator.fit(X, y)
    except TypeError:
        estimator.fit(X)
    restored = load(save(estimator, tmp_path / "model.skops.zip"))
    assert type(restored) is cls
    assert restored.get_params() == estimator.get_params()
    expected, got = _outputs(estimator, X), _outputs(restored, X)
    assert expected and expected.keys() == got.keys()
    for method in expected:
        np.testing.assert_array_equal(got[method], expected[method], err_msg=method)


def test_save_load_pipeline(tmp_path):
    from sklearn_notes import KernelSVC

    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), KernelSVC()).fit(X, y)
    restored = load(save(pipe, tmp_path / "pipe.skops.zip"))
    np.testing.assert_array_equal(restored.decision_function(X), pipe.decision_function(X))


def _rewrite_schema(path, edit):
    """Rewrite the estimator's skops schema inside a saved file, as an attacker would."""
    with zipfile.ZipFile(path) as outer:
        files = {name: outer.read(name) for name in outer.namelist()}
    inner = io.BytesIO(files["estimator.skops"])
    with zipfile.ZipFile(inner) as z:
        members = {name: z.read(name) for name in z.namelist()}
    schema = json.loads(members["schema.json"])
    edit(schema)
    members["schema.json"] = json.dumps(schema).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    files["estimator.skops"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as outer:
        for name, data in files.items():
            outer.writestr(name, data)


def test_tampered_file_naming_an_untrusted_type_is_refused(tmp_path):
    from sklearn_notes import GaussianNB

    X, y = load_iris(return_X_y=True)
    path = save(GaussianNB().fit(X, y), tmp_path / "model.skops.zip")

    def point_at_os_system(schema):
        schema["__module__"], schema["__class__"] = "os", "system"

    _rewrite_schema(path, point_at_os_system)
    with pytest.raises(UntrustedTypeError, match="os.system") as exc:
        load(path)
    assert exc.value.types == ["os.system"]


def test_tampered_file_naming_a_package_function_is_refused(tmp_path):
    """Only classes of the package are trusted, not any callable that lives in it."""
    from sklearn_notes import GMMEM

    X, _ = make_blobs(60, random_state=0)
    path = save(GMMEM(n_components=2, random_state=0).fit(X), tmp_path / "m.skops.zip")

    def point_at_a_function(schema):
        schema["__module__"], schema["__class__"] = "sklearn_notes.utils._examples", "save_figure"

    _rewrite_schema(path, point_at_a_function)
    with pytest.raises(UntrustedTypeError, match="save_figure"):
        load(path)


def test_load_rejects_files_not_written_by_save(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a model file"):
        load(bad)
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("manifest.json", json.dumps({"format": "other", "version": 9}))
        z.writestr("estimator.skops", b"")
    with pytest.raises(ValueError, match="format 'other'"):
        load(bad)


def test_tampered_torch_recipe_naming_a_function_is_refused(tmp_path):
    """The recipe of a torch net may name torch's optimizer and layer classes, not its functions."""
    pytest.importorskip("torch")
    from sklearn_notes import Autoencoder

    X, _ = load_iris(return_X_y=True)
    path = save(Autoencoder(max_epochs=2, random_state=0).fit(X), tmp_path / "ae.skops.zip")
    with zipfile.ZipFile(path) as z:
        assert "tensors.safetensors" in z.namelist()

    def point_at_torch_load(schema):
        schema["__module__"], schema["__class__"] = "torch.serialization", "load"

    _rewrite_schema(path, point_at_torch_load)
    with pytest.raises(UntrustedTypeError, match="torch.serialization.load"):
        load(path)
