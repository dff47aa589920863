"""Check chapters in the browser, as a reader's "Check this page" does; write the results as JSON.

    python -m tests.browser_check --site SITE --out checks.json [--chapters index,learning,...] [--queue DIR]

The test session starts this in the background as soon as the site is built
(``tests/conftest.py``), in two lanes (two processes) beside the rest of the
suite. The lanes share one queue (``--queue``, a folder): each checks the
chapters in its order, skipping those another lane has claimed, so that a
lane that ends early takes the next chapter instead of waiting (the times
of the chapters change with the machine and its load; a split made in
advance left one lane alone for the last half minute);
``tests/test_browser_run.py`` waits for them at the end and checks every
chapter. A lane opens its first chapter and clicks its "Check this page"
(the reader's way, to its text); the other chapters are checked in the same
page's Python through ``window.dlfsCheck`` (one Python per lane, as one
interpreter runs every page under pytest). Every request that would leave
127.0.0.1 is refused and recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from dlfs.download import atomic_file

CHAPTERS = ["index", "numerical-diff", "gradients", "gradient-descent", "learning", "backprop", "gradient-check",
            "training", "making-training-work", "optimizers-and-regularization",
            "autograd"]
TIMEOUT = 1_800_000  # ms for one chapter's check, on a busy machine


class Requests:
    """Every request of a browser context, workers' included; those leaving `base` are refused."""

    def __init__(self, base: str, replace: dict[str, str | bytes] | None = None) -> None:
        self.base, self.seen, self.refused = base, [], []
        self.replace = replace or {}  # path on the site -> the text served instead

    def route(self, route) -> None:
        url = route.request.url
        self.seen.append(url)
        if url[len(self.base):] in self.replace:
            route.fulfill(body=self.replace[url[len(self.base):]], content_type="text/plain")
        elif url.startswith((self.base, "data:", "blob:")):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def under(self, folder: str) -> list[str]:
        return [u[len(self.base):] for u in self.seen if u.startswith(self.base + folder)]


def check(page, timeout: int) -> dict:
    """Click "Check this page" and wait: its result, its text and each example's (line, status, output).
    On a chapter the button is in the folded "How this page is checked": open it first, as a reader does."""
    folded = page.locator("details.dlfs-about > summary")
    if folded.count():
        folded.click()
    page.locator("[data-dlfs-check]").click()
    result = page.locator("[data-dlfs-check-result]")
    page.wait_for_function("r => r.dataset.state", arg=result.element_handle(), timeout=timeout)
    return {**result.evaluate("r => ({...r.dataset})"), "text": result.inner_text(),
            "results": result.evaluate("r => r.dlfsResults || []"), "needs": result.evaluate("r => r.dlfsNeeds || []")}


def check_other(page, chapter: str) -> dict:
    """Check `chapter` in `page`'s Python through window.dlfsCheck; the same fields as `check`."""
    res = page.evaluate("p => window.dlfsCheck(p)", f"{chapter}.md")
    return {"state": "done", "passed": str(res["passed"]), "failed": str(res["failed"]), "total": str(res["total"]),
            "seconds": f"{res['seconds']:.3f}", "text": "", "results": res["results"], "needs": res["needs"]}


def page_url(chapter: str) -> str:
    return "" if chapter == "index" else f"{chapter}/"


def claim(queue: Path | None, chapter: str) -> bool:
    """Whether this lane takes `chapter`: always without a queue, else if no lane has claimed it yet."""
    if queue is None:
        return True
    try:
        os.close(os.open(queue / chapter, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def check_lane(site: Path, chapters: list[str], out: Path, queue: Path | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from dlfs.site.headless import CHROMIUM, FLAGS, serve

    results: dict[str, dict] = {}
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        requests = Requests(base)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        context.route("**/*", requests.route)
        errors: list[str] = []
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(TIMEOUT)
        for chapter in chapters:
            if not claim(queue, chapter):
                continue
            n, start = len(results), time.perf_counter()
            try:
                if n == 0:  # the reader's way: open the chapter, click its button
                    page.goto(base + page_url(chapter), wait_until="load")
                    result = check(page, timeout=TIMEOUT)
                else:
                    result = check_other(page, chapter)
            except Exception as error:  # recorded: the test reports it for this chapter
                result = {"state": "error", "text": f"{type(error).__name__}: {error}"}
            results[chapter] = {**result, "refused": list(requests.refused), "page_errors": list(errors),
                                "fetched": requests.under("assets/dlfs/"), "first_in_lane": n == 0,
                                "seconds": round(time.perf_counter() - start, 1)}
            print(f"browser check: {chapter} {result.get('passed')}/{result.get('total')} "
                  f"in {results[chapter]['seconds']} s", flush=True)
            with atomic_file(out, "w") as f:  # after each chapter: a partial record is still true
                json.dump(results, f, indent=1)
            if result.get("state") != "done" and n == 0:
                break  # Python did not start in this lane: the rest would fail the same way
        context.close()
        browser.close()


def lanes(chapters: list[str], estimates: dict[str, float], n: int) -> list[list[str]]:
    """The order in which each of `n` lanes sharing a queue takes `chapters`: the longest first
    (unknown ones are short), lane i starting with the i-th longest, so that each opens a chapter of
    its own the reader's way.

    >>> lanes(["a", "b", "c", "d"], {"a": 100, "b": 60, "c": 50}, 2)
    [['a', 'b', 'c', 'd'], ['b', 'a', 'c', 'd']]
    """
    order = sorted(chapters, key=lambda c: -estimates.get(c, 0.0))
    return [[order[i], *order[:i], *order[i + 1:]] for i in range(min(n, len(order)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chapters", default=",".join(CHAPTERS))
    parser.add_argument("--queue", type=Path, help="a folder shared with other lanes: each chapter is checked once")
    args = parser.parse_args(argv)
    check_lane(args.site, args.chapters.split(","), args.out, args.queue)
    return 0


if __name__ == "__main__":
    sys.exit(main())
