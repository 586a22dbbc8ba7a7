"""Class-conditional generation: ``fit(X, y)`` and ``sample(n_samples, y=labels)`` (private).

A generator fitted with labels learns :math:`p(x \\mid y)` for every class (each model in its own
way: the conditional VAE and GAN take the label as an input, the diffusion model adds a label
embedding and is guided without a classifier). Sampling then draws the classes asked for, or,
without ``y``, classes in the proportions of the training data.

:class:`ConditionalGeneratorMixin` goes before :class:`~._base.BaseGenerator` in a model's bases:
it encodes the labels and hands them to the training loop beside X; the base's ``sample`` asks its
``_sampling_labels`` for the label codes it passes to the model's
``_sample_scaled(nets, n_samples, generator, labels)``.
"""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d

__all__ = ["ConditionalGeneratorMixin"]


class ConditionalGeneratorMixin:
    """``fit(X, y=None)`` for the generators, and the labels that ``sample(n, y=...)`` asks for."""

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
            return super()._sampling_labels(n_samples, y, generator)
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
