"""Exercises of chapter 4, "Learning from data" (``docs/learning.md``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare
from dlfs.functions import softmax as reference_softmax

SOFTMAX_STARTER = '''\
import numpy as np


def softmax(x):
    """Probabilities from scores: for a 1-D x, and for each row of a 2-D x (a batch).

    Each result sums to 1, and scores of 1000 must not overflow.
    """
    raise NotImplementedError("not implemented yet")
'''

SOFTMAX = '''\
import numpy as np


def softmax(x):
    """Probabilities from scores: for a 1-D x, and for each row of a 2-D x (a batch)."""
    z = x - x.max(axis=-1, keepdims=True)  # the largest score becomes 0: exp() cannot overflow
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
'''


def test_softmax(softmax: Any) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=5)
    before = x.copy()
    got = array("softmax(x) for a 1-D x of 5 scores", call("softmax(x)", softmax, x), (5,))
    if not np.array_equal(x, before):
        raise Failure("softmax changed its input x (x -= ... works in place): compute z = x - x.max(...) instead")
    compare("softmax(x) for a 1-D x: y", got, reference_softmax(x))

    batch = rng.normal(size=(4, 3))
    got = call("softmax(x) for a batch of shape (4, 3)", softmax, batch.copy())
    got = array("softmax of a batch of shape (4, 3)", got, (4, 3))
    expected = reference_softmax(batch)
    if not close(got, expected):
        if np.allclose(got.sum(axis=0), 1):
            raise Failure("for a batch each column sums to 1, not each row: normalize over the last axis, "
                          "e.sum(axis=-1, keepdims=True) (and the max over axis=-1 too)")
        if np.isclose(got.sum(), 1):
            raise Failure("for a batch the whole array sums to 1: each row is one example, so sum and take the "
                          "max per row, with axis=-1 and keepdims=True")
        compare("softmax of a batch: y", got, expected, note="Each row of a batch is one example")

    big = np.array([[1000.0, 999.0, 990.0], [-5.0, 0.0, 5.0]])
    with np.errstate(all="ignore"):
        got = call("softmax(x) for scores near 1000", softmax, big.copy())
    got = np.asarray(got, dtype=np.float64)
    if not np.isfinite(got).all():
        raise Failure("scores near 1000 give nan or inf: exp(1000) overflows. Subtract each row's largest score "
                      "first, which leaves the probabilities unchanged")
    compare("softmax of [1000, 999, 990]: y", got, reference_softmax(big))


EXERCISES = [
    Exercise(
        id="softmax", chapter="learning", title="A softmax that cannot overflow",
        name="softmax", signature="softmax(x)",
        starter=SOFTMAX_STARTER, solution=SOFTMAX, test=test_softmax,
        what="probabilities for a 1-D x and for each row of a batch, scores of 1000, x left as it was",
        hints=("Subtracting the same number from every score leaves softmax unchanged: subtract the largest.",
               "For a batch, each row is one example: x.max(axis=-1, keepdims=True) keeps a column to subtract.",
               "Then exp, and divide by the sum over the same axis, again with keepdims=True."),
        mutants=(
            Mutant("no max subtracted", (("    z = x - x.max(axis=-1, keepdims=True)  # the largest score becomes 0: "
                                          "exp() cannot overflow\n", "    z = x\n"),), says="overflow"),
            Mutant("normalized over the wrong axis",
                   (("e.sum(axis=-1, keepdims=True)", "e.sum(axis=0, keepdims=True)"),
                    ("x.max(axis=-1, keepdims=True)", "x.max(axis=0, keepdims=True)")),
                   says="each column sums to 1"),
            Mutant("1-D only",
                   (("e.sum(axis=-1, keepdims=True)", "np.sum(e)"), ("x.max(axis=-1, keepdims=True)", "np.max(x)")),
                   says="the whole array sums to 1"),
            Mutant("x changed in place", (("    z = x - x.max(axis=-1, keepdims=True)",
                                           "    x -= x.max(axis=-1, keepdims=True)\n    z = x"),),
                   says="changed its input"),
        ),
    ),
]
