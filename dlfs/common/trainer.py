"""The book's ``common/trainer.py``: dlfs.trainer."""

from dlfs.trainer import Trainer

__all__ = ["Trainer"]
