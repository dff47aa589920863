"""Chapter 7, "Training on MNIST" (``docs/training.md``), and the MNIST notebook.

The loop in its plainest form (`sgd_loop`); the book's run
(``TwoLayerNet(784, 50, 10)``, 10,000 iterations of batch 100, lr 0.1, seed 0,
float32) and the figures drawn from it; the 000 note's experiment at its own
size, both methods run whole (backpropagation and
`dlfs.fastgrad.fast_numerical_gradient`, which computes the same central
differences as ``net.numerical_gradient``), with the slow numerical gradient
timed on a sample and extrapolated; and what a gradient costs by each
method: counted (loss evaluations, multiply-adds) and measured (seconds, on
the machine that runs this). Measured times change from run to run; the
counts do not.
"""

from __future__ import annotations

# --8<-- [start:imports]
import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from dlfs.book.cache import cached
from dlfs.book.data import mnist
from dlfs.book.style import new_figure
from dlfs.fastgrad import fast_numerical_gradient, gradient_cost
from dlfs.nets import TwoLayerNet, count_parameters
from dlfs.timing import loglog_slope, measure
from dlfs.train import History, minibatches, train

# --8<-- [end:imports]

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# --8<-- [start:loop]
def backprop(net: TwoLayerNet, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """Step 3 by backpropagation (chapter 5): a dict of gradients like net.params."""
    return net.gradient(x, t)


def sgd_loop(net: TwoLayerNet, x_train: np.ndarray, t_train: np.ndarray,
             gradient: Callable[..., dict[str, np.ndarray]], *, steps: int,
             batch_size: int = 100, lr: float = 0.1, seed: int = 0,
             test: tuple[np.ndarray, np.ndarray] | None = None,
             eval_every: int = 1) -> dict[str, list[float]]:
    """Train `net` in place by mini-batch gradient descent; return what happened.

    `gradient(net, x, t)` gives the gradients: `backprop`, or a numerical
    gradient. The record holds ``loss``, each mini-batch's loss before its
    step; ``seconds``, the time of each step's gradient and update; and,
    every `eval_every` steps (``eval_steps``), the ``test_accuracy`` on
    ``test = (x_test, t_test)``.
    """
    batches = minibatches(len(x_train), batch_size, np.random.default_rng(seed))
    record: dict[str, list[float]] = {"loss": [], "seconds": [], "eval_steps": [],
                                      "test_accuracy": []}
    for step in range(1, steps + 1):  # 5. repeat steps 2 to 4
        batch = next(batches)  # 2. a mini-batch
        x, t = x_train[batch], t_train[batch]
        record["loss"].append(net.loss(x, t))
        start = time.perf_counter()
        grads = gradient(net, x, t)  # 3. the gradient of its loss
        for key in net.params:  # 4. a small step against it, in place
            net.params[key] -= lr * grads[key]
        record["seconds"].append(time.perf_counter() - start)
        if test is not None and step % eval_every == 0:
            record["eval_steps"].append(step)
            record["test_accuracy"].append(net.accuracy(*test))
    return record
# --8<-- [end:loop]


# --8<-- [start:mnist_run]
@cached
def mnist_run(iters: int = 10_000, seed: int = 0) -> History:
    """Train the book's network on MNIST and return its `History`.

    ``TwoLayerNet(784, 50, 10)`` in float32 (ReLU, weights N(0, 0.01^2)),
    `iters` iterations of batch 100 at lr 0.1, accuracy on all 60,000
    training and 10,000 test images after every epoch.
    """
    (x_train, t_train), (x_test, t_test) = mnist("float32")
    net = TwoLayerNet(784, 50, 10, seed=seed, dtype=np.float32)
    return train(net, x_train, t_train, x_test, t_test, iters=iters, batch_size=100,
                 lr=0.1, seed=seed, progress=False)
# --8<-- [end:mnist_run]


def moving_average(values: list[float] | np.ndarray, n: int = 100) -> np.ndarray:
    """The mean of each run of `n` consecutive values (len(values) - n + 1 of them)."""
    values = np.asarray(values, dtype=np.float64)
    n = min(n, len(values))
    cumsum = np.concatenate([[0.0], np.cumsum(values)])
    return (cumsum[n:] - cumsum[:-n]) / n


def plot_loss(history: History, smooth: int = 100) -> Figure:
    """The mini-batch loss at every iteration, and its moving average over `smooth`."""
    fig, ax = new_figure(figsize=(7, 3.8))
    iters = np.arange(1, len(history.loss) + 1)
    ax.plot(iters, history.loss, color="C0", alpha=0.3, linewidth=0.5, label="loss of each mini-batch")
    average = moving_average(history.loss, smooth)
    start = (len(iters) - len(average)) // 2  # each mean drawn at the middle of its window
    ax.plot(iters[start:start + len(average)], average, color="C0", linewidth=1.5,
            label=f"mean over {min(smooth, len(iters))} iterations")
    ax.set_title(f"Training loss, batch {history.batch_size}, lr {history.lr}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy loss")
    ax.set_ylim(0, None)
    ax.legend()
    return fig


def plot_accuracy(history: History, per_epoch: int | None = None) -> Figure:
    """Train and test accuracy at every evaluation, against epochs.

    `per_epoch` is the number of iterations in an epoch; by default the
    first evaluation's iteration (``train`` evaluates once per epoch).
    """
    per_epoch = per_epoch or history.eval_iters[0]
    epochs = np.array(history.eval_iters) / per_epoch
    fig, ax = new_figure(figsize=(7, 3.8))
    ax.plot(epochs, history.train_acc, "o-", color="C0", markersize=4, label="train set")
    if history.test_acc:
        ax.plot(epochs, history.test_acc, "s--", color="C1", markersize=4, label="test set")
        ax.annotate(f"test {history.test_acc[-1]:.2f}", (epochs[-1], history.test_acc[-1]),
                    xytext=(0, -18), textcoords="offset points", ha="right", fontsize=9, color="C1")
    ax.set_title("Accuracy after each epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend(loc="lower right")
    return fig


def draw_loss() -> Figure:
    return plot_loss(mnist_run())


def draw_accuracy() -> Figure:
    return plot_accuracy(mnist_run())


# --8<-- [start:note_runs]
def note_net(seed: int = 0) -> TwoLayerNet:
    """The 000 note's network: 784-50-10, sigmoid, float64, initialized as its code does.

    Xavier initialization: a standard normal divided by the square root of
    the layer's number of inputs (std 0.036 for W1, 0.14 for W2); biases 0.
    """
    net = TwoLayerNet(784, 50, 10, weight_init_std=1.0, activation="sigmoid", seed=seed)
    net.params["W1"] /= np.sqrt(784)
    net.params["W2"] /= np.sqrt(50)
    return net


GRADIENTS = {"backprop": backprop, "numerical": fast_numerical_gradient}


@cached
def note_run(method: str, steps: int = 100, lr: float = 0.1, seed: int = 0,
             eval_every: int = 10) -> dict[str, list[float]]:
    """One of the note's two runs: `steps` steps of batch 100 with `method`'s gradient.

    `method` is ``"backprop"`` or ``"numerical"``: `fast_numerical_gradient`,
    the same central differences as ``net.numerical_gradient``, computed
    faster. Every run starts from the same weights and takes the same
    mini-batches, so its first steps are those of a longer run; the test
    accuracy is on all 10,000 test images, every `eval_every` steps.
    """
    (x_train, t_train), (x_test, t_test) = mnist()
    return sgd_loop(note_net(seed), x_train, t_train, GRADIENTS[method], steps=steps, lr=lr, seed=seed,
                    test=(x_test, t_test), eval_every=eval_every)


def note_runs(steps: int = 100) -> dict[str, dict[str, list[float]]]:
    """Both runs of the note's experiment, `steps` steps each (what the figure and the notebook show)."""
    return {method: note_run(method, steps) for method in GRADIENTS}
# --8<-- [end:note_runs]


# --8<-- [start:note_costs]
def multiply_adds(net: TwoLayerNet, batch_size: int) -> int:
    """Multiply-adds of one forward pass of `batch_size` examples: one per weight each."""
    return batch_size * sum(net.params[key].size for key in ("W1", "W2"))


def backprop_multiply_adds(net: TwoLayerNet, batch_size: int) -> int:
    """Multiply-adds of one backprop gradient: the forward pass, then dW2, da1 and dW1.

    Per example the backward pass computes dW2 (H*C), da1 (H*C) and dW1
    (D*H); the gradient with respect to the images is never needed.
    """
    (D, H), C = net.params["W1"].shape, net.params["W2"].shape[1]
    return multiply_adds(net, batch_size) + batch_size * (D * H + 2 * H * C)


@cached
def note_costs(sample: int = 20, seed: int = 0) -> dict[str, float]:
    """One step of each method at the note's size, on the runs' first mini-batch.

    Counted, in multiply-adds: ``backprop``; ``slow``, the 2P forward
    passes of ``net.numerical_gradient``; ``fast``, `fast_numerical_gradient`'s,
    with the ``perturbed`` examples it evaluates (both by `gradient_cost`).
    Measured: the slow method on `sample` entries of each of W1, b1, W2 and
    b2, all of b2's 10 (``sampled`` in all), the best of 3 calls, per
    parameter (``seconds_per_parameter``); and ``slow_minus_fast``, the
    largest gap between those entries and the fast method's.
    """
    (x_train, t_train), _ = mnist()
    batch = next(minibatches(len(x_train), 100, np.random.default_rng(seed)))  # the first
    x, t = x_train[batch], t_train[batch]
    net = note_net(seed)
    rng = np.random.default_rng(seed)
    indices = {key: [np.unravel_index(i, p.shape)
                     for i in rng.choice(p.size, min(sample, p.size), replace=False)]
               for key, p in net.params.items()}
    sampled = sum(len(entries) for entries in indices.values())
    slow = net.numerical_gradient(x, t, indices=indices)  # NaN where not sampled
    timing = measure(lambda: net.numerical_gradient(x, t, indices=indices),
                     repeat=3, min_seconds=0)
    fast = fast_numerical_gradient(net, x, t)
    gap = max(np.nanmax(np.abs(slow[key] - fast[key])) for key in slow)
    cost = gradient_cost(net, x)
    return {"backprop": backprop_multiply_adds(net, len(x)), "slow": cost.slow_macs,
            "fast": cost.fast_macs, "perturbed": cost.fast_examples, "sampled": sampled,
            "seconds_per_parameter": timing.best / sampled, "slow_minus_fast": float(gap)}
# --8<-- [end:note_costs]


NOTE_TABLE = {"backprop": (3.1, 1.6676, 0.6783), "numerical": (141 * 60 + 55.3, 1.5788, 0.6309)}  # the note's


def draw_methods() -> Figure:
    """The 000 note's two figures at its own size: loss and test accuracy per step, both methods."""
    runs = note_runs()
    styles = {"backprop": {"color": "C0", "lw": 2.5, "alpha": 0.5},
              "numerical": {"color": "C3", "lw": 1, "ls": "--"}}
    fig, (left, right) = new_figure(1, 2, figsize=(9.5, 3.8))
    for method, run in runs.items():
        label = f"{method}: {sum(run['seconds']):.3g} s measured"
        steps = np.arange(1, len(run["loss"]) + 1)
        left.plot(steps, run["loss"], label=label, **styles[method])
        right.plot(run["eval_steps"], run["test_accuracy"], marker="o", markersize=3, label=label,
                   **styles[method])
    for method, marker in [("backprop", "*"), ("numerical", "X")]:
        _, loss, accuracy = NOTE_TABLE[method]
        last = len(runs[method]["loss"])
        left.plot([last], [loss], marker, color="0.35", markersize=8, label=f"the note's {method} ({loss})")
        right.plot([last], [accuracy], marker, color="0.35", markersize=8,
                   label=f"the note's {method} ({accuracy})")
    left.set(title="Loss of each mini-batch", xlabel="step", ylabel="cross-entropy loss")
    right.set(title="Accuracy on the 10,000 test images", xlabel="step", ylabel="accuracy")
    for ax in (left, right):
        ax.legend(loc="best", fontsize=7)
    fig.suptitle("The same 100 steps by both methods (784-50-10 sigmoid, batch 100, lr 0.1)", fontsize=10)
    fig.tight_layout()
    return fig


# --8<-- [start:costs]
@cached
def gradient_costs(hidden_sizes: tuple[int, ...] = (1, 4, 16, 64, 256, 1024),
                   measure_numerical_up_to: int = 1, batch_size: int = 10, seed: int = 0) -> dict[str, np.ndarray]:
    """What one gradient of ``TwoLayerNet(784, h, 10)`` costs by each method, for each hidden size h.

    Counted: ``params`` (P), ``loss_evaluations`` of one numerical gradient
    (2P; backprop needs one forward and one backward pass) and
    ``multiply_adds`` of one forward pass of `batch_size` examples.
    Measured, in seconds, on a random float64 batch: ``loss`` (one
    evaluation) and ``backprop`` (one ``net.gradient``), each the best of 3
    timings; ``numerical`` is 2P times ``loss``, an extrapolation, except
    that for ``h <= measure_numerical_up_to`` one numerical gradient is also
    run whole and timed the same way, the best of 3 (``numerical_measured``,
    NaN elsewhere).
    """
    rng = np.random.default_rng(seed)
    x, t = rng.random((batch_size, 784)), rng.integers(0, 10, size=batch_size)
    rows = []
    for hidden in hidden_sizes:
        net = TwoLayerNet(784, hidden, 10, seed=seed)
        P = count_parameters(net)
        loss = measure(functools.partial(net.loss, x, t), repeat=3, min_seconds=0.005).best
        backward = measure(functools.partial(net.gradient, x, t), repeat=3, min_seconds=0.005).best
        numerical = functools.partial(net.numerical_gradient, x, t)
        measured = (measure(numerical, repeat=3, min_seconds=0.005).best
                    if hidden <= measure_numerical_up_to else np.nan)
        rows.append((hidden, P, 2 * P, multiply_adds(net, batch_size), loss, backward, 2 * P * loss, measured))
    columns = ("hidden", "params", "loss_evaluations", "multiply_adds", "loss", "backprop", "numerical",
               "numerical_measured")
    # counts as int64: their products overflow a 32-bit default int (WebAssembly's)
    return {name: np.array(values, dtype=np.int64 if name in columns[:4] else np.float64)
            for name, values in zip(columns, zip(*rows))}
# --8<-- [end:costs]


# Below this many parameters Python's fixed cost per call, not arithmetic, sets the time.
SLOPE_MIN_PARAMS = 50_000


def plot_gradient_costs(costs: dict[str, np.ndarray]) -> Figure:
    """Seconds per gradient against the number of parameters, log-log, with fitted slopes."""
    P = costs["params"]
    big = P >= SLOPE_MIN_PARAMS
    measured = ~np.isnan(costs["numerical_measured"])
    fig, ax = new_figure(figsize=(7, 4.2))
    ax.axvspan(P.min() / 1.3, SLOPE_MIN_PARAMS, color="0.5", alpha=0.1, linewidth=0)
    for key, color, marker, name in [
        ("numerical", "C3", "o", "numerical, extrapolated: 2P × one measured loss"),
        ("backprop", "C0", "s", "backprop, measured"),
    ]:
        k = loglog_slope(P[big], costs[key][big])
        fit = np.polyfit(np.log(P[big]), np.log(costs[key][big]), 1)
        ax.plot(P, costs[key], marker, color=color, mfc="white" if key == "numerical" else color,
                label=f"{name} (fitted slope {k:.2f})")
        grid = np.geomspace(SLOPE_MIN_PARAMS / 1.5, P.max() * 1.3, 20)
        ax.plot(grid, np.exp(np.polyval(fit, np.log(grid))), "-", color=color, alpha=0.6)
    ax.plot(P[measured], costs["numerical_measured"][measured], "o", color="C3",
            label="numerical, run whole and measured")
    ax.axvline(39_760, color="0.4", linestyle=":", linewidth=1)
    ax.text(39_760 * 0.92, 0.3, "784-50-10: P = 39,760", rotation=90, ha="right", va="center",
            fontsize=8, color="0.3", transform=ax.get_xaxis_transform())
    ax.text(0.02, 0.3, "per-call overhead\ndominates here", ha="left", va="center",
            fontsize=8, color="0.4", transform=ax.transAxes)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title("Seconds per gradient (batch 10), measured while this site was built")
    ax.set_xlabel("number of parameters P")
    ax.set_ylabel("seconds per gradient")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def draw_gradient_costs() -> Figure:
    return plot_gradient_costs(gradient_costs())


FIGURES = {
    "training-loss.svg": draw_loss,
    "training-accuracy.svg": draw_accuracy,
    "training-methods.svg": draw_methods,
    "training-gradient-cost.svg": draw_gradient_costs,
}
