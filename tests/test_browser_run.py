"""A reader runs, edits and checks the examples in the browser, offline (browser/run.js, browser/worker.js).

Headless Chromium (as in test_docs_browser.py) reads the built site from a
server on 127.0.0.1. Every request any page or worker makes is recorded, and
one that would leave 127.0.0.1 is refused and fails the test. Python runs in
the page's Web Worker (Pyodide); each test opens its page afresh, so each
starts a new worker (seconds of CPU each: what one reader does on one page in
one Python is one test). Checking every chapter takes minutes: that test is
marked ``slow``, and its work (tests/browser_check.py) starts in the background
as soon as the site is built, beside the rest of the suite.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

from dlfs.site.examples import parse_page, reading, runnable_blocks
from tests.browser_check import Requests, check, claim, lanes
from tests.conftest import browser_check_results
from tests.test_docs_browser import ARTIFACTS
from tests.verification import results

ROOT = Path(__file__).resolve().parents[1]
LOAD = 180_000  # ms: Python's first start, on a busy machine
CHAPTERS = ["numerical-diff", "gradients", "gradient-descent", "learning", "backprop", "gradient-check",
            "training", "making-training-work", "optimizers-and-regularization",
            "autograd"]


@contextlib.contextmanager
def reader(chromium, server: str, path: str, replace: dict[str, str | bytes] | None = None,
           viewport: dict[str, int] | None = None, **options):
    """A fresh browser context on `path`; yields the page and its requests, and checks none left home."""
    requests = Requests(server, replace)
    context = chromium.new_context(viewport=viewport or {"width": 1280, "height": 900}, service_workers="block",
                                   **options)
    context.route("**/*", requests.route)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(LOAD)
        page.goto(server + path, wait_until="load")
        yield page, requests
    finally:
        context.close()
    assert not requests.refused, f"requests left 127.0.0.1: {requests.refused}"
    assert not errors, f"errors in the page: {errors}"


def run(page, box, timeout: int = LOAD) -> str:
    """Click the example's Run; wait for its status; return it."""
    box.locator("[data-dlfs-run]").click()
    page.wait_for_function("b => b.hasAttribute('data-dlfs-status')", arg=box.element_handle(), timeout=timeout)
    return box.get_attribute("data-dlfs-status")


def edit(box, code: str) -> None:
    box.locator("[data-dlfs-edit]").click()
    box.locator(".cm-content").wait_for()
    box.evaluate("(b, code) => b.dlfsEditor.setValue(code)", code)


def blocks_of(chapter: str) -> int:
    return len(runnable_blocks((ROOT / "docs" / f"{chapter}.md").read_text(encoding="utf-8")))


def examples_of(chapter: str) -> int:
    return len(list(parse_page((ROOT / "docs" / f"{chapter}.md").read_text(encoding="utf-8"))))


def set_code(box, code: str) -> None:
    """Open the example's editor (if it is not open yet) and put `code` in it."""
    if not box.locator(".cm-content").count():
        edit(box, code)
    else:
        box.evaluate("(b, code) => b.dlfsEditor.setValue(code)", code)


def test_one_python_runs_edits_resets_draws_and_stops_as_a_reader_expects(chromium, server) -> None:
    """A reader's session on one page, in one Python (each start costs seconds): the first Run, an edit
    with outputs written in, a failing edit and Reset (in the dark scheme), a figure, and Stop."""
    with reader(chromium, server, "numerical-diff/") as (page, requests):
        # -- the first Run loads Python, then shows what Python printed with a small mark
        examples = page.locator("[data-dlfs-example]")
        assert examples.count() == blocks_of("numerical-diff")
        assert sorted(requests.under("assets/dlfs/")) == [
            "assets/dlfs/exercises.js", "assets/dlfs/run.css", "assets/dlfs/run.js"], (
            "nothing but the page scripts (the exercises' too, on a page with exercises) before the first Run")
        first, box = examples.first, examples.nth(1)
        original = box.locator("code").first.inner_text()
        assert first.locator("[data-dlfs-run]").is_visible() and first.locator("[data-dlfs-output]").count() == 1
        assert first.locator("[data-dlfs-output]").get_attribute("aria-live") == "polite"
        assert run(page, first) == "pass"
        output = first.locator("[data-dlfs-output]")
        assert output.locator("pre.dlfs-stdout").inner_text() == "0.0\n", "what print() printed, as the page shows"
        assert output.locator(".dlfs-mark").inner_text() == "✓ 4 of 4 statements print what the page shows."
        assert output.locator(".dlfs-mark").evaluate("m => m === m.parentNode.lastElementChild"), "under the output"
        fetched = requests.under("assets/dlfs/")
        assert "assets/dlfs/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl" in fetched
        assert not [u for u in fetched if "matplotlib" in u or "/mnist/" in u or "editor.js" in u], (
            "matplotlib, MNIST and the editor wait until something needs them")
        page.screenshot(path=str(ARTIFACTS / "browser-run-light.png"))
        edit(box, "h = 1e-4\nh * 2\n")
        assert run(page, box) == "done"
        assert box.locator("pre.dlfs-stdout").inner_text() == "0.0002\n", "the last expression's value, as Jupyter"

        # -- an edited example shows what it prints, without a cross, and can take those outputs in
        code = first.locator("code").first.inner_text()
        assert 'h=1e-50, method="forward"))\n0.0' in code
        # a changed number under the page's expected output, and a new >>> line with none
        edit(first, code.replace("h=1e-50", "h=1e-4").rstrip("\n") + "\n>>> print(f(5.0))\n")
        assert run(page, first) == "done"
        assert output.locator(".dlfs-bad").count() == 0 and "✗" not in output.inner_text()
        printed = output.locator("pre.dlfs-stdout").inner_text()
        assert re.fullmatch(r"0\.2000\d*\n0\.75\n", printed), printed
        assert "2 statements you changed or added are shown, not compared" in output.inner_text()
        output.locator("[data-dlfs-update]").click()
        updated = first.evaluate("b => b.dlfsEditor.getValue()")
        assert "\n0.2000" in updated and updated.rstrip("\n").endswith(">>> print(f(5.0))\n0.75")
        assert run(page, first) == "pass", "the expected outputs written in are compared"
        assert "✓ 2 of 2 statements print what your edit shows." in output.inner_text(), "the imports print nothing"
        first.locator("[data-dlfs-reset]").click()

        # -- edit, run, a failing edit and Reset, in the dark scheme (the reader's toggle in the header)
        page.locator('label[title="Switch to dark mode"]').click()
        assert page.evaluate("() => document.body.dataset.mdColorScheme") == "slate"
        set_code(box, 'print("edited:", 6 * 7)\n')
        assert "assets/dlfs/editor.js" in requests.under("assets/dlfs/")
        assert box.locator(".cm-content").get_attribute("contenteditable") == "true"
        assert run(page, box) == "done"
        assert "edited: 42" in box.locator("[data-dlfs-output]").inner_text()

        box.evaluate("b => b.dlfsEditor.setValue('x = [1]\\nx[3]\\n')")
        box.locator(".cm-content").press("Shift+Enter")  # runs from the editor
        page.wait_for_function("b => b.dataset.dlfsStatus === 'error'", arg=box.element_handle())
        text = box.locator("[data-dlfs-output]").inner_text()
        assert "Traceback (most recent call last)" in text and "IndexError: list index out of range" in text
        assert "x[3]" in text, "the failing line is shown"

        box.evaluate("b => b.dlfsEditor.setValue('>>> 6 * 7\\n41\\n')")
        assert run(page, box) == "fail"
        diff = box.locator(".dlfs-diff").inner_text()
        assert "- 41" in diff and "+ 42" in diff
        page.screenshot(path=str(ARTIFACTS / "browser-edit-dark.png"))

        box.locator("[data-dlfs-reset]").click()
        assert box.evaluate("b => b.dlfsEditor.getValue()").strip() == original.strip()
        assert box.get_attribute("data-dlfs-status") is None and box.locator("[data-dlfs-output]").inner_text() == ""
        assert run(page, box) == "pass"

        # -- a figure drawn in the browser shows as an image, and warnings are notes
        assert not [u for u in requests.under("assets/dlfs/") if "matplotlib" in u]
        set_code(box, "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1, 2], [0, 1, 4])\n")
        assert run(page, box) == "done"
        assert any("matplotlib-" in u for u in requests.under("assets/dlfs/")), "matplotlib is fetched to draw"
        image = box.locator("[data-dlfs-output] img.dlfs-figure")
        assert image.count() == 1
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        svg = image.evaluate("img => fetch(img.src).then(r => r.text())")
        assert "<svg" in svg and "<path" in svg, svg[:200]
        assert image.get_attribute("alt"), "the image has a text alternative"
        box.locator("[data-dlfs-reset]").click()
        assert run(page, box) in ("pass", "done")
        assert box.locator("img.dlfs-figure").count() == 0, "a figure is shown once, not again by the next Run"

        # plt.show() shows the figure; warnings are notes, not errors (the editor is still open)
        code = ("import warnings\nimport matplotlib.pyplot as plt\nimport numpy as np\n"
                "plt.plot([0, 1, 2], [0, 1, 4])\nplt.show()\nprint(np.log(0))\nwarnings.warn('careful')\n")
        box.evaluate("(b, code) => b.dlfsEditor.setValue(code)", code)
        assert run(page, box) == "done"
        shown = box.locator("[data-dlfs-output]")
        assert shown.locator(".dlfs-traceback").count() == 0, shown.inner_text()
        assert shown.locator("img.dlfs-figure").count() == 1, "plt.show() shows the figure"
        assert shown.locator("pre.dlfs-stdout").inner_text() == "-inf\n"
        notes = shown.locator(".dlfs-warning").all_inner_texts()
        assert any("RuntimeWarning" in n and "division by zero" in n for n in notes), notes
        assert any("UserWarning: careful" in n for n in notes), notes

        # -- Stop ends a long run, and the next Run starts Python again
        set_code(box, "while True:\n    pass\n")
        box.locator("[data-dlfs-run]").click()
        page.wait_for_function("b => b.querySelector('[data-dlfs-output]').textContent.includes('Running')",
                               arg=box.element_handle())
        stop = box.locator("[data-dlfs-stop]")
        assert stop.is_visible() and page.locator("[data-dlfs-run]").first.is_disabled()
        assert box.locator("[data-dlfs-reset]").is_disabled(), "no Reset under a running edit"
        stop.click()
        page.wait_for_function("b => b.dataset.dlfsStatus === 'stopped'", arg=box.element_handle(), timeout=10_000)
        assert "Stopped" in box.locator("[data-dlfs-output]").inner_text()
        box.locator("[data-dlfs-reset]").click()
        box.locator("[data-dlfs-run]").click()
        assert "Starting Python again" in box.locator("[data-dlfs-output]").inner_text(), "not 'the first Run'"
        page.wait_for_function("b => b.hasAttribute('data-dlfs-status')", arg=box.element_handle(), timeout=LOAD)
        assert box.get_attribute("data-dlfs-status") == "pass", "a new Python runs the page again"
        assert "Ran the 4 earlier examples" in box.locator("[data-dlfs-output]").inner_text()


def test_without_javascript_the_page_reads_as_before(chromium, server) -> None:
    with reader(chromium, server, "numerical-diff/", java_script_enabled=False) as (page, requests):
        tagged = page.locator("[data-dlfs-block]").count()
        assert tagged == blocks_of("numerical-diff"), "the blocks are tagged, nothing more"
        assert page.locator("[data-dlfs-run], [data-dlfs-check], [data-dlfs-example], [data-dlfs-output]").count() == 0
        assert not page.locator("[data-dlfs-page]").is_visible()
        assert not requests.under("assets/dlfs/"), "not even the stylesheet: run.js adds it"


def test_running_a_later_example_runs_the_earlier_ones_first_and_says_so(chromium, server) -> None:
    with reader(chromium, server, "numerical-diff/") as (page, _requests):
        third = page.locator("[data-dlfs-example]").nth(2)
        third.locator("[data-dlfs-run]").focus()
        page.keyboard.press("Enter")  # keyboard only
        assert third.locator("[data-dlfs-stop]").evaluate("b => b === document.activeElement"), (
            "Run disables itself: the focus moves to Stop, not to the page")
        page.wait_for_function("b => b.hasAttribute('data-dlfs-status')", arg=third.element_handle())
        assert third.locator("[data-dlfs-run]").evaluate("b => b === document.activeElement"), "and back to Run"
        output = third.locator("[data-dlfs-output]").inner_text()
        assert re.search(r"Ran the \d+ earlier examples of this page first", output), output
        assert third.get_attribute("data-dlfs-status") in ("pass", "done")


def test_a_wheel_that_is_not_the_built_one_is_refused(chromium, server, built_site) -> None:
    """The browser checks each wheel against the site's lock (Subresource Integrity); Python does not start."""
    wheel = "assets/dlfs/pyodide/dlfs-0.1.0-py3-none-any.whl"
    spoiled = (built_site.path / wheel).read_bytes()[:-1] + b"x"
    with reader(chromium, server, "numerical-diff/", replace={wheel: spoiled}) as (page, _requests):
        box = page.locator("[data-dlfs-example]").first
        assert run(page, box) == "error"
        assert "could not load dlfs" in box.locator("[data-dlfs-output]").inner_text()


def test_a_failing_check_links_each_failure_named_by_section_and_position(chromium, server) -> None:
    """The check reads the page's Markdown as served: a page that no longer matches fails, linked."""
    text = (ROOT / "docs" / "numerical-diff.md").read_text(encoding="utf-8")
    assert text.count("forward  0.2000010000") == 1
    spoiled = {"assets/dlfs/pages/numerical-diff.md.txt": text.replace("forward  0.2000010000", "forward  0.5")}
    with reader(chromium, server, "numerical-diff/", replace=spoiled) as (page, _requests):
        result = check(page, timeout=300_000)
        assert result["state"] == "done" and result["failed"] == "1", result["text"]
        link = page.locator("[data-dlfs-check-result] a").first
        target = link.get_attribute("href")
        assert target.startswith("#dlfs-example-") and page.locator(target).count() == 1
        # examples are named by section and position, not by source line
        assert re.fullmatch(r"Section '.+', example \d", link.inner_text()), link.inner_text()
        assert "line" not in result["text"]
        third = page.locator("[data-dlfs-example]").nth(2)
        assert third.locator("[data-dlfs-run]").get_attribute("aria-label") == (
            "Run section 'Forward, backward and central differences', example 1")


@pytest.fixture(scope="module")
def every_chapter_checked(built_site) -> dict:
    """"Check this page" on every chapter, run by tests/browser_check.py in the background since
    the site was built (it started then, beside the rest of the suite); this waits for it."""
    return browser_check_results(built_site.path, built_site.path.parent, timeout=2400)


def test_lanes_take_the_longest_chapters_first_each_opening_one_of_its_own(tmp_path: Path) -> None:
    assert lanes(["a", "b", "c", "d"], {"a": 100, "b": 60, "c": 50}, 2) == [["a", "b", "c", "d"], ["b", "a", "c", "d"]]
    assert lanes(["a"], {}, 2) == [["a"]]
    # a shared queue: each chapter is claimed by one lane only, whichever asks first
    first, second = lanes(["a", "b", "c"], {"a": 9, "b": 5}, 2)
    assert claim(tmp_path, first[0]) and claim(tmp_path, second[0])  # each lane opens its own chapter
    assert [c for c in first[1:] if claim(tmp_path, c)] == ["c"], "the first lane to end takes what is left"
    assert [c for c in second[1:] if claim(tmp_path, c)] == []
    assert claim(None, "a"), "without a queue a lane checks every chapter it is given"


# what each chapter reads: MNIST only where its code does, matplotlib only where it draws
READS_MNIST = {"learning", "backprop", "gradient-check", "training", "making-training-work",
               "optimizers-and-regularization", "autograd"}
DRAWS = {"gradients"}


@pytest.mark.slow
@pytest.mark.after_pages  # last: the check has had the whole suite's time to run
@pytest.mark.parametrize("chapter", ["index", *CHAPTERS])
def test_every_chapter_passes_in_the_browser(every_chapter_checked: dict, chapter: str) -> None:
    result = every_chapter_checked[chapter]
    total = examples_of(chapter)
    assert not result["refused"], f"requests left 127.0.0.1: {result['refused']}"
    assert not result["page_errors"], result["page_errors"]
    assert (result["state"], result["passed"], result["failed"], result["total"]) == (
        "done", str(total), "0", str(total)), result["text"]
    if result["first_in_lane"]:  # opened and checked as a reader does: the result in words too
        assert f"{total} of {total} examples pass in your browser" in result["text"]
    assert ("mnist" in result["needs"]) == (chapter in READS_MNIST), "MNIST only where code reads it"
    assert ("matplotlib" in result["needs"]) == (chapter in DRAWS), "matplotlib only to draw"


@pytest.mark.slow
@pytest.mark.after_pages
@pytest.mark.parametrize("chapter", ["index", *CHAPTERS])
def test_every_chapter_prints_in_the_browser_what_it_prints_natively(
        every_chapter_checked: dict, chapter: str, request: pytest.FixtureRequest) -> None:
    """WebAssembly is another machine: NumPy without OpenBLAS, another libm, other summation orders.
    Read as the page is read (its `...` and the digits it shows), every doctest prints the same there
    as in this session's native run, which is how CI sees rounding noise on a page without switching
    BLAS kernels (benchmarks/portability.py does that by hand)."""
    native = results(request.config).outputs.get(f"docs/{chapter}.md")
    if not native:
        message = f"this run did not run docs/{chapter}.md natively"
        if os.environ.get("CI"):  # there the pages always run first: nothing recorded is a fault, not a choice
            pytest.fail(message)
        pytest.skip(message)
    wasm = [(r["line"], r["got"]) for r in every_chapter_checked[chapter]["results"] if "got" in r]
    assert [line for line, _ in wasm] == [line for line, _, _ in native], "the same doctests, in page order"
    differ = [f"line {line}: native {reading(want, got)!r}, WebAssembly {reading(want, there)!r}"
              for (line, want, got), (_, there) in zip(native, wasm) if reading(want, got) != reading(want, there)]
    assert not differ, "\n".join(differ)


# ------------------------------------------------ run like a notebook (issue 18)
def test_timings_the_page_shows_as_dots_are_shown_after_running(chromium, server) -> None:
    with reader(chromium, server, "learning/") as (page, _requests):
        box = page.locator("[data-dlfs-example]").filter(has_text="numerical ... s, backprop ... s")
        assert run(page, box) == "pass"
        printed = box.locator("pre.dlfs-stdout").inner_text()
        assert re.fullmatch(r"numerical \d+\.\d\d s, backprop \d+\.\d{4} s\n", printed), printed
