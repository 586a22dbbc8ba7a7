"""One place to hold BLAS to a number of threads (threadpoolctl), shared by the families.

The controller is built on first use: discovering the loaded libraries takes milliseconds, which
``import sklearn_notes`` should not pay.
"""

from threadpoolctl import ThreadpoolController

__all__ = ["limit_blas"]

_CONTROLLER = []


def limit_blas(limit):
    """Context manager: BLAS libraries limited to ``limit`` threads inside the ``with`` block."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=limit, user_api="blas")
