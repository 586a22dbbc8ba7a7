"""Kernel support-vector machines solved by SMO (notes: hard/soft margin, dual, KKT, kernels)."""

from ._classes import KernelSVC

__all__ = ["KernelSVC"]
