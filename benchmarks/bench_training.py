"""Speed benchmark: how fast dlfs trains, and why nobody trains with numerical gradients.

Run ``python benchmarks/bench_training.py`` (``make bench``); ``--quick`` takes
seconds instead of minutes. ``benchmarks/README.md`` explains the JSON it writes.
Three measurements, in one run, on the real MNIST (``$DLFS_DATA/mnist/``):

(a) training: 10,000 SGD iterations of a 784-50-10 `TwoLayerNet` (batch 100,
    lr 0.1) in float64 and float32, against a hand-fused NumPy loop of the same
    network, all from the same initial weights and the same batch order;
(b) one `numerical_gradient` against one backprop `gradient` (784-50-10, float64);
(c) how both grow with the hidden size, as log-log slopes against the parameter count.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from dlfs.datasets import load_mnist
from dlfs.download import atomic_file
from dlfs.nets import TwoLayerNet, count_parameters
from dlfs.optim import SGD
from dlfs.timing import loglog_slope, measure, timed
from dlfs.train import minibatches

SCHEMA = 1
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "bench_training.json"
TARGET_RATIO = 1.5  # dlfs float32 may take at most 1.5x the hand-fused loop
ACCURACY_TOLERANCE = 0.005  # the two float32 runs must agree this closely to compare them


@dataclasses.dataclass(frozen=True)
class Config:
    iters: int = 10_000
    batch_size: int = 100
    lr: float = 0.1
    hidden: int = 50  # the network of (a)
    grad_hidden: int = 50  # the network of (b); with --quick, the smallest of hidden_sizes
    grad_batch: int = 100  # the batch of (b)
    hidden_sizes: tuple[int, ...] = (10, 20, 50, 100)  # (c)
    numerical_batch: int = 10  # (c): two losses per parameter, so a small batch keeps it minutes
    repeat: int = 3
    min_measure_s: float = 0.2  # each timing of the fast gradient runs at least this long
    seed: int = 0


FULL = Config()
QUICK = Config(iters=500, grad_batch=10, hidden_sizes=(5, 10), repeat=2, min_measure_s=0.05)


# ---------------------------------------------------------------- data and batches
def load_data() -> dict:
    """MNIST once as uint8, then scaled to [0, 1] in each dtype exactly as `load_mnist` does."""
    (raw_train, t_train), (raw_test, t_test) = load_mnist(normalize=False)

    def scaled(raw: np.ndarray, dtype: type) -> np.ndarray:
        x = raw.astype(dtype)
        x /= 255
        return x

    return {np.dtype(d).name: (scaled(raw_train, d), t_train, scaled(raw_test, d), t_test)
            for d in (np.float64, np.float32)}


def batch_order(n: int, batch_size: int, iters: int, seed: int) -> list[np.ndarray]:
    """The indices of every mini-batch, drawn as `dlfs.train.train` draws them (shuffled epochs)."""
    return list(itertools.islice(minibatches(n, batch_size, np.random.default_rng(seed)), iters))


# ---------------------------------------------------------------- the contenders of (a)
def train_dlfs(net: TwoLayerNet, x_train, t_train, batches, lr: float) -> np.ndarray:
    """The dlfs path: one ``loss_and_gradient`` and one in-place ``SGD.update`` per batch."""
    optimizer = SGD(lr)
    losses = np.empty(len(batches))
    for i, batch in enumerate(batches):
        losses[i], grads = net.loss_and_gradient(x_train[batch], t_train[batch])
        optimizer.update(net.params, grads)
    return losses


def train_fused(params: dict, x_train, t_train, batches, lr: float) -> np.ndarray:
    """The same training by hand: the floor that dlfs is measured against.

    One forward and one backward pass per batch, in the dtype of `params`
    (float32 here) throughout: no dx for the first layer, the ReLU mask kept
    for the backward pass, softmax and cross-entropy fused into
    ``(y - onehot(t)) / N``, the learning rate folded into that gradient, and
    every parameter updated in place. The loss is computed too, as dlfs does.
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    step = W1.dtype.type(lr)  # a float32 scalar keeps the arithmetic in float32
    rows = np.arange(len(batches[0]))
    losses = np.empty(len(batches))
    for i, batch in enumerate(batches):
        x, t = x_train[batch], t_train[batch]
        h = x @ W1
        h += b1
        np.maximum(h, 0, out=h)
        mask = h > 0  # the ReLU's derivative, reused below
        s = h @ W2
        s += b2
        s -= s.max(axis=1, keepdims=True)  # so exp() cannot overflow
        picked = s[rows, t]
        np.exp(s, out=s)
        total = s.sum(axis=1)
        losses[i] = np.mean(np.log(total) - picked)  # cross-entropy by log-sum-exp
        s /= total[:, None]  # s is now the softmax y
        s[rows, t] -= 1
        s *= step / len(batch)  # lr * dL/dscores
        dh = s @ W2.T  # before W2 changes
        dh *= mask
        W2 -= h.T @ s
        b2 -= s.sum(axis=0)
        W1 -= x.T @ dh  # the first layer needs no dx: its input is the data
        b1 -= dh.sum(axis=0)
    return losses


# ---------------------------------------------------------------- timing helpers
def timed_with_cpu(fn, *args) -> tuple[float, float, object]:
    """``(wall seconds, CPU seconds of the process, fn(*args))``, with the collector off (`dlfs.timing.timed`).

    CPU seconds (all threads) far below wall seconds with one BLAS thread: the machine was busy.
    """
    cpu_start = time.process_time()
    seconds, result = timed(lambda: fn(*args))
    return seconds, time.process_time() - cpu_start, result


def time_per_call(fn, repeat: int, min_seconds: float) -> dict:
    """Seconds per call of a fast `fn` (`dlfs.timing.measure`), as a JSON-ready dict."""
    t = measure(fn, repeat=repeat, min_seconds=min_seconds)
    return {"min": t.best, "median": t.median, "calls_per_measurement": t.calls, "measurements": t.seconds}


# ---------------------------------------------------------------- the three measurements
def bench_training(cfg: Config, data: dict) -> dict:
    """(a): every contender `cfg.repeat` times, interleaved so that noise hits them alike."""
    x32 = data["float32"][0]
    batches = batch_order(len(x32), cfg.batch_size, cfg.iters, cfg.seed)
    contenders = {"dlfs_float64": np.float64, "dlfs_float32": np.float32, "fused_float32": np.float32}
    runs = {name: {"seconds": [], "cpu_seconds": []} for name in contenders}
    for _ in range(cfg.repeat):
        for name, dtype in contenders.items():
            x_train, t_train, x_test, t_test = data[np.dtype(dtype).name]
            net = TwoLayerNet(784, cfg.hidden, 10, seed=cfg.seed, dtype=dtype)  # same weights each time
            loop = train_dlfs if name.startswith("dlfs") else train_fused
            target = net if loop is train_dlfs else net.params
            seconds, cpu, losses = timed_with_cpu(loop, target, x_train, t_train, batches, cfg.lr)
            runs[name]["seconds"].append(seconds)
            runs[name]["cpu_seconds"].append(cpu)
            runs[name]["test_accuracy"] = net.accuracy(x_test, t_test)  # the same in every repetition
            runs[name]["final_loss_mean_last_100"] = float(losses[-100:].mean())
    for run in runs.values():
        run["seconds_min"] = min(run["seconds"])
        run["seconds_median"] = float(np.median(run["seconds"]))
        run["seconds_per_iter"] = run["seconds_min"] / cfg.iters
    return {
        "what": "wall-clock seconds of `iters` SGD iterations (batch gather, loss, gradients, update; "
                "no evaluation), once per repetition, with the process CPU seconds beside them, and the "
                "test accuracy after them; seconds_per_iter uses the min",
        "network": [784, cfg.hidden, 10], "activation": "relu", "iters": cfg.iters,
        "batch_size": cfg.batch_size, "lr": cfg.lr, "seed": cfg.seed, "repeat": cfg.repeat,
        "batch_order": "shuffled epochs without replacement (as dlfs.train), the same for every contender",
        "initial_weights": f"TwoLayerNet(seed={cfg.seed}) in each dtype, the same for every contender",
        "contenders": runs,
    }


def compare_to_fused(training: dict) -> dict:
    """The target: dlfs float32 within TARGET_RATIO of the hand-fused loop, at the same accuracy."""
    dlfs, fused = training["contenders"]["dlfs_float32"], training["contenders"]["fused_float32"]
    ratio = dlfs["seconds_min"] / fused["seconds_min"]
    gap = abs(dlfs["test_accuracy"] - fused["test_accuracy"])
    return {
        "what": "dlfs float32 (loss_and_gradient + SGD.update) seconds / hand-fused float32 loop seconds",
        "ratio": ratio, "ratio_median": dlfs["seconds_median"] / fused["seconds_median"],
        "threshold": TARGET_RATIO, "met": ratio <= TARGET_RATIO,
        "test_accuracy_difference": gap, "accuracy_tolerance": ACCURACY_TOLERANCE,
        "accuracy_match": gap <= ACCURACY_TOLERANCE,
    }


def bench_one_gradient(cfg: Config, data: dict) -> dict:
    """(b): one numerical gradient (timed once: it is slow) against the fast backprop one."""
    x_train, t_train = data["float64"][:2]
    x, t = x_train[:cfg.grad_batch], t_train[:cfg.grad_batch]
    net = TwoLayerNet(784, cfg.grad_hidden, 10, seed=cfg.seed)
    backprop = time_per_call(functools.partial(net.gradient, x, t), cfg.repeat, cfg.min_measure_s)
    numerical, _ = timed(lambda: net.numerical_gradient(x, t))
    return {
        "what": "seconds of one TwoLayerNet.numerical_gradient call (once) and of one gradient call "
                "(min and median of `repeat` measurements) on the same batch; ratio uses the min",
        "network": [784, cfg.grad_hidden, 10], "activation": "relu", "batch_size": cfg.grad_batch, "dtype": "float64",
        "n_params": count_parameters(net), "loss_evaluations": 2 * count_parameters(net),
        "numerical_seconds": numerical, "backprop_seconds": backprop,
        "ratio": numerical / backprop["min"],
    }


def bench_scaling(cfg: Config, data: dict) -> dict:
    """(c): seconds per gradient against the parameter count, for each hidden size."""
    x_train, t_train = data["float64"][:2]
    rows = []
    for hidden in cfg.hidden_sizes:
        net = TwoLayerNet(784, hidden, 10, seed=cfg.seed)
        small = x_train[:cfg.numerical_batch], t_train[:cfg.numerical_batch]
        large = x_train[:cfg.batch_size], t_train[:cfg.batch_size]
        numerical = timed(functools.partial(net.numerical_gradient, *small))[0]
        rows.append({
            "hidden": hidden, "n_params": count_parameters(net),
            "numerical_seconds": numerical,
            "numerical_seconds_per_loss": numerical / (2 * count_parameters(net)),
            "backprop_seconds":
                time_per_call(functools.partial(net.gradient, *small), cfg.repeat, cfg.min_measure_s)["min"],
            "backprop_seconds_train_batch":
                time_per_call(functools.partial(net.gradient, *large), cfg.repeat, cfg.min_measure_s)["min"],
        })
    p = [r["n_params"] for r in rows]
    slopes = {}
    for key, expected in [("numerical_seconds", 2), ("numerical_seconds_per_loss", 1),
                          ("backprop_seconds", 1), ("backprop_seconds_train_batch", 1)]:
        s = [r[key] for r in rows]
        slopes[key] = {"fit": loglog_slope(p, s), "expected": expected,
                       "between_neighbours": [loglog_slope(p[i:i + 2], s[i:i + 2]) for i in range(len(p) - 1)]}
    return {
        "what": "seconds per gradient (float64, 784-H-10) against the parameter count; numerical_seconds "
                "and backprop_seconds at numerical_batch_size, backprop_seconds_train_batch at "
                "backprop_batch_size (backprop: min of `repeat`); numerical_seconds_per_loss is "
                "numerical_seconds / (2 * n_params). Slopes are d log(seconds) / d log(n_params): "
                "a numerical gradient costs 2 * n_params losses, each O(n_params), so 2 for large nets; "
                "backprop 1. A fixed cost per call (Python, NumPy dispatch, input checks) pulls the "
                "measured slopes below those where a forward pass is cheap (small nets, small batches).",
        "hidden_sizes": list(cfg.hidden_sizes), "numerical_batch_size": cfg.numerical_batch,
        "backprop_batch_size": cfg.batch_size, "rows": rows, "slopes": slopes,
    }


# ---------------------------------------------------------------- environment and output
def environment() -> dict:
    """What the numbers depend on: NumPy and its BLAS, threads, CPUs, load, the dlfs commit."""
    env = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "platform": platform.platform(),
        "numpy": np.__version__, "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "thread_env": {k: os.environ.get(k) for k in
                       ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")},
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]
        env["blas"] = {k: deps["blas"].get(k) for k in ("name", "version", "openblas configuration")}
    except (KeyError, TypeError, ValueError) as exc:  # the layout of show_config is not a stable API
        env["blas"] = {"error": repr(exc)}
    try:
        from threadpoolctl import threadpool_info  # optional, never a dependency
        env["threadpoolctl"] = threadpool_info()
    except ImportError:
        env["threadpoolctl"] = None
    try:
        env["cpu_model"] = next(line.split(":", 1)[1].strip()
                                for line in Path("/proc/cpuinfo").read_text().splitlines()
                                if line.startswith("model name"))
    except (OSError, StopIteration):
        env["cpu_model"] = platform.processor() or None
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  check=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    env["git_commit"] = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", "dlfs")
    env["dlfs_modified"] = None if status is None else bool(status)
    return env


def write_json(path: Path, data: dict) -> None:
    """Write `data` as JSON atomically (`dlfs.download.atomic_file`: a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def _load(averages: list[float] | None) -> str:
    return "unknown" if averages is None else f"{averages[0]:.2f}"


def summary(r: dict) -> str:
    """A readable table of the results."""
    a, tgt, b, c, env = r["training"], r["target"], r["one_gradient"], r["scaling"], r["environment"]
    quick = " (--quick)" if r["quick"] else ""
    blas = f"{env['blas'].get('name')} {env['blas'].get('version')}"
    start, end = _load(env["load_average_at_start"]), _load(env["load_average_at_end"])
    lines = [
        (f"dlfs speed benchmark{quick}: numpy {env['numpy']}, {blas}, {env['cpu_count']} CPUs, "
         f"Python {env['python']}, {env['date']}"),
        f"load average (1 min) {start} at start, {end} at end: much above 0 means noisy timings",
        "",
        (f"(a) training {'-'.join(map(str, a['network']))}, {a['iters']:,} iterations, "
         f"batch {a['batch_size']}, lr {a['lr']} (min and median of {a['repeat']})"),
        f"    {'contender':<15}{'min s':>9}{'median s':>10}{'ms/iter':>9}{'test acc':>10}",
    ]
    for name, run in a["contenders"].items():
        lines.append(f"    {name:<15}{run['seconds_min']:>9.2f}{run['seconds_median']:>10.2f}"
                     f"{1e3 * run['seconds_per_iter']:>9.3f}{run['test_accuracy']:>10.4f}")
    met = "met" if tgt["met"] else "NOT met"
    match = "match" if tgt["accuracy_match"] else "MISMATCH"
    lines.append(f"    target: dlfs_float32 / fused_float32 = {tgt['ratio']:.2f} "
                 f"(median {tgt['ratio_median']:.2f}), <= {tgt['threshold']}: {met}; "
                 f"test accuracies differ by {tgt['test_accuracy_difference']:.4f} ({match})")

    bp = b["backprop_seconds"]
    lines += [
        "",
        (f"(b) one gradient, {'-'.join(map(str, b['network']))}, batch {b['batch_size']}, float64, "
         f"{b['n_params']:,} parameters"),
        f"    numerical  {b['numerical_seconds']:10.3f} s   ({b['loss_evaluations']:,} loss evaluations, once)",
        (f"    backprop   {1e3 * bp['min']:10.3f} ms  (min of {len(bp['measurements'])} x "
         f"{bp['calls_per_measurement']} calls)"),
        f"    numerical / backprop = {b['ratio']:,.0f}",
        "",
        (f"(c) growth with the hidden size: numerical and backprop at batch {c['numerical_batch_size']}, "
         f"backprop also at batch {c['backprop_batch_size']}"),
        (f"    {'hidden':>6}{'params':>9}{'numerical s':>13}{'us per loss':>13}{'backprop ms':>13}"
         f"{'(batch ' + str(c['backprop_batch_size']) + ')':>13}"),
    ]
    for row in c["rows"]:
        lines.append(f"    {row['hidden']:>6}{row['n_params']:>9,}{row['numerical_seconds']:>13.3f}"
                     f"{1e6 * row['numerical_seconds_per_loss']:>13.1f}"
                     f"{1e3 * row['backprop_seconds']:>13.3f}{1e3 * row['backprop_seconds_train_batch']:>13.3f}")
    lines.append("    log-log slope vs parameters, measured (expected for large nets):")
    lines += [f"      {key:<30}{s['fit']:6.2f} ({s['expected']})" for key, s in c["slopes"].items()]
    lines += ["", f"total {r['total_seconds']:.1f} s; JSON in {r['out']}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- command line
def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(s) for s in text.split(",")}))
    if len(sizes) < 2 or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"need at least two distinct positive sizes, got {text!r}")
    return sizes


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small settings that run in seconds (a smoke test, not a benchmark)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file (default {DEFAULT_OUT})")
    parser.add_argument("--repeat", type=_positive_int, help="timings per contender (default 3, quick 2)")
    parser.add_argument("--iters", type=_positive_int, help="training iterations of (a) (default 10000)")
    parser.add_argument("--hidden-sizes", type=_sizes, help="hidden sizes of (c), e.g. 10,20,50,100")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in [("repeat", args.repeat), ("iters", args.iters),
                                   ("hidden_sizes", args.hidden_sizes)] if v is not None}
    cfg = dataclasses.replace(QUICK if args.quick else FULL, **overrides)
    if args.quick:  # (b) on the smallest net of (c): a smoke test of the code, not a measurement
        cfg = dataclasses.replace(cfg, grad_hidden=cfg.hidden_sizes[0])

    start = time.perf_counter()
    env = environment()
    data = load_data()
    training = bench_training(cfg, data)
    results = {
        "schema": SCHEMA, "quick": args.quick, "config": dataclasses.asdict(cfg),
        "training": training, "target": compare_to_fused(training),
        "one_gradient": bench_one_gradient(cfg, data), "scaling": bench_scaling(cfg, data),
        "environment": env,
    }
    env["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    results["total_seconds"] = time.perf_counter() - start
    results["out"] = str(args.out)
    write_json(args.out, results)
    print(summary(results))
    if not results["target"]["accuracy_match"]:
        print("error: dlfs float32 and the fused loop reached different test accuracies, "
              "so their times do not compare like for like", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
