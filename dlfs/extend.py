"""`MultiLayerNet` with batch normalization and dropout: the book's `MultiLayerNetExtend`.

Chapter "Optimizers, normalization and regularization"
(``docs/optimizers-and-regularization.md``) uses it for batch normalization
and for dropout against overfitting. Each hidden
layer is Affine -> BatchNorm (optional) -> activation -> Dropout (optional);
the last is Affine -> softmax, as in `dlfs.multilayer.MultiLayerNet`, whose
initialization, weight decay, seed and dtype rules it keeps: with neither
option it is a `MultiLayerNet`, with the same weights for the same seed.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Sequence
from typing import Any

import numpy as np

# --8<-- [end:imports]
from dlfs._checks import either
from dlfs.layers import Affine
from dlfs.multilayer import MultiLayerNet
from dlfs.trainmode import BatchNormalization, Dropout


# --8<-- [start:multi_layer_net_extend]
class MultiLayerNetExtend(MultiLayerNet):
    """A `MultiLayerNet` whose hidden layers may use batch normalization and dropout.

    `predict`, `loss` and `accuracy` run in inference mode unless told
    otherwise (``train_flg=False``, as in the book); `gradient`,
    `loss_and_gradient` and `numerical_gradient` differentiate the loss in
    training mode (batch statistics, a fresh dropout mask), as the book's do.
    Each training pass updates the running statistics of batch normalization.

    Parameters
    ----------
    input_size, hidden_sizes, hidden_size_list, output_size, weight_init_std
        As for `MultiLayerNet` (``hidden_size_list`` is the book's name for `hidden_sizes`).
    activation, weight_decay_lambda, seed, rng, dtype
        As for `MultiLayerNet`; the dropout masks are drawn from the same
        generator, after the initial weights.
    use_dropout : bool, default False
        A `dlfs.layers.Dropout` (the book's form) after each hidden activation.
    dropout_ratio : float, default 0.5
        The probability that a hidden unit is dropped; ``dropout_ration``
        (sic) is the book's keyword for it.
    use_batchnorm : bool, default False
        A `dlfs.layers.BatchNormalization` between each hidden Affine and its
        activation, with parameters ``gamma1, beta1, gamma2, ...`` in
        ``params`` (starting at 1 and 0).

    Examples
    --------
    >>> net = MultiLayerNetExtend(input_size=4, hidden_size_list=[5, 5], output_size=3,
    ...                           use_batchnorm=True, use_dropout=True, dropout_ration=0.2)
    >>> list(net.params)
    ['W1', 'b1', 'gamma1', 'beta1', 'W2', 'b2', 'gamma2', 'beta2', 'W3', 'b3']
    >>> list(net.layers)
    ['Affine1', 'BatchNorm1', 'Relu1', 'Dropout1', 'Affine2', 'BatchNorm2', 'Relu2', 'Dropout2', 'Affine3']
    >>> x, t = np.random.default_rng(0).standard_normal((6, 4)), np.array([0, 1, 2, 0, 1, 2])
    >>> {k: g.shape for k, g in net.gradient(x, t).items() if k.endswith("1")}
    {'W1': (4, 5), 'b1': (5,), 'gamma1': (5,), 'beta1': (5,)}
    """

    def __init__(self, input_size: int, hidden_sizes: Sequence[int] | None = None, output_size: int | None = None,
                 weight_init_std: float | str = "he", *, activation: str = "relu",
                 weight_decay_lambda: float = 0.0, use_dropout: bool = False, dropout_ratio: float | None = None,
                 use_batchnorm: bool = False, hidden_size_list: Sequence[int] | None = None,
                 dropout_ration: float | None = None, seed: int = 0, rng: np.random.Generator | None = None,
                 dtype: type = np.float64) -> None:
        ratio = either(dropout_ratio, dropout_ration, "dropout_ratio", "dropout_ration", default=0.5)
        rng = np.random.default_rng(seed) if rng is None else rng
        super().__init__(input_size, hidden_sizes, output_size, weight_init_std, activation=activation,
                         weight_decay_lambda=weight_decay_lambda, hidden_size_list=hidden_size_list,
                         rng=rng, dtype=dtype)
        self.use_dropout, self.use_batchnorm, self.dropout_ratio = use_dropout, use_batchnorm, ratio
        n_hidden = len(self.hidden_sizes)
        params: dict[str, np.ndarray] = {}
        layers: dict[str, Any] = {}
        i = 0
        for name, layer in self.layers.items():  # the MultiLayerNet's layers, with the new ones in between
            layers[name] = layer
            if isinstance(layer, Affine):
                i = int(name.removeprefix("Affine"))
                params[f"W{i}"], params[f"b{i}"] = self.params[f"W{i}"], self.params[f"b{i}"]
                if use_batchnorm and i <= n_hidden:
                    size = self.hidden_sizes[i - 1]
                    params[f"gamma{i}"] = np.ones(size, dtype=self.dtype)
                    params[f"beta{i}"] = np.zeros(size, dtype=self.dtype)
                    layers[f"BatchNorm{i}"] = BatchNormalization(params[f"gamma{i}"], params[f"beta{i}"])
            elif use_dropout:  # an activation: dropout follows it
                layers[f"Dropout{i}"] = Dropout(ratio, rng=rng)
        self.params, self.layers = params, layers
        self._shapes = {key: p.shape for key, p in self.params.items()}

    def _bind_params(self) -> None:
        super()._bind_params()  # checks every entry of params, and points the Affines at theirs
        for name, layer in self.layers.items():
            if isinstance(layer, BatchNormalization):
                i = name.removeprefix("BatchNorm")
                layer.gamma, layer.beta = self.params[f"gamma{i}"], self.params[f"beta{i}"]

    def _forward(self, x: np.ndarray, train_flg: bool = False) -> np.ndarray:
        self._bind_params()
        for layer in self.layers.values():
            if isinstance(layer, (BatchNormalization, Dropout)):
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def predict(self, x: np.ndarray, train_flg: bool = False) -> np.ndarray:
        """Return the scores (before softmax), shape (N, output_size); inference mode by default."""
        return self._forward(self._check_x(x), train_flg)

    def _loss(self, x: np.ndarray, t: np.ndarray, train_flg: bool = True) -> float:
        """The loss of checked inputs, in training mode unless told otherwise: what the gradients differentiate."""
        loss = self.last_layer.forward(self._forward(x, train_flg), t)
        if self.weight_decay_lambda:
            loss += self._penalty()
        return loss

    def loss(self, x: np.ndarray, t: np.ndarray, train_flg: bool = False) -> float:
        """Return the loss on the batch (x, t), weight decay included; inference mode by default."""
        x = self._check_x(x)
        return self._loss(x, self._check_t(t, len(x)), train_flg)

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Return the training-mode loss and its gradients by backpropagation."""
        x = self._check_x(x)
        loss = self._loss(x, self._check_t(t, len(x)), train_flg=True)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads: dict[str, Any] = {}
        for name, layer in self.layers.items():  # in the order of params
            if isinstance(layer, Affine):
                i = name.removeprefix("Affine")
                grads[f"W{i}"], grads[f"b{i}"] = layer.dW, layer.db
                if self.weight_decay_lambda:  # d/dW of lambda/2 * sum(W**2) is lambda * W
                    grads[f"W{i}"] = grads[f"W{i}"] + self.weight_decay_lambda * self.params[f"W{i}"]
            elif isinstance(layer, BatchNormalization):
                i = name.removeprefix("BatchNorm")
                grads[f"gamma{i}"], grads[f"beta{i}"] = layer.dgamma, layer.dbeta
        return loss, grads
# --8<-- [end:multi_layer_net_extend]
