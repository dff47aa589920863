"""Speed benchmark: how fast dlfs trains, and why nobody trains with numerical gradients.

Run ``python benchmarks/bench_training.py`` (``make bench``); ``--quick`` takes
seconds instead of minutes. ``benchmarks/README.md`` explains the JSON it writes.
Three measurements, in one run, on the real MNIST (``$DLFS_DATA/mnist/``), with
one BLAS thread unless the caller sets ``OPENBLAS_NUM_THREADS``:

(a) training: 3,000 SGD steps of a 784-50-10 `TwoLayerNet` (batch 100, lr 0.1)
    with `dlfs.train.train` in float32 (its fused step), against a hand-fused
    NumPy loop of the same network, `train` through the layers
    (``fused=False``), the public per-batch API (checks on every call), dlfs in
    float64, and, given ``--book PATH``, the book's own ch05 code: 7 interleaved
    rounds, the order rotated each round, all from the same initial weights and
    the same batch order, their final losses checked to agree (and whether dlfs
    float32, fused or through the layers, equals the fused loop bit for bit); then where
    the time of a step through the layers goes (batch, checks, forward,
    backward, update), against the fused loop;
(b) one `numerical_gradient` against one backprop `gradient` (784-50-10, float64);
(c) how both grow with the hidden size, as log-log slopes against the parameter count.
"""

from __future__ import annotations

import os

# One BLAS thread, set before NumPy loads its BLAS (a value the caller set wins, and is recorded):
# the contenders are compared on one core's work, which a busy 2-core machine can still give.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import datetime  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from book_source import book_files  # noqa: E402

from dlfs.datasets import load_mnist  # noqa: E402
from dlfs.download import atomic_file  # noqa: E402
from dlfs.nets import TwoLayerNet, count_parameters  # noqa: E402
from dlfs.optim import SGD  # noqa: E402
from dlfs.timing import loglog_slope, measure, timed  # noqa: E402
from dlfs.train import minibatches, train  # noqa: E402

SCHEMA = 2
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "bench_training.json"
TARGET_RATIO = 1.05  # dlfs float32 (dlfs.train.train) may take at most 1.05x the hand-fused loop
# Final losses that must agree for the times to compare like for like: every contender's final
# parameters, put in a float64 dlfs net, give its loss on the test set. The public path multiplies
# by lr after the backward pass (SGD.update), and float64 and the book (float64, its 1e-7 inside the
# log) take a slightly different path, so they agree within a tolerance.
LOSS_TOLERANCE = {"dlfs_float32": 1e-3, "dlfs_float32_layers": 1e-3, "dlfs_float32_checked": 1e-3,
                  "dlfs_float64": 1e-3, "book": 1e-2}
# dlfs float32, fused or through the layers, does the fused loop's arithmetic (lr folded into
# dL/dscores), so with a BLAS whose results depend only on its inputs (OpenBLAS, NumPy's wheels)
# its loss at every step equals the fused loop's bit for bit. Reported, not required: a BLAS that
# rounds by memory address (MKL without its reproducibility mode) would break it without a bug.
BITWISE = ("dlfs_float32", "dlfs_float32_layers")


@dataclasses.dataclass(frozen=True)
class Config:
    iters: int = 3_000
    batch_size: int = 100
    lr: float = 0.1
    hidden: int = 50  # the network of (a)
    rounds: int = 7  # (a): interleaved rounds, each contender once per round
    grad_hidden: int = 50  # the network of (b); with --quick, the smallest of hidden_sizes
    grad_batch: int = 100  # the batch of (b)
    hidden_sizes: tuple[int, ...] = (10, 20, 50, 100)  # (c)
    numerical_batch: int = 10  # (c): two losses per parameter, so a small batch keeps it minutes
    repeat: int = 3  # (b) and (c): measurements of each fast call; (a): runs of the phase breakdown
    min_measure_s: float = 0.2  # each timing of the fast gradient runs at least this long
    seed: int = 0


FULL = Config()
QUICK = Config(iters=500, rounds=3, grad_batch=10, hidden_sizes=(5, 10), repeat=2, min_measure_s=0.05)


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
def train_fused(params: dict, x_train, t_train, iters: int, batch_size: int, lr: float, seed: int) -> np.ndarray:
    """The same training by hand: the floor that dlfs is measured against.

    One forward and one backward pass per batch, in the dtype of `params`
    (float32 here) throughout: no dx for the first layer, the ReLU mask kept
    for the backward pass, softmax and cross-entropy fused into
    ``(y - onehot(t)) / N``, the learning rate folded into that gradient, and
    every parameter updated in place. The loss is computed too, as dlfs does.
    The batches are drawn as they are used, by `dlfs.train.minibatches` with
    ``default_rng(seed)``, as `dlfs.train.train` draws them.
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    rows = np.arange(batch_size)
    losses = np.empty(iters)
    batches = minibatches(len(x_train), batch_size, np.random.default_rng(seed))
    for i in range(iters):
        batch = next(batches)
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
        s *= lr / batch_size  # lr * dL/dscores (a Python float: NumPy multiplies in float32)
        dh = s @ W2.T  # before W2 changes
        dh *= mask
        W2 -= h.T @ s
        b2 -= s.sum(axis=0)
        W1 -= x.T @ dh  # the first layer needs no dx: its input is the data
        b1 -= dh.sum(axis=0)
    return losses


def train_dlfs(net: TwoLayerNet, x_train, t_train, iters: int, batch_size: int, lr: float,
               seed: int, fused: bool = True) -> tuple[np.ndarray, float]:
    """dlfs as a reader trains: `dlfs.train.train`, which checks the data once, then takes one call a
    step (`dlfs.fused`: fused, or through the layers with ``fused=False``).

    Returns the losses and the seconds `train` spent evaluating (one accuracy
    on the training set, after the last step), which the caller subtracts.
    """
    history = train(net, x_train, t_train, iters=iters, batch_size=batch_size, lr=lr, seed=seed,
                    eval_every=iters, progress=False, fused=fused)
    return np.array(history.loss), history.eval_time


def train_dlfs_checked(net: TwoLayerNet, x_train, t_train, iters: int, batch_size: int, lr: float,
                       seed: int) -> np.ndarray:
    """The public API in a loop of one's own: ``net.loss_and_gradient`` checks every batch."""
    optimizer = SGD(lr)
    losses = np.empty(iters)
    batches = minibatches(len(x_train), batch_size, np.random.default_rng(seed))
    for i in range(iters):
        batch = next(batches)
        losses[i], grads = net.loss_and_gradient(x_train[batch], t_train[batch])
        optimizer.update(net.params, grads)
    return losses


# The book's ch05/train_neuralnet.py loop, run in the book's ch05/ folder (its two_layer_net.py
# appends os.pardir to sys.path to import common/): the book's TwoLayerNet, its update
# ``params[key] -= learning_rate * grad[key]`` and its second forward pass for the loss; the
# batches are dlfs's (given), and the per-epoch accuracy and print are left out, as in the others.
BOOK_CHILD = """
import gc, json, sys, time
import numpy as np
from two_layer_net import TwoLayerNet
data = np.load(sys.argv[1])
x_train, t_train, order, learning_rate = data["x"], data["t"], data["order"], float(data["lr"])
network = TwoLayerNet(input_size=784, hidden_size=int(data["hidden"]), output_size=10)
for key in ("W1", "b1", "W2", "b2"):
    network.params[key][...] = data[key]  # in place: the book's layers hold these very arrays
losses = np.empty(len(order))
gc.disable()
cpu, start = time.process_time(), time.perf_counter()
for i in range(len(order)):
    batch_mask = order[i]
    x_batch = x_train[batch_mask]
    t_batch = t_train[batch_mask]
    grad = network.gradient(x_batch, t_batch)
    for key in ("W1", "b1", "W2", "b2"):
        network.params[key] -= learning_rate * grad[key]
    loss = network.loss(x_batch, t_batch)
    losses[i] = loss
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
np.savez(sys.argv[2], losses=losses, **network.params)
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu}))
"""


def book_input(tmp: Path, cfg: Config, x_train, t_train, params: dict) -> Path:
    """The book's inputs as it loads them: float32 images, one-hot float64 labels, float64 weights."""
    one_hot = np.zeros((len(t_train), 10))  # as the book's dataset/mnist.py makes them
    one_hot[np.arange(len(t_train)), t_train] = 1
    order = np.array(batch_order(len(x_train), cfg.batch_size, cfg.iters, cfg.seed))
    path = tmp / "book-in.npz"
    np.savez(path, x=x_train, t=one_hot, order=order, lr=cfg.lr, hidden=cfg.hidden,
             **{key: p.astype(np.float64) for key, p in params.items()})
    return path


def run_book(root: Path, tmp: Path, data_path: Path) -> tuple[float, float, np.ndarray, dict]:
    """One timed run of the book's loop in a child process: wall and CPU seconds of the loop, its losses
    and its final parameters."""
    out = tmp / "book-out.npz"
    r = subprocess.run([sys.executable, "-c", BOOK_CHILD, str(data_path), str(out)],
                       cwd=root / "ch05", capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(f"the book's training loop failed:\n{r.stderr[-3000:]}")
    timing = json.loads(r.stdout.strip().splitlines()[-1])
    with np.load(out) as result:
        return (timing["seconds"], timing["cpu_seconds"], result["losses"],
                {key: result[key] for key in ("W1", "b1", "W2", "b2")})


def test_loss(params: dict, x_test, t_test, hidden: int) -> tuple[float, float]:
    """``(loss, accuracy)`` on the test set of a float64 dlfs net given these parameters: one yardstick
    for every contender, whatever its dtype and whichever loss it recorded while training."""
    net = TwoLayerNet(784, hidden, 10)
    for key, p in params.items():
        net.params[key][...] = p
    return net.loss(x_test, t_test), net.accuracy(x_test, t_test)


# ---------------------------------------------------------------- where a step's time goes
class Clock:
    """Wall and CPU seconds spent in named phases, accumulated across a loop."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.last, self.last_cpu = time.perf_counter(), time.process_time()

    def lap(self, phase: str) -> None:
        now, now_cpu = time.perf_counter(), time.process_time()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self.last
        self.cpu_seconds[phase] = self.cpu_seconds.get(phase, 0.0) + now_cpu - self.last_cpu
        self.last, self.last_cpu = now, now_cpu


def clocked_batches(x_train, t_train, iters: int, batch_size: int, seed: int,
                    clock: Clock) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(i, x, t)`` for each of train's batches, the clock's "batch" lap taken once x and t are gathered."""
    batches = minibatches(len(x_train), batch_size, np.random.default_rng(seed))
    clock.lap("start")
    for i in range(iters):
        batch = next(batches)
        x, t = x_train[batch], t_train[batch]
        clock.lap("batch")
        yield i, x, t


def phases_fused(params: dict, x_train, t_train, iters: int, batch_size: int, lr: float,
                 seed: int) -> tuple[np.ndarray, Clock]:
    """`train_fused` with a clock between its phases: the same arithmetic, so the same losses."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    rows = np.arange(batch_size)
    losses = np.empty(iters)
    clock = Clock()
    for i, x, t in clocked_batches(x_train, t_train, iters, batch_size, seed, clock):
        h = x @ W1
        h += b1
        np.maximum(h, 0, out=h)
        mask = h > 0
        s = h @ W2
        s += b2
        s -= s.max(axis=1, keepdims=True)
        picked = s[rows, t]
        np.exp(s, out=s)
        total = s.sum(axis=1)
        losses[i] = np.mean(np.log(total) - picked)
        clock.lap("forward")
        s /= total[:, None]
        s[rows, t] -= 1
        s *= lr / batch_size
        dh = s @ W2.T
        dh *= mask
        gW2, gb2, gW1, gb1 = h.T @ s, s.sum(axis=0), x.T @ dh, dh.sum(axis=0)
        clock.lap("backward")
        W2 -= gW2
        b2 -= gb2
        W1 -= gW1
        b1 -= gb1
        clock.lap("update")
    return losses, clock


def phases_checks(net: TwoLayerNet, x_train, t_train, iters: int, batch_size: int, lr: float,
                  seed: int) -> tuple[None, Clock]:
    """``net._check_x`` and ``net._check_t`` on each of train's batches, clocked: what the public
    ``loss_and_gradient`` adds to every step and `train` saves. A loop of its own, so that the
    check's reading of the batch does not warm the cache for the forward pass of `phases_layers`."""
    clock = Clock()
    for _, x, t in clocked_batches(x_train, t_train, iters, batch_size, seed, clock):
        net._check_t(t, len(net._check_x(x)))
        clock.lap("checks")
    return None, clock


def phases_layers(net: TwoLayerNet, x_train, t_train, iters: int, batch_size: int, lr: float,
                  seed: int) -> tuple[np.ndarray, Clock]:
    """A step of ``train(fused=False)`` (`dlfs.fused.layered_sgd_step`) cut into phases with a clock;
    the same losses. What the fused step saves is what the layers cost over the fused loop.

    The forward pass is ``net._loss``, the backward pass ``net.last_layer.backward(lr)`` and the
    layers' backward passes, the update ``p -= step``.
    """
    losses = np.empty(iters)
    clock = Clock()
    with np.errstate(over="ignore", invalid="ignore"):  # as train does, once for all its steps
        for i, x, t in clocked_batches(x_train, t_train, iters, batch_size, seed, clock):
            losses[i] = net._loss(x, t)
            clock.lap("forward")
            dout = net.last_layer.backward(lr)
            for layer in reversed(net.layers.values()):
                dout = layer.backward(dout)
            steps = {}
            for k, affine in net._affines():
                steps[f"W{k}"], steps[f"b{k}"] = affine.dW, affine.db
            clock.lap("backward")
            for key, p in net.params.items():
                p -= steps[key]
            clock.lap("update")
    return losses, clock


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
CONTENDERS = {
    "fused_float32": "a hand-fused NumPy loop of the same network in float32 (train_fused): the floor",
    "dlfs_float32": "dlfs.train.train in float32: the data checked once, then one call a step, "
                    "dlfs.fused.fused_sgd_step (the layers' arithmetic, lr folded into the backward pass, "
                    "in one function); its evaluation time subtracted",
    "dlfs_float32_layers": "dlfs.train.train(fused=False) in float32: each step through the layers, "
                           "dlfs.fused.layered_sgd_step (backward from dout=lr, then p -= step); evaluation "
                           "time subtracted",
    "dlfs_float32_checked": "net.loss_and_gradient + SGD.update in a loop of one's own, float32: the "
                            "public path, which checks every batch",
    "dlfs_float64": "dlfs.train.train in float64 (the default dtype), evaluation time subtracted",
    "book": "the book's ch05 TwoLayerNet in its train_neuralnet.py loop (gradient, update, a second "
            "forward pass for the loss), run in a child process in its ch05/, with its inputs as its "
            "load_mnist gives them (float32 images, one-hot float64 labels) and float64 weights; "
            "only the loop is timed",
}


def bench_training(cfg: Config, data: dict, book: Path | None) -> dict:
    """(a): every contender once per round, `cfg.rounds` rounds, the order rotated each round."""
    runs: dict = {name: {"what": what, "run": True, "seconds": [], "cpu_seconds": []}
                  for name, what in CONTENDERS.items()}
    finals: dict[str, float] = {}
    all_losses: dict[str, np.ndarray] = {}  # each contender's losses at every step, in its last round
    with tempfile.TemporaryDirectory(prefix="dlfs-bench-book-") as tmp_name:
        tmp = Path(tmp_name)
        root, book_status = book_files(book, tmp)
        runs["book"] |= book_status
        if root is None:
            runs["book"]["what"] = "(not run) " + runs["book"]["what"]
        else:
            x32, t32 = data["float32"][:2]
            book_data = book_input(tmp, cfg, x32, t32, TwoLayerNet(784, cfg.hidden, 10, seed=cfg.seed,
                                                                   dtype=np.float32).params)

        def one(name: str) -> tuple[float, float, np.ndarray, dict]:
            dtype = np.float64 if name == "dlfs_float64" else np.float32
            x_train, t_train = data[np.dtype(dtype).name][:2]
            net = TwoLayerNet(784, cfg.hidden, 10, seed=cfg.seed, dtype=dtype)  # the same weights each time
            args = (x_train, t_train, cfg.iters, cfg.batch_size, cfg.lr, cfg.seed)
            if name == "book":
                return run_book(root, tmp, book_data)  # type: ignore[arg-type]
            if name == "fused_float32":
                seconds, cpu, losses = timed_with_cpu(train_fused, net.params, *args)
            elif name == "dlfs_float32_checked":
                seconds, cpu, losses = timed_with_cpu(train_dlfs_checked, net, *args)
            else:
                seconds, cpu, (losses, eval_seconds) = timed_with_cpu(train_dlfs, net, *args,
                                                                      name != "dlfs_float32_layers")
                # train evaluated once, after the last step: take that out, and its CPU time in proportion
                # to its wall time (timing the evaluation again and subtracting it, as this did, gave a
                # negative CPU time when the second evaluation took more CPU than the whole first run)
                seconds, cpu = seconds - eval_seconds, cpu * (seconds - eval_seconds) / seconds
            return seconds, cpu, losses, net.params

        names = [name for name, run in runs.items() if run["run"]]
        x_test, t_test = data["float64"][2:]
        orders = [names[r % len(names):] + names[:r % len(names)] for r in range(cfg.rounds)]  # rotated
        for order in orders:
            for name in order:
                seconds, cpu, losses, params = one(name)
                runs[name]["seconds"].append(seconds)
                runs[name]["cpu_seconds"].append(cpu)
                runs[name]["loss_mean_last_100"] = float(np.mean(losses[-100:]))
                finals[name], runs[name]["test_accuracy"] = test_loss(params, x_test, t_test, cfg.hidden)
                runs[name]["final_test_loss"] = finals[name]
                all_losses[name] = losses
    for run in runs.values():
        if run["run"]:
            run["seconds_min"] = min(run["seconds"])
            run["seconds_median"] = float(np.median(run["seconds"]))
            run["cpu_seconds_median"] = float(np.median(run["cpu_seconds"]))
            run["seconds_per_iter_median"] = run["seconds_median"] / cfg.iters
    agreement: dict = {
        "what": "final test loss of each contender (its final parameters in a float64 dlfs net, on the 10,000 "
                "test images) minus the fused loop's, and the tolerance it must be within; `bitwise`: whether "
                "the loss at every step equals the fused loop's, bit for bit, for the contenders that do its "
                "arithmetic (reported: it also needs a BLAS whose results depend only on its inputs)",
        "bitwise": {name: bool(np.array_equal(all_losses[name], all_losses["fused_float32"])) for name in BITWISE}}
    for name, tolerance in LOSS_TOLERANCE.items():
        if name in finals:
            gap = abs(finals[name] - finals["fused_float32"])
            agreement[name] = {"difference": gap, "tolerance": tolerance, "agree": gap <= tolerance}
    agreement["all_agree"] = all(a["agree"] for k, a in agreement.items() if k in LOSS_TOLERANCE)
    return {
        "what": "wall-clock seconds of `iters` SGD steps (batch sampling and gather, loss, gradients, "
                "update; no evaluation), once per round, with the process CPU seconds beside them",
        "network": [784, cfg.hidden, 10], "activation": "relu", "iters": cfg.iters,
        "batch_size": cfg.batch_size, "lr": cfg.lr, "seed": cfg.seed, "rounds": cfg.rounds,
        "order": "each round runs every contender once; round r starts at contender r mod k (rotated)",
        "round_orders": orders,
        "batch_order": "shuffled epochs without replacement (dlfs.train.minibatches, default_rng(seed)), "
                       "the same for every contender",
        "initial_weights": f"TwoLayerNet(seed={cfg.seed}) in float32 (in float64 for dlfs_float64 and the "
                          "book: the same values up to float32 rounding), the same for every contender",
        "contenders": runs, "agreement": agreement,
        "phases": bench_phases(cfg, data),
    }


def bench_phases(cfg: Config, data: dict) -> dict:
    """Where a step's time goes, through the layers against the fused loop: medians of `repeat` interleaved
    clocked runs."""
    x_train, t_train = data["float32"][:2]
    args = (x_train, t_train, cfg.iters, cfg.batch_size, cfg.lr, cfg.seed)
    loops: dict[str, Callable] = {"dlfs_float32_layers": lambda net: phases_layers(net, *args),
                                  "fused_float32": lambda net: phases_fused(net.params, *args),
                                  "checks": lambda net: phases_checks(net, *args)}
    clocked: dict[str, list[Clock]] = {name: [] for name in loops}
    reference = {"dlfs_float32_layers": train_dlfs(TwoLayerNet(784, cfg.hidden, 10, seed=cfg.seed,
                                                               dtype=np.float32), *args, False)[0],
                 "fused_float32": train_fused(TwoLayerNet(784, cfg.hidden, 10, seed=cfg.seed,
                                                          dtype=np.float32).params, *args)}
    same: dict[str, bool] = {}
    for r in range(cfg.repeat):
        for name in list(loops)[r % 3:] + list(loops)[:r % 3]:
            net = TwoLayerNet(784, cfg.hidden, 10, seed=cfg.seed, dtype=np.float32)
            gc.disable()
            try:
                losses, clock = loops[name](net)
            finally:
                gc.enable()
            clocked[name].append(clock)
            if name in reference:
                same[name] = same.get(name, True) and bool(np.array_equal(losses, reference[name]))
    for dlfs_clock, checks_clock in zip(clocked["dlfs_float32_layers"], clocked.pop("checks"), strict=True):
        dlfs_clock.seconds["checks"] = checks_clock.seconds["checks"]
        dlfs_clock.cpu_seconds["checks"] = checks_clock.cpu_seconds["checks"]
    result: dict = {}
    for name, clocks in clocked.items():
        for c in clocks:
            del c.seconds["start"], c.cpu_seconds["start"]  # the rng's set-up, before the first step
        entry: dict = {"same_losses_as_unclocked": same[name]}
        for key, attribute in [("us_per_step", "seconds"), ("cpu_us_per_step", "cpu_seconds")]:
            us = {phase: 1e6 * float(np.median([getattr(c, attribute)[phase] for c in clocks])) / cfg.iters
                  for phase in clocks[0].seconds}
            entry[key] = us
            entry[key + "_total"] = sum(v for phase, v in us.items() if phase != "checks")
        result[name] = entry
    dlfs, fused = result["dlfs_float32_layers"]["us_per_step"], result["fused_float32"]["us_per_step"]
    result["layers_minus_fused_us"] = {phase: dlfs[phase] - fused[phase] for phase in fused}
    dlfs_cpu, fused_cpu = (result["dlfs_float32_layers"]["cpu_us_per_step"],
                           result["fused_float32"]["cpu_us_per_step"])
    result["layers_minus_fused_cpu_us"] = {phase: dlfs_cpu[phase] - fused_cpu[phase] for phase in fused_cpu}
    result["what"] = ("microseconds per step in each phase, wall clock (us_per_step) and process CPU "
                      "(cpu_us_per_step), the median over `repeat` clocked runs of `iters` steps, interleaved: "
                      "a step through the layers (train(fused=False)) against the fused loop, which do the same "
                      "arithmetic: batch = drawing the indices and gathering x and t; forward = to the loss; "
                      "backward = the gradients times lr (both fold lr into dL/dscores); update = subtracting "
                      "them. The difference is what the layers cost over one function, and what "
                      "dlfs.fused.fused_sgd_step saves. 'checks' is net._check_x and net._check_t on the batch "
                      "(x finite and cast, t class indices in range), which the public loss_and_gradient makes "
                      "on every call and train does not, clocked in a loop of its own (so that it does not warm "
                      "the cache for the forward pass); it is not in the total. same_losses_as_unclocked: the "
                      "clocked loop computed exactly what the timed one did")
    return result


def compare_to_fused(training: dict) -> dict:
    """The target: dlfs float32 within TARGET_RATIO of the hand-fused loop (median over rounds), same losses."""
    runs = training["contenders"]
    fused = runs["fused_float32"]

    def ratios(name: str) -> dict:
        run = runs[name]
        per_round = [a / b for a, b in zip(run["seconds"], fused["seconds"], strict=True)]
        cpu_per_round = [a / b for a, b in zip(run["cpu_seconds"], fused["cpu_seconds"], strict=True)]
        return {"per_round": per_round, "median": float(np.median(per_round)),
                "cpu_median": float(np.median(cpu_per_round)),
                "of_medians": run["seconds_median"] / fused["seconds_median"],
                "of_minimums": run["seconds_min"] / fused["seconds_min"]}

    over_fused = {name: ratios(name) for name, run in runs.items() if run["run"] and name != "fused_float32"}
    ratio = over_fused["dlfs_float32"]["median"]
    return {
        "what": "seconds of each contender / seconds of the fused loop in the same round; `ratio` is the "
                "median over rounds for dlfs_float32 (dlfs.train.train), the target",
        "ratio": ratio, "threshold": TARGET_RATIO, "met": ratio <= TARGET_RATIO,
        "dlfs_minus_fused_us_per_step": 1e6 * (runs["dlfs_float32"]["seconds_median"] - fused["seconds_median"])
        / training["iters"],
        "over_fused": over_fused, "losses_agree": training["agreement"]["all_agree"],
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
    threads = env["thread_env"]["OPENBLAS_NUM_THREADS"]
    lines = [
        (f"dlfs speed benchmark{quick}: numpy {env['numpy']}, {blas} (OPENBLAS_NUM_THREADS={threads}), "
         f"{env['cpu_count']} CPUs, Python {env['python']}, {env['date']}"),
        f"load average (1 min) {start} at start, {end} at end: much above 0 means noisy timings",
        "",
        (f"(a) training {'-'.join(map(str, a['network']))}, {a['iters']:,} steps, "
         f"batch {a['batch_size']}, lr {a['lr']}, {a['rounds']} interleaved rounds"),
        f"    {'contender':<22}{'median s':>9}{'min s':>8}{'ms/step':>9}{'/ fused':>9}{'(CPU)':>7}{'test loss':>10}",
    ]
    for name, run in a["contenders"].items():
        if not run["run"]:
            lines.append(f"    {name:<22}not run: {run['reason']}")
            continue
        over = tgt["over_fused"].get(name)
        ratio = "" if over is None else f"{over['median']:>9.3f}{over['cpu_median']:>7.3f}"
        lines.append(f"    {name:<22}{run['seconds_median']:>9.2f}{run['seconds_min']:>8.2f}"
                     f"{1e3 * run['seconds_per_iter_median']:>9.3f}{ratio:>16}"
                     f"{run['final_test_loss']:>8.4f}")
    met = "met" if tgt["met"] else "NOT met"
    agree = "agree" if tgt["losses_agree"] else "DISAGREE"
    lines.append(f"    target: dlfs_float32 / fused_float32 = {tgt['ratio']:.3f} (median of {a['rounds']} rounds), "
                 f"<= {tgt['threshold']}: {met}; final losses {agree}")
    lines.append(f"    train's fused step over the fused loop: {tgt['dlfs_minus_fused_us_per_step']:+.1f} us a step "
                 f"(its clock, loss check and history; medians)")
    bitwise = ", ".join(f"{name} {'yes' if same else 'NO'}" for name, same in a["agreement"]["bitwise"].items())
    lines.append(f"    the fused loop's loss at every step, bit for bit: {bitwise}")
    ph = a["phases"]
    dlfs, fused = ph["dlfs_float32_layers"]["us_per_step"], ph["fused_float32"]["us_per_step"]
    lines.append(f"    where a step through the layers spends its time (us, median of {r['config']['repeat']} "
                 f"clocked runs):")
    dcpu, fcpu = ph["dlfs_float32_layers"]["cpu_us_per_step"], ph["fused_float32"]["cpu_us_per_step"]
    lines.append(f"      {'phase':<10}{'layers':>8}{'fused':>8}{'layers - fused':>16}{'CPU: layers':>13}{'fused':>8}")
    for phase in ["batch", "forward", "backward", "update"]:
        lines.append(f"      {phase:<10}{dlfs[phase]:>8.1f}{fused[phase]:>8.1f}{dlfs[phase] - fused[phase]:>16.1f}"
                     f"{dcpu[phase]:>13.1f}{fcpu[phase]:>8.1f}")
    lines.append(f"      {'total':<10}{ph['dlfs_float32_layers']['us_per_step_total']:>8.1f}"
                 f"{ph['fused_float32']['us_per_step_total']:>8.1f}{'':>16}"
                 f"{ph['dlfs_float32_layers']['cpu_us_per_step_total']:>13.1f}"
                 f"{ph['fused_float32']['cpu_us_per_step_total']:>8.1f}")
    lines.append(f"      checks of the public path, which train does not make: {dlfs['checks']:.1f} us a step")

    if b is None or c is None:
        lines += ["", "(b) and (c) not run (--training-only)", "",
                  f"total {r['total_seconds']:.1f} s; JSON in {r['out']}"]
        return "\n".join(lines)
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
    parser.add_argument("--repeat", type=_positive_int,
                        help="measurements of (b) and (c), clocked runs of (a)'s phases (default 3, quick 2)")
    parser.add_argument("--rounds", type=_positive_int, help="interleaved rounds of (a) (default 7, quick 3)")
    parser.add_argument("--iters", type=_positive_int, help="training steps of (a) (default 3000)")
    parser.add_argument("--book", type=Path, help="a checkout or git directory of the book's repository "
                                                  "(oreilly-japan/deep-learning-from-scratch): adds its "
                                                  "ch05 code to (a)")
    parser.add_argument("--training-only", action="store_true", help="run (a) only: (b) and (c) are null")
    parser.add_argument("--hidden-sizes", type=_sizes, help="hidden sizes of (c), e.g. 10,20,50,100")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in [("repeat", args.repeat), ("rounds", args.rounds), ("iters", args.iters),
                                   ("hidden_sizes", args.hidden_sizes)] if v is not None}
    cfg = dataclasses.replace(QUICK if args.quick else FULL, **overrides)
    if args.quick:  # (b) on the smallest net of (c): a smoke test of the code, not a measurement
        cfg = dataclasses.replace(cfg, grad_hidden=cfg.hidden_sizes[0])

    start = time.perf_counter()
    env = environment()
    data = load_data()
    training = bench_training(cfg, data, args.book)
    results = {
        "schema": SCHEMA, "quick": args.quick, "config": dataclasses.asdict(cfg),
        "training": training, "target": compare_to_fused(training),
        "one_gradient": None if args.training_only else bench_one_gradient(cfg, data),
        "scaling": None if args.training_only else bench_scaling(cfg, data),
        "environment": env,
    }
    env["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    results["total_seconds"] = time.perf_counter() - start
    results["out"] = str(args.out)
    write_json(args.out, results)
    print(summary(results))
    if not results["target"]["losses_agree"]:
        print("error: the contenders' final losses disagree (see training.agreement in the JSON), "
              "so their times do not compare like for like", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
