"""A learner does the exercises in the browser, offline (browser/exercises.js, docs/hooks/exercises.py).

Headless Chromium on the built site, as in tests/test_browser_run.py: every request is recorded
and one that would leave 127.0.0.1 fails the test. One test proves every exercise in the browser
as tests/test_exercises.py does natively (the reference passes, each known mistake fails with its
message, the starter says "not implemented yet"), through ``window.dlfsExercises``: on the two
pages that hold the capstone's pieces with their Check buttons, the other chapters' exercises in
the first page's Python; the capstone trains the network assembled from the reference answers
kept by those pages. The others drive one exercise as a reader does, from the keyboard.
"""

from __future__ import annotations

import re

import pytest

from dlfs.exercises import EXERCISES, NOT_IMPLEMENTED, check_source
from tests.test_browser_run import CHAPTERS, LOAD, reader
from tests.test_docs_browser import ARTIFACTS

WRONG_SOFTMAX = ("import numpy as np\n\n\ndef softmax(x):  # one example only\n"
                 "    e = np.exp(x - np.max(x))\n    return e / np.sum(e)\n")
CAPSTONE = "two-layer-net"


def ready(page) -> None:
    page.wait_for_selector("html[data-dlfs-exercises-ready]", state="attached")


def result_of(page, box, timeout: int = LOAD) -> str:
    """Wait for the exercise's check to end; its state ("passed", "failed", "error")."""
    page.wait_for_function("b => b.hasAttribute('data-dlfs-state')", arg=box.element_handle(), timeout=timeout)
    return box.get_attribute("data-dlfs-state")


def test_without_javascript_an_exercise_reads_as_its_statement_and_starter(chromium, server) -> None:
    with reader(chromium, server, "learning/", java_script_enabled=False) as (page, _requests):
        box = page.locator("[data-dlfs-exercise=softmax]")
        assert box.locator(".dlfs-exercise-ask").is_visible()
        starter = box.locator(":scope > .highlight code")
        assert starter.is_visible() and NOT_IMPLEMENTED in starter.inner_text()
        assert box.locator("button").count() == 0 and page.locator("[data-dlfs-exercise-progress]").count() == 0
        details = box.locator(":scope > details")
        assert details.count() == len(EXERCISES["softmax"].hints) + 1, "each hint, then the solution"
        assert all(details.nth(i).get_attribute("open") is None for i in range(details.count())), "all closed"


PRINTING_SOFTMAX = ("import numpy as np\n\nprint('my softmax is loaded')\n\n\ndef softmax(x):\n"
                    "    print('softmax got a shape', x.shape)\n"
                    "    e = np.exp(x - x.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n")


def test_check_hint_reset_the_solution_after_five_tries_the_code_kept_and_what_it_prints(chromium, server) -> None:
    exercise = EXERCISES["softmax"]
    with reader(chromium, server, "learning/") as (page, _requests):
        ready(page)
        box = page.locator("[data-dlfs-exercise=softmax]")
        progress = page.locator("[data-dlfs-exercise-progress]")
        total = sum(e.chapter == "learning" for e in EXERCISES.values())
        assert progress.inner_text() == f"Exercises of this chapter: 0 of {total} passed in this browser."
        hints, solution = box.locator(":scope > details.tip"), box.locator(":scope > details.success")
        assert not hints.first.is_visible() and not solution.is_visible(), "hints and solution wait their turn"

        box.locator("[data-dlfs-hint]").focus()  # keyboard only
        page.keyboard.press("Enter")
        assert hints.nth(0).is_visible() and hints.nth(0).get_attribute("open") is not None
        assert not hints.nth(1).is_visible(), "one hint at a time"
        output = box.locator("[data-dlfs-output]")
        assert output.get_attribute("aria-live") == "polite"
        assert output.inner_text().startswith(f"Hint 1 of {len(exercise.hints)}: ")

        box.locator("[data-dlfs-edit]").focus()
        page.keyboard.press("Enter")
        box.locator(".cm-content").wait_for()
        box.evaluate("(b, code) => b.dlfsEditor.setValue(code)", WRONG_SOFTMAX)
        box.locator("[data-dlfs-check-exercise]").focus()
        page.keyboard.press("Enter")
        assert result_of(page, box) == "failed"
        native = check_source("softmax", WRONG_SOFTMAX).message
        assert f"✗ {native}" in output.inner_text(), "the message `check` gives at home"
        assert not solution.is_visible()
        page.screenshot(path=str(ARTIFACTS / "exercise-failed-light.png"))

        page.reload()  # the edit survives it
        ready(page)
        box = page.locator("[data-dlfs-exercise=softmax]")
        box.locator(".cm-content").wait_for()
        assert page.evaluate("() => window.dlfsExercises.get('softmax')") == WRONG_SOFTMAX
        assert box.locator(":scope > details.tip").nth(0).is_visible(), "so do the hints already read"
        for tries in range(2, 6):  # the fifth check that does not pass opens the solution
            result = page.evaluate("() => window.dlfsExercises.check('softmax')")
            assert result == {"passed": False, "message": native}
            assert solution.is_visible() == (tries == 5), tries
        assert solution.get_attribute("open") is not None

        box.locator("[data-dlfs-reset]").click()
        assert page.evaluate("() => window.dlfsExercises.get('softmax')") == exercise.starter
        page.evaluate("code => window.dlfsExercises.set('softmax', code)", exercise.solution)
        box.locator("[data-dlfs-check-exercise]").click()
        assert result_of(page, box) == "passed"
        assert output.inner_text().startswith(f"✓ {check_source('softmax', exercise.solution).message}")
        assert progress.inner_text() == f"Exercises of this chapter: 1 of {total} passed in this browser."
        page.screenshot(path=str(ARTIFACTS / "exercise-passed-light.png"))

        # A learner debugs with print(), as in a notebook, where the check cell shows it: the page shows it too,
        # its first 60 lines (in the same Python: each start costs seconds)
        for code, lines in ((PRINTING_SOFTMAX, None), ("for i in range(100):\n    print(i)\n" + PRINTING_SOFTMAX, 60)):
            result = page.evaluate("async (c) => { window.dlfsExercises.set('softmax', c); "
                                   "return await window.dlfsExercises.check('softmax'); }", code)
            assert result["passed"], result
            printed = output.locator("pre.dlfs-stdout")
            assert printed.count() == 1, output.inner_text()
            text = printed.inner_text()
            assert "my softmax is loaded\nsoftmax got a shape (" in text or lines, text
            if lines:
                assert text.startswith("0\n1\n2\n") and text.count("\n") == lines, text
                assert re.search(r"… and \d+ more lines\.", output.inner_text()), output.inner_text()
            assert output.locator(".dlfs-mark").inner_text().startswith("✓ passes:")


def test_every_button_of_an_exercise_names_the_exercise(chromium, server) -> None:
    """A page has several exercises: a screen reader that reads "Hint (3 left)" or "Stop" alone does not say whose."""
    with reader(chromium, server, "backprop/") as (page, _requests):
        ready(page)
        boxes = page.locator("[data-dlfs-exercise]").all()
        assert len(boxes) >= 3
        for box in boxes:
            name = box.get_attribute("data-dlfs-name")
            for button in box.locator(".dlfs-bar button").all():
                label = button.get_attribute("aria-label") or button.inner_text()
                assert f"your {name}" in label, (name, button.inner_text(), label)
        box = page.locator("[data-dlfs-exercise=affine]")
        hints = len(EXERCISES["affine"].hints)
        assert box.locator("[data-dlfs-hint]").get_attribute("aria-label") == f"Hint for your Affine ({hints} left)"
        for _ in range(hints):
            box.locator("[data-dlfs-hint]").click()
        assert box.locator("[data-dlfs-hint]").get_attribute("aria-label") == "No more hints for your Affine"


def test_python_starts_loading_when_the_reader_shows_intent(chromium, server) -> None:
    """The focus on an example's Run (a keyboard reader on their way to it) starts Python: before any click."""
    with reader(chromium, server, "numerical-diff/") as (page, requests):
        ready(page)
        assert not requests.under("assets/dlfs/pyodide/")
        with page.context.expect_event("request", lambda r: "/assets/dlfs/pyodide/" in r.url, timeout=LOAD):
            page.locator("[data-dlfs-example] [data-dlfs-run]").first.focus()
        box = page.locator("[data-dlfs-exercise]").first
        assert box.get_attribute("data-dlfs-state") is None, "nothing was clicked"
        page.evaluate("() => window.dlfsExercises.progress()")  # the page is still answering


def jobs(chapter: str, here: bool) -> list[dict]:
    """What to check of a chapter's exercises: each one's mistakes, its starter, then its reference (kept last).
    `here`: the chapter is the open page, checked through its Check buttons; else through ``checkCode``."""
    out = []
    for exercise in (e for e in EXERCISES.values() if e.chapter == chapter):
        job = {"id": exercise.id, "here": here, "mnist": bool(exercise.extra.get("mnist"))}
        for mutant in exercise.mutants:
            out.append({**job, "code": mutant.apply(exercise.solution), "says": mutant.says,
                        "what": f"mutant {mutant.name!r}"})
        out.append({**job, "code": exercise.starter, "says": NOT_IMPLEMENTED, "what": "the starter"})
        if exercise.id != CAPSTONE:  # the capstone is checked on the learner's assembled answers, below
            out.append({**job, "code": exercise.solution, "says": None, "what": "the reference"})
    return out


CHECK_ALL = """async (jobs) => {
  const out = [];
  for (const job of jobs) {
    if (job.here) {
      window.dlfsExercises.set(job.id, job.code);
      out.push(await window.dlfsExercises.check(job.id));
    } else {
      out.push(await window.dlfsExercises.checkCode(job.id, job.code, { mnist: job.mnist }));
    }
  }
  return out;
}"""

# The capstone's pieces are on these two pages: each is opened and its exercises checked with its own
# buttons (which keep the answers that pass, for the capstone); every other chapter's exercises are checked
# in the first page's Python through checkCode (one Python start, not one per chapter).
PIECES_PAGES = ["backprop", "training"]


@pytest.mark.slow
def test_every_exercise_is_proven_in_the_browser_and_the_capstone_trains(chromium, server) -> None:
    """Native and browser say the same: each reference passes, each known mistake fails naming it, each starter
    says "not implemented yet"; the capstone, assembled from the references the earlier checks kept, trains
    to at least 0.9 test accuracy in the browser."""
    chapters = [c for c in CHAPTERS if any(e.chapter == c for e in EXERCISES.values())]
    assert len(chapters) == len(CHAPTERS)
    assert {EXERCISES[p].chapter for p in EXERCISES[CAPSTONE].needs} == set(PIECES_PAGES)
    elsewhere = [c for c in chapters if c not in PIECES_PAGES]
    wrong = []
    checked: set[str] = set()
    with reader(chromium, server, f"{PIECES_PAGES[0]}/") as (page, _requests):
        for n, here in enumerate(PIECES_PAGES):
            if n:
                page.goto(f"{server}{here}/", wait_until="load")
            ready(page)
            todo = jobs(here, True) + [job for c in (elsewhere if n == 0 else []) for job in jobs(c, False)]
            results = page.evaluate(CHECK_ALL, todo)
            for job, result in zip(todo, results, strict=True):
                checked.add(job["id"])
                native = check_source(job["id"], job["code"]) if not job["mnist"] else None
                good = result["passed"] if job["says"] is None else (
                    not result["passed"] and job["says"] in result["message"])
                if not good or (native is not None and result["message"] != native.message):
                    wrong.append(f"{job['id']}, {job['what']}: {result['message']!r}"
                                 + (f" (natively {native.message!r})" if native is not None else ""))
        used = page.evaluate(f"() => window.dlfsExercises.assemble('{CAPSTONE}')")
        assert used == list(EXERCISES[CAPSTONE].needs), "every piece passed on its page"
        capstone = page.evaluate(f"() => window.dlfsExercises.check('{CAPSTONE}')")
        assert capstone["passed"], capstone["message"]
        pieces = page.locator("[data-dlfs-pieces-used] li[data-passed=true]")
        assert pieces.count() == len(used), "the page says which of the learner's answers it used"
        done = page.evaluate("() => window.dlfsExercises.progress()")
        assert done["passed"] == done["total"], done
    assert checked == set(EXERCISES), "every exercise of the book was checked"
    assert not wrong, "\n".join(wrong)


def test_the_training_page_says_what_its_check_and_a_long_example_take_and_the_capstone_links_what_is_missing(
        chromium, server) -> None:
    """What one reader does on the training page, in one Python (each start costs seconds)."""
    with reader(chromium, server, "training/") as (page, _requests):
        # a long page says how long its check takes, in the folded "How this page is checked"
        page.locator("details.dlfs-about > summary").click()
        note = page.locator(".dlfs-check .dlfs-note").inner_text()
        assert re.search(r"It takes about \d+ minutes in a browser", note), note
        assert re.search(r"downloads about \d+\.\d MB", note), note

        # the capstone links to the pieces not passed yet
        ready(page)
        page.evaluate("code => window.dlfsExercises.set('sgd', code)", EXERCISES["sgd"].solution)
        assert page.evaluate("() => window.dlfsExercises.check('sgd')")["passed"]
        used = page.evaluate(f"() => window.dlfsExercises.assemble('{CAPSTONE}')")
        assert used == ["sgd"]
        code = page.evaluate(f"() => window.dlfsExercises.get('{CAPSTONE}')")
        assert "class SGD" in code and "class Affine" not in code
        missing = page.locator("[data-dlfs-pieces-used] li[data-passed=false]")
        assert missing.count() == len(EXERCISES[CAPSTONE].needs) - 1
        link = missing.first.locator("a")
        assert link.get_attribute("href") == "../backprop/#exercise-affine"

        # a long example gives its estimate and a progress bar, and stops
        box = page.locator("[data-dlfs-example]").filter(has_text="history = mnist_run()")
        label = "section 'Training the book's network', example 1"
        assert box.locator("[data-dlfs-run]").get_attribute("aria-label") == f"Run {label}"
        assert box.locator("[data-dlfs-stop]").get_attribute("aria-label") == f"Stop {label}"
        box.locator("[data-dlfs-run]").click()
        bar = box.locator("progress.dlfs-loop")
        page.wait_for_function("p => !p.hidden && p.value > 0", arg=bar.element_handle(), timeout=LOAD)
        text = box.locator("[data-dlfs-output]").inner_text()
        assert re.search(r"Running…, about \d+ (min|s) in a browser when this site was built", text), text
        assert bar.get_attribute("max") == "10000" and "backprop" in bar.get_attribute("title")
        box.locator("[data-dlfs-stop]").click()
        page.wait_for_function("b => b.dataset.dlfsStatus === 'stopped'", arg=box.element_handle(), timeout=10_000)

        page.goto(link.evaluate("a => a.href"))  # the capstone's link to the missing piece
        assert page.locator("#exercise-affine[data-dlfs-exercise=affine]").count() == 1


def test_a_visited_page_runs_again_with_the_site_gone(chromium, built_site) -> None:
    """The service worker keeps the page and the runtime its first Run fetched: with the server stopped (no
    network at all), the page opens again and its first Run loads Python and runs, downloading nothing."""
    from dlfs.site.headless import serve

    context = chromium.new_context(service_workers="allow")
    errors: list[str] = []
    try:
        with serve(built_site.path) as base:
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.set_default_timeout(LOAD)
            page.goto(base + "numerical-diff/", wait_until="load")
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            box = page.locator("[data-dlfs-example]").first
            box.locator("[data-dlfs-run]").click()
            page.wait_for_function("b => b.dataset.dlfsStatus === 'pass'", arg=box.element_handle())
            page.wait_for_function("async () => !!(await caches.match(location.href))")
            page.close()
        again = context.new_page()  # the server is gone: nothing can come from the network
        again.on("pageerror", lambda exc: errors.append(str(exc)))
        again.set_default_timeout(LOAD)
        again.goto(base + "numerical-diff/", wait_until="load")
        box = again.locator("[data-dlfs-example]").first
        box.locator("[data-dlfs-run]").click()
        again.wait_for_function("b => b.hasAttribute('data-dlfs-status')", arg=box.element_handle())
        assert box.get_attribute("data-dlfs-status") == "pass", box.locator("[data-dlfs-output]").inner_text()
    finally:
        context.close()
    assert not errors, errors
