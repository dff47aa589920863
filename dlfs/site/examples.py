"""How the book's examples run: one definition for CI (``conftest.py``) and the browser.

Sybil reads the pages (``docs/*.md``, the README) with `page_parsers` and the
docstrings of ``dlfs/`` with `docstring_parsers`, both with the doctest flags
`OPTIONS`. Pages get no setup: each imports what it uses, as a reader's
fresh interpreter would; docstrings follow NumPy's convention that ``np`` is
imported (`docstring_setup`). pytest turns every warning into an error
(``filterwarnings = ["error"]`` in ``pyproject.toml``); `evaluate` does the
same for one example, so the browser's check (``dlfs.site.runner``) holds a
page to what CI holds it to. Nothing here imports pytest.

>>> document = parse_page("Some prose.\\n\\n```python\\n>>> 6 * 7\\n42\\n```\\n")
>>> [(example.line, evaluate(example)["status"]) for example in document]
[(4, 'pass')]
"""

from __future__ import annotations

import ast
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
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE
from typing import Any

import numpy as np
from sybil import Document, Example
from sybil.evaluators.doctest import NUMBER, DocTestEvaluator, DocTestRunner
from sybil.example import SybilFailure
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer
from sybil.parsers.rest import DocTestParser
from sybil.typing import Parser

OPTIONS = ELLIPSIS | NORMALIZE_WHITESPACE | NUMBER
# pytest's filterwarnings (pyproject.toml), applied to each example: tests/test_runner.py
# checks that the two agree.
WARNINGS = "error"


class OutputRecorder(DocTestRunner):
    """Sybil's doctest runner, which also keeps what the last example printed (`got`).

    doctest hands the output to `report_success` or `report_failure`, the
    hooks it documents for subclasses; an example that raised has no output
    (`got` is None).
    """

    got: str | None = None

    def report_success(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.got = got
        super().report_success(out, test, example, got)

    def report_failure(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.got = got
        super().report_failure(out, test, example, got)


def _recording(evaluator: DocTestEvaluator) -> DocTestEvaluator:
    evaluator.runner = OutputRecorder(OPTIONS)
    return evaluator


def page_parsers() -> list[Parser]:
    """The parsers of the pages: ```python fences (doctest or plain), skip and clear-namespace."""
    code = PythonCodeBlockParser(doctest_optionflags=OPTIONS)
    _recording(code.doctest_parser.evaluator)
    return [code, SkipParser(), ClearNamespaceParser()]


def docstring_parsers() -> list[Parser]:
    """The parser of the docstrings in ``dlfs/``."""
    parser = DocTestParser(optionflags=OPTIONS)
    _recording(parser.string_parser.evaluator)
    return [parser]


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


def evaluate(example: Example, *, reader: bool = False) -> dict[str, Any]:
    """Run one example as pytest does, and say how it went; never raises.

    With `reader`, as a reader's Run shows it, like a notebook: a plain
    block's last expression has its value printed (``sys.displayhook``, as
    in Python's prompt), and warnings are recorded in ``warnings`` (one
    ``"Category: message"`` each) instead of being errors.

    Returns a dict: ``line``, ``kind``, ``status`` (``"pass"``, ``"fail"``:
    a doctest printed something else, ``"error"``: the code raised, or
    ``"skip"``), ``stdout``, ``message`` (the failure or the traceback),
    ``seconds``, ``warnings``; for a doctest also ``source``, ``want`` and
    ``got``, what it printed (None if it raised or was skipped).
    """
    result: dict[str, Any] = {"line": example.line, "kind": kind(example), "message": ""}
    recorder = getattr(example.region.evaluator, "runner", None)
    if result["kind"] == "doctest":
        result |= {"source": example.parsed.source, "want": example.parsed.want, "got": None}
        if isinstance(recorder, OutputRecorder):
            recorder.got = None
    out = io.StringIO()
    start = time.perf_counter()
    caught: list[warnings.WarningMessage] = []
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            with warnings.catch_warnings(record=reader) as recorded:
                warnings.simplefilter("always" if reader else WARNINGS)  # type: ignore[arg-type]
                caught = recorded if recorded is not None else []
                if reader and result["kind"] == "code":
                    _exec_showing_last(example)
                else:
                    example.evaluate()
            result["status"] = "pass"
        except SybilFailure as failure:
            raised = failure.result.startswith("Exception raised:")
            result["message"] = _without_doctest_frames(failure.result) if raised else failure.result
            result["status"] = "error" if raised else "fail"
        except unittest.SkipTest as skip:
            result |= {"status": "skip", "message": str(skip)}
        except BaseException:  # the example's own error (KeyboardInterrupt too), shown to the reader
            result |= {"status": "error", "message": user_traceback()}
    result["seconds"] = time.perf_counter() - start
    result["stdout"] = out.getvalue()
    result["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    if result["kind"] == "doctest" and isinstance(recorder, OutputRecorder):
        result["got"] = recorder.got
    return result


def _exec_showing_last(example: Example) -> None:
    """Run a plain block as Sybil's PythonEvaluator does, but print its last expression's value.

    The last statement, if an expression, is compiled as Python's prompt
    compiles a line (mode ``"single"``), so ``sys.displayhook`` prints its
    value unless it is None, as Jupyter shows an ``Out``.
    """
    padding = example.line + example.parsed.line_offset
    tree = ast.parse("\n" * padding + str(example.parsed), example.path)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    try:
        exec(compile(tree, example.path, "exec", dont_inherit=True), example.namespace)
        if last is not None:
            shown = ast.Interactive(body=[last])
            exec(compile(shown, example.path, "single", dont_inherit=True), example.namespace)
    finally:
        example.namespace.pop("__builtins__", None)  # exec adds it; Sybil's evaluator removes it too


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
              if not (f.filename.endswith(("dlfs/site/examples.py", "dlfs/site/runner.py"))
                      or "/sybil/" in f.filename)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    return "".join(lines + traceback.format_exception_only(kind_, value))


# ------------------------------------------------- reading an output as the page does
# The numbers doctest's NUMBER option compares, as Sybil's OutputChecker finds them.
_SYBIL_NUMBER = re.compile(r"[+-]?\d*\.\d+(?:[Ee][+-]?\d+)?|[+-]?\d+\.(?:[Ee][+-]?\d+)?|[+-]?\d+[Ee][+-]?\d+")
_ANY_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
SMALL = 1e-6  # below this a printed number is suspect: rounding noise, unless shown otherwise


def _precision(number: str) -> int:
    """Decimal places a number is written to: ``0.20`` -> 2, ``3e-08`` -> 8, ``1.5e+00`` -> 1."""
    mantissa, _, exponent = number.lower().partition("e")
    return len(mantissa.partition(".")[2]) - int(exponent or 0)


def _at(number: str, places: int) -> str:
    try:
        return str(Decimal(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))
    except InvalidOperation:
        return number


def reading(want: str, got: str | None) -> str | None:
    """What a reader compares with the page: `got`, less what the page elides and the digits it leaves out.

    Whitespace is collapsed (``NORMALIZE_WHITESPACE``); a number that Python
    prints with more digits than the page (``NUMBER``) is rounded to the
    page's; what the page's ``...`` stands for (a time) is ``...``. Two runs
    print the same thing, for a reader, when their readings are equal.

    >>> reading("loss 0.2\\n", "loss 0.2000049\\n") == reading("loss 0.2\\n", "loss 0.1999951\\n")
    True
    >>> reading("W1 2e-08\\n", "W1 2e-08\\n") == reading("W1 2e-08\\n", "W1 6e-09\\n")
    False
    >>> reading("took ... s, loss 1.50\\n", "took 3.2 s, loss 1.50\\n")
    'took ... s, loss 1.50'
    """
    if got is None:
        return None
    want, got = " ".join(want.split()), " ".join(got.split())
    wants, gots = list(_SYBIL_NUMBER.finditer(want)), list(_SYBIL_NUMBER.finditer(got))
    if len(wants) == len(gots):  # as NUMBER aligns them
        parts, end = [], 0
        for w, g in zip(wants, gots):
            text = g.group()
            if _precision(text) > _precision(w.group()):
                text = _at(text, _precision(w.group()))
            parts += [got[end:g.start()], text]
            end = g.end()
        got = "".join(parts) + got[end:]
    if "..." in want:
        match = re.fullmatch("(.*?)".join(re.escape(piece) for piece in want.split("...")), got, re.DOTALL)
        if match:
            pieces, end = [], 0
            for i in range(1, (match.lastindex or 0) + 1):
                pieces += [got[end:match.start(i)], "..."]
                end = match.end(i)
            got = "".join(pieces) + got[end:]
    return got


def small_numbers(text: str) -> list[str]:
    """The numbers written in `text` whose size is below `SMALL` (1e-6), zero left out.

    >>> small_numbers("W1 3e-08, b1 1e+00, eps 2.2e-16, h 1e-4")
    ['3e-08', '2.2e-16']
    """
    found = []
    for m in _ANY_NUMBER.finditer(text):
        value = abs(float(m.group()))
        if 0 < value < SMALL:
            found.append(m.group())
    return found
