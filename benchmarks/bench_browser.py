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
    cache, as in the browser).

Any request that would leave 127.0.0.1 is refused and recorded. Writes JSON
(``benchmarks/results/bench_browser.json``, atomically); ``--estimates``
also writes the check times of the long pages into ``browser/check-seconds.json``,
which the pages show before a check.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dlfs.download import atomic_file
from dlfs.site.headless import CHROMIUM, FLAGS, serve

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "bench_browser.json"
ESTIMATES = ROOT / "browser" / "check-seconds.json"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one, cold)")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--estimates", action="store_true", help=f"write the long pages' check times to {ESTIMATES}")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = [p for p in args.pages.split(",") if p]
    report: dict = {"schema": 1, "pages": {}, "cold_first_run": {}, "refused": [],
                    "environment": {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                                    "python": platform.python_version(), "cpu_count": os.cpu_count(),
                                    "load_average_start": os.getloadavg()[0]}}
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


if __name__ == "__main__":
    main()
