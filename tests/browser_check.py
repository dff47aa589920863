"""Check every chapter in the browser, as a reader's "Check this page" does; write the results as JSON.

    python -m tests.browser_check --site SITE --out checks.json [--chapters index,learning,...]

The test session starts this in the background as soon as the site is built
(``tests/conftest.py``), so the minutes of WebAssembly it takes run on one
core while the rest of the suite runs on the other;
``tests/test_browser_run.py::test_every_chapter_passes_in_the_browser`` waits
for it at the end and checks every chapter's numbers. Each chapter gets a
fresh browser context (a fresh Python); every request that would leave
127.0.0.1 is refused and recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from dlfs.download import atomic_file

CHAPTERS = ["index", "numerical-diff", "gradients", "gradient-descent", "learning", "backprop", "gradient-check",
            "training", "making-training-work"]
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
    """Click "Check this page" and wait: its result, its text and each example's (line, status, output)."""
    page.locator("[data-dlfs-check]").click()
    result = page.locator("[data-dlfs-check-result]")
    page.wait_for_function("r => r.dataset.state", arg=result.element_handle(), timeout=timeout)
    return {**result.evaluate("r => ({...r.dataset})"), "text": result.inner_text(),
            "results": result.evaluate("r => r.dlfsResults || []")}


def check_all(site: Path, chapters: list[str], out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from dlfs.site.headless import CHROMIUM, FLAGS, serve

    results: dict[str, dict] = {}
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        for chapter in chapters:
            requests = Requests(base)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
            context.route("**/*", requests.route)
            errors: list[str] = []
            start = time.perf_counter()
            try:
                page = context.new_page()
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.set_default_timeout(TIMEOUT)
                page.goto(base + ("" if chapter == "index" else f"{chapter}/"), wait_until="load")
                result = check(page, timeout=TIMEOUT)
            except Exception as error:  # recorded: the test reports it for this chapter
                result = {"state": "error", "text": f"{type(error).__name__}: {error}"}
            finally:
                context.close()
            results[chapter] = {**result, "refused": requests.refused, "page_errors": errors,
                                "fetched": requests.under("assets/dlfs/"),
                                "seconds": round(time.perf_counter() - start, 1)}
            with atomic_file(out, "w") as f:  # after each chapter: a partial record is still true
                json.dump(results, f, indent=1)
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chapters", default=",".join(CHAPTERS))
    args = parser.parse_args(argv)
    check_all(args.site, args.chapters.split(","), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
