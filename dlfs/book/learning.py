"""Chapter 4, "Learning from data" (``docs/learning.md``).

The chapter's seeded draws from MNIST (a 10-image mini-batch, then 300
training images shrunk to 7x7), the small sigmoid network trained on them
with numerical gradients and with backprop, and the loss and accuracy as one
weight moves. ``np.random.default_rng(0)`` makes both draws, in that order.
"""

from __future__ import annotations

# --8<-- [start:imports]
import time

import numpy as np

from dlfs.book.cache import cached  # computes each result once per build (or session), then reuses it
from dlfs.book.data import test_set, train_set  # MNIST, read once: the images and labels at the given indices
from dlfs.nets import TwoLayerNet
from dlfs.optim import SGD
from dlfs.train import minibatches

# --8<-- [end:imports]
# isort: split
from typing import TYPE_CHECKING, Any

from dlfs.book.style import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# --8<-- [start:small_mnist]
def shrink(images: np.ndarray) -> np.ndarray:
    """Average blocks of 4x4 pixels: (N, 784) -> (N, 49), a 7x7 image."""
    return images.reshape(-1, 7, 4, 7, 4).mean(axis=(2, 4)).reshape(len(images), 49)


def draws(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's two draws from the 60,000 training images: 10, then 300 distinct indices."""
    rng = np.random.default_rng(seed)
    batch = rng.choice(60000, 10, replace=False)
    subset = rng.choice(60000, 300, replace=False)
    return batch, subset


def small_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 300 drawn training images and the first 1,000 test images, shrunk to 49 pixels."""
    _, subset = draws()
    x, t = train_set(subset)
    x_test, t_test = test_set(slice(0, 1000))
    return shrink(x), t, shrink(x_test), t_test


def small_net() -> TwoLayerNet:
    """The chapter's network: 49-10-10, sigmoid, initial weights of standard deviation 0.5."""
    return TwoLayerNet(49, 10, 10, weight_init_std=0.5, activation="sigmoid", seed=0)
# --8<-- [end:small_mnist]


# --8<-- [start:train_steps]
@cached
def train_steps(method: str, steps: int = 20, batch_size: int = 100, lr: float = 5.0,
                seed: int = 0) -> dict[str, list[float]]:
    """Train `small_net` on `small_mnist` with gradients by `method`: "numerical" or "backprop".

    Returns, before the first step and after each one, the loss on all 300
    training images (``loss``) and the accuracy on the 1,000 test images
    (``test_accuracy``); and the measured seconds of each step's gradient
    and update (``seconds``, one fewer).
    """
    x, t, x_test, t_test = small_mnist()
    net = small_net()
    gradient = net.numerical_gradient if method == "numerical" else net.gradient
    optimizer = SGD(lr)
    batches = minibatches(len(x), batch_size, np.random.default_rng(seed))
    record: dict[str, list[float]] = {"loss": [net.loss(x, t)], "test_accuracy": [net.accuracy(x_test, t_test)],
                                      "seconds": []}
    for _ in range(steps):
        batch = next(batches)
        start = time.perf_counter()
        optimizer.update(net.params, gradient(x[batch], t[batch]))
        record["seconds"].append(time.perf_counter() - start)
        record["loss"].append(net.loss(x, t))
        record["test_accuracy"].append(net.accuracy(x_test, t_test))
    return record
# --8<-- [end:train_steps]


def trained_small_net(steps: int = 20, lr: float = 5.0, seed: int = 0) -> TwoLayerNet:
    """`small_net` after the steps of ``train_steps("backprop", steps, lr=lr, seed=seed)``, replayed."""
    x, t, _, _ = small_mnist()
    net = small_net()
    optimizer = SGD(lr)
    batches = minibatches(len(x), 100, np.random.default_rng(seed))
    for _ in range(steps):
        batch = next(batches)
        optimizer.update(net.params, net.gradient(x[batch], t[batch]))
    return net


def along_one_weight(n_points: int = 401) -> dict[str, Any]:
    """Move the weight of ``W2`` with the largest loss gradient; record loss and accuracy.

    The network is `small_net` after its 20 training steps (`trained_small_net`:
    an untrained one sits at chance, where the accuracy only wanders), on the
    300 images of `small_mnist`. Returns the weight's ``index`` and starting
    value ``w0``, the values tried ``w``, and the ``loss`` and ``accuracy`` at each.
    """
    x, t, _, _ = small_mnist()
    net = trained_small_net()
    W2 = net.params["W2"]
    index = np.unravel_index(np.abs(net.gradient(x, t)["W2"]).argmax(), W2.shape)
    w0 = float(W2[index])
    ws = w0 + np.linspace(-2.0, 2.0, n_points)
    loss, accuracy = np.empty(n_points), np.empty(n_points)
    for k, w in enumerate(ws):
        W2[index] = w  # the layers read net.params at every pass
        loss[k], accuracy[k] = net.loss(x, t), net.accuracy(x, t)
    return {"index": tuple(int(i) for i in index), "w0": w0, "w": ws, "loss": loss, "accuracy": accuracy}


def draw_minibatch() -> Figure:
    """The ten images of the chapter's mini-batch, titled with index and label."""
    batch, _ = draws()
    images, labels = train_set(batch)
    fig, axes = new_figure(2, 5, figsize=(7.5, 3.5))
    for ax, i, image, label in zip(axes.flat, batch, images, labels):
        ax.imshow(image.reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"#{i}\nlabel {label}", fontsize=9)
        ax.set_axis_off()
    fig.suptitle("A mini-batch of 10 of the 60,000 training images", y=1.04)
    return fig


def draw_loss_vs_accuracy() -> Figure:
    """Loss (smooth) and accuracy (steps) as one weight of W2 moves."""
    d = along_one_weight()
    fig, (top, bottom) = new_figure(2, 1, figsize=(6.2, 5.0), sharex=True)
    i, j = d["index"]
    top.plot(d["w"], d["loss"], color="tab:blue")
    top.set_title(f"Moving one weight, W2[{i}, {j}], with all others fixed")
    top.set_ylabel("cross-entropy loss")
    bottom.plot(d["w"], d["accuracy"], color="tab:orange", drawstyle="steps-mid")
    bottom.set_title("Accuracy on the same 300 images")
    bottom.set_ylabel("accuracy")
    bottom.set_xlabel(f"value of W2[{i}, {j}]")
    for ax in (top, bottom):
        ax.axvline(d["w0"], color="gray", ls=":", lw=1)
    top.annotate("initial value", (d["w0"], d["loss"].max()), xytext=(4, -4),
                 textcoords="offset points", va="top", color="gray", fontsize=9)
    fig.tight_layout()
    return fig


FIGURES = {
    "learning-minibatch.svg": draw_minibatch,
    "learning-loss-vs-accuracy.svg": draw_loss_vs_accuracy,
}
