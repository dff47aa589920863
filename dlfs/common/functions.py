"""The book's ``common/functions.py``: dlfs.functions."""

from dlfs.functions import cross_entropy_error, mean_squared_error, relu, sigmoid, softmax, step_function

__all__ = ["cross_entropy_error", "mean_squared_error", "relu", "sigmoid", "softmax", "step_function"]
