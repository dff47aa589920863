"""The build's own checks of its pages (docs/hooks/checks.py) and what docs/hooks/reading.py does
to them: Markdown source never reaches a reader as text, no page links a file the build did not
write, Korean is marked as Korean, and search finds Korean terms and shows formulas as text.

Small MkDocs projects in a temporary folder, with only the hook under test, show that a strict
build fails; the tests of the whole built site are in test_docs_site.py.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "docs" / "hooks"


def hook(name: str):
    spec = importlib.util.spec_from_file_location(f"dlfs_test_hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checks, reading = hook("checks"), hook("reading")


# --------------------------------------------------------------- Markdown source shown as text

def test_a_fence_a_prompt_and_quoted_prompts_outside_code_are_each_found() -> None:
    assert checks.source_shown_as_text('<p>```python {data-dlfs-block="1-3"}</p>') == [
        "a code fence shown as text: '```python {data-dlfs-block=\"1-3\"}'"]
    assert checks.source_shown_as_text("<p>&gt;&gt;&gt; x = 1</p>") == ["a >>> prompt shown as text: '>>> x = 1'"]
    quoted = "<blockquote><blockquote><blockquote><p>x = 1</p></blockquote></blockquote></blockquote>"
    assert checks.source_shown_as_text(quoted) == [
        "three quotes nested in one another: a >>> prompt line rendered as Markdown"]


def test_code_and_prose_about_prompts_are_left_alone() -> None:
    fine = ('<pre><code>&gt;&gt;&gt; x = 1\n```</code></pre><p>a block starts with <code>&gt;&gt;&gt;</code> '
            "and a fence is <code>```</code>; the prompt &gt;&gt;&gt; in a sentence</p>"
            "<script>const s = '```';</script><blockquote><blockquote><p>quoted twice</p></blockquote></blockquote>"
            "<p>after <br> a break</p>")
    assert checks.source_shown_as_text(fine) == []


def mini_site(tmp_path: Path, page: str, hooks: list[str]) -> Path:
    """A MkDocs project of one page with only `hooks` from docs/hooks/: its folder."""
    (tmp_path / "docs").mkdir(parents=True)
    (tmp_path / "docs" / "index.md").write_text(page, encoding="utf-8")
    config = {"site_name": "t", "strict": True, "theme": {"name": "mkdocs"}, "plugins": [],
              "hooks": [str(HOOKS / f"{name}.py") for name in hooks],
              "markdown_extensions": ["admonition", "attr_list", "md_in_html", "pymdownx.details",
                                      "pymdownx.superfences"]}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return tmp_path


def build(folder: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "DLFS_PDF"} | env | {"NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict"], cwd=folder,
                          env=environ, capture_output=True, text=True, timeout=300)


# the fault of chapter 5's Tanh solution: a fence on a list item's first line, inside a box
BROKEN = """# Page

??? note "Solutions"

    2. ```python
       >>> class Tanh:
       ...     def __init__(self):
       ...         self.out = None
       ```
"""
FIXED = BROKEN.replace("    2. ```python\n", "    2. The layer:\n\n       ```python\n")


def test_a_strict_build_fails_on_a_fence_shown_as_text(tmp_path: Path) -> None:
    result = build(mini_site(tmp_path / "broken", BROKEN, ["checks"]))
    assert result.returncode != 0
    assert "index.md: a code fence shown as text: '```python" in result.stderr
    assert "Aborted with" in result.stdout + result.stderr
    fixed = build(mini_site(tmp_path / "fixed", FIXED, ["checks"]))
    assert fixed.returncode == 0, fixed.stderr
    assert "<code>" in (tmp_path / "fixed" / "site" / "index.html").read_text(encoding="utf-8")


def test_a_strict_build_fails_on_a_link_to_a_file_it_did_not_write(tmp_path: Path) -> None:
    page = ('# Page\n\n<a href="dlfs.pdf">PDF</a> <img src="nothing.svg" alt="">\n\n'
            '[this](#page) <a href="./">home</a>\n')
    result = build(mini_site(tmp_path / "a", page, ["checks"]))
    assert result.returncode != 0
    assert "a link to a file the build did not write: index.html: dlfs.pdf" in result.stderr
    assert "a link to a file the build did not write: index.html: nothing.svg" in result.stderr
    assert "index.html: #page" not in result.stderr and "index.html: ./" not in result.stderr
    # DLFS_PDF: `make pdf` prints dlfs.pdf into the site after the build; the other is still missing
    result = build(mini_site(tmp_path / "b", page, ["checks"]), DLFS_PDF="1")
    assert result.returncode != 0
    assert "dlfs.pdf" not in result.stderr and "index.html: nothing.svg" in result.stderr
    ok = build(mini_site(tmp_path / "c", page.replace(' <img src="nothing.svg" alt="">', ""), ["checks"]),
               DLFS_PDF="1")
    assert ok.returncode == 0, ok.stderr


# ------------------------------------------------------------------------------- Korean, search

def test_hangul_in_prose_is_marked_korean_and_code_and_math_are_not() -> None:
    html = ('<p>the gradient (기울기), "딥러닝\n기초 - 역전파 알고리즘(1)" and \\(x\\) 수치 미분</p>'
            '<pre><code>x = "기울기"</code></pre><span class="arithmatex">\\(\\text{기울기}\\)</span>')
    assert reading.mark_korean(html) == (
        '<p>the gradient (<span lang="ko">기울기</span>), "<span lang="ko">딥러닝\n기초 - 역전파 알고리즘</span>(1)" '
        'and \\(x\\) <span lang="ko">수치 미분</span></p>'
        '<pre><code>x = "기울기"</code></pre><span class="arithmatex">\\(\\text{기울기}\\)</span>')


def test_search_text_shows_formulas_as_text() -> None:
    text = ("the gradient of \\(f(x_0, x_1) = x_0^2 + x_1^2\\) is \\(\\partial f / \\partial x_0\\); "
            "\\[ W \\leftarrow W - \\eta\\,\\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon} . \\] and \\(\\tfrac12\\); "
            "a caption's $\\partial L / \\partial W_l$ costs $5, or $6")
    assert reading.plain_search_text(text) == (
        "the gradient of f(x_0, x_1) = x_0^2 + x_1^2 is ∂f / ∂x_0; W ← W - η (m)/(√(v) + ε) . and 1/2; "
        "a caption's ∂L / ∂W_l costs $5, or $6")


def search_separator() -> re.Pattern[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    plugins = yaml.safe_load(text[text.index("\nplugins:"):text.index("\nextra:")])["plugins"]
    search = next(p["search"] for p in plugins if isinstance(p, dict) and "search" in p)
    return re.compile(search["separator"])


@pytest.mark.parametrize("written, word", [("(기울기)", "기울기"), ("(경사 하강법)", "하강법"),
                                           ("[Sources](index.md#sources)", "Sources"), ("x_0,", "x_0")])
def test_the_search_separator_cuts_brackets_and_punctuation_off_words(written: str, word: str) -> None:
    """lunr splits the index and the query with this pattern: "(기울기)" must give "기울기"."""
    assert word in [w for w in search_separator().split(written) if w]


def test_the_search_separator_keeps_numbers_whole() -> None:
    assert [w for w in search_separator().split("lr 0.01 and 1e-8.") if w] == ["lr", "0.01", "and", "1e", "8"]


def test_paths_from_the_hosts_root_are_read_under_the_sites_own_path(tmp_path: Path) -> None:
    """With site_url https://host/book/, the 404 page links /book/assets/...: a file of the site."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.css").write_text("", encoding="utf-8")
    (tmp_path / "404.html").write_text('<link href="/book/assets/a.css"><a href="/book/">home</a>'
                                       '<a href="/other/x.html">x</a><img src="/book/b.png">', encoding="utf-8")
    (tmp_path / "index.html").write_text("", encoding="utf-8")
    assert checks.missing_targets(tmp_path, pdf=False, root="/book/") == ["404.html: /other/x.html",
                                                                          "404.html: /book/b.png"]
    assert checks.missing_targets(tmp_path, pdf=False) == [
        "404.html: /book/assets/a.css", "404.html: /book/", "404.html: /other/x.html", "404.html: /book/b.png"]
