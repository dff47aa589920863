"""MkDocs hook: the book's figures, drawn at build time, and where its data and results live.

- ``on_config``: results are kept in ``$DLFS_BOOK_CACHE`` (by default
  ``.cache/dlfs-book`` in the repository), keyed on the code they depend on
  (``dlfs/book/cache.py``). MNIST is found as `dlfs.datasets.load_mnist`
  finds it: ``$DLFS_DATA/mnist/``, else the user cache, downloaded (and
  checked by SHA-256) when missing. With no data and no network the build
  stops at once, with one message saying where it looked and what to do.
- ``on_pre_build``, as early as possible once every hook has read the
  config (a hook that finds something missing there stops the build before
  anything is computed): drawing starts (`dlfs.site.build.Figures`: two
  worker processes, while MkDocs reads and renders the pages).
- ``on_files``: each SVG is added to the build as a generated file at
  ``figures/<name>``. Nothing is written into
  ``docs/``, so ``mkdocs serve`` does not rebuild in a loop, and ``--strict``
  checks every image link a page makes.
- ``on_env``, before MkDocs copies the files: every figure is waited for.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.figures")
_state: dict = {}


def _forget_dlfs() -> None:
    """Drop dlfs from this process, so each build (mkdocs serve) imports the edited source."""
    for name in [n for n in sys.modules if n == "dlfs" or n.startswith("dlfs.")]:
        del sys.modules[name]


@event_priority(100)  # before the other hooks and plugins, which rely on the cache and data
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    _forget_dlfs()
    from dlfs.datasets import DatasetNotFoundError, locate
    from dlfs.site.build import use_disk_cache

    cache = use_disk_cache(Path(config.config_file_path).parent)
    log.info("results are kept in %s (DLFS_BOOK_CACHE)", cache)
    try:
        folder = locate("mnist")
    except DatasetNotFoundError as error:
        raise PluginError(f"The book's figures and notebook train on MNIST, which was not found. {error}") from None
    log.info("MNIST from %s", folder)
    return config


@event_priority(100)  # first: the drawing takes longest
def on_pre_build(config: MkDocsConfig) -> None:
    from dlfs.site.build import Figures

    _cleanup()
    out = Path(tempfile.mkdtemp(prefix="dlfs-figures-"))
    _state["out"] = out
    _state["figures"] = Figures(out)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    figures = _state["figures"]
    for name in figures.names:
        files.append(File.generated(config, f"figures/{name}", abs_src_path=str(figures.path(name))))
    return files


def on_env(env, config: MkDocsConfig, files: Files):
    try:
        log.info(_state["figures"].wait())
    except RuntimeError as error:
        raise PluginError(str(error)) from error
    return env


def on_post_build(config: MkDocsConfig) -> None:
    _cleanup()


def on_build_error(error: Exception) -> None:
    figures = _state.get("figures")
    if figures is not None:
        figures.shutdown()
    _cleanup()


def _cleanup() -> None:
    out = _state.pop("out", None)
    if out is not None:
        shutil.rmtree(out, ignore_errors=True)
