"""The two layers that act differently in training and in inference: batch normalization and dropout.

Chapter "Optimizers, normalization and regularization"
(``docs/optimizers-and-regularization.md``) checks them and uses them
through `dlfs.extend.MultiLayerNetExtend`; `dlfs.layers` exports them with
the other layers. They follow the layer protocol, with the book's extra
argument: ``forward(x, train_flg=True)``. In training (``train_flg=True``)
`BatchNormalization` normalizes with the batch's own statistics and
`Dropout` silences a random subset of units; in inference
(``train_flg=False``) both are deterministic.
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np

# --8<-- [end:imports]
from dlfs._checks import from_forward


# --8<-- [start:batch_normalization]
class BatchNormalization:
    """Normalize each feature over the batch to mean 0 and variance 1, then scale by gamma and shift by beta.

    In training, each of the D features of x is normalized with the mean and
    variance of the batch, and running averages of both are kept; in
    inference the running averages are used, so one example's output does
    not depend on the others. Input of shape (N, C, H, W) is flattened to
    (N, C*H*W) as the book does: every one of its values is a feature.

    Parameters
    ----------
    gamma, beta : ndarray of shape (D,)
        The scale and the shift, learned like weights (the network's
        ``params`` hold them; the layer reads them at every pass).
    momentum : float in [0, 1), default 0.9
        How much of the running averages each training pass keeps:
        ``running = momentum * running + (1 - momentum) * batch_value``.
    running_mean, running_var : ndarray of shape (D,), optional
        The starting running averages; if omitted, a mean of 0 and a
        variance of 1, so that inference before any training passes the
        input through nearly unchanged. (The book starts the variance at 0
        too, and divides by ``sqrt(eps)`` until training has moved it.) They
        are replaced by new arrays at every training pass, never written into.
    eps : float, default 1e-6
        Added to the variance before the square root (the book's ``10e-7``).

    Attributes
    ----------
    dgamma, dbeta : ndarray of shape (D,)
        Set by `backward`.

    Examples
    --------
    >>> bn = BatchNormalization(np.ones(2), np.zeros(2))
    >>> x = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 60.0]])
    >>> bn.forward(x).round(4)  # each column now has mean 0 and variance 1
    array([[-0.9258, -0.9258],
           [-0.4629, -0.4629],
           [ 1.3887,  1.3887]])
    >>> bn.running_mean, bn.running_var.round(4)  # 0.9 * the start (0 and 1) + 0.1 * the batch's
    (array([0.3, 3. ]), array([ 1.3667, 47.5667]))
    >>> bn.backward(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])).round(4)
    array([[ 0.1763,  0.    ],
           [-0.2204,  0.    ],
           [ 0.0441,  0.    ]])
    >>> bn.dgamma.round(4), bn.dbeta
    (array([-0.9258,  0.    ]), array([1., 0.]))
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, momentum: float = 0.9,
                 running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None,
                 eps: float = 1e-6) -> None:
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if not (np.isfinite(eps) and eps > 0):
            raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
        self.gamma, self.beta = gamma, beta
        self.momentum, self.eps = momentum, eps
        self.running_mean, self.running_var = running_mean, running_var
        self.x_shape: tuple[int, ...] | None = None
        self.xn: np.ndarray | None = None  # the normalized input, (N, D)
        self.std: np.ndarray | None = None  # the standard deviation it was divided by, (D,)
        self.train_flg: bool | None = None
        self.dgamma: np.ndarray | None = None
        self.dbeta: np.ndarray | None = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        d = np.size(self.gamma)
        if x.ndim < 2 or np.prod(x.shape[1:]) != d or (train_flg and x.shape[0] == 0):
            raise ValueError(f"x must have shape (N, {d}) or (N, ...) with {d} values per example "
                             f"(N >= 1 in training), got shape {x.shape}")
        self.x_shape, self.train_flg = x.shape, train_flg
        x2 = x.reshape(x.shape[0], d)
        if self.running_mean is None or self.running_var is None:
            self.running_mean, self.running_var = np.zeros(d, dtype=x.dtype), np.ones(d, dtype=x.dtype)
        if train_flg:
            mu = x2.mean(axis=0)
            var = ((x2 - mu) ** 2).mean(axis=0)
            keep = self.momentum
            self.running_mean = keep * self.running_mean + (1 - keep) * mu
            self.running_var = keep * self.running_var + (1 - keep) * var
        else:
            mu, var = self.running_mean, self.running_var
        self.std = np.sqrt(var + self.eps)
        self.xn = (x2 - mu) / self.std
        return (self.gamma * self.xn + self.beta).reshape(x.shape)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        xn, std = from_forward(self.xn, self), from_forward(self.std, self)
        dout2 = dout.reshape(xn.shape)
        self.dbeta = dout2.sum(axis=0)
        self.dgamma = (dout2 * xn).sum(axis=0)
        dxn = dout2 * self.gamma
        if from_forward(self.train_flg, self):
            # The batch's mean and variance depend on every row of x: their share of the
            # gradient removes from dxn its mean and its component along xn, column by column.
            dx = (dxn - dxn.mean(axis=0) - xn * (dxn * xn).mean(axis=0)) / std
        else:
            dx = dxn / std  # fixed statistics: a plain scaling
        return dx.reshape(from_forward(self.x_shape, self))
# --8<-- [end:batch_normalization]


# --8<-- [start:dropout]
class Dropout:
    """In training, zero each unit with probability `dropout_ratio`; in inference, keep them all.

    The book's form (the default) leaves the kept units as they are in
    training and multiplies every unit by ``1 - dropout_ratio`` in
    inference, so that a unit's output in inference is its expected value in
    training. ``inverted=True`` moves that scaling to training instead (kept
    units divided by ``1 - dropout_ratio``, inference the identity), as most
    libraries do: the same expected values, and nothing to do at inference.

    Parameters
    ----------
    dropout_ratio : float in [0, 1), default 0.5
        The probability that a unit is dropped.
    inverted : bool, default False
    seed : int, default 0
        Seeds the masks; ignored when `rng` is given.
    rng : numpy.random.Generator, optional
        The masks are drawn from it, one new mask per training pass.

    Examples
    --------
    >>> drop = Dropout(0.5, seed=0)
    >>> x = np.ones((2, 4))
    >>> drop.forward(x)  # training: each unit dropped with probability 0.5
    array([[1., 0., 0., 0.],
           [1., 1., 1., 1.]])
    >>> drop.backward(np.full((2, 4), 3.0))  # the gradient flows where the units were kept
    array([[3., 0., 0., 0.],
           [3., 3., 3., 3.]])
    >>> drop.forward(x, train_flg=False)  # inference: every unit, scaled by 1 - 0.5
    array([[0.5, 0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5, 0.5]])
    """

    def __init__(self, dropout_ratio: float = 0.5, *, inverted: bool = False, seed: int = 0,
                 rng: np.random.Generator | None = None) -> None:
        if not 0 <= dropout_ratio < 1:
            raise ValueError(f"dropout_ratio must be in [0, 1), got {dropout_ratio!r}")
        self.dropout_ratio, self.inverted = dropout_ratio, inverted
        self.rng = np.random.default_rng(seed) if rng is None else rng
        self.mask: np.ndarray | None = None  # True where a unit is kept
        self.train_flg: bool | None = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        self.train_flg = train_flg
        if train_flg:
            self.mask = self.rng.random(x.shape) >= self.dropout_ratio
        return self._scale(x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._scale(dout)  # out is x times a constant: dx is dout times the same constant

    def _scale(self, a: np.ndarray) -> np.ndarray:
        keep = 1.0 - self.dropout_ratio
        if from_forward(self.train_flg, self):
            a = a * from_forward(self.mask, self)
            return a / keep if self.inverted else a
        return a.copy() if self.inverted else a * keep
# --8<-- [end:dropout]
