"""Saving and loading estimators without pickle.

Unpickling a file runs whatever code the file names, so a model file from elsewhere is as
dangerous as a script. :func:`save` writes one zip archive that holds

* ``estimator.skops``: the estimator in skops' format [1]_, a JSON schema of the object tree whose
  loading only builds the types it is allowed to build;
* ``tensors.safetensors`` (torch estimators only): the networks' weights in the safetensors
  format [2]_, plain arrays with no code at all; the networks themselves are rebuilt from their
  recipe (class and constructor arguments), as a fit builds them;
* ``manifest.json``: the format version, the package version and the estimator's class.

:func:`load` trusts skops' own safe types, the classes defined in :mod:`sklearn_notes` and, for
the recipes of torch networks, torch's optimizer and layer classes; any other type named in the
file is refused with :class:`UntrustedTypeError` before anything is built,
unless the caller names it in ``trusted``.

References
----------
.. [1] skops, "Secure persistence with skops", https://skops.readthedocs.io/en/stable/persistence.html
.. [2] Hugging Face, "safetensors", https://huggingface.co/docs/safetensors
"""

import importlib
import inspect
import json
import zipfile

__all__ = ["UntrustedTypeError", "load", "save"]

_FORMAT = "sklearn-notes-model"
_VERSION = 1
_MANIFEST, _ESTIMATOR, _TENSORS = "manifest.json", "estimator.skops", "tensors.safetensors"


class UntrustedTypeError(ValueError):
    """A model file names a type that is neither skops-safe nor a class of sklearn-notes.

    Attributes
    ----------
    types : list of str
        The fully qualified names of the refused types.
    """

    def __init__(self, types):
        self.types = sorted(types)
        super().__init__(
            f"The model file names types that are not trusted: {self.types}. Loading would build "
            "them (and run their code); pass trusted=[...] with these names only if you trust "
            "the file's author."
        )


def _skops():
    try:
        import skops.io
    except ImportError as exc:  # the "io" extra
        raise ImportError(
            "sklearn_notes.io needs skops: pip install 'sklearn-notes[io]' (or pip install skops)"
        ) from exc
    return skops.io


def _is_package_class(name):
    """True when ``name`` ("module.Class") is a class defined in sklearn_notes itself."""
    module_name, _, attr = name.rpartition(".")
    if not (module_name == "sklearn_notes" or module_name.startswith("sklearn_notes.")):
        return False
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        return False
    return inspect.isclass(obj) and obj.__module__ == module_name


def save(estimator, path):
    """Save ``estimator`` (fitted or not) to ``path`` without pickle.

    Parameters
    ----------
    estimator : estimator instance
        Any estimator of sklearn-notes, or a scikit-learn object (a ``Pipeline``, say) holding them.
    path : str or path-like
        The file to write (conventionally ``*.skops.zip``); overwritten if it exists.

    Returns
    -------
    path : str or path-like
        ``path``, for chaining.

    See Also
    --------
    load : The inverse.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_notes import GaussianNB
    >>> from sklearn_notes.io import load, save
    >>> X, y = load_iris(return_X_y=True)
    >>> model = GaussianNB().fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skops.zip")
    >>> restored = load(save(model, path))
    >>> bool((restored.predict(X) == model.predict(X)).all())
    True
    """
    sio = _skops()
    shell, tensors = _split_torch_state(estimator)
    manifest = {
        "format": _FORMAT,
        "version": _VERSION,
        "sklearn_notes": _package_version(),
        "class": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        "tensors": bool(tensors),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_MANIFEST, json.dumps(manifest, indent=2))
        archive.writestr(_ESTIMATOR, sio.dumps(shell))
        if tensors:
            from safetensors.torch import save as save_tensors

            archive.writestr(_TENSORS, save_tensors(tensors))
    return path


def load(path, *, trusted=None):
    """Load an estimator written by :func:`save`, refusing any type that is not trusted.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : list of str, default=None
        Further fully qualified type names to trust (only for files whose author you trust). The
        classes of sklearn-notes and the types skops deems safe are always trusted.

    Returns
    -------
    estimator : estimator instance

    Raises
    ------
    UntrustedTypeError
        When the file names a type that is not trusted; nothing of the file has been built then.
    ValueError
        When ``path`` is not a file written by :func:`save`.
    """
    sio = _skops()
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(_MANIFEST))
            data = archive.read(_ESTIMATOR)
            tensor_bytes = archive.read(_TENSORS) if manifest.get("tensors") else None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path!s} is not a model file written by sklearn_notes.io.save") from exc
    if manifest.get("format") != _FORMAT or manifest.get("version") != _VERSION:
        raise ValueError(
            f"{path!s} has format {manifest.get('format')!r} version {manifest.get('version')!r}; "
            f"this sklearn-notes reads {_FORMAT!r} version {_VERSION}."
        )
    named = set(sio.get_untrusted_types(data=data))
    refused = {t for t in named if not (_is_package_class(t) or _is_torch_class(t))}
    refused -= set(trusted or ())
    if refused:
        raise UntrustedTypeError(refused)
    estimator = sio.loads(data, trusted=sorted(named))
    if tensor_bytes is not None:
        from safetensors.torch import load as load_tensors

        _restore_torch_state(estimator, load_tensors(tensor_bytes))
    return estimator


def _package_version():
    import sklearn_notes

    return sklearn_notes.__version__


# --- torch estimators ---------------------------------------------------------------------------
# A fitted torch estimator holds skorch nets. Each is saved as a recipe (its class and constructor
# arguments, which skorch's ``initialize`` turns back into modules, optimizer and criterion) plus
# the weights of its modules in safetensors; loading rebuilds the net from the recipe and loads the
# weights into it. The optimizers' moments are not saved: a warm start after loading starts Adam
# afresh.

#: Beyond the package's own classes, the torch / skorch classes a recipe may name (classes only:
#: the recipe's arguments to skorch, which builds them as a fit would).
_TORCH_BASES = {
    "torch.optim.": "torch.optim.Optimizer",
    "torch.nn.modules.": "torch.nn.Module",
}
_SKORCH_TYPES = {"skorch.dataset.Dataset", "skorch.dataset.ValidSplit", "skorch.history.History"}


class SavedNet:
    """What :func:`save` keeps of a skorch net: the recipe to rebuild it and its modules' layout.

    Parameters
    ----------
    net_class : type
        The skorch net's class.
    params : dict
        Its constructor arguments (``get_params(deep=False)``).
    modules : dict
        Module name -> ``{"dtype": str or None, "training": bool}``.
    history : list of dict
        The net's training history.
    """

    def __init__(self, net_class, params, modules, history):
        self.net_class = net_class
        self.params = params
        self.modules = modules
        self.history = history


def _is_torch_class(name):
    for prefix, base in _TORCH_BASES.items():
        if name.startswith(prefix):
            module_name, _, attr = name.rpartition(".")
            try:
                obj = getattr(importlib.import_module(module_name), attr)
                base_module, _, base_attr = base.rpartition(".")
                root = getattr(importlib.import_module(base_module), base_attr)
            except (ImportError, AttributeError):
                return False
            return inspect.isclass(obj) and issubclass(obj, root)
    return name in _SKORCH_TYPES


def _split_torch_state(estimator):
    """(a copy of the estimator with a SavedNet for each skorch net, {name: tensor})."""
    try:
        from skorch import NeuralNet
    except ImportError:
        return estimator, {}
    nets = {key: value for key, value in vars(estimator).items() if isinstance(value, NeuralNet)}
    if not nets:
        return estimator, {}
    import copy

    shell, tensors = copy.copy(estimator), {}
    for attr, net in nets.items():
        modules = {}
        for name in (*net._modules, *net._criteria):
            module = getattr(net, f"{name}_")
            floats = [p.dtype for p in module.state_dict().values() if p.is_floating_point()]
            modules[name] = {
                "dtype": str(floats[0]).removeprefix("torch.") if floats else None,
                "training": module.training,
            }
            for key, tensor in module.state_dict().items():
                tensors[f"{attr}/{name}/{key}"] = tensor.detach().cpu().contiguous()
        params = {k: v for k, v in net.get_params(deep=False).items() if not k.startswith("_")}
        history = [dict(row) for row in net.history]
        setattr(shell, attr, SavedNet(type(net), params, modules, history))
    return shell, tensors


def _restore_torch_state(estimator, tensors):
    import torch
    from skorch.history import History

    for attr, saved in list(vars(estimator).items()):
        if not isinstance(saved, SavedNet):
            continue
        net = saved.net_class(**saved.params).initialize()
        for name, info in saved.modules.items():
            module = getattr(net, f"{name}_")
            if info["dtype"] is not None:
                module.to(getattr(torch, info["dtype"]))
            prefix = f"{attr}/{name}/"
            module.load_state_dict(
                {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            )
            module.train(info["training"])
        net.history = History(saved.history)
        setattr(estimator, attr, net)
