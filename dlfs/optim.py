"""Gradient descent and the optimizers that update a network's parameters.

Chapter "Gradient descent" (``docs/gradient-descent.md``) uses
`gradient_descent`; chapter "Training on MNIST" (``docs/training.md``) uses
`SGD`; chapter "Optimizers, normalization and regularization"
(``docs/optimizers-and-regularization.md``) derives `Momentum`, `AdaGrad`,
`RMSprop` and `Adam` and compares them; `Nesterov` completes the book's
set. Every optimizer
has one method, ``update(params, grads)``, which writes the new values into
the arrays of `params` in place.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

# --8<-- [end:imports]
from dlfs._checks import check_positive
from dlfs.numerical import numerical_gradient


# --8<-- [start:gradient_descent]
def gradient_descent(
    f: Callable[[np.ndarray], Any], init_x: np.ndarray, lr: float = 0.01,
    step_num: int = 100, *, return_path: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Minimize `f` by repeating ``x <- x - lr * grad f(x)`` with numerical gradients.

    Parameters
    ----------
    f : callable
        Takes an array like `init_x` and returns a scalar.
    init_x : array_like of floats
        The starting point. It is copied, never changed.
    lr : float, default 0.01
        The learning rate (step size), > 0.
    step_num : int, default 100
        How many steps to take.
    return_path : bool, default False
        Also return every point visited, shape (step_num + 1, *init_x.shape).

    Returns
    -------
    x : ndarray
        The point after `step_num` steps.
    path : ndarray
        Only if `return_path`; ``path[0]`` is `init_x`, ``path[-1]`` is `x`.

    Examples
    --------
    >>> def function_2(x):
    ...     return x[0] ** 2 + x[1] ** 2
    >>> gradient_descent(function_2, np.array([-3.0, 4.0]), lr=0.1, step_num=100)
    array([-6.1111...e-10,  8.1481...e-10])
    """
    check_positive(lr, "lr")
    if not (isinstance(step_num, (int, np.integer)) and step_num >= 0):
        raise ValueError(f"step_num must be an integer >= 0, got {step_num!r}")
    x = np.array(init_x, dtype=np.float64)  # a copy: the caller's array stays put
    path = [x.copy()]
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
        path.append(x.copy())
    return (x, np.array(path)) if return_path else x
# --8<-- [end:gradient_descent]


# --8<-- [start:sgd]
class Optimizer(Protocol):
    """One method: write the updated values into the arrays of `params`."""

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None: ...


def check_keys(params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
    """Raise KeyError unless `grads` has exactly the keys of `params`."""
    if params.keys() != grads.keys():
        raise KeyError(f"grads must have the keys of params {sorted(params)}, got {sorted(grads)}")


class SGD:
    """Stochastic gradient descent: ``p -= lr * g`` for every parameter.

    Examples
    --------
    >>> params, grads = {"w": np.array([1.0, 2.0])}, {"w": np.array([10.0, 10.0])}
    >>> SGD(lr=0.1).update(params, grads)
    >>> params["w"]
    array([0., 1.])
    """

    def __init__(self, lr: float = 0.01) -> None:
        check_positive(lr, "lr")
        self.lr = lr

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        check_keys(params, grads)
        for key in params:
            params[key] -= self.lr * grads[key]
# --8<-- [end:sgd]


# --8<-- [start:momentum]
class Momentum:
    """SGD with momentum: ``v = momentum * v - lr * g; p += v``.

    Examples
    --------
    >>> params, grads = {"w": np.array([1.0])}, {"w": np.array([1.0])}
    >>> opt = Momentum(lr=0.1, momentum=0.9)
    >>> opt.update(params, grads); opt.update(params, grads)
    >>> params["w"].round(2)
    array([0.71])
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        check_positive(lr, "lr")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.lr, self.momentum = lr, momentum
        self.v: dict[str, np.ndarray] = {}

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        check_keys(params, grads)
        for key in params:
            v = self.v.setdefault(key, np.zeros_like(params[key]))
            v *= self.momentum
            v -= self.lr * grads[key]
            params[key] += v
# --8<-- [end:momentum]


# --8<-- [start:nesterov]
class Nesterov:
    """Nesterov's accelerated gradient: momentum that looks one step ahead.

    Plain momentum adds the velocity and then the gradient; Nesterov's
    method takes the gradient where the velocity is about to carry the
    parameters. Written in the shifted variables that make this a
    ``update(params, grads)`` (Sutskever et al., 2013; Bengio et al., 2012):
    ``v = momentum * v - lr * g; p += momentum * v - lr * g``.

    Examples
    --------
    >>> params, grads = {"w": np.array([1.0])}, {"w": np.array([1.0])}
    >>> opt = Nesterov(lr=0.1, momentum=0.9)
    >>> opt.update(params, grads)  # the first step is (1 + momentum) * lr * g
    >>> params["w"].round(2)
    array([0.81])
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        check_positive(lr, "lr")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.lr, self.momentum = lr, momentum
        self.v: dict[str, np.ndarray] = {}

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        check_keys(params, grads)
        for key in params:
            v = self.v.setdefault(key, np.zeros_like(params[key]))
            v *= self.momentum
            v -= self.lr * grads[key]
            params[key] += self.momentum * v - self.lr * grads[key]
# --8<-- [end:nesterov]


# --8<-- [start:adagrad]
class AdaGrad:
    """Per-parameter step sizes that shrink with the sum of squared gradients.

    Examples
    --------
    >>> params, grads = {"w": np.array([1.0])}, {"w": np.array([5.0])}
    >>> AdaGrad(lr=0.1).update(params, grads)  # the first step is lr * sign(g)
    >>> params["w"].round(6)
    array([0.9])
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-7) -> None:
        check_positive(lr, "lr")
        self.lr, self.eps = lr, eps
        self.h: dict[str, np.ndarray] = {}

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        check_keys(params, grads)
        for key in params:
            h = self.h.setdefault(key, np.zeros_like(params[key]))
            h += grads[key] ** 2
            params[key] -= self.lr * grads[key] / (np.sqrt(h) + self.eps)
# --8<-- [end:adagrad]


# --8<-- [start:rmsprop]
class RMSprop:
    """AdaGrad with a memory that fades: a decaying average of squared gradients instead of their sum.

    AdaGrad's sum only grows, so its steps shrink toward zero; RMSprop keeps
    ``h = decay_rate * h + (1 - decay_rate) * g**2``, which forgets old
    gradients, and steps by ``lr * g / sqrt(h)``. Adam keeps the same
    average (its ``beta2``) and adds momentum and a bias correction.

    Examples
    --------
    >>> params, grads = {"w": np.array([1.0])}, {"w": np.array([5.0])}
    >>> RMSprop(lr=0.01).update(params, grads)  # h = 0.01 * g**2: the first step is 10 * lr * sign(g)
    >>> params["w"].round(6)
    array([0.9])
    """

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7) -> None:
        check_positive(lr, "lr")
        if not 0 <= decay_rate < 1:
            raise ValueError(f"decay_rate must be in [0, 1), got {decay_rate!r}")
        self.lr, self.decay_rate, self.eps = lr, decay_rate, eps
        self.h: dict[str, np.ndarray] = {}

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        check_keys(params, grads)
        for key in params:
            h = self.h.setdefault(key, np.zeros_like(params[key]))
            h *= self.decay_rate  # where AdaGrad keeps every past square, forget a little
            h += (1 - self.decay_rate) * grads[key] ** 2
            params[key] -= self.lr * grads[key] / (np.sqrt(h) + self.eps)
# --8<-- [end:rmsprop]


# --8<-- [start:adam]
class Adam:
    """Adam (Kingma and Ba, 2015): momentum plus AdaGrad-like scaling, bias-corrected.

    Examples
    --------
    >>> params, grads = {"w": np.array([1.0])}, {"w": np.array([5.0])}
    >>> Adam(lr=0.1).update(params, grads)  # the first step is about lr * sign(g)
    >>> params["w"].round(6)
    array([0.9])
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        check_positive(lr, "lr")
        for name, beta in [("beta1", beta1), ("beta2", beta2)]:
            if not 0 <= beta < 1:
                raise ValueError(f"{name} must be in [0, 1), got {beta!r}")
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        check_keys(params, grads)
        self.iter += 1
        # Fold both bias corrections into the step size.
        lr_t = self.lr * np.sqrt(1 - self.beta2**self.iter) / (1 - self.beta1**self.iter)
        for key in params:
            m = self.m.setdefault(key, np.zeros_like(params[key]))
            v = self.v.setdefault(key, np.zeros_like(params[key]))
            m += (1 - self.beta1) * (grads[key] - m)
            v += (1 - self.beta2) * (grads[key] ** 2 - v)
            params[key] -= lr_t * m / (np.sqrt(v) + self.eps)
# --8<-- [end:adam]
