"""One step of plain SGD on a `TwoLayerNet`: through the layers, or fused into one function.

Chapter "Training on MNIST" (``docs/training.md``) explains it.
`dlfs.train.train` trains a `TwoLayerNet` with a plain `SGD` one call per
step, which computes the loss, the gradients and the update. The backward
pass starts from ``dout = lr`` instead of 1, so each Affine layer's ``dW``
and ``db`` are the amounts to subtract (the gradient of ``lr * L`` is
``lr`` times the gradient of L). `layered_sgd_step` does this with the
layers of chapter 5 and is the version to read; `fused_sgd_step` does the
same arithmetic, in the same order, in one function, and is the fast path.
With a BLAS that rounds a product the same way wherever its arrays sit, as
the OpenBLAS in NumPy's wheels does, the two give the same bits
(``tests/test_fused.py``, for ReLU and sigmoid, float32 and float64).

Multiplying by ``lr`` before the matrix products rather than after them
rounds differently, so a step agrees with ``SGD.update``'s to rounding, not
bit for bit. A loss that is not finite is returned without a step, so the
parameters stay as they were for the caller to report (`dlfs.train.train`
raises).
"""

from __future__ import annotations

# --8<-- [start:imports]
import functools
import math
from collections.abc import Callable

import numpy as np

# --8<-- [end:imports]
from dlfs.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from dlfs.nets import TwoLayerNet
from dlfs.optim import SGD, Optimizer

Step = Callable[[np.ndarray, np.ndarray], float]


# --8<-- [start:layered_sgd_step]
def layered_sgd_step(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, lr: float) -> float:
    """Take one step of plain SGD through the layers, `lr` folded into the backward pass.

    Returns the loss before the step. `x` and `t` must be checked already
    (x finite and of ``net.dtype``, t class indices), as `dlfs.train.train`
    checks its data once. A loss that is not finite is returned without a
    step.

    Examples
    --------
    >>> net = TwoLayerNet(4, 5, 3, seed=0)
    >>> x, t = np.ones((2, 4)), np.array([0, 2])
    >>> print(f"{layered_sgd_step(net, x, t, lr=0.1):.4f}")
    1.0986
    """
    loss = net._loss(x, t)  # the forward pass, to the loss
    if not math.isfinite(loss):
        return loss  # no step: the parameters stay as they were
    dout = net.last_layer.backward(lr)  # the node "times lr" after the loss passes back lr, not 1
    for layer in reversed(net.layers.values()):
        dout = layer.backward(dout)  # so each Affine's dW is lr * dL/dW: the amount to subtract
    for i in (1, 2):  # Affine1 holds W1 and b1, Affine2 holds W2 and b2
        affine = net.layers[f"Affine{i}"]
        net.params[f"W{i}"] -= affine.dW
        net.params[f"b{i}"] -= affine.db
    return loss
# --8<-- [end:layered_sgd_step]


def fused_sgd_step(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, lr: float) -> float:
    """`layered_sgd_step` in one function: the same arithmetic in the same order, so (with OpenBLAS) the same bits.

    For a `TwoLayerNet` whose layers and methods are still dlfs's own
    (`can_fuse`), with `x` and `t` checked. Returns the loss before the step.

    Raises
    ------
    ValueError
        `net` is not a `TwoLayerNet` as built (then use `layered_sgd_step`),
        a parameter has the wrong shape or dtype, or `x` the wrong width.

    Examples
    --------
    >>> a, b = TwoLayerNet(4, 5, 3, seed=0), TwoLayerNet(4, 5, 3, seed=0)
    >>> x, t = np.random.default_rng(1).standard_normal((6, 4)), np.array([0, 2, 1, 1, 0, 2])
    >>> [fused_sgd_step(a, x, t, 0.5) == layered_sgd_step(b, x, t, 0.5) for _ in range(3)]
    [True, True, True]
    >>> all(np.array_equal(a.params[key], b.params[key]) for key in a.params)
    True
    """
    if not can_fuse(net):
        raise ValueError("fused_sgd_step computes what a TwoLayerNet's own layers compute, and this net's "
                         "layers, loss layer or methods are not those (see can_fuse): use layered_sgd_step")
    net._bind_params()  # names a parameter of the wrong shape or dtype, as the layers' pass does
    return _fused_step(net, x, t, lr)


# --8<-- [start:fused_step]
def _fused_step(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, lr: float) -> float:
    """`fused_sgd_step` once `can_fuse(net)` is known: what `dlfs.train.train` calls at every step."""
    W1, b1, W2, b2 = net.params["W1"], net.params["b1"], net.params["W2"], net.params["b2"]
    n = len(x)
    if x.ndim < 2 or x.size != n * W1.shape[0]:
        raise ValueError(f"x must have shape (N, {W1.shape[0]}) or (N, ...) with {W1.shape[0]} values per "
                         f"example, got shape {x.shape}")
    x = x.reshape(n, -1)
    rows = np.arange(n)
    relu = "Relu1" in net.layers
    # forward: Affine, ReLU or sigmoid, Affine, each in the array the matrix product made
    h = x @ W1
    h += b1
    if relu:
        mask = h > 0
        np.maximum(h, 0, out=h)
    else:
        h *= 0.5  # sigmoid as 0.5 * (1 + tanh(x / 2)), as the Sigmoid layer computes it
        np.tanh(h, out=h)
        h += 1.0
        h *= 0.5
    s = h @ W2
    s += b2
    # SoftmaxWithLoss: the loss from the shifted scores, then s becomes softmax, then lr * (y - t) / n
    s -= s.max(axis=1, keepdims=True)
    picked = s[rows, t]
    np.exp(s, out=s)
    total = s.sum(axis=1)
    loss = float((np.log(total) - picked).mean())
    if not math.isfinite(loss):
        return loss  # no step: the parameters stay as they were
    s /= total[:, None]
    s[rows, t] -= 1
    s *= lr / n
    # backward: Affine 2, the activation, Affine 1 (no dx: its input is the data); then the steps
    dW2, db2 = h.T @ s, s.sum(axis=0)
    dh = s @ W2.T
    if relu:
        dh *= mask
    else:
        dh *= h
        dh *= 1.0 - h
    W1 -= x.T @ dh
    b1 -= dh.sum(axis=0)
    W2 -= dW2
    b2 -= db2
    return loss
# --8<-- [end:fused_step]


NET_METHODS = ("_forward", "_loss", "_loss_and_gradient", "loss_and_gradient", "_bind_params")
LAYER_METHODS = ("forward", "backward")


def is_own(obj: object, cls: type, names: tuple[str, ...]) -> bool:
    """Whether the methods `names` of `obj` are those that `cls` defines in dlfs.

    A method overridden in a subclass, or replaced on the class or on the
    object itself (``Relu.backward = mine``, ``layer.backward = mine``), is not.
    """
    methods = type(obj)
    return isinstance(obj, cls) and not any(name in vars(obj) for name in names) and all(
        getattr(getattr(methods, name, None), "__qualname__", None) == f"{cls.__qualname__}.{name}"
        and getattr(methods, name).__module__ == cls.__module__ for name in names)


def can_fuse(net: object) -> bool:
    """Whether `fused_sgd_step` computes what the net's layers would: a `TwoLayerNet` as built.

    Its layers must be dlfs's Affine, ReLU or sigmoid and Affine, and its loss
    layer `SoftmaxWithLoss`, with none of their methods or the net's own
    replaced. Anything else is left to `layered_sgd_step`, which calls them.

    Examples
    --------
    >>> net = TwoLayerNet(4, 5, 3)
    >>> can_fuse(net), can_fuse(TwoLayerNet(4, 5, 3, activation="sigmoid"))
    (True, True)
    >>> from dlfs.layers import BookSoftmaxWithLoss
    >>> net.last_layer = BookSoftmaxWithLoss()
    >>> can_fuse(net)
    False
    """
    if not (isinstance(net, TwoLayerNet) and is_own(net, TwoLayerNet, NET_METHODS)
            and list(net.params) == ["W1", "b1", "W2", "b2"]):
        return False
    activation = Relu if list(net.layers) == ["Affine1", "Relu1", "Affine2"] else (
        Sigmoid if list(net.layers) == ["Affine1", "Sigmoid1", "Affine2"] else None)
    if activation is None:
        return False
    kinds: list[tuple[object, type]] = list(zip(net.layers.values(), (Affine, activation, Affine), strict=True))
    kinds.append((net.last_layer, SoftmaxWithLoss))
    return all(type(layer) is kind and is_own(layer, kind, LAYER_METHODS) for layer, kind in kinds)


def sgd_step_function(net: object, optimizer: Optimizer, fused: bool = True) -> Step | None:
    """What `dlfs.train.train` calls for one step of plain SGD, or None when it takes gradients, then updates.

    A plain `SGD` on a `TwoLayerNet` whose gradient methods are its own gets
    the fused step when `can_fuse` (and `fused`), else `layered_sgd_step`.
    Any other optimizer (a subclass of `SGD` too, or an SGD whose ``update``
    was replaced) or network gets None. The checks are made here, once: the
    parameters' shapes and dtypes, and `can_fuse`.

    Examples
    --------
    >>> net = TwoLayerNet(4, 5, 3)
    >>> sgd_step_function(net, SGD(0.1)).func.__name__, sgd_step_function(net, SGD(0.1), fused=False).func.__name__
    ('_fused_step', 'layered_sgd_step')
    >>> from dlfs.optim import Momentum
    >>> sgd_step_function(net, Momentum()) is None
    True
    """
    if not (type(optimizer) is SGD and is_own(optimizer, SGD, ("update",))
            and isinstance(net, TwoLayerNet) and is_own(net, TwoLayerNet, ("_loss_and_gradient", "loss_and_gradient"))
            and list(net.params) == ["W1", "b1", "W2", "b2"] and {"Affine1", "Affine2"} <= net.layers.keys()):
        return None  # (layered_sgd_step knows the two Affine layers of a TwoLayerNet, and only those)
    net._bind_params()  # names a parameter of the wrong shape or dtype before the first step
    step = _fused_step if fused and can_fuse(net) else layered_sgd_step
    return functools.partial(step, net, lr=optimizer.lr)
