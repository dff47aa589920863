"""Exercises of chapter 2, "Partial derivatives and gradients" (``docs/gradients.md``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare, number, where
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
        if close(got, -expected, 1e-9):
            raise Failure(f"for x of shape {shape} it is minus the gradient: it points downhill, the gradient "
                          f"uphill. Take f_plus - f_minus, the value at x + h minus the value at x - h")
        if close(got, forward_difference(f, before, 1e-4) / 2, 1e-6):
            raise Failure(f"for x of shape {shape} it is about half the gradient: the second evaluation is at x, "
                          f"not at x - h (x[idx] -= h after x[idx] += h only brings x back; the pitfall of the view "
                          f"makes the same quotient). Keep the original value and set x[idx] = original - h")
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


PARTIAL_STARTER = """\
import numpy as np


def partial(f, x, i, h=1e-4):
    \"\"\"The partial derivative of f at the point x with respect to x[i], by the central difference.

    i is an index of x: an int for a 1-D x, a tuple such as (1, 0) for a 2-D
    one. Move x[i] alone by +h and by -h, keep every other entry of x frozen,
    and leave the caller's x as it was. x may arrive as an integer array.
    \"\"\"
    raise NotImplementedError("not implemented yet")
"""

PARTIAL = """\
import numpy as np


def partial(f, x, i, h=1e-4):
    \"\"\"The partial derivative of f at the point x with respect to x[i], by the central difference.\"\"\"
    x = np.asarray(x, dtype=np.float64)  # an integer array could not hold x[i] + h
    e = np.zeros_like(x)
    e[i] = h  # nudge x[i] alone: the other entries stay frozen
    return (f(x + e) - f(x - e)) / (2 * h)  # x + e is a new array: the caller's x is untouched
"""


def coupled(shape: tuple[int, ...], seed: int) -> tuple[Any, np.ndarray]:
    """A cubic in which the entries interact (a product of the first and last), and a point."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.5, shape)
    return (lambda v: float(np.sum(a * v**3) + v.flat[0] * v.flat[-1])), rng.uniform(-2, 2, shape)


def test_partial(partial: Any) -> None:
    cases: list[tuple[tuple[int, ...], list[Any]]] = [((3,), [0, 1, 2]), ((2, 2), [(1, 0), (0, 1)])]
    for shape, indices in cases:
        f, x = coupled(shape, seed=len(shape))
        before = x.copy()
        grad = reference(f, before.copy())
        for i in indices:
            what = f"partial(f, x, {i}) for x of shape {shape}"
            got = call(what, partial, f, x, i)
            if not np.array_equal(x, before):
                j = tuple(np.argwhere(x != before)[0])
                raise Failure(f"x was left changed: x{where(j)} is {x[j]:.6g} after {what}, {before[j]:.6g} before. "
                              f"Nudge a copy (x + e makes one), or put the entry back")
            got = number(what, got)
            if close(got, grad[i]):
                continue
            if close(got, grad.sum(), 1e-6):
                raise Failure(f"{what} is {got:.4g}: it moved every entry of x by h at once, but a partial derivative "
                              f"nudges x[i] alone and keeps the other entries frozen")
            if i != indices[0] and close(got, grad[indices[0]], 1e-6):
                first = where(tuple(np.atleast_1d(indices[0])))
                raise Failure(f"{what} is {got:.4g}, the partial derivative by x{first} whatever i is: "
                              f"nudge the entry x[i]")
            if close(got, forward_difference(f, before, 1e-4)[i], 1e-6):
                raise Failure(f"{what} is a forward difference, whose error shrinks only as h: use the central "
                              f"difference (f(x + h e_i) - f(x - h e_i)) / (2 * h)")
            compare(what, np.array(got), np.array(grad[i]))
    x_int = np.array([3, 4])
    for i, expected in [(0, 18.0), (1, 9.0)]:  # f = x0**2 + 3 x0 x1: the partials are 2 x0 + 3 x1 and 3 x0
        what = f"partial(f, x, {i}) for the integer x = np.array([3, 4])"
        got = number(what, call(what, partial, lambda v: v[0] ** 2 + 3 * v[0] * v[1], x_int, i))
        if not np.array_equal(x_int, [3, 4]):
            raise Failure(f"{what} changed x to {x_int.tolist()}: leave the caller's x as it was")
        if not close(got, expected, 1e-6):
            raise Failure(f"{what} is {got:.4g}, expected {expected:.4g}: an integer array cannot hold x[i] + h "
                          f"(3 + 1e-4 is stored as 3), so work on a float copy, np.asarray(x, dtype=float)")


DIRECTIONAL_STARTER = """\
import numpy as np


def directional_derivative(f, x, u):
    \"\"\"The slope of f at the point x in the direction of u, which need not have length 1.

    Only where u points counts, not how long it is. Leave x and u as they were.
    \"\"\"
    raise NotImplementedError("not implemented yet")
"""

DIRECTIONAL = """\
import numpy as np


def directional_derivative(f, x, u):
    \"\"\"The slope of f at the point x in the direction of u: the gradient of f dotted with u / |u|.\"\"\"
    h = 1e-4
    u = np.asarray(u, dtype=np.float64)
    u = u / np.linalg.norm(u)  # a unit vector: the direction of u without its length
    return (f(x + h * u) - f(x - h * u)) / (2 * h)  # a central difference along u
"""


def function_oval(x: np.ndarray) -> float:
    """The chapter's stretched bowl, x0**2 + 2 * x1**2."""
    return float(x[0] ** 2 + 2 * x[1] ** 2)


def test_directional(directional_derivative: Any) -> None:
    rng = np.random.default_rng(3)
    f, x = coupled((3,), seed=5)
    cases = [(f, x, rng.normal(size=3) * 3, "a cubic f at a random x and a random u")]
    cases.append((function_oval, np.array([2.0, 1.0]), np.array([-1.0, -1.0]),
                  "x0**2 + 2 * x1**2 at (2, 1) along u = (-1, -1)"))
    for f, x, u, case in cases:
        x_before, u_before = x.copy(), u.copy()
        what = f"directional_derivative(f, x, u) for {case}"
        got = call(what, directional_derivative, f, x, u)
        for name, value, before in [("u", u, u_before), ("x", x, x_before)]:
            if not np.array_equal(value, before):
                raise Failure(f"{what} changed its input {name}: an in-place operation ({name} /= ..., {name} += ...) "
                              f"writes into the caller's array; make a new one, {name} = {name} / ...")
        got = number(what, got)
        length = np.linalg.norm(u)
        expected = reference(f, x.copy()) @ (u / length)  # grad f . u / |u|
        if close(got, expected, 1e-6):
            continue
        if close(got, expected * length, 1e-6):
            raise Failure(f"{what} is {got:.4g}: it depends on the length of u ({length:.4g}). Divide u by its length "
                          f"np.linalg.norm(u), so that only its direction counts")
        if close(got, expected / length, 1e-6):
            raise Failure(f"{what} is {got:.4g}: u was divided by its squared length u @ u; a unit vector is "
                          f"u / np.linalg.norm(u)")
        if close(got, -expected, 1e-6):
            raise Failure(f"{what} is {got:.4g}: it has the wrong sign. Moving along u, f changes by "
                          f"f(x + h u) - f(x - h u)")
        compare(what, np.array(got), np.array(expected), tol=1e-6,
                note="It is the gradient dotted with the unit vector u / np.linalg.norm(u)")
    what = "directional_derivative(f, x, u) for x0**2 + 2 * x1**2 at (2, 1) along the contour line u = (-1, 1)"
    got = number(what, call(what, directional_derivative, function_oval, np.array([2.0, 1.0]), np.array([-1.0, 1.0])))
    if abs(got) > 1e-6:
        raise Failure(f"{what} is {got:.4g}, expected 0: along a contour line f does not change")


DESCENT_ANGLE_STARTER = """\
import numpy as np

# On f(x0, x1) = x0**2 + 2 * x1**2, gradient descent at the point (1, 2) moves along -grad f.
# By how many degrees does that direction miss the direction from (1, 2) to the minimum (0, 0)?
answer = None  # a number of degrees; NumPy is fine for the arithmetic
"""

DESCENT_ANGLE = """\
import numpy as np

# f = x0**2 + 2 * x1**2 has the gradient (2 x0, 4 x1), which is (2, 8) at (1, 2)
downhill = -np.array([2.0, 8.0])  # -grad f: the way descent goes
to_minimum = -np.array([1.0, 2.0])  # from (1, 2) to (0, 0)
cosine = downhill @ to_minimum / (np.linalg.norm(downhill) * np.linalg.norm(to_minimum))
answer = np.degrees(np.arccos(cosine))
"""


def angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1))))


def test_descent_angle(answer: Any) -> None:
    if answer is None:
        raise NotImplementedError
    got = number("answer", answer)
    point = np.array([1.0, 2.0])
    expected = angle(-reference(function_oval, point.copy()), -point)
    if abs(got - expected) <= 0.01:
        return
    if abs(got) <= 0.01:
        raise Failure("answer = 0 degrees says -grad f points straight at the minimum, which holds on the round "
                      "bowl only. Here the partial derivative by x1 of 2 * x1**2 is 4 * x1")
    if abs(got - np.radians(expected)) <= 1e-4:
        raise Failure(f"answer = {got:.4g} is in radians (np.arccos returns radians): convert with np.degrees")
    if abs(got - (180 - expected)) <= 0.01:
        raise Failure(f"answer = {got:.4g} degrees is the angle of +grad f: descent goes along -grad f")
    raise Failure(f"answer = {got:.4g} degrees is not the angle between -grad f at (1, 2) and the direction "
                  f"(-1, -2) to the minimum (to within 0.01 degrees): find the gradient, then the angle from "
                  f"the cosine a @ b / (|a| |b|)")


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
            Mutant("the sign flipped", (("(f_plus - f_minus)", "(f_minus - f_plus)"),), says="minus the gradient"),
            Mutant("the second evaluation at x", (("        x[idx] = original - h\n", "        x[idx] = original\n"),),
                   says="second evaluation is at x, not at x - h"),
        ),
    ),
    Exercise(
        id="partial-derivative", chapter="gradients", title="A partial derivative",
        name="partial", signature="partial(f, x, i, h=1e-4)",
        starter=PARTIAL_STARTER, solution=PARTIAL, test=test_partial,
        what="the partial derivative by each entry of a point of shape (3,) and by two of shape (2, 2), x left "
             "as it was, and an integer x",
        hints=("Make a vector e of zeros shaped like x with h in entry i: x + e moves x[i] alone.",
               "The partial derivative is (f(x + e) - f(x - e)) / (2 * h), a central difference in x[i] only.",
               "An integer x cannot hold x[i] + h: start with x = np.asarray(x, dtype=np.float64), and e from "
               "np.zeros_like(x) will be float too."),
        mutants=(
            Mutant("every entry moved", (("    e = np.zeros_like(x)\n    e[i] = h  # nudge x[i] alone: the other "
                                          "entries stay frozen\n", "    e = np.full_like(x, h)\n"),),
                   says="every entry"),
            Mutant("always x[0]", (("e[i] = h", "e[0] = h"),), says="whatever i is"),
            Mutant("an integer x kept", (("    x = np.asarray(x, dtype=np.float64)  # an integer array could not "
                                          "hold x[i] + h\n", ""),), says="integer array"),
            Mutant("a forward difference", (("(f(x + e) - f(x - e)) / (2 * h)", "(f(x + e) - f(x)) / h"),),
                   says="forward difference"),
        ),
    ),
    Exercise(
        id="directional-derivative", chapter="gradients", title="The slope along a direction",
        name="directional_derivative", signature="directional_derivative(f, x, u)",
        starter=DIRECTIONAL_STARTER, solution=DIRECTIONAL, test=test_directional,
        what="the gradient dotted with u / |u| for a cubic and for the chapter's stretched bowl, 0 along a "
             "contour line, x and u left as they were",
        hints=("Only the direction of u counts: divide it by its length, np.linalg.norm(u), to get a unit vector.",
               "Along a unit vector u the slope is a central difference in the step t: "
               "(f(x + h * u) - f(x - h * u)) / (2 * h).",
               "Or take the gradient (numerical_gradient) and its dot product with the unit vector; "
               "write u = u / np.linalg.norm(u), not u /= ..., which would change the caller's u."),
        mutants=(
            Mutant("u not normalized", (("    u = u / np.linalg.norm(u)  # a unit vector: the direction of u "
                                         "without its length\n", ""),), says="length of u"),
            Mutant("divided by the squared length", (("u / np.linalg.norm(u)", "u / (u @ u)"),),
                   says="squared length"),
            Mutant("u normalized in place", (("    u = u / np.linalg.norm(u)", "    u /= np.linalg.norm(u)"),),
                   says="changed its input u"),
            Mutant("the wrong sign", (("(f(x + h * u) - f(x - h * u))", "(f(x - h * u) - f(x + h * u))"),),
                   says="wrong sign"),
        ),
    ),
    Exercise(
        id="descent-angle", chapter="gradients", title="Downhill is not toward the minimum",
        name="answer", signature="answer = the angle in degrees", kind="derive",
        starter=DESCENT_ANGLE_STARTER, solution=DESCENT_ANGLE, test=test_descent_angle,
        what="the angle between -grad f at (1, 2) and the direction to the minimum of x0**2 + 2 * x1**2, to "
             "0.01 degrees",
        hints=("The gradient of x0**2 + 2 * x1**2 is (2 * x0, 4 * x1); descent goes along minus it.",
               "The minimum is at (0, 0), so from (1, 2) its direction is (-1, -2).",
               "The angle between a and b is np.degrees(np.arccos(a @ b / (np.linalg.norm(a) * "
               "np.linalg.norm(b))))."),
        mutants=(
            Mutant("in radians", (("answer = np.degrees(np.arccos(cosine))", "answer = np.arccos(cosine)"),),
                   says="radians"),
            Mutant("+grad f", (("downhill = -np.array([2.0, 8.0])", "downhill = np.array([2.0, 8.0])"),),
                   says="+grad f"),
            Mutant("the derivative of 2 x1**2 taken as 2 x1", (("np.array([2.0, 8.0])", "np.array([2.0, 4.0])"),),
                   says="round bowl only"),
        ),
    ),
]
