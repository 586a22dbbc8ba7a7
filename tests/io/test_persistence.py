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


# --- torch estimators nested in other objects ----------------------------------------------------


def _torch_data():
    rng = np.random.RandomState(0)
    return rng.randn(40, 4), np.arange(40) % 2


def _torch_outputs(model, X):
    """The deterministic outputs of a fitted model holding a torch generator or classifier."""
    if hasattr(model, "predict_proba"):
        return {"predict_proba": model.predict_proba(X)}
    final = model[-1] if hasattr(model, "steps") else model.best_estimator_
    return {"transform": model.transform(X), "sample": final.sample(5, random_state=0)}


def _node_ids(model):
    """Identity of each net and step of a pipeline or search: what a save must leave in place."""
    final = model[-1] if hasattr(model, "steps") else model.best_estimator_
    steps = model.steps if hasattr(model, "steps") else None
    return id(final), id(final.net_), id(steps), [id(step) for step in steps or ()]


def _check_round_trip(model, X, path, trusted=None):
    from skorch import NeuralNet

    before, ids = _torch_outputs(model, X), _node_ids(model)
    save(model, path)
    # the model saved is untouched: same objects, same outputs
    assert _node_ids(model) == ids
    after = _torch_outputs(model, X)
    restored = load(path, trusted=trusted)
    final = restored[-1] if hasattr(restored, "steps") else restored.best_estimator_
    assert isinstance(final.net_, NeuralNet)
    got = _torch_outputs(restored, X)
    assert before.keys() == got.keys()
    for method in before:
        np.testing.assert_array_equal(after[method], before[method], err_msg=method)
        np.testing.assert_array_equal(got[method], before[method], err_msg=method)


@pytest.mark.parametrize("name", ["VAE", "CNNClassifier"])
def test_save_load_pipeline_holding_a_torch_estimator(name, tmp_path):
    """The net inside a pipeline's step is saved as weights, the pipeline itself left intact."""
    pytest.importorskip("safetensors")
    pytest.importorskip("torch")
    import sklearn_notes

    X, y = _torch_data()
    estimator = getattr(sklearn_notes, name)(max_epochs=1, random_state=0)
    pipe = make_pipeline(StandardScaler(), estimator)
    pipe.fit(X, y) if name == "CNNClassifier" else pipe.fit(X)
    _check_round_trip(pipe, X, tmp_path / "pipe.skops.zip")
    with zipfile.ZipFile(tmp_path / "pipe.skops.zip") as z:
        keys = _tensor_keys(z.read("tensors.safetensors"))
    # named by their place in the pipeline: steps[1][1].net_
    assert keys and all(key.startswith("steps/1/1/net_/") for key in keys)


def test_save_load_grid_search_over_a_torch_estimator(tmp_path):
    """The fitted best_estimator_ (not a constructor parameter) holds the net."""
    pytest.importorskip("safetensors")
    pytest.importorskip("torch")
    from sklearn.model_selection import GridSearchCV

    from sklearn_notes import VAE

    X, _ = _torch_data()
    search = GridSearchCV(VAE(max_epochs=1, random_state=0), {"latent_dim": [1, 2]}, cv=2).fit(X)
    path = tmp_path / "search.skops.zip"
    save(search, path)
    # GridSearchCV's own helpers (its scorer, its splitter) are not skops-safe types; the
    # torch recipe must not add any to them.
    with pytest.raises(UntrustedTypeError) as exc:
        load(path)
    assert exc.value.types and all(t.startswith("sklearn.") for t in exc.value.types)
    _check_round_trip(search, X, path, trusted=exc.value.types)


def test_save_load_torch_estimator_in_containers_keeps_shared_references(tmp_path):
    """Dicts, lists, tuples and object arrays are walked; one estimator reached twice stays one."""
    pytest.importorskip("safetensors")
    pytest.importorskip("torch")
    from sklearn_notes import Autoencoder

    X, _ = _torch_data()
    ae = Autoencoder(max_epochs=1, random_state=0).fit(X)
    array = np.empty(2, dtype=object)
    array[0] = ae
    model, net = {"first": ae, "again": [ae], "pair": (1, ae), "array": array}, ae.net_
    path = save(model, tmp_path / "dict.skops.zip")
    assert ae.net_ is net and model["pair"][1] is ae and model["array"][0] is ae
    with zipfile.ZipFile(path) as z:
        keys = _tensor_keys(z.read("tensors.safetensors"))
    assert {key.split("/")[0] for key in keys} == {"first"}  # its weights saved once
    restored = load(path)
    first = restored["first"]
    assert restored["again"][0] is first and restored["pair"][1] is first
    assert restored["array"][0] is first and restored["array"][1] is None
    np.testing.assert_array_equal(first.transform(X), ae.transform(X))


def _tensor_keys(data):
    from safetensors.torch import load as load_tensors

    return list(load_tensors(data))


def test_load_reads_files_whose_saved_nets_have_no_prefix(tmp_path):
    """Files written before nested nets were saved name a net's weights by its attribute."""
    pytest.importorskip("safetensors")
    pytest.importorskip("torch")
    from sklearn_notes import Autoencoder

    X, _ = _torch_data()
    ae = Autoencoder(max_epochs=1, random_state=0).fit(X)
    path = save(ae, tmp_path / "ae.skops.zip")
    dropped = []

    def drop_prefixes(node):
        if isinstance(node, dict):
            if node.get("__class__") == "SavedNet":
                dropped.append(node["content"]["content"].pop("prefix"))
            for value in node.values():
                drop_prefixes(value)
        elif isinstance(node, list):
            for value in node:
                drop_prefixes(value)

    _rewrite_schema(path, drop_prefixes)
    assert len(dropped) == 1
    restored = load(path)
    np.testing.assert_array_equal(restored.transform(X), ae.transform(X))


def test_save_keeps_apart_nets_whose_paths_read_alike(tmp_path):
    """A dict key holding a "/" cannot make two nets share their weights' names."""
    pytest.importorskip("safetensors")
    pytest.importorskip("torch")
    from sklearn_notes import Autoencoder

    X, _ = _torch_data()
    first = Autoencoder(max_epochs=1, random_state=0).fit(X)
    second = Autoencoder(max_epochs=1, random_state=1).fit(X)
    restored = load(save({"a": first, "a/net_": second.net_}, tmp_path / "d.skops.zip"))
    np.testing.assert_array_equal(restored["a"].transform(X), first.transform(X))
    for got, expected in zip(
        restored["a/net_"].module_.parameters(), second.net_.module_.parameters()
    ):
        np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    assert not np.array_equal(first.transform(X), second.transform(X))


@pytest.mark.parametrize("name", ["VAE", "CNNClassifier"])
def test_load_leaves_torch_random_state_alone(name, tmp_path):
    """Rebuilding a net draws initial weights; load must not advance the caller's generator."""
    pytest.importorskip("safetensors")
    torch = pytest.importorskip("torch")
    import sklearn_notes

    X, y = _torch_data()
    estimator = getattr(sklearn_notes, name)(max_epochs=1, random_state=0)
    estimator.fit(X, y) if name == "CNNClassifier" else estimator.fit(X)
    path = save(estimator, tmp_path / "model.skops.zip")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    restored = load(path)
    assert torch.equal(torch.get_rng_state(), state)
    # the caller's next draws are the ones it would have got without the load
    np.testing.assert_array_equal(torch.rand(3).numpy(), expected.numpy())
    assert restored.net_.initialized_


def test_save_load_column_transformer_holding_a_torch_estimator(tmp_path):
    """The fitted transformers_ (clones of the constructor's transformers) hold the net."""
    pytest.importorskip("safetensors")
    pytest.importorskip("torch")
    from sklearn.compose import ColumnTransformer

    from sklearn_notes import Autoencoder

    X, _ = _torch_data()
    ae = Autoencoder(max_epochs=1, random_state=0)
    columns = ColumnTransformer([("ae", ae, [0, 1, 2]), ("rest", "passthrough", [3])]).fit(X)
    expected = columns.transform(X)
    path = save(columns, tmp_path / "columns.skops.zip")
    with zipfile.ZipFile(path) as z:
        keys = _tensor_keys(z.read("tensors.safetensors"))
    assert keys and all(key.startswith("transformers_/0/1/net_/") for key in keys)
    np.testing.assert_array_equal(load(path).transform(X), expected)
    np.testing.assert_array_equal(columns.transform(X), expected)
