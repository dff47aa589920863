"""Does any printed output depend on the machine? Every example, under each BLAS kernel and thread count.

    make portability                     # every kernel this CPU runs, 1 and 2 threads
    python benchmarks/portability.py --kernels Haswell,Nehalem --threads 1 --paths docs/learning.md

Runs every example the tests run (the pages ``docs/*.md``, the README, the
docstrings of ``dlfs``) and the notebook, once per configuration, each in a
fresh process with an empty book cache (``DLFS_BOOK_CACHE``): OpenBLAS's
kernel (``OPENBLAS_CORETYPE``) set to each of Prescott, Nehalem, Sandybridge,
Haswell and Zen, and SkylakeX and Cooperlake where the CPU has AVX-512; NumPy's
own SIMD loops limited to its baseline (``NPY_DISABLE_CPU_FEATURES``); each
with ``OPENBLAS_NUM_THREADS`` 1 and 2. A kernel name that this OpenBLAS runs
as a kernel already in the list (Zen as Haswell, say) runs once and is
reported under both names.

An example *prints differently* if it fails under some configuration, or if
what it prints differs from what it prints under the first one, read as a
reader reads the page: what the page elides with ``...`` (a time) is not
compared, and a number the page writes with fewer digits than Python prints
is compared at the page's precision. The notebook's outputs are compared
with its times (a number before ``s``, ``ms`` or ``times``) left out.

Writes ``benchmarks/results/portability.json`` (``--out``), atomically: each
configuration (the kernel OpenBLAS reports, its threads, how many examples
ran and failed, how long it took), every example that prints differently
with what each configuration printed, and ``cleared``: each printed line
showing a number below 1e-6 that printed the same everywhere.
``tests/test_portability.py`` reads that list: a new tiny number on a page
fails CI until this command has cleared it. Exits 1 if any example differs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlfs.download import atomic_file  # noqa: E402
from dlfs.site.examples import reading, small_numbers  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "portability.json"
KERNELS = ["Prescott", "Nehalem", "Sandybridge", "Haswell", "Zen"]
AVX512_KERNELS = ["SkylakeX", "Cooperlake"]
BASELINE_SIMD = "numpy-baseline"  # not a kernel: NumPy's dispatched SIMD loops turned off
INHERIT = "inherit"  # OPENBLAS_CORETYPE left as found (the tests use this)
# a time the notebook measured, masked before comparing: "3.5 s", "12 ms", "40.2 measured", "11500 extrapolated"
NOTEBOOK_TIME = re.compile(r"\d[\d,.]*(?=\s*(?:s|ms|seconds|times|measured|extrapolated)\b)")


# ---------------------------------------------------------------- one configuration (a worker process)


def documents(paths: list[str] | None) -> list[tuple[str, Any]]:
    """Each file the tests run examples from, with its Sybil (the root conftest's); or just `paths`."""
    from conftest import DOCSTRINGS, PAGES

    if paths is not None:
        return [(path, PAGES if path.endswith(".md") else DOCSTRINGS) for path in paths]
    found = []
    for sybil, patterns in [(PAGES, ["docs/*.md", "docs/*/*.md", "README.md"]),
                            (DOCSTRINGS, ["dlfs/*.py", "dlfs/*/*.py"])]:
        for pattern in patterns:
            found += [(path.relative_to(ROOT).as_posix(), sybil) for path in sorted(ROOT.glob(pattern))]
    return found


def run_examples(paths: list[str] | None) -> list[dict[str, Any]]:
    from dlfs.site.examples import evaluate

    results = []
    for name, sybil in documents(paths):
        document = sybil.parse(ROOT / name)
        if sybil.setup is not None:
            sybil.setup(document.namespace)
        seen: dict[int, int] = {}
        for example in document.examples():
            r = evaluate(example)
            seen[r["line"]] = n = seen.get(r["line"], 0) + 1  # Sybil may give two examples one line
            where = f"{name}:{r['line']}" + (f" ({n})" if n > 1 else "")
            results.append({"where": where, "kind": r["kind"], "status": r["status"], "want": r.get("want", ""),
                            "got": r["got"] if r["kind"] == "doctest" else r["stdout"],
                            "message": r["message"][-2000:]})
    return results


def run_notebooks(paths: list[str] | None) -> list[dict[str, Any]]:
    """Each notebook's cells, run in a fresh kernel (which inherits this configuration): their text outputs."""
    import jupytext
    from nbclient import NotebookClient

    results = []
    for source in sorted((ROOT / "docs" / "notebooks").glob("*.py")):
        name = source.relative_to(ROOT).as_posix()
        if paths is not None and name not in paths:  # only what was asked for
            continue
        notebook = jupytext.reads(source.read_text(encoding="utf-8"), fmt="py:percent")
        client = NotebookClient(notebook, timeout=1200, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(source.parent)}})
        client.execute()
        for i, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            texts, status = [], "pass"
            for output in cell.get("outputs", []):
                if output.output_type == "stream":
                    texts.append(output.text)
                elif output.output_type == "error":
                    status = "error"
                    texts.append(f"{output.ename}: {output.evalue}")
                else:
                    data = output.get("data", {})
                    texts.append(data.get("text/markdown") or data.get("text/plain", ""))
            text = NOTEBOOK_TIME.sub("...", "".join(texts))
            results.append({"where": f"{name}:cell {i}", "kind": "cell", "status": status, "want": text,
                            "got": text, "message": ""})
    return results


def worker(out: Path, paths: list[str] | None) -> None:
    import numpy as np

    start = time.perf_counter()
    examples = run_examples(paths) + run_notebooks(paths)
    np.ones((2, 2)) @ np.ones((2, 2))  # OpenBLAS reports its kernel once it has run
    blas = blas_info()
    with atomic_file(out, "w") as f:
        json.dump({"blas": blas, "seconds": round(time.perf_counter() - start, 1), "examples": examples}, f)


def blas_info() -> dict[str, Any]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"architecture": None, "num_threads": None, "version": None}
    for info in threadpool_info():
        if info.get("internal_api") == "openblas":
            return {k: info.get(k) for k in ("architecture", "num_threads", "version")}
    return {"architecture": None, "num_threads": None, "version": None}


# ---------------------------------------------------------------- the configurations


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def default_kernels() -> list[str]:
    flags = cpu_flags()
    kernels = KERNELS + ([AVX512_KERNELS[0]] if "avx512f" in flags else [])
    kernels += [AVX512_KERNELS[1]] if "avx512_bf16" in flags else []
    return kernels + [BASELINE_SIMD]


def environment_for(kernel: str, threads: int, cache: Path,
                    environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment of one configuration's worker: `environ` with the kernel, threads and cache set.

    With `INHERIT` the caller's ``OPENBLAS_CORETYPE`` and ``NPY_DISABLE_CPU_FEATURES`` stay as they are.
    """
    machine = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")
    env = {k: v for k, v in environ.items() if k not in machine}
    if kernel == INHERIT:
        env.update({k: environ[k] for k in machine if k in environ})
    elif kernel == BASELINE_SIMD:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(numpy_dispatched_features())
    else:
        env["OPENBLAS_CORETYPE"] = kernel
    env |= {"OPENBLAS_NUM_THREADS": str(threads), "DLFS_BOOK_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    env.pop("DLFS_VERIFICATION", None)
    return env


def numpy_dispatched_features() -> list[str]:
    """The SIMD features NumPy found on this CPU beyond its baseline: the ones it dispatches to."""
    import numpy as np
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f)] if np else []


def probe(kernel: str) -> str | None:
    """The kernel OpenBLAS runs for `kernel` (None if it cannot start: an instruction this CPU lacks)."""
    code = ("import numpy as np, json, sys; sys.path.insert(0, sys.argv[1]); np.ones((2, 2)) @ np.ones((2, 2));"
            "from benchmarks.portability import blas_info; print(json.dumps(blas_info()))")
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([sys.executable, "-c", code, str(ROOT)], env=environment_for(kernel, 1, Path(tmp)),
                             capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        return None
    architecture = json.loads(run.stdout)["architecture"]
    return f"{architecture}+baseline-simd" if kernel == BASELINE_SIMD else architecture


def run_config(kernel: str, threads: int, paths: list[str] | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dlfs-portability-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(out)]
        command += ["--paths", ",".join(paths)] if paths else []
        start = time.perf_counter()
        run = subprocess.run(command, env=environment_for(kernel, threads, Path(tmp) / "cache"), cwd=ROOT,
                             capture_output=True, text=True, timeout=7200)
        seconds = round(time.perf_counter() - start, 1)
        if run.returncode != 0 or not out.is_file():
            return {"kernel": kernel, "threads": threads, "seconds": seconds, "crashed": True,
                    "stderr": (run.stdout + run.stderr)[-3000:], "examples": []}
        data = json.loads(out.read_text(encoding="utf-8"))
    return {"kernel": kernel, "threads": threads, "seconds": seconds, "crashed": False, **data}


def compare(configs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, str]], int]:
    """The examples that print differently (or fail) under some configuration, and the small numbers cleared."""
    names = [config_name(c) for c in configs]
    by_example: dict[str, dict[str, dict[str, Any]]] = {}
    for name, config in zip(names, configs):
        for example in config["examples"]:
            by_example.setdefault(example["where"], {})[name] = example
    differ, cleared = [], []
    for where, runs in by_example.items():
        readings = {name: reading(r["want"], r["got"]) for name, r in runs.items()}
        failed = sorted(name for name, r in runs.items() if r["status"] in ("fail", "error"))
        missing = sorted(set(names) - set(runs))
        if failed or missing or len(set(readings.values())) > 1:
            groups: dict[str | None, list[str]] = {}
            for name, text in readings.items():
                groups.setdefault(text, []).append(name)
            differ.append({"where": where, "failed_in": failed, "missing_in": missing,
                           "outputs": [{"configs": group, "reads": text} for text, group in groups.items()],
                           "messages": {name: runs[name]["message"] for name in failed}})
            continue
        first = next(iter(runs.values()))
        path = where.rsplit(":", 1)[0]
        for line in first["want"].splitlines():
            if small_numbers(line):
                cleared.append({"file": path, "line": line.strip()})
    total = len(by_example)
    unique = list({(c["file"], c["line"]): c for c in cleared}.values())
    return differ, unique, total


def config_name(config: dict[str, Any]) -> str:
    return f"{config['kernel']}/{config['threads']}"


def environment() -> dict[str, Any]:
    import numpy as np

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    model = next((ln.partition(":")[2].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(), "numpy": np.__version__, "cpu_model": model,
            "cpu_count": os.cpu_count(), "avx512": "avx512f" in cpu_flags(),
            "numpy_dispatch": numpy_dispatched_features(),
            "commit": git("rev-parse", "HEAD"),
            "uncommitted_changes": bool(git("status", "--porcelain", "--", "dlfs", "docs", "README.md"))}


def plan(kernels: list[str], threads: list[int]) -> tuple[list[tuple[str, int]], list[dict[str, Any]]]:
    """The configurations to run, and the kernel names left out (with why)."""
    runs, skipped, seen = [], [], {}
    for kernel in kernels:
        actual = probe(kernel) if kernel != INHERIT else "inherited"
        if actual is None:
            skipped.append({"kernel": kernel, "why": "this CPU cannot run it (the probe process failed)"})
            continue
        if actual in seen and not actual.startswith("None"):  # None: threadpoolctl could not tell
            skipped.append({"kernel": kernel, "why": f"OpenBLAS runs it as {actual}, already run as {seen[actual]}"})
            continue
        seen[actual] = kernel
        runs += [(kernel, n) for n in threads]
    return runs, skipped


def recompare(out: Path) -> int:
    """Mask the measured times in the recorded outputs of differing notebook cells again (after the mask
    grew); a cell whose outputs now read the same everywhere moves from ``differ`` to ``recompared``."""
    if not out.is_file():
        print(f"portability: --out: expected a report to recompare, got no file at {out}", file=sys.stderr)
        return 2
    report = json.loads(out.read_text(encoding="utf-8"))
    still, agree = [], []
    for entry in report["differ"]:
        readings = {NOTEBOOK_TIME.sub("...", group["reads"] or "") for group in entry["outputs"]}
        if ":cell " in entry["where"] and not entry["failed_in"] and not entry["missing_in"] and len(readings) == 1:
            agree.append({"where": entry["where"], "reads": readings.pop(),
                          "configs": sorted(c for group in entry["outputs"] for c in group["configs"])})
        else:
            still.append(entry)
    report["differ"], report["recompared"] = still, report.get("recompared", []) + agree
    with atomic_file(out, "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"portability: recompared {len(agree)} cells, which now read the same everywhere; "
          f"{len(still)} examples print differently", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--kernels", help="comma-separated OPENBLAS_CORETYPE values, 'numpy-baseline' for "
                        "NumPy's SIMD turned off, 'inherit' for as found (default: every one this CPU runs)")
    parser.add_argument("--threads", default="1,2", help="OPENBLAS_NUM_THREADS values (default 1,2)")
    parser.add_argument("--paths", help="only these files, comma-separated (docs/learning.md,README.md)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="cores to use; a configuration of n threads takes n (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"the JSON (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("--recompare", action="store_true",
                        help="run nothing: compare the notebook outputs that --out records as differing again, "
                             "with today's mask of measured times, and rewrite --out")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    paths = args.paths.split(",") if args.paths else None
    if args.recompare:
        return recompare(args.out)
    if args.worker:
        worker(args.worker, paths)
        return 0
    try:
        threads = [int(n) for n in args.threads.split(",")]
        if not threads or min(threads) < 1:
            raise ValueError
    except ValueError:
        parser.error(f"--threads: expected positive integers such as 1,2, got {args.threads!r}")
    if paths is None:  # every page: several read MNIST, and without it the report would say only that
        from dlfs.datasets import DatasetNotFoundError, locate

        try:
            locate("mnist", download=False)
        except DatasetNotFoundError as err:
            print(f"portability: the pages read MNIST and it is not here: {err}", file=sys.stderr)
            return 2
    if paths:
        unknown = [p for p in paths if not (ROOT / p).is_file() or not p.endswith((".md", ".py"))]
        if unknown:
            parser.error(f"--paths: expected pages (.md) or modules (.py), got {', '.join(unknown)}")
    kernels = args.kernels.split(",") if args.kernels else default_kernels()
    start = time.perf_counter()
    runs, skipped = plan(kernels, threads)
    print(f"portability: {len(runs)} configurations: {', '.join(f'{k}/{n}' for k, n in runs)}", file=sys.stderr)
    configs: list[dict[str, Any]] = [{}] * len(runs)
    # each configuration takes as many cores as it has threads; run as many side by side as fit
    for n in sorted(set(threads)):
        batch = [i for i, (_, t) in enumerate(runs) if t == n]
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs // n)) as pool:
            futures = {pool.submit(run_config, *runs[i], paths): i for i in batch}
            for future in concurrent.futures.as_completed(futures):
                config = future.result()
                configs[futures[future]] = config
                print(f"portability: {config_name(config)}: {len(config['examples'])} examples in "
                      f"{config['seconds']} s" + (" (crashed)" if config["crashed"] else ""), file=sys.stderr)
    differ, cleared, total = compare([c for c in configs if not c["crashed"]])
    result = {
        "what": "every example of the pages, the README, the docstrings and the notebook, run under each "
                "configuration; 'differ' lists those that fail or print differently from the first",
        "environment": environment(),
        "configurations": [{"name": config_name(c), "kernel": c["kernel"], "threads": c["threads"],
                            "openblas": c.get("blas"), "examples": len(c["examples"]),
                            "failed": sum(e["status"] in ("fail", "error") for e in c["examples"]),
                            "seconds": c["seconds"], "crashed": c["crashed"], "stderr": c.get("stderr", "")}
                           for c in configs],
        "skipped": skipped, "examples": total, "differ": differ, "cleared": cleared,
        "seconds": round(time.perf_counter() - start, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(args.out, "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    crashed = [config_name(c) for c in configs if c["crashed"]]
    print(f"portability: {total} examples, {len(differ)} print differently, {len(crashed)} configurations "
          f"crashed{': ' + ', '.join(crashed) if crashed else ''}; {len(cleared)} lines with small numbers "
          f"cleared; {result['seconds']} s; {args.out}", file=sys.stderr)
    for d in differ:
        print(f"  {d['where']}: " + " | ".join(f"{'/'.join(o['configs'])}: {o['reads']!r:.120}"
                                             for o in d["outputs"]), file=sys.stderr)
    return 1 if differ or crashed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("portability: interrupted", file=sys.stderr)
        sys.exit(130)
