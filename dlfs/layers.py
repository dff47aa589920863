"""Layers with a forward and a backward pass: backpropagation, one node at a time.

Chapter "Backpropagation" (``docs/backprop.md``) derives each backward pass.
Every layer follows one protocol: ``forward(x)`` computes the output and
caches what the backward pass needs (each cache starts as ``None``);
``backward(dout)`` takes the upstream gradient and returns the gradient with
respect to the input. ``backward`` never changes `dout` and always uses it.
Parameter gradients are left in ``dW`` and ``db``.

`BatchNormalization` and `Dropout`, whose ``forward(x, train_flg=True)``
also takes the mode, live in `dlfs.trainmode` and are exported here too, so
that every layer of the book imports from ``dlfs.layers``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np

# --8<-- [end:imports]
from dlfs._checks import check_labels, from_forward
from dlfs.trainmode import BatchNormalization as BatchNormalization  # exported: the book's layers in one place
from dlfs.trainmode import Dropout as Dropout


# --8<-- [start:mul_add]
class MulLayer:
    """A multiplication node ``out = x * y``: the apple example's price x count.

    Examples
    --------
    >>> mul = MulLayer()
    >>> mul.forward(100, 2)
    200
    >>> mul.backward(1.1)  # d/dx = y, d/dy = x
    (2.2, 110.00000000000001)
    """

    def __init__(self) -> None:
        self.x: float | None = None
        self.y: float | None = None

    def forward(self, x: float, y: float) -> float:
        self.x, self.y = x, y
        return x * y

    def backward(self, dout: float) -> tuple[float, float]:
        x, y = from_forward(self.x, self), from_forward(self.y, self)
        return dout * y, dout * x  # swap the inputs


class AddLayer:
    """An addition node ``out = x + y``: it passes the gradient on unchanged.

    Examples
    --------
    >>> add = AddLayer()
    >>> add.forward(200, 450)
    650
    >>> add.backward(1.1)
    (1.1, 1.1)
    """

    def forward(self, x: float, y: float) -> float:
        return x + y

    def backward(self, dout: float) -> tuple[float, float]:
        return dout, dout
# --8<-- [end:mul_add]


# --8<-- [start:relu]
class Relu:
    """``out = max(0, x)``; the gradient passes where ``x > 0`` and stops elsewhere.

    At ``x == 0`` the derivative is taken as 0, here and in `dlfs.functions`.

    Examples
    --------
    >>> relu = Relu()
    >>> relu.forward(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    >>> relu.backward(np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    """

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None  # where x > 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * from_forward(self.mask, self)  # a new array: dout is left alone
# --8<-- [end:relu]


# --8<-- [start:sigmoid]
class Sigmoid:
    """``out = 1 / (1 + exp(-x))``, whose derivative is ``out * (1 - out)``.

    Examples
    --------
    >>> sig = Sigmoid()
    >>> sig.forward(np.array([0.0]))
    array([0.5])
    >>> sig.backward(np.array([1.0]))
    array([0.25])
    """

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = 0.5 * (1.0 + np.tanh(0.5 * x))  # sigmoid without overflow
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        out = from_forward(self.out, self)
        return dout * out * (1.0 - out)
# --8<-- [end:sigmoid]


# --8<-- [start:affine]
class Affine:
    """A fully connected layer ``out = x @ W + b``.

    `forward` accepts x of shape (N, D) or (N, d1, d2, ...) with
    ``d1 * d2 * ... == D``; `backward` returns dx in the input's shape.

    Parameters
    ----------
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    input_grad : bool, default True
        Whether `backward` computes ``dx``. The first layer of a network
        has no use for it (its input is the data), so it can skip that
        matrix product and return None.

    Examples
    --------
    >>> layer = Affine(np.ones((3, 2)), np.zeros(2))
    >>> layer.forward(np.arange(6.0).reshape(2, 3))
    array([[ 3.,  3.],
           [12., 12.]])
    >>> layer.backward(np.ones((2, 2))).shape
    (2, 3)
    >>> layer.dW
    array([[3., 3.],
           [5., 5.],
           [7., 7.]])
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, input_grad: bool = True) -> None:
        self.W, self.b = W, b
        self.input_grad = input_grad
        self.x: np.ndarray | None = None  # the input, flattened to (N, D)
        self.x_shape: tuple[int, ...] | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim < 2 or x[0].size != self.W.shape[0]:
            raise ValueError(
                f"x must have shape (N, {self.W.shape[0]}) or (N, ...) with "
                f"{self.W.shape[0]} values per example, got shape {x.shape}"
            )
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        x = from_forward(self.x, self)
        self.dW = x.T @ dout
        self.db = dout.sum(axis=0)
        if not self.input_grad:
            return None
        return (dout @ self.W.T).reshape(from_forward(self.x_shape, self))
# --8<-- [end:affine]


# --8<-- [start:softmax_with_loss]
class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy loss, averaged over the batch.

    `forward(x, t)` takes scores x of shape (N, C) and labels t (class indices
    of shape (N,) or one-hot of shape (N, C)) and returns the loss.
    `backward(dout=1.0)` returns ``dout * (y - t) / N``: the gap between the
    predicted probabilities y and the truth.

    Parameters
    ----------
    check_t : bool, default True
        Whether `forward` checks the labels (and turns one-hot rows into
        class indices). A network that checks them itself, once, passes
        False and gives class indices: `dlfs.nets.TwoLayerNet` does, and
        `dlfs.train.train` checks a whole data set before its first step.

    Examples
    --------
    >>> layer = SoftmaxWithLoss()
    >>> print(f"{layer.forward(np.array([[0.0, 0.0]]), np.array([1])):.4f}")
    0.6931
    >>> layer.backward(1.0)
    array([[ 0.5, -0.5]])
    """

    def __init__(self, check_t: bool = True) -> None:
        self.check_t = check_t
        self.y: np.ndarray | None = None  # softmax probabilities
        self.t: np.ndarray | None = None  # labels as class indices
        self.loss: float | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        if x.ndim != 2:
            raise ValueError(f"x must be scores of shape (N, C), got shape {x.shape}")
        n = x.shape[0]
        self.t = labels = check_labels(t, n=n, n_classes=x.shape[1], name="t") if self.check_t else t
        z = x - x.max(axis=1, keepdims=True)  # softmax is unchanged, and exp cannot overflow
        e = np.exp(z)
        total = e.sum(axis=1)
        self.y = e / total[:, None]
        # -log y[correct] = log(sum of exp z) - z[correct]: accurate even where
        # log(softmax(x)) would round a tiny probability to log(0).
        self.loss = loss = float((np.log(total) - z[np.arange(n), labels]).mean())
        return loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        y, t = from_forward(self.y, self), from_forward(self.t, self)
        n = y.shape[0]
        dx = y.copy()
        dx[np.arange(n), t] -= 1
        dx *= dout / n
        return dx
# --8<-- [end:softmax_with_loss]


# --8<-- [start:book_softmax_with_loss]
class BookSoftmaxWithLoss(SoftmaxWithLoss):
    """The book's version: loss ``-mean log(y + 1e-7)``, backward pass ``(y - t) / N``.

    The backward pass is the gradient of the loss *without* the 1e-7, so a
    gradient check finds backprop and numerical differences about 1e-7
    apart (chapter "Gradient check"). Use `SoftmaxWithLoss`; this one is
    here to reproduce the book's numbers.

    Examples
    --------
    >>> layer = BookSoftmaxWithLoss()
    >>> print(f"{layer.forward(np.array([[0.0, 0.0]]), np.array([1])):.10f}")
    0.6931469806
    >>> layer.backward(1.0)  # the same as SoftmaxWithLoss
    array([[ 0.5, -0.5]])
    """

    delta = 1e-7  # what the book adds inside the log

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        super().forward(x, t)  # sets self.y and self.t
        y, labels = from_forward(self.y, self), from_forward(self.t, self)
        loss = float(-np.mean(np.log(y[np.arange(len(labels)), labels] + self.delta)))
        self.loss = loss
        return loss
# --8<-- [end:book_softmax_with_loss]
