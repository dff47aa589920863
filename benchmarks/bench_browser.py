"""Browser benchmark: how fast the examples run in the reader's browser, against native Python.

Run ``python benchmarks/bench_browser.py`` (a site is built first, cold, unless
``--site`` names one). In one run, on a server on 127.0.0.1 and headless
Chromium (Debian's, as the tests use it):

(a) cold first Run: a fresh browser profile opens a chapter and clicks Run
    on its first example; the time from the click to the output (the
    runtime downloaded, started, the example run), ``--cold-runs`` times;
(b) per chapter: its examples, the time "Check this page" takes in the
    browser (click to result, Python already downloaded; and the Python time
    the runner reports), and the native time of the same page through the
    same runner (``dlfs.site.runner.check_page`` in a fresh process, no disk
    cache, as in the browser);
(c) per chapter, the exercises' Check once Python is loaded: each exercise's
    reference solution checked through ``window.dlfsExercises`` (the capstone,
    which trains on MNIST, timed apart), the median against a target of 1 s;
(d) the second visit: a profile that opened a chapter and ran its first
    example opens it again; the bytes the server sent for the page and for
    its first Run (the service worker, browser/sw.js, serves them; target 0).

Any request that would leave 127.0.0.1 is refused and recorded. Writes JSON
(``benchmarks/results/bench_browser.json``, atomically); ``--estimates``
also writes the check times of the long pages into ``browser/check-seconds.json``,
which the pages show before a check, and the browser seconds of each example
that takes 5 s or more into ``browser/example-seconds.json`` (keyed by the
first line of its statement), which a Run of it shows while it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import http.server
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

from dlfs.download import atomic_file
from dlfs.site.headless import CHROMIUM, FLAGS, serve

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "bench_browser.json"
ESTIMATES = ROOT / "browser" / "check-seconds.json"
EXAMPLE_ESTIMATES = ROOT / "browser" / "example-seconds.json"
LONG_EXAMPLE = 5.0  # seconds in a browser from which a Run says how long it takes
PAGES = ["index", "numerical-diff", "gradients", "gradient-descent", "learning", "backprop", "gradient-check",
         "training", "making-training-work", "optimizers-and-regularization",
         "autograd"]
NATIVE = """
import json, sys, time
start = time.perf_counter()
from dlfs.site.runner import check_page
text = open(sys.argv[1], encoding="utf-8").read()
result = check_page(text, sys.argv[1])
print(json.dumps({"total": result["total"], "passed": result["passed"], "seconds": result["seconds"],
                  "process_seconds": time.perf_counter() - start}))
"""


def build(site: Path) -> float:
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "DLFS_BOOK_CACHE": str(site.parent / "cache"),
                        "PYTHONPATH": str(ROOT)}
    env.setdefault("DLFS_DATA", str(ROOT.parent / "shared" / "datasets"))
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir", str(site)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def native(page: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DLFS_BOOK_CACHE"} | {"PYTHONPATH": str(ROOT)}
    env.setdefault("DLFS_DATA", str(ROOT.parent / "shared" / "datasets"))
    out = subprocess.run([sys.executable, "-c", NATIVE, str(ROOT / "docs" / f"{page}.md")], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def exercise_checks(browser, base: str, chapters: list[str]) -> dict:
    """(c): each chapter's exercises, checked on their reference solutions in one page's Python."""
    from dlfs.exercises import EXERCISES

    out: dict = {}
    context = browser.new_context(service_workers="block")
    for chapter in chapters:
        ids = [e.id for e in EXERCISES.values() if e.chapter == chapter]
        if not ids:
            continue
        page = context.new_page()
        page.goto(base + ("" if chapter == "index" else f"{chapter}/"))
        page.wait_for_selector("html[data-dlfs-exercises-ready]", state="attached")
        page.evaluate("id => window.dlfsExercises.check(id)", ids[0])  # Python loaded first: not timed
        timed = {}
        for exercise_id in ids:
            page.evaluate("([id, code]) => window.dlfsExercises.set(id, code)",
                          [exercise_id, EXERCISES[exercise_id].solution])
            start = time.perf_counter()
            result = page.evaluate("id => window.dlfsExercises.check(id)", exercise_id)
            timed[exercise_id] = {"seconds": time.perf_counter() - start, "passed": result["passed"]}
        short = [t["seconds"] for i, t in timed.items() if not EXERCISES[i].extra.get("mnist")]
        out[chapter] = {"exercises": timed, "median_seconds": statistics.median(short), "target_seconds": 1.0}
        print(f"{chapter:30s} Check median {out[chapter]['median_seconds']:.3f} s over {len(short)} exercises",
              flush=True)
        page.close()
    context.close()
    return out


class _Counting(http.server.SimpleHTTPRequestHandler):
    """A quiet file server that counts the bytes of the files it sends (``sent``, shared by the class)."""

    sent: ClassVar[dict[str, int]] = {"bytes": 0, "files": 0}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        _Counting.sent["bytes"] += os.fstat(source.fileno()).st_size
        _Counting.sent["files"] += 1
        super().copyfile(source, outputfile)


def second_visit(browser, site: Path, chapter: str = "numerical-diff") -> dict:
    """(d): what the server sends when a visited chapter is opened again and its first example run."""
    handler = functools.partial(_Counting, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    context = browser.new_context(service_workers="allow")
    sent = _Counting.sent

    def visit() -> tuple[dict, dict]:
        page = context.new_page()
        before = dict(sent)
        page.goto(base + f"{chapter}/", wait_until="load")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
        loaded = dict(sent)
        box = page.locator("[data-dlfs-example]").first
        box.locator("[data-dlfs-run]").click()
        page.wait_for_function("b => b.hasAttribute('data-dlfs-status')", arg=box.element_handle(), timeout=300_000)
        page.wait_for_function("async () => !!(await caches.match(location.href))", timeout=60_000)
        ran = dict(sent)
        page.close()
        return ({k: loaded[k] - before[k] for k in sent}, {k: ran[k] - loaded[k] for k in sent})
    try:
        first_load, first_run = visit()
        second_load, second_run = visit()
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()
    print(f"second visit: the first Run fetched {second_run['bytes']} bytes ({second_run['files']} files) "
          f"from the server; the first visit's, {first_run['bytes']}", flush=True)
    return {"what": f"{chapter}: open, Run the first example; then again in the same profile",
            "first_visit": {"page": first_load, "first_run": first_run},
            "second_visit": {"page": second_load, "first_run": second_run}, "target_first_run_bytes": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one, cold)")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--estimates", action="store_true", help=f"write the long pages' check times to {ESTIMATES}")
    parser.add_argument("--exercises", help="comma-separated pages whose exercises' Check to time "
                                            "(default: --pages)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = [p for p in args.pages.split(",") if p]
    report: dict = {"schema": 1, "pages": {}, "cold_first_run": {}, "refused": [],
                    "environment": {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                                    "python": platform.python_version(), "cpu_count": os.cpu_count(),
                                    "load_average_start": os.getloadavg()[0]}}
    long_examples: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as running:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            report["build_seconds"] = build(site)
        base = running.enter_context(serve(site))  # once the site is built

        def refuse_others(route) -> None:
            if route.request.url.startswith((base, "data:", "blob:")):
                route.continue_()
            else:
                report["refused"].append(route.request.url)
                route.abort()

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            report["environment"]["chromium"] = browser.version
            cold = []
            for _ in range(args.cold_runs):  # a new context: an empty HTTP cache, as for a first visit
                context = browser.new_context()
                context.route("**/*", refuse_others)
                page = context.new_page()
                page.goto(base + "numerical-diff/")
                box = page.locator("[data-dlfs-example]").first
                start = time.perf_counter()
                box.locator("[data-dlfs-run]").click()
                page.wait_for_function("b => b.hasAttribute('data-dlfs-status')", arg=box.element_handle(),
                                       timeout=300_000)
                cold.append(time.perf_counter() - start)
                context.close()
            report["cold_first_run"] = {"what": "click on Run of numerical-diff's first example to its output, "
                                                "fresh browser context (empty cache)",
                                        "seconds": cold, "seconds_min": min(cold) if cold else None,
                                        "target_seconds": 5.0}
            chapters = [p for p in (args.exercises or args.pages).split(",") if p]
            report["exercise_checks"] = exercise_checks(browser, base, chapters)
            report["second_visit"] = second_visit(browser, site)
            context = browser.new_context()  # one cache for the checks: the runtime is downloaded once
            context.route("**/*", refuse_others)
            for name in pages:
                page = context.new_page()
                page.goto(base + ("" if name == "index" else f"{name}/"))
                result = page.locator("[data-dlfs-check-result]")
                start = time.perf_counter()
                if page.locator("details.dlfs-about > summary").count():  # a chapter: the check is folded
                    page.locator("details.dlfs-about > summary").click()
                page.locator("[data-dlfs-check]").click()
                page.wait_for_function("r => r.dataset.state", arg=result.element_handle(), timeout=3_600_000)
                wall = time.perf_counter() - start
                data = result.evaluate("r => ({...r.dataset})")
                long_examples[f"{name}.md"] = long_ones(name, result.evaluate("r => r.dlfsResults || []"))
                here = native(name)
                report["pages"][name] = {
                    "examples": int(data.get("total", 0)), "passed_in_browser": int(data.get("passed", 0)),
                    "browser_check_seconds": wall, "browser_python_seconds": float(data.get("seconds", "nan")),
                    "native_seconds": here["seconds"], "native_process_seconds": here["process_seconds"],
                    "native_passed": here["passed"],
                    "ratio": float(data.get("seconds", "nan")) / here["seconds"] if here["seconds"] else None,
                }
                print(f"{name:22s} {report['pages'][name]['examples']:4d} examples  browser {wall:7.1f} s  "
                      f"native {here['seconds']:6.2f} s", flush=True)
                page.close()
            context.close()
            browser.close()
    report["environment"]["load_average_end"] = os.getloadavg()[0]
    print(f"cold first Run: {', '.join(f'{s:.2f}' for s in cold)} s; requests refused: {len(report['refused'])}")
    with atomic_file(args.out, "w") as out:
        json.dump(report, out, indent=1)
    if args.estimates:
        long = {f"{name}.md": round(r["browser_check_seconds"]) for name, r in report["pages"].items()
                if r["browser_check_seconds"] >= 60}
        with atomic_file(ESTIMATES, "w") as out:
            json.dump(long, out, indent=1)
            out.write("\n")
        with atomic_file(EXAMPLE_ESTIMATES, "w") as out:
            json.dump({page: seconds for page, seconds in long_examples.items() if seconds}, out, indent=1)
            out.write("\n")


def long_ones(name: str, results: list[dict]) -> dict[str, int]:
    """{statement: browser seconds} of the examples of page `name` that took `LONG_EXAMPLE` or more."""
    from dlfs.site.examples import parse_page
    from dlfs.site.runner import source

    examples = {e.line: e for e in parse_page((ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8"))}
    return {source(examples[r["line"]]).strip().split("\n")[0]: round(r["seconds"]) for r in results
            if r["seconds"] >= LONG_EXAMPLE and r["line"] in examples}


if __name__ == "__main__":
    main()
