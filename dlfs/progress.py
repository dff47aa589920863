"""How far a long loop has come, for whoever listens: the in-browser runner's progress bar.

`dlfs.train.train` reports each iteration here, whether or not it draws a
tqdm bar (the book's runs pass ``progress=False``). Nobody listens by
default, and then a report costs one empty loop. The page runner
(`dlfs.site.runner`) listens while a reader's example runs and sends the
numbers to the page, a few times a second.

Examples
--------
>>> heard = []
>>> with listening(lambda what, done, total: heard.append((what, done, total))):
...     report("backprop", 1, 10)
>>> report("backprop", 2, 10)  # no one listens any more
>>> heard
[('backprop', 1, 10)]
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Listener = Callable[[str, int, int], None]
_listeners: list[Listener] = []


def report(what: str, done: int, total: int) -> None:
    """Tell every listener that `done` of `total` steps of `what` are done."""
    for listener in _listeners:
        listener(what, done, total)


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call ``listener(what, done, total)`` at every `report` made inside the ``with`` block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
