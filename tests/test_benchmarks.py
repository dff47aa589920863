"""The speed benchmark, run for real in --quick mode: its JSON, never its timings."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import require_real_mnist

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
                        "--repeat", "1", "--out", str(out)],
                       check=False, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    for heading in ["(a) training", "(b) one gradient", "(c) growth", "dlfs_float32 / fused_float32"]:
        assert heading in r.stdout
    d = json.loads(out.read_text())
    assert d["schema"] == 1 and d["quick"] is True
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]  # the atomic write left nothing else

    a = d["training"]
    assert a["iters"] == 200 and a["network"] == [784, 50, 10] and a["batch_size"] == 100
    assert set(a["contenders"]) == {"dlfs_float64", "dlfs_float32", "fused_float32"}
    for run in a["contenders"].values():
        assert all(positive(s) for s in run["seconds"] + run["cpu_seconds"])
        assert len(run["seconds"]) == len(run["cpu_seconds"]) == a["repeat"] == 1
        assert run["seconds_min"] == min(run["seconds"]) and run["seconds_per_iter"] == run["seconds_min"] / 200
        assert 0.5 < run["test_accuracy"] <= 1  # 200 iterations already learn most of MNIST
    # the same start and batches: float64 and the two float32 runs learn the same
    accuracies = [run["test_accuracy"] for run in a["contenders"].values()]
    assert max(accuracies) - min(accuracies) < 0.01

    target = d["target"]
    assert positive(target["ratio"]) and target["threshold"] == 1.5 and isinstance(target["met"], bool)
    assert target["accuracy_match"] and target["test_accuracy_difference"] <= target["accuracy_tolerance"]

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


CPU_BREAKDOWN = Path(__file__).resolve().parent.parent / "benchmarks" / "cpu_breakdown.py"


def test_cpu_breakdown_sums_a_process_tree_by_group_and_keeps_the_exit_status(tmp_path):
    out = tmp_path / "cpu.json"
    child = "import time; t = time.process_time(); exec('while time.process_time() - t < 0.6: pass')"
    r = subprocess.run([sys.executable, str(CPU_BREAKDOWN), "--interval", "0.05", "--out", str(out), "--",
                        sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}]);"
                        " sys.exit(3)"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr  # the command's own status
    d = json.loads(out.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["cpu.json"]
    assert d["returncode"] == 3 and d["command"][0] == sys.executable
    # the child spun 0.6 CPU-seconds: the kernel's count for the tree has them, whatever the load
    assert d["cpu_seconds"] >= 0.6
    assert math.isclose(sum(d["groups"].values()), d["cpu_seconds"], abs_tol=0.1 * len(d["groups"]))
    assert any("-c" in p["cmd"] and p["group"].startswith("other python") for p in d["processes"])


def test_cpu_breakdown_without_a_command_says_so(tmp_path):
    r = subprocess.run([sys.executable, str(CPU_BREAKDOWN), "--out", str(tmp_path / "x.json")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "command: expected a command after --" in r.stderr
    assert not (tmp_path / "x.json").exists()
