"""MNIST for the book's computations: loaded once per process and dtype.

The pages load MNIST themselves with `dlfs.datasets.load_mnist`, as a
reader would; the book's modules share one copy per dtype through `mnist`.
"""

from __future__ import annotations

import functools

import numpy as np

from dlfs.datasets import load_mnist


@functools.lru_cache(maxsize=2)
def mnist(dtype: str = "float64") -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, t_train), (x_test, t_test)`` with pixels in [0, 1] as `dtype`.

    Shared: treat the arrays as read-only.
    """
    (x_train, t_train), (x_test, t_test) = load_mnist(dtype=np.dtype(dtype))
    for array in (x_train, t_train, x_test, t_test):
        array.flags.writeable = False  # shared by every caller in this process
    return (x_train, t_train), (x_test, t_test)
