"""Shared fixtures: the real MNIST, when ``DLFS_DATA`` points at it."""

import os

import numpy as np
import pytest


def require_real_mnist() -> None:
    """Skip without DLFS_DATA on a developer's machine; fail in CI, where it must be set."""
    if not os.environ.get("DLFS_DATA"):
        message = "the real MNIST is read from $DLFS_DATA/mnist/; set DLFS_DATA to run this test"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must set it)")
        pytest.skip(message)


@pytest.fixture(scope="session")
def mnist():
    """``(x_train, t_train), (x_test, t_test)``, float64 pixels in [0, 1], label indices."""
    require_real_mnist()
    from dlfs.datasets import load_mnist

    return load_mnist(dtype=np.float64)


@pytest.fixture(scope="session")
def mnist32():
    """The same data as float32, the dtype fast training uses."""
    require_real_mnist()
    from dlfs.datasets import load_mnist

    return load_mnist(dtype=np.float32)
