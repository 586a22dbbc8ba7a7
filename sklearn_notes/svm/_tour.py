"""Tour rows of the svm family: KernelSVC next to scikit-learn's SVC (libsvm), standardized data."""

from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from .._tour import TourEntry
from ._classes import KernelSVC


def _ours(quick):
    return make_pipeline(StandardScaler(), KernelSVC(kernel="rbf", C=1.0))


def _reference(quick):
    return make_pipeline(StandardScaler(), SVC(kernel="rbf", C=1.0))


TOUR = [
    TourEntry("KernelSVC", dataset, _ours, _reference, score_name="accuracy")
    for dataset in ("iris", "digits", "breast_cancer")
]
