"""The ``dlfs`` wheel the site's browser runtime installs, written from the checkout at build time.

``dlfs`` is pure Python, so its wheel is a zip of the packages that
``pyproject.toml`` lists (``[tool.setuptools] packages``, as ``pip install .``
installs them) and a small ``.dist-info``. Writing it here, rather than with
``pip wheel``, leaves no ``build/`` folder in the checkout and gives the same
bytes for the same source: every entry has a fixed date.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     wheel = write_wheel(Path(__file__).resolve().parents[2], Path(tmp))
...     names = zipfile.ZipFile(wheel).namelist()
>>> wheel.name, "dlfs/site/runner.py" in names, names[-1]
('dlfs-0.1.0-py3-none-any.whl', True, 'dlfs-0.1.0.dist-info/RECORD')
"""

from __future__ import annotations

import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path

_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time in the bytes


def project(root: Path) -> dict:
    """The ``[project]`` table and setuptools' package list of ``root/pyproject.toml``."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return data["project"] | {"packages": data["tool"]["setuptools"]["packages"]}


def wheel_files(root: Path) -> list[Path]:
    """The source files the wheel holds: the ``.py`` files of each listed package, sorted."""
    files = []
    for package in project(root)["packages"]:
        files += sorted((root / package.replace(".", "/")).glob("*.py"))
    return files


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\n"


def write_wheel(root: Path, out_dir: Path) -> Path:
    """Write ``dlfs-<version>-py3-none-any.whl`` into `out_dir` from the checkout at `root`; return it."""
    meta = project(root)
    name, version = meta["name"], meta["version"]
    info = f"{name}-{version}.dist-info"
    entries = [(path.relative_to(root).as_posix(), path.read_bytes()) for path in wheel_files(root)]
    requires = "".join(f"Requires-Dist: {r}\n" for r in meta.get("dependencies", []))
    entries += [
        (f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                             f"Summary: {meta['description']}\n{requires}".encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: dlfs.site.wheel\nRoot-Is-Purelib: true\n"
                          b"Tag: py3-none-any\n"),
    ]
    record = "".join(_record_line(n, d) for n, d in entries) + f"{info}/RECORD,,\n"
    entries.append((f"{info}/RECORD", record.encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry_name, data in entries:
            item = zipfile.ZipInfo(entry_name, date_time=_DATE)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o644 << 16
            archive.writestr(item, data)
    return wheel
