"""Deep generative models: VAE, GAN, diffusion, autoencoder (notes: generative models).

torch is imported only when a model is fitted, so ``import sklearn_notes`` works without it.
"""

__all__ = []
