"""MNIST for the book's computations: read once per process, converted as needed.

The pages load MNIST themselves with `dlfs.datasets.load_mnist`, as a
reader would. The book's modules share one copy of the raw bytes per
process, and convert to floats only what they use: the pixels come out
exactly as ``load_mnist`` gives them (``uint8 / 255`` in the dtype asked for).
"""

from __future__ import annotations

import functools

import numpy as np

from dlfs.datasets import load_mnist


@functools.lru_cache(maxsize=1)
def _raw() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False)
    for array in (x_train, t_train, x_test, t_test):
        array.flags.writeable = False  # shared by every caller in this process
    return (x_train, t_train), (x_test, t_test)


def _floats(images: np.ndarray, dtype: str) -> np.ndarray:
    x = images.astype(dtype)
    x /= 255  # as load_mnist normalizes
    return x


def train_set(indices: np.ndarray | slice | None = None, dtype: str = "float64") -> tuple[np.ndarray, np.ndarray]:
    """Training images (N, 784) in [0, 1] and their labels; all 60,000, or those at `indices`."""
    (x, t), _ = _raw()
    pick = slice(None) if indices is None else indices
    return _floats(x[pick], dtype), t[pick]


def test_set(indices: np.ndarray | slice | None = None, dtype: str = "float64") -> tuple[np.ndarray, np.ndarray]:
    """Test images (N, 784) in [0, 1] and their labels; all 10,000, or those at `indices`."""
    _, (x, t) = _raw()
    pick = slice(None) if indices is None else indices
    return _floats(x[pick], dtype), t[pick]


@functools.lru_cache(maxsize=2)
def mnist(dtype: str = "float64") -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, t_train), (x_test, t_test)``, all of them, with pixels in [0, 1] as `dtype`.

    Shared: treat the arrays as read-only.
    """
    train, test = train_set(dtype=dtype), test_set(dtype=dtype)
    for array in (*train, *test):
        array.flags.writeable = False
    return train, test
