"""Where a warning should point: the first frame of the user's code."""

import sys
from pathlib import Path

import sklearn

__all__ = ["user_stacklevel"]

_INTERNAL = (str(Path(__file__).parents[1]), str(Path(sklearn.__file__).parent))


def user_stacklevel():
    """``stacklevel`` for a ``warnings.warn`` in the caller: the first frame outside
    sklearn_notes and scikit-learn.

    A fixed stacklevel counts the frames of one call path; the decorators of ``fit``
    (``_fit_context``, ``atomic_fit``) and a subclass's extra layer shift it, and the warning then
    names a line of the package instead of the user's call.
    """
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    return level
