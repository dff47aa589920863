"""A real browser reads the built site with no network: math typeset, figures loaded.

Headless Chromium (Debian's ``chromium`` package, driven by Playwright for
Python; never ``playwright install``) opens a chapter and the notebook page
from a local HTTP server on 127.0.0.1. Every request is recorded; any that
would leave 127.0.0.1 is refused and fails the test. Screenshots are kept in
``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
# the pages opened: a chapter with math and figures, and the notebook
PAGES = {
    "chapter": "gradients/",
    "notebook": "notebooks/mnist-training/",
}

# Text left untypeset: a delimiter, an inline $...$, or a LaTeX command outside KaTeX's output.
RAW_MATH = re.compile(
    r"\$\$|\$[^\s$][^$\n]*\$|\\(frac|partial|nabla|sum|left|right|begin|mathrm|cdot|approx|sqrt)\b|\\\(|\\\["
)

VISIBLE_TEXT_JS = """() => {
  const body = document.querySelector("article") || document.body;
  const copy = body.cloneNode(true);
  copy.querySelectorAll(".katex, pre, code, script, style, .jp-OutputArea-output").forEach(e => e.remove());
  return copy.textContent;
}"""
IMAGES_JS = """() => Array.from(document.images).map(img => ({
  src: img.getAttribute("src"), complete: img.complete, width: img.naturalWidth,
}))"""


def notebook_has_math() -> bool:
    """Whether the notebook's Markdown cells hold $...$ or $$...$$ math."""
    import jupytext

    notebook = jupytext.read(ROOT / "docs" / "notebooks" / "mnist-training.py")
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return re.search(r"\$[^$\s][^$]*\$", text) is not None


@contextlib.contextmanager
def visit(chromium, url: str, base: str, scheme: str = "light"):
    """Open `url` in a fresh context, refusing any request that leaves `base`.

    Yields the page and a log: the URLs it requested, those refused, its errors.
    """
    log = {"requests": [], "refused": [], "errors": []}

    def route(r):
        if r.request.url.startswith((base, "data:", "blob:")):
            r.continue_()
        else:
            log["refused"].append(r.request.url)
            r.abort()

    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme=scheme, service_workers="block",
    )
    try:
        page = context.new_page()
        page.route("**/*", route)
        page.on("request", lambda req: log["requests"].append(req.url))
        page.on("pageerror", lambda exc: log["errors"].append(str(exc)))
        page.on("console", lambda msg: log["errors"].append(msg.text) if msg.type == "error" else None)
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        yield page, log
    finally:
        context.close()


def assert_stayed_home(log: dict, base: str) -> None:
    left = [u for u in log["requests"] if not u.startswith((base, "data:", "blob:"))]
    assert not log["refused"] and not left, f"requests left 127.0.0.1: {log['refused'] + left}"
    assert not log["errors"], f"errors in the page: {log['errors']}"


@pytest.mark.parametrize("kind", PAGES)
def test_page_reads_offline_with_math_and_figures(chromium, server, kind: str) -> None:
    url = server + PAGES[kind]
    with visit(chromium, url, server) as (page, log):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{kind}-light.png"), full_page=True)
        assert_stayed_home(log, server)

        has_math = kind == "chapter" or notebook_has_math()
        if has_math:
            assert page.locator(".katex").count() > 0, "no math was typeset"
        assert page.locator(".katex-error").count() == 0, "KaTeX could not parse some math"
        raw = RAW_MATH.findall(page.evaluate(VISIBLE_TEXT_JS))
        assert not raw, f"untypeset math left in the text: {raw[:5]}"

        images = page.evaluate(IMAGES_JS)
        if kind == "chapter":
            assert any("figures/" in (i["src"] or "") for i in images), "the chapter shows no figure"
            page.locator("figure").first.screenshot(path=str(ARTIFACTS / "chapter-figure-light.png"))
        broken = [i["src"] for i in images if not (i["complete"] and i["width"] > 0)]
        assert not broken, f"images that did not load: {broken}"

        if kind == "notebook":
            button = page.locator('a[download="mnist-training.py"]')
            assert button.count() == 1, "no download button"
            response = page.request.get(url + button.get_attribute("href"))
            assert response.ok and b"# %%" in response.body()


def test_dark_scheme_renders(chromium, server) -> None:
    """The slate scheme works too (a screenshot to look at: figures sit on white cards)."""
    with visit(chromium, server + PAGES["chapter"], server, scheme="dark") as (page, log):
        assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == "slate"
        figure = page.locator("figure").first
        if figure.count():
            figure.scroll_into_view_if_needed()
            page.wait_for_timeout(500)  # let the header finish its title swap
        page.screenshot(path=str(ARTIFACTS / "chapter-dark.png"))
        assert_stayed_home(log, server)
