"""What an exercise is, how an answer is checked, and how a failure is worded.

An `Exercise` names what the learner writes (``name``, ``signature``), gives
runnable starter code that fails with "not implemented yet", a reference
solution, hints, and a ``test``: a function that tries the learner's answer
on the properties that make an answer right (random inputs against dlfs's
own implementation, gradients checked numerically, invariants) and raises
`Failure` at the first one that does not hold, saying where and by how much.
Each `Mutant` is a known mistake written as a change to the solution; the
tests prove that the check names it.

`check` runs a test and never raises for the learner's sake: an exception in
the learner's code is a failed check whose message names the exception and
the line of their code it came from.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NOT_IMPLEMENTED = "not implemented yet"
YOUR_CODE = "<your code>"  # the file name of code checked from a string (the browser, `check_source`)


class Failure(Exception):  # noqa: N818 (a property the answer lacks, not an error of ours)
    """A property the answer lacks; the message says which, where, and by how much."""


@dataclass(frozen=True)
class Mutant:
    """A known mistake, written as edits of the solution; the check's message must contain `says`.

    `edits` are ``(old, new)`` pairs, each `old` found exactly once in the solution.
    """

    name: str
    edits: tuple[tuple[str, str], ...]
    says: str

    def apply(self, solution: str) -> str:
        """The solution with this mistake made in it."""
        for old, new in self.edits:
            if solution.count(old) != 1:
                raise ValueError(f"mutant {self.name!r}: {old!r} must occur exactly once in the solution, "
                                 f"found {solution.count(old)} times")
            solution = solution.replace(old, new)
        return solution


@dataclass(frozen=True)
class Exercise:
    """One thing the learner writes, and how to tell them what is wrong with it."""

    id: str  # "numerical-gradient": the page's data-dlfs-exercise, the argument of `check`
    chapter: str  # the page it is on: "gradients" for docs/gradients.md
    title: str
    name: str  # what the learner's code defines: "numerical_gradient"
    signature: str  # how the book writes it: "numerical_gradient(f, x, h=1e-4)"
    starter: str  # runs; fails the check with "not implemented yet"
    solution: str  # the reference; shown once the learner has passed (or tried 5 times)
    test: Callable[[Any], None]  # raises Failure at the first property the answer lacks
    hints: tuple[str, ...] = ()
    mutants: tuple[Mutant, ...] = ()
    kind: str = "implement"  # or "derive": the answer is a number or an expression
    needs: tuple[str, ...] = ()  # earlier exercises whose answers this one puts together
    what: str = ""  # the properties checked, for the message of a pass
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """What `check` found: ``passed`` and a ``message`` that says what, where and by how much."""

    id: str
    passed: bool
    message: str

    def __repr__(self) -> str:  # what a notebook shows for ``check(...)``
        return f"{'✓' if self.passed else '✗'} {self.id}: {self.message}"


def check_answer(exercise: Exercise, answer: Any) -> Result:
    """Run `exercise`'s test on `answer`; every outcome is a Result, never an exception.

    An answer that draws from the global ``np.random`` (as the book's loops do) draws the same numbers in
    every check, at home and in the browser, so the two say the same; the learner's state is given back.
    """
    state = np.random.get_state()  # noqa: NPY002 -- the learner's code may use it: we never draw from it
    np.random.seed(0)  # noqa: NPY002 -- the same draws for their code in every check
    try:
        return _check(exercise, answer)
    finally:
        np.random.set_state(state)  # noqa: NPY002 -- their state, as it was


def _check(exercise: Exercise, answer: Any) -> Result:
    try:
        exercise.test(answer)
    except NotImplementedError:
        if answer is None:  # a derivation's starter: `answer = None`
            return Result(exercise.id, False, f"{exercise.name} is {NOT_IMPLEMENTED}: replace None in "
                          f"`{exercise.name} = None` with your answer.")
        return Result(exercise.id, False, f"{exercise.name} is {NOT_IMPLEMENTED}: replace the line "
                      f"`raise NotImplementedError(...)` in the starter code with your own.")
    except Failure as failure:
        return Result(exercise.id, False, str(failure))
    except RecursionError:
        return Result(exercise.id, False, f"{exercise.name} called itself without end (RecursionError).")
    except Exception as error:  # the learner's code raised where the test did not expect it
        return Result(exercise.id, False, f"{exercise.name} raised {describe(error)}")
    return Result(exercise.id, True, f"passes: {exercise.what or 'every check'}.")


def describe(error: BaseException) -> str:
    """``ValueError: ... (line 7 of your code: x[i] += h)``: the error and where in the learner's code it arose.

    The line named is the learner's last one on the way to the error, not the
    line inside dlfs or NumPy that raised it (where the learner cannot change
    anything); only when no frame is theirs, the last frame outside the checks.
    """
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_HERE)]
    theirs = [f for f in frames if not f.filename.startswith(_LIBRARIES)]
    if theirs or frames:
        last = (theirs or frames)[-1]
        where = "your code" if _is_yours(last.filename) else last.filename.rsplit("/", 1)[-1]
        text += f" (line {last.lineno} of {where}" + (f": {last.line.strip()}" if last.line else "") + ")"
    return text


# code with no file of its own: the page's editor, a Jupyter cell (ipykernel names it
# /tmp/ipykernel_<pid>/<hash>.py, older IPython <ipython-input-...>), the Python prompt
_CELL = re.compile(r"(^|/)ipykernel_\d+/\d+\.py$|^<ipython-input-|^<stdin>$")


def _is_yours(filename: str) -> bool:
    """Whether `filename` is code the learner typed (named "your code"), not a file of theirs."""
    return filename == YOUR_CODE or bool(_CELL.search(filename))


_HERE = __file__.rsplit("/", 1)[0]  # frames of the checks themselves are not the learner's
# frames in dlfs itself and in the installed libraries (NumPy, the standard library) are not the learner's either
_LIBRARIES = (_HERE.rsplit("/", 1)[0] + "/",  # dlfs
              np.__file__.rsplit("/", 2)[0] + "/",  # the site-packages NumPy is installed in
              traceback.__file__.rsplit("/", 1)[0] + "/")  # the standard library


def run_source(source: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute the learner's `source` in a fresh namespace (or `namespace`) and return it.

    The code is compiled with the file name ``<your code>`` and kept in
    linecache, so a traceback shows the learner's own lines.
    """
    import linecache

    linecache.cache[YOUR_CODE] = (len(source), None, source.splitlines(keepends=True), YOUR_CODE)
    namespace = {"__name__": "__main__"} if namespace is None else namespace
    exec(compile(source, YOUR_CODE, "exec"), namespace)
    return namespace


# ------------------------------------------------------------- helpers the tests share


def call(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``; an exception becomes a Failure naming the call (`what`) and its line."""
    try:
        return fn(*args, **kwargs)
    except (NotImplementedError, Failure, RecursionError):
        raise
    except Exception as error:
        raise Failure(f"{what} raised {describe(error)}") from None


def array(what: str, value: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """`value` as a float array of `shape`, or a Failure that says what arrived instead."""
    if value is None:
        raise Failure(f"{what} is None: did you forget to return it?")
    try:
        out = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Failure(f"{what} should be an array of numbers, got {type(value).__name__}") from None
    if shape is not None and out.shape != shape:
        raise Failure(f"{what} has shape {out.shape}, expected {shape}")
    return out


def number(what: str, value: Any) -> float:
    """`value` as one finite float (a derivation's answer), or a Failure that says what arrived instead."""
    if value is None:
        raise Failure(f"{what} is None: did you forget to return it?")
    if isinstance(value, (bool, np.bool_, str, bytes)) or np.ndim(value) != 0:
        raise Failure(f"{what} should be one number, got {type(value).__name__}"
                      + (f" of shape {np.shape(value)}" if np.ndim(value) else ""))
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise Failure(f"{what} should be a number, got {type(value).__name__}") from None
    if not np.isfinite(out):
        raise Failure(f"{what} is {out}, not a finite number")
    return out


def rel_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """CS231n's relative error, entry by entry: ``|a - b| / max(|a| + |b|, 1e-8)``."""
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)


def where(index: tuple[Any, ...]) -> str:
    """``[2, 0]``: an index as the learner writes it."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if len(index) else ""


def compare(what: str, got: np.ndarray, expected: np.ndarray, tol: float = 1e-7, note: str = "") -> None:
    """A Failure at the entry where `got` is furthest from `expected` (or is nan), if any is off by more than `tol`.

    Values are shown with four significant digits, or with as many more as it
    takes to show them different, and then with their relative error.
    """
    errors = rel_error(got, expected)
    bad = ~(errors <= tol)  # nan is never close: a nan answer fails
    if bad.any():
        i = np.unravel_index(int(np.argmax(np.where(np.isnan(errors), np.inf, errors))), errors.shape)
        shown_got, shown_expected = _pair(got[i], expected[i])
        if len(shown_got) > len(_num(got[i])):  # four digits could not show the difference: give its size
            shown_expected += f" (a relative error of {float(errors[i]):.1e}, above the {tol:.0e} allowed)"
        raise Failure(f"{what}{where(i)}: {shown_got}, expected {shown_expected}" + (f". {note}" if note else ""))


def _num(x: float, digits: int = 4) -> str:
    """A number as a learner reads it: four significant digits."""
    return f"{float(x):.{digits}g}"


def _pair(a: float, b: float) -> tuple[str, str]:
    """`a` and `b` with four significant digits, or as many more as it takes to tell them apart."""
    for digits in range(4, 18):
        if _num(a, digits) != _num(b, digits):
            break
    return _num(a, digits), _num(b, digits)


def close(a: np.ndarray | float, b: np.ndarray | float, tol: float = 1e-7) -> bool:
    return bool(np.shape(a) == np.shape(b) and (rel_error(np.asarray(a), np.asarray(b)) <= tol).all())
