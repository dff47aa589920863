"""Chapter 10, "From layers to autograd" (``docs/autograd.md``).

Two small graphs that are not chains, computed with `dlfs.autograd.Variable`
for the chapter's figure: a diamond (one value feeding two operations whose
results meet again) and a short path beside a long one, with the order in
which a breadth-first walk and the reverse topological order visit it. And
the 784-50-10 network of `dlfs.nets.TwoLayerNet` written with Variables: its
loss, built from operations that each know their local backward pass; then
the same network with a residual hidden layer, a graph that is not a chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# --8<-- [start:imports]
import numpy as np

from dlfs.autograd import Variable, softmax_cross_entropy

# --8<-- [end:imports]
# isort: split
from dlfs.autograd import topological_order
from dlfs.book.style import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# --8<-- [start:two_layer_loss]
def two_layer_loss(params: dict[str, Variable], x: np.ndarray, t: np.ndarray) -> Variable:
    """The loss of `TwoLayerNet`: Affine, ReLU, Affine, softmax with cross-entropy, as operations.

    Parameters
    ----------
    params : dict of Variable
        ``W1`` (784, 50), ``b1`` (50,), ``W2`` (50, 10), ``b2`` (10,), as in ``TwoLayerNet.params``.
    x : ndarray of shape (N, 784)
        A batch of images: a constant of the graph, not a Variable.
    t : ndarray of shape (N,)
        Their labels.

    Returns
    -------
    Variable of shape ()
        The mean cross-entropy; its ``backward()`` fills each parameter's ``grad``.
    """
    h = (x @ params["W1"] + params["b1"]).relu()
    return softmax_cross_entropy(h @ params["W2"] + params["b2"], t)
# --8<-- [end:two_layer_loss]


# --8<-- [start:residual_loss]
def residual_loss(params: dict[str, Variable], x: np.ndarray, t: np.ndarray) -> Variable:
    """The loss of `two_layer_loss` with a residual layer after the first: ``h + relu(h @ Wr)``.

    Parameters
    ----------
    params : dict of Variable
        Those of `two_layer_loss`, and ``Wr`` (50, 50).
    x : ndarray of shape (N, 784)
    t : ndarray of shape (N,)

    Returns
    -------
    Variable of shape ()
    """
    h = (x @ params["W1"] + params["b1"]).relu()
    h = h + (h @ params["Wr"]).relu()  # h feeds two operations: the new layer, and the sum that skips it
    return softmax_cross_entropy(h @ params["W2"] + params["b2"], t)
# --8<-- [end:residual_loss]


def diamond(a: float = 1.5) -> dict[str, float]:
    """``d = exp(a) * a**2``: the value and the gradient of each of its four nodes, from `Variable.backward`.

    >>> print(f"{diamond()['grad_a']:.4f}")
    23.5289
    """
    va = Variable(a)
    b, c = va.exp(), va**2  # a feeds two operations...
    d = b * c  # ...whose results meet again
    d.backward()
    nodes = {"a": va, "b": b, "c": c, "d": d}
    return {f"{kind}_{name}": float(getattr(v, kind)) for name, v in nodes.items() for kind in ("data", "grad")}


def short_and_long(x: float = 0.3) -> dict[str, Any]:
    """``y = a + 3 exp(a)`` with ``a = 2x``: values, gradients, and two orders in which to visit the nodes.

    ``"breadth_first"`` is the order of a breadth-first walk from ``y`` (the
    nodes closest to ``y`` first), ``"reverse_topological"`` the order in which
    `Variable.backward` visits them; both list the named nodes only, not the
    constants 2 and 3.

    >>> orders = short_and_long()
    >>> orders["breadth_first"], orders["reverse_topological"]
    ('y a c x b', 'y c b a x')
    """
    vx = Variable(x)
    a = 2 * vx
    b = a.exp()  # the long path: a -> b -> c -> y
    c = 3 * b
    y = a + c  # the short path: a -> y
    y.backward()
    names = {vx: "x", a: "a", b: "b", c: "c", y: "y"}
    seen: list[Variable] = []
    queue = [y]
    while queue:
        v = queue.pop(0)
        if v not in seen:
            seen.append(v)
            queue.extend(v.parents)
    return {"data": {n: float(v.data) for v, n in names.items()},
            "grad": {n: float(v.grad) for v, n in names.items() if v.grad is not None},
            "breadth_first": " ".join(names[v] for v in seen if v in names),
            "reverse_topological": " ".join(names[v] for v in reversed(topological_order(y)) if v in names)}


Node = tuple[float, float, str, str]  # x, y, what the node computes, its name


def _graph(ax: Any, nodes: dict[str, Node], edges: list[tuple[str, str, str, str]]) -> None:
    """Circles and arrows; each edge carries its forward value (black, above) and its gradient (red, below)."""
    from matplotlib.patches import Circle

    for x, y, op, name in nodes.values():
        ax.add_patch(Circle((x, y), 0.4, facecolor="white", edgecolor="0.2", lw=1.2))
        ax.text(x, y, op, ha="center", va="center", fontsize=11)
        ax.text(x, y + 0.5, name, ha="center", va="bottom", fontsize=10, color="0.35", style="italic")
    for start, end, forward, backward in edges:
        (x0, y0, *_), (x1, y1, *_) = nodes[start], nodes[end]
        length = np.hypot(x1 - x0, y1 - y0)
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length  # the normal on the left of the arrow
        if ny < 0 or (ny == 0 and nx > 0):
            nx, ny = -nx, -ny  # point it up: the value above the edge, its gradient below
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.2, "shrinkA": 17, "shrinkB": 17})
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        ax.text(mx + 0.3 * nx, my + 0.3 * ny, forward, color="black", ha="center", va="center", fontsize=10)
        ax.text(mx - 0.3 * nx, my - 0.3 * ny, backward, color="tab:red", ha="center", va="center", fontsize=10)


def draw_graphs() -> Figure:
    """Top: the diamond with its values and gradients. Bottom: the short and the long path, and two orders."""
    d, s = diamond(), short_and_long()
    grad, value = s["grad"], s["data"]
    fig, (top, bottom) = new_figure(2, 1, figsize=(7.4, 7.6), gridspec_kw={"height_ratios": [4.6, 5.4]})
    for ax in (top, bottom):
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.set_xlim(-0.8, 8.8)
    top.set_ylim(-2.3, 2.3)
    _graph(top, {"a": (1.6, 0.0, "1.5", "a"), "b": (4.0, 1.5, "exp", "b"), "c": (4.0, -1.5, "x²", "c"),
                 "d": (6.4, 0.0, "×", f"d = {d['data_d']:.4f}")},
           [("a", "b", f"{d['data_a']:.1f}", f"{d['grad_b'] * d['data_b']:.4f}"),
            ("a", "c", f"{d['data_a']:.1f}", f"{d['grad_c'] * 2 * d['data_a']:.4f}"),
            ("b", "d", f"{d['data_b']:.4f}", f"{d['grad_b']:.4f}"),
            ("c", "d", f"{d['data_c']:.4f}", f"{d['grad_c']:.4f}")])
    top.text(1.0, 0.0, f"∂d/∂a =\n{d['grad_a']:.4f}", color="tab:red", ha="right", va="center", fontsize=10)
    top.set_title("A diamond: a feeds two operations whose results meet again")

    bottom.set_ylim(-2.7, 2.3)
    _graph(bottom, {"x": (0.0, 0.0, "0.3", "x"), "a": (2.0, 0.0, "×2", "a"), "b": (3.9, 1.5, "exp", "b"),
                    "c": (6.0, 1.5, "×3", "c"), "y": (8.0, 0.0, "+", f"y = {value['y']:.4f}")},
           [("x", "a", f"{value['x']:.1f}", f"{grad['x']:.4f}"),
            ("a", "b", f"{value['a']:.1f}", f"{grad['b'] * value['b']:.4f}"),
            ("b", "c", f"{value['b']:.4f}", f"{grad['b']:.1f}"),
            ("c", "y", f"{value['c']:.4f}", f"{grad['c']:.1f}"),
            ("a", "y", f"{value['a']:.1f}", f"{grad['y']:.1f}")])
    bottom.text(4.0, -1.15, f"breadth-first from y:  {s['breadth_first']}   (a before b: too early)",
                ha="center", va="top", fontsize=10)
    bottom.text(4.0, -1.75, f"reverse topological:  {s['reverse_topological']}   (a after b and y)",
                ha="center", va="top", fontsize=10)
    bottom.set_title("A short path beside a long one: y = a + 3 exp(a), a = 2x")
    fig.text(0.5, 0.01, "black: the value sent forward     red: the gradient sent back,\n"
             "the derivative of the output with respect to that value", ha="center", va="top", fontsize=10,
             color="0.2")
    fig.tight_layout()
    return fig


FIGURES = {
    "autograd-graphs.svg": draw_graphs,
}
