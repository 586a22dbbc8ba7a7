"""Discovery of the public estimators, so that nothing has to be registered by hand."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

__all__ = ["all_estimators", "family_modules"]


def family_modules():
    """Import and return every public subpackage of :mod:`sklearn_notes` (the families).

    Returns
    -------
    modules : list of module
        The subpackages found on disk whose name does not start with an underscore, sorted by name.
    """
    import sklearn_notes

    modules = []
    for info in pkgutil.iter_modules(sklearn_notes.__path__):
        if info.ispkg and not info.name.startswith("_"):
            modules.append(importlib.import_module(f"sklearn_notes.{info.name}"))
    return sorted(modules, key=lambda m: m.__name__)


def all_estimators():
    """List every public estimator of sklearn-notes.

    The list is discovered from what the family subpackages export (their ``__all__``): a new
    estimator is included the moment it is exported.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs sorted by name, for every concrete :class:`~sklearn.base.BaseEstimator`
        subclass exported by a family.

    Examples
    --------
    >>> from sklearn_notes import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> names == sorted(names)
    True
    """
    found = {}
    for module in family_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
                and not name.startswith("_")
            ):
                found[name] = obj
    return sorted(found.items())
