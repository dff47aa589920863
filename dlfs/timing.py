"""Measuring time: how long a call takes, and how a time grows with a size.

Used by the book (chapter "Training on MNIST" measures what a gradient
costs) and by ``benchmarks/``. Times are wall-clock seconds with the garbage
collector off, as :mod:`timeit` does; the best of several measurements is the
estimate, because other work on the machine only ever adds time. Timings are
shown, never asserted: they depend on the machine and on what else it runs.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import numpy as np

T = TypeVar("T")


class Timing(NamedTuple):
    """Seconds per call of a function, from `repeat` measurements of `calls` calls each."""

    best: float
    median: float
    calls: int  # calls per measurement
    seconds: list[float]  # every measurement, per call


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Return ``(seconds, fn())``, timed with the garbage collector off (`measure` collects first).

    Examples
    --------
    >>> seconds, value = timed(lambda: sum(range(1000)))
    >>> value, seconds > 0
    (499500, True)
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        if enabled:
            gc.enable()


def measure(fn: Callable[[], object], *, repeat: int = 5, min_seconds: float = 0.05) -> Timing:
    """Time `fn`: `repeat` measurements, each of enough calls to last `min_seconds`.

    Examples
    --------
    >>> t = measure(lambda: sum(range(1000)), repeat=3, min_seconds=0.001)
    >>> len(t.seconds), t.best <= t.median
    (3, True)
    """
    def calls(number: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(number):
                fn()
        return run

    gc.collect()  # once: what earlier work left behind is not this function's cost
    number = 1
    while timed(calls(number))[0] < min_seconds:
        number *= 2  # the last doubling doubles as a warm-up
    seconds = [timed(calls(number))[0] / number for _ in range(repeat)]
    return Timing(min(seconds), float(np.median(seconds)), number, seconds)


def loglog_slope(sizes: object, seconds: object) -> float:
    """The exponent k of a least-squares fit ``seconds ~ sizes**k`` on log-log axes.

    Examples
    --------
    >>> print(f"{loglog_slope([1, 2, 4, 8], [3, 12, 48, 192]):.2f}")
    2.00
    """
    x, y = np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(seconds, dtype=float))
    return float(np.polyfit(x, y, 1)[0])
