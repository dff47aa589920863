"""Sybil runs every example: the docstrings in dlfs/, the chapters, the README.

Each document gets a fresh namespace with ``np`` and NumPy's print options
fixed, so printed arrays look the same on every machine.

This file also holds ``built_site``, the one ``mkdocs build --strict`` of a
test session, shared by every ``tests/test_docs_*.py`` module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE
from pathlib import Path

import numpy as np
import pytest
from sybil import Sybil
from sybil.evaluators.doctest import NUMBER
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser

ROOT = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts"
OPTIONS = ELLIPSIS | NORMALIZE_WHITESPACE | NUMBER


def _setup(namespace: dict) -> None:
    np.set_printoptions(legacy="1.25", precision=8, suppress=False, linewidth=75)
    namespace["np"] = np


def _teardown(namespace: dict) -> None:
    np.set_printoptions(legacy=False)


# pathlib's match() reads `**` as one folder level (Python 3.11), so each depth
# is spelled out: docs/index.md and dlfs/plots/*.py are both collected.
DOCSTRINGS = Sybil(
    parsers=[DocTestParser(optionflags=OPTIONS)],
    patterns=["dlfs/*.py", "dlfs/*/*.py"],
    setup=_setup,
    teardown=_teardown,
    name="docstrings",
)
PAGES = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=OPTIONS),
        SkipParser(),
        ClearNamespaceParser(),
    ],
    patterns=["docs/*.md", "docs/*/*.md", "README.md"],
    setup=_setup,
    teardown=_teardown,
    name="pages",
)
pytest_collect_file = (DOCSTRINGS + PAGES).pytest()


def require_dlfs_data() -> str:
    """$DLFS_DATA, or skip (fail in CI, where it must be set)."""
    data = os.environ.get("DLFS_DATA")
    if not data:
        message = "the site build reads the real MNIST from $DLFS_DATA/mnist/; set DLFS_DATA"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must set it)")
        pytest.skip(message)
    return data


class BuiltSite:
    """The result of one ``mkdocs build --strict``: where it went, its log, its time."""

    def __init__(self, path: Path, log: str, seconds: float) -> None:
        self.path, self.log, self.seconds = path, log, seconds

    def __repr__(self) -> str:
        return f"BuiltSite({self.path}, {self.seconds:.1f} s)"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """Build the site once per session with ``mkdocs build --strict`` into a temp dir."""
    require_dlfs_data()
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.fail("mkdocs is not installed: install the docs extra (make setup)")
    site = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    start = time.perf_counter()
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "mkdocs-build.log").write_text(f"{log}\n[build took {seconds:.1f} s]\n")
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed ({seconds:.0f} s):\n{log[-6000:]}", pytrace=False)
    return BuiltSite(site, log, seconds)
