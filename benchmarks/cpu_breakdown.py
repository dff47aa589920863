"""Where a command's CPU time goes: every process it starts, sampled, summed by what it is.

    python benchmarks/cpu_breakdown.py -- make test

Wall time says little on a shared machine; CPU-seconds say what a run costs,
and on a 2-core CI machine a run cannot take less wall time than its
CPU-seconds over 2. Every ``--interval`` seconds this reads ``/proc`` for the
command's process tree (Linux only) and keeps, for each process, its last
user + system time and its command line; a process that ends between two
samples loses at most one interval of its time. At the end the processes are
put in groups by their command line (the first rule in ``GROUPS`` that
matches) and summed. Writes ``benchmarks/results/cpu_breakdown.json``: the
command, its exit status, wall seconds, the CPU-seconds of each group and
of the whole tree (as the kernel counted it for every process waited for), the
30 most expensive processes, and a timeline: the cores busy in each
``--bin`` seconds, by group, which shows where a run leaves a core idle (and
how many core-seconds it left idle in all). Exits with the command's status.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlfs.download import atomic_file  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "cpu_breakdown.json"
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# (group, pattern on the command line), first match wins; a Chromium process is put in the group of
# the nearest ancestor that is not Chromium or Playwright's driver (see `owner`).
GROUPS = [
    ("site build (mkdocs)", r"bin/mkdocs\b"),
    ("site build (properdocs)", r"bin/properdocs\b"),
    ("book computations (figure workers, notebook kernel)", r"multiprocessing|ipykernel|spawn_main"),
    ("browser checks (tests.browser_check)", r"-m tests\.browser_check"),
    ("PDF (dlfs.site.pdf)", r"-m dlfs\.site\.pdf"),
    ("pytest (tests and pages in process)", r"-m pytest|bin/pytest"),
    ("mypy", r"\bmypy\b"),
    ("ruff", r"\bruff\b"),
    ("installs (uv, pip, npm)", r"\buv\b|pip|npm"),
    ("other python (CLI, benchmarks run by tests)", r"python"),
]
BROWSER = re.compile(r"chrom|playwright|/node\b|run-driver")
PYTHON = re.compile(r"(^|/)python[0-9.]*\s")


def read_proc(pid: int) -> tuple[int, float, str] | None:
    """(parent pid, CPU-seconds, command line) of a live process, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
    ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
    return ppid, (utime + stime) / TICK, cmd


def tree(root: int, table: dict[int, tuple[int, float, str]]) -> set[int]:
    """The pids of `root` and its descendants among the live processes in `table`."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    seen, stack = set(), [root]
    while stack:
        pid = stack.pop()
        if pid not in seen:
            seen.add(pid)
            stack += children.get(pid, [])
    return seen


def group_of(cmd: str) -> str:
    for name, pattern in GROUPS:
        if re.search(pattern, cmd):
            return name
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between samples (default 0.25)")
    parser.add_argument("--bin", type=float, default=10.0, help="seconds per step of the timeline (default 10)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"the JSON (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("command: expected a command after --, got none")
    if args.interval <= 0:
        parser.error(f"--interval: expected a positive number of seconds, got {args.interval}")
    if args.bin <= 0:
        parser.error(f"--bin: expected a positive number of seconds, got {args.bin}")
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(command)
    seen: dict[int, dict[str, object]] = {}  # pid -> {"cpu", "cmd", "ppid"}
    bins: dict[int, dict[int, float]] = {}  # pid -> {step of the timeline: CPU-seconds seen in it}
    try:
        while True:
            step = int((time.perf_counter() - start) // args.bin)
            table = {}
            for entry in os.listdir("/proc"):
                if entry.isdigit() and (info := read_proc(int(entry))) is not None:
                    table[int(entry)] = info
            for pid in tree(proc.pid, table):
                ppid, cpu, cmd = table[pid]
                before = float(seen[pid]["cpu"]) if pid in seen else 0.0  # type: ignore[arg-type]
                mine = bins.setdefault(pid, {})
                mine[step] = mine.get(step, 0.0) + max(0.0, cpu - before)
                seen[pid] = {"cpu": cpu, "cmd": cmd or seen.get(pid, {}).get("cmd", ""), "ppid": ppid}
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                returncode = os.waitstatus_to_exitcode(status)
                break
            time.sleep(args.interval)
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        print("cpu_breakdown: interrupted", file=sys.stderr)
        return 130
    wall = time.perf_counter() - start

    def owner(pid: int) -> str:
        """A browser process counts for the Python process that started the browser (its nearest Python
        ancestor: a browser check, the PDF printer, pytest), or as "chromium (owner not seen)"."""
        cmd = str(seen[pid]["cmd"])
        if not BROWSER.search(cmd) or PYTHON.search(cmd):
            return group_of(cmd)
        while pid in seen:
            cmd = str(seen[pid]["cmd"])
            if PYTHON.search(cmd):
                return group_of(cmd)
            pid = int(seen[pid]["ppid"])  # type: ignore[call-overload]
        return "chromium (owner not seen)"

    groups: dict[str, float] = {}
    browser: dict[str, float] = {}
    for pid, info in seen.items():
        g = owner(pid)
        groups[g] = groups.get(g, 0.0) + float(info["cpu"])  # type: ignore[arg-type]
        if BROWSER.search(str(info["cmd"])) and not PYTHON.search(str(info["cmd"])):
            browser[g] = browser.get(g, 0.0) + float(info["cpu"])  # type: ignore[arg-type]
    sampled = sum(groups.values())
    steps = int(wall // args.bin) + 1
    timeline = [{"start": round(i * args.bin, 1), "cores_busy": 0.0, "groups": {}} for i in range(steps)]
    for pid, mine in bins.items():
        g = owner(pid)
        for i, cpu in mine.items():
            row = timeline[min(i, steps - 1)]
            row["groups"][g] = row["groups"].get(g, 0.0) + cpu  # type: ignore[index, union-attr, attr-defined]
    for i, row in enumerate(timeline):
        width = min(args.bin, wall - i * args.bin) or args.bin
        busy = sum(row["groups"].values())  # type: ignore[union-attr]
        row["cores_busy"] = round(busy / width, 2)
        row["groups"] = {k: round(v, 1) for k, v in sorted(row["groups"].items(),  # type: ignore[union-attr]
                                                           key=lambda kv: -kv[1])}
    # what the kernel counted for the whole tree (every process waited for), against what the samples saw
    # (a browser's processes are not always waited for by their parents, so the kernel's count can be the smaller)
    counted = usage.ru_utime + usage.ru_stime
    groups["not seen by a sample (short-lived processes, last intervals)"] = max(0.0, counted - sampled)
    total = max(counted, sampled)
    idle = max(0.0, (os.cpu_count() or 1) * wall - total)  # against the same total the report gives
    top = sorted(seen.items(), key=lambda kv: -float(kv[1]["cpu"]))[:30]  # type: ignore[arg-type]
    report = {
        "schema": 1,
        "command": command,
        "returncode": returncode,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(total, 1),
        "cores": os.cpu_count(),
        "cpu_over_wall": round(total / wall, 2),
        "groups": {k: round(v, 1) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "of_which_in_chromium": {k: round(v, 1) for k, v in sorted(browser.items(), key=lambda kv: -kv[1])},
        "processes": [{"cpu_seconds": round(float(i["cpu"]), 1), "group": owner(p),  # type: ignore[arg-type]
                       "cmd": str(i["cmd"])[:200]} for p, i in top],
        "environment": {"python": platform.python_version(), "machine": platform.machine(),
                        "load_before": load_before, "load_after": os.getloadavg()[0]},
        "interval_seconds": args.interval,
        "idle_core_seconds": round(idle, 1),
        "timeline": {"bin_seconds": args.bin, "steps": timeline},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(args.out) as f:
        f.write(json.dumps(report, indent=1).encode())
    print(f"cpu_breakdown: {wall:.0f} s wall, {total:.0f} CPU-seconds ({total / wall:.2f} cores busy); "
          f"{idle:.0f} core-seconds idle on {os.cpu_count()} cores (timeline in {args.out})")
    for name, cpu in report["groups"].items():  # type: ignore[union-attr]
        print(f"  {cpu:7.1f} s  {name}")
    return returncode


if __name__ == "__main__":
    sys.exit(main())
