"""Fixtures shared by the tests: the real MNIST, and one build of the site per session.

The session keeps the book's results in a fresh folder (``DLFS_BOOK_CACHE``):
the site build computes each result once, cold, and the page examples that
run after it read the same results instead of computing them again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlfs.book import PAGES as BOOK_PAGES
from dlfs.site.headless import CHROMIUM, FLAGS, serve
from tests.verification import results

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

# Set when this file is imported, before any page or build runs: one cold cache per session.
BOOK_CACHE = Path(tempfile.mkdtemp(prefix="dlfs-book-cache-"))
os.environ["DLFS_BOOK_CACHE"] = str(BOOK_CACHE)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(BOOK_CACHE, ignore_errors=True)


def require_real_mnist() -> str:
    """$DLFS_DATA, or skip on a developer's machine; fail in CI, where it must be set."""
    data = os.environ.get("DLFS_DATA")
    if not data:
        message = "the real MNIST is read from $DLFS_DATA/mnist/; set DLFS_DATA to run this test"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must set it)")
        pytest.skip(message)
    return data


@pytest.fixture(scope="session")
def mnist():
    """``(x_train, t_train), (x_test, t_test)``, float64 pixels in [0, 1], label indices."""
    require_real_mnist()
    from dlfs.datasets import load_mnist

    return load_mnist(dtype=np.float64)


@pytest.fixture(scope="session")
def mnist32():
    """The same data as float32, the dtype fast training uses."""
    require_real_mnist()
    from dlfs.datasets import load_mnist

    return load_mnist(dtype=np.float32)


class BuiltSite:
    """The result of one strict site build: where it went, its log, its time."""

    def __init__(self, path: Path, log: str, seconds: float) -> None:
        self.path, self.log, self.seconds = path, log, seconds

    def __repr__(self) -> str:
        return f"BuiltSite({self.path}, {self.seconds:.1f} s)"


def build_site(site: Path, *, tool: str = "mkdocs", env: dict[str, str] | None = None,
               log_name: str = "mkdocs-build.log") -> BuiltSite:
    """Run ``<tool> build --strict`` into `site`; fail the test with the log if it fails."""
    exe = shutil.which(tool, path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail(f"{tool} is not installed: install the docs extra (make setup)")
    env = dict(os.environ if env is None else env, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    start = time.perf_counter()
    result = subprocess.run([exe, "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / log_name).write_text(f"{log}\n[build took {seconds:.1f} s]\n")
    if result.returncode != 0:
        pytest.fail(f"{tool} build --strict failed ({seconds:.0f} s):\n{log[-6000:]}", pytrace=False)
    return BuiltSite(site, log, seconds)


def local_env(tmp: Path) -> dict[str, str]:
    """The environment of a developer's local build: no site URL, and no test results
    (so its stamps must say "not verified", whatever an earlier run left behind)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DLFS_SITE_URL", "SOURCE_DATE_EPOCH")}
    env["DLFS_VERIFICATION"] = str(tmp / "no-test-results.json")
    return env


@pytest.fixture(scope="session")
def built_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The site, built once per session with ``mkdocs build --strict``, cold, as a local build."""
    require_real_mnist()
    tmp = tmp_path_factory.mktemp("site")
    site = build_site(tmp / "site", env=local_env(tmp))
    if request.config.stash.get(WANT_BROWSER_CHECKS, False):
        start_browser_checks(site.path, tmp)  # minutes of WebAssembly, beside the rest of the suite
    return site


# ------------------------------------------------------------ every chapter in the browser

WANT_BROWSER_CHECKS = pytest.StashKey[bool]()
EVERY_CHAPTER_TEST = "test_every_chapter_passes_in_the_browser"
_browser_checks: dict[str, Any] = {}


@pytest.fixture(scope="module")
def server(built_site: BuiltSite):
    """The built site over HTTP on 127.0.0.1, on a free port: its URL."""
    with serve(built_site.path) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium (Debian's, with `dlfs.site.headless.FLAGS`), through Playwright."""
    if not shutil.which(CHROMIUM):
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    with sync_api.sync_playwright() as p:
        # Playwright gives Chromium a fresh temporary --user-data-dir of its own
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Checking every chapter in the browser takes minutes: if this run includes that test,
    the check starts in the background as soon as the site is built (see built_site)."""
    session.config.stash[WANT_BROWSER_CHECKS] = any(EVERY_CHAPTER_TEST in item.nodeid for item in session.items)


def start_browser_checks(site: Path, tmp: Path) -> None:
    if _browser_checks:
        return
    out, log = tmp / "browser-checks.json", tmp / "browser-checks.log"
    with open(log, "wb") as f:
        proc = subprocess.Popen([sys.executable, "-m", "tests.browser_check", "--site", str(site), "--out", str(out)],
                                cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    _browser_checks.update(proc=proc, out=out, log=log)


def browser_check_results(site: Path, tmp: Path, timeout: float) -> dict[str, Any]:
    """Every chapter's "Check this page" result, waiting for the background check to end."""
    start_browser_checks(site, tmp)  # if the site was built before this run wanted them
    proc: subprocess.Popen[bytes] = _browser_checks["proc"]
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log = _browser_checks["log"].read_text(errors="replace")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-checks.log").write_text(log)
    if proc.returncode != 0 or not _browser_checks["out"].is_file():
        pytest.fail(f"the browser check of every chapter failed (exit {proc.returncode}):\n{log[-4000:]}",
                    pytrace=False)
    return json.loads(_browser_checks["out"].read_text(encoding="utf-8"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    proc = _browser_checks.get("proc")
    if proc is not None and proc.poll() is None:  # the run ended early: the check ends with it
        proc.kill()
        proc.wait()


SITE_URL = "https://dlfs.example.org/book/"


def this_sessions_record(config: pytest.Config, tmp: Path) -> dict[str, Any]:
    record = results(config).record()
    if all(f"docs/{p}.md" in record["pages"] for p in BOOK_PAGES):
        return record
    # this file was run on its own: run the pages' examples to get a record
    out = tmp / "pages-run.json"
    env = dict(os.environ, DLFS_VERIFICATION=str(out))
    pages = [f"docs/{p}.md" for p in BOOK_PAGES]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pages],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    if not out.is_file():
        pytest.fail(f"running the pages wrote no record:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def record(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    require_real_mnist()
    return this_sessions_record(request.config, tmp_path_factory.mktemp("record"))


@pytest.fixture(scope="session")
def published_site(record: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The site as the deploy workflow builds it after `make test`: with its URL, and stamped
    from this session's test results. Only for tests marked ``after_pages``."""
    tmp = tmp_path_factory.mktemp("published")
    path = tmp / "verification.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    env = dict(os.environ, DLFS_SITE_URL=SITE_URL, DLFS_VERIFICATION=str(path))
    env.pop("SOURCE_DATE_EPOCH", None)
    return build_site(tmp / "site", env=env, log_name="published-build.log")
