"""Run a command several times in a row under bursty load on every core; record what happened.

    python benchmarks/bursty_load.py --runs 3 -- make test

A steady busy loop slows everything alike and hides timing-dependent tests;
bursts slow one part of a run and not the next, which is what breaks a test
that compares two timings. So each of ``--workers`` processes (default: one
more than the cores) alternates NumPy matrix products for a random time and
sleeps for a random time (each 0.1-2 s, seeded), while the command runs
``--runs`` times. Writes ``benchmarks/results/bursty_load.json``: each run's
exit status and duration, and the load's duty cycle as measured. Exits 1 if
any run failed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlfs.download import atomic_file  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bursty_load.json"



def _interactive_signals() -> None:
    """In the command's process: Ctrl-C as in a terminal. Started in the background by a
    non-interactive shell, this script inherits SIGINT ignored, and so would the command."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)

def burst(seed: int, stop: mp.synchronize.Event, busy: mp.sharedctypes.Synchronized) -> None:
    """Alternate matrix products and sleeps of random length until `stop` is set."""
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((300, 300))
    while not stop.is_set():
        until = time.perf_counter() + rng.uniform(0.1, 2.0)
        start = time.perf_counter()
        while time.perf_counter() < until:
            a = np.tanh(a @ a.T / 300.0)
        with busy.get_lock():
            busy.value += time.perf_counter() - start
        stop.wait(rng.uniform(0.1, 2.0))


def git(*args: str) -> str:
    """The output of a git command in the repository, or "" where git cannot tell (no git, no repository)."""
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"the JSON (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    if args.runs < 1 or args.workers < 1:
        parser.error(f"--runs and --workers must be at least 1, got {args.runs} and {args.workers}")

    commit = git("rev-parse", "HEAD")  # what was run: the tree as it is when the runs start
    uncommitted = bool(git("status", "--porcelain", "--untracked-files=no"))
    stop = mp.Event()
    busy = mp.Value("d", 0.0)
    workers = [mp.Process(target=burst, args=(args.seed + i, stop, busy), daemon=True)
               for i in range(args.workers)]
    for w in workers:
        w.start()
    runs = []
    start = time.perf_counter()
    try:
        for i in range(args.runs):
            t0 = time.perf_counter()
            code = subprocess.run(command, cwd=ROOT, preexec_fn=_interactive_signals).returncode
            runs.append({"run": i + 1, "exit": code, "seconds": round(time.perf_counter() - t0, 1)})
            print(f"bursty_load: run {i + 1} of {args.runs}: exit {code} in {runs[-1]['seconds']} s",
                  file=sys.stderr)
    except KeyboardInterrupt:
        print("bursty_load: interrupted", file=sys.stderr)
        return 130
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=10)
    wall = time.perf_counter() - start
    result = {
        "command": command, "runs": runs, "workers": args.workers, "cores": os.cpu_count(),
        "load_duty_cycle": round(busy.value / (wall * args.workers), 2),
        "machine": platform.platform(), "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": commit, "uncommitted_changes": uncommitted,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))
    return 0 if all(r["exit"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
