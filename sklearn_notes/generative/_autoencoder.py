r"""The notes' autoencoder: dimensionality reduction, not a density model (concept map row 32).

The notes: "AE: the goal is a good latent variable z (dimensionality reduction); the VAE's goal is
the distribution p(x); only the architecture is alike". An encoder :math:`f` maps x to a
low-dimensional code :math:`z = f(x)`, a decoder :math:`g` maps it back, and both are trained to
minimize the reconstruction error

.. math:: \frac{1}{n d} \sum_i \lVert x_i - g(f(x_i)) \rVert^2 .

With linear layers the optimum spans the same subspace as PCA; the nonlinear layers let it follow
curved data. There is nothing to sample from: no prior on z is learned, so it has no ``sample``.
"""

import numbers

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval

from ..utils._torch import single_threaded
from ._base import BaseNeuralEstimator, _scaled, import_nets, shared_parameter_docs

__all__ = ["Autoencoder"]


@shared_parameter_docs
class Autoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseNeuralEstimator):
    """Autoencoder for nonlinear dimensionality reduction, trained with skorch.

    Read more in the :ref:`User Guide <generative>`.

    Parameters
    ----------
    latent_dim : int, default=2
        Size of the code ``z`` (the output dimension of ``transform``).
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Hidden widths of the encoder; the decoder mirrors them.
    max_epochs : int, default=100
        Passes over the data per call to ``fit``.
    batch_size : int, default=128
        Mini-batch size (capped at ``n_samples``).
    lr : float, default=1e-3
        Adam learning rate.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where torch trains; ``"auto"`` picks CUDA when available.
    %(training_parameters)s
    verbose : int, default=0
        0: silent; >= 1: one progress bar over the epochs, with the latest losses.
    warm_start : bool, default=False
        Continue training the fitted networks on the next ``fit``: ``max_epochs`` more
        epochs at the current ``lr`` and ``batch_size``, in the fitted scaling. Only those
        three and what sampling or scoring alone reads may change; any other changed
        parameter is a ``ValueError``: refit with ``warm_start=False``.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batches and noise: the same seed gives the same model on CPU.

    Attributes
    ----------
    scaler_ : StandardScaler
        Maps X to the working range (zero mean, unit variance) and back.
    hidden_layer_sizes_ : tuple of int
        The hidden widths of the fitted networks.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch encoder/decoder.
    history_ : dict of str -> list of float
        Per-epoch training loss, key ``"loss"`` (MSE in standardized units).
    device_ : str
        The device used.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string feature names.

    See Also
    --------
    sklearn.decomposition.PCA : The linear counterpart.
    VAE : Adds a prior on z, which makes it a generator.

    References
    ----------
    .. [1] Hinton, Salakhutdinov, "Reducing the Dimensionality of Data with Neural Networks",
       Science 313, 2006.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_notes import Autoencoder
    >>> X, _ = load_iris(return_X_y=True)
    >>> ae = Autoencoder(latent_dim=2, max_epochs=50, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (150, 2)
    >>> ae.inverse_transform(ae.transform(X)).shape
    (150, 4)
    """

    _net_parameters = ("latent_dim",)
    _parameter_constraints = {
        **BaseNeuralEstimator._parameter_constraints,
        **BaseNeuralEstimator._training_constraints,
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        latent_dim=2,
        *,
        hidden_layer_sizes=(64, 64),
        max_epochs=100,
        batch_size=128,
        lr=1e-3,
        device="cpu",
        n_jobs=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        verbose=0,
        warm_start=False,
        random_state=None,
    ):
        self.latent_dim = latent_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.device = device
        self.n_jobs = n_jobs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.verbose = verbose
        self.warm_start = warm_start
        self.random_state = random_state

    def _make_net(self, nets, n_features, hidden, common, Xs):
        import torch

        return nets.AutoencoderNet(
            nets.AutoencoderModule,
            module__n_features=n_features,
            module__latent_dim=self.latent_dim,
            module__hidden_layer_sizes=hidden,
            optimizer=torch.optim.Adam,
            **common,
        )

    @property
    def _n_features_out(self):
        return self.net_.module_.latent_dim  # the fitted one: set_params may have changed it

    def _module64(self):
        return import_nets().float64_copy(self.net_.module_)

    @single_threaded
    def transform(self, X):
        """Encode X: the codes ``z = f(x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
        """
        import torch

        X = self._validate(X)
        with torch.no_grad():
            return import_nets().as_numpy(self._module64().encoder(self._to_scaled_tensor(X)))

    @single_threaded
    def inverse_transform(self, X):
        """Decode codes back to the data space, in the units of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Codes, e.g. from ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        import torch

        Z = _check_codes(self, X)
        with torch.no_grad():
            Xs = self._module64().decoder(torch.as_tensor(Z, device=self.device_))
        return self.scaler_.inverse_transform(import_nets().as_numpy(Xs))

    @single_threaded
    def score(self, X, y=None):
        """Negative mean squared reconstruction error, in standardized units (higher is better).

        Each feature is measured in units of its training standard deviation, so every feature
        counts alike whatever its scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``-mean((x - g(f(x)))^2)``.
        """
        import torch

        X = self._validate(X)
        _scaled(self.scaler_, X)  # X beyond the working range: a ValueError instead of -inf
        Xs = self._to_scaled_tensor(X)
        with torch.no_grad():
            return -float(torch.mean((self._module64()(Xs) - Xs) ** 2))


def _check_codes(estimator, Z):
    """Validate latent codes for ``inverse_transform``."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    Z = check_array(Z, dtype=np.float64)
    latent_dim = estimator._n_features_out
    if Z.shape[1] != latent_dim:
        raise ValueError(
            f"X has {Z.shape[1]} features, but {type(estimator).__name__}.inverse_transform is "
            f"expecting {latent_dim} latent features as input."
        )
    return Z
