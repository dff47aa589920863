"""The deploy workflow (.github/workflows/pages.yml) cannot run here, so it is read.

actionlint checks it (with ShellCheck on every ``run:`` script), and the test
command it runs is compared with the one .ci/run and the README run: the
three must not drift apart.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
CI_RUN = ROOT / ".ci" / "run"
SEPARATORS = {";", "&&", "||", "|", "&", "(", ")"}
KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "!", "{", "}"}
WRAPPERS = {"env", "exec", "sudo", "time", "command", "nice"}


def tool(name: str) -> str:
    """A tool installed beside this Python (the test extra), else on PATH; fail in CI without it."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        message = f"{name} is not installed: make setup installs it (the test extra)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as argv lists, without VAR=value prefixes."""
    script = re.sub(r"\\\n", " ", script)  # join continued lines
    out = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:  # an unbalanced quote across lines (e.g. python -c '...'): not a test command
            continue
        current: list[str] = []
        for token in [*tokens, ";"]:
            if token in SEPARATORS:
                while current and (current[0] in KEYWORDS or current[0] in WRAPPERS
                                   or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", current[0])):
                    current.pop(0)
                if current:
                    out.append(current)
                current = []
            else:
                current.append(token)
    return out


def is_test_command(argv: list[str]) -> bool:
    if Path(argv[0]).name == "make":
        return "test" in [a for a in argv[1:] if not a.startswith("-")]
    return any(Path(a).name in ("pytest", "py.test") for a in argv)


def test_commands_of(script: str) -> list[list[str]]:
    return [argv for argv in commands(script) if is_test_command(argv)]


test_commands_of.__test__ = False  # a helper, not a test


def workflow() -> dict:
    with open(WORKFLOW, encoding="utf-8") as f:
        return yaml.safe_load(f)


def run_steps() -> list[dict]:
    return [step for job in workflow()["jobs"].values() for step in job.get("steps", []) if "run" in step]


def test_actionlint_is_clean() -> None:
    actionlint, shellcheck = tool("actionlint"), tool("shellcheck")
    result = subprocess.run(
        [actionlint, "-verbose", f"-shellcheck={shellcheck}", str(WORKFLOW)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stderr, "ShellCheck did not run"


def test_the_workflow_runs_the_same_test_command_as_ci_run_and_the_readme() -> None:
    ci = test_commands_of(CI_RUN.read_text(encoding="utf-8"))
    assert len(ci) == 1, f".ci/run should run one test command, found {ci}"
    steps = [(step.get("name", "?"), found) for step in run_steps() if (found := test_commands_of(step["run"]))]
    assert len(steps) == 1 and len(steps[0][1]) == 1, f"the workflow should have one test step: {steps}"
    assert steps[0][1] == ci, f"workflow runs {steps[0][1]}, .ci/run runs {ci}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Run the tests"):]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)[1]
    assert test_commands_of(block) == ci, "the README's test command differs from .ci/run's"


def test_it_tests_before_it_builds_and_deploys() -> None:
    flow = workflow()
    build = flow["jobs"]["build"]["steps"]
    names = [s.get("name") or s.get("uses") for s in build]
    test_at = next(i for i, s in enumerate(build) if "run" in s and test_commands_of(s["run"]))
    upload_at = next(i for i, s in enumerate(build)
                     if str(s.get("uses", "")).startswith("actions/upload-pages-artifact"))
    assert test_at < upload_at, names
    assert flow["jobs"]["deploy"]["needs"] == "build"
    assert flow[True]["push"]["branches"] == ["main"]  # PyYAML reads the key `on` as True


def test_the_published_build_gets_the_pages_url() -> None:
    build = workflow()["jobs"]["build"]["steps"]
    pages = next(s for s in build if str(s.get("uses", "")).startswith("actions/configure-pages"))
    site = next(s for s in build if "DLFS_SITE_URL" in s.get("env", {}))
    assert site["env"]["DLFS_SITE_URL"].startswith(f"${{{{ steps.{pages['id']}.outputs.base_url }}}}")
    assert any(argv[:2] == ["make", "pdf"] for argv in commands(site["run"])), "the site and PDF step"


def test_the_deploy_job_alone_may_write_to_pages() -> None:
    flow = workflow()
    assert flow["permissions"] == {"contents": "read"}
    assert flow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert flow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert flow["jobs"]["deploy"]["environment"]["name"] == "github-pages"


def test_it_installs_what_ci_run_installs() -> None:
    """Every Debian package .ci/run installs, but chromium: GitHub's image has /usr/bin/chromium."""
    text = CI_RUN.read_text(encoding="utf-8")
    wanted = set(re.search(r"^for pkg in ([^;]+);", text, re.MULTILINE)[1].split()) - {"chromium"}
    installed = set()
    for step in run_steps():
        for argv in commands(step["run"]):
            if argv[:2] == ["apt-get", "install"]:
                installed |= {a for a in argv[2:] if not a.startswith("-")}
    assert wanted <= installed, f"the workflow does not install {sorted(wanted - installed)}"
