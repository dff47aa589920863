"""Benchmark: one numerical gradient three ways, the book's, dlfs's and `fast_numerical_gradient`.

Run ``python benchmarks/bench_numerical.py --book PATH`` (PATH: a checkout or a
git directory of oreilly-japan/deep-learning-from-scratch); ``--quick`` takes
seconds. ``benchmarks/README.md`` explains the JSON it writes. One call each,
on a 784-50-10 TwoLayerNet (ReLU, float64, seed 0) and the first 100 MNIST
training images, all from the same weights, with one BLAS thread:

(a) the book's ``TwoLayerNet.numerical_gradient`` (ch05/two_layer_net.py, run
    from the book's own files in a child process, as the book runs it);
(b) ``dlfs.nets.TwoLayerNet.numerical_gradient``;
(c) ``dlfs.fastgrad.fast_numerical_gradient``.

It checks that the three agree, and sets the seconds beside the cost model of
`dlfs.fastgrad` (multiply-adds per call) and this machine's measured speed of
a matrix product and of ``np.exp``, which give each method's floor.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One BLAS thread, set before NumPy loads its BLAS (here and in the book's child process):
# the three methods are compared on one core's work.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
os.environ.update(dict.fromkeys(THREAD_VARS, "1"))

import numpy as np  # noqa: E402
from bench_training import environment, write_json  # noqa: E402  (the same record of the machine)
from book_source import book_files  # noqa: E402

from dlfs.datasets import load_mnist  # noqa: E402
from dlfs.fastgrad import DEFAULT_MAX_BYTES, fast_numerical_gradient, gradient_cost  # noqa: E402
from dlfs.nets import TwoLayerNet, count_parameters  # noqa: E402
from dlfs.timing import measure, timed  # noqa: E402

SCHEMA = 1
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "bench_numerical.json"
TARGET, AIM = 30, 100  # the fast method against the book's: at least 30 times faster, aiming at 100
TOLERANCE = 1e-9  # fast against dlfs's slow method: the same differences, so far closer than this
# The book's loss is -mean log(y_t + 1e-7), dlfs's -mean log(y_t): its gradients differ by
# about 1e-7 / y_t relative, 1e-7 or less here.
BOOK_TOLERANCE = 1e-6


@dataclasses.dataclass(frozen=True)
class Config:
    hidden: int = 50
    batch_size: int = 100  # the first batch_size training images
    seed: int = 0
    repeat: int = 5  # timings of the fast method (each slow method is timed once)
    min_measure_s: float = 0.2


FULL = Config()
QUICK = Config(hidden=3, batch_size=5, repeat=2, min_measure_s=0.01)

# Run in the book's ch05/ folder, as its own scripts are run: its two_layer_net.py
# appends os.pardir to sys.path to import common/.
BOOK_CHILD = """
import gc, json, sys, time
import numpy as np
from two_layer_net import TwoLayerNet
data = np.load(sys.argv[1])
x, t = data["x"], data["t"]
params = {key: data[key] for key in ("W1", "b1", "W2", "b2")}
net = TwoLayerNet(params["W1"].shape[0], params["W1"].shape[1], params["W2"].shape[1])
for key, p in params.items():
    assert net.params[key].shape == p.shape, key
    net.params[key][...] = p  # in place: the book's layers hold these very arrays
gc.disable()
cpu, start = time.process_time(), time.perf_counter()
grads = net.numerical_gradient(x, t)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
np.savez(sys.argv[2], **grads)
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "numpy": np.__version__}))
"""


def run_book(root: Path, tmp: Path, x, t, params: dict) -> tuple[dict, dict]:
    """The book's numerical gradient, once, in a child process: its timing and its gradients."""
    np.savez(tmp / "in.npz", x=x, t=t, **params)
    r = subprocess.run([sys.executable, "-c", BOOK_CHILD, str(tmp / "in.npz"), str(tmp / "out.npz")],
                       cwd=root / "ch05", capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(f"the book's numerical_gradient failed:\n{r.stderr[-3000:]}")
    timing = json.loads(r.stdout.strip().splitlines()[-1])
    with np.load(tmp / "out.npz") as grads:
        return timing, {key: grads[key] for key in params}


# ---------------------------------------------------------------- this machine's speeds
def machine_speeds(x, W1, repeat: int, min_seconds: float) -> dict:
    """Multiply-adds per second of a matrix product the shape of the slow method's ``x @ W1``,
    and exponentials per second of ``np.exp`` over one step's worth of the fast method's scores."""
    gemm = measure(lambda: x @ W1, repeat=repeat, min_seconds=min_seconds)
    scores = np.random.default_rng(0).standard_normal(DEFAULT_MAX_BYTES // 8)
    out = np.empty_like(scores)
    exp = measure(lambda: np.exp(scores, out=out), repeat=repeat, min_seconds=min_seconds)
    return {
        "gemm": {"shape": [*x.shape, W1.shape[1]], "seconds": gemm.best,
                 "macs_per_second": x.shape[0] * x.shape[1] * W1.shape[1] / gemm.best},
        "exp": {"size": scores.size, "seconds": exp.best, "per_second": scores.size / exp.best},
    }


def max_abs_diff(a: dict, b: dict) -> float:
    return max(float(np.abs(a[key] - b[key]).max()) for key in b)


# ---------------------------------------------------------------- the benchmark
def bench(cfg: Config, book: Path | None) -> dict:
    (x_train, t_train), _ = load_mnist(dtype=np.float64)
    x, t = x_train[:cfg.batch_size], t_train[:cfg.batch_size]
    net = TwoLayerNet(784, cfg.hidden, 10, seed=cfg.seed)
    params = {key: p.copy() for key, p in net.params.items()}
    cost = gradient_cost(net, x)
    speeds = machine_speeds(x, net.params["W1"], cfg.repeat, cfg.min_measure_s)

    fast = measure(lambda: fast_numerical_gradient(net, x, t), repeat=cfg.repeat, min_seconds=cfg.min_measure_s)
    fast_cpu = []  # process seconds per call: on a shared machine, beside the wall-clock ones
    for _ in range(cfg.repeat):
        cpu = time.process_time()
        fast_grads = fast_numerical_gradient(net, x, t)
        fast_cpu.append(time.process_time() - cpu)
    cpu = time.process_time()
    dlfs_seconds, dlfs_grads = timed(lambda: net.numerical_gradient(x, t))
    dlfs_cpu = time.process_time() - cpu
    peers: dict = {
        "dlfs": {"run": True, "what": "dlfs.nets.TwoLayerNet.numerical_gradient, one full call",
                 "seconds": dlfs_seconds, "cpu_seconds": dlfs_cpu,
                 "multiply_adds": cost.slow_macs, "exponentials": cost.slow_exps},
        "fast": {"run": True, "what": "dlfs.fastgrad.fast_numerical_gradient: min and median of `repeat` "
                                      "measurements of `calls_per_measurement` calls; cpu_seconds: the min "
                                      "of `repeat` more calls",
                 "seconds": fast.best, "seconds_median": fast.median, "cpu_seconds": min(fast_cpu),
                 "calls_per_measurement": fast.calls,
                 "measurements": fast.seconds, "max_bytes": DEFAULT_MAX_BYTES,
                 "multiply_adds": cost.fast_macs, "exponentials": cost.fast_exps,
                 "perturbed_examples": cost.fast_examples},
    }
    agreement: dict = {"fast_vs_dlfs_max_abs_diff": max_abs_diff(fast_grads, dlfs_grads), "tolerance": TOLERANCE}
    agreement["agree"] = agreement["fast_vs_dlfs_max_abs_diff"] <= TOLERANCE

    with tempfile.TemporaryDirectory(prefix="dlfs-bench-book-") as tmp:
        root, peers["book"] = book_files(book, Path(tmp))
        peers["book"]["what"] = "the book's TwoLayerNet.numerical_gradient (ch05/two_layer_net.py), one full call"
        if root is not None:
            timing, book_grads = run_book(root, Path(tmp), x, t, params)
            peers["book"] |= {**timing, "multiply_adds": cost.slow_macs, "exponentials": cost.slow_exps}
            agreement["book_vs_dlfs_max_abs_diff"] = max_abs_diff(book_grads, dlfs_grads)
            agreement["book_vs_fast_max_abs_diff"] = max_abs_diff(book_grads, fast_grads)
            agreement["book_tolerance"] = BOOK_TOLERANCE
            agreement["book_agree"] = agreement["book_vs_dlfs_max_abs_diff"] <= BOOK_TOLERANCE
            agreement["why_book_differs"] = ("the book's loss is -mean log(y_t + 1e-7), dlfs's -mean log(y_t): "
                                             "the 1e-7 moves each gradient by about 1e-7 / y_t relative")

    book_seconds = peers["book"].get("seconds")
    ratios = {"what": "seconds of one call / seconds of one fast call (its min); the *_cpu ratios in "
                      "process CPU seconds, which another program on the machine moves less",
              "book_over_fast": None if book_seconds is None else book_seconds / fast.best,
              "dlfs_over_fast": dlfs_seconds / fast.best,
              "book_over_dlfs": None if book_seconds is None else book_seconds / dlfs_seconds,
              "book_over_fast_cpu": None if book_seconds is None else peers["book"]["cpu_seconds"] / min(fast_cpu),
              "dlfs_over_fast_cpu": dlfs_cpu / min(fast_cpu),
              "target": TARGET, "aim": AIM}
    ratios["target_met"] = None if book_seconds is None else ratios["book_over_fast"] >= TARGET

    gemm_rate, exp_rate = speeds["gemm"]["macs_per_second"], speeds["exp"]["per_second"]
    floors = {
        "what": "seconds a method would take at this machine's measured speeds: its multiply-adds at the "
                "GEMM rate (gemm_floor), plus, for the fast method, its exponentials at np.exp's rate "
                "(exp_floor); over_floor = measured seconds / floor",
        "dlfs": {"gemm_floor_seconds": cost.slow_macs / gemm_rate,
                 "over_floor": dlfs_seconds / (cost.slow_macs / gemm_rate)},
        "fast": {"gemm_floor_seconds": cost.fast_macs / gemm_rate, "exp_floor_seconds": cost.fast_exps / exp_rate},
    }
    floors["fast"]["over_gemm_floor"] = fast.best / floors["fast"]["gemm_floor_seconds"]
    floors["fast"]["floor_seconds"] = floors["fast"]["gemm_floor_seconds"] + floors["fast"]["exp_floor_seconds"]
    floors["fast"]["over_floor"] = fast.best / floors["fast"]["floor_seconds"]

    return {
        "network": [784, cfg.hidden, 10], "activation": "relu", "dtype": "float64", "seed": cfg.seed,
        "batch_size": cfg.batch_size, "data": f"the first {cfg.batch_size} MNIST training images",
        "n_params": count_parameters(net), "slow_loss_evaluations": 2 * count_parameters(net),
        "peers": peers, "agreement": agreement, "ratios": ratios,
        "cost_model": {
            "what": "multiply-adds (MACs) per call, by dlfs.fastgrad's cost model (dlfs.fastgrad.gradient_cost); "
                    "the book's and dlfs's slow methods do the same 2P forward passes",
            "slow_formula": "2P * N(DH + HC)",
            "fast_formula": "N(DH + HC) + C MACs per perturbed example of W1 and b1 (at most 2(nnz(x) + N)H of "
                            "them; those whose ReLU unit stays off are skipped), none for W2 and b2; "
                            "C exponentials per perturbed example",
            "slow_multiply_adds": cost.slow_macs, "fast_multiply_adds": cost.fast_macs,
            "slow_exponentials": cost.slow_exps, "fast_exponentials": cost.fast_exps,
            "fast_perturbed_examples": cost.fast_examples, "input_nonzeros": int(np.count_nonzero(x)),
            "predicted_speedup_from_macs": cost.slow_macs / cost.fast_macs,
            "predicted_speedup_from_floors": floors["dlfs"]["gemm_floor_seconds"] / floors["fast"]["floor_seconds"],
            "measured_speedup": dlfs_seconds / fast.best,
        },
        "machine": speeds, "floors": floors,
    }


def summary(r: dict) -> str:
    """A readable table of the results."""
    b, env = r["bench"], r["environment"]
    quick = " (--quick)" if r["quick"] else ""
    load = env["load_average_at_start"]
    lines = [f"numerical gradients{quick}: {'-'.join(map(str, b['network']))}, batch {b['batch_size']}, float64, "
             f"{b['n_params']:,} parameters; numpy {env['numpy']}, one BLAS thread, load average "
             f"{'unknown' if load is None else f'{load[0]:.2f}'} at start",
             f"    {'peer':<6}{'seconds':>11}{'CPU s':>11}{'MACs':>11}{'x fast':>9}{'(CPU)':>9}"]
    for name in ("book", "dlfs", "fast"):
        p = b["peers"][name]
        if not p["run"]:
            lines.append(f"    {name:<6}  not run: {p['reason']}")
            continue
        fast = b["peers"]["fast"]
        lines.append(f"    {name:<6}{p['seconds']:>11.4f}{p['cpu_seconds']:>11.4f}{p['multiply_adds']:>11.2e}"
                     f"{p['seconds'] / fast['seconds']:>9.1f}{p['cpu_seconds'] / fast['cpu_seconds']:>9.1f}")
    a, f, m = b["agreement"], b["floors"]["fast"], b["machine"]
    lines.append(f"    max |fast - dlfs| = {a['fast_vs_dlfs_max_abs_diff']:.1e} (tolerance {a['tolerance']:.0e})")
    if "book_vs_dlfs_max_abs_diff" in a:
        lines.append(f"    max |book - dlfs| = {a['book_vs_dlfs_max_abs_diff']:.1e} (the book's 1e-7 in the log; "
                     f"tolerance {a['book_tolerance']:.0e})")
    lines += [
        f"    GEMM {m['gemm']['macs_per_second'] / 1e9:.1f} GMAC/s, np.exp {m['exp']['per_second'] / 1e6:.0f} M/s: "
        f"fast floor {1e3 * f['floor_seconds']:.1f} ms ({1e3 * f['gemm_floor_seconds']:.1f} MACs + "
        f"{1e3 * f['exp_floor_seconds']:.1f} exp), measured {f['over_floor']:.1f} x that",
        f"total {r['total_seconds']:.1f} s; JSON in {r['out']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 784-3-10 net on 5 images: checks the script")
    parser.add_argument("--book", type=Path, help="a checkout or git directory of the book's repository")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    start = time.perf_counter()
    env = environment()
    results = {"schema": SCHEMA, "quick": args.quick, "config": dataclasses.asdict(cfg),
               "bench": bench(cfg, args.book), "environment": env}
    env["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    results["total_seconds"] = time.perf_counter() - start
    results["out"] = str(args.out)
    write_json(args.out, results)
    print(summary(results))
    agreement = results["bench"]["agreement"]
    if not (agreement["agree"] and agreement.get("book_agree", True)):
        print("error: the gradients disagree beyond their tolerance (see agreement in the JSON)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
