"""Build it yourself: exercises the learner implements, and checks that say what is wrong.

Each chapter's exercises ask for code the chapter builds (`numerical_gradient`,
`softmax`, `Affine`, ...). `check` tries an answer on the properties that
make it right and says, when one fails, which, where and by how much::

    from dlfs.exercises import check
    check("softmax", softmax)         # your function: ✓ softmax: passes: ...

The same check runs in the reader's browser (the page's Check button) and
in CI, where every exercise's reference solution passes, each of its known
mistakes (`Mutant`) fails with its message, and its starter code fails with
"not implemented yet".

Examples
--------
>>> def softmax(x):  # right for one example, wrong for a batch
...     e = np.exp(x - np.max(x))
...     return e / np.sum(e)
>>> result = check("softmax", softmax)
>>> result.passed
False
>>> print(result.message)
softmax of a batch of shape (4, 3): the whole array sums to 1, but each row should, as each row
is one example: take the max and the sum per row, with axis=-1 and keepdims=True
"""

from __future__ import annotations

from typing import Any

from dlfs.exercises import (
    autograd,
    backprop,
    gradient_check,
    gradient_descent,
    gradients,
    learning,
    making_training_work,
    numerical_diff,
    optimizers_and_regularization,
    training,
)
from dlfs.exercises.core import NOT_IMPLEMENTED, Exercise, Failure, Mutant, Result, check_answer, run_source

# each chapter's exercises, in the order of the book
CHAPTERS = (numerical_diff, gradients, gradient_descent, learning, backprop, gradient_check, training,
            making_training_work, optimizers_and_regularization, autograd)
EXERCISES: dict[str, Exercise] = {e.id: e for module in CHAPTERS for e in module.EXERCISES}

__all__ = ["EXERCISES", "NOT_IMPLEMENTED", "Exercise", "Failure", "Mutant", "Result", "check", "check_source"]


def exercise(exercise_id: str) -> Exercise:
    """The exercise with this id, or a ValueError that lists the ids there are."""
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise ValueError(f"exercise_id must be one of {', '.join(EXERCISES)}; got {exercise_id!r}") from None


def check(exercise_id: str, answer: Any, *, verbose: bool = False) -> Result:
    """Check `answer` (your function or class) for the exercise `exercise_id`.

    Returns a `Result` with ``passed`` and ``message``; prints the message
    only with ``verbose=True``. An exception raised by your code is reported
    in the message, never raised.
    """
    result = check_answer(exercise(exercise_id), answer)
    if verbose:
        print(repr(result))
    return result


def check_source(exercise_id: str, source: str) -> Result:
    """Run `source` (your code, as text) in a fresh namespace and check the name the exercise asks for."""
    ex = exercise(exercise_id)
    try:
        namespace = run_source(source)
    except NotImplementedError:
        return Result(ex.id, False, f"{ex.name} is {NOT_IMPLEMENTED}.")
    except SyntaxError as error:
        return Result(ex.id, False, f"your code does not parse: {error.msg} (line {error.lineno})")
    except Exception as error:
        from dlfs.exercises.core import describe

        return Result(ex.id, False, f"your code raised {describe(error)} before anything was checked")
    pieces = ex.extra.get("pieces")
    if pieces:  # an exercise that puts earlier answers together takes them as a dict; the check names a missing one
        return check_answer(ex, {name: namespace[name] for name in pieces if name in namespace})
    if ex.name not in namespace:
        return Result(ex.id, False, f"your code does not define {ex.name}: the exercise asks for {ex.signature}")
    return check_answer(ex, namespace[ex.name])
