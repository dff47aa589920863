"""The book's ``common/multi_layer_net_extend.py``: dlfs.extend."""

from dlfs.extend import MultiLayerNetExtend

__all__ = ["MultiLayerNetExtend"]
