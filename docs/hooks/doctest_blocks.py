"""Show doctest blocks as console sessions, so the copy button copies only code.

Sybil runs a ```python fence whose first characters are ``>>>`` as a doctest.
For the site, such fences are highlighted with the ``pycon`` lexer instead,
which marks prompts (``.gp``) and printed output (``.go``); extra.css hides
those two while Material's copy button reads the block, so a reader pastes
runnable code. The Markdown files themselves are not changed.
"""

import re

# A fence opening, possibly indented (inside an admonition), then a >>> line.
_DOCTEST_FENCE = re.compile(r"^([ \t]*)```python[ \t]*\n(\1>>>)", re.MULTILINE)


def on_page_markdown(markdown, page, config, files):
    return _DOCTEST_FENCE.sub(r"\1```pycon\n\2", markdown)
