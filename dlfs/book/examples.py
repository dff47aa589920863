"""How the book's examples run: one definition for CI (``conftest.py``) and the browser.

Sybil reads the pages (``docs/*.md``, the README) with `page_parsers` and the
docstrings of ``dlfs/`` with `docstring_parsers`, both with the doctest flags
`OPTIONS`. Pages get no setup: each imports what it uses, as a reader's
fresh interpreter would; docstrings follow NumPy's convention that ``np`` is
imported (`docstring_setup`). pytest turns every warning into an error
(``filterwarnings = ["error"]`` in ``pyproject.toml``); `evaluate` does the
same for one example, so the browser's check (``dlfs.book.runner``) holds a
page to what CI holds it to. Nothing here imports pytest.

>>> document = parse_page("Some prose.\\n\\n```python\\n>>> 6 * 7\\n42\\n```\\n")
>>> [(example.line, evaluate(example)["status"]) for example in document]
[(4, 'pass')]
"""

from __future__ import annotations

import contextlib
import doctest
import io
import linecache
import re
import sys
import time
import traceback
import unittest
import warnings
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE
from typing import Any

import numpy as np
from sybil import Document, Example
from sybil.evaluators.doctest import NUMBER
from sybil.example import SybilFailure
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer
from sybil.parsers.rest import DocTestParser
from sybil.typing import Parser

OPTIONS = ELLIPSIS | NORMALIZE_WHITESPACE | NUMBER
# pytest's filterwarnings (pyproject.toml), applied to each example: tests/test_runner.py
# checks that the two agree.
WARNINGS = "error"


def page_parsers() -> list[Parser]:
    """The parsers of the pages: ```python fences (doctest or plain), skip and clear-namespace."""
    return [PythonCodeBlockParser(doctest_optionflags=OPTIONS), SkipParser(), ClearNamespaceParser()]


def docstring_parsers() -> list[Parser]:
    """The parser of the docstrings in ``dlfs/``."""
    return [DocTestParser(optionflags=OPTIONS)]


def docstring_setup(namespace: dict[str, Any]) -> None:
    """Docstring examples may use ``np`` without importing it (NumPy's convention)."""
    namespace["np"] = np


def parse_page(text: str, path: str = "page.md") -> Document:
    """A page's Markdown `text` as Sybil's document, its examples in page order.

    Tracebacks show the lines of `text` as the lines of `path`, which need not exist as a file.
    """
    linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)  # None: never stale
    document = Document(text, path)
    for parser in page_parsers():
        for region in parser(document):
            document.add(region)
    return document


def runnable_blocks(text: str) -> list[tuple[int, int]]:
    """The lines of the opening and the closing fence of each block Sybil runs: ```python, exactly.

    >>> page = ["```python", "x = 1", "```", "", '```python title="a.py"', "shown", "```"]
    >>> runnable_blocks("\\n".join(page))
    [(1, 3)]
    """
    regions = FencedCodeBlockLexer(language="python")(Document(text, "page.md"))
    return sorted((text.count("\n", 0, r.start) + 1, text.count("\n", 0, r.end) + 1) for r in regions)


def kind(example: Example) -> str:
    """``"doctest"``, ``"code"`` (a plain block) or ``"directive"`` (skip, clear-namespace)."""
    if isinstance(example.parsed, doctest.Example):
        return "doctest"
    return "code" if type(example.region.evaluator).__name__ == "PythonEvaluator" else "directive"


_DIFFERENCE = re.compile(r"^(?:Expected:\n(?P<want>.*?)|Expected nothing\n)(?:Got:\n(?P<got>.*)|Got nothing\n?)$",
                         re.DOTALL)


def _dedent(text: str | None) -> str:
    return "" if text is None else "".join(line[4:] for line in text.splitlines(keepends=True))


def evaluate(example: Example) -> dict[str, Any]:
    """Run one example as pytest does, and say how it went; never raises.

    Returns a dict: ``line``, ``kind``, ``status`` (``"pass"``, ``"fail"``:
    a doctest printed something else, ``"error"``: the code raised, or
    ``"skip"``), ``stdout``, ``message`` (the failure or the traceback),
    ``seconds``; for a doctest also ``source`` and ``want``, and ``got``
    when it failed.
    """
    result: dict[str, Any] = {"line": example.line, "kind": kind(example), "message": ""}
    if result["kind"] == "doctest":
        result |= {"source": example.parsed.source, "want": example.parsed.want}
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter(WARNINGS)  # type: ignore[arg-type]
                example.evaluate()
            result["status"] = "pass"
        except SybilFailure as failure:
            raised = failure.result.startswith("Exception raised:")
            result["message"] = _without_doctest_frames(failure.result) if raised else failure.result
            result["status"] = "error" if raised else "fail"
            difference = _DIFFERENCE.match(failure.result)
            if difference:
                result["got"] = _dedent(difference["got"])
        except unittest.SkipTest as skip:
            result |= {"status": "skip", "message": str(skip)}
        except BaseException:  # the example's own error (KeyboardInterrupt too), shown to the reader
            result |= {"status": "error", "message": user_traceback()}
    result["seconds"] = time.perf_counter() - start
    result["stdout"] = out.getvalue()
    return result


def _without_doctest_frames(message: str) -> str:
    """A doctest's "Exception raised:" report from the example's own frame on: doctest's are noise."""
    lines = message.splitlines(keepends=True)
    own = next((i for i, line in enumerate(lines) if 'File "<doctest ' in line), None)
    if own is None or own < 2:
        return message
    return "".join(lines[:2] + lines[own:])


def user_traceback() -> str:
    """The exception being handled, formatted without the frames of Sybil and of this package's runner."""
    kind_, value, tb = sys.exc_info()
    frames = [f for f in traceback.extract_tb(tb)
              if not (f.filename.endswith(("dlfs/book/examples.py", "dlfs/book/runner.py"))
                      or "/sybil/" in f.filename)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    return "".join(lines + traceback.format_exception_only(kind_, value))
