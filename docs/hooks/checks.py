"""MkDocs hook: checks of the built pages that fail a strict build, each warning naming the page.

- ``on_post_page``: no Markdown source reaches a reader as text. A code fence
  (```` ``` ````) or a ``>>>`` prompt line outside ``<pre>``/``<code>`` means a
  block did not render as code (a fence on a list item's first line, say), and
  three quotes nested in one another are what Markdown makes of a ``>>>`` line.
- ``on_post_build``: every relative ``href`` and ``src`` of every built page
  names a file the build wrote. The one exception is ``dlfs.pdf`` when
  ``DLFS_PDF`` is set: ``make pdf`` prints it into the site after the build.

Warnings, not errors: ``mkdocs build --strict`` (mkdocs.yml sets ``strict``)
fails on them, while ``make serve`` shows them and goes on.
"""

from __future__ import annotations

import logging
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mkdocs.config.defaults import MkDocsConfig

log = logging.getLogger("mkdocs.hooks.checks")

CODE = {"pre", "code", "script", "style", "textarea", "template", "kbd", "samp"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PROMPT = re.compile(r"^\s*>>>", re.MULTILINE)
LINKS = {"href", "src"}
PDF = "dlfs.pdf"  # written into the site by `make pdf` (python -m dlfs.site.pdf) after the build


class _Reader(HTMLParser):
    """What a page shows as text outside code, its nesting of quotes, and the URLs it links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in LINKS and value]
        if tag in VOID:
            return
        self.open.append(tag)
        if tag == "blockquote" and self.open.count("blockquote") == 3:
            self.problems.append("three quotes nested in one another: a >>> prompt line rendered as Markdown")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in LINKS and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:  # close it and whatever was left open inside it
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        if CODE.intersection(self.open):
            return
        if "```" in data:
            self.problems.append(f"a code fence shown as text: {_excerpt(data, data.index('```'))!r}")
        if (m := PROMPT.search(data)) is not None:
            self.problems.append(f"a >>> prompt shown as text: {_excerpt(data, m.end())!r}")


def _excerpt(text: str, at: int) -> str:
    return " ".join(text[max(0, at - 40): at + 60].split())


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def source_shown_as_text(html: str) -> list[str]:
    """What of a page's Markdown source its HTML shows as text instead of as code (empty: nothing)."""
    return read(html).problems


def on_post_page(output: str, page, config: MkDocsConfig) -> str:
    for problem in source_shown_as_text(output):
        log.warning("%s: %s", page.file.src_uri, problem)
    return output


def missing_targets(site: Path, pdf: bool, root: str = "/") -> list[str]:
    """Each ``<page>: <url>`` of the built `site` whose relative href or src names no file in it.
    `root`: the path of the site on its host (``/book/`` for ``https://host/book/``), which a path
    from the host's root, such as the 404 page's, starts with."""
    site = site.resolve()
    missing = []
    for path in sorted(site.rglob("*.html")):
        for url in dict.fromkeys(read(path.read_text(encoding="utf-8")).urls):
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path:  # another host (test_docs_site.py), or #id
                continue
            local = unquote(parts.path)
            if local.startswith("/"):
                local = local.removeprefix(root) if local.startswith(root) else f"../{local}"  # off the site
            target = (site / local if parts.path.startswith("/") else path.parent / local).resolve()
            if target.is_dir() or parts.path.endswith("/"):
                target = target / "index.html"
            if pdf and target == site / PDF:
                continue
            if site not in target.parents or not target.is_file():
                missing.append(f"{path.relative_to(site)}: {url}")
    return missing


def on_post_build(config: MkDocsConfig) -> None:
    root = urlsplit(config.site_url or "/").path or "/"
    missing = missing_targets(Path(config.site_dir), pdf=bool(os.environ.get("DLFS_PDF")),
                              root=root if root.endswith("/") else root + "/")
    for where in missing:
        log.warning("a link to a file the build did not write: %s", where)
