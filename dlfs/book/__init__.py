"""The book's own computations and figures: one module per page.

``dlfs/book/<page>.py`` holds every seeded computation that ``docs/<page>.md``
prints and every figure drawn from it, so the code behind a number or a
figure is found from the page's name: ``docs/gradient-check.md`` ↔
``dlfs/book/gradient_check.py``. A page shows that source in a block titled
with the file's name and calls it in the next example; its figures draw
from the same results, and the tests check each number once, against the
function. What is library-grade (layers, networks, training, timing) lives in
the library, not here.

Each page module lists its figures in ``FIGURES``, a dict from a file name
that starts with the page's slug (``"training-loss.svg"``) to a function of
no arguments that returns a matplotlib Figure. The site build
(``docs/hooks/figures.py``) draws them all; a page shows one with
``![alt text](figures/training-loss.svg)``.

Results that take long are decorated with `dlfs.book.cache.cached`:
computed once per process, and once per build or test session when
``DLFS_BOOK_CACHE`` names a folder (see that module).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The pages with computations of their own, in reading order: docs/<slug>.md.
PAGES = (
    "numerical-diff",
    "gradients",
    "gradient-descent",
    "learning",
    "backprop",
    "gradient-check",
    "training",
    "making-training-work",
    "optimizers-and-regularization",
    "autograd",
)


def module_name(page: str) -> str:
    """``"gradient-check"`` -> ``"dlfs.book.gradient_check"``."""
    return f"{__name__}.{page.replace('-', '_')}"


def figures_of(page: str) -> dict[str, Callable[[], Figure]]:
    """The figures of one page: file name -> function that draws it."""
    module = importlib.import_module(module_name(page))
    figures: dict[str, Callable[[], Figure]] = getattr(module, "FIGURES", {})
    for name in figures:
        if not (name.startswith(page + "-") and name.endswith(".svg")):
            raise ValueError(f"figure {name!r} of {module.__name__} must be named {page}-<what>.svg")
    return figures


def all_figures() -> dict[str, Callable[[], Figure]]:
    """Every figure of the book, page by page.

    Examples
    --------
    >>> names = list(all_figures())
    >>> names[0], all(name.endswith(".svg") for name in names)
    ('numerical-diff-tangent.svg', True)
    """
    found: dict[str, Callable[[], Figure]] = {}
    for page in PAGES:
        found.update(figures_of(page))
    return found


def page_of(figure: str) -> str:
    """The page a figure belongs to, from its name.

    Examples
    --------
    >>> page_of("gradient-check-differences.svg")
    'gradient-check'
    """
    pages = [page for page in PAGES if figure.startswith(page + "-")]
    if not pages:
        raise ValueError(f"figure {figure!r} is named after none of the pages {PAGES}")
    return max(pages, key=len)  # "gradient-descent-x" is not a "gradients" figure


def _svg_call() -> str:
    from importlib.metadata import version

    return f"matplotlib {version('matplotlib')}"


def draw_svg(figure: str) -> str:
    """Draw `figure` and return its SVG text: once per code version when a disk cache is set.

    The key covers the source of the figure's page module and of everything
    it imports, so editing a chapter's module redraws only that chapter's figures.
    """
    from dlfs.book.cache import stored
    from dlfs.book.style import to_svg

    page = page_of(figure)
    return stored(f"figure-{figure}", module_name(page), _svg_call(),
                  lambda: to_svg(figures_of(page)[figure]()).decode("utf-8"))


def stored_svg(figure: str) -> str | None:
    """The SVG of `figure` from the disk cache, or None if it would have to be drawn."""
    from dlfs.book.cache import peek

    return peek(f"figure-{figure}", (module_name(page_of(figure)),), _svg_call())
