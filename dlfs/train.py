"""The training loop: mini-batches, gradients, updates, and a record of it all.

Chapter "Training on MNIST" (``docs/training.md``) runs it. By default each
epoch visits every training example once, in a fresh random order (sampling
*without* replacement); ``replace=True`` draws each batch independently, as
the book does. An epoch is ``len(x_train) // batch_size`` iterations.
"""

from __future__ import annotations

# --8<-- [start:imports]
import dataclasses
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator

import numpy as np
from tqdm import tqdm  # a text bar; tqdm.auto would want ipywidgets in a notebook

# --8<-- [end:imports]
from dlfs._checks import check_finite, check_labels, check_positive
from dlfs.download import atomic_file
from dlfs.fused import sgd_step_function
from dlfs.nets import Network, TwoLayerNet
from dlfs.optim import SGD, Optimizer
from dlfs.progress import report


# --8<-- [start:minibatches]
def minibatches(n: int, batch_size: int, rng: np.random.Generator, *,
                replace: bool = False) -> Iterator[np.ndarray]:
    """Yield the indices of one mini-batch after another, without end.

    Without replacement (the default) each epoch is a fresh shuffle of
    ``range(n)`` cut into ``n // batch_size`` batches, so every example is
    seen once per epoch (the ``n % batch_size`` left over sit that epoch
    out). With ``replace=True`` every batch is an independent draw, as in
    the book, and an example may appear twice in one batch.

    Examples
    --------
    >>> batches = minibatches(6, 2, np.random.default_rng(0))
    >>> [next(batches).tolist() for _ in range(4)]  # one epoch, then the next
    [[3, 2], [5, 4], [0, 1], [4, 5]]
    """
    while True:
        if replace:
            yield rng.choice(n, batch_size)
            continue
        order = rng.permutation(n)  # a new epoch: a new order
        for k in range(n // batch_size):
            yield order[k * batch_size:(k + 1) * batch_size]
# --8<-- [end:minibatches]


# --8<-- [start:history]
@dataclasses.dataclass
class History:
    """What happened during `train`: losses, accuracies and timings.

    ``loss[i]`` is the mini-batch loss at iteration i+1, before its update.
    Accuracies are measured after the iterations listed in ``eval_iters``
    (every epoch, and after the last iteration). ``train_time`` counts only
    gradients and updates; evaluation is timed separately in ``eval_time``.
    With a validation set, ``val_acc`` is measured too, ``best_iter`` is the
    iteration of its best value, and ``stopped_early`` says whether early
    stopping ended the run before ``iters``.
    """

    method: str
    iters: int
    batch_size: int
    lr: float
    seed: int
    loss: list[float] = dataclasses.field(default_factory=list)
    eval_iters: list[int] = dataclasses.field(default_factory=list)
    train_acc: list[float] = dataclasses.field(default_factory=list)
    test_acc: list[float] = dataclasses.field(default_factory=list)
    val_acc: list[float] = dataclasses.field(default_factory=list)
    best_iter: int | None = None  # with a validation set: the evaluation with the best val_acc
    stopped_early: bool = False
    train_time: float = 0.0
    eval_time: float = 0.0

    @property
    def time_per_iter(self) -> float:
        """Seconds of gradient + update per iteration."""
        return self.train_time / max(len(self.loss), 1)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"time_per_iter": self.time_per_iter}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the history as JSON, atomically (a temp file, then a rename)."""
        with atomic_file(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)
# --8<-- [end:history]


def fast_path(net: Network) -> Callable[[np.ndarray, np.ndarray], tuple[float, dict[str, np.ndarray]]]:
    """What `train` calls for the gradients of a batch whose data it has already checked: the fast path
    when there is one.

    A `TwoLayerNet` (or a subclass that keeps its ``loss_and_gradient``) has
    ``_loss_and_gradient``: the same computation without the checks of `x`
    and `t` that ``loss_and_gradient`` makes on every call. Any other network gets
    its ``loss_and_gradient``. (With a plain `SGD`, `train` takes a step of
    `dlfs.fused` instead, which needs no separate gradients.)

    Examples
    --------
    >>> net = TwoLayerNet(4, 5, 3)
    >>> fast_path(net) == net._loss_and_gradient
    True
    """
    if type(net).loss_and_gradient is TwoLayerNet.loss_and_gradient:
        return net._loss_and_gradient  # type: ignore[attr-defined]
    return net.loss_and_gradient


# --8<-- [start:train]
METHODS = ("backprop", "numerical")


class DivergenceWarning(RuntimeWarning):
    """Training made the loss much larger instead of smaller: the learning rate is too large."""


def check_data(x: np.ndarray, t: np.ndarray | None, n_classes: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(x, t)`` checked: x of shape (N, ...) and finite, t as N class indices."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x_{name} must have shape (N, ...), got shape {x.shape}")
    check_finite(x, f"x_{name}")
    if t is None:
        raise ValueError(f"t_{name} is missing: x_{name} needs its labels")
    t = np.asarray(t)
    if len(t) != len(x):
        raise ValueError(f"t_{name} must have {len(x)} labels, one per row of x_{name}; got {len(t)}")
    return x, check_labels(t, n=len(x), n_classes=n_classes, name=f"t_{name}")


def split_validation(x: np.ndarray, t: np.ndarray, size: int, seed: int = 0
                     ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Carve `size` random examples out of (x, t): ``(x_rest, t_rest), (x_val, t_val)``.

    The examples are drawn by ``np.random.default_rng([seed, 1])``, a stream of
    its own, so the split does not change the order of the mini-batches.
    """
    if not (isinstance(size, (int, np.integer)) and 0 < size < len(x)):
        raise ValueError(f"the validation size must be an integer from 1 to {len(x) - 1}, got {size!r}")
    order = np.random.default_rng([seed, 1]).permutation(len(x))
    val, rest = order[:size], order[size:]
    return (x[rest], t[rest]), (x[val], t[val])


def train(net: Network, x_train: np.ndarray, t_train: np.ndarray,
          x_test: np.ndarray | None = None, t_test: np.ndarray | None = None, *,
          iters: int = 10_000, batch_size: int = 100, lr: float = 0.1,
          optimizer: Optimizer | None = None, method: str = "backprop", seed: int = 0,
          replace: bool = False, eval_every: int | None = None,
          progress: bool | None = None, val_size: int = 0, patience: int | None = None,
          fused: bool = True) -> History:
    """Train `net` with mini-batch gradient descent and return a `History`.

    Parameters
    ----------
    net : a `dlfs.nets.Network`, such as `dlfs.nets.TwoLayerNet`
    x_train, t_train : training inputs (N, D) and labels (indices or one-hot)
    x_test, t_test : optional test set, evaluated alongside
    iters, batch_size, lr : the book's 10,000, 100 and 0.1 by default
    optimizer : an object with ``update(params, grads)``; default ``SGD(lr)``
    method : "backprop" or "numerical" (two losses per parameter: slow)
    seed : int, seeds the order of the mini-batches
    replace : bool, draw batches with replacement, as the book does
    eval_every : int, iterations between accuracy checks; default one epoch
    progress : bool, show a progress bar; default only on a terminal
    val_size : int, default 0
        Carve this many random training examples out as a validation set
        (`split_validation`): they are never trained on, and their accuracy
        is recorded in ``val_acc`` at every evaluation.
    patience : int, optional
        Early stopping (needs `val_size`): stop when the validation accuracy
        has not improved for this many evaluations in a row. Either way, the
        run ends with the parameters of its best evaluation put back.
    fused : bool, default True
        A `TwoLayerNet` trained by backprop with a plain `SGD` takes each step
        in one call, the learning rate folded into the backward pass
        (`dlfs.fused`): fused into one function by default, through the layers
        with ``fused=False``. The two do the same arithmetic, so they give the
        same numbers (bit for bit with NumPy's OpenBLAS); a loop of
        ``loss_and_gradient`` and ``SGD.update`` agrees with them to
        rounding. Any other network or optimizer: gradients, then
        ``optimizer.update``.

    Raises
    ------
    FloatingPointError
        The loss stopped being finite; the message names the iteration and `lr`.
        The parameters are left as they were before that iteration.

    Warns
    -----
    DivergenceWarning
        The loss ended far above where it started (the mean of the last 100
        losses is more than twice the larger of the first loss and
        log(number of classes), the loss of a uniform guess); the message names `lr`.

    Examples
    --------
    >>> from dlfs.nets import TwoLayerNet
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((60, 4)); t = (x[:, 0] > 0).astype(int)
    >>> h = train(TwoLayerNet(4, 8, 2), x, t, iters=300, batch_size=10, lr=0.5)
    >>> h.eval_iters[:3], h.train_acc[-1] > 0.9
    ([6, 12, 18], True)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not (isinstance(iters, (int, np.integer)) and iters >= 1):
        raise ValueError(f"iters must be an integer >= 1, got {iters!r}")
    check_positive(lr, "lr")
    if not isinstance(fused, bool):
        raise TypeError(f"fused must be True or False, got {fused!r}")
    x_train, t_train = check_data(x_train, t_train, net.output_size, "train")
    val = None
    if val_size:
        (x_train, t_train), val = split_validation(x_train, t_train, val_size, seed)
    if patience is not None and (val is None or not (isinstance(patience, (int, np.integer)) and patience >= 1)):
        raise ValueError(f"patience must be an integer >= 1, with val_size > 0; got patience={patience!r}, "
                         f"val_size={val_size!r}")
    n = len(x_train)
    if not (isinstance(batch_size, (int, np.integer)) and 1 <= batch_size <= n):
        raise ValueError(f"batch_size must be an integer from 1 to the training set size {n}, got {batch_size!r}")
    test = None if x_test is None else check_data(x_test, t_test, net.output_size, "test")
    x_train = x_train.astype(net.dtype, copy=False)  # cast once here, not once per batch
    loss_and_gradient = fast_path(net)  # x_train and t_train are checked: no need to check each batch again
    optimizer = SGD(lr) if optimizer is None else optimizer
    # plain SGD on a TwoLayerNet: one call computes the loss and makes the update (dlfs.fused)
    sgd_step = sgd_step_function(net, optimizer, fused) if method == "backprop" else None
    eval_every = n // batch_size if eval_every is None else eval_every
    batches = minibatches(n, batch_size, np.random.default_rng(seed), replace=replace)
    history = History(method, iters, batch_size, lr, seed)
    best: dict[str, np.ndarray] = {}  # the parameters at the best validation accuracy

    caller_errstate = np.geterr()  # for the evaluations: they warn as the caller's code would
    # The steps do not warn of overflow: it makes the loss non-finite, which
    # is reported below with the iteration and learning rate.
    with tqdm(total=iters, disable=None if progress is None else not progress,
              unit="it", desc=method) as bar, np.errstate(over="ignore", invalid="ignore"):
        for i in range(iters):
            start = time.perf_counter()
            batch = next(batches)
            x_batch, t_batch = x_train[batch], t_train[batch]
            if sgd_step is not None:
                loss = sgd_step(x_batch, t_batch)  # the update is made too
            elif method == "backprop":
                loss, grads = loss_and_gradient(x_batch, t_batch)
            else:
                grads = net.numerical_gradient(x_batch, t_batch)
                loss = net.loss(x_batch, t_batch)
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"the loss became {loss} at iteration {i + 1} with lr={lr}: "
                    f"the steps are too large; try a smaller learning rate"
                )
            if sgd_step is None:
                optimizer.update(net.params, grads)
            history.train_time += time.perf_counter() - start
            history.loss.append(float(loss))

            if (i + 1) % eval_every == 0 or i + 1 == iters:
                start = time.perf_counter()
                history.eval_iters.append(i + 1)
                with np.errstate(**caller_errstate):
                    history.train_acc.append(net.accuracy(x_train, t_train))
                    if test is not None:
                        history.test_acc.append(net.accuracy(*test))
                    if val is not None:
                        history.val_acc.append(net.accuracy(*val))
                if val is not None and history.val_acc[-1] > max(history.val_acc[:-1], default=-1.0):
                    history.best_iter = i + 1
                    best = {key: p.copy() for key, p in net.params.items()}
                history.eval_time += time.perf_counter() - start
                bar.set_postfix(loss=f"{loss:.3f}", train_acc=f"{history.train_acc[-1]:.3f}")
                if patience is not None and len(history.val_acc) - 1 - history.val_acc.index(
                        max(history.val_acc)) >= patience:
                    history.stopped_early = True
                    break
            bar.update()
            report(method, i + 1, iters)  # for a listener such as the browser's progress bar
    if patience is not None:
        for key, p in best.items():  # back to the best evaluation, in place
            net.params[key][...] = p
    warn_if_diverged(history, net.output_size)
    return history


def warn_if_diverged(history: History, n_classes: int) -> None:
    """Warn when the recent losses are far above the start: a finite loss can explode too."""
    recent = float(np.mean(history.loss[-100:]))
    limit = 2 * max(history.loss[0], float(np.log(n_classes)))
    if recent > limit:
        warnings.warn(
            f"the loss grew from {history.loss[0]:.4g} to {recent:.4g} (mean of the last "
            f"{len(history.loss[-100:])} iterations) with lr={history.lr}: training diverged; "
            f"try a smaller learning rate", DivergenceWarning, stacklevel=3)
# --8<-- [end:train]
