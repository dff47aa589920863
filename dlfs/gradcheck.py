"""Gradient check: compare backpropagation with numerical differentiation.

Chapter "Gradient check" (``docs/gradient-check.md``) reproduces the notes'
table with this function and explains the thresholds.
"""

from __future__ import annotations

# --8<-- [start:imports]
from typing import NamedTuple

import numpy as np

# --8<-- [end:imports]
from dlfs.nets import Network

# --8<-- [start:gradient_check]
# Below this size a gradient is rounding noise, and a relative error means
# nothing: differences there are measured against this floor instead.
REL_FLOOR = 1e-8


class GradCheck(NamedTuple):
    """How far apart the two gradients of one parameter are, over `entries` entries."""

    mean_abs_diff: float  # the book's figure: mean of |backprop - numerical|
    max_abs_diff: float
    max_rel_error: float  # max of |a - b| / max(|a|, |b|, REL_FLOOR)
    entries: int  # how many entries were compared


def gradient_check(net: Network, x: np.ndarray, t: np.ndarray, *,
                   sample: int | None = None, seed: int = 0) -> dict[str, GradCheck]:
    """Return, per parameter, how backprop's gradient differs from the numerical one.

    Parameters
    ----------
    net : a network with ``params``, ``gradient`` and ``numerical_gradient``
        such as `dlfs.nets.TwoLayerNet`; its parameters must be float64,
        or the numerical gradient is too coarse to check anything.
    x, t : a small batch (a few examples: the numerical side is slow)
    sample : int, optional
        Compare only this many entries of each parameter, drawn at random
        (all of them for smaller arrays): a large network is checked in a
        fraction of the time. Default: every entry.
    seed : int, default 0
        Seeds the sample.

    Returns
    -------
    dict of str to GradCheck
        ``mean_abs_diff``, ``max_abs_diff``, ``max_rel_error`` and
        ``entries`` per key.

    Examples
    --------
    >>> from dlfs.nets import TwoLayerNet
    >>> net = TwoLayerNet(4, 3, 2, weight_init_std=0.5, seed=0)
    >>> x = np.random.default_rng(0).standard_normal((2, 4))
    >>> result = gradient_check(net, x, np.array([0, 1]))
    >>> all(r.max_rel_error < 1e-6 for r in result.values())
    True
    >>> [r.entries for r in gradient_check(net, x, np.array([0, 1]), sample=5).values()]
    [5, 3, 5, 2]
    """
    for key, p in net.params.items():
        if p.dtype != np.float64:
            raise TypeError(
                f"gradient_check needs float64 parameters; params[{key!r}] is {p.dtype}. "
                f"Build the net with dtype=np.float64."
            )
    indices = None
    if sample is not None:
        if not (isinstance(sample, (int, np.integer)) and sample >= 1):
            raise ValueError(f"sample must be an integer >= 1 or None, got {sample!r}")
        rng = np.random.default_rng(seed)
        indices = {key: [np.unravel_index(i, p.shape)
                         for i in np.sort(rng.choice(p.size, min(sample, p.size), replace=False))]
                   for key, p in net.params.items()}
    numerical = net.numerical_gradient(x, t, indices=indices)
    backprop = net.gradient(x, t)
    result = {}
    for key, p in net.params.items():
        checked = np.ones(p.shape, dtype=bool)  # every entry, or the sample
        if indices is not None:
            checked[:] = False
            checked[tuple(np.array(indices[key]).T)] = True
        a, b = backprop[key][checked], numerical[key][checked]
        diff = np.abs(a - b)
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), REL_FLOOR)
        result[key] = GradCheck(float(diff.mean()), float(diff.max()),
                                float((diff / scale).max()), int(checked.sum()))
    return result
# --8<-- [end:gradient_check]


# --8<-- [start:format_error]
def format_error(value: float, noise: float = 1e-6) -> str:
    """How a difference should be printed: its size to one digit, or ``"< 1e-06"`` below `noise`.

    Below the noise level a relative error is rounding noise: its digits
    depend on the order in which the sums were added up, so another
    processor, BLAS kernel or thread count prints others. Only the bound
    is the same everywhere.

    Examples
    --------
    >>> format_error(0.667), format_error(9.7e-08), format_error(3e-13, noise=1e-11)
    ('7e-01', '< 1e-06', '< 1e-11')
    """
    return f"< {noise:.0e}" if value < noise else f"{value:.0e}"
# --8<-- [end:format_error]
