"""Tour rows of the naive-Bayes family: GaussianNB next to scikit-learn's GaussianNB."""

from sklearn import naive_bayes

from .._tour import TourEntry
from ._gaussian import GaussianNB

TOUR = [
    TourEntry(
        "GaussianNB",
        dataset,
        make=lambda quick: GaussianNB(),
        reference=lambda quick: naive_bayes.GaussianNB(),
        score_name="accuracy",
    )
    for dataset in ("iris", "digits")
]
