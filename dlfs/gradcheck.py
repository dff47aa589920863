"""Gradient check: compare backpropagation with numerical differentiation.

Chapter "Gradient check" (``docs/gradient-check.md``) reproduces the notes'
table with this function and explains the thresholds.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

# Below this size a gradient is rounding noise, and a relative error means
# nothing: differences there are measured against this floor instead.
REL_FLOOR = 1e-8


class _Net(Protocol):
    params: dict[str, np.ndarray]

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]: ...

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]: ...


class GradCheck(NamedTuple):
    """How far apart the two gradients of one parameter are."""

    mean_abs_diff: float  # the book's figure: mean of |backprop - numerical|
    max_abs_diff: float
    max_rel_error: float  # max of |a - b| / max(|a|, |b|, REL_FLOOR)


# --8<-- [start:gradient_check]
def gradient_check(net: _Net, x: np.ndarray, t: np.ndarray) -> dict[str, GradCheck]:
    """Return, per parameter, how backprop's gradient differs from the numerical one.

    Parameters
    ----------
    net : a network with ``params``, ``gradient`` and ``numerical_gradient``
        such as `dlfs.nets.TwoLayerNet`; its parameters must be float64,
        or the numerical gradient is too coarse to check anything.
    x, t : a small batch (a few examples: the numerical side is slow)

    Returns
    -------
    dict of str to GradCheck
        ``mean_abs_diff``, ``max_abs_diff`` and ``max_rel_error`` per key.

    Examples
    --------
    >>> from dlfs.nets import TwoLayerNet
    >>> net = TwoLayerNet(4, 3, 2, weight_init_std=0.5, seed=0)
    >>> x = np.random.default_rng(0).standard_normal((2, 4))
    >>> result = gradient_check(net, x, np.array([0, 1]))
    >>> all(r.max_rel_error < 1e-6 for r in result.values())
    True
    """
    for key, p in net.params.items():
        if p.dtype != np.float64:
            raise TypeError(
                f"gradient_check needs float64 parameters; params[{key!r}] is {p.dtype}. "
                f"Build the net with dtype=np.float64."
            )
    numerical = net.numerical_gradient(x, t)
    backprop = net.gradient(x, t)
    result = {}
    for key in net.params:
        a, b = backprop[key], numerical[key]
        diff = np.abs(a - b)
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), REL_FLOOR)
        result[key] = GradCheck(float(diff.mean()), float(diff.max()), float((diff / scale).max()))
    return result
# --8<-- [end:gradient_check]
