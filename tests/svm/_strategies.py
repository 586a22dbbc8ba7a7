"""Hypothesis strategies for the SVM tests: binary problems drawn point by point, so that a failing
example shrinks to a few points near the origin (not to another seed)."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# A grid of 0.001 in [-3, 3], every coordinate of a draw distinct: no two points coincide (twins
# with opposite labels make the dual's optimum non-unique and the kernel matrix singular), and
# distinct points stay apart in the float32 kernel (no entry rounds two of them together). The
# grid is fine enough that distinct draws rarely collide (a coarser one spends most of the
# drawing on retries).
COORDINATES = st.integers(-3000, 3000).map(lambda i: i / 1000)


@st.composite
def binary_problems(draw, min_samples, max_samples, n_features=3, separation=None):
    """``(X, y)``: ``y`` in {0, 1} with both classes present.

    Labels follow the sign of the first coordinate, with drawn flips (shrinking removes them), so
    that the classes overlap the way a noisy problem does. With ``separation``, the labels are
    drawn freely and the first coordinate of each class is moved by ``separation`` away from the
    other class: the classes are then linearly separable with a gap of at least ``2 separation -
    6`` along the first axis.
    """
    n = draw(st.integers(min_samples, max_samples))
    X = draw(arrays(np.float64, (n, n_features), elements=COORDINATES, unique=True))
    if separation is None:
        flips = draw(arrays(np.bool_, n, elements=st.booleans()))
        y = ((X[:, 0] > 0) ^ flips).astype(np.int64)
    else:
        y = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    y[:2] = [0, 1]  # both classes present
    if separation is not None:
        X[:, 0] += np.where(y == 1, separation, -separation)
    return X, y


def points(n, n_features=3):
    """``n`` points in [-4, 4]^d (where to compare decision functions; repeats allowed)."""
    return arrays(
        np.float64,
        (n, n_features),
        elements=st.floats(-4, 4, allow_nan=False, allow_subnormal=False),
    )
