"""The book's ``common/util.py``: dlfs.trainer's helpers (no im2col: no convolution)."""

from dlfs.trainer import shuffle_dataset, smooth_curve

__all__ = ["shuffle_dataset", "smooth_curve"]
