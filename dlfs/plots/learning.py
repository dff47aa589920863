"""Figures for chapter 4, "Learning from data" (``docs/learning.md``).

Both use the real MNIST (``dlfs.datasets.load_mnist``) and repeat the
chapter's seeded draws: ``np.random.default_rng(0)`` picks the 10-image
mini-batch, then the 300 training images of the shrunken 7x7 set.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure

from dlfs.nets import TwoLayerNet
from dlfs.plots import new_figure


@lru_cache(maxsize=1)
def mnist_train() -> tuple[np.ndarray, np.ndarray]:
    """The 60,000 MNIST training images (float64 in [0, 1]) and labels."""
    from dlfs.datasets import load_mnist

    (x_train, t_train), _ = load_mnist(dtype=np.float64)
    return x_train, t_train


def shrink(images: np.ndarray) -> np.ndarray:
    """Average 4x4 blocks of pixels: (N, 784) -> (N, 49), as on the page."""
    return images.reshape(-1, 7, 4, 7, 4).mean(axis=(2, 4)).reshape(len(images), 49)


def chapter_draws() -> tuple[np.ndarray, np.ndarray]:
    """The page's two draws: the 10-image mini-batch, then the 300-image subset."""
    rng = np.random.default_rng(0)
    batch = rng.choice(60000, 10, replace=False)
    subset = rng.choice(60000, 300, replace=False)
    return batch, subset


def draw_minibatch() -> Figure:
    """The ten images of the page's mini-batch, titled with index and label."""
    x_train, t_train = mnist_train()
    batch, _ = chapter_draws()
    fig, axes = new_figure(2, 5, figsize=(7.5, 3.5))
    for ax, i in zip(axes.flat, batch):
        ax.imshow(x_train[i].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"#{i}: label {t_train[i]}", fontsize=9)
        ax.set_axis_off()
    fig.suptitle("A mini-batch of 10 of the 60,000 training images")
    return fig


def loss_and_accuracy_along_one_weight(n_points: int = 401) -> dict[str, np.ndarray]:
    """Move the weight of ``W2`` with the largest loss gradient; record loss and accuracy.

    The network and data are the page's: ``TwoLayerNet(49, 10, 10,
    weight_init_std=0.5, activation="sigmoid", seed=0)`` on the 300 shrunken
    images. Returns the weight values ``w``, ``loss`` and ``accuracy``, and
    the starting value ``w0``.
    """
    x_train, t_train = mnist_train()
    _, subset = chapter_draws()
    x, t = shrink(x_train[subset]), t_train[subset]
    net = TwoLayerNet(49, 10, 10, weight_init_std=0.5, activation="sigmoid", seed=0)
    W2 = net.params["W2"]
    idx = np.unravel_index(np.abs(net.gradient(x, t)["W2"]).argmax(), W2.shape)
    w0 = float(W2[idx])
    ws = w0 + np.linspace(-2.0, 2.0, n_points)
    loss, accuracy = np.empty(n_points), np.empty(n_points)
    for k, w in enumerate(ws):
        W2[idx] = w  # the layers read net.params at every pass
        loss[k], accuracy[k] = net.loss(x, t), net.accuracy(x, t)
    return {"w": ws, "loss": loss, "accuracy": accuracy, "w0": np.array(w0),
            "index": np.array(idx)}


def draw_loss_vs_accuracy() -> Figure:
    """Loss (smooth) and accuracy (steps) as one weight of W2 moves."""
    d = loss_and_accuracy_along_one_weight()
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
