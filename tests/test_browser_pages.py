"""What a learner sees of a page in Chromium, offline, on a phone (375 px) and a desktop (issue 18:
items 4, 5, 7, 8 and 9): the chapter's top, sizes to read and to touch, Korean marked as Korean,
search, downloads. The built site is served from 127.0.0.1; a request anywhere else fails the test.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit

import pytest

from tests.test_browser_run import LOAD, edit
from tests.test_browser_run import reader as browser_reader

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
READY = "document.documentElement.hasAttribute('data-dlfs-ready')"


@contextlib.contextmanager
def reader(chromium, server: str, path: str, viewport: dict, **options):
    """A fresh context on `path` at `viewport` (test_browser_run.reader), run.js ready if it runs; yields the page."""
    with browser_reader(chromium, server, path, viewport=viewport, **options) as (page, _requests):
        if options.get("java_script_enabled", True) and page.locator("[data-dlfs-page]").count():
            page.wait_for_function(READY)
        yield page


# the first element of the article below the title that a reader sees, and its text
FIRST_SEEN_JS = """() => {
  const h1 = document.querySelector("article h1");
  for (let e = h1.nextElementSibling; e; e = e.nextElementSibling) {
    const box = e.getBoundingClientRect();
    if (box.height > 0 && getComputedStyle(e).visibility !== "hidden")
      return {tag: e.tagName, cls: e.className, text: e.innerText.trim(), top: box.top};
  }
  return null;
}"""


@pytest.mark.parametrize("path", ["numerical-diff/", "backprop/", "autograd/", ""])
def test_a_chapter_opens_with_the_learners_line_and_folds_the_check(chromium, server, path: str) -> None:
    with reader(chromium, server, path, PHONE) as page:
        first = page.evaluate(FIRST_SEEN_JS)
        assert first["tag"] == "P" and "dlfs-lead" in first["cls"], first
        assert re.fullmatch(r"Every example on this page runs in your browser: press Run under one, or Edit it "
                            r"and run your own version\. The first Run starts Python, a download of about \d+ MB "
                            r"the first time\.", first["text"]), first["text"]
        assert first["top"] < PHONE["height"] / 2, "on the first screen of a phone"
        check = page.locator("[data-dlfs-check]")
        assert check.count() == 1 and not check.is_visible(), "Check this page is folded away"
        assert not page.get_by_text("Not verified by this build").is_visible()
        page.locator("details.dlfs-about > summary").click()
        assert check.is_visible()
        if path:  # a chapter: its stamp; the home page has none
            assert page.locator(".dlfs-stamp").is_visible()


def test_without_javascript_there_is_no_learners_line(chromium, server) -> None:
    """The line promises Run buttons: without JavaScript there are none, and it is not shown."""
    with reader(chromium, server, "numerical-diff/", PHONE, java_script_enabled=False) as page:
        assert page.locator("[data-dlfs-lead]").count() == 1
        assert not page.locator("[data-dlfs-lead]").is_visible()


SIZES_JS = """() => {
  const px = (e, p) => parseFloat(getComputedStyle(e)[p]);
  const boxed = [...document.querySelectorAll("article .admonition code, article details code")];
  const buttons = [...document.querySelectorAll("[data-dlfs-run], [data-dlfs-edit]")].slice(0, 6);
  return {
    boxedCode: boxed.length ? Math.min(...boxed.map((e) => px(e, "fontSize"))) : null,
    boxedCount: boxed.length,
    buttonHeights: buttons.map((b) => b.getBoundingClientRect().height),
    buttonWidths: buttons.map((b) => b.getBoundingClientRect().width),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
}"""


@pytest.mark.parametrize("width", [PHONE["width"], DESKTOP["width"]])
def test_code_in_pitfalls_and_solutions_reads_as_large_as_code_in_the_text(chromium, server, width: int) -> None:
    with reader(chromium, server, "backprop/", {"width": width, "height": 800}) as page:
        sizes = page.evaluate(SIZES_JS)
        assert sizes["boxedCount"] > 20
        assert sizes["boxedCode"] >= 13, sizes


def test_run_and_edit_are_touch_targets_on_a_phone(chromium, server) -> None:
    with reader(chromium, server, "backprop/", PHONE, has_touch=True, is_mobile=True) as page:
        sizes = page.evaluate(SIZES_JS)
        assert len(sizes["buttonHeights"]) == 6
        assert min(sizes["buttonHeights"]) >= 36 and min(sizes["buttonWidths"]) >= 44, sizes


TABLE_JS = """() => [...document.querySelectorAll("article table code")].map((c) => c.getClientRects().length)"""


@pytest.mark.parametrize("path", ["", "numerical-diff/", "backprop/"])
def test_nothing_is_wider_than_a_phone(chromium, server, path: str) -> None:
    with reader(chromium, server, path, PHONE) as page:
        assert page.evaluate(SIZES_JS)["overflow"] <= 0
        if path == "":  # the chapter table: each identifier on one line, the table scrolls in its frame
            lines = page.evaluate(TABLE_JS)
            assert len(lines) > 20 and set(lines) == {1}, lines


def test_a_traceback_wraps_on_a_phone(chromium, server) -> None:
    with reader(chromium, server, "numerical-diff/", PHONE) as page:
        box = page.locator("[data-dlfs-example]").first
        edit(box, "print(numerical_diff_with_a_name_far_too_long_to_fit_on_the_narrow_screen_of_a_phone)")
        box.locator("[data-dlfs-run]").click()
        page.wait_for_function("b => b.hasAttribute('data-dlfs-status')", arg=box.element_handle(), timeout=LOAD)
        assert box.get_attribute("data-dlfs-status") == "error"
        pre = box.locator(".dlfs-output pre").last
        assert "NameError" in pre.inner_text()
        assert 'File "your code", line 1' in pre.inner_text(), "the editor's line, not the page's Markdown's"
        width = pre.evaluate("p => ({scroll: p.scrollWidth, client: p.clientWidth, "
                             "right: p.getBoundingClientRect().right})")
        assert width["scroll"] <= width["client"] + 1 and width["right"] <= PHONE["width"], width
        assert page.evaluate(SIZES_JS)["overflow"] <= 0


def test_stop_names_what_it_stops(chromium, server) -> None:
    with reader(chromium, server, "numerical-diff/", DESKTOP) as page:
        for box in page.locator("[data-dlfs-example]").all()[:3]:
            run = box.locator("[data-dlfs-run]").get_attribute("aria-label")
            stop = box.locator("[data-dlfs-stop]").get_attribute("aria-label")
            assert run.startswith("Run ") and stop == "Stop " + run.removeprefix("Run "), (run, stop)
        assert page.locator(".dlfs-check [data-dlfs-stop]").get_attribute("aria-label") == "Stop checking this page"


def test_korean_is_read_as_korean(chromium, server) -> None:
    with reader(chromium, server, "gradients/", DESKTOP) as page:
        langs = page.evaluate("""() => {
          const walker = document.createTreeWalker(document.querySelector("article"), NodeFilter.SHOW_TEXT);
          const out = [];
          for (let n = walker.nextNode(); n; n = walker.nextNode())
            if (/[\\uac00-\\ud7a3]/.test(n.data) && !n.parentElement.closest("pre, code"))
              out.push(n.parentElement.closest("[lang]").getAttribute("lang"));
          return out;
        }""")
        assert len(langs) >= 5 and set(langs) == {"ko"}, langs


# "기울기" is written "(기울기)" where chapter 2 introduces it, and "(기울기 확인)" in chapter 6
@pytest.mark.parametrize("query, found", [("기울기", ["gradients/", "gradient-check/"]), ("softmax", ["learning/"])])
def test_search_finds_korean_terms_and_shows_formulas_as_text(chromium, server, query: str, found: list) -> None:
    with reader(chromium, server, "", DESKTOP) as page:
        field = page.locator("input.md-search__input")
        field.click()
        field.fill(query)
        field.press("End")  # Material searches on key events
        results = page.locator(".md-search-result__item")
        results.first.wait_for(timeout=30_000)
        links = [a.get_attribute("href") for a in page.locator("a.md-search-result__link").all()]
        pages = {urlsplit(href).path for href in links}
        assert all(f"/{page}" in pages for page in found), pages
        text = page.locator(".md-search-result").inner_text()
        assert not re.search(r"\\\(|\\\[|\\(frac|partial)\b", text), text[:500]


# the contrast of an element's text with the opaque background behind it (WCAG 2), its colour blended in first
CONTRAST_JS = """e => {
  const rgba = (s) => { const v = s.match(/[\\d.]+/g).map(Number); return v.length === 3 ? [...v, 1] : v; };
  let bg = null;
  for (let n = e; n && !bg; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    if (c[3] === 1) bg = c;
  }
  bg = bg || rgba(getComputedStyle(document.body).backgroundColor);
  const fg = rgba(getComputedStyle(e).color);
  const mix = fg.slice(0, 3).map((x, i) => x * fg[3] + bg[i] * (1 - fg[3]));
  const lum = (c) => c.map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; })
                      .reduce((s, x, i) => s + x * [0.2126, 0.7152, 0.0722][i], 0);
  const [hi, lo] = [lum(mix), lum(bg.slice(0, 3))].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_the_notebook_button_reads_at_4_5_to_1(chromium, server, scheme: str) -> None:
    """Material greys its page buttons to 2.2:1; the chapter's Notebook is a link to read, light and dark."""
    with reader(chromium, server, "gradients/", DESKTOP) as page:
        if scheme == "slate":  # as the palette toggle leaves it: Material reads it on load
            page.evaluate("() => localStorage.setItem('/.__palette', JSON.stringify({index: 1, color: "
                          "{scheme: 'slate', primary: 'indigo', accent: 'indigo'}}))")
            page.reload()
        assert page.evaluate("() => document.body.dataset.mdColorScheme") == scheme
        link = page.locator(".dlfs-downloads a[data-dlfs-download='ipynb']")
        assert link.evaluate(CONTRAST_JS) >= 4.5


def test_the_chapter_notebook_is_at_the_top_and_there_is_no_pdf_to_miss(chromium, server) -> None:
    with reader(chromium, server, "gradients/", PHONE) as page:
        link = page.locator(".dlfs-downloads a[data-dlfs-download='ipynb']")
        assert link.is_visible() and link.inner_text().strip() == "Notebook"
        assert link.bounding_box()["y"] < page.locator("article h1").bounding_box()["y"] + 60
        assert page.request.get(server + "gradients/" + link.get_attribute("href")).ok
        assert page.locator("a[href$='dlfs.pdf']").count() == 0, "a local build has no PDF: no link to one"
