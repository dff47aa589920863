"""Chapter 8, "Making training work" (``docs/making-training-work.md``).

The starting loss, initialization and the spread of activations, vanishing
gradients, the optimizers on a toy function and on MNIST, overfitting, weight
decay, validation and a small random search. The MNIST experiments train
`dlfs.multilayer.MultiLayerNet` (784-50-50-50-50-10 unless said otherwise)
in float64 on the first 10,000 training images, at sizes a site build
affords; every draw is seeded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dlfs.book.cache import cached
from dlfs.book.data import test_set, train_set
from dlfs.book.style import new_figure
from dlfs.functions import relu, sigmoid
from dlfs.multilayer import MultiLayerNet, init_scale
from dlfs.optim import SGD, AdaGrad, Adam, Momentum, Optimizer
from dlfs.train import History, split_validation, train

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.figure import Figure

HIDDEN = (50, 50, 50, 50)
INITS: dict[str, float | str] = {"std 1": 1.0, "std 0.01": 0.01, "Xavier": "xavier", "He": "he"}
WEIGHT_DECAYS = (0.0, 0.01, 0.03, 0.1)  # the lambdas of overfit that the page shows
OPTIMIZERS = {"SGD": (SGD, 0.01), "Momentum": (Momentum, 0.01), "AdaGrad": (AdaGrad, 0.01), "Adam": (Adam, 0.001)}


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


def mnist_10k() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The first 10,000 training images and the first 1,000 test images, float64."""
    x, t = train_set(slice(0, 10_000))
    x_test, t_test = test_set(slice(0, 1000))
    return x, t, x_test, t_test


# --8<-- [start:mnist_run]
@cached
def mnist_curve(weight_init_std: float | str = "he", optimizer: str = "SGD", iters: int = 300,
                seed: int = 0) -> History:
    """Train ``MultiLayerNet(784, [50, 50, 50, 50], 10)`` for `iters` steps of batch 100.

    `weight_init_std` as for `MultiLayerNet`; `optimizer` one of ``OPTIMIZERS``
    with its learning rate there (SGD, Momentum and AdaGrad 0.01, Adam 0.001,
    the book's). Accuracy is measured at the end, on the 10,000 training
    images and 1,000 test images.
    """
    x, t, x_test, t_test = mnist_10k()
    kind, lr = OPTIMIZERS[optimizer]
    net = MultiLayerNet(784, list(HIDDEN), 10, weight_init_std, seed=seed)
    return train(net, x, t, x_test, t_test, iters=iters, batch_size=100, lr=lr, optimizer=kind(lr=lr),
                 seed=seed, eval_every=iters, progress=False)
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


# --8<-- [start:gradient_norms]
def gradient_norms(activation: str, depth: int = 10, width: int = 50) -> np.ndarray:
    """The norm of each weight matrix's gradient, input layer first, for one batch of 100 images.

    ``MultiLayerNet(784, [width] * depth, 10)``, initialized by the rule the
    book pairs with `activation` (Xavier for sigmoid, He for ReLU), on the
    first 100 training images.
    """
    x, t = train_set(slice(0, 100))
    rule = "xavier" if activation == "sigmoid" else "he"
    net = MultiLayerNet(784, [width] * depth, 10, rule, activation=activation, seed=0)
    grads = net.gradient(x, t)
    return np.array([np.linalg.norm(grads[f"W{i}"]) for i in range(1, depth + 2)])
# --8<-- [end:gradient_norms]


# --8<-- [start:paths]
def toy(p: np.ndarray) -> float:
    """``x**2 / 20 + y**2``: twenty times steeper along y than along x."""
    return float(p[0] ** 2 / 20 + p[1] ** 2)


def toy_gradient(p: np.ndarray) -> np.ndarray:
    return np.array([p[0] / 10, 2 * p[1]])


def optimizer_paths(steps: int = 30, start: tuple[float, float] = (-7.0, 2.0)) -> dict[str, np.ndarray]:
    """Every point each optimizer visits on `toy` from `start`, with the book's learning rates."""
    settings: dict[str, Optimizer] = {"SGD": SGD(lr=0.95), "Momentum": Momentum(lr=0.1),
                                      "AdaGrad": AdaGrad(lr=1.5), "Adam": Adam(lr=0.3)}
    paths = {}
    for name, optimizer in settings.items():
        params = {"p": np.array(start)}
        path = [params["p"].copy()]
        for _ in range(steps):
            optimizer.update(params, {"p": toy_gradient(params["p"])})
            path.append(params["p"].copy())
        paths[name] = np.array(path)
    return paths
# --8<-- [end:paths]


# --8<-- [start:overfit]
def small_split(seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The 300 training and 1,000 validation images of the small experiments: ``(x, t), (x_val, t_val)``.

    ``split_validation`` of the first 1,300 training images, exactly as
    ``train(net, x[:1300], t[:1300], val_size=1000, seed=seed)`` carves them,
    in the same order: `overfit`, `early_stopping` and `random_search` all
    train on these 300 images.
    """
    x, t, _, _ = mnist_10k()
    return split_validation(x[:1300], t[:1300], 1000, seed)


@cached
def overfit(weight_decay_lambda: float = 0.0, epochs: int = 200, seed: int = 0) -> History:
    """Train on only 300 images for `epochs` epochs: accuracy on them and on 1,000 test images.

    ``MultiLayerNet(784, [50, 50, 50, 50], 10, "he")`` with `weight_decay_lambda`,
    on the 300 images of `small_split`; SGD at 0.01, batches of 100;
    accuracy every 5 epochs (15 steps).
    """
    (x, t), _ = small_split(seed)
    _, _, x_test, t_test = mnist_10k()
    net = MultiLayerNet(784, list(HIDDEN), 10, "he", weight_decay_lambda=weight_decay_lambda, seed=seed)
    per_epoch = len(x) // 100
    return train(net, x, t, x_test, t_test, iters=epochs * per_epoch, batch_size=100,
                 lr=0.01, seed=seed, eval_every=5 * per_epoch, progress=False)
# --8<-- [end:overfit]


# --8<-- [start:early_stopping]
@cached
def early_stopping(patience: int = 5, seed: int = 0) -> dict[str, Any]:
    """`overfit`'s run, watched on 1,000 validation images and stopped early; then the test set, once.

    ``train`` carves the validation images out of the first 1,300 and trains
    on the other 300, the images of `small_split`, in the same order and with
    the same initial weights as ``overfit(0)``: the same run, step for step,
    until it stops. No test accuracy is measured during training. Returns the
    ``history`` and ``test_acc``, the accuracy on the 1,000 test images of
    the parameters that ``train`` put back.
    """
    x, t, x_test, t_test = mnist_10k()
    net = MultiLayerNet(784, list(HIDDEN), 10, "he", seed=seed)
    history = train(net, x[:1300], t[:1300], iters=600, batch_size=100, lr=0.01, seed=seed,
                    eval_every=15, val_size=1000, patience=patience, progress=False)
    return {"history": history, "test_acc": net.accuracy(x_test, t_test)}
# --8<-- [end:early_stopping]


# --8<-- [start:search]
@cached
def random_search(trials: int = 10, iters: int = 150, seed: int = 0) -> list[dict[str, float]]:
    """Try `trials` random (learning rate, weight decay) pairs; score each on the validation set.

    The learning rate is drawn log-uniformly from 1e-3 to 1e-1, the weight
    decay from 1e-5 to 1e-1. Each trial trains `overfit`'s network on the
    300 images of `small_split` for `iters` steps and measures its accuracy
    on the 1,000 validation images there. The test set is not touched.
    """
    x, t, _, _ = mnist_10k()
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(trials):
        lr, decay = 10 ** rng.uniform(-3, -1), 10 ** rng.uniform(-5, -1)
        net = MultiLayerNet(784, list(HIDDEN), 10, "he", weight_decay_lambda=decay, seed=seed)
        history = train(net, x[:1300], t[:1300], iters=iters, batch_size=100, lr=lr, seed=seed,
                        eval_every=iters, val_size=1000, progress=False)
        results.append({"lr": lr, "weight_decay": decay, "val_acc": history.val_acc[-1]})
    return sorted(results, key=lambda r: -r["val_acc"])


@cached
def test_the_choice(iters: int = 150, seed: int = 0) -> dict[str, float]:
    """Train once more with the best setting `random_search` found; only now measure the test set."""
    best = random_search(iters=iters, seed=seed)[0]
    x, t, x_test, t_test = mnist_10k()
    net = MultiLayerNet(784, list(HIDDEN), 10, "he", weight_decay_lambda=best["weight_decay"], seed=seed)
    history = train(net, x[:1300], t[:1300], x_test, t_test, iters=iters, batch_size=100, lr=best["lr"],
                    seed=seed, eval_every=iters, val_size=1000, progress=False)
    return best | {"test_acc": history.test_acc[-1]}
# --8<-- [end:search]


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


def _smooth(values: list[float], n: int = 20) -> np.ndarray:
    v = np.asarray(values)
    return np.convolve(v, np.ones(n) / n, mode="valid")


def draw_init_mnist() -> Figure:
    fig, ax = new_figure(figsize=(7, 3.8))
    for label in ("std 0.01", "Xavier", "He"):
        history = mnist_curve(INITS[label], "SGD")
        ax.plot(np.arange(20, len(history.loss) + 1), _smooth(history.loss), label=label)
    ax.set(title="784-50-50-50-50-10, ReLU, SGD lr 0.01: loss by initial scale",
           xlabel="iteration", ylabel="loss (mean over 20 batches)")
    ax.legend()
    return fig


def draw_gradient_norms() -> Figure:
    fig, ax = new_figure(figsize=(7, 3.8))
    for activation, label in [("sigmoid", "sigmoid, Xavier"), ("relu", "ReLU, He")]:
        norms = gradient_norms(activation)
        ax.plot(np.arange(1, len(norms) + 1), norms, "o-", label=label)
    ax.set(yscale="log", title="Gradient norm per weight matrix, ten hidden layers of 50",
           xlabel="weight matrix (1 = next to the input)", ylabel=r"$\|\partial L / \partial W_l\|$")
    ax.legend()
    return fig


def draw_optimizer_paths() -> Figure:
    paths = optimizer_paths()
    fig, axes = new_figure(2, 2, figsize=(9, 5.4), sharex=True, sharey=True)
    gx, gy = np.meshgrid(np.linspace(-10, 10, 201), np.linspace(-5, 5, 101))
    for ax, (name, path) in zip(axes.flat, paths.items()):
        ax.contour(gx, gy, gx**2 / 20 + gy**2, levels=[0.25, 1, 2, 4, 8, 16], colors="lightgray", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1, color="tab:red")
        ax.plot(0, 0, "+", color="black", ms=10)
        ax.set(title=name, xlim=(-10, 10), ylim=(-5, 5), xlabel="$x$", ylabel="$y$")
        ax.label_outer()  # the shared axes are labeled once, where their ticks are
    fig.suptitle(r"30 steps on $f(x, y) = x^2/20 + y^2$ from $(-7, 2)$", fontsize=10)
    fig.tight_layout()
    return fig


def draw_optimizer_mnist() -> Figure:
    fig, ax = new_figure(figsize=(7, 3.8))
    for name in OPTIMIZERS:
        history = mnist_curve("he", name)
        ax.plot(np.arange(20, len(history.loss) + 1), _smooth(history.loss), label=name)
    ax.set(title="The same network, He initialization, 300 steps of batch 100",
           xlabel="iteration", ylabel="loss (mean over 20 batches)")
    ax.legend()
    return fig


def draw_overfitting() -> Figure:
    fig, axes = new_figure(2, 2, figsize=(9, 6.4), sharex=True, sharey=True)
    for ax, decay in zip(axes.flat, WEIGHT_DECAYS):
        history = overfit(decay)
        epochs = np.array(history.eval_iters) / 3
        ax.plot(epochs, history.train_acc, "o-", ms=3, label="the 300 training images")
        ax.plot(epochs, history.test_acc, "s--", ms=3, label="1,000 test images")
        gap = history.train_acc[-1] - history.test_acc[-1]
        ax.set(title=("no weight decay" if decay == 0 else f"weight decay $\\lambda = {decay}$")
               + f": gap {gap:.3f} at the end", xlabel="epoch", ylabel="accuracy")
        ax.label_outer()
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def draw_search() -> Figure:
    results = random_search()
    fig, ax = new_figure(figsize=(6.4, 4))
    points = ax.scatter([r["lr"] for r in results], [r["weight_decay"] for r in results],
                        c=[r["val_acc"] for r in results], cmap="viridis", s=60, edgecolors="black",
                        clip_on=False)
    best = results[0]
    ax.annotate(f"best: {best['val_acc']:.3f}", (best["lr"], best["weight_decay"]), xytext=(-8, 8),
                textcoords="offset points", ha="right", fontsize=8)
    # the whole ranges the trials are drawn from, not just where they fell
    ax.set(xscale="log", yscale="log", xlim=(1e-3, 1e-1), ylim=(1e-5, 1e-1), xlabel="learning rate",
           ylabel=r"weight decay $\lambda$", title="Random search: validation accuracy of each trial")
    fig.colorbar(points, ax=ax, label="validation accuracy")
    return fig


FIGURES = {
    "making-training-work-activations-sigmoid.svg": draw_activations_sigmoid,
    "making-training-work-activations-relu.svg": draw_activations_relu,
    "making-training-work-init-mnist.svg": draw_init_mnist,
    "making-training-work-gradient-norms.svg": draw_gradient_norms,
    "making-training-work-optimizer-paths.svg": draw_optimizer_paths,
    "making-training-work-optimizer-mnist.svg": draw_optimizer_mnist,
    "making-training-work-overfitting.svg": draw_overfitting,
    "making-training-work-search.svg": draw_search,
}
