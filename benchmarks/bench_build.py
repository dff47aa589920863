"""Build benchmark: how long the site takes to build, cold and warm, against an older commit.

Run ``python benchmarks/bench_build.py`` (``make bench-build``). In one run:

(a) cold builds, ``mkdocs build --strict`` with nothing computed yet, of
    ``--base`` (by default the commit before the build was made parallel and
    cached), of this checkout with only the pages ``--base`` has ("today's
    pages": chapter 8 and the in-browser runner taken out of a copy, see
    `todays_pages`) and of this checkout as it is, interleaved so that noise
    hits all three alike;
(b) warm rebuilds of this checkout: nothing changed; one chapter's prose
    edited; one chapter's module (``dlfs/book/gradients.py``) edited. Each
    reports how many figures were drawn rather than read from the cache.

The base commit is checked out with ``git worktree`` into a temporary folder
and built with this checkout's virtual environment, its own ``dlfs`` first on
``PYTHONPATH``. Writes JSON (``benchmarks/results/bench_build.json``, atomically).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dlfs.download import atomic_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASE = "220f97d"  # the last commit before the parallel, cached build
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "bench_build.json"
FIGURES = re.compile(r"figures: (\d+) drawn(?:, (\d+) from the cache)?")
PEERS = ("base", "head, today's pages", "head")
SKIP = {".git", ".venv", "node_modules", ".cache", "site", "test-artifacts", ".pytest_cache", ".hypothesis",
        ".mypy_cache", ".ruff_cache", "__pycache__", "results"}


def build(checkout: Path, cache: Path, *, pythonpath: bool) -> dict:
    """One strict build of `checkout` into a fresh folder; its wall and CPU seconds and figure counts."""
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "DLFS_BOOK_CACHE": str(cache),
                        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    env.setdefault("DLFS_DATA", str(ROOT.parent / "shared" / "datasets"))
    if pythonpath:
        env["PYTHONPATH"] = str(checkout)
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    with tempfile.TemporaryDirectory() as site:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run([mkdocs, "build", "--strict", "--site-dir", site], cwd=checkout, env=env,
                                capture_output=True, text=True, timeout=1800)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"the build of {checkout} failed:\n{result.stderr[-3000:]}")
    m = FIGURES.search(result.stderr)
    return {"seconds": seconds, "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "figures_drawn": int(m[1]) if m else None,
            "figures_from_cache": int(m[2]) if m and m[2] else 0,
            "load_average": os.getloadavg()[0]}


def copy_checkout(dest: Path) -> Path:
    """This checkout as it is now, uncommitted changes included, without the heavy folders."""
    shutil.copytree(ROOT, dest, ignore=lambda folder, names: [n for n in names if n in SKIP])
    (dest / "node_modules").symlink_to(ROOT / "node_modules")
    (dest / ".cache").mkdir()
    (dest / ".cache" / "browser-wheels").symlink_to(ROOT / ".cache" / "browser-wheels")  # `make setup` fetched them
    return dest


def base_worktree(base: str, dest: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "--detach", str(dest), base], cwd=ROOT, check=True,
                   capture_output=True, text=True)
    (dest / "node_modules").symlink_to(ROOT / "node_modules")
    return dest


NEW_PAGE = "making-training-work"  # chapter 8, added after --base
# What `todays_pages` takes out of a copy of this checkout: (file, text, replacement).
NOT_IN_BASE = [
    ("mkdocs.yml", "  - 8. Making training work: making-training-work.md\n", ""),
    ("mkdocs.yml", "  - docs/hooks/browser.py", "  # - docs/hooks/browser.py"),
    ("docs/index.md", "[8. Making training work](making-training-work.md)", "8. Making training work"),
    ("dlfs/book/__init__.py", '    "making-training-work",\n', ""),
]


def todays_pages(checkout: Path) -> Path:
    """Make the copy `checkout` build only what the base commit builds: no chapter 8, no runner.

    Every replacement must apply exactly once, so an edit of these files
    elsewhere cannot make the benchmark measure something else unnoticed.
    """
    (checkout / "docs" / f"{NEW_PAGE}.md").unlink()
    for name, old, new in NOT_IN_BASE:
        path = checkout / name
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise RuntimeError(f"{name}: expected {old!r} once, found it {text.count(old)} times")
        path.write_text(text.replace(old, new), encoding="utf-8")
    return checkout


def edit(path: Path) -> None:
    """An edit that changes a file's bytes and nothing a reader would see."""
    text = path.read_text(encoding="utf-8")
    comment = "\n<!-- edited by bench_build.py -->\n" if path.suffix == ".md" else "\n# edited by bench_build.py\n"
    path.write_text(text + comment, encoding="utf-8")


def summary(r: dict) -> str:
    cold = r["cold"]
    lines = [f"build benchmark, {r['environment']['date']}, {r['environment']['cpu_count']} CPUs, "
             f"base {r['base']}, {cold['repeat']} cold builds each, interleaved",
             f"  {'':24}{'min s':>8}{'median s':>10}{'CPU s':>8}"]
    for name in PEERS:
        runs = cold[name]
        lines.append(f"  {name:24}{runs['seconds_min']:8.1f}{runs['seconds_median']:10.1f}"
                     f"{min(b['cpu_seconds'] for b in runs['builds']):8.1f}")
    lines.append(f"  today's pages / base = {cold['ratio']:.2f} (min times; target at most {cold['target']})")
    lines.append(f"  all pages + runner / base = {cold['ratio_all']:.2f} (target below {cold['target_all']})")
    for name, w in r["warm"].items():
        lines.append(f"  warm, {name:28}{w['seconds']:6.1f} s, figures drawn {w['figures_drawn']}, "
                     f"from the cache {w['figures_from_cache']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"the commit to compare with (default {DEFAULT_BASE})")
    parser.add_argument("--repeat", type=int, default=2, help="cold builds of each (default 2)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dlfs-bench-build-") as tmp_name:
        tmp = Path(tmp_name)
        head, base = copy_checkout(tmp / "head"), base_worktree(args.base, tmp / "base")
        today = todays_pages(copy_checkout(tmp / "today"))
        try:
            cold: dict = {name: {"builds": []} for name in PEERS}
            for k in range(args.repeat):
                for j, (name, checkout) in enumerate(zip(PEERS, [base, today, head])):
                    # an empty cache for every build
                    cold[name]["builds"].append(build(checkout, tmp / f"cold-{j}-{k}", pythonpath=True))
            for runs in cold.values():
                seconds = sorted(b["seconds"] for b in runs["builds"])
                runs["seconds_min"], runs["seconds_median"] = seconds[0], seconds[len(seconds) // 2]
            base_min = cold["base"]["seconds_min"]
            cold |= {"repeat": args.repeat, "target": 0.5, "target_all": 1.0,
                     "ratio": cold["head, today's pages"]["seconds_min"] / base_min,
                     "ratio_all": cold["head"]["seconds_min"] / base_min}
            warm_cache = tmp / "warm"
            build(head, warm_cache, pythonpath=True)  # fill the cache
            warm = {"nothing changed": build(head, warm_cache, pythonpath=True)}
            edit(head / "docs" / "learning.md")
            warm["a chapter's prose edited"] = build(head, warm_cache, pythonpath=True)
            edit(head / "dlfs" / "book" / "gradients.py")
            warm["dlfs/book/gradients.py edited"] = build(head, warm_cache, pythonpath=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, capture_output=True)
    results = {
        "schema": 1,
        "what": "wall-clock and CPU seconds of `mkdocs build --strict` (CPU: the build and every process it "
                "starts); cold = an empty DLFS_BOOK_CACHE; warm = the cache of the build before",
        "base": args.base, "cold": cold, "warm": warm,
        "environment": {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                        "python": platform.python_version(), "cpu_count": os.cpu_count(),
                        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")},
        "total_seconds": time.perf_counter() - started,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print(summary(results))
    print(f"JSON in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
