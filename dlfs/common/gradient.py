"""The book's ``common/gradient.py``: dlfs.numerical."""

from dlfs.numerical import numerical_gradient

__all__ = ["numerical_gradient"]
