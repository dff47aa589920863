"""The book's `Trainer` and its two helpers, `shuffle_dataset` and `smooth_curve`.

Chapters "Making training work" (``docs/making-training-work.md``) and
"Optimizers, normalization and regularization"
(``docs/optimizers-and-regularization.md``) train with `dlfs.train.train`;
`Trainer` is the book's chapter 6 interface to the same loop
(``Trainer(network, x_train, t_train, x_test, t_test, epochs=...,
optimizer='sgd', optimizer_param={'lr': 0.01}).train()``), so the book's
scripts run unchanged. It differs from the book's in two ways, both
stated in its docstring: batches come from a seeded generator, and each
epoch's accuracies are measured at the end of the epoch.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# --8<-- [end:imports]
from dlfs.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, Optimizer, RMSprop
from dlfs.train import minibatches

OPTIMIZERS: dict[str, type] = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov,
                               "adagrad": AdaGrad, "rmsprop": RMSprop, "adam": Adam}


# --8<-- [start:util]
def shuffle_dataset(x: np.ndarray, t: np.ndarray, seed: int = 0, *,
                    rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return new arrays holding the examples of x and their labels t in one random order.

    Parameters
    ----------
    x : ndarray of shape (N, ...)
    t : ndarray of shape (N,) or (N, C)
    seed : int, default 0
        Seeds the order; ignored when `rng` is given. (The book draws from
        the global ``np.random``.)
    rng : numpy.random.Generator, optional

    Examples
    --------
    >>> x, t = np.arange(8.0).reshape(4, 2), np.array([0, 1, 2, 3])
    >>> xs, ts = shuffle_dataset(x, t, seed=2)
    >>> ts, xs[:, 0] / 2  # the rows move with their labels
    (array([3, 2, 0, 1]), array([3., 2., 0., 1.]))
    """
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim < 1 or t.ndim < 1 or len(x) != len(t):
        raise ValueError(f"x and t must hold the same number of examples, got shapes {x.shape} and {t.shape}")
    order = (np.random.default_rng(seed) if rng is None else rng).permutation(len(x))
    return x[order], t[order]


def smooth_curve(x: Sequence[float] | np.ndarray, window_len: int = 11) -> np.ndarray:
    """Smooth a noisy curve (a loss per iteration) with a weighted moving average of `window_len` points.

    Each point becomes the average of its neighborhood, weighted by a Kaiser
    window (``np.kaiser(window_len, 2)``: a bell that gives the center the
    most weight); at the two ends the curve is mirrored, so the result has
    the length of `x`. It is for plots only: it moves the curve, so read no
    number off it.

    Parameters
    ----------
    x : sequence of float, shape (N,)
    window_len : odd int >= 1, default 11

    Returns
    -------
    ndarray of shape (N,)

    Examples
    --------
    >>> smooth_curve([0.0, 0.0, 0.0, 9.0, 0.0, 0.0, 0.0], window_len=3).round(2)
    array([0.  , 0.  , 2.1 , 4.79, 2.1 , 0.  , 0.  ])
    """
    if not (isinstance(window_len, (int, np.integer)) and window_len >= 1 and window_len % 2 == 1):
        raise ValueError(f"window_len must be an odd integer >= 1, got {window_len!r}")
    y = np.asarray(x, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"x must be one curve, shape (N,), got shape {y.shape}")
    if len(y) < 2:
        return y.copy()
    weights = np.kaiser(window_len, 2.0)
    padded = np.pad(y, window_len // 2, mode="reflect")  # mirror the ends: x[2], x[1], x[0], x[1], ...
    return np.convolve(padded, weights / weights.sum(), mode="valid")
# --8<-- [end:util]


# --8<-- [start:trainer]
class Trainer:
    """Train a network for a number of epochs with a named optimizer, as the book's `Trainer` does.

    Each iteration takes a mini-batch, computes ``network.gradient``,
    updates ``network.params``, then records ``network.loss`` on the same
    batch (after the update, as the book does). At the end of each epoch it
    records the accuracy on the training and test sets (their first
    `evaluate_sample_num_per_epoch` examples if given). An epoch is
    ``max(N // mini_batch_size, 1)`` iterations.

    Where it differs from the book's: the batches come from
    ``np.random.default_rng(seed)``, not the global ``np.random``; by default
    each epoch visits every example once (``replace=True`` draws each batch
    independently, as the book does); and accuracies are measured at the end
    of each epoch, not after its first iteration, so ``train_acc_list[-1]``
    is the accuracy of the trained network.

    Parameters
    ----------
    network : a network with ``params``, ``gradient``, ``loss`` and ``accuracy``
        such as `dlfs.multilayer.MultiLayerNet`.
    x_train, t_train, x_test, t_test : ndarray
        Inputs of shape (N, ...) and labels (class indices or one-hot).
    epochs : int, default 20
    mini_batch_size : int, default 100
    optimizer : str or optimizer, default "SGD"
        One of ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
        ``"rmsprop"``, ``"adam"`` (any case), or an object with ``update``.
    optimizer_param : mapping, optional
        Keywords for the named optimizer; default ``{"lr": 0.01}``.
    evaluate_sample_num_per_epoch : int, optional
    verbose : bool, default True
        Print the loss of every iteration and the accuracies of every epoch
        as the book does; ``False`` prints nothing.
    seed : int, default 0
    replace : bool, default False

    Attributes
    ----------
    train_loss_list, train_acc_list, test_acc_list : list of float

    Examples
    --------
    >>> from dlfs.multilayer import MultiLayerNet
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((200, 4)); t = (x[:, 0] > 0).astype(int)
    >>> net = MultiLayerNet(input_size=4, hidden_size_list=[10], output_size=2)
    >>> trainer = Trainer(net, x[:150], t[:150], x[150:], t[150:], epochs=10, mini_batch_size=50,
    ...                   optimizer="Adam", optimizer_param={"lr": 0.01}, verbose=False)
    >>> test_acc = trainer.train()
    >>> len(trainer.train_loss_list), len(trainer.train_acc_list), trainer.test_acc_list[-1] > 0.9
    (30, 10, True)
    """

    def __init__(self, network: Any, x_train: np.ndarray, t_train: np.ndarray, x_test: np.ndarray,
                 t_test: np.ndarray, epochs: int = 20, mini_batch_size: int = 100,
                 optimizer: str | Optimizer = "SGD", optimizer_param: Mapping[str, Any] | None = None,
                 evaluate_sample_num_per_epoch: int | None = None, verbose: bool = True, *,
                 seed: int = 0, replace: bool = False) -> None:
        for name, (x, t) in {"train": (x_train, t_train), "test": (x_test, t_test)}.items():
            if np.ndim(x) < 2 or np.ndim(t) < 1 or len(x) != len(t):
                raise ValueError(f"x_{name} must have shape (N, ...) and t_{name} N labels, "
                                 f"got shapes {np.shape(x)} and {np.shape(t)}")
        n = len(x_train)
        for name, value in [("epochs", epochs), ("mini_batch_size", mini_batch_size)]:
            if not (isinstance(value, (int, np.integer)) and value >= 1):
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not replace and mini_batch_size > n:
            raise ValueError(f"mini_batch_size must be at most the {n} training examples (or replace=True), "
                             f"got {mini_batch_size}")
        if isinstance(optimizer, str):
            if optimizer.lower() not in OPTIMIZERS:
                raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)} (any case), got {optimizer!r}")
            param = {"lr": 0.01} if optimizer_param is None else optimizer_param
            self.optimizer: Optimizer = OPTIMIZERS[optimizer.lower()](**param)
        else:
            self.optimizer = optimizer
        self.network, self.verbose = network, verbose
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.epochs, self.batch_size = epochs, mini_batch_size
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.iter_per_epoch = max(n // mini_batch_size, 1)
        self.max_iter = epochs * self.iter_per_epoch
        self.current_iter, self.current_epoch = 0, 0
        self.train_loss_list: list[float] = []
        self.train_acc_list: list[float] = []
        self.test_acc_list: list[float] = []
        self._batches = minibatches(n, mini_batch_size, np.random.default_rng(seed), replace=replace)

    def train_step(self) -> None:
        """One iteration: gradient, update, loss; at the end of an epoch, the accuracies."""
        batch = next(self._batches)
        x_batch, t_batch = self.x_train[batch], self.t_train[batch]
        grads = self.network.gradient(x_batch, t_batch)
        self.optimizer.update(self.network.params, grads)
        loss = float(self.network.loss(x_batch, t_batch))
        self.train_loss_list.append(loss)
        if self.verbose:
            print(f"train loss:{loss}")
        self.current_iter += 1
        if self.current_iter % self.iter_per_epoch == 0:
            self.current_epoch += 1
            k = self.evaluate_sample_num_per_epoch  # None: every example
            train_acc = float(self.network.accuracy(self.x_train[:k], self.t_train[:k]))
            test_acc = float(self.network.accuracy(self.x_test[:k], self.t_test[:k]))
            self.train_acc_list.append(train_acc)
            self.test_acc_list.append(test_acc)
            if self.verbose:
                print(f"=== epoch:{self.current_epoch}, train acc:{train_acc}, test acc:{test_acc} ===")

    def train(self) -> float:
        """Run every remaining iteration; return the accuracy on the whole test set."""
        while self.current_iter < self.max_iter:
            self.train_step()
        test_acc = float(self.network.accuracy(self.x_test, self.t_test))
        if self.verbose:
            print("=============== Final Test Accuracy ===============")
            print(f"test acc:{test_acc}")
        return test_acc
# --8<-- [end:trainer]
