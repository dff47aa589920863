"""Activation functions and loss functions.

The chapter "Learning from data" (``docs/learning.md``) walks through these.
Every function takes NumPy arrays and returns new arrays; nothing is changed
in place. A batch is a 2-D array with one example per row.
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np

# --8<-- [end:imports]
from dlfs._checks import check_labels, check_same_shape


def step_function(x: np.ndarray) -> np.ndarray:
    """Return 1 where ``x > 0`` and 0 elsewhere, as integers.

    Examples
    --------
    >>> step_function(np.array([-1.0, 0.0, 2.0]))
    array([0, 0, 1])
    """
    return (np.asarray(x) > 0).astype(int)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Return the logistic function ``1 / (1 + exp(-x))`` elementwise.

    Written as ``0.5 * (1 + tanh(x / 2))``, which is the same function but
    never overflows for large negative ``x`` and keeps float32 as float32.

    Examples
    --------
    >>> sigmoid(np.array([-1000.0, 0.0, 2.0])).round(4)
    array([0.    , 0.5   , 0.8808])
    """
    x = np.asarray(x)
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# --8<-- [start:relu]
def relu(x: np.ndarray) -> np.ndarray:
    """Return ``max(0, x)`` elementwise.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(x, 0)
# --8<-- [end:relu]


# --8<-- [start:softmax]
def softmax(x: np.ndarray) -> np.ndarray:
    """Return the softmax of ``x`` along its last axis.

    Parameters
    ----------
    x : ndarray of shape (C,) or (N, C)
        Scores of one example, or of a batch with one example per row.

    Returns
    -------
    ndarray of the same shape
        Probabilities: each row is positive and sums to 1.

    Examples
    --------
    >>> softmax(np.array([1010.0, 1000.0, 990.0]))  # no overflow
    array([9.99954600e-01, 4.53978686e-05, 2.06106005e-09])
    """
    x = np.asarray(x)
    # Subtract the row max so exp() cannot overflow; softmax is unchanged by it.
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
# --8<-- [end:softmax]


# --8<-- [start:mean_squared_error]
def mean_squared_error(y: np.ndarray, t: np.ndarray) -> float:
    """Return ``0.5 * sum((y - t)**2)``, averaged over the batch.

    Parameters
    ----------
    y : ndarray of shape (C,) or (N, C)
        The network's outputs.
    t : ndarray of the same shape as `y`
        The targets (one-hot labels, for classification).

    Examples
    --------
    >>> t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    >>> y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    >>> print(f"{mean_squared_error(y, t):.4f}")
    0.0975
    """
    y, t = np.asarray(y), np.asarray(t)
    check_same_shape(y=y, t=t)
    per_example = 0.5 * np.sum((y - t) ** 2, axis=-1)
    return float(np.mean(per_example))
# --8<-- [end:mean_squared_error]


# --8<-- [start:cross_entropy_error]
# A probability below this is treated as this when taking its log, so a
# confident wrong answer costs log(1e7) ~ 16.1 instead of infinity.
LOG_FLOOR = 1e-7


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    """Return the cross-entropy ``-log y[correct class]``, averaged over the batch.

    Parameters
    ----------
    y : ndarray of shape (C,) or (N, C)
        Predicted probabilities (a softmax output).
    t : ndarray
        The labels, either one-hot with the shape of `y`, or class indices of
        shape () or (N,).

    Returns
    -------
    float
        The mean loss. Probabilities below ``LOG_FLOOR`` (1e-7) count as
        ``LOG_FLOOR``, so the loss stays finite when ``y`` holds a zero.

    Examples
    --------
    >>> y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    >>> print(f"{cross_entropy_error(y, np.array(2)):.4f}")
    0.5108
    >>> t = np.eye(10)[[2]]  # the same label, one-hot
    >>> print(f"{cross_entropy_error(y[None, :], t):.4f}")
    0.5108
    """
    y, t = np.asarray(y), np.asarray(t)
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    if y.ndim == 1 and t.shape == y.shape:
        t = t.reshape(1, -1)  # one example, one-hot
    if y2.ndim != 2:
        raise ValueError(f"y must have shape (C,) or (N, C), got shape {y.shape}")
    labels = check_labels(t, n=y2.shape[0], n_classes=y2.shape[1], name="t")
    picked = y2[np.arange(y2.shape[0]), labels]
    return float(-np.mean(np.log(np.maximum(picked, LOG_FLOOR))))
# --8<-- [end:cross_entropy_error]
