"""Exercises of chapter 2, "Partial derivatives and gradients" (``docs/gradients.md``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare, where
from dlfs.numerical import numerical_gradient as reference

NUMERICAL_GRADIENT_STARTER = '''\
import numpy as np


def numerical_gradient(f, x, h=1e-4):
    """The gradient of f at x by central differences: an array shaped like x.

    f takes an array shaped like x and returns a number. Nudge one entry of x
    at a time, by +h and by -h, and put it back before the next one: f reads x.
    """
    raise NotImplementedError("not implemented yet")
'''

NUMERICAL_GRADIENT = '''\
import numpy as np


def numerical_gradient(f, x, h=1e-4):
    """The gradient of f at x by central differences: an array shaped like x."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):  # every entry, whatever the shape
        original = x[idx]
        x[idx] = original + h
        f_plus = f(x)
        x[idx] = original - h
        f_minus = f(x)
        x[idx] = original  # put x back
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
'''


def cubic(shape: tuple[int, ...], seed: int) -> tuple[Any, np.ndarray]:
    """A function whose third derivative is not zero (so forward and central differences differ), and a point."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.5, shape)
    return (lambda v: float(np.sum(a * v**3 + v**2))), rng.uniform(-2, 2, shape)


def forward_difference(f: Any, x: np.ndarray, h: float) -> np.ndarray:
    grad, x = np.zeros_like(x), x.copy()
    for idx in np.ndindex(x.shape):
        fx = f(x)
        x[idx] += h
        grad[idx] = (f(x) - fx) / h
        x[idx] -= h
    return grad


def test_numerical_gradient(numerical_gradient: Any) -> None:
    for shape in [(3,), (2, 3), (2, 2, 2)]:
        f, x = cubic(shape, seed=len(shape))
        before = x.copy()
        what = f"numerical_gradient(f, x) with x of shape {shape}"
        try:
            got = call(what, numerical_gradient, f, x)
        except Failure as failure:
            if len(shape) > 1:  # 1-D worked
                raise Failure(f"{failure}. It works for a 1-D x: visit every index of x, "
                              f"for idx in np.ndindex(x.shape)") from None
            raise
        if not np.array_equal(x, before):
            i = tuple(np.argwhere(x != before)[0])
            raise Failure(f"x was left changed: x{where(i)} is {x[i]:.6g} after the call, {before[i]:.6g} before. "
                          f"Put each entry back (x[idx] = original) after its two evaluations")
        if got is x:
            raise Failure("it returned x itself: return a new array (np.zeros_like(x)) holding the gradient")
        expected = reference(f, before.copy())
        if np.shape(got) != shape and len(shape) > 1 and np.size(got) == len(before):
            raise Failure(f"for x of shape {shape} it returned shape {np.shape(got)}: it works for a 1-D x "
                          f"only. Visit every index of x, for idx in np.ndindex(x.shape)")
        got = array(f"the gradient for x of shape {shape}", got, shape)
        if close(got, expected):
            continue
        if close(got, forward_difference(f, before, 1e-4), 1e-6):
            raise Failure("it matches the forward difference (f(x + h) - f(x)) / h, whose error shrinks only "
                          "as h: use the central difference (f(x + h) - f(x - h)) / (2 * h)")
        if close(got, 2 * expected, 1e-6):
            raise Failure("it is twice the gradient: f(x + h) and f(x - h) are 2 * h apart, so divide by 2 * h")
        note = "" if len(shape) == 1 else "It works for a 1-D x: visit every index, for idx in np.ndindex(x.shape)"
        compare(f"gradient for x of shape {shape}: gradient", got, expected, note=note)
    f, x = cubic((4,), seed=7)
    got = array("the gradient with h=0.1", call("numerical_gradient(f, x, h=0.1)", numerical_gradient, f, x, h=0.1))
    compare("with h=0.1: gradient", got, reference(f, x.copy(), h=0.1),
            note="The central difference of a cubic depends on h: use the h you are given")


EXERCISES = [
    Exercise(
        id="numerical-gradient", chapter="gradients", title="The gradient of an array of any shape",
        name="numerical_gradient", signature="numerical_gradient(f, x, h=1e-4)",
        starter=NUMERICAL_GRADIENT_STARTER, solution=NUMERICAL_GRADIENT, test=test_numerical_gradient,
        what="the central difference for x of shapes (3,), (2, 3) and (2, 2, 2), x left as it was, "
             "and the step h you are given",
        hints=("Loop over every index of x whatever its shape: np.ndindex(x.shape) yields tuples such as (1, 2).",
               "For each index: remember the entry, set it to original + h and call f, set it to original - h "
               "and call f, then put the original back.",
               "The gradient entry is (f_plus - f_minus) / (2 * h), stored in an array made with np.zeros_like(x)."),
        mutants=(
            Mutant("a forward difference", (("        x[idx] = original - h\n        f_minus = f(x)\n",
                                             "        x[idx] = original\n        f_minus = f(x)\n"),
                                            ("(2 * h)", "h")), says="forward difference"),
            Mutant("x left perturbed", (("        x[idx] = original  # put x back\n", ""),), says="x was left changed"),
            Mutant("1-D only", (("np.ndindex(x.shape)", "range(x.size)"),), says="works for a 1-D x"),
            Mutant("not divided by 2", (("(2 * h)", "h"),), says="twice the gradient"),
        ),
    ),
]
