"""Figures for the book, each drawn by a function from seeded data.

Every module in this package lists its figures in a dict ``FIGURES`` that
maps a file name (``"tangent.svg"``) to a function of no arguments returning
a matplotlib Figure. The MkDocs hook (``docs/hooks/figures.py``) calls them
all at build time and adds the SVGs to the site under ``figures/``, so a
chapter shows one with ``![alt text](figures/tangent.svg)``.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")  # no screen needed, same output everywhere

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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


def new_figure(*args, **kwargs) -> tuple[Figure, object]:
    """``plt.subplots`` in the house style, detached from pyplot's global state."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(*args, **kwargs)
    plt.close(fig)  # the caller owns it; pyplot must not keep it alive
    return fig, ax


def to_svg(fig: Figure) -> bytes:
    """Return `fig` as SVG bytes, identical from run to run (no date in it)."""
    buffer = io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def all_figures() -> dict[str, Callable[[], Figure]]:
    """Collect ``FIGURES`` from every module of this package; names must be unique."""
    found: dict[str, Callable[[], Figure]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, draw in getattr(module, "FIGURES", {}).items():
            if name in found:
                raise ValueError(f"figure {name!r} is defined twice (again in {module.__name__})")
            found[name] = draw
    return found
