"""Class-conditional generation: ``fit(X, y)`` and ``sample(n_samples, y=labels)`` (private).

A generator fitted with labels learns :math:`p(x \\mid y)` for every class (each model in its own
way: the conditional VAE and GAN take the label as an input, the diffusion model adds a label
embedding and is guided without a classifier). Sampling then draws the classes asked for, or,
without ``y``, classes in the proportions of the training data.

:class:`ConditionalGeneratorMixin` goes before :class:`~._base.BaseGenerator` in a model's bases:
it encodes the labels, hands them to the training loop beside X and passes the requested labels
to the model's ``_sample_scaled(nets, n_samples, generator, labels)``.
"""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, check_is_fitted, column_or_1d

from ..utils._torch import seed_from, uses_n_jobs
from ._base import import_nets

__all__ = ["ConditionalGeneratorMixin"]


class ConditionalGeneratorMixin:
    """``fit(X, y=None)`` and ``sample(n_samples, random_state, y=None)`` for the generators."""

    def fit(self, X, y=None):
        """Train the model on X, class-conditionally when ``y`` is given.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, in any units: it is scaled internally and samples come back in the
            same units.
        y : array-like of shape (n_samples,), default=None
            Class labels. With them the model learns :math:`p(x \\mid y)` and
            ``sample(n, y=labels)`` draws the classes asked for.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        labels = None
        if y is not None:
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
            check_consistent_length(X, y)
            classes, codes = np.unique(y, return_inverse=True)
            if (
                self.warm_start
                and hasattr(self, "net_")
                and not np.array_equal(getattr(self, "classes_", None), classes)
            ):
                raise ValueError(
                    "warm_start continues the fitted model, whose classes were "
                    f"{getattr(self, 'classes_', None)}; got y with classes {classes}."
                )
            labels = (classes, codes.astype(np.int64))
        elif self.warm_start and hasattr(self, "classes_"):
            raise ValueError("warm_start continues a class-conditional model: pass y again.")
        # the labels reach _make_net and _train, which the base's fit calls, for this call only
        self._fit_labels = labels
        try:
            super().fit(X)
        finally:
            del self._fit_labels
        if labels is None:
            for name in ("classes_", "class_prior_"):
                self.__dict__.pop(name, None)
        else:
            self.classes_ = labels[0]
            self.class_prior_ = np.bincount(labels[1], minlength=len(labels[0])) / len(labels[1])
        return self

    def _n_classes(self):
        """Number of classes of the fit in progress (0: unconditional)."""
        labels = getattr(self, "_fit_labels", None)
        return 0 if labels is None else len(labels[0])

    def _train(self, net, data, **kwargs):
        labels = getattr(self, "_fit_labels", None)
        if labels is not None:
            data = (data, labels[1])
        return super()._train(net, data, **kwargs)

    def _sampling_labels(self, n_samples, y, generator):
        """Label codes (a torch int64 tensor) for ``n_samples`` samples, or None."""
        import torch

        if not hasattr(self, "classes_"):
            if y is not None:
                raise ValueError(
                    f"{type(self).__name__} was fitted without y; fit(X, y) to sample classes."
                )
            return None
        if y is None:  # classes in the training proportions
            prior = torch.as_tensor(self.class_prior_, dtype=torch.float64, device=self.device_)
            return torch.multinomial(prior, n_samples, replacement=True, generator=generator)
        y = np.asarray(y)
        y = np.full(n_samples, y.item(), dtype=y.dtype) if y.ndim == 0 else column_or_1d(y)
        if len(y) != n_samples:
            raise ValueError(f"y must be one label or {n_samples} labels, got {len(y)}.")
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"y has labels {unknown.tolist()} not seen in fit; the classes are "
                f"{self.classes_.tolist()}."
            )
        codes = np.searchsorted(self.classes_, y)
        return torch.as_tensor(codes, dtype=torch.int64, device=self.device_)

    @uses_n_jobs
    def sample(self, n_samples=1, random_state=None, y=None):
        """Generate new samples, in the units of the training data.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the sampling noise: the same value gives the same samples.
        y : label or array-like of shape (n_samples,), default=None
            Classes to draw, for a model fitted with ``y``; ``None`` draws classes in the
            proportions of the training data.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), float64
            Generated samples.
        """
        check_is_fitted(self)
        if (
            not isinstance(n_samples, numbers.Integral)
            or isinstance(n_samples, bool)
            or n_samples < 1
        ):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        nets = import_nets()
        generator = self._torch_generator(seed_from(check_random_state(random_state)))
        labels = self._sampling_labels(int(n_samples), y, generator)
        # samples are drawn in the networks' float32 (sampling is the costly part of diffusion);
        # the noise comes from a generator of its own, so global torch state is untouched
        Z = nets.as_numpy(self._sample_scaled(nets, int(n_samples), generator, labels))
        return self.scaler_.inverse_transform(Z)
