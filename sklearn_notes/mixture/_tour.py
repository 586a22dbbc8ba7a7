"""Tour rows of the mixture family: GMMEM and KMeansEM next to GaussianMixture and KMeans.

Clusterings are scored by the adjusted Rand index of the predicted components against the true
classes on the held-out split; GMMEM is also scored by its own objective, the mean log-likelihood.
"""

from sklearn import cluster, mixture
from sklearn.metrics import adjusted_rand_score

from .._tour import TourEntry
from ._gmm import GMMEM
from ._kmeans import KMeansEM

_N_CLASSES = {"blobs": 4, "iris": 3}


def _ari(estimator, X, y):
    return adjusted_rand_score(y, estimator.predict(X))


TOUR = []
for _dataset, _k in _N_CLASSES.items():
    TOUR += [
        TourEntry(
            "GMMEM",
            _dataset,
            make=lambda quick, k=_k: GMMEM(k, n_init=3, random_state=0),
            reference=lambda quick, k=_k: mixture.GaussianMixture(k, n_init=3, random_state=0),
            score=_ari,
            score_name="ARI",
        ),
        TourEntry(
            "KMeansEM",
            _dataset,
            make=lambda quick, k=_k: KMeansEM(k, n_init=5, random_state=0),
            reference=lambda quick, k=_k: cluster.KMeans(k, n_init=5, random_state=0),
            score=_ari,
            score_name="ARI",
        ),
    ]
TOUR.append(
    TourEntry(
        "GMMEM",
        "blobs",
        make=lambda quick: GMMEM(4, covariance_type="diag", n_init=3, random_state=0),
        reference=lambda quick: mixture.GaussianMixture(
            4, covariance_type="diag", n_init=3, random_state=0
        ),
        score_name="mean log-likelihood",
    )
)
