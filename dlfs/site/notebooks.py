"""Each chapter as a Jupyter notebook: its examples in page order, its exercises to fill in and check.

The build writes one per chapter (``docs/hooks/chapter_notebooks.py``), a
download beside the page. Cells, in the page's order:

- a heading cell for each heading of the page, outside code;
- one code cell per runnable block, holding what Sybil runs (a doctest's
  statements without prompts or expected output), so running the notebook
  top to bottom runs what the tests run;
- for each exercise (``<!-- exercise: id -->``): its statement (the page's
  prose under the exercise's heading), the starter code, and a cell that
  calls ``check``.

>>> page = "# A chapter\\n\\nProse.\\n\\n```python\\n>>> x = 6\\n>>> print(x * 7)\\n42\\n```\\n"
>>> notebook = chapter_notebook(page, "a-chapter")
>>> [(cell.cell_type, cell.source) for cell in notebook.cells[1:]]
[('markdown', '# A chapter'), ('code', 'x = 6\\nprint(x * 7)')]
"""

from __future__ import annotations

import re
from typing import Any

from dlfs.site.examples import parse_page, runnable_blocks
from dlfs.site.runner import source

EXERCISE = re.compile(r"^[ \t]*<!-- exercise: (?P<id>[\w-]+) -->[ \t]*$")
HEADING = re.compile(r"^(#{1,4}) (.*)$")


def _code_lines(text: str) -> set[int]:
    """The lines (1-based) inside any fenced block, runnable or not: no heading is read there."""
    inside, fenced, fence = set(), False, ""
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not fenced and stripped.startswith(("```", "~~~")):
            fenced, fence = True, stripped[:3]
            inside.add(n)
        elif fenced:
            inside.add(n)
            if stripped.startswith(fence):
                fenced = False
    return inside


def _statement(lines: list[str], directive: int) -> str:
    """The prose of an exercise: from under its heading (a cell of its own) down to the directive line (0-based)."""
    start = directive
    while start > 0 and not HEADING.match(lines[start - 1]):
        start -= 1
    return "\n".join(lines[start:directive]).strip()


RAISES = "# raises an error on purpose, as the page shows\n"


def _cells_of_block(examples: list[Any]) -> list[str]:
    """One block's code, as cells: a statement whose doctest expects an error gets a cell of its own
    (marked, and tagged ``raises-exception`` below), so the statements after it still run."""
    cells: list[str] = []
    current: list[str] = []
    for example in examples:
        code = source(example).rstrip("\n")
        if not code:
            continue
        if getattr(example.parsed, "exc_msg", None):
            cells += ["\n".join(current)] if current else []
            cells.append(RAISES + code)
            current = []
        else:
            current.append(code)
    return cells + (["\n".join(current)] if current else [])


def chapter_notebook(text: str, page: str) -> Any:
    """The notebook of the chapter whose Markdown is `text` (``page`` is its slug: ``"gradients"``)."""
    import nbformat

    from dlfs.exercises import EXERCISES

    lines = text.splitlines()
    code = _code_lines(text)
    examples = list(parse_page(text, f"docs/{page}.md").examples())
    items: list[tuple[int, str, str]] = []  # (line, kind, source), sorted by line
    for first, last in runnable_blocks(text):
        for cell in _cells_of_block([ex for ex in examples if first <= ex.line <= last]):
            items.append((first, "code", cell))
    checked = False
    for n, line in enumerate(lines, 1):
        heading = HEADING.match(line)
        if heading and n not in code:
            items.append((n, "markdown", line.strip()))
        exercise = EXERCISE.match(line)
        if exercise and n not in code:
            ex = EXERCISES[exercise["id"]]
            if not checked:
                items.append((n, "code", "from dlfs.exercises import check"))
                checked = True
            statement = _statement(lines, n - 1)
            if f"Write `{ex.signature}`" not in statement:  # say what to write, once
                statement = f"{statement}\n\nWrite `{ex.signature}`.".strip()
            items.append((n, "markdown", statement))
            items.append((n, "code", ex.starter.rstrip("\n")))
            pieces = ex.extra.get("pieces")
            answer = "{" + ", ".join(f'"{p}": {p}' for p in pieces) + "}" if pieces else ex.name
            items.append((n, "code", f'check("{ex.id}", {answer})'))
    items.sort(key=lambda item: item[0])  # stable: an exercise's cells keep their order
    cells = [nbformat.v4.new_markdown_cell(
        f"*This notebook is the chapter `docs/{page}.md` of the book, generated when the site was "
        f"built: each code cell is one runnable block of the page, in the page's order, and the "
        f"exercises ask you to write the code, then `check` it. It needs `dlfs` installed "
        f"(`pip install -e .` in the repository) and, for chapters that read MNIST, `DLFS_DATA` "
        f"pointing at a folder with `mnist/` in it (or a network: `load_mnist` downloads it).*")]
    for _, kind, body in items:
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(body))
        else:
            cell = nbformat.v4.new_code_cell(body)
            if body.startswith(RAISES):  # nbclient and Jupyter run on past a cell tagged so
                cell.metadata["tags"] = ["raises-exception"]
            cells.append(cell)
    for n, cell in enumerate(cells):
        cell["id"] = f"{page}-{n}"  # the same bytes for the same page, build after build
    return nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})


def notebook_text(text: str, page: str) -> str:
    """`chapter_notebook` as the ``.ipynb`` file's text."""
    import nbformat

    return nbformat.writes(chapter_notebook(text, page))
