"""Tour rows of the Bayesian-network family: BayesNet next to scikit-learn's CategoricalNB.

With ``edges=None`` a BayesNet is a discrete naive Bayes, so the counterpart is ``CategoricalNB``
(fed the same bins by ``KBinsDiscretizer`` where the data are continuous).
"""

import inspect

from sklearn.naive_bayes import CategoricalNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer

from .._tour import TourEntry
from ._bayes_net import BayesNet


def _binned_categorical_nb(n_bins):
    params = dict(n_bins=n_bins, encode="ordinal", strategy="quantile")
    if "quantile_method" in inspect.signature(KBinsDiscretizer).parameters:  # scikit-learn >= 1.7
        params["quantile_method"] = "inverted_cdf"  # the quantiles BayesNet uses
    binner = KBinsDiscretizer(**params)
    return make_pipeline(binner, CategoricalNB(min_categories=n_bins))


TOUR = [
    # Continuous features, cut into 5 quantile bins per column.
    TourEntry(
        "BayesNet",
        "breast_cancer",
        make=lambda quick: BayesNet(n_bins=5),
        reference=lambda quick: _binned_categorical_nb(5),
        score_name="accuracy",
    ),
    # 17 grey levels per pixel: ours bins them when asked (8 quantile bins; many coincide at 0),
    # the reference takes each level as a category.
    TourEntry(
        "BayesNet",
        "digits",
        make=lambda quick: BayesNet(discretize=True, n_bins=8),
        reference=lambda quick: CategoricalNB(min_categories=17),
        score_name="accuracy",
    ),
]
