"""Chapter 8, "Making training work: initialization and vanishing gradients" (``docs/making-training-work.md``).

The starting loss, initialization and the spread of activations, vanishing
gradients, and reading a training run (a tiny batch overfitted, learning
rates too low and too high, the size of the updates, a learning-rate range
test). The MNIST experiments train `dlfs.multilayer.MultiLayerNet`
(784-50-50-50-50-10 unless said otherwise) in float64 on the first 10,000
training images with plain SGD, at sizes a site build affords; every draw
is seeded. Chapter 9 (`dlfs.book.optimizers_and_regularization`) trains the
same network.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dlfs.book.cache import cached
from dlfs.book.data import test_set, train_set
from dlfs.book.style import new_figure
from dlfs.functions import relu, sigmoid
from dlfs.layers import Relu
from dlfs.multilayer import MultiLayerNet, init_scale
from dlfs.optim import SGD
from dlfs.train import History, minibatches, train

HIDDEN = (50, 50, 50, 50)
INITS: dict[str, float | str] = {"std 1": 1.0, "std 0.01": 0.01, "Xavier": "xavier", "He": "he"}
# for SGD on this network and a budget of 300 steps
LEARNING_RATES = {"too low": 0.001, "low": 0.01, "right": 0.1, "too high": 1.0}


def mnist_10k() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The first 10,000 training images and the first 1,000 test images, float64."""
    x, t = train_set(slice(0, 10_000))
    x_test, t_test = test_set(slice(0, 1000))
    return x, t, x_test, t_test
# --8<-- [end:imports]

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# --8<-- [start:activations]
def activations_through_layers(activation: str, weight_init_std: float | str, layers: int = 5,
                               width: int = 100, n: int = 1000, seed: int = 0) -> list[np.ndarray]:
    """The activations of each of `layers` layers of `width` units, for `n` random inputs.

    The inputs are standard normal; every layer multiplies by weights drawn
    with `weight_init_std` (a number, ``"xavier"`` or ``"he"``) and applies
    `activation` (``"sigmoid"``, ``"tanh"`` or ``"relu"``). There are no
    biases and no training: only what the initial scale does to the signal.
    Each array has one row per input and one column per unit.
    """
    rng = np.random.default_rng(seed)
    functions: dict[str, Callable[[np.ndarray], np.ndarray]] = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": relu}
    act = functions[activation]
    a = rng.standard_normal((n, width))
    out = []
    for _ in range(layers):
        W = init_scale(weight_init_std, width) * rng.standard_normal((width, width))
        a = act(a @ W)
        out.append(a)
    return out


def per_unit_spread(a: np.ndarray) -> float:
    """Each unit's standard deviation over the inputs, averaged over the units.

    ``a.std()`` pools all the values of a layer, so it also counts how the
    units differ from each other. This measures only how much a unit's
    output changes from one input to another.

    Examples
    --------
    >>> a = np.array([[0.1, 0.9], [0.1, 0.9]])  # two units, each constant over two inputs
    >>> print(f"{a.std():.1f} pooled, {per_unit_spread(a):.1f} per unit")
    0.4 pooled, 0.0 per unit
    """
    return float(a.std(axis=0).mean())
# --8<-- [end:activations]


# --8<-- [start:mnist_run]
@cached
def mnist_curve(weight_init_std: float | str = "he", iters: int = 300, seed: int = 0) -> History:
    """Train ``MultiLayerNet(784, [50, 50, 50, 50], 10)`` for `iters` steps of SGD, batch 100, lr 0.01.

    `weight_init_std` as for `MultiLayerNet`. Accuracy is measured at the
    end, on the 10,000 training images and 1,000 test images.
    """
    x, t, x_test, t_test = mnist_10k()
    net = MultiLayerNet(784, list(HIDDEN), 10, weight_init_std, seed=seed)
    return train(net, x, t, x_test, t_test, iters=iters, batch_size=100, lr=0.01, seed=seed,
                 eval_every=iters, progress=False)
# --8<-- [end:mnist_run]


# --8<-- [start:symmetry]
def zero_init_symmetry(iters: int = 100) -> dict[str, Any]:
    """A sigmoid net whose weights all start at 0, after `iters` steps: are its hidden units still alike?"""
    x, t, _, _ = mnist_10k()
    net = MultiLayerNet(784, [50], 10, 0.0, activation="sigmoid", seed=0)
    history = train(net, x, t, iters=iters, batch_size=100, lr=0.5, eval_every=iters, progress=False)
    W1 = net.params["W1"]
    return {"W1": W1, "columns_alike": bool(np.allclose(W1, W1[:, :1], rtol=0, atol=1e-12)),
            "distinct_columns": len(np.unique(W1.round(10), axis=1).T), "train_acc": history.train_acc[-1]}
# --8<-- [end:symmetry]


# --8<-- [start:gradient_rms]
def rms(a: np.ndarray) -> float:
    """The root mean square of the entries: a size that does not grow with the number of entries."""
    return float(np.sqrt(np.mean(np.square(a))))


def gradient_rms(activation: str, depth: int = 10, width: int = 50) -> np.ndarray:
    """The RMS of each weight matrix's gradient, input layer first, for one batch of 100 images.

    ``MultiLayerNet(784, [width] * depth, 10)``, initialized by the rule the
    book's scripts pair with `activation` (Xavier for sigmoid, He for ReLU),
    on the first 100 training images.
    """
    x, t = train_set(slice(0, 100))
    rule = "xavier" if activation == "sigmoid" else "he"
    net = MultiLayerNet(784, [width] * depth, 10, rule, activation=activation, seed=0)
    grads = net.gradient(x, t)
    return np.array([rms(grads[f"W{i}"]) for i in range(1, depth + 2)])
# --8<-- [end:gradient_rms]


# --8<-- [start:tiny_batch]
def overfit_tiny_batch(weight_init_std: float | str = "he", activation: str = "relu", n: int = 20,
                       iters: int = 100, lr: float = 0.1, seed: int = 0) -> dict[str, float]:
    """Gradient descent on the first `n` training images only, the whole batch at every step.

    A network that works drives the loss on so few images toward 0. Returns
    the loss before and after, the accuracy on the `n` images, and, for the
    record, on the 1,000 test images.
    """
    x, t, x_test, t_test = mnist_10k()
    x, t = x[:n], t[:n]
    net = MultiLayerNet(784, list(HIDDEN), 10, weight_init_std, activation=activation, seed=seed)
    optimizer = SGD(lr=lr)
    start = net.loss(x, t)
    for _ in range(iters):
        optimizer.update(net.params, net.gradient(x, t))
    return {"start": start, "loss": net.loss(x, t), "train_acc": net.accuracy(x, t),
            "test_acc": net.accuracy(x_test, t_test)}
# --8<-- [end:tiny_batch]


# --8<-- [start:watch]
@cached
def watch(lr: float, iters: int = 300, seed: int = 0) -> dict[str, Any]:
    """`mnist_curve`'s run (He, SGD, batch 100) at learning rate `lr`, watched at every step.

    Returns ``loss``, the loss of each batch before its step, and
    ``update_ratio``, an array of shape (steps, weight matrices): the size of
    each weight matrix's step relative to the size of the matrix,
    ``||lr * dW|| / ||W||``; and ``dead``, how many of the 200 hidden units
    output 0 for every one of the first 1,000 images at the end. Stops early
    if the loss is no longer finite.
    """
    x, t, _, _ = mnist_10k()
    net = MultiLayerNet(784, list(HIDDEN), 10, "he", seed=seed)
    batches = minibatches(len(x), 100, np.random.default_rng(seed))
    losses, ratios = [], []
    for _ in range(iters):
        batch = next(batches)
        with np.errstate(over="ignore", invalid="ignore"):
            loss, grads = net.loss_and_gradient(x[batch], t[batch])
        if not np.isfinite(loss):
            break
        losses.append(loss)
        weights = [key for key in net.params if key.startswith("W")]
        ratios.append([lr * np.linalg.norm(grads[key]) / np.linalg.norm(net.params[key]) for key in weights])
        for key in net.params:
            net.params[key] -= lr * grads[key]
    net.predict(x[:1000])  # each Relu keeps its mask, True where its input was > 0
    masks = [layer.mask for layer in net.layers.values() if isinstance(layer, Relu) and layer.mask is not None]
    dead = sum(int(np.sum(~mask.any(axis=0))) for mask in masks)
    return {"loss": losses, "update_ratio": np.array(ratios), "dead": dead}
# --8<-- [end:watch]


# --8<-- [start:range_test]
@cached
def lr_range_test(start: float = 1e-3, stop: float = 10.0, iters: int = 100, seed: int = 0) -> dict[str, np.ndarray]:
    """One short run whose learning rate grows by a constant factor each step, from `start` to `stop`.

    The same network, data and batches as `watch`. Returns ``lr``, the rate
    of each step, and ``loss``, the loss of its batch before the step; the
    run stops early if the loss is no longer finite.
    """
    x, t, _, _ = mnist_10k()
    net = MultiLayerNet(784, list(HIDDEN), 10, "he", seed=seed)
    batches = minibatches(len(x), 100, np.random.default_rng(seed))
    rates = start * (stop / start) ** (np.arange(iters) / (iters - 1))  # evenly spaced on a log scale
    losses = []
    for lr in rates:
        batch = next(batches)
        with np.errstate(over="ignore", invalid="ignore"):
            loss, grads = net.loss_and_gradient(x[batch], t[batch])
        if not np.isfinite(loss):
            break
        losses.append(loss)
        for key in net.params:
            net.params[key] -= lr * grads[key]
    return {"lr": rates[:len(losses)], "loss": np.array(losses)}
# --8<-- [end:range_test]


def smooth(values: list[float] | np.ndarray, n: int = 10) -> np.ndarray:
    """The mean of each `n` consecutive values: a noisy curve's trend (``n - 1`` values shorter).

    Examples
    --------
    >>> print(smooth([1.0, 3.0, 2.0, 6.0], n=2))
    [2.  2.5 4. ]
    """
    v = np.asarray(values, dtype=np.float64)
    return np.convolve(v, np.ones(n) / n, mode="valid")


# ------------------------------------------------------------------ figures
def _thousands(value: float, _: object) -> str:
    return f"{value / 1000:g}k" if value else "0"


def _draw_activations(activation: str) -> Figure:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter
    from matplotlib.transforms import blended_transform_factory

    sigmoid_like = activation == "sigmoid"
    # Sigmoid: all in (0, 1), one scale per row. ReLU: one log axis for every panel, which
    # cannot show the zeros; the share of zeros is in each title instead.
    fig, axes = new_figure(len(INITS), 5, figsize=(10, 8.4), sharex=True, sharey="row" if sigmoid_like else True)
    for r, (row, (label, rule)) in enumerate(zip(axes, INITS.items())):
        layers = activations_through_layers(activation, rule)
        if sigmoid_like:  # room at the top of the row for one unit's ticks
            row[0].set_ylim(0, 1.35 * max(np.histogram(a, bins=30, range=(0, 1))[0].max() for a in layers))
        for k, (ax, a) in enumerate(zip(row, layers)):
            if sigmoid_like:
                ax.hist(a.ravel(), bins=30, range=(0, 1), color="C0")
                on_top = blended_transform_factory(ax.transData, ax.transAxes)
                ax.plot(a[:, 0], np.full(len(a), 0.9), "|", ms=9, color="C1", alpha=0.3, transform=on_top)
                detail = f"std {a.std():.3f}, per unit {per_unit_spread(a):.3f}"
            else:
                ax.hist(a[a > 0], bins=np.logspace(-11, 6, 103), color="C0")
                ax.set_xscale("log")
                ax.set_xticks([1e-10, 1e-5, 1, 1e5])
                ax.minorticks_off()
                detail = f"std {a.std():.3g}, {np.mean(a == 0):.0%} at 0"
            ax.set_title(f"{label}, layer {k + 1}\n{detail}", fontsize=7.5)
            ax.tick_params(labelsize=7, labelbottom=True)
            ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
            if k == 0:
                ax.set_ylabel("count", fontsize=8)
            if r == len(INITS) - 1:
                ax.set_xlabel("activation" if sigmoid_like else "activation (log scale)", fontsize=7.5)
    if sigmoid_like:
        fig.legend([Patch(color="C0"), Line2D([], [], ls="", marker="|", ms=9, color="C1")],
                   ["all 100 units, 1,000 inputs each (histogram)", "the first unit alone, over the 1,000 inputs"],
                   loc="lower center", ncol=2, fontsize=8)
        fig.suptitle("Activations of five sigmoid layers of 100 units, by initial scale", fontsize=10)
    else:
        fig.suptitle("Activations of five ReLU layers of 100 units, by initial scale: the values above 0",
                     fontsize=10)
    fig.tight_layout(rect=(0, 0.03 if sigmoid_like else 0, 1, 1))
    return fig


def draw_activations_sigmoid() -> Figure:
    return _draw_activations("sigmoid")


def draw_activations_relu() -> Figure:
    return _draw_activations("relu")


def draw_init_mnist() -> Figure:
    fig, ax = new_figure(figsize=(7, 3.8))
    for label in ("std 0.01", "Xavier", "He"):
        history = mnist_curve(INITS[label])
        ax.plot(np.arange(20, len(history.loss) + 1), smooth(history.loss, 20), label=label)
    ax.set(title="784-50-50-50-50-10, ReLU, SGD lr 0.01: loss by initial scale",
           xlabel="iteration", ylabel="loss (mean over 20 batches)")
    ax.legend()
    return fig


def draw_gradient_rms() -> Figure:
    fig, ax = new_figure(figsize=(7, 3.8))
    for activation, label in [("sigmoid", "sigmoid, Xavier"), ("relu", "ReLU, He")]:
        sizes = gradient_rms(activation)
        ax.plot(np.arange(1, len(sizes) + 1), sizes, "o-", label=label)
    ax.set(yscale="log", title="Gradient per weight matrix (RMS of its entries), ten hidden layers of 50",
           xlabel="weight matrix (1 = next to the input)", ylabel=r"RMS of $\partial L / \partial W_l$")
    ax.legend()
    return fig


def draw_learning_rates() -> Figure:
    fig, (left, right) = new_figure(1, 2, figsize=(10, 3.9))
    top = 3.2
    for (label, lr), color in zip(LEARNING_RATES.items(), ("C0", "C1", "C2", "C3")):
        loss = watch(lr)["loss"]
        left.plot(np.arange(1, len(loss) + 1), np.minimum(loss, top), color=color, lw=0.6, alpha=0.35)
        left.plot(np.arange(20, len(loss) + 1), smooth(loss, 20), color=color, lw=2, label=f"lr {lr:g} ({label})")
    left.axhline(np.log(10), color="gray", ls=":", lw=1)
    left.annotate("log 10", (300, np.log(10)), xytext=(0, 3), textcoords="offset points", ha="right",
                  fontsize=8, color="gray")
    left.set(ylim=(0, top), xlabel="iteration", ylabel="loss (clipped at 3.2)",
             title="SGD, 300 steps: each batch's loss (thin), mean of 20 (thick)")
    left.legend(fontsize=8, loc="lower left")
    test = lr_range_test()
    right.plot(test["lr"], np.minimum(test["loss"], top), color="C0", lw=0.6, alpha=0.5, label="each batch")
    right.plot(test["lr"][9:], smooth(test["loss"]), color="C0", lw=2, label="mean of 10")
    right.set(xscale="log", ylim=(0, top), xlabel="learning rate (it grows at every step)",
              ylabel="loss (clipped at 3.2)", title="A learning-rate range test: 100 steps, 0.001 to 10")
    right.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


FIGURES = {
    "making-training-work-activations-sigmoid.svg": draw_activations_sigmoid,
    "making-training-work-activations-relu.svg": draw_activations_relu,
    "making-training-work-init-mnist.svg": draw_init_mnist,
    "making-training-work-gradient-rms.svg": draw_gradient_rms,
    "making-training-work-learning-rates.svg": draw_learning_rates,
}
