"""Figures for chapters 6 and 7: "Gradient check" and "Training on MNIST".

Pages: ``docs/gradient-check.md`` and ``docs/training.md``; the notebook
``docs/notebooks/mnist-training.py`` calls `plot_loss`, `plot_accuracy`
and `plot_gradient_costs` on its own run.

The two training figures share one run, cached by `mnist_run`: the page's
``TwoLayerNet(784, 50, 10)`` in float32, 10,000 iterations of batch 100,
lr 0.1, seed 0. The gradient-check figure repeats the page's check on the
first three training images. The cost figure is measured while the site is
built, so its numbers change from build to build (its shape does not).
"""

from __future__ import annotations

import time
from functools import lru_cache, partial

import numpy as np
from matplotlib.figure import Figure

from dlfs.gradcheck import GradCheck, gradient_check
from dlfs.layers import Affine, Relu, SoftmaxWithLoss
from dlfs.nets import TwoLayerNet
from dlfs.numerical import numerical_gradient
from dlfs.plots import new_figure
from dlfs.train import History, train

KEYS = ("W1", "b1", "W2", "b2")
# The 001 note's table: mean |backprop - numerical| on three MNIST images.
NOTE_001 = {"W1": 4.3e-10, "b1": 2.9e-09, "W2": 5.6e-09, "b2": 1.4e-07}
BOOK_EPS = 1e-7  # what the book's cross_entropy_error adds inside the log


# --- chapter 6: gradient check -------------------------------------------------

class BookSoftmaxWithLoss(SoftmaxWithLoss):
    """The book's layer: the loss is ``-mean log(y + 1e-7)``, the backward pass ``(y - t) / N``.

    The backward pass is the gradient of the loss *without* the 1e-7, so
    backprop and numerical differences disagree by about 1e-7 (chapter 6).
    """

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        super().forward(x, t)  # sets self.y and self.t
        picked = self.y[np.arange(len(self.t)), self.t]
        self.loss = float(-np.mean(np.log(picked + BOOK_EPS)))
        return self.loss


class _Precomputed:
    """Hands `gradient_check` gradients computed elsewhere (it only needs these three)."""

    def __init__(self, params, backprop, numerical) -> None:
        self.params, self._backprop, self._numerical = params, backprop, numerical

    def gradient(self, x, t):
        return self._backprop

    def numerical_gradient(self, x, t):
        return self._numerical


def _numerical_gradients(params: dict, x: np.ndarray, t: np.ndarray,
                         last_layer: SoftmaxWithLoss, h: float = 1e-4) -> dict[str, np.ndarray]:
    """Central differences of ``last_layer``'s loss for the Affine-ReLU-Affine net in `params`."""
    layers = [Affine(params["W1"], params["b1"]), Relu(), Affine(params["W2"], params["b2"])]

    def loss(_: np.ndarray) -> float:
        out = x
        for layer in layers:
            out = layer.forward(out)
        return last_layer.forward(out, t)

    grads = {key: numerical_gradient(loss, params[key], h) for key in ("b1", "W2", "b2")}

    # W1 holds 39,200 of the 39,760 parameters, so it gets two shortcuts that
    # keep the central difference but skip work. Nudging W1[i, j] by +-h only
    # moves column j of the first layer's output, by +-h * x[:, i], so the loss
    # is taken from that output rather than from the input. And a pixel i that
    # is 0 in every image moves nothing: its row of W1 has gradient exactly 0
    # (484 of the 784 pixels for the first three images).
    first = x @ params["W1"] + params["b1"]
    relu, second = Relu(), Affine(params["W2"], params["b2"])

    def loss_from(first_out: np.ndarray) -> float:
        return last_layer.forward(second.forward(relu.forward(first_out)), t)

    W1 = np.zeros_like(params["W1"])
    for i in np.flatnonzero((x != 0).any(axis=0)):
        for j in range(W1.shape[1]):
            step = np.zeros_like(first)
            step[:, j] = h * x[:, i]
            W1[i, j] = (loss_from(first + step) - loss_from(first - step)) / (2 * h)
    return grads | {"W1": W1}


@lru_cache(maxsize=1)
def gradient_check_cases(n_images: int = 3) -> dict[str, dict[str, GradCheck]]:
    """The page's gradient check, three ways, on the first `n_images` training images.

    Returns ``{"dlfs": ..., "book": ..., "bug": ...}``, each what
    `gradient_check` returns: backprop against the numerical gradient of
    dlfs's loss, of the book's loss (1e-7 inside the log), and a backprop
    that forgets to average ``b2`` over the batch.
    """
    from dlfs.plots.learning import mnist_train  # one cached float64 copy for the book

    x_train, t_train = mnist_train()
    x, t = x_train[:n_images], t_train[:n_images]
    net = TwoLayerNet(784, 50, 10)  # the page's net, seed 0
    backprop = net.gradient(x, t)
    exact = _numerical_gradients(net.params, x, t, SoftmaxWithLoss())
    book = _numerical_gradients(net.params, x, t, BookSoftmaxWithLoss())
    buggy = backprop | {"b2": backprop["b2"] * len(x)}
    return {
        name: gradient_check(_Precomputed(net.params, bp, num), x, t)
        for name, bp, num in [("dlfs", backprop, exact), ("book", backprop, book),
                              ("bug", buggy, exact)]
    }


def draw_gradient_check() -> Figure:
    """Mean absolute difference and max relative error per parameter, log scale."""
    cases = gradient_check_cases()
    labels = {"dlfs": "dlfs (exact log-softmax loss)",
              "book": "book's loss, log(y + 1e-7)",
              "bug": "bug: b2 not averaged over the batch"}
    colors = {"dlfs": "C0", "book": "C1", "bug": "C3"}
    fig, (left, right) = new_figure(1, 2, figsize=(9, 3.8))
    x = np.arange(len(KEYS))
    width = 0.27
    for k, name in enumerate(cases):
        for ax, field in [(left, "mean_abs_diff"), (right, "max_rel_error")]:
            values = [getattr(cases[name][key], field) for key in KEYS]
            ax.bar(x + (k - 1) * width, values, width, color=colors[name], label=labels[name])
    left.plot(x, [NOTE_001[key] for key in KEYS], "k_", markersize=22, markeredgewidth=2,
              label="the 001 note's table")
    left.set_title("Mean |backprop − numerical|")
    left.set_ylabel("mean absolute difference")
    right.set_title("Max relative error")
    right.set_ylabel("max |a − b| / max(|a|, |b|, 1e-8)")
    right.axhline(1e-7, color="0.3", linestyle="--", linewidth=1)
    right.axhline(1e-3, color="C3", linestyle="--", linewidth=1)
    margin = right.get_yaxis_transform()  # x in axes units, y in data units
    right.text(1.02, 1e-7, "1e-7: fine\nbelow", transform=margin, va="center", fontsize=8, color="0.3")
    right.text(1.02, 1e-3, "1e-3: a bug\nabove", transform=margin, va="center", fontsize=8, color="C3")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.set_xticks(x, KEYS)
        ax.set_xlabel("parameter")
    left.set_ylim(1e-14, 1)
    right.set_ylim(1e-11, 10)
    handles, names = left.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    return fig


# --- chapter 7: training on MNIST ---------------------------------------------

@lru_cache(maxsize=2)
def mnist_run(iters: int = 10_000) -> History:
    """Train the page's network on MNIST and return its `History` (about 15 s for 10,000).

    ``TwoLayerNet(784, 50, 10, dtype=np.float32)``, batch 100, lr 0.1, seed 0.
    """
    from dlfs.datasets import load_mnist

    (x_train, t_train), (x_test, t_test) = load_mnist(dtype=np.float32)
    net = TwoLayerNet(784, 50, 10, dtype=np.float32)
    return train(net, x_train, t_train, x_test, t_test, iters=iters,
                 batch_size=100, lr=0.1, seed=0, progress=False)


def moving_average(values, n: int = 100) -> np.ndarray:
    """The mean of each run of `n` consecutive values (len(values) - n + 1 of them)."""
    values = np.asarray(values, dtype=np.float64)
    n = min(n, len(values))
    cumsum = np.concatenate([[0.0], np.cumsum(values)])
    return (cumsum[n:] - cumsum[:-n]) / n


def plot_loss(history: History, smooth: int = 100) -> Figure:
    """The mini-batch loss at every iteration, and its moving average over `smooth`."""
    fig, ax = new_figure(figsize=(7, 3.8))
    iters = np.arange(1, len(history.loss) + 1)
    ax.plot(iters, history.loss, color="C0", alpha=0.3, linewidth=0.5,
            label="loss of each mini-batch")
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
        ax.annotate(f"test {history.test_acc[-1]:.3f}", (epochs[-1], history.test_acc[-1]),
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


def count_parameters(net: TwoLayerNet) -> int:
    """The number of numbers in ``net.params``: 39,760 for 784-50-10."""
    return sum(p.size for p in net.params.values())


def _time_per_call(f, calls: int = 10, repeat: int = 5) -> float:
    """Seconds per call of `f`: the best of `repeat` timings of `calls` calls.

    The best, not the mean: on a shared machine other work only ever adds time.
    """
    f()  # warm up
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            f()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


@lru_cache(maxsize=2)
def gradient_costs(hidden_sizes: tuple[int, ...] = (1, 4, 16, 64, 128, 256, 512, 1024),
                   measure_numerical_up_to: int = 4, batch_size: int = 10,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """Measure what one gradient costs, by each method, for ``TwoLayerNet(784, h, 10)``.

    On a random float64 batch, for each hidden size h: ``loss``, the seconds
    of one loss evaluation, and ``backprop``, of one ``net.gradient`` (each the
    best of 5 timings of 10 calls). The numerical gradient is 2P loss
    evaluations, so ``numerical`` is estimated as ``2 * P * loss``; for
    ``h <= measure_numerical_up_to`` it is also run and timed whole
    (``numerical_measured``, NaN elsewhere). ``params`` holds P. About 3 s.
    """
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size, 784))
    t = rng.integers(0, 10, size=batch_size)
    rows = []
    for hidden in hidden_sizes:
        net = TwoLayerNet(784, hidden, 10, seed=seed)
        P = count_parameters(net)
        loss = _time_per_call(partial(net.loss, x, t))
        backprop = _time_per_call(partial(net.gradient, x, t))
        measured = np.nan
        if hidden <= measure_numerical_up_to:
            start = time.perf_counter()
            net.numerical_gradient(x, t)
            measured = time.perf_counter() - start
        rows.append((hidden, P, loss, backprop, 2 * P * loss, measured))
    columns = ("hidden", "params", "loss", "backprop", "numerical", "numerical_measured")
    return {name: np.array(values) for name, values in zip(columns, zip(*rows))}


# Below this size Python's fixed cost per call, not arithmetic, sets the time.
SLOPE_MIN_PARAMS = 50_000


def slope(params, seconds, min_params: int = SLOPE_MIN_PARAMS) -> float:
    """The exponent k of a least-squares fit ``seconds ~ params**k`` (log-log), P >= `min_params`."""
    params, seconds = np.asarray(params), np.asarray(seconds)
    big = params >= min_params
    return float(np.polyfit(np.log(params[big]), np.log(seconds[big]), 1)[0])


def plot_gradient_costs(costs: dict[str, np.ndarray]) -> Figure:
    """Seconds per gradient against the number of parameters, log-log, with fitted slopes."""
    P = costs["params"]
    big = P >= SLOPE_MIN_PARAMS
    fig, ax = new_figure(figsize=(7, 4.2))
    ax.axvspan(P.min() / 1.3, SLOPE_MIN_PARAMS, color="0.5", alpha=0.1, linewidth=0)
    for key, color, marker, name in [
        ("numerical", "C3", "o", "numerical, 2P × one loss evaluation"),
        ("backprop", "C0", "s", "backprop, measured"),
    ]:
        k = slope(P, costs[key])
        fit = np.polyfit(np.log(P[big]), np.log(costs[key][big]), 1)
        ax.plot(P, costs[key], marker, color=color, mfc="white" if key == "numerical" else color,
                label=f"{name}: slope {k:.2f}")
        grid = np.geomspace(SLOPE_MIN_PARAMS / 1.5, P.max() * 1.3, 20)
        ax.plot(grid, np.exp(np.polyval(fit, np.log(grid))), "-", color=color, alpha=0.6)
    measured = ~np.isnan(costs["numerical_measured"])
    ax.plot(P[measured], costs["numerical_measured"][measured], "o", color="C3",
            label="numerical, run whole and measured")
    ax.axvline(39_760, color="0.4", linestyle=":", linewidth=1)
    ax.text(39_760 * 0.92, 0.3, "784-50-10: P = 39,760", rotation=90, ha="right", va="center",
            fontsize=8, color="0.3", transform=ax.get_xaxis_transform())
    ax.text(0.02, 0.3, "per-call overhead\ndominates here", ha="left", va="center",
            fontsize=8, color="0.4", transform=ax.transAxes)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title("Seconds per gradient (batch 10), measured while this page was built")
    ax.set_xlabel("number of parameters P")
    ax.set_ylabel("seconds per gradient")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def draw_gradient_costs() -> Figure:
    return plot_gradient_costs(gradient_costs())


FIGURES = {
    "gradient-check-differences.svg": draw_gradient_check,
    "training-loss.svg": draw_loss,
    "training-accuracy.svg": draw_accuracy,
    "training-gradient-cost.svg": draw_gradient_costs,
}
