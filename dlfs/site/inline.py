"""A matplotlib backend for the browser's Python: ``plt.show()`` shows the figures under the example.

The worker (``browser/worker.js``) selects it with
``MPLBACKEND=module://dlfs.site.inline``. Figures are drawn by Agg, as
natively; `show` does nothing itself, because after every Run the page
shows each figure that was drawn on (`dlfs.site.runner.stale_figures`),
as a notebook's inline backend does. Agg's own ``show`` would warn that it
is non-interactive, and a warning under the tests' rules is an error: the
book's scripts and most tutorials end with ``plt.show()``.

>>> import matplotlib
>>> matplotlib.use("module://dlfs.site.inline")
>>> import matplotlib.pyplot as plt
>>> fig, ax = plt.subplots()
>>> plt.show()  # no warning, no window: the page shows the figure after the Run
>>> plt.close("all")
>>> matplotlib.use("Agg")
"""

from __future__ import annotations

from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas

__all__ = ["FigureCanvas", "show"]


def show(*args: Any, **kwargs: Any) -> None:
    """Nothing now: the page shows the figures once the example has run."""
