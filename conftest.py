"""Sybil runs every example: the docstrings in dlfs/, the chapters, the README.

The pages run exactly as a reader's fresh interpreter would: nothing is set
up for them, each page imports what it uses, and NumPy prints with its
default options. Docstring examples follow the NumPy convention that ``np``
is already imported. The test fixtures live in ``tests/conftest.py``.
"""

from __future__ import annotations

from sybil import Sybil

# The parsers, flags and setup live in the package, so that the browser's "Check this
# page" (dlfs.site.runner) runs the pages exactly as this file has pytest run them.
from dlfs.site.examples import docstring_parsers, docstring_setup, page_parsers

# pathlib's match() reads `**` as one folder level (Python 3.11), so each depth
# is spelled out: dlfs/*.py and dlfs/book/*.py are both collected.
DOCSTRINGS = Sybil(
    parsers=docstring_parsers(),
    patterns=["dlfs/*.py", "dlfs/*/*.py"],
    setup=docstring_setup,
    name="docstrings",
)
PAGES = Sybil(
    parsers=page_parsers(),
    patterns=["docs/*.md", "docs/*/*.md", "README.md"],
    name="pages",
)
pytest_collect_file = (DOCSTRINGS + PAGES).pytest()
