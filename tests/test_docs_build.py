"""The site builds with ``mkdocs build --strict``, with every figure, page and notebook.

The build itself is the ``built_site`` fixture (tests/conftest.py): one cold
build a session, shared with the other ``test_docs_*`` modules.
"""

from __future__ import annotations

import http.server
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import yaml

import dlfs
from dlfs.book import all_figures

ROOT = Path(__file__).resolve().parents[1]


def nav_pages() -> list[str]:
    """The docs/ paths in mkdocs.yml's nav, in order."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    # mkdocs.yml may hold !!python tags; the nav is plain: read just that part
    nav = yaml.safe_load(text[text.index("\nnav:"):])["nav"]
    return [next(iter(item.values())) for item in nav]


def page_html(site: Path, page: str) -> Path:
    stem = page.rsplit(".", 1)[0]
    return site / ("index.html" if stem == "index" else f"{stem}/index.html")


def test_the_build_draws_every_figure_and_logs_the_time(built_site) -> None:
    figures = all_figures()
    m = re.search(r"figures: (\d+) drawn, (\d+) from the cache, in ([\d.]+) s", built_site.log)
    assert m, "the figures hook did not log its work"
    assert (int(m[1]), int(m[2])) == (len(figures), 0), "a cold build draws every figure"
    for name in figures:
        assert (built_site.path / "figures" / name).read_bytes().startswith(b"<?xml"), name


def test_every_figure_is_shown_on_its_page(built_site) -> None:
    """A figure no page shows only costs build time; a figure belongs to the page it is named after."""
    from dlfs.book import page_of

    for name in all_figures():
        html = page_html(built_site.path, page_of(name) + ".md").read_text(encoding="utf-8")
        assert f"figures/{name}" in html, f"{name} is drawn at every build but not shown on its page"


def test_every_nav_page_is_built(built_site) -> None:
    pages = nav_pages()
    assert pages[0] == "index.md" and pages[-1] == "api.md"
    for page in pages:
        assert page_html(built_site.path, page).is_file(), page


def test_the_notebook_ran_and_both_forms_can_be_downloaded(built_site) -> None:
    import nbformat

    folder = built_site.path / "notebooks" / "mnist-training"
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "jp-OutputArea-output" in html, "the notebook page shows no output: was it executed?"
    assert 'href="mnist-training.py" download=' in html and 'href="mnist-training.ipynb" download=' in html
    source = (ROOT / "docs" / "notebooks" / "mnist-training.py").read_bytes()
    assert (folder / "mnist-training.py").read_bytes() == source
    executed = nbformat.reads((folder / "mnist-training.ipynb").read_text(encoding="utf-8"), as_version=4)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count for cell in code), "every code cell ran"
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]


def test_the_api_reference_covers_every_module(built_site) -> None:
    modules = [m.name for m in pkgutil.iter_modules(dlfs.__path__) if not m.name.startswith("_")]
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [m for m in modules if f"::: dlfs.{m}\n" not in text]
    assert not missing, f"docs/api.md lacks ::: dlfs.<module> for {missing}"
    html = page_html(built_site.path, "api.md").read_text(encoding="utf-8")
    for m in modules:
        assert f'id="dlfs.{m}"' in html, m
    for name in ["numerical.numerical_gradient", "nets.TwoLayerNet", "gradcheck.gradient_check",
                 "datasets.load_mnist", "book.all_figures", "book.cache.cached"]:
        assert f'id="dlfs.{name}"' in html, name


class _Refuse(http.server.BaseHTTPRequestHandler):
    """A mirror that is down: every download fails at once (a 503), nothing leaves 127.0.0.1."""

    def do_GET(self) -> None:
        self.send_error(503, "mirror down")

    def log_message(self, *args: object) -> None:
        pass


def test_without_data_the_build_stops_at_once_and_says_where_it_looked(tmp_path: Path) -> None:
    """No DLFS_DATA, an empty cache and no network: one message naming the folder and what to do."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
        env = {k: v for k, v in os.environ.items() if k not in ("DLFS_DATA", "DLFS_BOOK_CACHE")}
        env |= {"XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_MKDOCS_2_WARNING": "1",
                "DLFS_MNIST_MIRROR": f"http://127.0.0.1:{server.server_port}/"}
        result = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, result.stderr
    message = errors[0]
    assert str(tmp_path / "cache" / "dlfs" / "mnist") in message, "it names where it looked"
    assert "503" in message and "Set DLFS_DATA" in message, "it says why and what to do"
    assert "figures:" not in result.stderr, "it drew figures before failing"
    assert not list((tmp_path / "cache" / "dlfs" / "mnist").iterdir()), "no half-downloaded file"
