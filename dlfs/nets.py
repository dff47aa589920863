"""Networks that learn from data: the book's `SimpleNet` and `TwoLayerNet`.

Chapter "Learning from data" (``docs/learning.md``) trains them with
numerical gradients; chapter "Backpropagation" (``docs/backprop.md``) adds
`TwoLayerNet.gradient`.
"""

from __future__ import annotations

# --8<-- [start:imports]
import operator
from typing import Any, Protocol

import numpy as np

# --8<-- [end:imports]
from dlfs._checks import check_finite, check_labels, check_positive
from dlfs.functions import cross_entropy_error, softmax
from dlfs.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from dlfs.numerical import numerical_gradient

# --8<-- [start:network]
ACTIVATIONS = {"relu": Relu, "sigmoid": Sigmoid}
DTYPES = (np.float32, np.float64)


class Network(Protocol):
    """What `dlfs.train.train` and `dlfs.gradcheck.gradient_check` ask of a network.

    `TwoLayerNet` has all of it. ``params`` maps names to the arrays an
    optimizer updates in place; every gradient method returns a dict with
    the same keys and shapes.
    """

    params: dict[str, np.ndarray]
    dtype: np.dtype  # inputs are cast to it
    output_size: int  # the number of classes

    def loss(self, x: np.ndarray, t: np.ndarray) -> float: ...

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float: ...

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]: ...

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]: ...

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray, *,
                           indices: dict[str, list[tuple[int, ...]]] | None = None) -> dict[str, np.ndarray]: ...
# --8<-- [end:network]


# --8<-- [start:count_parameters]
def count_parameters(net: Network) -> int:
    """Return how many numbers ``net.params`` holds: 39,760 for 784-50-10.

    Examples
    --------
    >>> count_parameters(TwoLayerNet(784, 50, 10))
    39760
    """
    return sum(p.size for p in net.params.values())
# --8<-- [end:count_parameters]


class SimpleNet:
    """The book's smallest network: one 2x3 weight matrix, softmax and cross-entropy.

    Parameters
    ----------
    W : ndarray of shape (2, 3), optional
        The weights; drawn from a standard normal distribution if omitted.
    seed : int, default 0
        Seeds the draw of `W`.

    Examples
    --------
    >>> net = SimpleNet(W=np.array([[0.47355232, 0.9977393, 0.84668094],
    ...                             [0.85557411, 0.03563661, 0.69422093]]))
    >>> x = np.array([0.6, 0.9])
    >>> net.predict(x).round(8)
    array([1.05414809, 0.63071653, 1.1328074 ])
    >>> print(f"{net.loss(x, np.array([0, 0, 1])):.10f}")
    0.9280685387
    """

    def __init__(self, W: np.ndarray | None = None, *, seed: int = 0) -> None:
        if W is None:
            W = np.random.default_rng(seed).standard_normal((2, 3))
        self.W = np.array(W, dtype=np.float64)
        if self.W.shape != (2, 3):
            raise ValueError(f"W must have shape (2, 3), got {self.W.shape}")

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x) @ self.W

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return cross_entropy_error(softmax(self.predict(x)), t)


# --8<-- [start:two_layer_net]
class TwoLayerNet:
    """Affine -> ReLU (or sigmoid) -> Affine -> softmax, trained on a cross-entropy loss.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        784, 50 and 10 for MNIST.
    weight_init_std : float, default 0.01
        Standard deviation of the initial weights (biases start at 0).
    activation : {"relu", "sigmoid"}, default "relu"
        ReLU as in the book; sigmoid as in the notes' numerical-gradient run.
    seed : int, default 0
        Seeds the initial weights; ignored when `rng` is given.
    rng : numpy.random.Generator, optional
    dtype : np.float64 (default) or np.float32
        float64 for gradient checks; float32 trains about twice as fast.
        Inputs are cast to this dtype, so nothing is silently up-cast.

    Attributes
    ----------
    params : dict of str to ndarray
        ``W1, b1, W2, b2``. The layers read them at every pass, so both
        ``net.params["W1"] -= lr * g`` and ``net.params["W1"] = new`` work.

    Examples
    --------
    >>> net = TwoLayerNet(4, 5, 3, seed=0)
    >>> x, t = np.ones((2, 4)), np.array([0, 2])
    >>> {k: v.shape for k, v in net.gradient(x, t).items()}
    {'W1': (4, 5), 'b1': (5,), 'W2': (5, 3), 'b2': (3,)}
    >>> print(f"{net.loss(x, t):.4f}")  # about log(3) at the start
    1.0986
    """

    _bound: tuple[Any, ...] = ()  # the arrays of params and the layers at the last check: _bind_params

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std: float = 0.01, *, activation: str = "relu",
                 seed: int = 0, rng: np.random.Generator | None = None,
                 dtype: type = np.float64) -> None:
        for name, size in [("input_size", input_size), ("hidden_size", hidden_size),
                           ("output_size", output_size)]:
            if not (isinstance(size, (int, np.integer)) and size > 0):
                raise ValueError(f"{name} must be a positive integer, got {size!r}")
        check_positive(weight_init_std, "weight_init_std")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if np.dtype(dtype) not in [np.dtype(d) for d in DTYPES]:
            raise TypeError(f"dtype must be np.float32 or np.float64, got {np.dtype(dtype)}")
        self.dtype = np.dtype(dtype)
        self.output_size = output_size
        rng = np.random.default_rng(seed) if rng is None else rng
        std = weight_init_std
        self.params = {
            "W1": (std * rng.standard_normal((input_size, hidden_size))).astype(self.dtype),
            "b1": np.zeros(hidden_size, dtype=self.dtype),
            "W2": (std * rng.standard_normal((hidden_size, output_size))).astype(self.dtype),
            "b2": np.zeros(output_size, dtype=self.dtype),
        }
        self._shapes = {key: p.shape for key, p in self.params.items()}
        # The first Affine's dx would be the gradient w.r.t. the data: skip it.
        self.layers: dict[str, Any] = {
            "Affine1": Affine(self.params["W1"], self.params["b1"], input_grad=False),
            activation.capitalize() + "1": ACTIVATIONS[activation](),
            "Affine2": Affine(self.params["W2"], self.params["b2"]),
        }
        self.last_layer = SoftmaxWithLoss(check_t=False)  # the net checks t itself: _check_t

    def _affines(self) -> list[tuple[int, Affine]]:
        """The affine layers, numbered from 1 as their parameters W1, b1, W2, b2, ... are."""
        return [(int(name[6:]), layer) for name, layer in self.layers.items() if name.startswith("Affine")]

    def _bind_params(self) -> None:
        """Point the layers at the arrays now in ``self.params``, checking them if any is new."""
        now = (*self.params.values(), *self.layers.values())
        if len(now) == len(self._bound) and all(map(operator.is_, now, self._bound)):
            return  # the same arrays and layers as at the last pass (the arrays updated in place, or not at all)
        for key, p in self.params.items():
            if p.shape != self._shapes[key] or p.dtype != self.dtype:
                raise ValueError(
                    f"params[{key!r}] must have shape {self._shapes[key]} and dtype "
                    f"{self.dtype}, got shape {p.shape} and dtype {p.dtype}"
                )
        for i, affine in self._affines():
            affine.W, affine.b = self.params[f"W{i}"], self.params[f"b{i}"]
        self._bound = now

    def _check_x(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        check_finite(x, "x")
        return x.astype(self.dtype, copy=False)

    def _check_t(self, t: np.ndarray, n: int) -> np.ndarray:
        return check_labels(t, n=n, n_classes=self.output_size)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._bind_params()
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Return the scores (before softmax), shape (N, output_size)."""
        return self._forward(self._check_x(x))

    def _loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """The loss of checked inputs (x finite and of `dtype`, t class indices): what `loss`
        returns and `numerical_gradient` differentiates."""
        return self.last_layer.forward(self._forward(x), t)

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Return the mean cross-entropy loss on the batch (x, t)."""
        x = self._check_x(x)
        return self._loss(x, self._check_t(t, len(x)))

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """Return the fraction of examples whose highest score is the label."""
        scores = self.predict(x)
        labels = self._check_t(t, len(scores))
        return float(np.mean(scores.argmax(axis=1) == labels))

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray, *,
                           indices: dict[str, list[tuple[int, ...]]] | None = None) -> dict[str, np.ndarray]:
        """Return the gradients by central differences: two losses per parameter.

        `indices` may name, per parameter, the entries to differentiate (the
        others are NaN): a sample that checks a large network quickly.
        """
        x = self._check_x(x)
        t = self._check_t(t, len(x))

        def loss_at_current_params(_: np.ndarray) -> float:
            # numerical_gradient nudges self.params[key] in place; read it back.
            return self._loss(x, t)

        return {key: numerical_gradient(loss_at_current_params, p,
                                        indices=None if indices is None else indices[key])
                for key, p in self.params.items()}

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Return the loss and the gradients by backpropagation, from one forward pass.

        `x` is checked (finite, cast to `dtype`) and so is `t` (class indices
        or one-hot rows). `dlfs.train.train` checks the whole data set once,
        then skips the checks of each batch: it calls `_loss_and_gradient`,
        or for plain SGD takes a step of `dlfs.fused`.
        """
        x = self._check_x(x)
        return self._loss_and_gradient(x, self._check_t(t, len(x)))

    def _loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """The fast path: `loss_and_gradient` of inputs already checked (x finite and of `dtype`,
        t class indices)."""
        loss = self._loss(x, t)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads: dict[str, Any] = {}
        for i, affine in self._affines():
            grads[f"W{i}"], grads[f"b{i}"] = affine.dW, affine.db
        return loss, grads

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Return the gradients by backpropagation: one forward, one backward pass."""
        return self.loss_and_gradient(x, t)[1]
# --8<-- [end:two_layer_net]
