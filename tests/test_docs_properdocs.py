"""The site builds with ProperDocs too, and comes out the same: the project can switch in a day.

MkDocs 1.6 is unmaintained and Material for MkDocs reaches its end of life
on 5 May 2027. ProperDocs, a maintained fork of MkDocs 1.6, reads the same
mkdocs.yml and runs the same hooks and plugins. This builds the site with
``properdocs build --strict`` after the MkDocs build of the session (sharing
its computed results, so it takes seconds; ``properdocs_site`` in
tests/conftest.py) and compares the two sites.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import BuiltSite

GENERATOR = re.compile(r'<meta name="generator" content="[^"]*">')


def files(site: Path) -> dict[str, Path]:
    return {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}


def test_the_same_files_come_out(built_site: BuiltSite, properdocs_site: BuiltSite) -> None:
    ours, theirs = files(built_site.path), files(properdocs_site.path)
    assert sorted(ours) == sorted(theirs)
    assert sum(name.startswith("figures/") for name in ours) >= 17


def test_the_same_pages_and_figures(built_site: BuiltSite, properdocs_site: BuiltSite) -> None:
    ours, theirs = files(built_site.path), files(properdocs_site.path)
    differ = []
    for name, path in ours.items():
        if name.endswith(".html"):
            a, b = (GENERATOR.sub("", p.read_text(encoding="utf-8")) for p in (path, theirs[name]))
        elif name.startswith(("figures/", "notebooks/")):
            a, b = path.read_bytes(), theirs[name].read_bytes()
        else:
            continue  # the search index and sitemap carry build dates
        if a != b:
            differ.append(name)
    assert not differ, f"ProperDocs built these differently: {differ}"
