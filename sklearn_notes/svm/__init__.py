"""Kernel support-vector machines solved by SMO (notes: hard/soft margin, dual, KKT, kernels)."""

__all__ = []
