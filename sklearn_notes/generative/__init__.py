"""Deep generative models: VAE, GAN, diffusion, autoencoder (notes: generative models).

torch and skorch are imported only when a model is fitted or used, so ``import sklearn_notes``
works without them (they are the optional extra ``sklearn-notes[deep]``).
"""

from ._autoencoder import Autoencoder
from ._diffusion import DiffusionModel
from ._gan import GAN
from ._vae import VAE

__all__ = ["GAN", "VAE", "Autoencoder", "DiffusionModel"]
