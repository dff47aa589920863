"""Exercises of chapter 1, "Numerical differentiation" (``docs/numerical-diff.md``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, call, close, compare, number
from dlfs.numerical import numerical_diff as reference

NUMERICAL_DIFF_STARTER = '''\
import numpy as np


def numerical_diff(f, x, h=1e-4):
    """The derivative of f at the number x, by the central difference with step h.

    Evaluate f at x + h and at x - h, and divide the difference by the
    distance between the two points.
    """
    raise NotImplementedError("not implemented yet")
'''

NUMERICAL_DIFF = '''\
import numpy as np


def numerical_diff(f, x, h=1e-4):
    """The derivative of f at the number x, by the central difference with step h."""
    # the chord from x - h to x + h is centered on x: its error shrinks as h**2
    return (f(x + h) - f(x - h)) / (2 * h)
'''


def cubic(seed: int) -> Any:
    """A cubic with random coefficients: its third derivative is not zero, so the three differences all differ."""
    a, b, c = np.random.default_rng(seed).uniform(0.5, 2.0, 3)
    return lambda x: a * x * x * x - b * x * x + c * x


def one_sided(f: Any, x: float, h: float, method: str) -> float:
    return (f(x + h) - f(x)) / h if method == "forward" else (f(x) - f(x - h)) / h


def test_numerical_diff(numerical_diff: Any) -> None:
    for seed, x in enumerate([1.0, -0.7, 2.5]):
        f = cubic(seed)
        got = number(f"numerical_diff(f, {x})", call(f"numerical_diff(f, {x})", numerical_diff, f, x))
        expected = reference(f, x)
        if close(got, expected):
            continue
        if got == 0.0:
            raise Failure(f"numerical_diff(f, {x}) is exactly 0: the step is too small, x + h rounded back to x "
                          f"as 5.0 + 1e-50 == 5.0 does. Use the h you are given (1e-4 by default)")
        if close(got, -expected, 1e-9):
            raise Failure(f"numerical_diff(f, {x}) is {got:.4g}, expected {expected:.4g}: the wrong sign. The slope "
                          f"of a chord is the value at its right end minus the value at its left end, "
                          f"f(x + h) - f(x - h), over the distance 2 * h")
        for method in ("forward", "backward"):
            if close(got, one_sided(f, x, 1e-4, method) / 2, 1e-9):
                missing = "x - h" if method == "forward" else "x + h"
                raise Failure(f"numerical_diff(f, {x}) is {got:.4g}, about half the derivative {expected:.4g}: one "
                              f"of its two evaluations of f is at x, not at {missing}. The central difference "
                              f"evaluates f at x + h and at x - h, 2 * h apart")
        if close(got, expected / 2, 1e-6):
            raise Failure(f"numerical_diff(f, {x}) is {got:.4g}, half the derivative {expected:.4g}: f(x + h) and "
                          f"f(x - h) are 2 * h apart, so divide by 2 * h, not by more")
        for method in ("forward", "backward"):
            if close(got, one_sided(f, x, 1e-4, method), 1e-9):
                raise Failure(f"numerical_diff(f, {x}) is the {method} difference, whose error shrinks only as h: "
                              f"use the central difference (f(x + h) - f(x - h)) / (2 * h)")
        if close(got, 2 * expected, 1e-6):
            raise Failure(f"numerical_diff(f, {x}) is twice the derivative: f(x + h) and f(x - h) are 2 * h apart, "
                          f"so divide by 2 * h")
        if close(got, expected * 1e-8, 1e-6):
            raise Failure(f"numerical_diff(f, {x}) is the derivative times h**2: / 2 * h divides by 2 and then "
                          f"multiplies by h. Write / (2 * h)")
        compare(f"numerical_diff(f, {x})", np.array(got), np.array(expected))
    f = cubic(7)
    for h in (0.5, 0.1):
        what = f"numerical_diff(f, 1.0, h={h})"
        got = number(what, call(what, numerical_diff, f, 1.0, h=h))
        if not close(got, reference(f, 1.0, h)) and close(got, reference(f, 1.0), 1e-9):
            raise Failure(f"numerical_diff(f, 1.0, h={h}) gives what h = 1e-4 gives: it uses h = 1e-4 whatever h "
                          f"is passed. Use the h you are given (a cubic's central difference depends on h)")
        compare(f"numerical_diff(f, 1.0, h={h})", np.array(got), np.array(reference(f, 1.0, h)),
                note="The central difference of a cubic depends on h: use the h you are given")


DIFFERENCES_STARTER = '''\
import numpy as np


def numerical_diff(f, x, h=1e-4, method="central"):
    """The derivative of f at x by a difference quotient: method is "central", "forward" or "backward".

    central: the chord from x - h to x + h; forward: from x to x + h;
    backward: from x - h to x. Any other method is a ValueError.
    """
    raise NotImplementedError("not implemented yet")
'''

DIFFERENCES = '''\
import numpy as np


def numerical_diff(f, x, h=1e-4, method="central"):
    """The derivative of f at x by a difference quotient: method is "central", "forward" or "backward"."""
    if method == "central":
        return (f(x + h) - f(x - h)) / (2 * h)
    if method == "forward":  # the chord from x to x + h
        return (f(x + h) - f(x)) / h
    if method == "backward":  # the chord from x - h to x
        return (f(x) - f(x - h)) / h
    raise ValueError(f"method must be 'central', 'forward' or 'backward', got {method!r}")
'''

QUOTIENTS = {
    "central": lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h),
    "forward": lambda f, x, h: (f(x + h) - f(x)) / h,
    "backward": lambda f, x, h: (f(x) - f(x - h)) / h,
}


def test_differences(numerical_diff: Any) -> None:
    h = 0.1  # a large step, so that the three quotients of a cubic differ in the second digit
    for seed, x in enumerate([1.0, -0.5]):
        f = cubic(seed)
        for method in ("central", "forward", "backward"):
            what = f"numerical_diff(f, {x}, h={h}, method={method!r})"
            got = number(what, call(what, numerical_diff, f, x, h=h, method=method))
            expected = reference(f, x, h, method)
            if close(got, expected):
                continue
            for other in QUOTIENTS:
                if other != method and close(got, QUOTIENTS[other](f, x, h), 1e-9):
                    raise Failure(f"{what} gave the {other} difference: the {method} one is "
                                  + {"central": "(f(x + h) - f(x - h)) / (2 * h)", "forward": "(f(x + h) - f(x)) / h",
                                     "backward": "(f(x) - f(x - h)) / h"}[method])
            if close(got, -expected, 1e-9):
                raise Failure(f"{what} has the wrong sign: the slope of the chord from x - h to x is "
                              f"(f(x) - f(x - h)) / h, the later value minus the earlier one")
            compare(what, np.array(got), np.array(expected))
    f = cubic(3)
    got = number("numerical_diff(f, 1.0, h=0.1)", call("numerical_diff(f, 1.0, h=0.1)", numerical_diff, f, 1.0, h=0.1))
    if not close(got, reference(f, 1.0, 0.1)):
        raise Failure("numerical_diff(f, 1.0, h=0.1) without a method should be the central difference "
                      "(method=\"central\" by default)")
    try:
        got = numerical_diff(f, 1.0, method="cental")
    except ValueError as error:
        if "method" not in str(error):
            raise Failure(f"method=\"cental\" raised ValueError({str(error)!r}): say which argument was wrong, "
                          f"name method in the message") from None
        return
    except (NotImplementedError, RecursionError):
        raise
    except Exception as error:
        raise Failure(f"method=\"cental\" (a misspelled method) raised {type(error).__name__}: raise a ValueError "
                      f"naming method and the methods there are") from None
    shown = f"{got:.4g}" if isinstance(got, (int, float)) else repr(got)  # np.float64 is a float
    raise Failure(f"method=\"cental\" (a misspelled method) returned {shown}: raise a ValueError naming method and "
                  f"the methods there are, so that a typo cannot pass for one of them")


FORWARD_ERROR_STARTER = '''\
import numpy as np


def forward_error(h):
    """How far the forward difference of f(x) = x**3 at x = 1 is from the true slope 3, for a step h.

    Expand (1 + h)**3, divide by h as the forward difference does, and
    subtract 3: the answer is an exact expression in h.
    """
    raise NotImplementedError("not implemented yet")
'''

FORWARD_ERROR = '''\
import numpy as np


def forward_error(h):
    """How far the forward difference of f(x) = x**3 at x = 1 is from the true slope 3, for a step h."""
    # (1 + h)**3 = 1 + 3h + 3h**2 + h**3, so (f(1 + h) - f(1)) / h = 3 + 3h + h**2
    return 3 * h + h**2
'''


def cube(x: float) -> float:
    return x * x * x


def test_forward_error(forward_error: Any) -> None:
    for h in (0.1, 0.5, 0.01, 1e-3):
        got = number(f"forward_error({h})", call(f"forward_error({h})", forward_error, h))
        measured = reference(cube, 1.0, h, "forward") - 3.0  # what the forward difference actually misses by
        if close(got, measured, 1e-8):
            continue
        mistakes = {3 * h: "the first-order term 3h alone: the Taylor series of x**3 ends at h**3, so the error "
                           "is exact with every term kept, (1 + h)**3 = 1 + 3h + 3h**2 + h**3",
                    h**2: "the error of the central difference, h**2; the forward one also keeps the h term",
                    3 * h - h**2: "the error of the backward difference (f(1) - f(1 - h)) / h",
                    3 + 3 * h + h**2: "the slope the forward difference gives, not how far it is from 3",
                    -(3 * h + h**2): "the right size with the wrong sign: x**3 curves upward, so the chord to "
                                     "1 + h is steeper than the tangent and the error is positive"}
        for value, says in mistakes.items():
            if close(got, value, 1e-8):
                raise Failure(f"forward_error({h}) = {got:.4g} is {says}")
        raise Failure(f"forward_error({h}) = {got:.4g}, but the forward difference (f(1 + h) - f(1)) / h of x**3 "
                      f"with h = {h} is {measured:.4g} away from 3. Expand (1 + h)**3 and divide by h")


BEST_STEP_STARTER = '''\
import numpy as np


def best_step(eps):
    """The step h that minimizes the central difference's error model h**2 + eps / h.

    eps is the rounding error of one evaluation of f (np.finfo(float).eps
    for x**3 at x = 1). The model is smallest where its derivative in h is 0:
    solve for h and return it.
    """
    raise NotImplementedError("not implemented yet")
'''

BEST_STEP = '''\
import numpy as np


def best_step(eps):
    """The step h that minimizes the central difference's error model h**2 + eps / h."""
    # d/dh (h**2 + eps / h) = 2h - eps / h**2 = 0, so h**3 = eps / 2
    return (eps / 2) ** (1 / 3)
'''


def test_best_step(best_step: Any) -> None:
    for eps in (float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps), 1e-10, 1e-3):
        what = f"best_step({eps:.4g})"
        h = number(what, call(what, best_step, eps))
        if h <= 0:
            raise Failure(f"{what} = {h:.4g}: a step must be a positive number")
        slope = 2 * h - eps / h**2  # the derivative of the model h**2 + eps / h: 0 at its minimum
        if abs(slope) <= 1e-6 * eps / h**2:
            continue
        mistakes = {np.cbrt(eps): "the cube root of eps, which solves h**3 = eps: the derivative of h**2 is 2h, "
                                  "so the slope 2h - eps / h**2 is 0 where h**3 = eps / 2",
                    np.sqrt(eps): "the square root of eps, the best step of the one-sided differences, whose "
                                  "truncation error is about h; the central one's is h**2, so a cube root",
                    np.cbrt(2 * eps): "the cube root of 2 * eps: the 2 is on the wrong side. The slope 2h - eps / h**2 "
                                      "is 0 where 2 * h**3 = eps",
                    eps / 6: "eps / 6: (eps / 2) ** 1 / 3 divides by 3 because ** binds tighter than /. Write "
                             "** (1 / 3)"}
        for value, says in mistakes.items():
            if close(h, value, 1e-9):
                raise Failure(f"{what} = {h:.4g} is {says}")
        better = "a larger" if slope < 0 else "a smaller"
        raise Failure(f"{what} = {h:.4g} is not where the error model h**2 + eps / h is smallest: its slope "
                      f"2h - eps / h**2 is {slope:.4g} there, not 0 ({better} h does better)")


EXERCISES = [
    Exercise(
        id="numerical-diff", chapter="numerical-diff", title="The central difference",
        name="numerical_diff", signature="numerical_diff(f, x, h=1e-4)",
        starter=NUMERICAL_DIFF_STARTER, solution=NUMERICAL_DIFF, test=test_numerical_diff,
        what="the central difference of cubics at three points with the default step, and with h = 0.5 and 0.1",
        hints=("Evaluate f on both sides of x, at x + h and at x - h.",
               "The slope of the chord between two points is the difference of the values over the distance "
               "between the points, which is 2 * h here.",
               "return (f(x + h) - f(x - h)) / (2 * h), with the parentheses: / 2 * h would multiply by h."),
        mutants=(
            Mutant("a forward difference", (("(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h"),),
                   says="forward difference"),
            Mutant("divided by h, not 2h", (("/ (2 * h)", "/ h"),), says="twice the derivative"),
            Mutant("/ 2 * h", (("/ (2 * h)", "/ 2 * h"),), says="multiplies by h"),
            Mutant("h = 1e-50", (("    return (f(x + h)", "    h = 1e-50\n    return (f(x + h)"),), says="too small"),
            Mutant("h ignored", (("    return (f(x + h)", "    h = 1e-4\n    return (f(x + h)"),),
                   says="whatever h is passed"),
            Mutant("the sign flipped", (("(f(x + h) - f(x - h))", "(f(x - h) - f(x + h))"),), says="the wrong sign"),
            Mutant("the second evaluation at x", (("(f(x + h) - f(x - h))", "(f(x + h) - f(x))"),),
                   says="is at x, not at x - h"),
        ),
    ),
    Exercise(
        id="difference-methods", chapter="numerical-diff", title="Forward, backward and central differences",
        name="numerical_diff", signature='numerical_diff(f, x, h=1e-4, method="central")',
        starter=DIFFERENCES_STARTER, solution=DIFFERENCES, test=test_differences,
        what="each of the three differences of cubics with h = 0.1, central by default, and a ValueError naming "
             "method for a misspelled one",
        hints=("Each method is the slope of a chord: central from x - h to x + h, forward from x to x + h, "
               "backward from x - h to x.",
               "A slope is (value at the right end - value at the left end) / (distance between the ends): "
               "2 * h for central, h for the others.",
               "Test method against each name in turn and end with raise ValueError(f\"method must be ..., got "
               "{method!r}\") so a typo cannot pass silently."),
        mutants=(
            Mutant("forward and backward swapped", (('if method == "forward":', 'if method == "_":'),
                                                    ('if method == "backward":', 'if method == "forward":'),
                                                    ('if method == "_":', 'if method == "backward":')),
                   says="gave the backward difference"),
            Mutant("a backward difference upside down", (("(f(x) - f(x - h)) / h", "(f(x - h) - f(x)) / h"),),
                   says="wrong sign"),
            Mutant("anything else is backward", (('    if method == "backward":  # the chord from x - h to x\n'
                                                  '        return (f(x) - f(x - h)) / h\n'
                                                  '    raise ValueError(f"method must be \'central\', \'forward\' or '
                                                  '\'backward\', got {method!r}")\n',
                                                  '    return (f(x) - f(x - h)) / h  # the chord from x - h to x\n'),),
                   says="a misspelled method"),
            Mutant("forward by default", (('method="central"):\n', 'method="forward"):\n'),),
                   says="without a method should be the central difference"),
        ),
    ),
    Exercise(
        id="forward-error", chapter="numerical-diff", title="The truncation error of the forward difference",
        name="forward_error", signature="forward_error(h)", kind="derive",
        starter=FORWARD_ERROR_STARTER, solution=FORWARD_ERROR, test=test_forward_error,
        what="your expression against the measured error of the forward difference of x**3 at 1 for "
             "h = 0.1, 0.5, 0.01 and 0.001",
        hints=("The forward difference at 1 is ((1 + h)**3 - 1**3) / h; the true slope is 3.",
               "(1 + h)**3 = 1 + 3h + 3h**2 + h**3: subtract 1 and divide by h.",
               "The difference is 3 + 3h + h**2, so its error is what is left after taking 3 away."),
        mutants=(
            Mutant("the first-order term only", (("return 3 * h + h**2", "return 3 * h"),), says="first-order term"),
            Mutant("the central difference's error", (("return 3 * h + h**2", "return h**2"),),
                   says="central difference"),
            Mutant("the backward difference's error", (("return 3 * h + h**2", "return 3 * h - h**2"),),
                   says="backward difference"),
            Mutant("the slope, not its error", (("return 3 * h + h**2", "return 3 + 3 * h + h**2"),),
                   says="not how far it is from 3"),
        ),
    ),
    Exercise(
        id="best-step", chapter="numerical-diff", title="The best step of the central difference",
        name="best_step", signature="best_step(eps)", kind="derive",
        starter=BEST_STEP_STARTER, solution=BEST_STEP, test=test_best_step,
        what="the slope of the error model h**2 + eps / h is 0 at your h, for eps of float64, float32, 1e-10 "
             "and 1e-3",
        hints=("At its minimum the model's derivative in h is 0: differentiate h**2 + eps / h.",
               "The derivative is 2h - eps / h**2. Set it to 0 and multiply by h**2.",
               "2 * h**3 = eps, so h = (eps / 2) ** (1 / 3): mind the parentheses around 1 / 3."),
        mutants=(
            Mutant("the 2 of the derivative forgotten", (("(eps / 2) ** (1 / 3)", "eps ** (1 / 3)"),),
                   says="derivative of h**2 is 2h"),
            Mutant("the one-sided step", (("(eps / 2) ** (1 / 3)", "np.sqrt(eps)"),), says="one-sided"),
            Mutant("the 2 on the wrong side", (("(eps / 2) ** (1 / 3)", "(2 * eps) ** (1 / 3)"),),
                   says="wrong side"),
            Mutant("** 1 / 3", (("** (1 / 3)", "** 1 / 3"),), says="** binds tighter"),
        ),
    ),
]
