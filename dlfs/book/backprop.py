"""Chapter 5, "Backpropagation" (``docs/backprop.md``).

The nudges one training "2" asks of an untrained sigmoid network, the
apple-and-orange computational graph (computed with `dlfs.layers.MulLayer`
and `AddLayer`), and full-batch gradient descent against mini-batch SGD on
1,000 MNIST images.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# --8<-- [start:imports]
import numpy as np

from dlfs.book.cache import cached
from dlfs.book.data import train_set
from dlfs.functions import sigmoid
from dlfs.layers import AddLayer, MulLayer
from dlfs.nets import TwoLayerNet
from dlfs.optim import SGD
from dlfs.train import minibatches

# --8<-- [end:imports]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

UP, DOWN, NEUTRAL = "tab:green", "tab:red", "0.6"


# --8<-- [start:nudges]
def untrained_sigmoid_net(seed: int = 3) -> dict[str, np.ndarray]:
    """A 784-16-10 sigmoid network with no biases: weights N(0, 0.1^2) and N(0, 0.5^2)."""
    rng = np.random.default_rng(seed)
    return {"W1": 0.1 * rng.standard_normal((784, 16)), "W2": 0.5 * rng.standard_normal((16, 10))}


def nudges_for_one_two(index: int = 5) -> dict[str, np.ndarray]:
    """What the cost 0.5 * sum((a - t)**2) asks of each neuron for training image `index`, a "2".

    Returns the image ``x``, hidden activations ``h``, output activations
    ``a``, the one-hot target ``t``, the desired changes of the outputs
    ``nudge_a = t - a`` (that is, -dC/da), ``delta = nudge_a * a * (1 - a)``
    (-dC/dz) and the desired changes of the hidden activations
    ``nudge_h = W2 @ delta`` (-dC/dh).
    """
    images, labels = train_set(np.array([index]))
    net = untrained_sigmoid_net()
    x = images[0]
    h = sigmoid(x @ net["W1"])
    a = sigmoid(h @ net["W2"])
    t = np.eye(10)[labels[0]]
    nudge_a = t - a
    delta = nudge_a * a * (1 - a)
    return {"x": x, "h": h, "a": a, "t": t, "nudge_a": nudge_a, "delta": delta,
            "nudge_h": net["W2"] @ delta}
# --8<-- [end:nudges]


# --8<-- [start:descend]
@cached
def descend(batch_size: int, n: int = 1000, epochs: int = 20, lr: float = 0.1) -> dict[int, float]:
    """Gradient descent on `n` MNIST training images with batches of `batch_size`.

    The images are drawn by ``np.random.default_rng(0)``, each epoch's order
    by ``default_rng(1)``; the network starts as ``TwoLayerNet(784, 50, 10,
    seed=0)``. Returns {step: loss on all n images} at step 0, after steps
    1 to 10 and after every epoch.
    """
    x, t = train_set(np.random.default_rng(0).choice(60000, n, replace=False))
    net = TwoLayerNet(784, 50, 10, seed=0)
    optimizer = SGD(lr)
    batches = minibatches(n, batch_size, np.random.default_rng(1))
    per_epoch = n // batch_size
    losses = {0: net.loss(x, t)}
    for step in range(1, epochs * per_epoch + 1):
        batch = next(batches)
        optimizer.update(net.params, net.gradient(x[batch], t[batch]))
        if step <= 10 or step % per_epoch == 0:
            losses[step] = net.loss(x, t)
    return losses
# --8<-- [end:descend]


# --8<-- [start:graph]
def apple_orange_graph() -> dict[str, float]:
    """Forward values and backward gradients of the book's purchase: 2 apples, 3 oranges, 10% tax."""
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    apple_price = mul_apple.forward(100, 2)
    orange_price = mul_orange.forward(150, 3)
    all_price = add.forward(apple_price, orange_price)
    price = mul_tax.forward(all_price, 1.1)
    d_all, d_tax = mul_tax.backward(1)
    d_apple_price, d_orange_price = add.backward(d_all)
    d_apple, d_apple_num = mul_apple.backward(d_apple_price)
    d_orange, d_orange_num = mul_orange.backward(d_orange_price)
    return {"apple_price": apple_price, "orange_price": orange_price, "all_price": all_price,
            "price": price, "d_all": d_all, "d_tax": d_tax, "d_apple_price": d_apple_price,
            "d_orange_price": d_orange_price, "d_apple": d_apple, "d_apple_num": d_apple_num,
            "d_orange": d_orange, "d_orange_num": d_orange_num}
# --8<-- [end:graph]


def _signed_colors(values: np.ndarray) -> list[str]:
    return [UP if v > 0 else DOWN for v in values]


def draw_nudges() -> Figure:
    """One "2": its output activations, their desired nudges and deltas, then the hidden nudges."""
    from matplotlib.patches import Patch

    from dlfs.book.style import add_subplot, new_figure  # only the figures need matplotlib

    d = nudges_for_one_two()
    fig, axes = new_figure(2, 2, figsize=(7.5, 6.4),
                           gridspec_kw={"width_ratios": [1, 3.2], "height_ratios": [1.1, 1]})
    ax_img, ax_out = axes[0]
    gs = axes[1, 0].get_gridspec()
    for ax in axes[1]:
        ax.remove()
    ax_hid = add_subplot(fig, gs[1, :])
    ax_img.imshow(d["x"].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
    ax_img.set_title("the input: a 2")
    ax_img.set_axis_off()
    classes = np.arange(10)
    width = 0.27
    ax_out.bar(classes - width, d["a"], width=width, color=NEUTRAL)
    ax_out.bar(classes, d["nudge_a"], width=width, color=_signed_colors(d["nudge_a"]))
    # delta: the same wish after the sigmoid's slope a(1 - a), hatched
    ax_out.bar(classes + width, d["delta"], width=width, color=_signed_colors(d["delta"]), alpha=0.55,
               hatch="////", edgecolor="0.25", linewidth=0.5)
    ax_out.axhline(0, color="black", lw=0.8)
    ax_out.set_xticks(classes)
    ax_out.set_xlabel("output neuron (digit)")
    ax_out.set_ylabel("activation / nudge")
    ax_out.set_title("Output layer: up for 2, down for the rest")
    ax_out.set_ylim(-1.0, 1.55)
    handles = [Patch(color=NEUTRAL, label="activation $a$"),
               Patch(color=UP, label="nudge $t - a$, up"),
               Patch(color=DOWN, label="nudge $t - a$, down"),
               Patch(facecolor="0.85", hatch="////", edgecolor="0.25", linewidth=0.5,
                     label=r"$\delta = a(1 - a)(t - a)$")]
    ax_out.legend(handles=handles, loc="upper center", ncol=2, fontsize=8)
    neurons = np.arange(len(d["h"]))
    ax_hid.bar(neurons, d["nudge_h"], color=_signed_colors(d["nudge_h"]))
    ax_hid.axhline(0, color="black", lw=0.8)
    ax_hid.set_xticks(neurons)
    ax_hid.set_xlabel("hidden neuron")
    ax_hid.set_ylabel(r"desired nudge $-\partial C / \partial h$")
    ax_hid.set_title(r"Hidden layer: the deltas passed back through the weights, $W_2 \delta$")
    fig.tight_layout()
    return fig


def draw_gd_vs_sgd() -> Figure:
    """Loss against examples processed and against gradient computations."""
    from dlfs.book.style import new_figure

    n = 1000
    curves = {"full batch": (descend(n), n), "mini-batch": (descend(100), 100)}
    colors = {"full batch": "tab:blue", "mini-batch": "tab:orange"}
    labels = {"full batch": f"full-batch GD ({n:,} per step)", "mini-batch": "mini-batch SGD (100 per step)"}
    fig, (left, right) = new_figure(1, 2, figsize=(8.4, 3.8), sharey=True)
    for name, (losses, batch_size) in curves.items():
        steps = np.array(list(losses))
        loss = np.array(list(losses.values()))
        left.plot(steps * batch_size, loss, marker="o", ms=3, color=colors[name], label=labels[name])
        right.plot(steps[1:], loss[1:], marker="o", ms=3, color=colors[name], label=labels[name])
    left.set_xlabel("examples processed")
    left.set_ylabel(f"loss on all {n:,} images")
    left.set_title("Per example processed, mini-batches win")
    right.set_xscale("log")
    right.set_xlabel("gradient computations (steps, log scale)")
    right.set_ylabel(f"loss on all {n:,} images")
    right.set_title("Per step, the two are alike")
    # one legend for both panels, below them, where no curve runs
    handles, names = left.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    return fig


def _fmt(value: float) -> str:
    """Round away float noise such as 110.00000000000001 for display."""
    return f"{round(float(value), 6):g}"


def draw_graph() -> Figure:
    """The apple-and-orange computational graph with forward values and backward gradients."""
    from matplotlib.patches import Circle

    from dlfs.book.style import new_figure

    g = apple_orange_graph()
    fig, ax = new_figure(figsize=(9, 4.2))
    ax.set_axis_off()
    ax.set_xlim(-1.4, 9.2)
    ax.set_ylim(-1.3, 3.8)
    nodes = {"mul_apple": (2.5, 2.5, "×"), "mul_orange": (2.5, 0.5, "×"),
             "add": (4.8, 1.5, "+"), "mul_tax": (7.0, 1.5, "×")}
    for x, y, symbol in nodes.values():
        ax.add_patch(Circle((x, y), 0.32, facecolor="white", edgecolor="0.2", lw=1.2))
        ax.text(x, y, symbol, ha="center", va="center", fontsize=15)
    fwd, bwd = "black", "tab:red"

    def edge(start, end, forward, backward, name=None, at=0.5):
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.2,
                                "shrinkA": 14 if name is None else 2, "shrinkB": 14})
        mx, my = start[0] + at * (end[0] - start[0]), start[1] + at * (end[1] - start[1])
        ax.text(mx, my + 0.1, _fmt(forward), color=fwd, ha="center", va="bottom", fontsize=10)
        ax.text(mx, my - 0.1, _fmt(backward), color=bwd, ha="center", va="top", fontsize=10)
        if name:
            ax.text(start[0] - 0.1, start[1], name, ha="right", va="center", fontsize=10)

    edge((0, 3.5), nodes["mul_apple"][:2], 100, g["d_apple"], "apple price", at=0.3)
    edge((0, 1.9), nodes["mul_apple"][:2], 2, g["d_apple_num"], "apples", at=0.3)
    edge((0, 1.1), nodes["mul_orange"][:2], 150, g["d_orange"], "orange price", at=0.3)
    edge((0, -0.5), nodes["mul_orange"][:2], 3, g["d_orange_num"], "oranges", at=0.3)
    edge(nodes["mul_apple"][:2], nodes["add"][:2], g["apple_price"], g["d_apple_price"])
    edge(nodes["mul_orange"][:2], nodes["add"][:2], g["orange_price"], g["d_orange_price"])
    edge(nodes["add"][:2], nodes["mul_tax"][:2], g["all_price"], g["d_all"])
    ax.annotate("", xy=nodes["mul_tax"][:2], xytext=(7.0, -0.6),
                arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.2, "shrinkB": 14})
    ax.text(6.9, 0.3, _fmt(1.1), color=fwd, ha="right", va="center", fontsize=10)
    ax.text(7.1, 0.3, _fmt(g["d_tax"]), color=bwd, ha="left", va="center", fontsize=10)
    ax.text(7.0, -0.7, "tax", ha="center", va="top", fontsize=10)
    ax.annotate("", xy=(8.9, 1.5), xytext=nodes["mul_tax"][:2],
                arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.2, "shrinkA": 14})
    ax.text(8.3, 1.62, _fmt(g["price"]), color=fwd, ha="center", va="bottom", fontsize=10)
    ax.text(8.3, 1.38, "1", color=bwd, ha="center", va="top", fontsize=10)
    ax.text(-1.3, -1.2, "black: forward value    ", color=fwd, fontsize=9, va="bottom")
    ax.text(1.6, -1.2, "red: backward, ∂(price paid)/∂(this value)", color=bwd, fontsize=9, va="bottom")
    ax.set_title("Buying 2 apples and 3 oranges with 10% tax")
    return fig


FIGURES = {
    "backprop-graph.svg": draw_graph,
    "backprop-nudges.svg": draw_nudges,
    "backprop-gd-vs-sgd.svg": draw_gd_vs_sgd,
}
