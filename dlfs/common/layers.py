"""The book's ``common/layers.py``: dlfs.layers (the fully connected layers; no convolution)."""

from dlfs.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss

__all__ = ["Affine", "BatchNormalization", "Dropout", "Relu", "Sigmoid", "SoftmaxWithLoss"]
