"""The browser runtime's files: built from this checkout, each checked, and the build stops clearly when one is wrong.

The built site's copy is checked through the ``built_site`` fixture; the
failure modes (a missing file, a file that is not the pinned one) on small
copies of the inputs, without a whole build where one is not needed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dlfs.site.browser import PINS, SITE_DIR, WHEELS, Runtime, RuntimeFilesError, check, sha256_of
from dlfs.site.wheel import project, wheel_files, write_wheel
from tests.conftest import require_real_mnist

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package_so_the_wheel_and_pip_install_hold_all_of_dlfs() -> None:
    inits = (ROOT / "dlfs").rglob("__init__.py")
    folders = sorted(p.parent.relative_to(ROOT).as_posix().replace("/", ".") for p in inits)
    assert sorted(project(ROOT)["packages"]) == folders
    sources = sorted(p for p in (ROOT / "dlfs").rglob("*.py") if "__pycache__" not in p.parts)
    assert sorted(wheel_files(ROOT)) == sources


def test_the_wheel_holds_the_checkout_with_a_valid_record_and_the_same_bytes_each_time(tmp_path: Path) -> None:
    first = write_wheel(ROOT, tmp_path / "a")
    second = write_wheel(ROOT, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes(), "no date or order that changes from build to build"
    with zipfile.ZipFile(first) as wheel:
        names = wheel.namelist()
        for path in wheel_files(ROOT):
            name = path.relative_to(ROOT).as_posix()
            assert wheel.read(name) == path.read_bytes(), name
        record = wheel.read("dlfs-0.1.0.dist-info/RECORD").decode().splitlines()
        for line in record[:-1]:
            name, digest, size = line.split(",")
            data = wheel.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(data), name
        assert len(record) == len(names)
        metadata = wheel.read("dlfs-0.1.0.dist-info/METADATA").decode()
        assert "Name: dlfs\nVersion: 0.1.0\n" in metadata and "Requires-Dist: numpy>=2.0" in metadata


def test_a_file_that_is_not_the_pinned_one_is_named_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "numpy.whl"
    path.write_bytes(b"not numpy")
    with pytest.raises(RuntimeFilesError) as caught:
        check(path, "0" * 64, "the official lock")
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert "0" * 64 in message and hashlib.sha256(b"not numpy").hexdigest() in message


def inputs(tmp_path: Path) -> Path:
    """A checkout of the runtime's inputs only, its downloaded wheels copied so that a test may spoil them."""
    root = tmp_path / "checkout"
    (root / "browser").mkdir(parents=True)
    for name in ["pyproject.toml", "package-lock.json", "README.md"]:
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "browser", root / "browser", dirs_exist_ok=True)
    (root / "dlfs").symlink_to(ROOT / "dlfs")
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    wheels = ROOT / WHEELS
    (root / WHEELS).mkdir(parents=True)
    pins = json.loads((ROOT / PINS).read_text())
    for name in pins["pypi"]:
        shutil.copy(wheels / name, root / WHEELS / name)
    (root / WHEELS / pins["carrier"]["file"]).symlink_to(wheels / pins["carrier"]["file"])
    return root


@pytest.fixture
def runtime_inputs(tmp_path: Path) -> Path:
    if not (ROOT / WHEELS).is_dir() or not (ROOT / "node_modules" / "pyodide").is_dir():
        pytest.fail("the browser runtime's inputs are missing: run `make setup`")
    return inputs(tmp_path)


def test_a_spoiled_wheel_stops_the_assembly_naming_it(runtime_inputs: Path, tmp_path: Path) -> None:
    require_real_mnist()
    from dlfs.datasets import locate

    tqdm = next((runtime_inputs / WHEELS).glob("tqdm-*.whl"))
    tqdm.write_bytes(tqdm.read_bytes()[:-1] + b"x")
    cache = ROOT / ".cache" / "dlfs-book" / "browser"  # Pyodide's wheels, extracted once, are reused
    runtime = Runtime(runtime_inputs, cache, tmp_path / "out", locate("mnist", download=False))
    with pytest.raises(RuntimeFilesError, match=rf"^{tqdm}: sha256 [0-9a-f]{{64}} is not the [0-9a-f]{{64}} pinned by"):
        runtime.assemble()


def test_two_builds_sharing_a_cache_extract_the_runtime_side_by_side(runtime_inputs: Path, tmp_path: Path) -> None:
    """The tests build the site twice at once over one cache: each extracts into a folder of its own and
    the first to finish puts it in place; neither fails, and nothing half-written is left."""
    require_real_mnist()
    from concurrent.futures import ThreadPoolExecutor

    from dlfs.datasets import locate

    cache = tmp_path / "cache"
    runtimes = [Runtime(runtime_inputs, cache, tmp_path / f"out{i}", locate("mnist", download=False))
                for i in range(2)]
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(r._extract_wheels) for r in runtimes]:
            done.result()
    extracted = runtimes[0].extracted
    assert [p.name for p in cache.iterdir()] == [extracted.name], "no partial folder is left behind"
    lock = runtimes[0].lock["packages"]
    assert sorted(p.name for p in extracted.iterdir()) == sorted(
        lock[n]["file_name"] for n in runtimes[0].eager + runtimes[0].lazy)


def test_missing_downloads_stop_the_build_at_once_saying_make_setup(runtime_inputs: Path, tmp_path: Path) -> None:
    require_real_mnist()
    shutil.rmtree(runtime_inputs / WHEELS)
    for name in ["docs", "mkdocs.yml"]:
        (runtime_inputs / name).symlink_to(ROOT / name)
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "DLFS_BOOK_CACHE": str(tmp_path / "cache"),
                        "PYTHONPATH": str(ROOT)}
    result = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=runtime_inputs,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, result.stderr
    assert str(runtime_inputs / WHEELS) in errors[0] and "run `make setup`" in errors[0]


def test_the_site_serves_every_runtime_file_as_pinned(built_site) -> None:
    site = built_site.path / SITE_DIR
    manifest = json.loads((site / "manifest.json").read_text())
    pins = json.loads((ROOT / PINS).read_text())
    lock = json.loads((site / "pyodide" / "pyodide-lock.json").read_text())
    for name, expected in pins["pyodide"]["files"].items():
        assert sha256_of(site / "pyodide" / name) == expected, name
    for name, entry in lock["packages"].items():
        assert sha256_of(site / "pyodide" / entry["file_name"]) == entry["sha256"], name
    official = json.loads((ROOT / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())["packages"]
    assert lock["packages"]["numpy"] == official["numpy"] and lock["packages"]["matplotlib"] == official["matplotlib"]
    for file_name, pin in pins["pypi"].items():
        assert lock["packages"][pin["name"]]["file_name"] == file_name
    assert set(lock["packages"]["dlfs"]["depends"]) == {"numpy", "tqdm"}
    for uri, entry in manifest["files"].items():
        assert sha256_of(site / uri) == entry["sha256"] and (site / uri).stat().st_size == entry["bytes"], uri
    assert set(manifest["groups"]) == {"python", "numpy", "examples", "matplotlib", "mnist", "editor", "page"}
    assert "load_mnist" in manifest["mnist_readers"] and "dlfs.book.training" in manifest["mnist_readers"]
    assert "dlfs.book.numerical_diff" not in manifest["mnist_readers"]


def test_the_site_serves_each_page_markdown_and_tags_every_runnable_block(built_site) -> None:
    from dlfs.site.examples import runnable_blocks

    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert (built_site.path / SITE_DIR / "pages" / f"{page.name}.txt").read_text(encoding="utf-8") == text
        html_path = built_site.path / ("index.html" if page.stem == "index" else f"{page.stem}/index.html")
        html = html_path.read_text(encoding="utf-8")
        blocks = runnable_blocks(text)
        tags = [f'data-dlfs-block="{first}-{last}"' for first, last in blocks]
        assert [t for t in tags if t in html] == tags, page.name
        assert html.count("data-dlfs-block=") == len(blocks), page.name
        assert ("data-dlfs-page=" in html) == bool(blocks), page.name
