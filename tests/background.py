"""A smaller share of the CPU for the work a test run starts beside its tests.

    python -m tests.background GROUP -- COMMAND [ARG...]

joins the control group GROUP (its ``cgroup.procs``), then becomes COMMAND: what COMMAND
starts stays in the group too (a process cannot leave its control group as Chromium leaves
its nice value). `run_groups` makes a run's groups on Linux's cgroup v1 ``cpu`` controller
where this process may write it (root, as CI runs): the run's, and in it one for the tests
(this process joins it) and one for the background, with a low ``cpu.shares`` beside the tests.

Why: on two cores the main thread of tests is the run's critical path, and the chapters'
browser checks, the published build and the PDF, started beside it, took 1.7 cores of the
two while it waited. With a small share the background runs on what the tests leave idle,
and still runs at full speed when nothing else wants the CPU (a share is a weight under
contention, not a cap). Where no group can be made, the command runs as it would have
(`wrap` returns it unchanged): the run is slower, never different.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

CPU_CONTROLLER = Path("/sys/fs/cgroup/cpu")
SHARES = 128  # against the 1024 of the run's tests group, beside it in the run's group (run_groups)


def background_group(name: str, shares: int = SHARES, controller: Path = CPU_CONTROLLER) -> Path | None:
    """Make control group `name` under `controller` with `shares`, or None where that is not possible."""
    if not (controller / "cpu.shares").is_file():
        return None
    group = controller / name
    try:
        group.mkdir(exist_ok=True)
        (group / "cpu.shares").write_text(str(shares))
    except OSError:
        remove_group(group)
        return None
    return group


RUN_SHARES = 4096  # the whole run against other work: as its four busiest processes would weigh outside a group


def run_groups(name: str, controller: Path = CPU_CONTROLLER) -> tuple[Path, Path] | None:
    """Groups for one test run: ``name`` (with `RUN_SHARES`, against the machine's other work), and in it
    ``tests``, which this process joins, and ``background`` (`SHARES` against the tests' 1024); or None.

    Nested so that the small share puts the background behind this run's tests only: a background group
    beside everything else was starved by any other load (under benchmarks/bursty_load.py, three NumPy
    workers of 1024 each left it a few per cent of the CPU, and the run took far longer).
    """
    run = background_group(name, RUN_SHARES, controller)
    if run is None:
        return None
    tests, background = background_group("tests", 1024, run), background_group("background", SHARES, run)
    try:
        if tests is None or background is None:
            raise OSError("no subgroup")
        (tests / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        remove_groups(run)
        return None
    return tests, background


def remove_groups(run: Path | None, controller: Path = CPU_CONTROLLER) -> None:
    """Leave the groups of `run_groups` (back to the controller's root) and remove those left empty."""
    if run is None:
        return
    with contextlib.suppress(OSError):
        if str(os.getpid()) in (run / "tests" / "cgroup.procs").read_text().split():
            (controller / "cgroup.procs").write_text(str(os.getpid()))
    for group in (run / "tests", run / "background", run):
        remove_group(group)


def remove_group(group: Path | None) -> None:
    """Remove the group if it is empty (the kernel refuses while a process is in it)."""
    if group is not None:
        with contextlib.suppress(OSError):
            group.rmdir()


def wrap(command: list[str], group: Path | None) -> list[str]:
    """`command`, run in `group` (or as it is, with no group)."""
    if group is None:
        return command
    return [sys.executable, "-m", "tests.background", str(group), "--", *command]


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: python -m tests.background GROUP -- COMMAND [ARG...]")
    group, command = Path(argv[0]), argv[2:]
    try:
        (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError as error:  # the group was removed meanwhile: run anyway, at the usual share
        print(f"tests.background: not in {group} ({error.strerror}); running at the usual share", file=sys.stderr)
    try:
        os.execvp(command[0], command)
    except OSError as error:
        sys.exit(f"tests.background: cannot run {command[0]}: {error.strerror}")


if __name__ == "__main__":
    main(sys.argv[1:])
