"""The book's ``common/optimizer.py``: dlfs.optim.

``np`` is exported too: ``ch06/optimizer_compare_mnist.py`` uses the ``np``
that ``from common.optimizer import *`` brings in with the book's module.
"""

import numpy as np

from dlfs.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

__all__ = ["SGD", "AdaGrad", "Adam", "Momentum", "Nesterov", "RMSprop", "np"]
