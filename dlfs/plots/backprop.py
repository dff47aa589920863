"""Figures for chapter 5, "Backpropagation" (``docs/backprop.md``).

The nudges and the descent comparison use the real MNIST
(``dlfs.datasets.load_mnist``) and repeat the chapter's seeded computations;
the computational graph is computed with `dlfs.layers.MulLayer` and
`AddLayer`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure

from dlfs.functions import sigmoid
from dlfs.layers import AddLayer, MulLayer
from dlfs.nets import TwoLayerNet
from dlfs.plots import new_figure
from dlfs.plots.learning import mnist_train  # one cached copy of MNIST for both chapters

UP, DOWN, NEUTRAL = "tab:green", "tab:red", "0.6"


def untrained_sigmoid_net(seed: int = 3) -> dict[str, np.ndarray]:
    """The page's 784-16-10 sigmoid network: weights N(0, 0.1^2) and N(0, 0.5^2), no biases."""
    rng = np.random.default_rng(seed)
    return {"W1": 0.1 * rng.standard_normal((784, 16)),
            "W2": 0.5 * rng.standard_normal((16, 10))}


def nudges_for_one_two(index: int = 5) -> dict[str, np.ndarray]:
    """What the cost 0.5 * sum((a - t)**2) asks of each neuron for one training "2".

    Returns the image ``x``, hidden activations ``h``, output activations
    ``a``, the one-hot target ``t``, the desired changes of the outputs
    ``nudge_a = t - a`` (that is, -dC/da) and of the hidden activations
    ``nudge_h = W2 @ (nudge_a * a * (1 - a))`` (that is, -dC/dh).
    """
    x_train, t_train = mnist_train()
    x = x_train[index]
    net = untrained_sigmoid_net()
    h = sigmoid(x @ net["W1"])
    a = sigmoid(h @ net["W2"])
    t = np.eye(10)[t_train[index]]
    nudge_a = t - a
    nudge_h = net["W2"] @ (nudge_a * a * (1 - a))
    return {"x": x, "h": h, "a": a, "t": t, "nudge_a": nudge_a, "nudge_h": nudge_h}


def _signed_colors(values: np.ndarray) -> list[str]:
    return [UP if v > 0 else DOWN for v in values]


def draw_nudges() -> Figure:
    """One "2": its output activations and their desired nudges, then the hidden nudges."""
    d = nudges_for_one_two()
    fig, axes = new_figure(2, 2, figsize=(7.5, 6.2),
                           gridspec_kw={"width_ratios": [1, 3.2], "height_ratios": [1, 1]})
    ax_img, ax_out = axes[0]
    gs = axes[1, 0].get_gridspec()
    for ax in axes[1]:
        ax.remove()
    ax_hid = fig.add_subplot(gs[1, :])
    ax_img.imshow(d["x"].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
    ax_img.set_title("the input: a 2")
    ax_img.set_axis_off()

    classes = np.arange(10)
    ax_out.bar(classes - 0.2, d["a"], width=0.4, color=NEUTRAL, label="activation $a$")
    ax_out.bar(classes + 0.2, d["nudge_a"], width=0.4, color=_signed_colors(d["nudge_a"]),
               label="desired nudge $t - a$")
    ax_out.axhline(0, color="black", lw=0.8)
    ax_out.set_xticks(classes)
    ax_out.set_xlabel("output neuron (digit)")
    ax_out.set_ylabel("activation / nudge")
    ax_out.set_title("Output layer: up for 2, down for the rest")
    ax_out.set_ylim(-1.0, 1.3)
    ax_out.legend(loc="upper center", ncol=2, fontsize=8)

    neurons = np.arange(len(d["h"]))
    ax_hid.bar(neurons, d["nudge_h"], color=_signed_colors(d["nudge_h"]))
    ax_hid.axhline(0, color="black", lw=0.8)
    ax_hid.set_xticks(neurons)
    ax_hid.set_xlabel("hidden neuron")
    ax_hid.set_ylabel(r"desired nudge $-\partial C / \partial h$")
    ax_hid.set_title("Hidden layer: the nudges passed back through $W_2$")
    fig.tight_layout()
    return fig


@lru_cache(maxsize=1)
def descent_curves(n: int = 1000, epochs: int = 20, lr: float = 0.1) -> dict[str, dict[str, np.ndarray]]:
    """Full-batch gradient descent vs mini-batch SGD (batch 100) on `n` MNIST images.

    Both start from ``TwoLayerNet(784, 50, 10, seed=0)``; the subset is drawn
    by ``np.random.default_rng(0)`` and each epoch's order by
    ``default_rng(1)``, as on the page. For each method, returns the loss on
    all `n` images (``loss``) after each of the first 10 steps and after every
    epoch, with the number of gradient computations so far (``steps``) and of
    examples processed (``examples``).
    """
    x_train, t_train = mnist_train()
    subset = np.random.default_rng(0).choice(60000, n, replace=False)
    x, t = x_train[subset], t_train[subset]
    curves = {}
    for name, batch_size in [("full batch", n), ("mini-batch", 100)]:
        net = TwoLayerNet(784, 50, 10, seed=0)
        rng = np.random.default_rng(1)
        per_epoch = n // batch_size
        losses, steps, step = [net.loss(x, t)], [0], 0
        for _ in range(epochs):
            order = rng.permutation(n)
            for k in range(per_epoch):
                batch = order[k * batch_size:(k + 1) * batch_size]
                grads = net.gradient(x[batch], t[batch])
                for key in net.params:
                    net.params[key] -= lr * grads[key]
                step += 1
                if step <= 10 or step % per_epoch == 0:
                    losses.append(net.loss(x, t))
                    steps.append(step)
        steps = np.array(steps)
        curves[name] = {"loss": np.array(losses), "steps": steps, "examples": steps * batch_size}
    return curves


def draw_gd_vs_sgd() -> Figure:
    """Loss against examples processed and against gradient computations."""
    curves = descent_curves()
    n = curves["full batch"]["examples"][1]
    colors = {"full batch": "tab:blue", "mini-batch": "tab:orange"}
    labels = {"full batch": f"full-batch GD ({n:,} per step)",
              "mini-batch": "mini-batch SGD (100 per step)"}
    fig, (left, right) = new_figure(1, 2, figsize=(8.4, 3.8), sharey=True)
    for name, c in curves.items():
        left.plot(c["examples"], c["loss"], marker="o", ms=3, color=colors[name], label=labels[name])
        right.plot(c["steps"][1:], c["loss"][1:], marker="o", ms=3, color=colors[name], label=labels[name])
    left.set_xlabel("examples processed")
    left.set_ylabel(f"loss on all {n:,} images")
    left.set_title("Per example processed, mini-batches win")
    left.legend(loc="lower left")
    right.set_xscale("log")
    right.set_xlabel("gradient computations (steps, log scale)")
    right.set_ylabel(f"loss on all {n:,} images")
    right.set_title("Per step, the two are alike")
    right.legend(loc="lower left")
    fig.tight_layout()
    return fig


def apple_orange_graph() -> dict[str, float]:
    """Forward values and backward gradients of the book's apple-and-orange purchase."""
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


def draw_graph() -> Figure:
    """The apple-and-orange computational graph with forward values and backward gradients."""
    g = apple_orange_graph()
    fig, ax = new_figure(figsize=(9, 4.2))
    ax.set_axis_off()
    ax.set_xlim(-1.4, 9.2)
    ax.set_ylim(-1.3, 3.8)
    nodes = {"mul_apple": (2.5, 2.5, "×"), "mul_orange": (2.5, 0.5, "×"),
             "add": (4.8, 1.5, "+"), "mul_tax": (7.0, 1.5, "×")}
    for x, y, symbol in nodes.values():
        ax.add_patch(_circle(x, y))
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
    ax.text(1.6, -1.2, "red: backward, ∂(price paid)/∂(this value)", color=bwd,
            fontsize=9, va="bottom")
    ax.set_title("Buying 2 apples and 3 oranges with 10% tax")
    return fig


def _circle(x: float, y: float):
    from matplotlib.patches import Circle

    return Circle((x, y), 0.32, facecolor="white", edgecolor="0.2", lw=1.2)


def _fmt(value: float) -> str:
    """Round away float noise such as 110.00000000000001 for display."""
    return f"{round(float(value), 6):g}"


FIGURES = {
    "backprop-graph.svg": draw_graph,
    "backprop-nudges.svg": draw_nudges,
    "backprop-gd-vs-sgd.svg": draw_gd_vs_sgd,
}
