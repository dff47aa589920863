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
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import settings

from dlfs.book import PAGES as BOOK_PAGES
from dlfs.site.headless import CHROMIUM, FLAGS, serve
from tests.background import remove_groups, run_groups, wrap
from tests.verification import results

ROOT = Path(__file__).resolve().parents[1]

# Property tests draw their examples from a fixed seed: a run on any machine tries the same cases,
# and a failure found once is found again (a test's own @settings still sets how many).
settings.register_profile("dlfs", derandomize=True)
settings.load_profile("dlfs")
ARTIFACTS = ROOT / "test-artifacts"

# Set when this file is imported, before any page or build runs: one cold cache per session.
BOOK_CACHE = Path(tempfile.mkdtemp(prefix="dlfs-book-cache-"))
os.environ["DLFS_BOOK_CACHE"] = str(BOOK_CACHE)


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
               log_name: str = "mkdocs-build.log", background: bool = False) -> BuiltSite:
    """Run ``<tool> build --strict`` into `site`; fail the test with the log if it fails.
    `background`: at the background's share of the CPU (`background_share`), beside the tests."""
    exe = shutil.which(tool, path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail(f"{tool} is not installed: install the docs extra (make setup)")
    env = dict(os.environ if env is None else env, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    start = time.perf_counter()
    command = [exe, "build", "--strict", "--site-dir", str(site)]
    result = subprocess.run(wrap(command, background_share()) if background else command,
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
    env = {k: v for k, v in os.environ.items() if k not in ("DLFS_SITE_URL", "SOURCE_DATE_EPOCH", "DLFS_PDF")}
    env["DLFS_VERIFICATION"] = str(tmp / "no-test-results.json")
    return env


# ------------------------------------------------ the site, and every chapter in the browser
# Work that takes minutes runs beside the rest of the suite, started as early as it can be:
# the site build as soon as the tests are collected (if any of them uses it), then at once,
# from the same thread, every chapter's "Check this page" in two lanes of headless Chromium
# (tests/browser_check.py) and the ProperDocs build. The fixtures wait for what they need.
# What runs beside the tests (the checks, the ProperDocs and published builds, the PDF) runs with a
# small share of the CPU where a control group can be made (tests/background.py): the main thread of
# tests is the run's critical path, and the background fills what it leaves idle.

WANT_BROWSER_CHECKS = pytest.StashKey[bool]()
EVERY_CHAPTER_TEST = "test_every_chapter_passes_in_the_browser"
LANES = 2  # processes checking chapters in the browser, side by side
_background: dict[str, Any] = {}


def background_share() -> Path | None:
    """The control group of this run's background work, with a small share of the CPU beside this
    run's tests (tests/background.py), made at its first use; None where it cannot be made."""
    if "group" not in _background:
        groups = run_groups(f"dlfs-run-{os.getpid()}")
        _background["group"] = None if groups is None else groups[1]
    return _background["group"]


def _build_in_background(folder: Path, want_checks: bool) -> None:
    """The thread: build the site; once built, start the browser checks and the ProperDocs build."""
    try:
        site = build_site(folder / "site", env=local_env(folder))
    except BaseException as error:  # build_site fails the test that waits: keep it for the fixture
        _background["error"] = error
        return
    _background["site"] = site
    if want_checks:
        start_browser_checks(site.path, folder)
    try:
        _background["properdocs"] = build_site(folder / "properdocs" / "site", tool="properdocs",
                                               env=local_env(folder / "properdocs"),
                                               log_name="properdocs-build.log", background=True)
    except BaseException as error:
        _background["properdocs_error"] = error


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests of the built site run after the others (in their order): the site is built in the background
    from the end of collection, and the tests that need nothing of it run meanwhile instead of waiting for it."""
    later = [item for item in items if "built_site" in getattr(item, "fixturenames", ())]
    if later:
        waiting = set(map(id, later))
        items[:] = [item for item in items if id(item) not in waiting] + later


def pytest_collection_finish(session: pytest.Session) -> None:
    _background["config"] = session.config
    if any("published_site" in getattr(item, "fixturenames", ()) for item in session.items):
        pages = [item.nodeid for item in session.items if item.nodeid.startswith(("docs/", "README.md"))]
        every_chapter = {f"docs/{p}.md" for p in BOOK_PAGES} <= {page.split("::")[0] for page in pages}
        if every_chapter:  # the published build and the PDF start in the background once the last page has run
            _background["last_page"] = pages[-1]
    want_checks = any(EVERY_CHAPTER_TEST in item.nodeid for item in session.items)
    session.config.stash[WANT_BROWSER_CHECKS] = want_checks
    wants_site = any("built_site" in getattr(item, "fixturenames", ()) for item in session.items)
    if wants_site and os.environ.get("DLFS_DATA") and "thread" not in _background and not os.environ.get(BUILT):
        folder = Path(tempfile.mkdtemp(prefix="dlfs-site-"))
        (folder / "properdocs").mkdir()
        _background.update(folder=folder, thread=threading.Thread(
            target=_build_in_background, args=(folder, want_checks), name="site build", daemon=True))
        _background["thread"].start()


def _wait_for_build() -> None:
    thread = _background.get("thread")
    if thread is None:
        pytest.fail("the site build did not start: no test collected wants it, or DLFS_DATA is unset")
    thread.join()
    if "error" in _background:
        raise _background["error"]


# A site built before the run (`mkdocs build --strict --site-dir DIR`), to iterate on the tests of
# the built site without building it again; the tests of the build itself (its log) then fail.
BUILT = "DLFS_BUILT_SITE"


@pytest.fixture(scope="session")
def built_site() -> BuiltSite:
    """The site, built once per session with ``mkdocs build --strict``, cold, as a local build
    (started in the background when the tests were collected), or the one ``$DLFS_BUILT_SITE`` names."""
    if os.environ.get(BUILT):
        return BuiltSite(Path(os.environ[BUILT]), log="", seconds=0.0)
    require_real_mnist()
    _wait_for_build()
    return _background["site"]


@pytest.fixture(scope="session")
def properdocs_site(built_site: BuiltSite) -> BuiltSite:
    """The same site built with ProperDocs (the maintained fork of MkDocs 1.6), after the MkDocs build."""
    if "properdocs_error" in _background:
        raise _background["properdocs_error"]
    return _background["properdocs"]


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


def start_browser_checks(site: Path, tmp: Path) -> None:
    """Every chapter's check, in `LANES` processes that take the chapters from one queue, longest first."""
    if _background.get("lanes"):
        return
    from tests.browser_check import CHAPTERS, lanes

    known = json.loads((ROOT / "browser" / "check-seconds.json").read_text(encoding="utf-8"))
    estimates = {name.removesuffix(".md"): float(seconds) for name, seconds in known.items()}
    started = []
    queue = Path(tempfile.mkdtemp(prefix="browser-checks-queue-", dir=tmp))
    for i, chapters in enumerate(lanes(CHAPTERS, estimates, LANES)):
        out, log = tmp / f"browser-checks-{i}.json", tmp / f"browser-checks-{i}.log"
        with open(log, "wb") as f:
            command = [sys.executable, "-m", "tests.browser_check", "--site", str(site),
                       "--out", str(out), "--chapters", ",".join(chapters), "--queue", str(queue)]
            proc = subprocess.Popen(wrap(command, background_share()), cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
        started.append({"proc": proc, "out": out, "log": log, "chapters": chapters})
    _background["lanes"] = started


def browser_check_results(site: Path, tmp: Path, timeout: float) -> dict[str, Any]:
    """Every chapter's "Check this page" result, waiting for the background lanes to end."""
    start_browser_checks(site, tmp)  # if the site was built before this run wanted them
    deadline = time.monotonic() + timeout
    results: dict[str, Any] = {}
    logs = []
    for lane in _background["lanes"]:
        proc: subprocess.Popen[bytes] = lane["proc"]
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log = lane["log"].read_text(errors="replace")
        logs.append(log)
        if proc.returncode != 0 or not lane["out"].is_file():
            pytest.fail(f"the browser check of {lane['chapters']} failed (exit {proc.returncode}):\n{log[-4000:]}",
                        pytrace=False)
        results |= json.loads(lane["out"].read_text(encoding="utf-8"))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-checks.log").write_text("\n".join(logs))
    return results


def pytest_sessionfinish(session: pytest.Session) -> None:
    for lane in _background.get("lanes", []):  # the run ended early: the checks end with it
        if lane["proc"].poll() is None:
            lane["proc"].kill()
            lane["proc"].wait()


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(BOOK_CACHE, ignore_errors=True)
    if _background.get("group") is not None:
        remove_groups(_background["group"].parent)
    for thread, folder in [("thread", "folder"), ("publish_thread", "published_folder")]:
        if thread in _background and not _background[thread].is_alive():  # a live one still writes there
            shutil.rmtree(_background[folder], ignore_errors=True)


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


def _published_build(record: dict[str, Any], folder: Path, background: bool = False) -> BuiltSite:
    path = folder / "verification.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    # DLFS_PDF: the PDF is printed from this build (print_pdf), as `make pdf` does, so its pages link it
    env = dict(os.environ, DLFS_SITE_URL=SITE_URL, DLFS_VERIFICATION=str(path), DLFS_PDF="1")
    env.pop("SOURCE_DATE_EPOCH", None)
    return build_site(folder / "site", env=env, log_name="published-build.log", background=background)


def print_pdf(site: Path, out: Path, background: bool = False) -> tuple[int, str]:
    """``python -m dlfs.site.pdf`` on a built site: its exit status and its log."""
    command = [sys.executable, "-m", "dlfs.site.pdf", "--site", str(site), "--out", str(out)]
    # 20 minutes: each of its four steps may take 5 (dlfs.site.pdf's TIMEOUT_MS) at the background's share
    result = subprocess.run(wrap(command, background_share()) if background else command,
                            cwd=ROOT, capture_output=True, text=True, timeout=1200)
    return result.returncode, result.stdout + result.stderr


def _publish_in_background(record: dict[str, Any], folder: Path) -> None:
    """The thread started when the last page has run: the published build, then the PDF printed from it."""
    try:
        _background["published"] = site = _published_build(record, folder, background=True)
    except BaseException as error:
        _background["published_error"] = error
        return
    _background["pdf"] = (folder / "dlfs.pdf", *print_pdf(site.path, folder / "dlfs.pdf", background=True))


class _PublishWhenThePagesHaveRun:
    """Starts the published build once the last page has run. A plugin, not a hook of this conftest:
    pytest calls a conftest's item hooks only for items under its folder, and the pages are not."""

    @staticmethod
    def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
        start_publishing(nodeid)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_PublishWhenThePagesHaveRun(), "dlfs-publish-when-the-pages-have-run")


def start_publishing(nodeid: str) -> None:
    if nodeid == _background.get("last_page") and "publish_thread" not in _background:
        record = results(_background["config"]).record()
        folder = Path(tempfile.mkdtemp(prefix="dlfs-published-"))
        _background["published_folder"] = folder
        _background["publish_thread"] = threading.Thread(target=_publish_in_background, args=(record, folder),
                                                         name="published build", daemon=True)
        _background["publish_thread"].start()


@pytest.fixture(scope="session")
def published_site(record: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The site as the deploy workflow builds it after `make test`: with its URL, and stamped
    from this session's test results. Only for tests marked ``after_pages``. In a whole run it is
    built (and the PDF printed from it) in the background as soon as the last page has run."""
    thread = _background.get("publish_thread")
    if thread is None and _background.get("last_page"):
        pytest.fail(f"the published build should have started in the background when "
                    f"{_background['last_page']} ran, and did not", pytrace=False)
    if thread is None:  # a run of a few files, without every chapter
        return _published_build(record, tmp_path_factory.mktemp("published"))
    thread.join()
    if "published_error" in _background:
        raise _background["published_error"]
    return _background["published"]


def background_pdf(published: BuiltSite, out: Path) -> tuple[Path, int, str]:
    """The PDF of the published site: the one printed in the background, or printed now."""
    if "pdf" in _background and _background.get("published") is published:
        return _background["pdf"]
    return (out, *print_pdf(published.path, out))
