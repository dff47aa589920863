"""A pytest plugin: what the test run verified, page by page, for the site's provenance stamps.

Loaded for every run (``-p tests.verification`` in pyproject.toml's addopts).
It counts, for each page (``docs/*.md``, ``README.md``), the examples Sybil
collected and how many passed, failed or were skipped, and at the end of the
session writes them, with the commit and the date, to
``test-artifacts/verification.json`` (or ``$DLFS_VERIFICATION``): the record
that ``docs/hooks/provenance.py`` stamps on every chapter of the next build.
A run that did not collect a page records nothing for it; a run with
uncommitted changes says so, and the build then claims nothing.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "test-artifacts" / "verification.json"


def record_path() -> Path:
    return Path(os.environ.get("DLFS_VERIFICATION") or DEFAULT)


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def commit() -> dict[str, Any]:
    """HEAD, its date, and whether files the site is built from differ from it."""
    changed = git("status", "--porcelain", "--", "dlfs", "docs", "mkdocs.yml", "README.md")
    return {"commit": git("rev-parse", "HEAD"), "commit_date": git("log", "-1", "--format=%cI"),
            "uncommitted_changes": bool(changed)}


def _page(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    if (path.startswith("docs/") and path.endswith(".md")) or path == "README.md":
        return path
    return None


class Verification:
    """The counts of one session, page by page."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, int]] = defaultdict(
            lambda: {"collected": 0, "passed": 0, "failed": 0, "skipped": 0})
        # what each doctest of a page printed, in page order: (line, want, got)
        self.outputs: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        try:
            return (yield)
        finally:
            example = getattr(item, "example", None)  # a Sybil item
            page = _page(item.nodeid)
            runner = getattr(getattr(getattr(example, "region", None), "evaluator", None), "runner", None)
            if page is not None and hasattr(runner, "got"):
                self.outputs[page].append((example.line, example.parsed.want, runner.got))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        # the tests that read this run's results run after every page's examples
        late = [item for item in items if item.get_closest_marker("after_pages")]
        items[:] = [item for item in items if not item.get_closest_marker("after_pages")] + late
        for item in items:
            page = _page(item.nodeid)
            if page is not None:
                self.pages[page]["collected"] += 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        page = _page(report.nodeid)
        if page is None:
            return
        counts = self.pages[page]
        if report.when == "call" or (report.when == "setup" and not report.passed):
            outcome = "failed" if report.failed else ("skipped" if report.skipped else "passed")
            counts[outcome] += 1

    def record(self) -> dict[str, Any]:
        return commit() | {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "pages": {page: dict(counts) for page, counts in sorted(self.pages.items())},
        }

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.pages:
            return  # this run ran no page: leave the last record alone
        from dlfs.download import atomic_file

        path = record_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path, "w") as f:
            json.dump(self.record(), f, indent=1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "after_pages: runs after every page's examples (reads their results)")
    config.pluginmanager.register(Verification(), "dlfs-verification")


def results(config: pytest.Config) -> Verification:
    """This session's counts so far."""
    plugin = config.pluginmanager.get_plugin("dlfs-verification")
    assert isinstance(plugin, Verification)
    return plugin
