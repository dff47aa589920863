"""The files that let a reader run the book in the browser, each checked before the site serves it.

The site serves its own Python (``docs/hooks/browser.py`` adds these files to
the build under ``assets/dlfs/``); nothing is fetched from another host, and
nothing third-party is kept in the repository. Where each file comes from,
and what it is checked against (``browser/runtime-pins.json``):

- Pyodide's core (the interpreter, its standard library, its loader): npm
  ``pyodide``, installed by ``npm ci``; each file's sha256 is pinned, and so
  is that of Pyodide's official ``pyodide-lock.json``.
- NumPy, and matplotlib with its dependencies (loaded only when an example
  draws): the wheels Pyodide built, taken out of the PyPI package named in
  the pins (a box of those wheels, never imported); each must match the
  sha256 that the official lock gives for it.
- Sybil and tqdm: pure-Python wheels from PyPI, with pinned sha256.
- ``dlfs``: a wheel written from this checkout (`dlfs.site.wheel`), so the
  browser runs the code the tests ran.
- The editor (CodeMirror 6 from npm, bundled by esbuild), the worker and the
  page script (``browser/``), the pages' Markdown, and MNIST (found as
  `dlfs.datasets.locate` finds it, checked against ``dlfs.datasets``).

A file that is missing stops the build with one line naming it and saying to
run ``make setup``; a file whose sha256 differs stops it with one line naming
the file and both digests. The site's own ``pyodide-lock.json`` lists the
shipped packages with their sha256, which Pyodide hands to the browser as
Subresource Integrity: the browser checks every wheel again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlfs.download import atomic_file
from dlfs.site.wheel import write_wheel

SITE_DIR = "assets/dlfs"  # on the site; the runtime is in SITE_DIR/pyodide/
# in a page, where docs/hooks/browser.py writes the first Run's download ("9 MB") once it is known
FIRST_DOWNLOAD = "DLFS-FIRST-DOWNLOAD"
PINS = Path("browser") / "runtime-pins.json"
WHEELS = Path(".cache") / "browser-wheels"  # where `make setup` downloads the PyPI wheels
GLUE = ("run.js", "run.css", "exercises.js", "worker.js")  # browser/ files served as they are
EDITOR_ENTRY = "editor.js"  # browser/editor.js, bundled with its npm imports
EDITOR_BANNER = ("/* CodeMirror 6 and Lezer (codemirror.net), MIT License, (C) 2018-2021 Marijn Haverbeke and "
                 "others; bundled from npm by esbuild for dlfs */")


class RuntimeFilesError(Exception):
    """A runtime file is missing or is not the pinned one; the message is one line."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(path: Path, expected: str, pinned_by: str) -> None:
    """Fail with one line naming `path` unless its sha256 is `expected`."""
    if not path.is_file():
        raise RuntimeFilesError(f"{path} is missing: run `make setup` (it fetches the browser runtime)")
    actual = sha256_of(path)
    if actual != expected:
        raise RuntimeFilesError(f"{path}: sha256 {actual} is not the {expected} pinned by {pinned_by}")


@dataclass
class SiteFile:
    uri: str  # under SITE_DIR
    path: Path  # where the build copies it from
    group: str  # what it is for: the page reports sizes per group
    sha256: str = ""
    bytes: int = 0
    gzip_bytes: int = 0


def closure(lock: dict, names: list[str]) -> list[str]:
    """`names` and every package they depend on in a Pyodide lock, sorted."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += lock["packages"][name]["depends"]
    return sorted(seen)


def mnist_readers(root: Path) -> list[str]:
    """What code that reads MNIST names: the worker fetches MNIST before running such code.

    ``load_mnist`` and every dlfs module that imports `dlfs.datasets`, directly or not.
    """
    from dlfs.book.cache import dependencies
    from dlfs.site.wheel import wheel_files

    modules = []
    for path in wheel_files(root):
        parts = path.relative_to(root).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return ["load_mnist", *sorted(m for m in modules if "dlfs.datasets" in dependencies(m))]


class Runtime:
    """The runtime's files for one build: `plan` (cheap, at once), then `assemble` (checks, writes).

    Parameters
    ----------
    root : Path
        The checkout: ``browser/``, ``node_modules/``, ``.cache/browser-wheels/``.
    cache : Path
        A folder for what is extracted or built once and kept (keyed on content).
    out : Path
        A folder for this build's generated files.
    mnist : Path
        The folder with the four MNIST files.
    """

    def __init__(self, root: Path, cache: Path, out: Path, mnist: Path) -> None:
        self.root, self.cache, self.out, self.mnist = root, cache, out, mnist
        self.pins = json.loads((root / PINS).read_text(encoding="utf-8"))
        self.npm = root / "node_modules" / "pyodide"
        self.wheels = root / WHEELS
        lock_path = self.npm / "pyodide-lock.json"
        check(lock_path, self.pins["pyodide"]["lock"], f"{PINS} (npm pyodide@{self.pins['pyodide']['version']})")
        self.lock = json.loads(lock_path.read_text(encoding="utf-8"))
        self.eager = closure(self.lock, self.pins["packages"])
        self.lazy = [n for n in closure(self.lock, self.pins["lazy_packages"]) if n not in self.eager]
        self.extracted = cache / f"pyodide-{self.pins['pyodide']['lock'][:16]}"
        self.files = self.plan()

    def plan(self) -> list[SiteFile]:
        """Every file the site serves for the runtime, and where it will be copied from."""
        missing = [p for p in [*(self.npm / n for n in self.pins["pyodide"]["files"]),
                               *(self.wheels / n for n in [*self.pins["pypi"], self.pins["carrier"]["file"]]),
                               self.root / "node_modules" / ".bin" / "esbuild"]
                   if not p.exists() and not (self.extracted.is_dir() and p.name == self.pins["carrier"]["file"])]
        if missing:
            raise RuntimeFilesError(f"{missing[0]} is missing ({len(missing)} runtime files are): run `make setup`")
        py = "pyodide/"
        files = [SiteFile(py + n, self.npm / n, "python") for n in self.pins["pyodide"]["files"]]
        files.append(SiteFile(py + "pyodide-lock.json", self.out / "pyodide-lock.json", "python"))
        for name in self.eager + self.lazy:
            file_name = self.lock["packages"][name]["file_name"]
            group = "numpy" if name in self.eager else "matplotlib"
            files.append(SiteFile(py + file_name, self.extracted / file_name, group))
        files += [SiteFile(py + n, self.wheels / n, "examples") for n in self.pins["pypi"]]
        files.append(SiteFile(py + self.dlfs_wheel_name(), self.out / self.dlfs_wheel_name(), "examples"))
        files += [SiteFile(n, self.root / "browser" / n, "python" if n == "worker.js" else "page")
                  for n in GLUE]
        files.append(SiteFile(EDITOR_ENTRY, self.out / EDITOR_ENTRY, "editor"))
        from dlfs.datasets import FILENAMES

        files += [SiteFile(f"mnist/{n}", self.mnist / n, "mnist") for n in FILENAMES]
        files.append(SiteFile("manifest.json", self.out / "manifest.json", "python"))
        return files

    def dlfs_wheel_name(self) -> str:
        from dlfs.site.wheel import project

        meta = project(self.root)
        return f"{meta['name']}-{meta['version']}-py3-none-any.whl"

    # ------------------------------------------------------------ assemble
    def assemble(self) -> dict[str, Any]:
        """Check every input, write the generated files; return the manifest (sizes by group)."""
        version = self.pins["pyodide"]["version"]
        for name, expected in self.pins["pyodide"]["files"].items():
            check(self.npm / name, expected, f"{PINS} (npm pyodide@{version})")
        self._extract_wheels()
        for name in self.eager + self.lazy:
            entry = self.lock["packages"][name]
            check(self.extracted / entry["file_name"], entry["sha256"], "Pyodide's official pyodide-lock.json")
        for file_name, pin in self.pins["pypi"].items():
            check(self.wheels / file_name, pin["sha256"], str(PINS))
        self.out.mkdir(parents=True, exist_ok=True)
        wheel = write_wheel(self.root, self.out)
        self._write_lock(sha256_of(wheel))
        self._bundle_editor()
        self._check_mnist()
        return self._manifest()

    def _extract_wheels(self) -> None:
        """Take the Pyodide-built wheels out of the carrier once; each is checked after, at every build."""
        if all((self.extracted / self.lock["packages"][n]["file_name"]).is_file() for n in self.eager + self.lazy):
            return
        carrier = self.pins["carrier"]
        check(self.wheels / carrier["file"], carrier["sha256"], str(PINS))
        # a folder of this process's own: two builds sharing a cache (the tests run two at once) each
        # extract into theirs, and the first to finish renames its folder into place
        self.extracted.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=self.extracted.name + ".partial-", dir=self.extracted.parent))
        try:
            with zipfile.ZipFile(self.wheels / carrier["file"]) as box:
                for name in self.eager + self.lazy:
                    entry = self.lock["packages"][name]
                    member = carrier["folder"] + entry["file_name"]
                    try:
                        (partial / entry["file_name"]).write_bytes(box.read(member))
                    except KeyError:
                        raise RuntimeFilesError(f"{carrier['file']} lacks {member} (package {name})") from None
                    check(partial / entry["file_name"], entry["sha256"], "Pyodide's official pyodide-lock.json")
            partial.rename(self.extracted)
        except OSError:  # another build put its folder in place first (each file is checked at every build)
            if not self.extracted.is_dir():
                raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)  # gone already if it was renamed into place

    def _write_lock(self, dlfs_sha256: str) -> None:
        """The site's pyodide-lock.json: the shipped Pyodide packages, Sybil, tqdm and dlfs."""
        packages = {n: self.lock["packages"][n] for n in self.eager + self.lazy}
        for file_name, pin in self.pins["pypi"].items():
            packages[pin["name"]] = {"name": pin["name"], "version": pin["version"], "file_name": file_name,
                                     "install_dir": "site", "sha256": pin["sha256"], "package_type": "package",
                                     "imports": pin["imports"], "depends": []}
        from dlfs.site.wheel import project

        version = project(self.root)["version"]
        # matplotlib is not a dependency here: the worker loads it when an example draws
        packages["dlfs"] = {"name": "dlfs", "version": version, "file_name": self.dlfs_wheel_name(),
                            "install_dir": "site", "sha256": dlfs_sha256, "package_type": "package",
                            "imports": ["dlfs"], "depends": ["numpy", "tqdm"]}
        lock = {"info": self.lock["info"], "packages": dict(sorted(packages.items()))}
        (self.out / "pyodide-lock.json").write_text(json.dumps(lock, indent=1) + "\n", encoding="utf-8")

    def _bundle_editor(self) -> None:
        """CodeMirror 6 and its Python mode in one script, by esbuild; kept per input digest."""
        entry = self.root / "browser" / EDITOR_ENTRY
        key = hashlib.sha256(entry.read_bytes() + (self.root / "package-lock.json").read_bytes()).hexdigest()[:16]
        kept = self.cache / f"editor-{key}.js"
        if not kept.is_file():
            esbuild = self.root / "node_modules" / ".bin" / "esbuild"
            result = subprocess.run([str(esbuild), str(entry), "--bundle", "--minify", "--format=iife",
                                     "--target=es2020", "--legal-comments=eof", f"--banner:js={EDITOR_BANNER}",
                                     f"--outfile={kept}.tmp"],
                                    cwd=self.root, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise RuntimeFilesError(f"esbuild could not bundle {entry}: {result.stderr.strip().splitlines()[-1]}")
            Path(f"{kept}.tmp").rename(kept)
        shutil.copyfile(kept, self.out / EDITOR_ENTRY)

    def _check_mnist(self) -> None:
        from dlfs.datasets import MNIST

        for name, expected in MNIST.sha256.items():
            check(self.mnist / name, expected, "dlfs/datasets.py")

    def _manifest(self) -> dict[str, Any]:
        sizes_path = self.cache / "gzip-sizes.json"
        known = json.loads(sizes_path.read_text()) if sizes_path.is_file() else {}
        for f in self.files:
            if f.uri == "manifest.json":
                continue
            f.sha256, f.bytes = sha256_of(f.path), f.path.stat().st_size
            if f.sha256 not in known:  # gzip -6, as a web server would send it
                known[f.sha256] = len(gzip.compress(f.path.read_bytes(), compresslevel=6, mtime=0))
            f.gzip_bytes = known[f.sha256]
        with atomic_file(sizes_path, "w") as out:
            json.dump(known, out)
        groups: dict[str, dict[str, int]] = {}
        for f in self.files:
            group = groups.setdefault(f.group, {"files": 0, "bytes": 0, "gzip_bytes": 0})
            group["files"] += 1
            group["bytes"] += f.bytes
            group["gzip_bytes"] += f.gzip_bytes
        manifest = {"pyodide": self.lock["info"], "groups": groups, "mnist_readers": mnist_readers(self.root),
                    "files": {f.uri: {"bytes": f.bytes, "gzip_bytes": f.gzip_bytes, "group": f.group,
                                      "sha256": f.sha256} for f in self.files if f.uri != "manifest.json"}}
        (self.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        return manifest
