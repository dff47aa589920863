"""The book's ``common/multi_layer_net.py``: dlfs.multilayer."""

from dlfs.multilayer import MultiLayerNet

__all__ = ["MultiLayerNet"]
