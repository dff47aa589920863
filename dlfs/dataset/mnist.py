"""The book's ``dataset/mnist.py``: dlfs.datasets's `load_mnist`, which takes the book's keywords.

``load_mnist(normalize=True, flatten=True, one_hot_label=False)`` returns
what the book's does, read from the checksummed IDX files (no pickle).
"""

from dlfs.datasets import load_mnist

__all__ = ["load_mnist"]
