"""Chapter 3, "Gradient descent" (``docs/gradient-descent.md``).

Descent paths on the chapter's two bowls, the sweep of learning rates on
``x0**2 + x1**2`` from (-3, 4), and where the descent with learning rate 10
stops and why. Every step uses `dlfs.optim.gradient_descent`. Nothing is random.
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np

from dlfs.book.gradients import function_2, function_oval
from dlfs.numerical import numerical_gradient
from dlfs.optim import gradient_descent

# --8<-- [end:imports]
# isort: split
from typing import TYPE_CHECKING

from dlfs.book.gradients import BOWLS
from dlfs.book.style import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# --8<-- [start:paths]
BOOK_START = (-3.0, 4.0)  # the book's start on x0**2 + x1**2
NOTE_STARTS = ((-3.0, 3.0), (3.5, 1.0), (1.5, -3.0))  # the note's three starts on x0**2 + 2 x1**2
LEARNING_RATES = (1e-10, 0.01, 0.1, 0.4, 1.05, 10.0)  # the figure's sweep


def descent_paths() -> dict[str, np.ndarray]:
    """Every point visited: the book's 100 steps on the round bowl, the note's 40 on the oval one.

    Keys: ``"book"`` (from (-3, 4) on x0**2 + x1**2) and each start of the
    note, as ``"(-3, 3)"``, on x0**2 + 2 x1**2; all with learning rate 0.1.
    """
    paths = {"book": gradient_descent(function_2, np.array(BOOK_START), lr=0.1, step_num=100,
                                      return_path=True)[1]}
    for start in NOTE_STARTS:
        paths[f"({start[0]:g}, {start[1]:g})"] = gradient_descent(
            function_oval, np.array(start), lr=0.1, step_num=40, return_path=True)[1]
    return paths


def learning_rate_sweep(rates: tuple[float, ...] = LEARNING_RATES, steps: int = 100) -> dict[float, np.ndarray]:
    """The path from (-3, 4) on x0**2 + x1**2 for each learning rate: rate -> (steps + 1, 2)."""
    return {lr: gradient_descent(function_2, np.array(BOOK_START), lr=lr, step_num=steps,
                                 return_path=True)[1] for lr in rates}
# --8<-- [end:paths]


# --8<-- [start:freeze]
def where_it_freezes(lr: float = 10.0, steps: int = 12, h: float = 1e-4) -> dict[str, np.ndarray]:
    """Step by step, the point, the spacing of float64 numbers there, and both gradients.

    ``x[k]`` is the point after k steps, ``spacing[k]`` the gap to the next
    float64 after each coordinate (``np.spacing``), ``numerical[k]`` the
    central-difference gradient that the step uses and ``exact[k]`` = 2 x[k].
    """
    path = learning_rate_sweep((lr,), steps)[lr]
    return {
        "x": path,
        "spacing": np.spacing(np.abs(path)),
        "numerical": np.array([numerical_gradient(function_2, p.copy(), h) for p in path]),
        "exact": 2 * path,
    }
# --8<-- [end:freeze]


def _contours(ax, f, lo: float, hi: float) -> None:
    x0, x1 = np.meshgrid(np.linspace(lo, hi, 201), np.linspace(lo, hi, 201))
    ax.contour(x0, x1, f(np.array([x0, x1])), levels=[0.25, 1, 2, 4, 8, 16, 25, 36],
               colors="lightgray", linewidths=0.8)
    ax.plot(0, 0, "+", color="black", ms=10)
    ax.set(xlabel="$x_0$", ylabel="$x_1$", xlim=(lo, hi), ylim=(lo, hi), aspect="equal")


def draw_paths() -> Figure:
    """Descent paths: the book's example and the note's three starts on the oval bowl."""
    paths = descent_paths()
    (round_label, round_f), (oval_label, oval_f) = BOWLS.items()
    fig, (left, right) = new_figure(1, 2, figsize=(10, 5))
    _contours(left, round_f, -4.5, 4.5)
    book = paths.pop("book")
    left.plot(book[:, 0], book[:, 1], "o-", ms=3, lw=1, color="tab:blue",
              label="from $(-3, 4)$, lr 0.1, 100 steps")
    left.set_title(round_label)
    _contours(right, oval_f, -4.5, 4.5)
    for (start, path), color in zip(paths.items(), ["tab:blue", "tab:orange", "tab:green"]):
        right.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1, color=color,
                   label=f"from ${start}$, lr 0.1, 40 steps")
    right.set_title(oval_label)
    for ax in (left, right):
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9, frameon=True)
    return fig


def draw_learning_rates() -> Figure:
    """Distance to the minimum against the step, one line per learning rate."""
    sweep = learning_rate_sweep()
    fig, ax = new_figure(figsize=(8.2, 4.6))
    colors = ["tab:gray", "tab:olive", "tab:blue", "tab:green", "tab:orange", "tab:red"]
    final = {}
    for (lr, path), color in zip(sweep.items(), colors):
        distance = np.linalg.norm(path, axis=1)
        final[lr] = distance[-1]
        ax.plot(distance, color=color, lw=1.5, label=f"lr = {lr:g}")
    ax.set(yscale="log", xlabel="step", ylabel=r"distance to the minimum $\|x\|$",
           title="Gradient descent on $x_0^2 + x_1^2$ from $(-3, 4)$")
    for lr, color, dy, text in [(10.0, "tab:red", -14, r"$x \pm h$ rounds to $x$: the step is 0"),
                                (0.4, "tab:green", 6, r"$h + x$ rounds to $h$: the step is 0")]:
        ax.annotate(text, (60, final[lr]), xytext=(0, dy), textcoords="offset points", ha="center",
                    fontsize=8, color=color)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=9)
    return fig


FIGURES = {
    "gradient-descent-paths.svg": draw_paths,
    "gradient-descent-learning-rates.svg": draw_learning_rates,
}
