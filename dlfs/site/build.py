"""What the site build runs: the figures in worker processes, the notebook in a kernel.

The MkDocs hooks (``docs/hooks/figures.py``, ``docs/hooks/notebooks.py``) are
thin: they call these. Work starts when MkDocs has listed the site's files
and runs while MkDocs renders the pages: the figures in two worker
processes, each with a fixed share (`FIRST_WORKER`); the notebook in its
own kernel. Results the figures, the notebook and the pages
share (the training run, say) are computed once, through the disk cache of
`dlfs.book.cache`; with nothing changed since the last build, nothing is
computed at all.
"""

from __future__ import annotations

import ast
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from dlfs.book import PAGES, draw_svg, figures_of, stored_svg
from dlfs.book.cache import ENV, dependencies, stored

log = logging.getLogger("mkdocs.dlfs")

# Two workers, each with a fixed share, about equal in work: the first trains the book's
# run (float32 MNIST), which the notebook waits for, then draws, in this order, chapters 8-9's
# MNIST runs and one of chapter 5's figures (which evens out the shares with and without
# chapter 8); the second draws every other figure, in page order, from float64 pixels of
# the images each one needs.
FIRST_WORKER = ("training-loss.svg", "training-accuracy.svg", "making-training-work-init-mnist.svg",
                "optimizers-and-regularization-optimizer-mnist.svg", "optimizers-and-regularization-overfitting.svg",
                "backprop-gd-vs-sgd.svg")


def use_disk_cache(root: Path) -> Path:
    """Keep results in ``$DLFS_BOOK_CACHE``, by default ``<root>/.cache/dlfs-book``; return it."""
    folder = Path(os.environ.setdefault(ENV, str(root / ".cache" / "dlfs-book")))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _draw(names: list[str], out_dir: str) -> list[tuple[str, float]]:
    """In a worker: draw (or read from the cache) the figures `names` into `out_dir`."""
    timings = []
    for name in names:
        start = time.perf_counter()
        (Path(out_dir) / name).write_text(draw_svg(name), encoding="utf-8")
        timings.append((name, time.perf_counter() - start))
    return timings


class Figures:
    """Every figure of the book, drawn into `out_dir` while the build goes on."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.names = [name for page in PAGES for name in figures_of(page)]
        self.started = time.perf_counter()
        todo = []
        for name in self.names:
            svg = stored_svg(name)
            if svg is None:
                todo.append(name)
            else:
                (out_dir / name).write_text(svg, encoding="utf-8")
        self.cached = len(self.names) - len(todo)
        shares = [[n for n in FIRST_WORKER if n in todo], [n for n in todo if n not in FIRST_WORKER]]
        # spawn: MkDocs may run threads (mkdocs serve), which fork does not mix with
        context = multiprocessing.get_context("spawn")
        self.pools = [ProcessPoolExecutor(1, mp_context=context) for share in shares if share]
        self.futures: dict[str, Future] = {
            ", ".join(share): pool.submit(_draw, share, str(out_dir))
            for pool, share in zip(self.pools, [s for s in shares if s])}

    def path(self, name: str) -> Path:
        return self.out_dir / name

    def shutdown(self) -> None:
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)

    def wait(self) -> str:
        """Wait for every figure; return a line for the build log. Raises on the first failure."""
        timings: list[tuple[str, float]] = []
        try:
            for names, future in self.futures.items():
                try:
                    timings += future.result()
                except Exception as error:
                    raise RuntimeError(f"drawing the figures {names} failed: {error!r}") from error
        finally:
            self.shutdown()
        slowest = ", ".join(f"{name} {t:.1f} s" for name, t in sorted(timings, key=lambda x: -x[1])[:3])
        return (f"figures: {len(timings)} drawn, {self.cached} from the cache, in "
                f"{time.perf_counter() - self.started:.1f} s" + (f" (slowest: {slowest})" if slowest else ""))


def notebook_modules(code: str) -> tuple[str, ...]:
    """The dlfs modules that `code` imports, and everything they need."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            found.update(dependencies(name))
    return tuple(sorted(found))


def execute_notebook(source: Path, timeout: int = 600) -> str:
    """Run a Jupytext notebook top to bottom in a fresh kernel; return the executed ``.ipynb``.

    Kept in the disk cache, keyed on the notebook's text and on the dlfs
    code it imports. A failing cell raises, naming the cell.
    """
    import jupytext
    import nbformat

    text = source.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="py:percent")
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")

    def run() -> str:
        from nbclient import NotebookClient

        client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=False,
                                resources={"metadata": {"path": str(source.parent)}})
        client.execute()
        return nbformat.writes(notebook)

    modules = notebook_modules(_python_only(code)) or ("dlfs",)
    return stored(f"notebook-{source.stem}", modules, text, run)


def _python_only(code: str) -> str:
    """Code cells without IPython's magics and shell lines, which `ast` cannot read."""
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))


class Notebook:
    """A notebook executed in a thread (its kernel is another process) while the build goes on."""

    def __init__(self, source: Path, out: Path) -> None:
        self.source, self.out = source, out
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, name=f"notebook {source.name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        start = time.perf_counter()
        try:
            self.out.write_text(execute_notebook(self.source), encoding="utf-8")
        except BaseException as error:  # reported by wait(), in the build's thread
            self.error = error
        self.seconds = time.perf_counter() - start

    def wait(self) -> Path:
        self.thread.join()
        if self.error is not None:
            raise RuntimeError(f"notebook {self.source.name} failed: {self.error}") from self.error
        return self.out
