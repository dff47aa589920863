"""One step of plain SGD on a `TwoLayerNet`: through the layers, or fused into one function.

`dlfs.train.train` trains a `TwoLayerNet` with plain `SGD` one call per step:
the call computes the loss, the gradients and the update. Two things make
that call cheaper than ``loss_and_gradient`` followed by ``SGD.update``:

- **The learning rate goes into the backward pass.** The gradient of
  ``lr * L`` is ``lr`` times the gradient of L (the chain rule, with a
  constant factor), so a backward pass that starts from ``dout = lr``
  instead of 1 leaves ``lr * dW`` in every layer: the step itself. The
  update is then a subtraction, and the multiplication by `lr` is made
  once on the (N, C) gradient of the scores instead of on all 39,760
  parameters. `layered_sgd_step` does this with the layers of chapter 5.
- **The layers' work in one function.** `fused_sgd_step` computes exactly
  what `layered_sgd_step` computes, operation for operation, so its
  results are the same bit for bit (``tests/test_fused.py`` holds it to
  that, for ReLU and sigmoid, float32 and float64). It writes into arrays
  it has made rather than allocating one per layer, and makes no method
  call per layer.

The step with `lr` folded in rounds differently from ``p -= lr * g``: the
two agree to about 1e-7 of a step in float32, not bit for bit. A loop of
your own with ``loss_and_gradient`` and ``SGD.update`` therefore drifts
from `train`'s run in the last digits over thousands of steps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from dlfs.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from dlfs.nets import TwoLayerNet
from dlfs.optim import SGD, Optimizer

Step = Callable[[np.ndarray, np.ndarray], float]


# --8<-- [start:layered_sgd_step]
def layered_sgd_step(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, lr: float) -> float:
    """Take one SGD step through the layers, `lr` folded into the backward pass; return the loss before it.

    `x` and `t` must be checked already (x finite and of ``net.dtype``, t
    class indices), as `dlfs.train.train` checks its data once.

    Examples
    --------
    >>> net = TwoLayerNet(4, 5, 3, seed=0)
    >>> x, t = np.ones((2, 4)), np.array([0, 2])
    >>> print(f"{layered_sgd_step(net, x, t, lr=0.1):.4f}")
    1.0986
    """
    loss, steps = net._loss_and_gradient(x, t, dout=lr)  # d(lr * L) = lr * dL: each "gradient" is a step
    for key, p in net.params.items():
        p -= steps[key]
    return loss
# --8<-- [end:layered_sgd_step]


# --8<-- [start:fused_sgd_step]
def fused_sgd_step(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, lr: float) -> float:
    """`layered_sgd_step` in one function: the same operations on the same values, so the same bits.

    For a `TwoLayerNet` whose layers are still Affine, ReLU or sigmoid,
    Affine and `SoftmaxWithLoss` (`can_fuse`), with `x` and `t` checked.

    Examples
    --------
    >>> a, b = TwoLayerNet(4, 5, 3, seed=0), TwoLayerNet(4, 5, 3, seed=0)
    >>> x, t = np.random.default_rng(1).standard_normal((6, 4)), np.array([0, 2, 1, 1, 0, 2])
    >>> [fused_sgd_step(a, x, t, 0.5) == layered_sgd_step(b, x, t, 0.5) for _ in range(3)]
    [True, True, True]
    >>> all(np.array_equal(a.params[key], b.params[key]) for key in a.params)
    True
    """
    W1, b1, W2, b2 = net.params["W1"], net.params["b1"], net.params["W2"], net.params["b2"]
    n = len(x)
    rows = np.arange(n)
    x = x.reshape(n, -1)
    relu = "Relu1" in net.layers
    # forward: Affine, activation, Affine (each in the array the product made)
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
    s /= total[:, None]
    loss = float((np.log(total) - picked).mean())
    s[rows, t] -= 1
    s *= lr / n
    # backward: Affine 2, activation, Affine 1 (no dx: its input is the data)
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
# --8<-- [end:fused_sgd_step]


def can_fuse(net: object) -> bool:
    """Whether `fused_sgd_step` computes what the net's layers would: a `TwoLayerNet` as built.

    A subclass that changes how the loss or a pass is computed, or a layer
    put in place of one of the net's own, is left to the layers.

    Examples
    --------
    >>> can_fuse(TwoLayerNet(4, 5, 3)), can_fuse(TwoLayerNet(4, 5, 3, activation="sigmoid"))
    (True, True)
    """
    if not isinstance(net, TwoLayerNet) or any(
            getattr(type(net), name) is not getattr(TwoLayerNet, name)
            for name in ("_forward", "_loss", "_loss_and_gradient", "loss_and_gradient", "_bind_params")):
        return False
    kinds = [type(layer) for layer in net.layers.values()]
    names = list(net.layers)
    activation = {Relu: "Relu1", Sigmoid: "Sigmoid1"}.get(kinds[1]) if len(kinds) == 3 else None
    return (kinds[0] is Affine and kinds[2] is Affine and names == ["Affine1", activation, "Affine2"]
            and type(net.last_layer) is SoftmaxWithLoss and list(net.params) == ["W1", "b1", "W2", "b2"])


def sgd_step_function(net: object, optimizer: Optimizer, fused: bool = True) -> Step | None:
    """What `dlfs.train.train` calls for one step of plain SGD, or None when it must take gradients and update.

    A plain `SGD` (not a subclass) on a net with `TwoLayerNet`'s passes gets
    `fused_sgd_step` (or, with ``fused=False`` or layers of its own,
    `layered_sgd_step`); any other optimizer or network gets None.

    Examples
    --------
    >>> net = TwoLayerNet(4, 5, 3)
    >>> sgd_step_function(net, SGD(0.1)).func.__name__, sgd_step_function(net, SGD(0.1), fused=False).func.__name__
    ('fused_sgd_step', 'layered_sgd_step')
    >>> from dlfs.optim import Momentum
    >>> sgd_step_function(net, Momentum()) is None
    True
    """
    if type(optimizer) is not SGD or not isinstance(net, TwoLayerNet) or any(
            getattr(type(net), name) is not getattr(TwoLayerNet, name)
            for name in ("_loss_and_gradient", "loss_and_gradient")):
        return None
    net._bind_params()  # names a parameter of the wrong shape or dtype before the first step
    step = fused_sgd_step if fused and can_fuse(net) else layered_sgd_step
    return functools.partial(step, net, lr=optimizer.lr)

