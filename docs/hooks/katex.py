"""MkDocs hook: serve KaTeX from the site itself, so math renders with no network.

KaTeX comes from the npm registry (``package.json``, installed by ``npm ci``
into ``node_modules/``). Its stylesheet, scripts and fonts are added to the
build as generated files under ``assets/katex/``; nothing third-party lives
in the repository. ``docs/javascripts/katex-init.js`` then typesets each page.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.katex")

SITE_DIR = "assets/katex"
# The init script (listed in mkdocs.yml) must run after these two.
SCRIPTS = ["katex.min.js", "contrib/auto-render.min.js"]
STYLESHEETS = ["katex.min.css"]


def _dist(config: MkDocsConfig) -> Path:
    root = Path(config.config_file_path).parent
    return root / "node_modules" / "katex" / "dist"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    dist = _dist(config)
    missing = [name for name in SCRIPTS + STYLESHEETS if not (dist / name).is_file()]
    if missing:
        raise PluginError(
            f"KaTeX is not installed ({dist} lacks {', '.join(missing)}). "
            "Run `npm ci` in the repository root (make setup does it), then build again."
        )
    config.extra_css[:0] = [f"{SITE_DIR}/{name}" for name in STYLESHEETS]
    config.extra_javascript[:0] = [f"{SITE_DIR}/{name}" for name in SCRIPTS]
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    dist = _dist(config)
    # every font the stylesheet names (woff2, woff, ttf), so each url() resolves
    wanted = [dist / name for name in SCRIPTS + STYLESHEETS]
    wanted += sorted(p for p in (dist / "fonts").iterdir() if p.is_file())
    for path in wanted:
        uri = f"{SITE_DIR}/{path.relative_to(dist).as_posix()}"
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    log.debug("KaTeX: %d files from %s", len(wanted), dist)
    return files
