"""Each chapter's notebook (dlfs.site.notebooks): the page's examples in order, its exercises, and one run for real."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import nbformat
import pytest

from dlfs.book import PAGES
from dlfs.exercises import EXERCISES
from dlfs.site.examples import parse_page, runnable_blocks
from dlfs.site.notebooks import RAISES, chapter_notebook
from dlfs.site.runner import source
from tests.conftest import require_real_mnist

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r"^[ \t]*<!-- exercise: ([\w-]+) -->", re.MULTILINE)


def text_of(page: str) -> str:
    return (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")


def split(page: str):
    """The notebook's code cells: those of the page's blocks, and those of its exercises."""
    cells = [c for c in chapter_notebook(text_of(page), page).cells if c.cell_type == "code"]
    starters = {EXERCISES[i].starter.rstrip("\n") for i in DIRECTIVE.findall(text_of(page))}
    exercise = [c.source for c in cells
                if c.source in starters or c.source.startswith(("check(", "from dlfs.exercises"))]
    return [c.source for c in cells if c.source not in exercise], exercise


@pytest.mark.parametrize("page", PAGES)
def test_the_code_cells_are_the_pages_examples_in_order(page: str) -> None:
    text = text_of(page)
    examples = list(parse_page(text).examples())
    statements = [source(ex).rstrip("\n") for ex in examples if source(ex)]
    code, _ = split(page)
    assert "\n".join(c.removeprefix(RAISES) for c in code) == "\n".join(statements)
    assert len(code) >= len(runnable_blocks(text)) > 0
    raising = [ex for ex in examples if getattr(ex.parsed, "exc_msg", None)]
    assert sum(c.startswith(RAISES) for c in code) == len(raising)


@pytest.mark.parametrize("page", PAGES)
def test_each_exercise_is_its_starter_then_a_check(page: str) -> None:
    ids = DIRECTIVE.findall(text_of(page))
    _, cells = split(page)
    if not ids:
        assert cells == []
        return
    assert cells[0] == "from dlfs.exercises import check"
    assert cells[1::2] == [EXERCISES[i].starter.rstrip("\n") for i in ids]
    assert [c.split(",")[0] for c in cells[2::2]] == [f'check("{i}"' for i in ids]


@pytest.mark.parametrize("page", PAGES)
def test_an_exercises_statement_says_its_heading_and_what_to_write_once(page: str) -> None:
    cells = chapter_notebook(text_of(page), page).cells
    for before, cell in itertools.pairwise(cells):
        if cell.cell_type == "markdown" and before.cell_type == "markdown" and before.source.startswith("#"):
            assert not cell.source.startswith(before.source), f"{page}: {before.source!r} twice"
    sources = [c.source for c in cells]
    for exercise in (EXERCISES[i] for i in DIRECTIVE.findall(text_of(page))):
        statement = sources[sources.index(exercise.starter.rstrip("\n")) - 1]
        assert statement.count(f"Write `{exercise.signature}`") == 1, statement


def test_the_same_page_gives_the_same_notebook() -> None:
    first, second = (nbformat.writes(chapter_notebook(text_of("gradients"), "gradients")) for _ in range(2))
    assert first == second


def test_a_chapters_notebook_runs_with_the_reference_solutions(tmp_path: Path) -> None:
    """CI runs one chapter's notebook in a fresh kernel, the reference solutions in place of the starters:
    every cell runs, and every exercise's check passes."""
    require_real_mnist()
    from nbclient import NotebookClient

    page = "gradients"
    notebook = chapter_notebook(text_of(page), page)
    solutions = {EXERCISES[i].starter.rstrip("\n"): EXERCISES[i].solution for i in DIRECTIVE.findall(text_of(page))}
    assert solutions, f"{page} has exercises"
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source in solutions:
            cell.source = solutions[cell.source]
    NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("check(")]
    shown = ["".join(o.get("data", {}).get("text/plain", "") for o in c.outputs) for c in checks]
    assert len(shown) == len(solutions) and all(s.startswith("✓") for s in shown), shown


def test_the_site_offers_each_chapters_notebook(built_site) -> None:
    for page in PAGES:
        path = built_site.path / page / f"{page}.ipynb"
        assert nbformat.reads(path.read_text(encoding="utf-8"), as_version=4).cells, page
        html = (built_site.path / page / "index.html").read_text(encoding="utf-8")
        assert f'href="{page}.ipynb"' in html, page
