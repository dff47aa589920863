"""The published build: its real URL, and a provenance stamp on every chapter.

``published_site`` builds the site the way the deploy workflow does, after
``make test``: with ``DLFS_SITE_URL`` set, and with the test results of this
very session (``tests/verification.py``) as its record. These tests run after
every page's examples (``after_pages``), so the record is complete. A run of
this file alone first runs the pages' examples in a subprocess to get one.

The local build (``built_site``: no URL, no test results) is checked too: it
must claim nothing, and have no absolute URL anywhere.
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conftest import PAGES
from dlfs.book import PAGES as BOOK_PAGES
from dlfs.book import figures_of
from tests.conftest import SITE_URL, BuiltSite
from tests.test_docs_build import nav_pages, page_html
from tests.verification import commit

ROOT = Path(__file__).resolve().parents[1]
STAMP = re.compile(r'<div class="dlfs-stamp" ([^>]*)>(.*?)</div>', re.DOTALL)
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

pytestmark = pytest.mark.after_pages


def page_url(page: str) -> str:
    stem = page.rsplit(".", 1)[0]
    return "" if stem == "index" else f"{stem}/"


def stamps(site: Path, page: str) -> list[dict[str, Any]]:
    """The stamps on a built page: their data- attributes and their text."""
    html = page_html(site, page).read_text(encoding="utf-8")
    found = []
    for m in STAMP.finditer(html):
        attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', m[1]))
        attrs["text"] = " ".join(re.sub(r"<[^>]+>", "", m[2]).split())
        found.append(attrs)
    return found


def code_examples(page: str) -> int:
    """The examples Sybil finds on a page, counted from the page itself."""
    return sum(1 for _ in PAGES.parse(ROOT / page))


def test_every_page_is_in_the_sitemap_with_its_canonical_url(published_site: BuiltSite) -> None:
    tree = ET.parse(published_site.path / "sitemap.xml")
    listed = [loc.text for loc in tree.iter(f"{SITEMAP}loc")]
    expected = [SITE_URL + page_url(page) for page in nav_pages()]
    assert sorted(listed) == sorted(expected)
    for page in nav_pages():
        html = page_html(published_site.path, page).read_text(encoding="utf-8")
        canonical = re.findall(r'<link rel="canonical" href="([^"]*)"', html)
        assert canonical == [SITE_URL + page_url(page)], page


def test_a_local_build_has_no_absolute_url(built_site: BuiltSite) -> None:
    tree = ET.parse(built_site.path / "sitemap.xml")
    assert [loc.text for loc in tree.iter(f"{SITEMAP}loc")] == []
    for page in nav_pages():
        html = page_html(built_site.path, page).read_text(encoding="utf-8")
        assert 'rel="canonical"' not in html, page
        assert "dlfs.example.org" not in html, page


def test_every_chapter_is_stamped_with_this_commit_and_this_runs_counts(
    published_site: BuiltSite, record: dict[str, Any]
) -> None:
    head = commit()
    assert record["commit"] == head["commit"] != ""
    chapters = [page for page in nav_pages() if page.removesuffix(".md") in BOOK_PAGES]
    assert len(chapters) == len(BOOK_PAGES) >= 8
    for page in chapters:
        [stamp] = stamps(published_site.path, page)
        counts = record["pages"][f"docs/{page}"]
        assert stamp["commit"] == head["commit"], page
        assert int(stamp["figures"]) == len(figures_of(page.removesuffix(".md"))), page
        assert int(stamp["examples"]) == counts["collected"] == code_examples(f"docs/{page}") > 0, page
        assert int(stamp["passed"]) == counts["passed"], page
        assert int(stamp["failed"]) == counts["failed"], page
        if head["uncommitted_changes"]:  # a developer's checkout: nothing may be claimed
            assert stamp["dlfs-stamp"] == "unverified", page
            assert stamp["text"].startswith("Not verified:"), stamp["text"]
        elif counts["passed"] == counts["collected"]:
            assert stamp["dlfs-stamp"] == "verified", page
            assert stamp["text"].startswith(f"Verified: all {counts['collected']} examples on this page "
                                            f"ran and passed in the test run of {head['commit'][:7]}"), stamp
        else:
            assert stamp["dlfs-stamp"] == "failed", page
    for page in nav_pages():  # pages without a dlfs.book module carry no stamp
        if page not in chapters:
            assert stamps(published_site.path, page) == [], page


def test_a_local_build_without_test_results_claims_nothing(built_site: BuiltSite) -> None:
    head = commit()["commit"]
    for page in BOOK_PAGES:
        [stamp] = stamps(built_site.path, f"{page}.md")
        assert stamp["dlfs-stamp"] == "unverified", page
        assert stamp["text"].startswith("Not verified by this build: it found no test results"), stamp
        assert "examples" not in stamp and stamp["commit"] == head, stamp


def test_a_record_of_another_commit_verifies_nothing(tmp_path: Path) -> None:
    """The stamp is computed by the hook from the record and the checkout, never copied."""
    spec = importlib.util.spec_from_file_location("provenance_hook", ROOT / "docs" / "hooks" / "provenance.py")
    assert spec is not None and spec.loader is not None
    provenance = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(provenance)
    other = {"commit": "0" * 40, "date": "2026-01-01T00:00:00+00:00", "uncommitted_changes": False,
             "pages": {"docs/learning.md": {"collected": 3, "passed": 3, "failed": 0, "skipped": 0}}}
    provenance._build.update(commit="1" * 40, dirty=False, date="2026-01-02", record=other)
    assert 'data-dlfs-stamp="unverified"' in provenance.stamp("learning", 2)
    assert "results it found are of another commit, `0000000`" in provenance.stamp("learning", 2)
    other["commit"] = "1" * 40
    assert 'data-dlfs-stamp="verified"' in provenance.stamp("learning", 2)
    other["pages"]["docs/learning.md"]["passed"] = 2  # type: ignore[index]
    other["pages"]["docs/learning.md"]["failed"] = 1  # type: ignore[index]
    text = provenance.stamp("learning", 2)
    assert 'data-dlfs-stamp="failed"' in text and "2 of the 3 examples on this page passed and 1 failed" in text
    provenance._build.update(dirty=True)
    assert 'data-dlfs-stamp="unverified"' in provenance.stamp("learning", 2)
