"""MkDocs hook: the exercises a page places with a line ``<!-- exercise: <id> -->``.

The page writes the statement (a heading and prose); the line after it is
replaced by what `dlfs.exercises` holds for that id: an element carrying
``data-dlfs-exercise="<id>"``, the name and signature to write, the starter
code as a shown block (a fence with a title, which Sybil does not run), each
hint in a collapsed box, and the reference solution in a collapsed box that
says it is in the page's source. ``browser/run.js`` turns it into an editor
with Check, Hint and Reset (``browser/exercises.js``, which ``run.js`` loads on a page
with an exercise); without JavaScript it reads as the statement and
the starter code. An unknown id, or an exercise placed on a page that is not
its chapter, fails the build.

It runs after ``browser.py`` (which finds the runnable blocks by their lines
in the page's source) and before ``provenance.py``.
"""

from __future__ import annotations

import html
import json
import re
import textwrap

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

EXERCISE = re.compile(r"^(?P<indent>[ \t]*)<!-- exercise: (?P<id>[\w-]+) -->[ \t]*$", re.MULTILINE)


def page_slug(src_uri: str) -> str:
    return src_uri.rsplit("/", 1)[-1].removesuffix(".md")


def pieces(exercise, page, files) -> str:
    """For an exercise that puts earlier answers together: each piece's name, exercise and link, as JSON."""
    from dlfs.exercises import EXERCISES

    out = []
    for need in exercise.needs:
        piece = EXERCISES[need]
        target = files.get_file_from_path(f"{piece.chapter}.md")
        href = (target.url_relative_to(page.file) if target is not None else "") + f"#exercise-{need}"
        out.append({"id": need, "name": piece.name, "title": piece.title, "href": href})
    return html.escape(json.dumps(out), quote=True)


def render(exercise, indent: str, page=None, files=None) -> str:
    """The Markdown (with HTML) that stands for one exercise on its page."""
    box = "    "
    extra = ""
    if exercise.extra.get("pieces") and page is not None:  # browser/exercises.js assembles the learner's answers
        extra += f' data-dlfs-pieces="{pieces(exercise, page, files)}"'
    if exercise.extra.get("mnist"):  # its check reads MNIST: the browser loads it first
        extra += " data-dlfs-mnist"
    lines = [f'<div class="dlfs-exercise" id="exercise-{exercise.id}" data-dlfs-exercise="{exercise.id}" '
             f'data-dlfs-name="{exercise.name}" data-dlfs-needs="{" ".join(exercise.needs)}"{extra} markdown>', "",
             f'<p class="dlfs-exercise-ask">Write <code>{html.escape(exercise.signature)}</code>; '
             f'check it with <code>check("{exercise.id}", {exercise.name})</code> from '
             f"<code>dlfs.exercises</code>, or with the Check button.</p>", "",
             f'```python title="Your {exercise.name} (starter code)"', exercise.starter.rstrip("\n"), "```", ""]
    for n, hint in enumerate(exercise.hints, 1):
        lines += [f'??? tip "Hint {n} of {len(exercise.hints)}"', "", textwrap.indent(hint, box), ""]
    lines += ['??? success "The reference solution"', "",
              box + "It is in this page's source: for learning, not secrecy. Try first; the Check button "
              "opens this box once your code passes, or after five tries.", "",
              box + "```python", textwrap.indent(exercise.solution.rstrip("\n"), box), box + "```", "",
              "</div>"]
    return "\n".join(indent + line if line else line for line in lines)


@event_priority(-75)  # after browser.py (-50), before provenance.py (-100)
def on_page_markdown(markdown: str, page, config, files) -> str:
    if "<!-- exercise:" not in markdown:
        return markdown
    from dlfs.exercises import EXERCISES

    slug = page_slug(page.file.src_uri)

    def replace(match: re.Match) -> str:
        exercise = EXERCISES.get(match["id"])
        if exercise is None:
            raise PluginError(f"{page.file.src_uri}: no exercise {match['id']!r} in dlfs.exercises "
                              f"(there are {', '.join(EXERCISES)})")
        if exercise.chapter != slug:
            raise PluginError(f"{page.file.src_uri}: exercise {exercise.id!r} belongs on {exercise.chapter}.md")
        return render(exercise, match["indent"], page, files)

    return EXERCISE.sub(replace, markdown)
