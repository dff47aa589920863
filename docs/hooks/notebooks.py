"""MkDocs hook: finish the notebook pages that mkdocs-jupyter renders.

- Offline: nbconvert's page template carries two loaders that point at a CDN:
  MathJax (already pointed at a no-op ``data:`` URL by ``custom_mathjax_url``
  in mkdocs.yml, since KaTeX typesets the notebook's Markdown) and a Mermaid
  module imported on demand. The book uses neither: both are removed.
- Links: nbconvert, not MkDocs, renders a notebook's Markdown, so a link such
  as ``[chapter 7](../training.md)`` would stay a link to a ``.md`` file. Each
  one is pointed at the page built from that file, as MkDocs does for pages;
  a link to a file the site lacks is a warning (an error under ``--strict``).
- Time: how long executing and rendering each notebook took is logged.
"""

from __future__ import annotations

import logging
import posixpath
import re
import time
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("mkdocs.hooks.notebooks")

# <script ...>...</script> blocks, non-greedy, across lines
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_CDN_LOADERS = ("mermaid", "MathJax", "mathjax")
_HREF = re.compile(r"""(<a\b[^>]*?\bhref=)(["'])([^"']*)\2""", re.IGNORECASE)


def _is_notebook(page) -> bool:
    return bool(getattr(page, "nb_url", None))  # set by mkdocs-jupyter on notebook pages only


def _drop_cdn_loaders(html: str) -> str:
    return _SCRIPT.sub(lambda m: "" if any(w in m.group(0) for w in _CDN_LOADERS) else m.group(0), html)


def _link_pages(html: str, page, files) -> str:
    here = posixpath.dirname(page.file.src_uri)

    def fix(m: re.Match) -> str:
        url = urlsplit(m.group(3))
        if url.scheme or url.netloc or not url.path.endswith(".md"):
            return m.group(0)
        src_uri = posixpath.normpath(posixpath.join(here, url.path))
        target = files.get_file_from_path(src_uri)
        if target is None:
            log.warning("notebook %s links to %r, which is not a page of the site",
                        page.file.src_uri, m.group(3))
            return m.group(0)
        new = urlunsplit(("", "", target.url_relative_to(page.file), "", url.fragment))
        return f"{m.group(1)}{m.group(2)}{new}{m.group(2)}"

    return _HREF.sub(fix, html)


_started: dict[str, float] = {}


def on_page_markdown(markdown: str, page, config, files) -> str:
    if _is_notebook(page):  # mkdocs-jupyter executes the notebook in page.render, next
        _started[page.file.src_uri] = time.perf_counter()
    return markdown


def on_page_content(html: str, page, config, files) -> str:
    if not _is_notebook(page):
        return html
    start = _started.pop(page.file.src_uri, None)
    if start is not None:
        log.info("notebook %s: executed and rendered in %.1f s",
                 page.file.src_uri, time.perf_counter() - start)
    return _link_pages(_drop_cdn_loaders(html), page, files)
