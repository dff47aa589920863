"""Sybil runs every example: the docstrings in dlfs/, the chapters, the README.

Each document gets a fresh namespace with ``np`` and NumPy's print options
fixed, so printed arrays look the same on every machine.
"""

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

import numpy as np
from sybil import Sybil
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser
from sybil.evaluators.doctest import NUMBER

OPTIONS = ELLIPSIS | NORMALIZE_WHITESPACE | NUMBER


def _setup(namespace: dict) -> None:
    np.set_printoptions(legacy="1.25", precision=8, suppress=False, linewidth=75)
    namespace["np"] = np


def _teardown(namespace: dict) -> None:
    np.set_printoptions(legacy=False)


_docstrings = Sybil(
    parsers=[DocTestParser(optionflags=OPTIONS)],
    patterns=["dlfs/*.py"],
    setup=_setup,
    teardown=_teardown,
)
_pages = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=OPTIONS),
        SkipParser(),
        ClearNamespaceParser(),
    ],
    patterns=["docs/**/*.md", "README.md"],
    setup=_setup,
    teardown=_teardown,
)
pytest_collect_file = (_docstrings + _pages).pytest()
