"""Every runnable block of every page is collected by Sybil, and none is skipped quietly.

The Markdown is read here with a parser of its own (not Sybil's), so a page
whose examples Sybil stopped collecting (a renamed fence, a broken pattern in
conftest.py) fails here instead of passing with nothing run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in DOCS.rglob("*.md")) + ["README.md"]
CHAPTERS = [
    "docs/numerical-diff.md", "docs/gradients.md", "docs/gradient-descent.md",
    "docs/learning.md", "docs/backprop.md", "docs/gradient-check.md", "docs/training.md",
    "docs/making-training-work.md", "docs/optimizers-and-regularization.md",
    "docs/autograd.md",
]  # the pages with a module of their own in dlfs/book/ (dlfs.book.PAGES), in reading order
# Each chapter must keep at least this many runnable examples (a doctest block
# counts one per `>>>` statement): a page can shrink only on purpose.
MIN_EXAMPLES = 10

OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
PYTHONISH = re.compile(r"^\{?\.?(py|pycon|python\d?|ipython\d?|pytb)\b", re.IGNORECASE)
SKIP = re.compile(r"<!--\s*skip\s*:\s*(?P<args>.*?)\s*-->", re.DOTALL)


@dataclass
class Fence:
    start: int  # line of the opening fence, 1-based
    end: int  # line of the closing fence
    info: str
    body: str


def fences(text: str) -> list[Fence]:
    """The fenced code blocks of a Markdown text, indented ones (in admonitions) too."""
    found, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m["indent"].expandtabs()), m["fence"]
        for j in range(i + 1, len(lines)):
            c = OPEN.match(lines[j])
            if (c and not c["info"].strip() and c["fence"][0] == fence[0]
                    and len(c["fence"]) >= len(fence) and len(c["indent"].expandtabs()) == indent):
                break
        else:
            j = len(lines)
        body = "\n".join(line[indent:] for line in lines[i + 1:j])
        found.append(Fence(i + 1, j + 1, m["info"].strip(), body))
        i = j + 1
    return found


def collected_lines(request: pytest.FixtureRequest, page: str) -> list[int]:
    """Lines where Sybil's examples start on `page`, skip directives left out."""
    conftest = request.config.pluginmanager.get_plugin(str(ROOT / "conftest.py"))
    document = conftest.PAGES.parse(ROOT / page)
    return [example.line for example in document
            if type(example.region.evaluator).__name__ != "Skipper"]


@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_is_collected(request: pytest.FixtureRequest, page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    bare = [f for f in fences(text) if f.info == "python"]
    lines = collected_lines(request, page)
    missed = [f.start for f in bare if not any(f.start <= line < f.end for line in lines)]
    assert not missed, f"{page}: Sybil collects nothing from the ```python blocks at lines {missed}"
    in_blocks = [line for line in lines if any(f.start <= line < f.end for f in bare)]
    assert len(in_blocks) >= len(bare), (page, len(in_blocks), len(bare))


@pytest.mark.parametrize("page", PAGES)
def test_python_fences_are_plain_or_included(page: str) -> None:
    """A Python-looking fence runs only as ```python; any other spelling must show included source."""
    text = (ROOT / page).read_text(encoding="utf-8")
    for f in fences(text):
        if f.info == "python" or not PYTHONISH.match(f.info):
            continue
        assert f.info.startswith("python ") and "--8<--" in f.body, (
            f"{page}:{f.start}: a ```{f.info} block is shown but never run. Use a bare "
            "```python fence; attributes such as title= are for source included from dlfs/ "
            "with --8<-- snippets."
        )


@pytest.mark.parametrize("page", PAGES)
def test_doctest_blocks_start_with_the_prompt(page: str) -> None:
    """A block with a comment before its first `>>>` runs as plain Python and fails confusingly."""
    text = (ROOT / page).read_text(encoding="utf-8")
    for f in fences(text):
        prompts = any(line.lstrip().startswith(">>>") for line in f.body.splitlines())
        if f.info == "python" and prompts:
            assert f.body.startswith(">>>"), (
                f"{page}:{f.start}: a doctest block must start with `>>>` on its first line"
            )


def skips_without_reason(text: str) -> list[int]:
    """Lines of `text` with a Sybil skip directive that gives no reason."""
    bad = []
    for m in SKIP.finditer(text):
        action, _, reason = m["args"].partition(" ")
        if action != "end" and not reason.strip():
            bad.append(text.count("\n", 0, m.start()) + 1)
    return bad


def test_the_skip_checker_flags_a_skip_without_reason() -> None:
    text = 'a\n<!-- skip: next -->\n<!-- skip: next "downloads 11 MB" -->\n<!-- skip: end -->\n'
    assert skips_without_reason(text) == [2]


@pytest.mark.parametrize("page", PAGES)
def test_skips_give_a_reason(page: str) -> None:
    """`<!-- skip: next "why" -->`: the reason shows in pytest's summary."""
    lines = skips_without_reason((ROOT / page).read_text(encoding="utf-8"))
    assert not lines, (
        f"{page}: lines {lines}: `skip` without a reason; write it as "
        '<!-- skip: next "the reason a reader would accept" -->'
    )


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapters_have_examples(request: pytest.FixtureRequest, page: str) -> None:
    assert (ROOT / page).is_file(), f"{page} is missing"
    n = len(collected_lines(request, page))
    assert n >= MIN_EXAMPLES, f"{page} yields {n} examples, fewer than {MIN_EXAMPLES}"


def test_sybil_reads_every_page_and_every_module(request: pytest.FixtureRequest) -> None:
    """conftest.py's patterns reach the top-level pages and the book's modules too."""
    conftest = request.config.pluginmanager.get_plugin(str(ROOT / "conftest.py"))
    for page in PAGES:
        assert conftest.PAGES.should_parse(ROOT / page), page
    modules = sorted((ROOT / "dlfs").rglob("*.py"))
    assert any(m.parent.name == "book" for m in modules)
    for module in modules:
        assert conftest.DOCSTRINGS.should_parse(module), module


def test_every_chapter_has_its_book_module_and_shows_it() -> None:
    """docs/<page>.md <-> dlfs/book/<page>.py: the page shows its module's source and calls it."""
    from dlfs.book import PAGES as BOOK_PAGES

    assert [f"docs/{page}.md" for page in BOOK_PAGES] == CHAPTERS
    for page in BOOK_PAGES:
        module = page.replace("-", "_")
        text = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
        assert (ROOT / "dlfs" / "book" / f"{module}.py").is_file(), page
        assert f'title="dlfs/book/{module}.py"' in text, f"{page} never shows dlfs/book/{module}.py"
        assert f"from dlfs.book.{module} import" in text, f"{page} never calls dlfs.book.{module}"
