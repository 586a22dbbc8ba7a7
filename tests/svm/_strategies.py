"""Hypothesis strategies for the SVM tests: binary problems drawn point by point, so that a failing
example shrinks to a few points near the origin (not to another seed)."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# Coordinates on a grid of 0.001 in [-3, 3], drawn as integers and then scaled (half the drawing
# time of a float strategy).
GRID = 1000
COORDINATES = st.integers(-3 * GRID, 3 * GRID)


@st.composite
def binary_problems(draw, min_samples, max_samples, n_features=3, separation=None):
    """``(X, y)``: ``y`` in {0, 1} with both classes present.

    The first coordinates are distinct, so no two points coincide (twins with opposite labels make
    the dual's optimum non-unique and the kernel matrix singular) and distinct points stay apart
    in the float32 kernel; the other coordinates are free. Every element is drawn (no fill value
    shared by most of the array).

    Labels follow the sign of the first coordinate, with drawn flips (shrinking removes them), so
    that the classes overlap the way a noisy problem does. With ``separation``, the labels are
    drawn freely and the first coordinate of each class is moved by ``separation`` away from the
    other class: the classes are then linearly separable with a gap of at least ``2 separation -
    6`` along the first axis.
    """
    n = draw(st.integers(min_samples, max_samples))
    first = draw(arrays(np.int64, n, elements=COORDINATES, unique=True))
    rest = draw(arrays(np.int64, (n, n_features - 1), elements=COORDINATES, fill=st.nothing()))
    X = np.column_stack([first, rest]) / GRID
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
    """``n`` points in [-4, 4]^d, every coordinate drawn (where to compare decision functions)."""
    return arrays(
        np.float64,
        (n, n_features),
        elements=st.floats(-4, 4, allow_nan=False, allow_subnormal=False),
        fill=st.nothing(),
    )
