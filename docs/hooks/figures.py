"""MkDocs hook: draw the book's figures at build time.

Every figure is a function in ``dlfs.plots`` (see ``dlfs.plots.all_figures``).
``on_files`` draws them all and adds each SVG to the build as a generated file
at ``figures/<name>``: nothing is written into ``docs/``, so ``mkdocs serve``
does not rebuild in a loop, and ``--strict`` checks every image link a page
makes. The figures and the notebook read the real MNIST from ``$DLFS_DATA``,
so the build stops at once, saying what to do, when it is not set.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import sys
import time
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.figures")

# `mkdocs serve` runs on_files once per rebuild, in one process: the figures of
# the last build are kept, keyed by the library's source, and redrawn only when
# a file under dlfs/ changed (a prose edit then rebuilds in seconds).
_last: tuple[str, dict[str, bytes]] | None = None


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    data = os.environ.get("DLFS_DATA")
    if not data:
        raise PluginError(
            "DLFS_DATA is not set. The book's figures and its notebook train on the real "
            "MNIST, read from $DLFS_DATA/mnist/. Set DLFS_DATA to the folder that holds "
            "mnist/, e.g. `DLFS_DATA=../shared/datasets make serve` "
            "(or `export DLFS_DATA=/path/containing/mnist`), then build again."
        )
    if not (Path(data) / "mnist").is_dir():
        raise PluginError(
            f"DLFS_DATA={data} has no mnist/ folder. Point DLFS_DATA at the folder that "
            "holds mnist/ (with the four IDX files), e.g. DLFS_DATA=../shared/datasets."
        )
    return config


def _source_key() -> str:
    """A hash of every module of dlfs: figures depend on the library, not only on plots/."""
    import dlfs

    digest = hashlib.sha256(os.environ.get("DLFS_DATA", "").encode())
    for path in sorted(Path(dlfs.__file__).parent.rglob("*.py")):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _forget_dlfs() -> None:
    """Drop every dlfs module, so the next import reads the edited source afresh."""
    for name in [n for n in sys.modules if n == "dlfs" or n.startswith("dlfs.")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def _draw_all() -> dict[str, bytes]:
    from dlfs.plots import all_figures, to_svg

    start = time.perf_counter()
    svgs, timings = {}, []
    for name, draw in sorted(all_figures().items()):
        t0 = time.perf_counter()
        try:
            svgs[name] = to_svg(draw())
        except Exception as error:
            where = f"{getattr(draw, '__module__', '?')}.{getattr(draw, '__qualname__', draw)}"
            raise PluginError(f"figure {name} ({where}) failed: {error!r}") from error
        timings.append((time.perf_counter() - t0, name))
    slowest = ", ".join(f"{name} {t:.1f} s" for t, name in sorted(timings, reverse=True)[:3])
    log.info(
        "figures: %d drawn in %.1f s%s",
        len(svgs),
        time.perf_counter() - start,
        f" (slowest: {slowest})" if timings else "",
    )
    return svgs


def on_files(files: Files, config: MkDocsConfig) -> Files:
    global _last
    key = _source_key()
    if _last is not None and _last[0] == key:
        svgs = _last[1]
        log.info("figures: %d unchanged since the last build (dlfs/ not edited)", len(svgs))
    else:
        if _last is not None:
            _forget_dlfs()
        svgs = _draw_all()
        _last = (key, svgs)
    for name, svg in svgs.items():
        files.append(File.generated(config, f"figures/{name}", content=svg))
    return files
