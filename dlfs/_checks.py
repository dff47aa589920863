"""Input checks shared by the modules.

Each check raises an error that names the argument, what was expected and
what arrived, so a learner never has to decode a NumPy traceback from deep
inside a layer. The chapters show this file once (chapter 1), because the
implementations they show call these functions.
"""

from __future__ import annotations

# --8<-- [start:imports]
from typing import Any, TypeVar

import numpy as np

# --8<-- [end:imports]


# --8<-- [start:checks]
T = TypeVar("T")


def check_positive(value: float, name: str) -> None:
    """Raise ValueError unless `value` is a finite number > 0."""
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_finite(x: np.ndarray, name: str) -> None:
    """Raise ValueError if `x` holds NaN or infinity."""
    # A finite sum means every value is finite (NaN and inf would spread into it);
    # it costs a fraction of isfinite(x).all(), which runs only when the sum is not.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(x)):
            return
    if not np.isfinite(x).all():
        bad = np.count_nonzero(~np.isfinite(x))
        raise ValueError(f"{name} must be finite; got {bad} NaN or inf value(s) in shape {x.shape}")


def check_scalar(value: Any, where: str) -> float:
    """Return `value` as a float, or say clearly that a function had to return a scalar."""
    if np.ndim(value) != 0:
        raise ValueError(f"f must return a scalar; it returned shape {np.shape(value)} at {where}")
    return float(value)


def from_forward(value: T | None, layer: object) -> T:
    """Return what a layer's `forward` cached, or say that `backward` came first."""
    if value is None:
        raise RuntimeError(f"{type(layer).__name__}.backward was called before forward: nothing is cached yet")
    return value


def check_same_shape(**arrays: np.ndarray) -> None:
    """Raise ValueError unless all the named arrays have one shape."""
    (name0, a0), *rest = arrays.items()
    for name, a in rest:
        if a.shape != a0.shape:
            raise ValueError(f"{name} must have the shape of {name0}, {a0.shape}; got shape {a.shape}")


def check_labels(t: np.ndarray, n: int, n_classes: int, name: str = "t") -> np.ndarray:
    """Return `t` as class indices of shape (n,), checking what was passed.

    `t` may be class indices of shape (n,) (or () when ``n == 1``) or one-hot
    rows of shape (n, n_classes).
    """
    t = np.asarray(t)
    if t.ndim == 2:
        if t.shape != (n, n_classes):
            raise ValueError(f"{name} as one-hot labels must have shape ({n}, {n_classes}), got {t.shape}")
        hot = t == 1
        if not ((hot | (t == 0)).all() and (hot.sum(axis=1) == 1).all()):
            raise ValueError(f"{name} as a 2-D array must be one-hot: one 1 per row, zeros elsewhere")
        return hot.argmax(axis=1)
    if t.ndim == 0 and n == 1:
        t = t.reshape(1)
    if t.shape != (n,):
        raise ValueError(
            f"{name} must be class indices of shape ({n},) or one-hot of shape ({n}, {n_classes}); "
            f"got shape {t.shape}"
        )
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"{name} as class indices must have an integer dtype, got {t.dtype}")
    if n and (t.min() < 0 or t.max() >= n_classes):
        raise ValueError(
            f"{name} holds labels out of range: expected 0..{n_classes - 1}, got min {t.min()} and max {t.max()}"
        )
    return t
# --8<-- [end:checks]


# --8<-- [start:either]
def either(value: T | None, book_value: T | None, name: str, book_name: str, default: T | None = None) -> T:
    """Return whichever of an argument and its book's name was given; both, or neither without a default, is an error.

    Examples
    --------
    >>> either(None, [100, 100], "hidden_sizes", "hidden_size_list")
    [100, 100]
    """
    if value is not None and book_value is not None:
        raise TypeError(f"give {name} or the book's name for it, {book_name}, not both")
    value = book_value if value is None else value
    if value is None:
        if default is None:
            raise TypeError(f"{name} is missing (the book calls it {book_name})")
        return default
    return value
# --8<-- [end:either]
