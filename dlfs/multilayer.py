"""A network of any depth, with a principled initial scale and weight decay.

Chapter "Making training work" (``docs/making-training-work.md``) uses it to
study initialization and vanishing gradients, and chapter "Optimizers,
normalization and regularization" (``docs/optimizers-and-regularization.md``)
the optimizers and overfitting.
`MultiLayerNet` is `dlfs.nets.TwoLayerNet` with a list of hidden layers: the
same ``params`` (``W1, b1, W2, b2, W3, b3, ...``), the same gradient methods,
dtype and seed rules, so `dlfs.train.train` and `dlfs.gradcheck.gradient_check`
take it as they take a TwoLayerNet.
"""

from __future__ import annotations

# --8<-- [start:imports]
import itertools
from collections.abc import Sequence

import numpy as np

# --8<-- [end:imports]
from dlfs._checks import check_positive, either
from dlfs.layers import Affine, SoftmaxWithLoss
from dlfs.nets import ACTIVATIONS, DTYPES, TwoLayerNet


# --8<-- [start:init_scale]
def init_scale(weight_init_std: float | str, n_in: int) -> float:
    """The standard deviation of a layer's initial weights, for `n_in` inputs.

    A number is used as it is. ``"xavier"`` gives ``sqrt(1 / n_in)``, which
    keeps the variance of a layer's output equal to that of its inputs when
    they have mean 0; ``"he"`` gives ``sqrt(2 / n_in)``, which does the same
    for ReLU, whose output is zero half the time. ``"sigmoid"`` and
    ``"relu"`` are the book's names for the two, accepted so that its
    scripts run: the book pairs Xavier with the sigmoid, which suits it
    poorly (its outputs have mean 0.5).

    Examples
    --------
    >>> print(init_scale("xavier", 100), init_scale("he", 100), init_scale(0.01, 100))
    0.1 0.1414213562373095 0.01
    """
    if isinstance(weight_init_std, str):
        name = weight_init_std.lower()
        if name in ("xavier", "sigmoid"):  # "sigmoid": the book's pairing, not a recommendation
            return float(np.sqrt(1.0 / n_in))
        if name in ("he", "relu"):
            return float(np.sqrt(2.0 / n_in))
        raise ValueError(f'weight_init_std must be a number, "xavier" or "he", got {weight_init_std!r}')
    if not (np.isfinite(weight_init_std) and weight_init_std >= 0):
        raise ValueError(f"weight_init_std must be a finite number >= 0, got {weight_init_std!r}")
    return float(weight_init_std)
# --8<-- [end:init_scale]


# --8<-- [start:multi_layer_net]
class MultiLayerNet(TwoLayerNet):
    """Affine -> activation, as many times as `hidden_sizes` says, then Affine -> softmax.

    The book's keywords work as they are: ``hidden_size_list`` is another
    name for `hidden_sizes`, ``weight_init_std`` may be ``"relu"`` (He) or
    ``"sigmoid"`` (Xavier). Only the book's *positional* order differs: its
    fourth argument is ``activation``, here it is `weight_init_std`, so
    pass `activation` by keyword (the book's scripts do).

    Parameters
    ----------
    input_size, output_size : int
    hidden_sizes : sequence of int
        One entry per hidden layer: ``[100, 100, 100]`` is three of 100 units.
        The book calls it ``hidden_size_list``; give one of the two.
    weight_init_std : float, "xavier" or "he", default "he"
        The initial weights' standard deviation, or its rule (`init_scale`),
        applied layer by layer with that layer's number of inputs. 0 is
        allowed, to show why it fails.
    activation : {"relu", "sigmoid"}, default "relu"
    weight_decay_lambda : float, default 0
        The L2 penalty: the loss gains ``lambda / 2 * sum(W**2)`` over every
        weight matrix (not the biases), and each weight's gradient ``lambda * W``.
    seed, rng, dtype
        As for `TwoLayerNet`.

    Examples
    --------
    >>> net = MultiLayerNet(4, [5, 6], 3, seed=0)
    >>> {k: v.shape for k, v in net.params.items()}
    {'W1': (4, 5), 'b1': (5,), 'W2': (5, 6), 'b2': (6,), 'W3': (6, 3), 'b3': (3,)}
    >>> list(net.layers)
    ['Affine1', 'Relu1', 'Affine2', 'Relu2', 'Affine3']
    >>> book = MultiLayerNet(input_size=4, hidden_size_list=[5, 6], output_size=3, weight_init_std="relu")
    >>> all(np.array_equal(book.params[k], net.params[k]) for k in net.params)  # "relu" is He's rule
    True
    """

    def __init__(self, input_size: int, hidden_sizes: Sequence[int] | None = None, output_size: int | None = None,
                 weight_init_std: float | str = "he", *, activation: str = "relu",
                 weight_decay_lambda: float = 0.0, hidden_size_list: Sequence[int] | None = None,
                 seed: int = 0, rng: np.random.Generator | None = None, dtype: type = np.float64) -> None:
        hidden_sizes = either(hidden_sizes, hidden_size_list, "hidden_sizes", "hidden_size_list")
        if output_size is None:
            raise TypeError("output_size is missing: the number of classes")
        sizes = [input_size, *hidden_sizes, output_size]
        if not hidden_sizes:
            raise ValueError("hidden_sizes must name at least one hidden layer, got []")
        for name, size in zip(["input_size", *(["hidden_sizes"] * len(hidden_sizes)), "output_size"], sizes):
            if not (isinstance(size, (int, np.integer)) and size > 0):
                raise ValueError(f"{name} must hold positive integers, got {size!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if np.dtype(dtype) not in [np.dtype(d) for d in DTYPES]:
            raise TypeError(f"dtype must be np.float32 or np.float64, got {np.dtype(dtype)}")
        if weight_decay_lambda != 0:
            check_positive(weight_decay_lambda, "weight_decay_lambda")
        self.dtype, self.output_size = np.dtype(dtype), output_size
        self.hidden_sizes = list(hidden_sizes)
        self.weight_decay_lambda = weight_decay_lambda
        rng = np.random.default_rng(seed) if rng is None else rng
        self.params, self.layers = {}, {}
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
            std = init_scale(weight_init_std, n_in)
            self.params[f"W{i}"] = (std * rng.standard_normal((n_in, n_out))).astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(n_out, dtype=self.dtype)
            # the first layer's dx would be the gradient with respect to the data: skip it
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"], input_grad=i > 1)
            if i < len(sizes) - 1:
                self.layers[f"{activation.capitalize()}{i}"] = ACTIVATIONS[activation]()
        self._shapes = {key: p.shape for key, p in self.params.items()}
        self.last_layer = SoftmaxWithLoss(check_t=False)  # the net checks t itself: _check_t

    def _penalty(self) -> float:
        """The weight decay term ``lambda / 2 * sum(W**2)``, over every weight matrix."""
        weights = sum(float(np.sum(self.params[f"W{i}"] ** 2)) for i, _ in self._affines())
        return 0.5 * self.weight_decay_lambda * weights

    def _loss(self, x: np.ndarray, t: np.ndarray) -> float:
        loss = super()._loss(x, t)
        if self.weight_decay_lambda:
            loss += self._penalty()
        return loss

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        loss, grads = super().loss_and_gradient(x, t)
        if self.weight_decay_lambda:
            for i, _ in self._affines():  # d/dW of lambda/2 * sum(W**2) is lambda * W
                grads[f"W{i}"] = grads[f"W{i}"] + self.weight_decay_lambda * self.params[f"W{i}"]
        return loss, grads
# --8<-- [end:multi_layer_net]
