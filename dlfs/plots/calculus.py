"""Figures for chapters 1-3: numerical differentiation, gradients, gradient descent.

Shown on ``docs/numerical-diff.md``, ``docs/gradients.md`` and
``docs/gradient-descent.md``; every curve is computed with `dlfs.numerical`
and `dlfs.optim`, the code the chapters teach. Nothing here is random.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from dlfs.numerical import numerical_diff, numerical_gradient
from dlfs.optim import gradient_descent
from dlfs.plots import STYLE, new_figure

METHODS = {"forward": "tab:orange", "backward": "tab:green", "central": "tab:blue"}

# The two bowls of chapter 2, written for one point x = (x0, x1). Because they
# index x[0] and x[1], they also take a (2, N) array and return N values.
BOWLS = {
    "$f(x_0, x_1) = x_0^2 + x_1^2$": lambda x: x[0] ** 2 + x[1] ** 2,
    "$f(x_0, x_1) = x_0^2 + 2x_1^2$": lambda x: x[0] ** 2 + 2 * x[1] ** 2,
}

START_POINTS = ((-3.0, 3.0), (3.5, 1.0), (1.5, -3.0))  # chapter 3, three descents
LEARNING_RATES = (1e-10, 0.01, 0.1, 0.4, 1.05, 10.0)


def cube(x):
    """``x**3`` with multiplications only, so its rounding is the same on every machine."""
    return x * x * x


def gradient_at_points(f, points: np.ndarray) -> np.ndarray:
    """The gradient of `f` at each row of `points` (N, 2), with one `numerical_gradient` call.

    The sum over the rows is a function of the whole array whose partial
    derivative by ``points[i, j]`` is the partial of `f` at point i: points
    do not interact.
    """
    return numerical_gradient(lambda p: np.sum(f(p.T)), points.astype(float))


# ---------------------------------------------------------------- chapter 1
def draw_tangent() -> Figure:
    """Analytic tangent vs central and forward differences of x**3 at x = 1, h = 0.5."""
    x, h = 1.0, 0.5
    xs = np.linspace(-0.3, 2.0, 200)
    fig, ax = new_figure(figsize=(6.2, 4.3))
    ax.plot(xs, cube(xs), color="black", lw=2, label="$f(x) = x^3$")
    lines = [
        ("analytic tangent", 3 * x**2, "black", ":"),
        ("central difference", numerical_diff(cube, x, h, "central"), METHODS["central"], "-"),
        ("forward difference", numerical_diff(cube, x, h, "forward"), METHODS["forward"], "--"),
    ]
    for label, slope, color, style in lines:
        ax.plot(xs, cube(x) + slope * (xs - x), color=color, ls=style,
                label=f"{label}: slope {slope:.2f}")
    marks = np.array([x - h, x, x + h])
    ax.plot(marks, cube(marks), "o", color="black", ms=5)
    for xm, text, offset in zip(marks, ["$x-h$", "$x$", "$x+h$"], [(-14, 10), (8, -12), (8, -4)]):
        ax.annotate(text, (xm, cube(xm)), textcoords="offset points", xytext=offset)
    ax.set(xlabel="$x$", ylabel="$f(x)$", ylim=(-1.5, 5.0),
           title=f"Slopes at $x = 1$ with an exaggerated step $h = {h}$")
    ax.legend(loc="upper left")
    return fig


def difference_errors(method: str, hs: np.ndarray) -> np.ndarray:
    """|estimate - 3| for the derivative of x**3 at 1, one entry per step in `hs`."""
    return np.array([abs(numerical_diff(cube, 1.0, h, method) - 3.0) for h in hs])


def draw_error_vs_h() -> Figure:
    """Error of each difference against h, log-log, with the sweet spots marked."""
    hs = np.logspace(-16, 0, 161)
    eps = np.finfo(float).eps
    fig, ax = new_figure(figsize=(8.6, 4.6))
    for method, color in METHODS.items():
        err = difference_errors(method, hs)
        err[err == 0] = np.nan  # an exact hit has no logarithm: leave a gap
        ax.plot(hs, err, color=color, lw=1.2, label=f"{method} difference")
        best = np.nanargmin(err)
        ax.plot(hs[best], err[best], "*", color=color, ms=14, mec="black", mew=0.6)
    guides = [(3 * hs, "--", "truncation $3h$ (forward, backward)"),
              (hs**2, "-.", "truncation $h^2$ (central)"),
              (eps / hs, ":", r"rounding $\approx \varepsilon / h$")]
    for values, style, label in guides:
        ax.plot(hs, values, color="gray", ls=style, lw=1.2, label=label)
    ax.plot([], [], "*", color="gray", ms=12, mec="black", mew=0.6,
            label="sweet spot (smallest error)")
    ax.set(xscale="log", yscale="log", ylim=(1e-13, 10), xlim=(1e-16, 1),
           xlabel="step $h$", ylabel=r"$|\,\mathrm{estimate} - f'(1)\,|$",
           title="Error of the difference quotients of $x^3$ at $x = 1$")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    return fig


# ---------------------------------------------------------------- chapter 2
def _mesh(lo: float, hi: float, n: int):
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


def _quiver(ax, f, lo: float = -2.0, hi: float = 2.0, step: float = 0.25) -> None:
    """-grad f as arrows on a grid (the note's 18 x 18 points), over faint contours."""
    coords = np.arange(lo, hi + step / 2, step)
    x0, x1 = np.meshgrid(coords, coords)
    points = np.column_stack([x0.ravel(), x1.ravel()])
    grad = gradient_at_points(f, points)
    fine0, fine1 = _mesh(lo, hi, 101)
    ax.contour(fine0, fine1, f(np.array([fine0, fine1])), levels=10, colors="lightgray",
               linewidths=0.8)
    longest = np.hypot(grad[:, 0], grad[:, 1]).max()
    ax.quiver(points[:, 0], points[:, 1], -grad[:, 0], -grad[:, 1], angles="xy",
              scale_units="xy", scale=longest / (1.4 * step), color="#444444")
    ax.set(xlabel="$x_0$", ylabel="$x_1$", xlim=(lo - step, hi + step),
           ylim=(lo - step, hi + step), aspect="equal")


def draw_quiver() -> Figure:
    """-grad f of the two bowls: every arrow points downhill."""
    fig, axes = new_figure(1, 2, figsize=(10, 4.8))
    for ax, (label, f) in zip(axes, BOWLS.items()):
        _quiver(ax, f)
        ax.plot(0, 0, "o", color="tab:red")
        ax.annotate("minimum", (0, 0), textcoords="offset points", xytext=(6, 6), color="tab:red",
                    backgroundcolor="white")
        ax.set_title(r"$-\nabla f$ for " + label)
    return fig


def draw_saddle() -> Figure:
    """x0**2 - x1**2: zero gradient at the origin, which is not a minimum."""
    fig, (surface, flat) = new_figure(1, 2, figsize=(10, 4.4), subplot_kw={"projection": "3d"})
    fig.delaxes(flat)
    with matplotlib.rc_context(STYLE):  # the house style for the flat panel too
        flow = fig.add_subplot(1, 2, 2)

    def saddle(x):
        return x[0] ** 2 - x[1] ** 2

    x0, x1 = _mesh(-2, 2, 41)
    surface.plot_surface(x0, x1, saddle(np.array([x0, x1])), cmap="coolwarm", rstride=2,
                         cstride=2, linewidth=0.2, edgecolor="k", alpha=0.9)
    surface.plot([0], [0], [0], "o", color="black", ms=6)
    surface.set(xlabel="$x_0$", ylabel="$x_1$", zlabel="$f$",
                title="$f(x_0, x_1) = x_0^2 - x_1^2$")
    surface.view_init(elev=25, azim=-60)
    _quiver(flow, saddle)
    flow.plot(0, 0, "o", color="tab:red")
    flow.annotate(r"saddle point: $\nabla f = 0$", (0, 0), textcoords="offset points",
                  xytext=(6, 6), color="tab:red", backgroundcolor="white")
    flow.set_title(r"$-\nabla f$: in along $x_0$, out along $x_1$")
    fig.subplots_adjust(wspace=0.35)
    return fig


# ---------------------------------------------------------------- chapter 3
def _contours(ax, f, lo: float, hi: float) -> None:
    x0, x1 = _mesh(lo, hi, 201)
    ax.contour(x0, x1, f(np.array([x0, x1])), levels=[0.25, 1, 2, 4, 8, 16, 25, 36],
               colors="lightgray", linewidths=0.8)
    ax.plot(0, 0, "+", color="black", ms=10)
    ax.set(xlabel="$x_0$", ylabel="$x_1$", xlim=(lo, hi), ylim=(lo, hi), aspect="equal")


def draw_paths() -> Figure:
    """Descent paths: the book's example and the note's three starts on the oval bowl."""
    (round_label, round_f), (oval_label, oval_f) = BOWLS.items()
    fig, (left, right) = new_figure(1, 2, figsize=(10, 5))
    _contours(left, round_f, -4.5, 4.5)
    _, path = gradient_descent(round_f, np.array([-3.0, 4.0]), lr=0.1, step_num=100,
                               return_path=True)
    left.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1, color="tab:blue",
              label="from $(-3, 4)$, lr 0.1, 100 steps")
    left.set_title(round_label)
    _contours(right, oval_f, -4.5, 4.5)
    for start, color in zip(START_POINTS, ["tab:blue", "tab:orange", "tab:green"]):
        _, path = gradient_descent(oval_f, np.array(start), lr=0.1, step_num=40,
                                   return_path=True)
        right.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1, color=color,
                   label=f"from $({start[0]:g}, {start[1]:g})$, lr 0.1, 40 steps")
    right.set_title(oval_label)
    for ax in (left, right):
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9, frameon=True)
    return fig


def draw_learning_rates() -> Figure:
    """Distance to the minimum against the step, one line per learning rate."""
    round_f = next(iter(BOWLS.values()))
    fig, ax = new_figure(figsize=(8.2, 4.6))
    colors = ["tab:gray", "tab:olive", "tab:blue", "tab:green", "tab:orange", "tab:red"]
    final = {}
    for lr, color in zip(LEARNING_RATES, colors):
        _, path = gradient_descent(round_f, np.array([-3.0, 4.0]), lr=lr, step_num=100,
                                   return_path=True)
        distance = np.linalg.norm(path, axis=1)
        final[lr] = distance[-1]
        ax.plot(distance, color=color, lw=1.5, label=f"lr = {lr:g}")
    ax.set(yscale="log", xlabel="step", ylabel=r"distance to the minimum $\|x\|$",
           title="Gradient descent on $x_0^2 + x_1^2$ from $(-3, 4)$")
    for lr, color, dy in [(10.0, "tab:red", -14), (0.4, "tab:green", 6)]:
        ax.annotate("the numerical gradient rounds to 0", (60, final[lr]), xytext=(0, dy),
                    textcoords="offset points", ha="center", fontsize=8, color=color)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=9)
    return fig


FIGURES = {
    "numerical-diff-tangent.svg": draw_tangent,
    "numerical-diff-error.svg": draw_error_vs_h,
    "gradients-surface.svg": draw_surfaces,
    "gradients-quiver.svg": draw_quiver,
    "gradients-saddle.svg": draw_saddle,
    "gradient-descent-paths.svg": draw_paths,
    "gradient-descent-learning-rates.svg": draw_learning_rates,
}
