"""Chapter 9, "Optimizers, normalization and regularization" (``docs/optimizers-and-regularization.md``).

The optimizers on a toy function and on MNIST, batch normalization and
dropout (each layer checked against numerical gradients, then measured),
overfitting, weight decay, validation, early stopping and a small random
search. The MNIST experiments train chapter 8's network,
784-50-50-50-50-10 (`dlfs.book.making_training_work.HIDDEN`), in float64 on
the first 10,000 training images or fewer, at sizes a site build affords;
every draw is seeded.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dlfs.book.cache import cached
from dlfs.book.data import train_set
from dlfs.book.making_training_work import HIDDEN, mnist_10k, smooth
from dlfs.book.style import new_figure
from dlfs.extend import MultiLayerNetExtend
from dlfs.gradcheck import REL_FLOOR
from dlfs.multilayer import MultiLayerNet
from dlfs.numerical import numerical_gradient
from dlfs.optim import SGD, AdaGrad, Adam, Momentum, Optimizer, RMSprop
from dlfs.train import History, minibatches, split_validation, train

OPTIMIZERS = {"SGD": (SGD, 0.01), "Momentum": (Momentum, 0.01), "AdaGrad": (AdaGrad, 0.01),
              "RMSprop": (RMSprop, 0.001), "Adam": (Adam, 0.001)}  # the book's learning rates (RMSprop: Adam's)
BN_SCALES = (1.0, 0.1, 0.01)  # the initial weights' standard deviations of the batch normalization runs
WEIGHT_DECAYS = (0.0, 0.01, 0.03, 0.1)  # the lambdas of overfit that the page shows
DROPOUT_RATIO = 0.1
# --8<-- [end:imports]

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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


# --8<-- [start:optimizer_run]
@cached
def optimizer_curve(optimizer: str = "SGD", iters: int = 300, seed: int = 0) -> History:
    """Chapter 8's `mnist_curve` run (He initialization, batch 100) with another optimizer.

    `optimizer` is one of ``OPTIMIZERS``, with its learning rate there (SGD,
    Momentum and AdaGrad 0.01, RMSprop and Adam 0.001). Accuracy is measured
    at the end, on the 10,000 training images and 1,000 test images.
    """
    x, t, x_test, t_test = mnist_10k()
    kind, lr = OPTIMIZERS[optimizer]
    net = MultiLayerNet(784, list(HIDDEN), 10, "he", seed=seed)
    return train(net, x, t, x_test, t_test, iters=iters, batch_size=100, lr=lr, optimizer=kind(lr=lr),
                 seed=seed, eval_every=iters, progress=False)
# --8<-- [end:optimizer_run]


# --8<-- [start:check_layer]
def check_layer(make: Callable[[], Any], x: np.ndarray, params: dict[str, np.ndarray] | None = None,
                seed: int = 0) -> dict[str, float]:
    """Check a layer's `backward` against numerical differentiation, in training mode.

    `make()` must return a fresh layer that reads the arrays of `params`
    (say ``gamma`` and ``beta``) and draws the same random numbers every
    time. The function differentiated is ``sum(out * dout)`` for a random
    `dout`: its gradient with respect to `x` is exactly ``backward(dout)``.
    Returns the largest relative error of ``dx`` and of each ``d<name>``.
    """
    params = {} if params is None else params
    dout = np.random.default_rng(seed).standard_normal(x.shape)
    layer = make()
    layer.forward(x)
    backprop = {"x": layer.backward(dout)} | {name: getattr(layer, f"d{name}") for name in params}

    def f(_: np.ndarray) -> float:  # numerical_gradient nudges x or a parameter in place; a new layer reads it
        return float(np.sum(make().forward(x) * dout))

    errors = {}
    for name, value in ({"x": x} | params).items():
        a, b = backprop[name], numerical_gradient(f, value)
        errors[name] = float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), REL_FLOOR)))
    return errors
# --8<-- [end:check_layer]


# --8<-- [start:batch_norm_run]
@cached
def batch_norm_run(weight_init_std: float, use_batchnorm: bool, iters: int = 100, seed: int = 0) -> dict[str, Any]:
    """The book's batch normalization test: five hidden layers of 100, 1,000 images, SGD at 0.01.

    ``MultiLayerNetExtend(784, [100] * 5, 10, weight_init_std)``, with or
    without batch normalization, trained on the first 1,000 training images
    in batches of 100. Returns ``iters`` and ``train_acc``, the accuracy on
    the 1,000 images every 10 steps, and ``diverged_at``: the step at which
    the loss stopped being finite (the run ends there), or None.
    """
    x, t = train_set(slice(0, 1000))
    net = MultiLayerNetExtend(784, [100] * 5, 10, weight_init_std, use_batchnorm=use_batchnorm, seed=seed)
    optimizer = SGD(lr=0.01)
    batches = minibatches(len(x), 100, np.random.default_rng(seed))
    steps, accuracy = [0], [net.accuracy(x, t)]
    for i in range(1, iters + 1):
        batch = next(batches)
        with np.errstate(over="ignore", invalid="ignore"):
            loss, grads = net.loss_and_gradient(x[batch], t[batch])
        if not np.isfinite(loss):
            return {"iters": steps, "train_acc": accuracy, "diverged_at": i}
        optimizer.update(net.params, grads)
        if i % 10 == 0:
            steps.append(i)
            accuracy.append(net.accuracy(x, t))  # inference mode: the running statistics
    return {"iters": steps, "train_acc": accuracy, "diverged_at": None}
# --8<-- [end:batch_norm_run]


# --8<-- [start:overfit]
def small_split(seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The 300 training and 1,000 validation images of the small experiments: ``(x, t), (x_val, t_val)``.

    ``split_validation`` of the first 1,300 training images, exactly as
    ``train(net, x[:1300], t[:1300], val_size=1000, seed=seed)`` carves them,
    in the same order: `overfit`, `dropout_run`, `early_stopping` and
    `random_search` all train on these 300 images.
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


# --8<-- [start:dropout_run]
@cached
def dropout_run(dropout_ratio: float = DROPOUT_RATIO, epochs: int = 200, seed: int = 0) -> History:
    """`overfit`'s run with dropout after every hidden layer: the same images, weights and batches.

    ``MultiLayerNetExtend(..., use_dropout=True)`` starts from the weights of
    ``overfit()``'s network (the same seed); its masks are drawn from the
    same generator, after the weights. Accuracy is measured in inference
    mode, with every unit.
    """
    (x, t), _ = small_split(seed)
    _, _, x_test, t_test = mnist_10k()
    net = MultiLayerNetExtend(784, list(HIDDEN), 10, "he", use_dropout=True, dropout_ratio=dropout_ratio,
                              seed=seed)
    per_epoch = len(x) // 100
    return train(net, x, t, x_test, t_test, iters=epochs * per_epoch, batch_size=100,
                 lr=0.01, seed=seed, eval_every=5 * per_epoch, progress=False)
# --8<-- [end:dropout_run]


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
        history = optimizer_curve(name)
        ax.plot(np.arange(20, len(history.loss) + 1), smooth(history.loss, 20), label=name)
    ax.set(title="The same network, He initialization, 300 steps of batch 100",
           xlabel="iteration", ylabel="loss (mean over 20 batches)")
    ax.legend()
    return fig


def draw_batch_norm() -> Figure:
    fig, axes = new_figure(1, len(BN_SCALES), figsize=(10, 3.6), sharey=True)
    for ax, scale in zip(axes, BN_SCALES):
        for use_batchnorm, style, label in [(True, "o-", "with batch normalization"), (False, "s--", "without")]:
            run = batch_norm_run(scale, use_batchnorm)
            ax.plot(run["iters"], run["train_acc"], style, ms=3, label=label)
            if run["diverged_at"] is not None:
                ax.annotate(f"loss not finite\nat step {run['diverged_at']}", (run["iters"][-1], run["train_acc"][-1]),
                            xytext=(12, 24), textcoords="offset points", fontsize=8, arrowprops={"arrowstyle": "->"})
        ax.set(title=f"initial weights: std {scale:g}", xlabel="iteration", xlim=(-3, 103), ylim=(0, 1.02))
        ax.label_outer()
    axes[0].set_ylabel("accuracy on the 1,000 training images")
    axes[0].legend(loc="center right", fontsize=8)
    fig.suptitle("784-100-100-100-100-100-10, SGD at 0.01, batches of 100", fontsize=10)
    fig.tight_layout()
    return fig


def _accuracy_panel(ax: Any, history: History, title: str) -> None:
    epochs = np.array(history.eval_iters) / 3
    ax.plot(epochs, history.train_acc, "o-", ms=3, label="the 300 training images")
    ax.plot(epochs, history.test_acc, "s--", ms=3, label="1,000 test images")
    gap = history.train_acc[-1] - history.test_acc[-1]
    ax.set(title=f"{title}: gap {gap:.3f} at the end", xlabel="epoch", ylabel="accuracy")
    ax.label_outer()
    ax.legend(loc="lower right", fontsize=8)


def draw_overfitting() -> Figure:
    fig, axes = new_figure(2, 2, figsize=(9, 6.4), sharex=True, sharey=True)
    for ax, decay in zip(axes.flat, WEIGHT_DECAYS):
        _accuracy_panel(ax, overfit(decay), "no weight decay" if decay == 0 else f"weight decay $\\lambda = {decay}$")
    fig.tight_layout()
    return fig


def draw_dropout() -> Figure:
    fig, axes = new_figure(1, 2, figsize=(9, 3.6), sharex=True, sharey=True)
    _accuracy_panel(axes[0], overfit(), "no dropout")
    _accuracy_panel(axes[1], dropout_run(), f"dropout ratio {DROPOUT_RATIO}")
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
    "optimizers-and-regularization-optimizer-paths.svg": draw_optimizer_paths,
    "optimizers-and-regularization-optimizer-mnist.svg": draw_optimizer_mnist,
    "optimizers-and-regularization-batch-norm.svg": draw_batch_norm,
    "optimizers-and-regularization-overfitting.svg": draw_overfitting,
    "optimizers-and-regularization-dropout.svg": draw_dropout,
    "optimizers-and-regularization-search.svg": draw_search,
}
