"""MkDocs hook: the notebook pages, executed in parallel with the build and served offline.

- Execution: the walk-through (``docs/notebooks/*.py``, Jupytext percent
  format) is run top to bottom in a fresh kernel by `dlfs.site.build.Notebook`,
  in a thread that starts with the build and runs while MkDocs renders the
  other pages; a failing cell fails the build. The executed ``.ipynb`` is
  kept in the disk cache (keyed on the notebook and the dlfs code it
  imports), and mkdocs-jupyter renders it with ``execute: false``.
- Downloads: the Jupytext source (``.py``) and the executed notebook
  (``.ipynb``, with its outputs) are added beside the page; the theme
  override (``overrides/main.html``) draws a button for each.
- Offline: nbconvert's page template carries two loaders that point at a
  CDN: MathJax (already pointed at a no-op ``data:`` URL by
  ``custom_mathjax_url`` in mkdocs.yml, since KaTeX typesets the notebook's
  Markdown) and a Mermaid module imported on demand. Both are removed.
- Links: nbconvert, not MkDocs, renders a notebook's Markdown, so a link such
  as ``[chapter 7](../training.md)`` is pointed at the page built from that
  file, as MkDocs does for pages; a link to a file the site lacks is a
  warning (an error under ``--strict``).
"""

from __future__ import annotations

import logging
import posixpath
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.notebooks")

# <script ...>...</script> blocks, non-greedy, across lines
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_CDN_LOADERS = ("mermaid", "MathJax", "mathjax")
_HREF = re.compile(r"""(<a\b[^>]*?\bhref=)(["'])([^"']*)\2""", re.IGNORECASE)
NOTEBOOKS = "notebooks/"  # the folder of docs/ whose .py files are notebooks
_runs: dict = {}


@event_priority(90)  # after the figures hook has started; as early as possible
def on_pre_build(config: MkDocsConfig) -> None:
    from dlfs.site.build import Notebook

    _cleanup()
    root = Path(tempfile.mkdtemp(prefix="dlfs-notebooks-"))
    # mkdocs-jupyter renders what its include pattern (notebooks/*.ipynb) matches; the
    # downloads live elsewhere, so that it leaves them alone
    out, downloads = root / "notebooks", root / "downloads"
    out.mkdir()
    downloads.mkdir()
    _runs["out"] = root
    for source in sorted((Path(config.docs_dir) / NOTEBOOKS).glob("*.py")):
        _runs[NOTEBOOKS + source.name] = Notebook(source, out / f"{source.stem}.ipynb")


@event_priority(90)  # before mkdocs-jupyter looks at the files
def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _runs["out"]
    out, downloads = root / "notebooks", root / "downloads"
    for file in list(files):
        if file.src_uri not in _runs:
            continue
        source = Path(file.abs_src_path)
        executed = out / f"{source.stem}.ipynb"
        files.remove(file)
        # The page: mkdocs-jupyter renders the executed notebook, which appears at this
        # path. A File with a real src_dir, not File.generated: mkdocs-jupyter's wrapper
        # computes abs_src_path from src_dir.
        page_uri = file.src_uri[:-3] + ".ipynb"
        _runs[page_uri] = _runs.pop(file.src_uri)
        files.append(File(page_uri, src_dir=str(root), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
        # the downloads, beside the page
        folder = file.src_uri[:-3]
        files.append(File.generated(config, f"{folder}/{source.name}", abs_src_path=str(source)))
        files.append(File.generated(config, f"{folder}/{executed.name}",
                                    abs_src_path=str(downloads / executed.name)))
    return files


def on_page_read_source(page, config: MkDocsConfig):
    run = _runs.get(page.file.src_uri)
    if run is not None:  # the executed notebook must exist before MkDocs reads it
        try:
            executed = run.wait()
        except RuntimeError as error:
            raise PluginError(str(error)) from error
        shutil.copyfile(executed, executed.parent.parent / "downloads" / executed.name)
        log.info("notebook %s: executed in %.1f s (0 s: from the cache)", page.file.src_uri, run.seconds)
    return None


def on_page_context(context, page, config, nav):
    if page.file.src_uri in _runs:
        stem = posixpath.basename(page.file.src_uri).rsplit(".", 1)[0]
        page.downloads = [(f"{stem}.py", "Download the notebook's source (Jupytext: a Python script)"),
                          (f"{stem}.ipynb", "Download the executed notebook (.ipynb, with its outputs)")]
    return context


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
            log.warning("notebook %s links to %r, which is not a page of the site", page.file.src_uri, m.group(3))
            return m.group(0)
        new = urlunsplit(("", "", target.url_relative_to(page.file), "", url.fragment))
        return f"{m.group(1)}{m.group(2)}{new}{m.group(2)}"

    return _HREF.sub(fix, html)


def on_page_content(html: str, page, config, files) -> str:
    if page.file.src_uri not in _runs:
        return html
    return _link_pages(_drop_cdn_loaders(html), page, files)


def on_post_build(config: MkDocsConfig) -> None:
    _cleanup()


def on_build_error(error: Exception) -> None:
    _cleanup()


def _cleanup() -> None:
    for run in [r for k, r in _runs.items() if k != "out"]:
        run.thread.join()  # a kernel still running would write into a deleted folder
    out = _runs.pop("out", None)
    _runs.clear()
    if out is not None:
        shutil.rmtree(out, ignore_errors=True)
