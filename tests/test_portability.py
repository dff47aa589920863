"""No printed number may depend on the machine: the check CI runs, and the command that clears numbers.

`benchmarks/portability.py` (``make portability``) runs every example under
each OpenBLAS kernel this CPU runs and 1 and 2 BLAS threads, and writes
``benchmarks/results/portability.json`` with ``cleared``: each printed line
showing a number below 1e-6 that printed the same under every configuration.
CI cannot switch kernels (a test leaves ``OPENBLAS_CORETYPE`` as it finds it),
so it checks that every such line on the pages, the README and the docstrings
is in that list: a new tiny number fails here until the command has cleared it.
The browser check of every chapter (WebAssembly, NumPy without OpenBLAS, another
libm) runs each page under yet another summation order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.portability import INHERIT, RESULTS, compare, documents, environment_for
from conftest import DOCSTRINGS, PAGES
from dlfs.site.examples import kind, reading, small_numbers

ROOT = Path(__file__).resolve().parents[1]


def printed_lines() -> list[tuple[str, int, str]]:
    """Every line of expected output of every doctest the tests run: (file, line, text)."""
    found = []
    for sybil, patterns in [(PAGES, ["docs/*.md", "docs/*/*.md", "README.md"]),
                            (DOCSTRINGS, ["dlfs/*.py", "dlfs/*/*.py"])]:
        for pattern in patterns:
            for path in sorted(ROOT.glob(pattern)):
                for example in sybil.parse(path).examples():
                    if kind(example) != "doctest":
                        continue
                    for i, line in enumerate(example.parsed.want.splitlines()):
                        found.append((path.relative_to(ROOT).as_posix(), example.line + i + 1, line.strip()))
    return found


def test_every_small_number_printed_was_cleared_by_the_portability_command() -> None:
    cleared = {(c["file"], c["line"]) for c in json.loads(RESULTS.read_text(encoding="utf-8"))["cleared"]}
    lines = printed_lines()
    assert len(lines) > 500, "the pages, the README and the docstrings print more lines than this"
    uncleared = [f"{file}:{n}: {text}" for file, n, text in lines
                 if small_numbers(text) and (file, text) not in cleared]
    assert not uncleared, (
        "these outputs show numbers below 1e-6, which `make portability` has not seen print the same under "
        "every BLAS kernel and thread count; print a comparison with a threshold instead, or run it and commit "
        f"{RESULTS.relative_to(ROOT)}:\n" + "\n".join(uncleared))


def test_the_committed_report_found_no_difference() -> None:
    report = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert report["differ"] == []
    configs = report["configurations"]
    assert {c["threads"] for c in configs} == {1, 2}
    assert len({c["openblas"]["architecture"] for c in configs}) >= 3, "at least three OpenBLAS kernels ran"
    assert not [c["name"] for c in configs if c["crashed"] or c["failed"]]
    assert all(c["examples"] == report["examples"] for c in configs)


def test_the_committed_report_ran_as_many_examples_as_there_are_now() -> None:
    """A report older than the examples is stale: one added or removed since it ran changes the count
    (every example of the pages, the README and the docstrings, and every code cell of the notebooks)."""
    import jupytext

    examples = sum(len(list(sybil.parse(ROOT / name).examples())) for name, sybil in documents(None))
    cells = sum(cell.cell_type == "code"
                for source in sorted((ROOT / "docs" / "notebooks").glob("*.py"))
                for cell in jupytext.reads(source.read_text(encoding="utf-8"), fmt="py:percent").cells)
    report = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert report["examples"] == examples + cells, (
        f"{RESULTS.relative_to(ROOT)} ran {report['examples']} examples; there are {examples} examples and "
        f"{cells} notebook cells now: run `make portability` and commit its report")


def test_inherit_leaves_the_machine_settings_as_the_caller_set_them(tmp_path: Path) -> None:
    caller = {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "AVX512F", "PATH": "/bin"}
    inherited = environment_for(INHERIT, 2, tmp_path, caller)
    assert {k: inherited[k] for k in caller} == caller
    assert inherited["OPENBLAS_NUM_THREADS"] == "2"
    chosen = environment_for("Nehalem", 1, tmp_path, caller)
    assert chosen["OPENBLAS_CORETYPE"] == "Nehalem" and "NPY_DISABLE_CPU_FEATURES" not in chosen


def test_a_reading_compares_what_the_page_shows() -> None:
    assert reading("loss 0.2\n", "loss 0.2000049\n") == reading("loss 0.2\n", "loss 0.1999951\n")
    assert reading("W1 2e-08\n", "W1 2e-08\n") != reading("W1 2e-08\n", "W1 6e-09\n"), "noise digits differ"
    assert reading("took ... s\n", "took 3.2 s\n") == reading("took ... s\n", "took 41.7 s\n")
    assert reading("x\n", None) is None


def test_small_numbers_are_found_in_any_notation() -> None:
    assert small_numbers("3e-08 1.5E-10 0.0000001 -2e-07") == ["3e-08", "1.5E-10", "0.0000001", "-2e-07"]
    assert small_numbers("1e-06 0.5 0 0.0 1e-4 v1.2.3 x1e-9") == []


def test_compare_reports_a_difference_and_clears_the_rest() -> None:
    def config(kernel: str, got: str) -> dict:
        return {"kernel": kernel, "threads": 1, "examples": [
            {"where": "p.md:3", "status": "pass", "want": "gap 4e-10\n", "got": got},
            {"where": "p.md:7", "status": "pass", "want": "eps 2.2e-16\n", "got": "eps 2.2e-16\n"}]}

    differ, cleared, total = compare([config("A", "gap 4e-10\n"), config("B", "gap 3e-10\n")])
    assert total == 2 and [d["where"] for d in differ] == ["p.md:3"]
    assert sorted(o["reads"] for o in differ[0]["outputs"]) == ["gap 3e-10", "gap 4e-10"]
    assert cleared == [{"file": "p.md", "line": "eps 2.2e-16"}]


def test_the_command_runs_each_configuration_and_reports_what_differs(tmp_path: Path) -> None:
    """For real, on a small page whose output depends on the thread count (the kernel left as found)."""
    page = tmp_path / "probe.md"
    out = tmp_path / "report.json"
    page.write_text("```python\n>>> import os\n>>> print(os.environ['OPENBLAS_NUM_THREADS'])\n1\n"
                    ">>> print(f\"{2.0 ** -30:.1e}\")\n9.3e-10\n```\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "benchmarks/portability.py", "--kernels", "inherit", "--threads", "1,2",
                          "--paths", str(page), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 1, run.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [c["name"] for c in report["configurations"]] == ["inherit/1", "inherit/2"]
    assert [d["where"] for d in report["differ"]] == [f"{page}:3"]
    assert report["differ"][0]["failed_in"] == ["inherit/2"]
    assert report["cleared"] == [{"file": str(page), "line": "9.3e-10"}]
    assert "1 print differently" in run.stderr


def test_without_mnist_the_command_stops_in_one_line_before_running_anything(tmp_path: Path) -> None:
    """Every page at once needs MNIST (several read it): without it the command says so and writes no
    report, rather than overwriting the committed one with 275 examples that could not load the data."""
    out = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if k != "DLFS_DATA"} | {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "benchmarks/portability.py", "--out", str(out)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("portability: the pages read MNIST"), run.stderr
    assert "DLFS_DATA" in run.stderr and not out.exists()


@pytest.mark.parametrize("value", ["0", "x", "1,0"])
def test_bad_threads_exit_2_with_one_line(value: str) -> None:
    run = subprocess.run([sys.executable, "benchmarks/portability.py", "--threads", value],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stderr.strip().splitlines()[-1].endswith(f"got {value!r}")


def test_recompare_masks_measured_times_again_and_keeps_real_differences(tmp_path: Path) -> None:
    from benchmarks.portability import recompare

    def cell(where: str, *reads: str) -> dict:
        return {"where": where, "failed_in": [], "missing_in": [], "messages": {},
                "outputs": [{"configs": [f"K{i}/1"], "reads": text} for i, text in enumerate(reads)]}

    out = tmp_path / "report.json"
    out.write_text(json.dumps({"differ": [
        cell("nb.py:cell 3", "| backprop | 0.4 measured | 1.6486 |", "| backprop | 3.5 measured | 1.6486 |"),
        cell("nb.py:cell 4", "| backprop | 0.4 measured | 1.6486 |", "| backprop | 0.4 measured | 1.6487 |"),
        cell("docs/a.md:12", "0.4 measured", "3.5 measured")]}))
    assert recompare(out) == 0
    report = json.loads(out.read_text())
    # a loss differs in one; the other is a page, not a notebook
    assert [d["where"] for d in report["differ"]] == ["nb.py:cell 4", "docs/a.md:12"]
    assert report["recompared"] == [{"where": "nb.py:cell 3", "reads": "| backprop | ... measured | 1.6486 |",
                                     "configs": ["K0/1", "K1/1"]}]
    assert recompare(tmp_path / "none.json") == 2
