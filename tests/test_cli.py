"""The command line, run for real in a subprocess."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import require_real_mnist


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "dlfs", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=300)


def test_train_prints_a_table_and_writes_json(tmp_path):
    require_real_mnist()
    out = tmp_path / "run.json"
    r = run("train", "--iters", "60", "--train-size", "1000", "--test-size", "500", "--out", str(out))
    assert r.returncode == 0, r.stderr
    for row in ["method", "test accuracy", "time per iteration", "loss (mean of last 60)"]:
        assert row in r.stdout
    data = json.loads(out.read_text())
    assert data["method"] == "backprop" and len(data["loss"]) == 60 and data["eval_iters"] == [10, 20, 30, 40, 50, 60]
    assert "it/s" not in r.stderr  # no progress bar when stderr is not a terminal
    bar = run("train", "--iters", "20", "--train-size", "1000", "--test-size", "100", "--progress")
    assert "it/s" in bar.stderr or "s/it" in bar.stderr


def test_numerical_method_runs():
    require_real_mnist()
    r = run("train", "--method", "numerical", "--hidden", "3", "--train-size", "100",
            "--test-size", "100", "--batch-size", "5", "--iters", "2")
    assert r.returncode == 0, r.stderr
    assert "numerical" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "--lr", "-1"], "argument --lr: must be > 0, got -1"),
    (["train", "--lr", "fast"], "argument --lr: expected a float, got 'fast'"),
    (["train", "--method", "magic"], "argument --method: invalid choice: 'magic'"),
    (["train", "--iters", "0"], "argument --iters: must be > 0, got 0"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and message in r.stderr


def test_batch_larger_than_training_set_exits_2():
    require_real_mnist()
    r = run("train", "--train-size", "50", "--batch-size", "100")
    assert r.returncode == 2
    assert "--batch-size: must be at most the training set size 50, got 100" in r.stderr


def test_missing_data_folder_is_reported(tmp_path):
    env = os.environ | {"DLFS_DATA": str(tmp_path / "nowhere")}
    r = run("train", "--iters", "1", env=env)
    assert r.returncode == 1
    assert "DLFS_DATA" in r.stderr and "nowhere" in r.stderr
    assert "Traceback" not in r.stderr
