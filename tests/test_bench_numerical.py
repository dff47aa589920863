"""The numerical-gradient benchmark, run for real in --quick mode: its JSON, never its timings."""

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import require_real_mnist

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_numerical.py"
D, H, C, N = 784, 3, 10, 5  # the --quick network and batch
P = D * H + H + H * C + C


def positive(x) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


def run(tmp_path: Path, *args: str) -> tuple[dict, str]:
    require_real_mnist()
    out = tmp_path / "out" / "bench.json"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out), *args],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert [p.name for p in out.parent.iterdir()] == ["bench.json"]  # the atomic write left nothing else
    return json.loads(out.read_text()), r.stdout


def check_structure(d: dict) -> dict:
    assert d["schema"] == 1 and d["quick"] is True
    b = d["bench"]
    assert b["network"] == [D, H, C] and b["batch_size"] == N and b["dtype"] == "float64" and b["seed"] == 0
    assert b["n_params"] == P and b["slow_loss_evaluations"] == 2 * P

    cost, dlfs, fast = b["cost_model"], b["peers"]["dlfs"], b["peers"]["fast"]
    assert dlfs["run"] and fast["run"]
    assert dlfs["multiply_adds"] == cost["slow_multiply_adds"] == 2 * P * N * (D * H + H * C)
    assert dlfs["exponentials"] == cost["slow_exponentials"] == 2 * P * N * C
    nnz = cost["input_nonzeros"]
    assert 0 < nnz < N * D  # MNIST digits: some ink, mostly background
    assert fast["multiply_adds"] == cost["fast_multiply_adds"]
    assert N * (D * H + H * C) < cost["fast_multiply_adds"] <= N * (D * H + H * C) + 2 * (nnz + N) * H * C
    assert fast["exponentials"] == cost["fast_exponentials"] == C * cost["fast_perturbed_examples"]
    assert cost["predicted_speedup_from_macs"] == cost["slow_multiply_adds"] / cost["fast_multiply_adds"]
    for key in ["seconds", "cpu_seconds"]:
        assert positive(dlfs[key])
    assert positive(fast["seconds"]) and fast["seconds"] == min(fast["measurements"]) and positive(fast["cpu_seconds"])
    assert len(fast["measurements"]) == d["config"]["repeat"]

    a = b["agreement"]
    assert a["tolerance"] == 1e-9 and a["agree"] is True and 0 <= a["fast_vs_dlfs_max_abs_diff"] <= 1e-9

    r = b["ratios"]
    assert r["dlfs_over_fast"] == dlfs["seconds"] / fast["seconds"] and r["target"] == 30 and r["aim"] == 100
    assert r["dlfs_over_fast_cpu"] == dlfs["cpu_seconds"] / fast["cpu_seconds"]
    assert cost["measured_speedup"] == r["dlfs_over_fast"]

    m, floors = b["machine"], b["floors"]
    assert m["gemm"]["shape"] == [N, D, H] and positive(m["gemm"]["macs_per_second"])
    assert positive(m["exp"]["per_second"])
    f = floors["fast"]
    assert f["gemm_floor_seconds"] == cost["fast_multiply_adds"] / m["gemm"]["macs_per_second"]
    assert f["floor_seconds"] == f["gemm_floor_seconds"] + f["exp_floor_seconds"]
    assert positive(f["over_floor"]) and positive(floors["dlfs"]["over_floor"])

    e = d["environment"]
    assert all(e["thread_env"][k] == "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"))
    assert e["numpy"] and e["python"] and e["date"]
    return b


def test_without_the_book_it_measures_dlfs_and_says_why_the_book_was_not_run(tmp_path):
    d, stdout = run(tmp_path)
    b = check_structure(d)
    book = b["peers"]["book"]
    assert book["run"] is False and "no --book PATH given" in book["reason"]
    assert b["ratios"]["book_over_fast"] is None and b["ratios"]["target_met"] is None
    assert b["ratios"]["book_over_fast_cpu"] is None
    assert "book_vs_dlfs_max_abs_diff" not in b["agreement"]
    assert "not run: no --book PATH given" in stdout and "max |fast - dlfs|" in stdout


def test_a_book_path_that_is_not_there_is_reported(tmp_path):
    d, _ = run(tmp_path, "--book", str(tmp_path / "nowhere"))
    book = d["bench"]["peers"]["book"]
    assert book["run"] is False and "was not found" in book["reason"]


def stand_in_book(repo: Path) -> Path:
    """A git directory laid out as the book's (ch05/two_layer_net.py importing from common/),
    whose TwoLayerNet is dlfs's under the book's constructor: the benchmark's plumbing, tested
    without the book's code."""
    (repo / "ch05").mkdir(parents=True)
    (repo / "common").mkdir()
    (repo / "common" / "__init__.py").write_text("")
    (repo / "common" / "net.py").write_text(textwrap.dedent("""
        import dlfs.nets

        class TwoLayerNet(dlfs.nets.TwoLayerNet):
            def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
                super().__init__(input_size, hidden_size, output_size, weight_init_std, seed=123)
    """))
    (repo / "ch05" / "two_layer_net.py").write_text(
        "import os, sys\nsys.path.append(os.pardir)  # as the book's scripts do\nfrom common.net import TwoLayerNet\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "stand-in"], check=True)
    return repo / ".git"


def test_the_book_peer_runs_from_a_git_directory_with_the_same_weights(tmp_path):
    git_dir = stand_in_book(tmp_path / "book")
    d, stdout = run(tmp_path, "--book", str(git_dir))
    b = check_structure(d)
    book = b["peers"]["book"]
    assert book["run"] is True and positive(book["seconds"]) and positive(book["cpu_seconds"])
    assert len(book["source"]["commit"]) == 40 and book["multiply_adds"] == b["cost_model"]["slow_multiply_adds"]
    # the stand-in is dlfs's method: with dlfs's weights copied in (not its own seed's), the same numbers
    assert b["agreement"]["book_vs_dlfs_max_abs_diff"] == 0 and b["agreement"]["book_agree"] is True
    assert b["ratios"]["book_over_fast"] == book["seconds"] / b["peers"]["fast"]["seconds"]
    assert b["ratios"]["book_over_fast_cpu"] == book["cpu_seconds"] / b["peers"]["fast"]["cpu_seconds"]
    assert isinstance(b["ratios"]["target_met"], bool)
    assert "max |book - dlfs|" in stdout


@pytest.mark.skipif(not os.environ.get("DLFS_BOOK"), reason="set DLFS_BOOK to the book's repository to run it")
def test_the_real_book(tmp_path):
    d, _ = run(tmp_path, "--book", os.environ["DLFS_BOOK"])
    a = check_structure(d)["agreement"]
    assert d["bench"]["peers"]["book"]["run"] is True
    assert 0 < a["book_vs_dlfs_max_abs_diff"] <= a["book_tolerance"]  # the book's 1e-7 inside the log
