"""Saving and loading estimators without pickle.

Unpickling a file runs whatever code the file names, so a model file from elsewhere is as
dangerous as a script. :func:`save` writes one zip archive that holds

* ``estimator.skops``: the estimator in skops' format [1]_, a JSON schema of the object tree whose
  loading only builds the types it is allowed to build;
* ``tensors.safetensors`` (torch estimators only): the networks' weights in the safetensors
  format [2]_, plain arrays with no code at all; the networks themselves are rebuilt from their
  recipe (class and constructor arguments), as a fit builds them. This holds for every torch
  estimator the saved object reaches: a pipeline's step, a search's ``best_estimator_``, an item
  of a list or dict;
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

    Notes
    -----
    Loading a torch estimator leaves torch's global random state as it was, as its ``fit`` and
    ``sample`` do.
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

        estimator = _restore_torch_state(estimator, load_tensors(tensor_bytes))
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
    prefix : str, default=None
        The key prefix of its weights in ``tensors.safetensors``: the net's path in the saved
        object (``"net_"`` for an estimator saved alone, ``"steps/1/1/net_"`` in a pipeline's
        second step). None, in files written before nested nets were saved, means the name of
        the attribute holding it.
    """

    def __init__(self, net_class, params, modules, history, prefix=None):
        self.net_class = net_class
        self.params = params
        self.modules = modules
        self.history = history
        self.prefix = prefix


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


# --- walking the object graph --------------------------------------------------------------------
# A torch estimator may sit anywhere in what is saved: a Pipeline's steps (a list of tuples), a
# ColumnTransformer's fitted transformers_, GridSearchCV's best_estimator_, a dict or an object
# array of cv_results_. get_params(deep=True) only reaches constructor parameters, not fitted
# attributes, so the walk follows what skops itself serializes: dicts, lists, tuples, object
# arrays and the __dict__ of objects.

_LEAVES = (str, bytes, int, float, complex, bool, type(None))


def _substitute(obj, replace):
    """``obj`` with ``replace(node, path)`` put in place of each node for which it is not None.

    Containers and objects on the way to a replaced node are shallow copies; everything else,
    ``obj`` included when nothing is replaced, is shared, and nothing reachable from ``obj`` is
    modified. A node reached twice is replaced once, so shared references stay shared.

    Parameters
    ----------
    obj : object
        The root of the object graph.
    replace : callable
        ``replace(node, path) -> object or None``; ``path`` is the tuple of attribute names, keys
        and indices leading from ``obj`` to ``node``. A replaced node is not walked into.

    Returns
    -------
    new_obj : object
    """
    import copy
    import types

    import numpy as np

    memo = {}
    opaque = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)

    def visit(node, path):
        if isinstance(node, _LEAVES) or isinstance(node, opaque):
            return node
        if isinstance(node, np.ndarray) and node.dtype != object:
            return node
        if id(node) in memo:
            return memo[id(node)]
        # A cycle back to ``node`` meets it unchanged; estimators hold no cycles through a net.
        memo[id(node)] = node
        new = replace(node, path)
        if new is None:
            new = children(node, path)
        memo[id(node)] = new
        return new

    def changed(items, path):
        """{key: new value} for the items whose walk replaced something."""
        out = {}
        for key, value in items:
            new = visit(value, (*path, key))
            if new is not value:
                out[key] = new
        return out

    def children(node, path):
        if isinstance(node, dict):
            diff = changed(node.items(), path)
            if diff:
                node = copy.copy(node)
                node.update(diff)
            return node
        if isinstance(node, list | tuple):
            diff = changed(enumerate(node), path)
            if not diff:
                return node
            items = [diff.get(i, item) for i, item in enumerate(node)]
            if isinstance(node, list):
                new = copy.copy(node)
                new[:] = items
                return new
            return type(node)._make(items) if hasattr(node, "_make") else type(node)(items)
        if isinstance(node, np.ndarray):  # dtype object: skops saves its items
            diff = changed(enumerate(node.flat), path)
            if not diff:
                return node
            new = node.copy()
            flat = new.reshape(-1)  # a view: copy() is contiguous
            for i, item in diff.items():
                flat[i] = item
            return new
        if isinstance(node, types.MethodType):  # skops saves a bound method's object
            owner = visit(node.__self__, (*path, "__self__"))
            return node if owner is node.__self__ else types.MethodType(node.__func__, owner)
        state = getattr(node, "__dict__", None)
        if not isinstance(state, dict):
            return node
        diff = changed(state.items(), path)
        if not diff:
            return node
        new = copy.copy(node)
        vars(new).update(diff)
        return new

    return visit(obj, ())


# --- torch estimators ----------------------------------------------------------------------------


def _split_torch_state(estimator):
    """(``estimator`` with a SavedNet for each skorch net reachable from it, {name: tensor}).

    ``estimator`` itself is left as it was: the objects on the way to a net are shallow copies.
    """
    try:
        from skorch import NeuralNet
    except ImportError:
        return estimator, {}
    tensors = {}

    def to_saved(node, path):
        if not isinstance(node, NeuralNet):
            return None
        prefix = "/".join(map(str, path))
        if any(key.startswith(f"{prefix}/") for key in tensors):  # a dict key "a/net_" vs a.net_
            prefix = f"{prefix}#{len(tensors)}"
        return _saved_net(node, prefix, tensors)

    return _substitute(estimator, to_saved), tensors


def _saved_net(net, prefix, tensors):
    """A SavedNet for ``net``; its modules' weights go into ``tensors`` under ``prefix``."""
    modules = {}
    for name in (*net._modules, *net._criteria):
        module = getattr(net, f"{name}_")
        floats = [p.dtype for p in module.state_dict().values() if p.is_floating_point()]
        modules[name] = {
            "dtype": str(floats[0]).removeprefix("torch.") if floats else None,
            "training": module.training,
        }
        for key, tensor in module.state_dict().items():
            tensors[f"{prefix}/{name}/{key}"] = tensor.detach().cpu().contiguous()
    params = {k: v for k, v in net.get_params(deep=False).items() if not k.startswith("_")}
    history = [dict(row) for row in net.history]
    return SavedNet(type(net), params, modules, history, prefix)


def _restore_torch_state(estimator, tensors):
    """``estimator`` (freshly loaded) with each SavedNet in it rebuilt into a skorch net."""

    def to_net(node, path):
        if not isinstance(node, SavedNet):
            return None
        prefix = node.prefix if getattr(node, "prefix", None) is not None else path[-1]
        return _rebuild_net(node, prefix, tensors)

    return _substitute(estimator, to_net)


def _rebuild_net(saved, prefix, tensors):
    import torch
    from skorch.history import History

    from ..utils._torch import torch_seeded

    # initialize() draws initial weights that the saved ones overwrite; drawing them on a fork of
    # torch's generator leaves the caller's random stream where it was, as fit and sample do.
    with torch_seeded(device=str(saved.params.get("device", "cpu"))):
        net = saved.net_class(**saved.params).initialize()
    for name, info in saved.modules.items():
        module = getattr(net, f"{name}_")
        if info["dtype"] is not None:
            module.to(getattr(torch, info["dtype"]))
        start = f"{prefix}/{name}/"
        module.load_state_dict(
            {k[len(start) :]: v for k, v in tensors.items() if k.startswith(start)}
        )
        module.train(info["training"])
    net.history = History(saved.history)
    return net
