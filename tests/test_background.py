"""tests/background.py: the background work of a run joins a control group with a small CPU share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.background import CPU_CONTROLLER, background_group, remove_group, wrap

ROOT = Path(__file__).resolve().parents[1]


def test_without_a_group_the_command_runs_as_it_is(tmp_path: Path) -> None:
    assert background_group("g", controller=tmp_path) is None  # no cpu controller there
    assert wrap(["echo", "hi"], None) == ["echo", "hi"]
    remove_group(None)


def test_the_group_gets_the_share_it_was_given(tmp_path: Path) -> None:
    (tmp_path / "cpu.shares").write_text("1024")
    group = background_group("dlfs-x", shares=200, controller=tmp_path)
    assert group == tmp_path / "dlfs-x"
    assert (group / "cpu.shares").read_text() == "200"


def test_a_group_that_cannot_be_made_is_none(tmp_path: Path) -> None:
    (tmp_path / "cpu.shares").write_text("1024")
    (tmp_path / "taken").write_text("a file where the group would go")
    assert background_group("taken", controller=tmp_path) is None


def test_the_wrapper_says_in_one_line_what_it_cannot_run(tmp_path: Path) -> None:
    gone = tmp_path / "removed-group"
    run = subprocess.run([sys.executable, "-m", "tests.background", str(gone), "--", "no-such-command-dlfs"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert lines[-1] == "tests.background: cannot run no-such-command-dlfs: No such file or directory"
    assert lines[0].startswith(f"tests.background: not in {gone} (No such file or directory)")
    usage = subprocess.run([sys.executable, "-m", "tests.background", str(tmp_path), "echo"],
                           cwd=ROOT, capture_output=True, text=True)
    assert usage.returncode == 1 and usage.stderr.startswith("usage:")


def test_a_command_and_what_it_starts_run_in_the_group() -> None:
    group = background_group(f"dlfs-test-{os.getpid()}", shares=300)
    if group is None:
        pytest.skip(f"no writable cgroup v1 cpu controller at {CPU_CONTROLLER} (it is there, as root, in CI)")
    try:
        assert (group / "cpu.shares").read_text().strip() == "300"
        # the child's child: `cat`, started by the wrapped command
        child = "import subprocess; subprocess.run(['cat', '/proc/self/cgroup'])"
        run = subprocess.run(wrap([sys.executable, "-c", child], group), cwd=ROOT, capture_output=True, text=True,
                             check=True)
        cpu = [line.split(":", 2)[2] for line in run.stdout.splitlines() if "cpu" in line.split(":")[1].split(",")]
        assert cpu == [f"/{group.name}"], run.stdout
        assert not (group / "cgroup.procs").read_text().strip()  # they have ended
    finally:
        remove_group(group)
    assert not group.exists()


def test_a_run_puts_its_background_behind_its_own_tests_not_behind_other_work() -> None:
    """In a child process: this session's own process may be in its run's groups already."""
    code = (
        "import os, sys\n"
        "from tests.background import run_groups, remove_groups, wrap\n"
        "groups = run_groups(f'dlfs-test-run-{os.getpid()}')\n"
        "if groups is None: sys.exit(3)\n"
        "tests, background = groups\n"
        "print(tests.parent.name, (tests.parent / 'cpu.shares').read_text().strip(),\n"
        "      (tests / 'cpu.shares').read_text().strip(), (background / 'cpu.shares').read_text().strip())\n"
        "lines = open('/proc/self/cgroup').read().splitlines()\n"
        "mine = [l.split(':', 2)[2] for l in lines if l.split(':')[1] == 'cpu']\n"
        "print(mine[0])\n"
        "import subprocess\n"
        "subprocess.run(wrap(['grep', ':cpu:', '/proc/self/cgroup'], background), check=True)\n"
        "remove_groups(tests.parent)\n"
        "print(tests.parent.exists())\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if run.returncode == 3:
        pytest.skip(f"no writable cgroup v1 cpu controller at {CPU_CONTROLLER} (it is there, as root, in CI)")
    assert run.returncode == 0, run.stderr
    name, line, background_line, gone = run.stdout.splitlines()
    assert name.split()[1:] == ["4096", "1024", "128"], name
    run_name = name.split()[0]
    assert line == f"/{run_name}/tests", "this process joins the run's tests"
    assert background_line.endswith(f":/{run_name}/background"), background_line
    assert gone == "False", "every group is removed at the end, the process back at the root"
