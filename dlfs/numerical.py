"""Numerical differentiation: derivatives and gradients from function values.

Chapters "Numerical differentiation" (``docs/numerical-diff.md``) and
"Partial derivatives and gradients" (``docs/gradients.md``) build these up.
The loop in `numerical_gradient` is the teaching code: one element at a time,
two function calls per element. It is exact enough to check backpropagation
and far too slow to train a real network (chapter "Training on MNIST").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlfs._checks import check_finite, check_positive

_METHODS = ("central", "forward", "backward")


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
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    check_positive(h, "h")
    if method == "central":
        return (f(x + h) - f(x - h)) / (2 * h)
    if method == "forward":
        return (f(x + h) - f(x)) / h
    return (f(x) - f(x - h)) / h
# --8<-- [end:numerical_diff]


def _scalar(value: object, where: str) -> float:
    """Return `value` as a float, or say clearly that `f` must return a scalar."""
    if np.ndim(value) != 0:
        raise ValueError(
            f"f must return a scalar; it returned shape {np.shape(value)} at {where}"
        )
    return float(value)  # type: ignore[arg-type]


# --8<-- [start:numerical_gradient]
def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4
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
        truncated back to ``x[i]`` and the gradient would silently be 0.
    h : float, default 1e-4

    Returns
    -------
    ndarray of the shape and dtype of `x`

    Examples
    --------
    >>> def function_2(x):
    ...     return x[0] ** 2 + x[1] ** 2
    >>> numerical_gradient(function_2, np.array([3.0, 4.0])).round(6)
    array([6., 8.])
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a NumPy array of floats, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x must have a floating dtype, got {x.dtype}: an integer array cannot "
            f"hold x + h, so every gradient would be 0. Use x.astype(float)."
        )
    check_positive(h, "h")
    check_finite(x, "x")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):  # every element of an N-D array, in order
        original = x[idx]
        try:
            x[idx] = original + h
            f_plus = _scalar(f(x), f"x{list(idx)} + h")
            x[idx] = original - h
            f_minus = _scalar(f(x), f"x{list(idx)} - h")
        finally:
            x[idx] = original  # put x back, whatever happened
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
# --8<-- [end:numerical_gradient]
