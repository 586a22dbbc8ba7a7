"""Every public estimator documents exactly its parameters, its attributes and an example
(the idea of imbalanced-learn's test_docstring_parameters)."""

import inspect

import pytest
from numpydoc.docscrape import ClassDoc

from sklearn_notes import all_estimators

ESTIMATORS = all_estimators()


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=[name for name, _ in ESTIMATORS])
def test_estimator_docstring_matches_signature(name, cls):
    doc = ClassDoc(cls)
    documented = [p.name for p in doc["Parameters"]]
    # numpydoc allows "a, b : type" for parameters sharing a description
    documented = [part.strip() for entry in documented for part in entry.split(",")]
    signature = [p for p in inspect.signature(cls).parameters if p not in ("args", "kwargs")]
    assert documented == signature, f"{name}: docstring {documented} vs __init__ {signature}"
    assert doc["Attributes"], f"{name} documents no attributes"
    assert doc["Examples"], f"{name} has no Examples section"
    assert doc["Summary"], f"{name} has no summary line"
