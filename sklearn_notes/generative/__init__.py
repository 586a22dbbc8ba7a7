"""Deep generative models: VAE, GAN, diffusion, autoencoder, and how to judge them (notes:
generative models).

torch and skorch are imported only when a model is fitted or used, so ``import sklearn_notes``
works without them (they are the optional extra ``sklearn-notes[deep]``). The evaluation functions
need only numpy and scikit-learn.
"""

from ._autoencoder import Autoencoder
from ._diffusion import DiffusionModel
from ._evaluation import (
    control_samples,
    fit_reader,
    make_ring,
    mmd2,
    mode_coverage,
    multiscale_mmd2,
    precision_recall,
    reader_scores,
    ring_centers,
    support_share,
    support_spread,
)
from ._gan import GAN
from ._vae import VAE

__all__ = [
    "GAN",
    "VAE",
    "Autoencoder",
    "DiffusionModel",
    "control_samples",
    "fit_reader",
    "make_ring",
    "mmd2",
    "mode_coverage",
    "multiscale_mmd2",
    "precision_recall",
    "reader_scores",
    "ring_centers",
    "support_share",
    "support_spread",
]
