"""The runner the browser uses (dlfs.site.runner), run natively: the same semantics as CI's Sybil.

The browser tests (tests/test_browser_run.py) drive it through the page; these
check what it computes, fast and without a browser.
"""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from pathlib import Path

import pytest

from dlfs.site import examples
from dlfs.site.runner import PageSession, check_page, stale_figures

ROOT = Path(__file__).resolve().parents[1]

PAGE = """# A page

```python
x = 6
```

Some prose.

```python
>>> x * 7
42
>>> print("two\\nlines")
two
lines
```

```python
y = x + 1
```
"""


def test_a_block_runs_after_the_earlier_examples_once() -> None:
    session = PageSession(PAGE)
    first = session.run_block(9, 15)
    assert first["caught_up"] == 1 and first["status"] == "pass"
    assert [r["status"] for r in first["results"]] == ["pass", "pass"]
    again = session.run_block(9, 15)
    assert again["caught_up"] == 0, "what ran once does not run again before a block"
    last = session.run_block(17, 19)
    assert last["caught_up"] == 0 and last["status"] == "done" and session.namespace["y"] == 7


def test_running_a_later_block_first_runs_everything_before_it() -> None:
    session = PageSession(PAGE)
    result = session.run_block(17, 19)
    assert result["caught_up"] == 3  # the plain block and the two doctest statements
    assert session.namespace["y"] == 7


def test_an_edit_runs_in_the_page_namespace_and_its_output_is_kept() -> None:
    session = PageSession(PAGE)
    result = session.run_block(17, 19, 'print("edited", x * 7)\n')
    assert result["status"] == "done" and result["results"][0]["stdout"] == "edited 42\n"
    assert "y" not in session.namespace, "the edit replaced the block"


def test_a_doctest_that_prints_something_else_fails_with_what_it_got() -> None:
    session = PageSession(PAGE)
    result = session.run_block(9, 15, ">>> x * 7\n41\n")
    (only,) = result["results"]
    assert result["status"] == "fail" and only["status"] == "fail"
    assert only["want"] == "41\n" and only["got"] == "42\n" and only["source"] == "x * 7\n"


@pytest.mark.parametrize("code", ["z = [1]\nz[3]\n", ">>> [1][3]\n1\n"])
def test_an_error_is_a_readable_traceback_without_the_runner_frames(code: str) -> None:
    session = PageSession(PAGE, "page.md")
    result = session.run_block(17, 19, code)
    message = result["results"][0]["message"]
    assert result["status"] == "error"
    assert "IndexError: list index out of range" in message and "[3]" in message, "the line that failed is shown"
    assert "sybil" not in message and "runner.py" not in message and "doctest.py" not in message


def test_an_edits_traceback_names_the_line_of_the_edit_as_the_editor_numbers_it() -> None:
    """The editor numbers the reader's code from 1; the page's Markdown, which they never see, is not named."""
    session = PageSession(PAGE, "page.md")
    result = session.run_block(17, 19, "def f(v):\n    return v[3]\n\nprint(f([1]))\n")
    message = result["results"][0]["message"]
    assert 'File "your code", line 4, in <module>' in message and 'File "your code", line 2, in f' in message
    assert "page.md" not in message, message
    unedited = PageSession(PAGE.replace("y = x + 1", "y = x[1]"), "page.md").run_block(17, 19)
    assert 'File "page.md", line 18' in unedited["results"][0]["message"], "the page's own code: the page's line"


def test_the_same_code_as_the_page_runs_the_page_examples() -> None:
    session = PageSession(PAGE)
    assert session.block_text(9, 15) == '>>> x * 7\n42\n>>> print("two\\nlines")\ntwo\nlines\n'
    result = session.run_block(9, 15, session.block_text(9, 15))
    assert [r["line"] for r in result["results"]] == [10, 12]


def test_source_to_run_is_what_would_run() -> None:
    session = PageSession(PAGE)
    assert session.source_to_run(17, 19) == 'x = 6\n\nx * 7\n\nprint("two\\nlines")\n\ny = x + 1\n'
    session.run_block(9, 15)
    assert session.source_to_run(17, 19, "import matplotlib\n") == "import matplotlib\n"


WARNS = "```python\nimport warnings\nwarnings.warn('careful')\n```\n"


def test_warnings_are_errors_in_a_check_as_in_pytest() -> None:
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
        "filterwarnings"] == [examples.WARNINGS]
    (result,) = check_page(WARNS)["results"]
    assert result["status"] == "error" and "UserWarning: careful" in result["message"]


def test_a_readers_run_shows_warnings_as_notes() -> None:
    result = PageSession(WARNS).run_block(1, 4)
    assert result["status"] == "done" and result["results"][0]["warnings"] == ["UserWarning: careful"]


def test_a_plain_block_shows_the_value_of_its_last_expression() -> None:
    session = PageSession(PAGE)
    (shown,) = session.run_block(17, 19, 'print("x is", x)\nx * 7\n')["results"]
    assert shown["stdout"] == "x is 6\n42\n"
    (quiet,) = session.run_block(17, 19, "y = x\nNone\n")["results"]
    assert quiet["stdout"] == "", "None is not shown, as at Python's prompt"
    assert check_page("```python\n6 * 7\n```\n")["results"][0].get("stdout", "") == "", "a check shows nothing"


def test_an_edit_compares_only_the_expected_outputs_kept_with_their_statement_or_written() -> None:
    session = PageSession(PAGE)
    # a changed statement under the page's expected output, and a new line with none: shown, not compared
    result = session.run_block(9, 15, '>>> x * 8\n42\n>>> x + 1\n>>> print("two\\nlines")\ntwo\nlines\n')
    assert [(r["status"], r["checked"]) for r in result["results"]] == [("ran", False), ("ran", False), ("pass", True)]
    assert [r["got"] for r in result["results"]][:2] == ["48\n", "7\n"]
    assert result["status"] == "pass" and result["edited"]
    assert result["updated"] == '>>> x * 8\n48\n>>> x + 1\n7\n>>> print("two\\nlines")\ntwo\nlines\n'
    # nothing kept: neutral
    assert session.run_block(9, 15, ">>> x * 8\n42\n")["status"] == "done"
    # a prediction the reader wrote is compared
    assert session.run_block(9, 15, ">>> x * 8\n47\n")["status"] == "fail"
    assert session.run_block(9, 15, ">>> x * 8\n48\n")["status"] == "pass"
    # the page's code, unedited, is checked as the page shows it
    assert session.run_block(9, 15)["edited"] is False


def test_a_run_passes_on_a_training_loops_progress() -> None:
    heard: list[dict] = []
    page = ("```python\n>>> import numpy as np\n>>> from dlfs.nets import TwoLayerNet\n"
            ">>> from dlfs.train import train\n>>> x = np.eye(4); t = np.arange(4)\n"
            ">>> _ = train(TwoLayerNet(4, 3, 4), x, t, iters=20, batch_size=2)\n```\n")
    PageSession(page).run_block(1, 7, progress=heard.append)
    loop = [p for p in heard if p["phase"] == "loop"]
    assert loop and loop[0]["what"] == "backprop" and loop[-1]["done"] == loop[-1]["total"] == 20


def test_conftest_runs_the_pages_with_the_shared_parsers(request: pytest.FixtureRequest) -> None:
    conftest = request.config.pluginmanager.get_plugin(str(ROOT / "conftest.py"))
    shared = [type(p) for p in examples.page_parsers()]
    assert [type(p) for p in conftest.PAGES.parsers] == shared
    assert [type(p) for p in conftest.DOCSTRINGS.parsers] == [type(p) for p in examples.docstring_parsers()]
    assert conftest.PAGES.setup is None, "pages get no setup, in CI as in the browser"
    assert conftest.DOCSTRINGS.setup is examples.docstring_setup
    doctest_parser = conftest.PAGES.parsers[0]
    assert doctest_parser.doctest_parser.evaluator.runner.optionflags & examples.OPTIONS == examples.OPTIONS


def test_a_chapter_checks_as_under_pytest(request: pytest.FixtureRequest) -> None:
    """The same examples as pytest collects, all passing: numerical-diff needs no data."""
    page = ROOT / "docs" / "numerical-diff.md"
    conftest = request.config.pluginmanager.get_plugin(str(ROOT / "conftest.py"))
    collected = [example.line for example in conftest.PAGES.parse(page)]
    result = check_page(page.read_text(encoding="utf-8"), "numerical-diff.md")
    assert [r["line"] for r in result["results"]] == collected
    assert result["passed"] == result["total"] == len(collected) and result["failed"] == 0


def test_a_check_reports_each_failure_with_its_message() -> None:
    result = check_page(PAGE.replace("42", "41"))
    assert (result["total"], result["passed"], result["failed"]) == (4, 3, 1)
    (failure,) = [r for r in result["results"] if r["status"] != "pass"]
    assert failure["line"] == 10 and "Expected:\n    41\nGot:\n    42" in failure["message"]


def test_a_figure_drawn_on_is_shown_once() -> None:
    session = PageSession("```python\nfrom dlfs.book.style import new_figure\nfig, ax = new_figure()\n"
                          "_ = ax.plot([0, 1], [1, 0])\n```\n")
    session.run_block(1, 6)
    (svg,) = stale_figures(session.namespace)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert stale_figures(session.namespace) == [], "shown once, until it changes again"
    session.run_block(1, 6, "_ = ax.set_title('again')\n")
    assert len(stale_figures(session.namespace)) == 1


def test_each_long_examples_estimate_is_found_by_the_first_line_of_its_statement(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("browser_hook", ROOT / "docs" / "hooks" / "browser.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    known = json.loads((ROOT / "browser" / "example-seconds.json").read_text(encoding="utf-8"))
    for page, wanted in known.items():
        found = hook.example_estimates(page, examples_of_page(page), ROOT / "browser" / "example-seconds.json")
        assert sorted(found.values()) == sorted(wanted.values()), page
    estimates = tmp_path / "example-seconds.json"
    estimates.write_text(json.dumps({"page.md": {"for n in range(3):": 7, "y = x + 1": 9}}))
    loop = "```python\nfor n in range(3):\n    print(n)\n```\n\n```python\ny = x + 1\n```\n"
    assert hook.example_estimates("page.md", list(examples.parse_page(loop)), estimates) == {"1": 7, "6": 9}
    with pytest.raises(Exception, match=re.escape("page.md has no example 'y = x + 1' any more")):
        hook.example_estimates("page.md", list(examples.parse_page(loop.replace("x + 1", "x + 2"))), estimates)


def examples_of_page(page: str) -> list:
    return list(examples.parse_page((ROOT / "docs" / page).read_text(encoding="utf-8")))
