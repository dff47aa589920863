"""Exercises of chapter 7, "Training on MNIST" (``docs/training.md``).

`sgd` and `training-loop` are checked on small synthetic data (50 examples of
4 features, 3 classes) and a `dlfs.nets.TwoLayerNet` wrapped to record which
examples each step used. The capstone, `two-layer-net`, puts the learner's
own pieces together, `AssembledTwoLayerNet`, and trains it on MNIST: the one
check that takes seconds rather than milliseconds.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from dlfs.exercises.backprop import AFFINE
from dlfs.exercises.core import Exercise, Failure, Mutant, Result, array, call, close, compare, where
from dlfs.nets import TwoLayerNet

# ------------------------------------------------------------------ optimizers: what every check shares


def optimizer_problem(seed: int, steps: int, scale: tuple[float, float] = (0.5, 2.0)
                      ) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
    """Parameters of three shapes and `steps` gradients for them, entries of size `scale` and either sign."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 2))}

    def gradient(shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(*scale, size=shape) * rng.choice([-1.0, 1.0], size=shape)

    return params, [{key: gradient(p.shape) for key, p in params.items()} for _ in range(steps)]


def learner_updates(what: str, optimizer: Any, params: dict[str, np.ndarray],
                    grads_seq: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    """Call ``optimizer.update(params, grads)`` for each grads; return copies of params after each step.

    A Failure if an update changes grads, puts a new array in params instead
    of writing into the one there, or leaves params as they were.
    """
    history = []
    for step, grads in enumerate(grads_seq, start=1):
        arrays = dict(params)  # the arrays themselves: a layer holds these
        before = {key: p.copy() for key, p in params.items()}
        grads_before = {key: g.copy() for key, g in grads.items()}
        call(f"{what}.update(params, grads) at step {step}", optimizer.update, params, grads)
        for key, g in grads.items():
            if not np.array_equal(g, grads_before[key]):
                raise Failure(f"update changed grads[{key!r}]: compute the step as a new array "
                              f"(self.lr * grads[key]), never write into grads")
        for key, p in arrays.items():
            if params.get(key) is not p:
                raise Failure(f"after update, params[{key!r}] is a new array: a layer that holds the old one "
                              f"(Affine keeps the W it was given) never sees the step. Write into the array "
                              f"itself, params[key] -= ...")
        if all(np.array_equal(params[key], before[key]) for key in params):
            raise Failure(f"update left params as they were at step {step}: write the new values into the "
                          f"arrays of params")
        history.append({key: p.copy() for key, p in params.items()})
    return history


def copy_params(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: p.copy() for key, p in params.items()}


def reference_updates(optimizer: Any, params: dict[str, np.ndarray],
                      grads_seq: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    """Params after each step of a `dlfs.optim` optimizer, from a copy of `params`."""
    params, history = copy_params(params), []
    for grads in grads_seq:
        optimizer.update(params, grads)
        history.append(copy_params(params))
    return history


def close_run(got: list[dict[str, np.ndarray]], expected: list[dict[str, np.ndarray]], tol: float) -> bool:
    return all(close(g[key], e[key], tol) for g, e in zip(got, expected) for key in e)


def compare_run(what: str, got: list[dict[str, np.ndarray]], expected: list[dict[str, np.ndarray]],
                tol: float = 1e-9, note: str = "") -> None:
    """A Failure at the first step and parameter where `got` is off, if any."""
    for step, (g, e) in enumerate(zip(got, expected), start=1):
        for key in e:
            compare(f"{what}: after step {step}, params[{key!r}]", g[key], e[key], tol=tol, note=note)


# ------------------------------------------------------------------ sgd

SGD_STARTER = '''\
import numpy as np


class SGD:
    """Stochastic gradient descent: every parameter steps by lr against its gradient.

    update(params, grads) writes the new values into the arrays of params: a
    layer holds those very arrays, so a new array would never reach it.
    """

    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        raise NotImplementedError("not implemented yet")
'''

SGD = '''\
import numpy as np


class SGD:
    """Stochastic gradient descent: every parameter steps by lr against its gradient."""

    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * grads[key]  # in place: the layers hold these arrays
'''


def sgd_steps(params: dict[str, np.ndarray], grads_seq: list[dict[str, np.ndarray]],
              step: Any) -> list[dict[str, np.ndarray]]:
    """Params after each step of ``p = step(p, g)``: the right update or a known mistake."""
    params, history = copy_params(params), []
    for grads in grads_seq:
        params = {key: step(p, grads[key]) for key, p in params.items()}
        history.append(params)
    return history


def test_sgd(SGD: Any) -> None:
    from dlfs import optim

    params, grads_seq = optimizer_problem(seed=0, steps=2)
    start = copy_params(params)
    got = learner_updates("SGD(lr=0.1)", call("SGD(lr=0.1)", SGD, lr=0.1), params, grads_seq)
    expected = reference_updates(optim.SGD(lr=0.1), start, grads_seq)
    if not close_run(got, expected, 1e-9):
        mistakes = {"it moves up the gradient, p + lr * g: a step against the gradient is params[key] -= "
                    "self.lr * grads[key]": lambda p, g: p + 0.1 * g,
                    "the step ignores lr: params[key] -= self.lr * grads[key]": lambda p, g: p - g}
        for message, step in mistakes.items():
            if close_run(got, sgd_steps(start, grads_seq, step), 1e-9):
                raise Failure(f"SGD(lr=0.1): {message}")
        compare_run("SGD(lr=0.1)", got, expected, note="Each step is params[key] -= lr * grads[key]")
    params, grads_seq = optimizer_problem(seed=1, steps=1)
    expected = reference_updates(optim.SGD(), params, grads_seq)
    got = learner_updates("SGD()", call("SGD()", SGD), params, grads_seq)
    if not close_run(got, expected, 1e-9):
        raise Failure("SGD() takes a different step from SGD(lr=0.01): the default learning rate is lr=0.01")


# ------------------------------------------------------------------ training-loop

TRAIN_STARTER = '''\
import numpy as np


def train(net, x_train, t_train, x_test, t_test, epochs, batch_size, lr, seed, optimizer=None):
    """Mini-batch gradient descent: return train_loss_list, train_acc_list, test_acc_list.

    Each epoch visits every training example once, in a new random order drawn
    from np.random.default_rng(seed), cut into batches of batch_size (the last
    one may be smaller). Each step: grads = net.gradient(x_batch, t_batch),
    then params[key] -= lr * grads[key] for every key of net.params (or
    optimizer.update(net.params, grads) when an optimizer is given), and the
    batch's loss, net.loss(x_batch, t_batch), goes into train_loss_list. After
    each epoch, net.accuracy on the whole training set and on the whole test set.
    """
    raise NotImplementedError("not implemented yet")
'''

TRAIN = '''\
import numpy as np


def train(net, x_train, t_train, x_test, t_test, epochs, batch_size, lr, seed, optimizer=None):
    """Mini-batch gradient descent: return train_loss_list, train_acc_list, test_acc_list."""
    rng = np.random.default_rng(seed)
    n = len(x_train)
    train_loss_list, train_acc_list, test_acc_list = [], [], []
    for epoch in range(epochs):
        order = rng.permutation(n)  # a new order every epoch, each example once
        for start in range(0, n, batch_size):  # the last batch may be smaller
            batch_mask = order[start:start + batch_size]
            x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
            grads = net.gradient(x_batch, t_batch)
            train_loss_list.append(net.loss(x_batch, t_batch))
            if optimizer is None:
                for key in net.params:
                    net.params[key] -= lr * grads[key]
            else:
                optimizer.update(net.params, grads)
        train_acc_list.append(net.accuracy(x_train, t_train))  # the whole sets, once an epoch
        test_acc_list.append(net.accuracy(x_test, t_test))
    return train_loss_list, train_acc_list, test_acc_list
'''

N_TRAIN, N_TEST, EPOCHS, BATCH, LR = 50, 30, 3, 16, 0.5  # 4 steps an epoch, the last of 2 examples


def toy_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """50 training and 30 test examples of 4 features in 3 classes, labels from a noisy linear rule."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(N_TRAIN + N_TEST, 4))
    t = np.argmax(x @ rng.normal(size=(4, 3)) + rng.normal(size=(N_TRAIN + N_TEST, 3)), axis=1)
    return x[:N_TRAIN], t[:N_TRAIN], x[N_TRAIN:], t[N_TRAIN:]


def toy_net() -> TwoLayerNet:
    return TwoLayerNet(4, 6, 3, weight_init_std=0.5, seed=1)


class RecordingNet:
    """A TwoLayerNet that records, for each gradient, which training examples it was asked about."""

    def __init__(self, x_train: np.ndarray, t_train: np.ndarray) -> None:
        self.net = toy_net()
        self.params = self.net.params
        self.x_train, self.t_train = x_train, t_train
        self.batches: list[np.ndarray] = []  # the example indices of each step
        self.snapshots: list[dict[str, np.ndarray]] = []  # the parameters when each step began
        self.evaluated: list[int] = []  # how many examples each accuracy was measured on

    def _record(self, x: np.ndarray, t: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        distance = np.abs(x[:, None, :] - self.x_train[None]).max(axis=2)
        rows = distance.argmin(axis=1)
        if not (distance[np.arange(len(x)), rows] < 1e-6).all():
            raise Failure("net.gradient was given rows that are not rows of x_train: index x_train with the "
                          "batch's indices, x_train[batch_mask]")
        if not np.array_equal(np.asarray(t).ravel(), self.t_train[rows]):
            raise Failure("net.gradient was given labels that do not belong to its rows: index x_train and "
                          "t_train with the same indices, batch_mask")
        self.batches.append(rows)
        self.snapshots.append(copy_params(self.params))

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self._record(x, t)
        return self.net.gradient(x, t)

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        self._record(x, t)
        return self.net.loss_and_gradient(x, t)

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return self.net.loss(x, t)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.net.predict(x)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        self.evaluated.append(len(x))
        return self.net.accuracy(x, t)


class RecordingSGD:
    """An optimizer that counts its calls and checks it is given the network's own params."""

    def __init__(self, net: RecordingNet, lr: float) -> None:
        self.net, self.lr, self.calls, self.foreign = net, lr, 0, False

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.calls += 1
        self.foreign |= params is not self.net.params
        for key in params:
            params[key] -= self.lr * grads[key]


def run_train(train: Any, seed: int, optimizer: RecordingSGD | None = None
              ) -> tuple[RecordingNet, list[list[float]]]:
    """The learner's train on the toy data: the network, with what it recorded, and the three lists."""
    x_train, t_train, x_test, t_test = toy_data()
    net = optimizer.net if optimizer else RecordingNet(x_train, t_train)
    what = (f"train(net, x_train, t_train, x_test, t_test, epochs={EPOCHS}, batch_size={BATCH}, lr={LR}, "
            f"seed={seed}" + (f", optimizer=SGD(lr={optimizer.lr}))" if optimizer else ")"))
    result = call(what, train, net, x_train, t_train, x_test, t_test, EPOCHS, BATCH, LR, seed,
                  **({"optimizer": optimizer} if optimizer else {}))
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        raise Failure("train should return three lists: train_loss_list, train_acc_list, test_acc_list")
    names = ("train_loss_list", "train_acc_list", "test_acc_list")
    lists = [[float(array(f"{name}[{i}]", v)) for i, v in enumerate(values)] for name, values in zip(names, result)]
    return net, lists


def check_epochs(net: RecordingNet) -> None:
    """Every epoch visits every training example once, in a new random order."""
    steps_per_epoch = -(-N_TRAIN // BATCH)
    steps = len(net.batches)
    if steps == 0:
        raise Failure("train never called net.gradient(x_batch, t_batch): each step needs the batch's gradient")
    sizes = [len(b) for b in net.batches]
    whole = N_TRAIN // BATCH  # full batches an epoch
    if steps == EPOCHS * whole and set(sizes) == {BATCH}:
        # the book's chapter 4 draws each batch with np.random.choice: say so before blaming the last batch
        for epoch in range(EPOCHS):
            counts = np.bincount(np.concatenate(net.batches[epoch * whole:(epoch + 1) * whole]), minlength=N_TRAIN)
            if (counts > 1).any():
                raise Failure(f"in epoch {epoch + 1}, {int((counts > 1).sum())} examples were used twice or more "
                              f"and {int((counts == 0).sum())} never: that is sampling with replacement "
                              f"(np.random.choice(n, batch_size) draws each batch anew). Shuffle the indices once "
                              f"an epoch, rng.permutation(n), and cut that order into batches, the last one smaller")
        raise Failure(f"each epoch took {N_TRAIN // BATCH} batches of {BATCH}, so {N_TRAIN % BATCH} of the "
                      f"{N_TRAIN} examples sat out every epoch: keep the last, smaller batch, "
                      f"for start in range(0, n, batch_size)")
    if steps != EPOCHS * steps_per_epoch:
        raise Failure(f"train took {steps} steps for {EPOCHS} epochs; with {N_TRAIN} examples in batches of "
                      f"{BATCH}, an epoch is {steps_per_epoch} steps (the last with {N_TRAIN % BATCH} examples)")
    orders = [np.concatenate(net.batches[e * steps_per_epoch:(e + 1) * steps_per_epoch]) for e in range(EPOCHS)]
    for epoch, order in enumerate(orders, start=1):
        counts = np.bincount(order, minlength=N_TRAIN)
        if (counts != 1).any():
            raise Failure(f"in epoch {epoch}, {int((counts > 1).sum())} examples were used twice or more and "
                          f"{int((counts == 0).sum())} never: that is sampling with replacement. Shuffle the "
                          f"indices once an epoch, rng.permutation(n), and cut that order into batches")
    if np.array_equal(orders[0], np.arange(N_TRAIN)):
        raise Failure("epoch 1 visits the examples in their order in x_train: shuffle them at the start of every "
                      "epoch, order = rng.permutation(n)")
    if all(np.array_equal(order, orders[0]) for order in orders):
        raise Failure("every epoch visits the examples in the same order: draw a new permutation at the start of "
                      "each epoch")


def replay(net: RecordingNet, lr: float) -> dict[str, np.ndarray]:
    """Check the parameters at each step against params -= lr * grads on the recorded batches; return the last."""
    x_train, t_train = net.x_train, net.t_train
    reference = toy_net()
    for step, (batch, snapshot) in enumerate(zip(net.batches, net.snapshots), start=1):
        for key, p in reference.params.items():
            if not close(snapshot[key], p, 1e-9):
                i = tuple(int(k) for k in np.unravel_index(int(np.argmax(np.abs(snapshot[key] - p))), p.shape))
                raise Failure(f"the parameters after step {step - 1} are not params - lr * grads: {key}{where(i)} "
                              f"is {snapshot[key][i]:.4g}, expected {p[i]:.4g}. Each step moves every parameter "
                              f"once, net.params[key] -= lr * grads[key]")
        grads = reference.gradient(x_train[batch], t_train[batch])
        for key, p in reference.params.items():
            p -= lr * grads[key]
    for key, p in reference.params.items():
        compare(f"after training, {key}", net.params[key], p, tol=1e-9,
                note="The last step moves every parameter once, net.params[key] -= lr * grads[key]")
    return reference.params


def loss_at(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray) -> float:
    net = toy_net()
    for key, p in params.items():
        net.params[key][...] = p
    return net.loss(x, t)


def accuracy_at(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray) -> float:
    net = toy_net()
    for key, p in params.items():
        net.params[key][...] = p
    return net.accuracy(x, t)


def check_lists(net: RecordingNet, final: dict[str, np.ndarray], lists: list[list[float]]) -> None:
    """The loss of each step, and the accuracies on the whole sets after each epoch."""
    losses, train_acc, test_acc = lists
    x_train, t_train, x_test, t_test = toy_data()
    steps = len(net.batches)
    after = [*net.snapshots[1:], final]  # the parameters once each step's update is done
    if len(losses) != steps:
        raise Failure(f"train_loss_list has {len(losses)} entries for {steps} steps: append one loss per step")
    for k, (batch, loss) in enumerate(zip(net.batches, losses)):
        before_update = loss_at(net.snapshots[k], x_train[batch], t_train[batch])
        after_update = loss_at(after[k], x_train[batch], t_train[batch])
        if not (close(np.array(loss), np.array(before_update), 1e-7)
                or close(np.array(loss), np.array(after_update), 1e-7)):
            raise Failure(f"train_loss_list[{k}] is {loss:.4g}, expected the loss of step {k + 1}'s batch, "
                          f"net.loss(x_batch, t_batch): {before_update:.4g} before its update, {after_update:.4g} "
                          f"after it")
    steps_per_epoch = steps // EPOCHS
    for name, values, x, t in (("train_acc_list", train_acc, x_train, t_train),
                               ("test_acc_list", test_acc, x_test, t_test)):
        if len(values) != EPOCHS:
            raise Failure(f"{name} has {len(values)} entries for {EPOCHS} epochs: measure the accuracy once an "
                          f"epoch, after its last step")
        for epoch, value in enumerate(values, start=1):
            expected = accuracy_at(after[epoch * steps_per_epoch - 1], x, t)
            if abs(value - expected) > 1e-12:
                sizes = sorted(set(net.evaluated) - {N_TRAIN, N_TEST})
                if sizes:
                    raise Failure(f"{name}[{epoch - 1}] is {value:.4g}, expected {expected:.4g}: net.accuracy "
                                  f"was measured on {sizes[0]} examples. Measure it on the whole training set "
                                  f"and the whole test set, net.accuracy(x_train, t_train), once an epoch")
                raise Failure(f"{name}[{epoch - 1}] is {value:.4g}, expected {expected:.4g}, the accuracy on all "
                              f"{len(x)} examples of the set after epoch {epoch}")


def accepts_optimizer(train: Any) -> bool:
    """Whether train takes optimizer=...; True when its signature cannot be read (the call will tell)."""
    try:
        parameters = inspect.signature(train).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "optimizer" or p.kind == p.VAR_KEYWORD for p in parameters)


def test_train(train: Any) -> None:
    net, lists = run_train(train, seed=0)
    check_epochs(net)
    final = replay(net, LR)
    check_lists(net, final, lists)
    again, _ = run_train(train, seed=0)
    if len(again.batches) != len(net.batches) or not all(
            np.array_equal(a, b) for a, b in zip(again.batches, net.batches)):
        raise Failure("two runs with seed=0 visit the examples in different orders: draw every order from "
                      "rng = np.random.default_rng(seed), not from np.random")
    if not accepts_optimizer(train):
        raise Failure("train has no optimizer argument: end its arguments with optimizer=None, and when an "
                      "optimizer is given, let each step call optimizer.update(net.params, grads)")
    optimizer = RecordingSGD(RecordingNet(*toy_data()[:2]), lr=0.3)
    other, _ = run_train(train, seed=1, optimizer=optimizer)
    if all(np.array_equal(a, b) for a, b in zip(other.batches, net.batches)):
        raise Failure("seed=1 visits the examples in the same order as seed=0: draw the order from "
                      "rng = np.random.default_rng(seed)")
    if optimizer.calls == 0:
        raise Failure("train ignored the optimizer it was given: when there is one, each step calls "
                      "optimizer.update(net.params, grads) instead of the plain update")
    if optimizer.foreign:
        raise Failure("optimizer.update was given another dict than net.params: pass net.params itself")
    if optimizer.calls != len(other.batches):
        raise Failure(f"optimizer.update was called {optimizer.calls} times in {len(other.batches)} steps: "
                      f"once a step")
    try:
        replay(other, 0.3)
    except Failure:
        raise Failure("with an optimizer, the parameters did not move as optimizer.update moves them: let the "
                      "optimizer do the update alone, without the plain params[key] -= lr * grads[key]") from None


# ------------------------------------------------------------------ two-layer-net, the capstone

# --8<-- [start:assembled]
class AssembledTwoLayerNet:
    """Affine -> Relu -> Affine -> SoftmaxWithLoss, built from the layer classes it is given.

    He initialization (standard deviation sqrt(2 / n_in)) from `seed`, biases 0;
    `gradient` is backpropagation through the given layers, nothing else.
    The layers hold the arrays of ``params``, so an optimizer must update
    them in place.

    Examples
    --------
    >>> from dlfs.layers import Affine, Relu, SoftmaxWithLoss
    >>> net = AssembledTwoLayerNet(Affine, Relu, SoftmaxWithLoss, sizes=(4, 3, 2))
    >>> {key: p.shape for key, p in net.params.items()}
    {'W1': (4, 3), 'b1': (3,), 'W2': (3, 2), 'b2': (2,)}
    >>> {key: g.shape for key, g in net.gradient(np.ones((5, 4)), np.zeros(5, dtype=int)).items()}
    {'W1': (4, 3), 'b1': (3,), 'W2': (3, 2), 'b2': (2,)}
    """

    def __init__(self, Affine: Any, Relu: Any, SoftmaxWithLoss: Any,
                 sizes: tuple[int, int, int] = (784, 50, 10), seed: int = 0, dtype: type = np.float32) -> None:
        n_in, hidden, n_out = sizes
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": (np.sqrt(2 / n_in) * rng.standard_normal((n_in, hidden))).astype(dtype),
            "b1": np.zeros(hidden, dtype=dtype),
            "W2": (np.sqrt(2 / hidden) * rng.standard_normal((hidden, n_out))).astype(dtype),
            "b2": np.zeros(n_out, dtype=dtype),
        }
        self.layers = [Affine(self.params["W1"], self.params["b1"]), Relu(),
                       Affine(self.params["W2"], self.params["b2"])]
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return float(self.last_layer.forward(self.predict(x), t))

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        return float(np.mean(self.predict(x).argmax(axis=1) == t))

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        loss = self.loss(x, t)  # the forward pass leaves in each layer what backward needs
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        first, _, second = self.layers
        return loss, {"W1": first.dW, "b1": first.db, "W2": second.dW, "b2": second.db}

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        return self.loss_and_gradient(x, t)[1]
# --8<-- [end:assembled]


PIECES = {"Affine": "affine", "Relu": "relu", "SoftmaxWithLoss": "softmax-with-loss", "SGD": "sgd",
          "train": "training-loop"}  # each piece, and the exercise that asks for it

CAPSTONE_STARTER = '''\
import numpy as np

# Paste here your answers to the exercises affine, relu and softmax-with-loss
# (chapter 5), sgd and training-loop (this chapter), replacing these stubs.
# The check builds a 784-50-10 network from your three layers, trains it on
# MNIST for one epoch with your SGD and your train, and wants a test accuracy
# of at least 0.9.


class Affine:
    def __init__(self, W, b):
        raise NotImplementedError("not implemented yet")


class Relu:
    def __init__(self):
        raise NotImplementedError("not implemented yet")


class SoftmaxWithLoss:
    def __init__(self):
        raise NotImplementedError("not implemented yet")


class SGD:
    def __init__(self, lr=0.01):
        raise NotImplementedError("not implemented yet")


def train(net, x_train, t_train, x_test, t_test, epochs, batch_size, lr, seed, optimizer=None):
    raise NotImplementedError("not implemented yet")
'''

CAPSTONE_LAYERS = '''\
import numpy as np


class Relu:
    """out = max(0, x); the gradient passes where x > 0."""

    def __init__(self):
        self.mask = None  # where x <= 0

    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0, x)

    def backward(self, dout):
        return np.where(self.mask, 0, dout)  # a new array: dout is left alone


class SoftmaxWithLoss:
    """Softmax, then the cross-entropy averaged over the batch; t holds class indices or one-hot rows."""

    def __init__(self):
        self.y, self.t = None, None

    def forward(self, x, t):
        if t.ndim == 2:  # one-hot rows: their class indices
            t = t.argmax(axis=1)
        z = x - x.max(axis=1, keepdims=True)  # exp() cannot overflow
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.y, self.t = np.exp(log_y), t
        return -np.mean(log_y[np.arange(len(t)), t])

    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1  # y - t, with t one-hot
        return dout * dx / len(self.t)
'''


def body(source: str) -> str:
    """A solution without its ``import numpy as np``."""
    return source.split("import numpy as np\n", 1)[1].lstrip("\n")


# the reference pieces: chapter 5's Affine, a Relu and a SoftmaxWithLoss, and this chapter's two solutions
CAPSTONE = "import numpy as np\n\n\n" + "\n\n".join(body(source) for source in (AFFINE, CAPSTONE_LAYERS, SGD, TRAIN))


def fallback_relu(Relu: Any) -> None:
    """The relu exercise's properties, for when it is not registered: forward, backward, dout left alone."""
    from dlfs.layers import Relu as Reference

    x, dout = np.random.default_rng(0).normal(size=(2, 2, 3))
    layer, reference = call("Relu()", Relu), Reference()
    compare("forward(x): out", array("forward(x)", call("forward(x)", layer.forward, x.copy()), x.shape),
            reference.forward(x))
    before = dout.copy()
    dx = array("backward(dout)", call("backward(dout)", layer.backward, dout), x.shape)
    if not np.array_equal(dout, before):
        raise Failure("backward changed dout: compute a new array from it, never write into it")
    compare("backward(dout): dx", dx, reference.backward(dout))


def fallback_softmax_with_loss(SoftmaxWithLoss: Any) -> None:
    """The softmax-with-loss exercise's properties, for when it is not registered: loss and dx, class indices."""
    from dlfs.layers import SoftmaxWithLoss as Reference

    x, t = np.random.default_rng(0).normal(size=(4, 3)), np.array([0, 2, 1, 2])
    layer, reference = call("SoftmaxWithLoss()", SoftmaxWithLoss), Reference()
    loss = array("forward(x, t)", call("forward(x, t)", layer.forward, x.copy(), t))
    compare("forward(x, t): the loss", loss, np.array(reference.forward(x, t)), tol=1e-5)
    dx = array("backward(1.0)", call("backward(1.0)", layer.backward, 1.0), x.shape)
    compare("backward(1.0): dx", dx, reference.backward(1.0), tol=1e-7)


def piece_result(name: str, piece: Any) -> Result:
    """The check of the exercise that asks for `piece`, or a small stand-in where it is not registered."""
    from dlfs.exercises import EXERCISES
    from dlfs.exercises.core import check_answer

    exercise_id = PIECES[name]
    exercise = EXERCISES.get(exercise_id)
    if exercise is None:  # relu and softmax-with-loss are chapter 5's; before they exist, check the essentials
        test = {"relu": fallback_relu, "softmax-with-loss": fallback_softmax_with_loss}[exercise_id]
        exercise = Exercise(id=exercise_id, chapter="backprop", title=name, name=name, signature=name,
                            starter="", solution="", test=test)
    return check_answer(exercise, piece)


def gradient_of_pieces(pieces: dict[str, Any]) -> None:
    """The assembled network's backprop gradient on a tiny 5-4-3 version, against central differences."""
    from dlfs.numerical import numerical_gradient

    net = AssembledTwoLayerNet(pieces["Affine"], pieces["Relu"], pieces["SoftmaxWithLoss"], sizes=(5, 4, 3),
                               dtype=np.float64)
    x, t = np.random.default_rng(0).normal(size=(3, 5)), np.array([0, 2, 1])
    grads = call("the network built from your layers: gradient(x, t)", net.gradient, x, t)
    for key, p in net.params.items():
        numeric = numerical_gradient(lambda _: net.loss(x, t), p)
        got = array(f"the gradient of {key}", grads.get(key), p.shape)
        compare(f"built from your Affine, Relu and SoftmaxWithLoss, the network's gradient of {key}", got, numeric,
                tol=1e-5, note="Each layer's backward must pass dout on to the layer before it")


def test_two_layer_net(pieces: Any) -> None:
    if not isinstance(pieces, dict):
        raise Failure('pass your pieces as a dict: {"Affine": Affine, "Relu": Relu, "SoftmaxWithLoss": '
                      'SoftmaxWithLoss, "SGD": SGD, "train": train}')
    for name, exercise_id in PIECES.items():
        if pieces.get(name) is None:
            raise Failure(f'your answer has no {name}: it is your answer to the exercise "{exercise_id}"')
        result = piece_result(name, pieces[name])
        if not result.passed:
            raise Failure(f'your {name} does not pass its own exercise "{exercise_id}" yet: {result.message}')
    gradient_of_pieces(pieces)
    from dlfs.datasets import load_mnist

    try:
        (x_train, t_train), (x_test, t_test) = load_mnist(dtype=np.float32)
    except Exception as error:  # no files and no network: nothing the learner can fix in their code
        raise Failure(f"MNIST could not be loaded ({type(error).__name__}: {error}); every piece passed its own "
                      f"exercise") from None
    net = AssembledTwoLayerNet(pieces["Affine"], pieces["Relu"], pieces["SoftmaxWithLoss"], seed=0)
    optimizer = call("SGD(lr=0.1)", pieces["SGD"], lr=0.1)
    call("train(net, x_train, t_train, x_test, t_test, epochs=1, batch_size=100, lr=0.1, seed=0, "
         "optimizer=SGD(lr=0.1))", pieces["train"], net, x_train, t_train, x_test, t_test, 1, 100, 0.1, 0,
         optimizer=optimizer)
    accuracy = net.accuracy(x_test, t_test)
    if not accuracy >= 0.9:
        raise Failure(f"after one epoch the test accuracy is {accuracy:.4f}, below 0.9, although every piece "
                      f"passed its own exercise: is each of them the version that passed?")


EXERCISES = [
    Exercise(
        id="sgd", chapter="training", title="SGD, in place",
        name="SGD", signature="class SGD(lr=0.01) with update(params, grads)",
        starter=SGD_STARTER, solution=SGD, test=test_sgd,
        what="params -= lr * grads for three parameters over two steps, lr=0.01 by default, the very arrays of "
             "params updated (not replaced), grads left as they were",
        hints=("A step against the gradient: subtract lr times the gradient from each parameter.",
               "A layer keeps the array it was given (Affine holds W), so write into that array rather than "
               "putting a new one in the dict.",
               "for key in params: params[key] -= self.lr * grads[key]"),
        mutants=(
            Mutant("a new array instead of an update in place",
                   (("params[key] -= self.lr * grads[key]", "params[key] = params[key] - self.lr * grads[key]"),),
                   says="is a new array"),
            Mutant("a step up the gradient", (("params[key] -= self.lr", "params[key] += self.lr"),),
                   says="moves up the gradient"),
            Mutant("lr ignored", (("params[key] -= self.lr * grads[key]", "params[key] -= grads[key]"),),
                   says="ignores lr"),
            Mutant("another default", (("def __init__(self, lr=0.01):", "def __init__(self, lr=0.1):"),),
                   says="default learning rate"),
        ),
    ),
    Exercise(
        id="training-loop", chapter="training", title="The training loop",
        name="train", signature="train(net, x_train, t_train, x_test, t_test, epochs, batch_size, lr, seed, "
                                "optimizer=None)",
        starter=TRAIN_STARTER, solution=TRAIN, test=test_train,
        what="every example once an epoch, in a new order drawn from the seed, the last batch kept; one "
             "params -= lr * grads a step (or the optimizer's update); the loss of every step; the accuracy on "
             "the whole training and test sets after every epoch",
        hints=("An epoch: order = rng.permutation(n), with rng = np.random.default_rng(seed) made once, then "
               "batches order[start:start + batch_size] for start in range(0, n, batch_size).",
               "Each step: grads = net.gradient(x_batch, t_batch); update every key of net.params (or call "
               "optimizer.update(net.params, grads)); append net.loss(x_batch, t_batch).",
               "After the last batch of an epoch: append net.accuracy(x_train, t_train) and "
               "net.accuracy(x_test, t_test), on the whole sets."),
        mutants=(
            Mutant("sampling with replacement", (("order = rng.permutation(n)", "order = rng.choice(n, n)"),),
                   says="sampling with replacement"),
            Mutant("the book's chapter 4 loop: each batch drawn anew, full batches only",
                   (("for start in range(0, n, batch_size):", "for start in range(0, n - batch_size + 1, batch_size):"),
                    ("batch_mask = order[start:start + batch_size]", "batch_mask = rng.choice(n, batch_size)")),
                   says="np.random.choice(n, batch_size) draws each batch anew"),
            Mutant("the last partial batch dropped", (("for start in range(0, n, batch_size):",
                                                       "for start in range(0, n - batch_size + 1, batch_size):"),),
                   says="sat out every epoch"),
            Mutant("accuracy on a batch", (("train_acc_list.append(net.accuracy(x_train, t_train))",
                                            "train_acc_list.append(net.accuracy(x_batch, t_batch))"),),
                   says="whole training set"),
            Mutant("no shuffle", (("order = rng.permutation(n)", "order = np.arange(n)"),),
                   says="in their order in x_train"),
            Mutant("shuffled once", (("    for epoch in range(epochs):\n        order = rng.permutation(n)",
                                      "    order = rng.permutation(n)\n    for epoch in range(epochs):"),),
                   says="the same order"),
            Mutant("the optimizer ignored", (("            if optimizer is None:", "            if True:"),),
                   says="ignored the optimizer"),
        ),
    ),
    Exercise(
        id="two-layer-net", chapter="training", title="Your own network, trained on MNIST",
        name="pieces", signature='{"Affine": Affine, "Relu": Relu, "SoftmaxWithLoss": SoftmaxWithLoss, '
                                 '"SGD": SGD, "train": train}',
        starter=CAPSTONE_STARTER, solution=CAPSTONE, test=test_two_layer_net, kind="implement",
        needs=("affine", "relu", "softmax-with-loss", "sgd", "training-loop"),
        what="your Affine, Relu and SoftmaxWithLoss, each passing its own exercise, built into a 784-50-10 "
             "network (He initialization, seed 0) and trained on MNIST by your train and your SGD for one epoch "
             "of batches of 100 at lr 0.1, reach a test accuracy of at least 0.9",
        hints=("Paste your answers to affine, relu, softmax-with-loss, sgd and training-loop: the check runs each "
               "one's own check first and names the one that fails.",
               "The network's layers hold the arrays of net.params, so your SGD must update them in place, "
               "and your train must call optimizer.update(net.params, grads) when it is given an optimizer.",
               "One epoch of 600 steps reaches about 0.92 with correct pieces; below 0.9, look for a piece that "
               "differs from the version that passed its exercise."),
        mutants=(
            Mutant("an Affine whose db is not summed", (("self.db = dout.sum(axis=0)", "self.db = dout"),),
                   says='exercise "affine"'),
            Mutant("a Relu that lets every gradient through",
                   (("return np.where(self.mask, 0, dout)", "return dout.copy()"),), says='exercise "relu"'),
            Mutant("a SoftmaxWithLoss not divided by N", (("return dout * dx / len(self.t)", "return dout * dx"),),
                   says='exercise "softmax-with-loss"'),
            Mutant("an SGD that steps up the gradient", (("params[key] -= self.lr", "params[key] += self.lr"),),
                   says='exercise "sgd"'),
            Mutant("a train that drops the last batch", (("for start in range(0, n, batch_size):",
                                                          "for start in range(0, n - batch_size + 1, batch_size):"),),
                   says='exercise "training-loop"'),
            Mutant("no SGD", (("class SGD:", "class Sgd:"),), says="has no SGD"),
        ),
        extra={"pieces": tuple(PIECES), "mnist": True},
    ),
]
