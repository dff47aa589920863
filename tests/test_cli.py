"""The command line, run for real in a subprocess."""

import json
import os
import signal
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


def one_line(stderr: str) -> str:
    """The single line a failure prints; fails the test if there is more (a traceback, say)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_out_into_a_missing_folder_exits_2_before_training(tmp_path):
    out = tmp_path / "no-such-folder" / "run.json"
    r = run("train", "--out", str(out))
    assert r.returncode == 2
    expected = f"argument --out: the folder {out.parent} does not exist; create it first"
    assert one_line(r.stderr) == f"python -m dlfs: error: {expected}"
    assert r.stdout == ""  # it stopped before loading data or training
    assert not out.parent.exists()


def test_out_naming_a_folder_exits_2(tmp_path):
    r = run("train", "--out", str(tmp_path))
    assert r.returncode == 2 and "is a folder; give a file name" in one_line(r.stderr)


def test_ctrl_c_exits_130_with_one_line_and_leaves_nothing(tmp_path):
    require_real_mnist()
    out = tmp_path / "run.json"
    # SIGINT at its default in the child, as in a terminal: a background job of a non-interactive
    # shell starts with SIGINT ignored, and Python then installs no KeyboardInterrupt handler.
    proc = subprocess.Popen([sys.executable, "-m", "dlfs", "train", "--iters", "1000000", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline().startswith("training 784-50-10 on 60,000 images")  # it is training now
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:  # whatever failed above, no training run outlives the test
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert one_line(stderr) == "python -m dlfs: interrupted"
    assert list(tmp_path.iterdir()) == []  # no run.json, no temporary file


def test_an_exploding_loss_warns_naming_lr(tmp_path):
    require_real_mnist()
    r = run("train", "--lr", "1e6", "--iters", "200", "--train-size", "2000", "--test-size", "100")
    assert r.returncode == 0, r.stderr
    line = one_line(r.stderr)
    assert line.startswith("python -m dlfs: warning: the loss grew from 2.30")
    assert "with lr=1000000.0: training diverged; try a smaller learning rate" in line
    assert "loss (mean of last 100)" in r.stdout  # the table still shows what happened


def test_data_errors_are_one_line(tmp_path):
    # no data, no cache, and a mirror that refuses: the loader's error, on one line
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path), "DLFS_MNIST_MIRROR": "http://127.0.0.1:9/"}
    env.pop("DLFS_DATA", None)
    r = run("train", "--iters", "1", env=env)
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert line.startswith("python -m dlfs: error: mnist: the four files were not all found in")
    assert "downloading them failed" in line and "Set DLFS_DATA" in line


@pytest.mark.parametrize("args, message", [
    (["train", "--hidden", "100,0"], "argument --hidden: sizes must be positive integers, got '100,0'"),
    (["train", "--hidden", "wide"], "argument --hidden: expected sizes such as 50 or 100,100,100, got 'wide'"),
    (["train", "--init", "lecun"], 'argument --init: expected a number >= 0, "xavier" or "he", got \'lecun\''),
    (["train", "--weight-decay", "-1"], "argument --weight-decay: must be >= 0, got -1"),
    (["train", "--patience", "0"], "argument --patience: must be > 0, got 0"),
])
def test_bad_values_for_deeper_nets_exit_2_with_one_line(args, message):
    r = run(*args)
    assert r.returncode == 2 and message in one_line(r.stderr)


def test_patience_without_a_validation_set_exits_2():
    require_real_mnist()
    r = run("train", "--patience", "3", "--train-size", "500")
    assert r.returncode == 2
    assert "argument --patience: early stopping needs a validation set: give --val-size too" in one_line(r.stderr)


def test_a_deeper_net_with_decay_validation_and_early_stopping(tmp_path):
    require_real_mnist()
    out = tmp_path / "run.json"
    r = run("train", "--hidden", "20,20", "--init", "he", "--weight-decay", "0.01", "--train-size", "1500",
            "--test-size", "500", "--val-size", "500", "--patience", "2", "--iters", "400", "--batch-size", "50",
            "--optimizer", "adam", "--lr", "0.001", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("training 784-20-20-10 on 1,000 images")
    assert "validation accuracy (best)" in r.stdout
    data = json.loads(out.read_text())
    assert len(data["val_acc"]) == len(data["eval_iters"]) and data["eval_iters"][0] == 20  # 1,000 // 50


def test_help_names_every_default_once_and_never_none():
    r = run("train", "--help")
    assert r.returncode == 0
    assert "(default: None)" not in r.stdout and "(default: False)" not in r.stdout
    init = r.stdout[r.stdout.index("  --init"):].split("\n  --")[0]
    assert init.count("default") == 1, init  # stated in its help, not appended again
    for flag, default in [("--iters", "10000"), ("--lr", "0.1"), ("--dtype", "float64"), ("--optimizer", "sgd")]:
        entry = r.stdout[r.stdout.index(f"  {flag}"):].split("\n  --")[0]
        assert f"(default: {default})" in " ".join(entry.split()), entry
