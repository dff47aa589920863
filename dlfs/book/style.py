"""The look of every figure in the book, and its SVG export.

Matplotlib is imported only when a figure is drawn, so the book's
computations run where matplotlib is not installed (in the browser, say).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# One look for every figure: white cards read well on light and dark pages.
STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "dlfs",  # stable ids inside the SVG: byte-reproducible files
    "legend.frameon": False,
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no screen needed, the same output everywhere
    import matplotlib.pyplot as plt

    return plt


def new_figure(*args: Any, **kwargs: Any) -> tuple[Figure, Any]:
    """``plt.subplots`` in the house style, detached from pyplot's global state."""
    plt = _pyplot()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(*args, **kwargs)
    plt.close(fig)  # the caller owns it; pyplot must not keep it alive
    return fig, ax


def add_subplot(fig: Figure, *args: Any, **kwargs: Any) -> Any:
    """``fig.add_subplot`` in the house style."""
    with _pyplot().rc_context(STYLE):
        return fig.add_subplot(*args, **kwargs)


def to_svg(fig: Figure) -> bytes:
    """Return `fig` as SVG bytes, identical from run to run (no date in it)."""
    buffer = io.BytesIO()
    with _pyplot().rc_context(STYLE):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()
