"""Numerical differentiation: derivatives and gradients from function values.

Chapters "Numerical differentiation" (``docs/numerical-diff.md``) and
"Partial derivatives and gradients" (``docs/gradients.md``) build these up.
The loop in `numerical_gradient` is the teaching code: one element at a time,
two function calls per element. It is exact enough to check backpropagation
and far too slow to train a real network (chapter "Training on MNIST").
For a network, `dlfs.fastgrad.fast_numerical_gradient` takes the same
differences from one forward pass and small updates, at a fraction of the cost.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

# --8<-- [end:imports]
from dlfs._checks import check_finite, check_positive, check_scalar

METHODS = ("central", "forward", "backward")


# --8<-- [start:numerical_diff]
def numerical_diff(
    f: Callable[[float], float], x: float, h: float = 1e-4, method: str = "central"
) -> float:
    """Return the derivative of `f` at `x` estimated by a finite difference.

    Parameters
    ----------
    f : callable
        A function of one real number.
    x : float
        Where to differentiate.
    h : float, default 1e-4
        The step. Too large and the difference quotient is a poor tangent;
        too small (1e-50) and rounding error swamps it.
    method : {"central", "forward", "backward"}
        ``(f(x+h) - f(x-h)) / 2h``, ``(f(x+h) - f(x)) / h`` or
        ``(f(x) - f(x-h)) / h``. Central is the most accurate: its error
        shrinks as h**2, the one-sided ones only as h.

    Examples
    --------
    >>> f = lambda x: 0.01 * x**2 + 0.1 * x
    >>> print(f"{numerical_diff(f, 5.0):.10f}")
    0.2000000000
    >>> print(f"{numerical_diff(f, 5.0, method='forward'):.10f}")
    0.2000010000
    """
    if method not in ("central", "forward", "backward"):
        raise ValueError(f"method must be one of ('central', 'forward', 'backward'), got {method!r}")
    check_positive(h, "h")
    if method == "central":
        return (f(x + h) - f(x - h)) / (2 * h)
    if method == "forward":
        return (f(x + h) - f(x)) / h
    return (f(x) - f(x - h)) / h
# --8<-- [end:numerical_diff]


# --8<-- [start:numerical_gradient]
def numerical_gradient(
    f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = 1e-4,
    *, indices: Iterable[tuple[int, ...]] | None = None,
) -> np.ndarray:
    """Return the gradient of `f` at `x` by central differences, element by element.

    `x` is nudged in place, one element at a time, and always put back
    (even if `f` raises), so `f` may read `x` by reference: that is how
    `TwoLayerNet.numerical_gradient` differentiates its weights.

    Parameters
    ----------
    f : callable
        Takes `x` and returns a scalar.
    x : ndarray of floats, any shape
        The point. Integer arrays are refused: ``x[i] + 1e-4`` would be
        truncated to an integer, and the gradient would be silently wrong.
    h : float, default 1e-4
    indices : iterable of index tuples, optional
        Differentiate only these entries (a sample, to check a large array
        quickly); the others are NaN. Default: every entry.

    Returns
    -------
    ndarray of the shape and dtype of `x`

    Examples
    --------
    >>> def function_2(x):
    ...     return x[0] ** 2 + x[1] ** 2
    >>> numerical_gradient(function_2, np.array([3.0, 4.0])).round(6)
    array([6., 8.])
    >>> numerical_gradient(function_2, np.array([3.0, 4.0]), indices=[(1,)]).round(6)
    array([nan,  8.])
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a NumPy array of floats, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x must have a floating dtype, got {x.dtype}: an integer array cannot hold "
            f"x + h (x[i] + {h:g} is truncated to an integer), so the gradient would be "
            f"silently wrong. Use x.astype(float)."
        )
    check_positive(h, "h")
    check_finite(x, "x")
    if indices is None:
        indices, grad = np.ndindex(x.shape), np.zeros_like(x)  # every element, in order
    else:
        indices = [tuple(idx) for idx in indices]
        if any(len(idx) != x.ndim for idx in indices):  # x[0] of a matrix is a whole row
            raise ValueError(f"indices must each name one entry of x, {x.ndim} integers, for shape {x.shape}")
        grad = np.full_like(x, np.nan)  # entries left out stay NaN
    for idx in indices:
        original = x[idx]
        try:
            x[idx] = original + h
            f_plus = check_scalar(f(x), f"x{list(idx)} + h")
            x[idx] = original - h
            f_minus = check_scalar(f(x), f"x{list(idx)} - h")
        finally:
            x[idx] = original  # put x back, whatever happened
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
# --8<-- [end:numerical_gradient]
