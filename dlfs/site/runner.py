"""Run a page's examples for a reader: one session per page, in page order, and the page check.

The site runs this module in the reader's browser (Pyodide, in a Web
Worker: ``browser/worker.js``), and the tests run it natively. Examples are
read from the page's Markdown by Sybil with the parsers and flags CI uses
(`dlfs.site.examples`), so a page checked here passes or fails as it does
under pytest.

- `PageSession.run_block` runs the examples of one fenced block (or the
  reader's edit of it) in the page's namespace, first running the earlier
  examples that have not run yet, as Sybil runs a page top to bottom.
- `check_page` runs every example of a page in a fresh namespace.

Both return plain data (dicts of str, numbers and lists), which the worker
sends to the page as JSON.

>>> page = "```python\\nx = 6\\n```\\n\\n```python\\n>>> x * 7\\n42\\n```\\n"
>>> session = PageSession(page)
>>> run = session.run_block(5, 8)
>>> run["caught_up"], [r["status"] for r in run["results"]]
(1, ['pass'])
>>> session.run_block(5, 8, ">>> x * 7\\n41\\n")["results"][0]["got"]
'42\\n'
>>> check_page(page)["passed"]
2
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from typing import Any

from sybil import Example

from dlfs.progress import listening
from dlfs.site.examples import evaluate, kind, parse_page

Progress = Callable[[dict[str, Any]], None]


def _quiet(_: dict[str, Any]) -> None:
    pass


def block_status(results: list[dict[str, Any]]) -> str:
    """What a block's run shows: ``"error"``, ``"fail"``, ``"pass"`` (its doctests hold) or ``"done"``.

    A doctest whose expected output is not compared (``"checked": False``,
    see `PageSession.run_block`) counts for none of them.
    """
    statuses = {r["status"] for r in results}
    if "error" in statuses:
        return "error"
    if "fail" in statuses:
        return "fail"
    return "pass" if any(r["kind"] == "doctest" and r.get("checked", True) for r in results) else "done"


def compare_kept(original: list[dict[str, Any]], edited: list[dict[str, Any]]) -> None:
    """Mark which doctests of a reader's edit are compared with their expected output, in place.

    An edit is the reader's code: what it prints is shown, and an expected
    output is compared only where the reader kept it with its statement, as
    the page has them, or wrote it (a prediction). One left under a changed
    statement (the page's output of other code) or none at all (a new
    ``>>>`` line, an import) is not compared: its result gets ``"checked":
    False`` and, if it printed something, status ``"ran"`` instead of ``"fail"``.
    """
    kept = {(r["source"], r["want"]) for r in original if r["kind"] == "doctest"}
    page_wants = {r["want"] for r in original if r["kind"] == "doctest"}
    for r in edited:
        if r["kind"] != "doctest":
            continue
        r["checked"] = bool(r["want"]) and ((r["source"], r["want"]) in kept or r["want"] not in page_wants)
        if not r["checked"] and r["status"] == "fail":
            r["status"] = "ran"


def with_outputs(code: str, start: int, results: list[dict[str, Any]]) -> str:
    """`code` (a block's edit, its fence on line `start`) with each doctest's expected output
    replaced by what it printed, where the two differ: the "Update expected output" of a Run.

    >>> with_outputs(">>> 6 * 7\\n41\\n>>> 1\\n1\\n", 1,
    ...              [{"status": "fail", "line": 2, "source": "6 * 7\\n", "want": "41\\n", "got": "42\\n"}])
    '>>> 6 * 7\\n42\\n>>> 1\\n1\\n'
    """
    lines = code.split("\n")
    for r in sorted(results, key=lambda r: -r["line"]):
        if r["status"] not in ("fail", "ran") or r.get("got") is None:
            continue
        at = r["line"] - start - 1 + len(r["source"].splitlines())  # the first line of the expected output
        indent = lines[at - 1][:len(lines[at - 1]) - len(lines[at - 1].lstrip())]
        got = [indent + (line if line.strip() else "<BLANKLINE>") for line in r["got"].rstrip("\n").split("\n")]
        lines[at:at + len(r["want"].splitlines())] = got if r["got"].strip() else []
    return "\n".join(lines)


class PageSession:
    """One page's namespace, in which the reader runs its blocks (edited or not) in any order.

    Parameters
    ----------
    text : str
        The page's Markdown, as Sybil reads it.
    path : str
        The page's name, shown in tracebacks.
    """

    def __init__(self, text: str, path: str = "page.md") -> None:
        self.path = path
        self.document = parse_page(text, path)
        self.examples = list(self.document.examples())
        self.namespace = self.document.namespace
        self.done: set[int] = set()  # indexes into self.examples that have run

    def _in_block(self, start: int, end: int) -> list[int]:
        return [i for i, ex in enumerate(self.examples) if start <= ex.line <= end]

    def run_block(self, start: int, end: int, code: str | None = None, progress: Progress = _quiet) -> dict[str, Any]:
        """Run the fenced block from line `start` to `end` (its fences, 1-based), or `code` in its place.

        The page's earlier examples that have not run yet run first (their
        failures are reported in ``caught_up_failures``). `code` is the
        block's text as the reader edited it, without the fences; None, or
        the text unchanged, runs the page's own examples.

        Returns
        -------
        dict
            ``caught_up`` (how many earlier examples ran first),
            ``caught_up_failures``, ``results`` (one per example, see
            `dlfs.site.examples.evaluate`), ``status`` (`block_status`).
        """
        earlier = [i for i, ex in enumerate(self.examples) if ex.line < start and i not in self.done]
        failures = []
        with listening(_loop_progress(progress)):
            for n, i in enumerate(earlier):
                progress({"phase": "catch-up", "done": n, "total": len(earlier), "line": self.examples[i].line})
                result = evaluate(self.examples[i])
                self.done.add(i)
                if result["status"] in ("fail", "error"):
                    failures.append(result)
            own = self._in_block(start, end)
            edited = code is not None and code != self.block_text(start, end)
            if not edited:
                examples = [self.examples[i] for i in own]
            else:
                # the edit, as a block at the same place: line numbers in messages match the page
                text = "\n" * (start - 1) + "```python\n" + str(code).rstrip("\n") + "\n```\n"
                document = parse_page(text, self.path)
                document.namespace = self.namespace
                examples = list(document.examples())
            progress({"phase": "run", "total": len(examples)})
            results = []
            for n, example in enumerate(examples):
                progress({"phase": "run", "done": n, "total": len(examples), "line": example.line})
                results.append(evaluate(example, reader=True))
        answer: dict[str, Any] = {"caught_up": len(earlier), "caught_up_failures": failures, "results": results}
        if edited:
            parse_page(self.document.text, self.path)  # tracebacks show the page's lines again
            for r in results:  # the editor numbers the reader's code from 1: name its lines so
                if r.get("message"):
                    r["message"] = _in_edit(r["message"], self.path, start, str(code).count("\n") + 1)
            compare_kept([_written(self.examples[i]) for i in own], results)
            for r in results:
                r["warnings"] += float_notes(r) if NO_FLOAT_FLAGS else []
            if any(r["status"] in ("fail", "ran") and r.get("got") is not None for r in results):
                answer["updated"] = with_outputs(str(code), start, results)
        self.done.update(own)
        return answer | {"edited": edited, "status": block_status(results)}

    def source_to_run(self, start: int, end: int, code: str | None = None) -> str:
        """The code that `run_block` would run: the worker reads it to fetch what it needs first."""
        earlier = [ex for i, ex in enumerate(self.examples) if ex.line < start and i not in self.done]
        own = [self.examples[i] for i in self._in_block(start, end)]
        return "\n".join([*map(source, earlier), *(map(source, own) if code is None else [code])])

    def block_text(self, start: int, end: int) -> str:
        """The code between the fences on lines `start` and `end`, dedented as Sybil reads it."""
        lines = self.document.text.splitlines()[start - 1:end]
        indent = len(lines[0]) - len(lines[0].lstrip())
        return "".join(line[indent:] + "\n" for line in lines[1:-1])


def _in_edit(message: str, path: str, start: int, lines: int) -> str:
    """`message` with each line of an edit run at fence `start` named as the editor numbers it, in "your code".

    Lines of the page's other blocks (a function defined above, called here) keep the page's name.
    """
    def renumber(match: re.Match[str]) -> str:
        line = int(match.group(1)) - start
        return f'File "your code", line {line}' if 1 <= line <= lines else match.group(0)

    return re.sub(rf'File "{re.escape(path)}", line (\d+)', renumber, message)


def _written(example: Example) -> dict[str, Any]:
    """What the page writes for an example, without running it: its kind, and a doctest's source and want."""
    if kind(example) != "doctest":
        return {"kind": kind(example)}
    return {"kind": "doctest", "source": example.parsed.source, "want": example.parsed.want}


# WebAssembly has no floating-point exception flags: NumPy there cannot see a division by zero
# or an invalid operation, and never warns of one (pyodide/pyodide#156).
NO_FLOAT_FLAGS = sys.platform == "emscripten"
_NON_FINITE = re.compile(r"(?<![\w.])-?(?:inf|nan)(?![\w])")


def float_notes(result: dict[str, Any]) -> list[str]:
    """A note for a result that printed ``inf`` or ``nan``, where NumPy cannot warn (`NO_FLOAT_FLAGS`).

    >>> float_notes({"stdout": "-inf\\n"})[0].split(":")[0]
    'RuntimeWarning'
    >>> float_notes({"stdout": "information, nano\\n", "got": None})
    []
    """
    printed = (result.get("got") or "") + result.get("stdout", "")
    if not _NON_FINITE.search(printed):
        return []
    return ["RuntimeWarning: inf or nan, from a division by zero or an invalid value such as "
            "log(0) or 0/0. NumPy warns of it natively; in the browser it cannot (WebAssembly "
            "has no floating-point error flags)."]


def _loop_progress(progress: Progress, every: float = 0.25) -> Callable[[str, int, int], None]:
    """A `dlfs.progress` listener that passes a loop's progress on, at most once every `every` seconds."""
    last = -every

    def listener(what: str, done: int, total: int) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= every or done == total:
            last = now
            progress({"phase": "loop", "what": what, "done": done, "total": total})
    return listener


def source(example: Example) -> str:
    """An example's Python code (a doctest's statement without its prompts); "" for a directive."""
    if kind(example) == "doctest":
        return str(example.parsed.source)
    return str(example.parsed) if kind(example) == "code" else ""


def stale_figures(namespace: dict[str, Any]) -> list[str]:
    """SVG of each figure drawn on since it was last shown: the namespace's figures and pyplot's.

    A matplotlib figure is stale when an artist changed after it was last
    drawn; once shown it is marked fresh, so each change is shown once. Pyplot's figures are
    closed once shown. Nothing is imported: without matplotlib there is no figure.
    """
    if "matplotlib.figure" not in sys.modules:
        return []
    from matplotlib.figure import Figure

    from dlfs.book.style import to_svg

    figures = [v for v in namespace.values() if isinstance(v, Figure) and v.stale]
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        figures += [plt.figure(n) for n in plt.get_fignums()]
    unique = list({id(f): f for f in figures}.values())
    svgs = []
    for figure in unique:
        svgs.append(to_svg(figure).decode("utf-8"))
        figure.stale = False  # savefig's tight bounding box leaves it stale: it has been shown
    if plt is not None:
        plt.close("all")
    return svgs


def check_page(text: str, path: str = "page.md", progress: Progress = _quiet) -> dict[str, Any]:
    """Every example of a page, in a fresh namespace, as CI runs them.

    Returns
    -------
    dict
        ``total``, ``passed`` (skipped examples count as passed, as in
        pytest's count of a page), ``failed``, ``seconds``, and
        ``results``: for each example its line, status and seconds, what a
        doctest printed (``got``), and the message of each one that failed.
    """
    examples = list(parse_page(text, path).examples())
    start = time.perf_counter()
    results = []
    for n, example in enumerate(examples):
        progress({"phase": "check", "done": n, "total": len(examples), "line": example.line,
                  "elapsed": time.perf_counter() - start})
        result = evaluate(example)
        keep = ("line", "status", "seconds") + (("got",) if "got" in result else ()) + (
            ("message", "stdout") if result["status"] in ("fail", "error") else ())
        results.append({k: result[k] for k in keep})
    failed = sum(r["status"] in ("fail", "error") for r in results)
    return {"path": path, "total": len(results), "passed": len(results) - failed, "failed": failed,
            "seconds": time.perf_counter() - start, "results": results}


def main(argv: list[str] | None = None) -> int:
    """``python -m dlfs.site.runner docs/<page>.md ...``: check pages as CI does, fast, while you write.

    Results the pages share are read from ``$DLFS_BOOK_CACHE`` when it is set
    (the build's cache, ``.cache/dlfs-book``, is a good choice), so a second
    check of a page that trains a network takes seconds. Prints each failure
    with its message and one line per page; exits 1 if any example failed.
    """
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m dlfs.site.runner", description=(main.__doc__ or "").split("\n")[0])
    parser.add_argument("pages", nargs="+", type=Path, help="Markdown pages, e.g. docs/learning.md")
    args = parser.parse_args(argv)
    failed = 0
    for page in args.pages:
        if not page.is_file():
            print(f"{parser.prog}: no such page: {page}", file=sys.stderr)
            return 2
        result = check_page(page.read_text(encoding="utf-8"), str(page))
        for r in result["results"]:
            if r["status"] in ("fail", "error"):
                print(f"{page}:{r['line']}: {r['status']}\n{r['message']}")
        print(f"{page}: {result['passed']} of {result['total']} pass ({result['seconds']:.1f} s)")
        failed += result["failed"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
