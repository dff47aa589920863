"""MkDocs hook: each chapter as a Jupyter notebook to download (`dlfs.site.notebooks`).

``on_files`` writes ``<page>/<page>.ipynb`` beside each chapter of
`dlfs.book.PAGES` (its examples in page order, its exercises to fill in and
``check``); ``on_page_context`` lists it in ``page.downloads``, which the
theme override (``overrides/main.html``) draws as a download button.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

TITLE = "Download this chapter as a Jupyter notebook: its examples, and its exercises to write and check"


def _chapters() -> tuple[str, ...]:
    from dlfs.book import PAGES

    return PAGES


def on_files(files: Files, config: MkDocsConfig) -> Files:
    from dlfs.site.notebooks import notebook_text

    for page in _chapters():
        text = (Path(config.docs_dir) / f"{page}.md").read_text(encoding="utf-8")
        files.append(File.generated(config, f"{page}/{page}.ipynb", content=notebook_text(text, page)))
    return files


def on_page_context(context, page, config, nav):
    slug = page.file.src_uri.removesuffix(".md")
    if slug in _chapters():
        page.downloads = [*(getattr(page, "downloads", None) or []), (f"{slug}.ipynb", TITLE)]
    return context
