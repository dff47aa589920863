"""Sybil runs every example: the docstrings in dlfs/, the chapters, the README.

The pages run exactly as a reader's fresh interpreter would: nothing is set
up for them, each page imports what it uses, and NumPy prints with its
default options. Docstring examples follow the NumPy convention that ``np``
is already imported. The test fixtures live in ``tests/conftest.py``.
"""

from __future__ import annotations

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

import numpy as np
from sybil import Sybil
from sybil.evaluators.doctest import NUMBER
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser

OPTIONS = ELLIPSIS | NORMALIZE_WHITESPACE | NUMBER


def _numpy_as_np(namespace: dict) -> None:
    namespace["np"] = np


# pathlib's match() reads `**` as one folder level (Python 3.11), so each depth
# is spelled out: dlfs/*.py and dlfs/book/*.py are both collected.
DOCSTRINGS = Sybil(
    parsers=[DocTestParser(optionflags=OPTIONS)],
    patterns=["dlfs/*.py", "dlfs/*/*.py"],
    setup=_numpy_as_np,
    name="docstrings",
)
PAGES = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=OPTIONS),
        SkipParser(),
        ClearNamespaceParser(),
    ],
    patterns=["docs/*.md", "docs/*/*.md", "README.md"],
    name="pages",
)
pytest_collect_file = (DOCSTRINGS + PAGES).pytest()
