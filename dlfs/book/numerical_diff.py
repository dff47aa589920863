"""Chapter 1, "Numerical differentiation" (``docs/numerical-diff.md``).

Everything here differentiates ``x**3`` at ``x = 1``, where the derivative is
exactly 3, with `dlfs.numerical.numerical_diff`. Nothing is random.
"""

from __future__ import annotations

# --8<-- [start:imports]
from typing import Any

import numpy as np

from dlfs.numerical import METHODS, numerical_diff

# --8<-- [end:imports]
# isort: split
from typing import TYPE_CHECKING

from dlfs.book.style import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLORS = {"forward": "tab:orange", "backward": "tab:green", "central": "tab:blue"}


# --8<-- [start:cube]
def cube(x: Any) -> Any:
    """``x**3`` with multiplications only, so its rounding is the same on every machine."""
    return x * x * x


def slopes_at_one(h: float) -> dict[str, float]:
    """The three difference quotients of x**3 at x = 1 with step `h`, and the exact slope 3."""
    return {"exact": 3.0} | {method: numerical_diff(cube, 1.0, h, method) for method in METHODS}


def errors_at_one(steps: np.ndarray) -> dict[str, np.ndarray]:
    """|estimate - 3| for each method and each step in `steps`."""
    return {method: np.array([abs(numerical_diff(cube, 1.0, h, method) - 3.0) for h in steps])
            for method in METHODS}
# --8<-- [end:cube]


# --8<-- [start:sweet_spot]
STEPS = np.logspace(-16, 0, 161)  # 16 decades, 10 steps per decade, every power of ten among them


def running_median(values: np.ndarray, width: int = 5) -> np.ndarray:
    """Each value replaced by the median of it and its `width` neighbors on each side.

    Where rounding makes a curve noisy, its single lowest point is a lucky
    cancellation; the median of the steps around a point is the error to
    expect there, and its minimum is the sweet spot.
    """
    return np.array([np.median(values[max(0, i - width):i + width + 1]) for i in range(len(values))])
# --8<-- [end:sweet_spot]


def draw_tangent() -> Figure:
    """Analytic tangent vs central and forward differences of x**3 at x = 1, h = 0.5."""
    x, h = 1.0, 0.5
    slopes = slopes_at_one(h)
    xs = np.linspace(-0.3, 2.0, 200)
    fig, ax = new_figure(figsize=(6.2, 4.3))
    ax.plot(xs, cube(xs), color="black", lw=2, label="$f(x) = x^3$")
    for method, label, color, style in [("exact", "analytic tangent", "black", ":"),
                                        ("central", "central difference", COLORS["central"], "-"),
                                        ("forward", "forward difference", COLORS["forward"], "--")]:
        ax.plot(xs, cube(x) + slopes[method] * (xs - x), color=color, ls=style,
                label=f"{label}: slope {slopes[method]:.2f}")
    marks = np.array([x - h, x, x + h])
    ax.plot(marks, cube(marks), "o", color="black", ms=5)
    for xm, text, offset in zip(marks, ["$x-h$", "$x$", "$x+h$"], [(-14, 10), (8, -12), (10, -10)]):
        ax.annotate(text, (xm, cube(xm)), textcoords="offset points", xytext=offset)
    ax.set(xlabel="$x$", ylabel="$f(x)$", ylim=(-1.5, 5.0),
           title=f"Slopes at $x = 1$ with an exaggerated step $h = {h}$")
    ax.legend(loc="upper left")
    return fig


def draw_error_vs_h() -> Figure:
    """Error of each difference against h, log-log, with its running median and the sweet spots marked."""
    errors = errors_at_one(STEPS)
    eps = np.finfo(float).eps
    fig, ax = new_figure(figsize=(8.6, 4.6))
    for method in ("forward", "backward", "central"):
        err = errors[method].copy()
        typical = running_median(err)
        err[err == 0] = np.nan  # an exact hit has no logarithm: leave a gap
        ax.plot(STEPS, err, color=COLORS[method], lw=0.8, alpha=0.6, label=f"{method} difference")
        ax.plot(STEPS, typical, color=COLORS[method], lw=2.2)
        best = int(np.argmin(typical))
        ax.plot(STEPS[best], typical[best], "*", color=COLORS[method], ms=14, mec="black", mew=0.6)
    guides = [(3 * STEPS, "--", "truncation $3h$ (forward, backward)"),
              (STEPS**2, "-.", "truncation $h^2$ (central)"),
              (eps / STEPS, ":", r"rounding $\approx \varepsilon / h$")]
    for values, style, label in guides:
        ax.plot(STEPS, values, color="gray", ls=style, lw=1.2, label=label)
    ax.plot([], [], "-", color="gray", lw=2.2, label="median of 11 neighboring steps")
    ax.plot([], [], "*", color="gray", ms=12, mec="black", mew=0.6, label="sweet spot (smallest median)")
    ax.set(xscale="log", yscale="log", ylim=(1e-13, 10), xlim=(1e-16, 1),
           xlabel="step $h$", ylabel=r"$|\,\mathrm{estimate} - f'(1)\,|$",
           title="Error of the difference quotients of $x^3$ at $x = 1$")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    return fig


FIGURES = {
    "numerical-diff-tangent.svg": draw_tangent,
    "numerical-diff-error.svg": draw_error_vs_h,
}
