"""Chapter 2, "Partial derivatives and gradients" (``docs/gradients.md``).

The bowls and the saddle of the chapter, and the trick that draws a whole
field of gradient arrows with one `dlfs.numerical.numerical_gradient` call.
Nothing is random.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable

import numpy as np

from dlfs.numerical import numerical_gradient

# --8<-- [end:imports]
# isort: split
from typing import TYPE_CHECKING

from dlfs.book.style import add_subplot, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


# Written for one point x = (x0, x1); because they index x[0] and x[1], they
# also take a (2, N) array of N points and return N values.
def function_2(x: np.ndarray) -> np.ndarray:
    """``x0**2 + x1**2``, the round bowl."""
    return x[0] ** 2 + x[1] ** 2


def function_oval(x: np.ndarray) -> np.ndarray:
    """``x0**2 + 2 * x1**2``, the bowl stretched along x1."""
    return x[0] ** 2 + 2 * x[1] ** 2


def saddle(x: np.ndarray) -> np.ndarray:
    """``x0**2 - x1**2``: a zero gradient at the origin, which is no minimum."""
    return x[0] ** 2 - x[1] ** 2


BOWLS = {"$f(x_0, x_1) = x_0^2 + x_1^2$": function_2, "$f(x_0, x_1) = x_0^2 + 2x_1^2$": function_oval}


# --8<-- [start:gradient_field]
def gradient_at_points(f: Callable[[np.ndarray], np.ndarray], points: np.ndarray) -> np.ndarray:
    """The gradient of `f` at each row of `points` (N, 2), from one `numerical_gradient` call.

    The sum of f over the rows is one function of the whole array, and its
    partial derivative by ``points[i, j]`` is the partial derivative of f at
    point i: the points do not interact.
    """
    return numerical_gradient(lambda p: float(np.sum(f(p.T))), points.astype(float))


def gradient_field(f: Callable[[np.ndarray], np.ndarray], lo: float = -2.0, hi: float = 2.0,
                   step: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Grid points from `lo` to `hi` (N, 2) and the gradient of `f` at each of them."""
    coords = np.arange(lo, hi + step / 2, step)
    x0, x1 = np.meshgrid(coords, coords)
    points = np.column_stack([x0.ravel(), x1.ravel()])
    return points, gradient_at_points(f, points)
# --8<-- [end:gradient_field]


def _mesh(lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.linspace(lo, hi, n), np.linspace(lo, hi, n))


def draw_surfaces() -> Figure:
    """The two bowls as 3-D surfaces."""
    fig, axes = new_figure(1, 2, figsize=(10, 4.4), subplot_kw={"projection": "3d"})
    x0, x1 = _mesh(-3, 3, 41)
    for ax, (label, f) in zip(axes, BOWLS.items()):
        ax.plot_surface(x0, x1, f(np.array([x0, x1])), cmap="viridis",
                        rstride=2, cstride=2, linewidth=0.2, edgecolor="k", alpha=0.9)
        ax.set(xlabel="$x_0$", ylabel="$x_1$", zlabel="$f$", title=label)
        ax.view_init(elev=28, azim=-55)
    return fig


def _quiver(ax, f: Callable[[np.ndarray], np.ndarray], lo: float = -2.0, hi: float = 2.0,
            step: float = 0.25) -> None:
    """-grad f as arrows on the grid of `gradient_field`, over faint contours."""
    points, grad = gradient_field(f, lo, hi, step)
    fine0, fine1 = _mesh(lo, hi, 101)
    ax.contour(fine0, fine1, f(np.array([fine0, fine1])), levels=10, colors="lightgray", linewidths=0.8)
    longest = np.hypot(grad[:, 0], grad[:, 1]).max()
    ax.quiver(points[:, 0], points[:, 1], -grad[:, 0], -grad[:, 1], angles="xy",
              scale_units="xy", scale=longest / (1.4 * step), color="#444444")
    ax.set(xlabel="$x_0$", ylabel="$x_1$", xlim=(lo - step, hi + step),
           ylim=(lo - step, hi + step), aspect="equal")


def _label(ax: Axes, text: str) -> None:
    """Name the point at the origin from a corner, with a pointer: a box beside the
    origin would hide the very arrows around it that the figure is about."""
    ax.annotate(text, (0, 0), xytext=(0.03, 0.04), textcoords="axes fraction", color="tab:red",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
                arrowprops={"arrowstyle": "->", "color": "tab:red", "shrinkB": 5})


def draw_quiver() -> Figure:
    """-grad f of the two bowls: every arrow points downhill."""
    fig, axes = new_figure(1, 2, figsize=(10, 4.8))
    for ax, (label, f) in zip(axes, BOWLS.items()):
        _quiver(ax, f)
        ax.plot(0, 0, "o", color="tab:red")
        _label(ax, "minimum")
        ax.set_title(r"$-\nabla f$ for " + label)
    return fig


def draw_saddle() -> Figure:
    """x0**2 - x1**2: zero gradient at the origin, which is not a minimum."""
    fig, (surface, flat) = new_figure(1, 2, figsize=(10, 4.4), subplot_kw={"projection": "3d"})
    fig.delaxes(flat)
    flow = add_subplot(fig, 1, 2, 2)  # a flat panel, in the house style too
    x0, x1 = _mesh(-2, 2, 41)
    surface.plot_surface(x0, x1, saddle(np.array([x0, x1])), cmap="coolwarm", rstride=2,
                         cstride=2, linewidth=0.2, edgecolor="k", alpha=0.9)
    surface.plot([0], [0], [0], "o", color="black", ms=6)
    surface.set(xlabel="$x_0$", ylabel="$x_1$", zlabel="$f$", title="$f(x_0, x_1) = x_0^2 - x_1^2$")
    surface.view_init(elev=25, azim=-60)
    _quiver(flow, saddle)
    flow.plot(0, 0, "o", color="tab:red")
    _label(flow, r"saddle point: $\nabla f = 0$")
    flow.set_title(r"$-\nabla f$: in along $x_0$, out along $x_1$")
    fig.subplots_adjust(wspace=0.35)
    return fig


FIGURES = {
    "gradients-surface.svg": draw_surfaces,
    "gradients-quiver.svg": draw_quiver,
    "gradients-saddle.svg": draw_saddle,
}
