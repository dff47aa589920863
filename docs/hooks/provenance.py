"""MkDocs hook: each chapter's top, a line for the learner and a folded provenance stamp.

Each chapter (a page with a module in ``dlfs/book/``) opens, under its title,
with one line for the learner (every block runs in the browser; the first Run
loads Python, and how much), then a collapsed "How this page is checked"
holding ``Check this page`` (run.js puts it there) and a short box saying
what was verified and when: the commit and date of this build; how many of
the page's examples ran and passed in the test run of that commit (read from
``test-artifacts/verification.json``, or ``$DLFS_VERIFICATION``, which
``tests/verification.py`` writes at the end of ``make test``); how many
figures this build drew for the page, from the commit's code; and a link to
how verification works. A build without test results for its commit, or from
a checkout with uncommitted changes, says so plainly instead of claiming
verification. Nothing in it is typed by hand.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.provenance")
_build: dict[str, Any] = {}


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root = Path(config.config_file_path).parent
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    date = (datetime.datetime.fromtimestamp(int(epoch), datetime.UTC) if epoch
            else datetime.datetime.now(datetime.UTC))
    path = Path(os.environ.get("DLFS_VERIFICATION") or root / "test-artifacts" / "verification.json")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    _build.clear()
    _build.update(
        commit=_git(root, "rev-parse", "HEAD"),
        dirty=bool(_git(root, "status", "--porcelain", "--", "dlfs", "docs", "mkdocs.yml", "README.md")),
        date=date.strftime("%Y-%m-%d"),
        record=record,
    )
    state = "no test results" if record is None else f"test results of {record.get('commit', '?')[:7]}"
    log.info("provenance: commit %s%s, %s", _build["commit"][:7] or "unknown",
             " with uncommitted changes" if _build["dirty"] else "", state)
    return config


def stamp(page: str, figures: int) -> str:
    """The stamp of ``docs/<page>.md``, as Markdown (an HTML block with Markdown inside)."""
    commit, record = _build["commit"], _build["record"]
    short = commit[:7] or "an unknown commit"
    counts = (record or {}).get("pages", {}).get(f"docs/{page}.md")
    drawn = f"{figures} figure{'s' if figures != 1 else ''}" if figures else "no figures"
    built = (f"Built on {_build['date']} from commit `{short}`, whose code "
             f"(`dlfs/book/{page.replace('-', '_')}.py`) drew {drawn} for this page.")
    attrs = f'data-commit="{commit}" data-figures="{figures}"'
    if record is None or counts is None:
        verdict, state = ("**Not verified by this build:** it found no test results for this page "
                          "(`make test` writes them), so it makes no claim that the examples pass."), "unverified"
    elif record.get("commit") != commit:
        verdict, state = (f"**Not verified by this build:** the test results it found are of another commit, "
                          f"`{record.get('commit', '?')[:7]}`, so it makes no claim that this page's examples "
                          f"pass."), "unverified"
    else:
        n, passed, failed = counts["collected"], counts["passed"], counts["failed"]
        attrs += f' data-examples="{n}" data-passed="{passed}" data-failed="{failed}"'
        ran = (f"all {n} examples on this page ran and passed" if passed == n
               else f"{passed} of the {n} examples on this page passed and {failed} failed")
        if record.get("uncommitted_changes") or _build["dirty"]:
            verdict, state = (f"**Not verified:** {ran} in a test run of `{short}` with uncommitted "
                              f"changes, on {record['date'][:10]}."), "unverified"
        elif passed == n:
            verdict, state = f"**Verified:** {ran} in the test run of `{short}` on {record['date'][:10]}.", "verified"
        else:
            verdict, state = f"**Failed:** {ran} in the test run of `{short}` on {record['date'][:10]}.", "failed"
    return (f'<div class="dlfs-stamp" data-dlfs-stamp="{state}" {attrs} markdown>\n\n'
            f"{verdict} {built} [How verification works](index.md#how-the-examples-are-checked)\n\n"
            f"</div>\n")


LEAD = ('<p class="dlfs-lead" data-dlfs-lead>Every example on this page runs in your browser: press '
        "<strong>Run</strong> under one, or <strong>Edit</strong> it and run your own version. The first Run "
        "starts Python, a download of about {first} the first time.</p>")


HOME = ("**Check this page** runs every example of this page at once, as the tests do; "
        "[How the examples are checked](#how-the-examples-are-checked) says what is verified, and where.\n")


def top(page: str, figures: int | None) -> str:
    """What opens ``docs/<page>.md`` under its title, as Markdown: the learner's line, then the
    verification (the stamp, or for the home page a pointer to its section), folded. run.js puts
    "Check this page" in the fold too (``data-dlfs-check-slot``); ``extra.css`` shows the
    learner's line only when run.js has run (it adds ``run.css``)."""
    from dlfs.site.browser import FIRST_DOWNLOAD

    return (f"{LEAD.format(first=FIRST_DOWNLOAD)}\n\n"
            '<details class="dlfs-about" markdown>\n<summary>How this page is checked</summary>\n\n'
            f"{HOME if figures is None else stamp(page, figures)}\n"
            '<div data-dlfs-check-slot></div>\n\n'
            "</details>\n")


@event_priority(-100)  # last: browser.py (at -50) finds examples by their line in the page's source
def on_page_markdown(markdown: str, page, config: MkDocsConfig, files) -> str:
    from dlfs.book import PAGES, figures_of

    name = page.file.src_uri.removesuffix(".md")
    if name not in (*PAGES, "index"):
        return markdown
    figures = None if name == "index" else len(figures_of(name))
    title, sep, rest = markdown.partition("\n")
    if not title.startswith("# "):
        log.warning("%s: no title on its first line; its stamp goes at the top", page.file.src_uri)
        return top(name, figures) + "\n" + markdown
    return f"{title}\n\n{top(name, figures)}{sep}{rest}"
