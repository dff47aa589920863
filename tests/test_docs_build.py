"""The site builds with ``mkdocs build --strict``, with every figure, page and notebook.

The build itself is the ``built_site`` fixture (root conftest.py): one build
a session, shared with the other ``test_docs_*`` modules.
"""

from __future__ import annotations

import os
import pkgutil
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

import dlfs
from dlfs.plots import all_figures

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
    m = re.search(r"figures: (\d+) drawn in ([\d.]+) s", built_site.log)
    assert m, "the figures hook did not log its time"
    assert int(m[1]) == len(figures)
    for name in figures:
        assert (built_site.path / "figures" / name).read_bytes().startswith(b"<?xml"), name


def test_every_figure_is_shown_somewhere(built_site) -> None:
    """A figure no page shows only costs build time."""
    html = "".join(p.read_text(encoding="utf-8") for p in built_site.path.rglob("*.html"))
    unused = [name for name in all_figures() if f"figures/{name}" not in html]
    assert not unused, f"figures drawn but shown on no page: {unused}"


def test_every_nav_page_is_built(built_site) -> None:
    pages = nav_pages()
    assert pages[0] == "index.md" and pages[-1] == "api.md"
    for page in pages:
        assert page_html(built_site.path, page).is_file(), page


def test_the_notebook_ran_and_can_be_downloaded(built_site) -> None:
    folder = built_site.path / "notebooks" / "mnist-training"
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "jp-OutputArea-output" in html, "the notebook page shows no output: was it executed?"
    assert 'href="mnist-training.py" download=' in html, "no download button"
    source = (ROOT / "docs" / "notebooks" / "mnist-training.py").read_bytes()
    assert (folder / "mnist-training.py").read_bytes() == source


def test_the_api_reference_covers_every_module(built_site) -> None:
    modules = [m.name for m in pkgutil.iter_modules(dlfs.__path__) if not m.name.startswith("_")]
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [m for m in modules if f"::: dlfs.{m}\n" not in text]
    assert not missing, f"docs/api.md lacks ::: dlfs.<module> for {missing}"
    html = page_html(built_site.path, "api.md").read_text(encoding="utf-8")
    for m in modules:
        assert f'id="dlfs.{m}"' in html, m
    for name in ["numerical.numerical_gradient", "nets.TwoLayerNet", "gradcheck.gradient_check",
                 "datasets.load_mnist", "plots.all_figures"]:
        assert f'id="dlfs.{name}"' in html, name


def test_without_dlfs_data_the_build_stops_at_once_and_says_what_to_do(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "DLFS_DATA"}
    start = time.perf_counter()
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=dict(env, NO_MKDOCS_2_WARNING="1"),
        capture_output=True, text=True, timeout=120,
    )
    seconds = time.perf_counter() - start
    assert result.returncode != 0
    assert "DLFS_DATA is not set" in result.stderr and "DLFS_DATA=" in result.stderr
    assert "figures:" not in result.stderr, "it drew figures before failing"
    assert seconds < 60
