"""The speed benchmark, run for real in --quick mode: its JSON, never its timings."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require_real_mnist
from tests.test_bench_numerical import stand_in_book

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_training.py"


def positive(x) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


def test_quick_benchmark_writes_a_complete_json(tmp_path):
    require_real_mnist()
    out = tmp_path / "bench.json"
    # One BLAS thread: on a small shared machine, threads that wait for each other
    # make a smoke test slow, and it checks that the thread setting is recorded.
    env = os.environ | {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--iters", "200", "--hidden-sizes", "2,3",
                        "--repeat", "1", "--rounds", "2", "--book", str(tmp_path / "no-such-book"),
                        "--out", str(out)],
                       check=False, capture_output=True, text=True, env=env, timeout=180)
    assert r.returncode == 0, r.stderr
    for heading in ["(a) training", "(b) one gradient", "(c) growth", "dlfs_float32 / fused_float32",
                    "where a step through the layers spends its time", "book                  not run",
                    "bit for bit: dlfs_float32 yes, dlfs_float32_layers yes"]:
        assert heading in r.stdout
    d = json.loads(out.read_text())
    assert d["schema"] == 2 and d["quick"] is True
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]  # the atomic write left nothing else

    a = d["training"]
    assert a["iters"] == 200 and a["network"] == [784, 50, 10] and a["batch_size"] == 100 and a["rounds"] == 2
    assert list(a["contenders"]) == ["fused_float32", "dlfs_float32", "dlfs_float32_layers", "dlfs_float32_checked",
                                     "dlfs_float64", "book"]
    assert a["round_orders"] == [
        ["fused_float32", "dlfs_float32", "dlfs_float32_layers", "dlfs_float32_checked", "dlfs_float64"],
        ["dlfs_float32", "dlfs_float32_layers", "dlfs_float32_checked", "dlfs_float64", "fused_float32"]]
    book = a["contenders"].pop("book")
    assert book["run"] is False and "was not found" in book["reason"] and book["seconds"] == []
    for run in a["contenders"].values():
        assert all(positive(s) for s in run["seconds"] + run["cpu_seconds"])
        assert len(run["seconds"]) == len(run["cpu_seconds"]) == a["rounds"] == 2
        assert run["seconds_median"] == float(np.median(run["seconds"]))
        assert run["seconds_per_iter_median"] == run["seconds_median"] / 200
        assert 0.5 < run["test_accuracy"] <= 1  # 200 iterations already learn most of MNIST
        assert 0 < run["final_test_loss"] < 2.3 and 0 < run["loss_mean_last_100"] < 2.3
    # the same start and batches: dlfs float32, fused or through the layers, is the fused loop bit for bit;
    # the public path (lr multiplied after the backward pass) agrees to a tolerance
    g = a["agreement"]
    assert g["bitwise"] == {"dlfs_float32": True, "dlfs_float32_layers": True} and g["all_agree"] is True
    assert g["dlfs_float32"] == g["dlfs_float32_layers"] == {"difference": 0.0, "tolerance": 1e-3, "agree": True}
    assert 0 < g["dlfs_float32_checked"]["difference"] <= g["dlfs_float32_checked"]["tolerance"] == 1e-3
    assert "book" not in g  # not run, so not compared

    ph = a["phases"]
    for name in ["dlfs_float32_layers", "fused_float32"]:
        assert ph[name]["same_losses_as_unclocked"] is True  # the clocked loops compute what the timed ones do
        for key in ["us_per_step", "cpu_us_per_step"]:
            assert set(ph[name][key]) == {"batch", "forward", "backward", "update"} | (
                {"checks"} if name == "dlfs_float32_layers" else set())
            assert all(positive(v) for v in ph[name][key].values())
            assert ph[name][key + "_total"] == pytest.approx(
                sum(v for k, v in ph[name][key].items() if k != "checks"))
    assert set(ph["layers_minus_fused_us"]) == {"batch", "forward", "backward", "update"}

    target = d["target"]
    assert target["threshold"] == 1.05 and isinstance(target["met"], bool) and target["losses_agree"] is True
    over = target["over_fused"]
    assert set(over) == {"dlfs_float32", "dlfs_float32_layers", "dlfs_float32_checked", "dlfs_float64"}
    fused_run = a["contenders"]["fused_float32"]
    fused, fused_median = fused_run["seconds"], fused_run["seconds_median"]
    assert over["dlfs_float32"]["per_round"] == [s / f for s, f in zip(a["contenders"]["dlfs_float32"]["seconds"],
                                                                      fused, strict=True)]
    assert target["ratio"] == over["dlfs_float32"]["median"] == float(np.median(over["dlfs_float32"]["per_round"]))
    assert target["dlfs_minus_fused_us_per_step"] == pytest.approx(
        1e6 * (a["contenders"]["dlfs_float32"]["seconds_median"] - fused_median) / 200)

    b = d["one_gradient"]
    assert b["dtype"] == "float64" and b["loss_evaluations"] == 2 * b["n_params"]
    assert positive(b["numerical_seconds"]) and positive(b["backprop_seconds"]["min"]) and positive(b["ratio"])

    c = d["scaling"]
    assert c["hidden_sizes"] == [2, 3] and [row["hidden"] for row in c["rows"]] == [2, 3]
    assert [row["n_params"] for row in c["rows"]] == [784 * h + h + h * 10 + 10 for h in (2, 3)]
    for row in c["rows"]:
        for key in ["numerical_seconds", "numerical_seconds_per_loss", "backprop_seconds",
                    "backprop_seconds_train_batch"]:
            assert positive(row[key])
    assert c["slopes"]["numerical_seconds"]["expected"] == 2
    assert c["slopes"]["backprop_seconds"]["expected"] == 1
    for s in c["slopes"].values():
        assert math.isfinite(s["fit"]) and len(s["between_neighbours"]) == 1

    e = d["environment"]
    assert e["numpy"] and e["python"] and e["cpu_count"] >= 1 and e["date"]
    assert e["thread_env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert "blas" in e and "threadpoolctl" in e


def run_training_only(tmp_path: Path, *args: str) -> tuple[dict, str]:
    require_real_mnist()
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, str(SCRIPT), "--training-only", "--iters", "60", "--rounds", "2",
                        "--repeat", "1", "--out", str(out), *args],
                       check=False, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text()), r.stdout


def test_training_only_with_the_book_peer_run_from_its_files_in_a_child_process(tmp_path):
    """The plumbing of --book, with a stand-in for the book's files (dlfs's net under the book's names)."""
    d, stdout = run_training_only(tmp_path, "--book", str(stand_in_book(tmp_path / "book")))
    a = d["training"]
    book = a["contenders"]["book"]
    assert book["run"] is True and len(book["source"]["commit"]) == 40
    assert len(book["seconds"]) == len(book["cpu_seconds"]) == 2 and all(positive(s) for s in book["seconds"])
    assert "book" in a["round_orders"][0] and a["round_orders"][1][-1] == "fused_float32"
    assert a["agreement"]["book"]["agree"] is True and a["agreement"]["all_agree"] is True
    assert d["target"]["over_fused"]["book"]["per_round"] == [
        b / f for b, f in zip(book["seconds"], a["contenders"]["fused_float32"]["seconds"], strict=True)]
    assert "\n    book " in stdout and "book                  not run" not in stdout
    # --training-only: parts (b) and (c) are skipped, and said to be
    assert "(b) and (c) not run (--training-only)" in stdout
    assert d["one_gradient"] is None and d["scaling"] is None and d["quick"] is False
    assert a["iters"] == 60 and a["rounds"] == 2
    assert d["environment"]["thread_env"]["OPENBLAS_NUM_THREADS"] == (os.environ.get("OPENBLAS_NUM_THREADS") or "1")


@pytest.mark.skipif(not os.environ.get("DLFS_BOOK"), reason="set DLFS_BOOK to the book's repository to run it")
def test_the_real_books_training_loop(tmp_path):
    d, _ = run_training_only(tmp_path, "--book", os.environ["DLFS_BOOK"])
    a = d["training"]
    assert a["contenders"]["book"]["run"] is True and a["agreement"]["book"]["agree"] is True
    assert d["target"]["over_fused"]["book"]["median"] > 1  # the book computes dx of layer 1 and the loss twice


def test_bursty_load_runs_the_command_each_time_and_reports_failures(tmp_path):
    """The load harness (benchmarks/bursty_load.py): every run's exit status, a load that did work."""
    script = SCRIPT.parent / "bursty_load.py"
    out = tmp_path / "load.json"
    marker = tmp_path / "ran"
    command = [sys.executable, "-c",
               f"import pathlib, sys; p = pathlib.Path({str(marker)!r}); "
               "n = len(p.read_text()) if p.exists() else 0; p.write_text('x' * (n + 1)); sys.exit(3 if n == 1 else 0)"]
    r = subprocess.run([sys.executable, str(script), "--runs", "3", "--workers", "1", "--out", str(out),
                        "--", *command], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr  # the second run failed
    d = json.loads(out.read_text())
    assert [run["exit"] for run in d["runs"]] == [0, 3, 0]
    assert marker.read_text() == "xxx"
    assert d["workers"] == 1 and 0 <= d["load_duty_cycle"] <= 1
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=SCRIPT.parent, capture_output=True, text=True)
    assert d["commit"] == head.stdout.strip() and len(d["commit"]) == 40  # the runs name what they ran
    assert isinstance(d["uncommitted_changes"], bool)


CPU_BREAKDOWN = Path(__file__).resolve().parent.parent / "benchmarks" / "cpu_breakdown.py"


def test_cpu_breakdown_sums_a_process_tree_by_group_and_keeps_the_exit_status(tmp_path):
    out = tmp_path / "cpu.json"
    child = "import time; t = time.process_time(); exec('while time.process_time() - t < 0.6: pass')"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}]); sys.exit(3)"
    r = subprocess.run([sys.executable, str(CPU_BREAKDOWN), "--interval", "0.05", "--out", str(out), "--",
                        sys.executable, "-c", parent], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr  # the command's own status
    d = json.loads(out.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["cpu.json"]
    assert d["returncode"] == 3 and d["command"][0] == sys.executable
    # the child spun 0.6 CPU-seconds: the kernel's count for the tree has them, whatever the load
    assert d["cpu_seconds"] >= 0.6
    assert math.isclose(sum(d["groups"].values()), d["cpu_seconds"], abs_tol=0.1 * len(d["groups"]))
    assert any("-c" in p["cmd"] and p["group"].startswith("other python") for p in d["processes"])
    # the timeline: a step per --bin seconds of the run, its cores busy from the CPU the samples saw in it
    steps = d["timeline"]["steps"]
    assert d["timeline"]["bin_seconds"] == 10.0 and len(steps) == int(d["wall_seconds"] // 10) + 1
    seen = sum(sum(row["groups"].values()) for row in steps)
    assert 0.5 <= seen <= d["cpu_seconds"] + 0.1 * len(steps)
    assert 0 <= d["idle_core_seconds"] <= d["cores"] * d["wall_seconds"]


def test_cpu_breakdown_without_a_command_says_so(tmp_path):
    r = subprocess.run([sys.executable, str(CPU_BREAKDOWN), "--out", str(tmp_path / "x.json")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "command: expected a command after --" in r.stderr
    assert not (tmp_path / "x.json").exists()
    r = subprocess.run([sys.executable, str(CPU_BREAKDOWN), "--bin", "0", "--out", str(tmp_path / "x.json"), "--",
                        "true"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--bin: expected a positive number of seconds, got 0.0" in r.stderr
