"""Exercises of chapter 3, "Gradient descent" (``docs/gradient-descent.md``)."""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare, number
from dlfs.optim import gradient_descent as dlfs_gradient_descent

GRADIENT_DESCENT_STARTER = '''\
import numpy as np
from dlfs.numerical import numerical_gradient  # chapter 2's (or your own)


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """Minimize f from init_x: step_num steps of x <- x - lr * grad f(x); return the last x.

    Leave init_x as it was (it may be an integer array, as np.array([-3, 4]) is).
    """
    raise NotImplementedError("not implemented yet")
'''

GRADIENT_DESCENT = '''\
import numpy as np
from dlfs.numerical import numerical_gradient  # chapter 2's (or your own)


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """Minimize f from init_x: step_num steps of x <- x - lr * grad f(x); return the last x."""
    x = np.array(init_x, dtype=np.float64)  # a float copy: the caller's init_x stays as it was
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)  # a step against the gradient, downhill
    return x
'''


def reference(f: Any, init_x: np.ndarray, lr: float = 0.01, step_num: int = 100) -> np.ndarray:
    """Where dlfs's gradient_descent ends."""
    return np.asarray(dlfs_gradient_descent(f, init_x, lr, step_num))


def reference_path(f: Any, init_x: np.ndarray, lr: float, step_num: int) -> tuple[np.ndarray, np.ndarray]:
    """Where dlfs's gradient_descent ends, and its path."""
    x, path = dlfs_gradient_descent(f, init_x, lr, step_num, return_path=True)
    return x, path


def bowl(shape: tuple[int, ...], seed: int) -> tuple[Any, np.ndarray]:
    """A bowl with a quartic term (so its gradient is not linear), and a start."""
    rng = np.random.default_rng(seed)
    a, c = rng.uniform(0.5, 2.0, shape), rng.uniform(-1, 1, shape)
    return (lambda v: float(np.sum(a * (v - c) ** 2) + 0.1 * np.sum(v**4))), rng.uniform(-2, 2, shape)


def check_defaults(fn: Any, defaults: dict[str, Any], signature: str) -> None:
    """The defaults of `fn`'s arguments are the book's (100 steps of a run would cost more than the rest)."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # no signature to read: nothing to check
        return
    for name, default in defaults.items():
        if name not in parameters:
            raise Failure(f"it has no argument {name}: the book's signature is {signature}")
        if parameters[name].default != default:
            got = "no default" if parameters[name].default is inspect.Parameter.empty else parameters[name].default
            raise Failure(f"{name} should default to {default}, as in {signature}; it has {got}")


def test_gradient_descent(gradient_descent: Any) -> None:
    for shape, lr, step_num in [((3,), 0.05, 7), ((2, 2), 0.1, 4)]:
        f, init_x = bowl(shape, seed=len(shape))
        before = init_x.copy()
        what = f"gradient_descent(f, init_x, lr={lr}, step_num={step_num}) for init_x of shape {shape}"
        got = call(what, gradient_descent, f, init_x, lr=lr, step_num=step_num)
        if not np.array_equal(init_x, before):
            raise Failure(f"init_x was changed by {what}: x = init_x names the same array, and x -= ... writes "
                          f"into it. Start from a copy, x = np.array(init_x, dtype=float)")
        got = array(what, got, shape)
        expected = reference(f, before, lr, step_num)
        if close(got, expected):
            continue
        if close(got, reference(lambda v, f=f: -f(v), before, lr, step_num), 1e-6):
            raise Failure(f"{what} climbs: that is gradient ascent, x + lr * grad. Descent steps against the "
                          f"gradient, x -= lr * grad")
        if close(got, reference(f, before, 0.01, step_num), 1e-6):
            raise Failure(f"{what} gives what lr=0.01 gives: it ignores lr. Multiply the gradient by the lr "
                          f"you are given")
        for k in (step_num - 1, step_num + 1):
            if close(got, reference(f, before, lr, k), 1e-6):
                raise Failure(f"{what} took {k} steps, not step_num = {step_num}: loop with "
                              f"for _ in range(step_num)")
        compare(f"{what}: x", got, expected)
    check_defaults(gradient_descent, {"lr": 0.01, "step_num": 100},
                   "gradient_descent(f, init_x, lr=0.01, step_num=100)")

    def function_2(x: np.ndarray) -> float:
        return float(x[0] ** 2 + x[1] ** 2)

    start = np.array([-3, 4], dtype=np.int64)  # NumPy's default integer, 32 bits in WebAssembly: the same message
    what = "gradient_descent(function_2, np.array([-3, 4]), lr=0.1, step_num=10)"
    integer = ("An integer array cannot hold the steps: start from a float copy, "
               "x = np.array(init_x, dtype=float)")
    try:
        got = call(what, gradient_descent, function_2, start, lr=0.1, step_num=10)
    except Failure as failure:
        raise Failure(f"{failure}. {integer}") from None
    if not np.array_equal(start, [-3, 4]):
        raise Failure(f"{what} changed init_x to {start.tolist()}: leave the caller's init_x as it was")
    got = array(what, got, (2,))
    compare(f"{what}: x", got, reference(function_2, start, 0.1, 10), note=integer)


PATH_STARTER = '''\
import numpy as np
from dlfs.numerical import numerical_gradient  # chapter 2's (or your own)


def gradient_descent(f, init_x, lr=0.01, step_num=100, return_path=False):
    """Minimize f from init_x; with return_path=True return x and every point visited.

    The path is an array with one row per point, init_x first and the last x
    last: step_num + 1 rows. Without return_path, return x alone.
    """
    raise NotImplementedError("not implemented yet")
'''

PATH = '''\
import numpy as np
from dlfs.numerical import numerical_gradient  # chapter 2's (or your own)


def gradient_descent(f, init_x, lr=0.01, step_num=100, return_path=False):
    """Minimize f from init_x; with return_path=True return x and every point visited."""
    x = np.array(init_x, dtype=np.float64)  # a float copy: init_x stays as it was
    path = [x.copy()]
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
        path.append(x.copy())  # a copy: the next step changes x in place
    return (x, np.array(path)) if return_path else x
'''


def test_path(gradient_descent: Any) -> None:
    for shape, lr, step_num in [((2,), 0.1, 6), ((2, 2), 0.05, 3)]:
        f, init_x = bowl(shape, seed=len(shape) + 2)
        before = init_x.copy()
        what = (f"gradient_descent(f, init_x, lr={lr}, step_num={step_num}, return_path=True) "
                f"for init_x of shape {shape}")
        result = call(what, gradient_descent, f, init_x, lr=lr, step_num=step_num, return_path=True)
        if not np.array_equal(init_x, before):
            raise Failure(f"init_x was changed by {what}: start from a copy, x = np.array(init_x, dtype=float)")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Failure(f"{what} should return two things, x and the path: return x, np.array(path)")
        if isinstance(result[1], (list, tuple)):
            raise Failure(f"the path of {what} is a Python {type(result[1]).__name__}: return it as an array with "
                          f"one row per point, np.array(path), so that path[:, 0] is the first coordinate of every "
                          f"point")
        x, path = array(f"the x of {what}", result[0], shape), array(f"the path of {what}", result[1])
        expected_x, expected = reference_path(f, before, lr, step_num)
        rows = step_num + 1
        if path.shape == (step_num, *shape):
            lacks = "the final point" if close(path[0], before) else "init_x"
            raise Failure(f"the path has {step_num} rows for step_num = {step_num}, and lacks {lacks}: it should "
                          f"start with init_x and hold every point after it, step_num + 1 = {rows} rows")
        path = array(f"the path of {what}", path, (rows, *shape))
        if not close(expected[1], expected[-1]) and (path[1:] == path[-1]).all():
            raise Failure("every row of the path after the first is the final point: path.append(x) stores the "
                          "same array each time, which x -= ... keeps changing. Append a copy, x.copy()")
        if not close(path[-1], x):
            raise Failure("the last row of the path is not the x it returns: append each point after its step, "
                          "so that the path ends with the final x")
        compare(f"{what}: x", x, expected_x)
        compare(f"the path of {what}: path", path, expected, note="path[k] is the point after k steps")
    f, init_x = bowl((2,), seed=4)
    what = "gradient_descent(f, init_x, lr=0.1, step_num=3) without return_path"
    got = call(what, gradient_descent, f, init_x, lr=0.1, step_num=3)
    if isinstance(got, (tuple, list)):
        raise Failure(f"{what} returned {len(got)} things: without return_path=True it should return x alone")
    compare(f"{what}: x", array(what, got, (2,)), reference(f, init_x, 0.1, 3))


STEPS_STARTER = '''\
import numpy as np


def steps_needed(lr, tol):
    """How many steps gradient descent on x0**2 + x1**2 takes from (-3, 4) to get closer than tol to (0, 0).

    The learning rate lr is between 0 and 1 (but not 0.5). Work it out from
    what one step does to x, rather than by running the descent, and return
    an int. Closer means strictly: a distance equal to tol is not closer.
    """
    raise NotImplementedError("not implemented yet")
'''

STEPS = '''\
import numpy as np


def steps_needed(lr, tol):
    """How many steps gradient descent on x0**2 + x1**2 takes from (-3, 4) to get closer than tol to (0, 0)."""
    # the gradient is 2x, so a step multiplies x by 1 - 2 lr, and after k steps the distance is
    # 5 * |1 - 2 lr|**k: the smallest whole k with 5 * factor**k < tol
    factor = abs(1 - 2 * lr)
    k = int(np.ceil(np.log(tol / 5) / np.log(factor)))
    if 5 * factor**k >= tol:  # the ratio was whole: after k steps the distance is tol itself, not below it
        k += 1
    return k
'''


def distances(lr: float, steps: int, tol: float = 0.0) -> list[float]:
    """The distance to the minimum of x0**2 + x1**2 after 0, 1, ..., `steps` steps from (-3, 4).

    Each step is x <- x - lr * 2x (the gradient is 2x), in plain floats to be
    quick; the list stops early once a distance is below `tol`.
    """
    x0, x1, out = -3.0, 4.0, [5.0]
    for _ in range(steps):
        if out[-1] < tol:
            break
        x0, x1 = x0 - lr * 2 * x0, x1 - lr * 2 * x1
        out.append(math.sqrt(x0 * x0 + x1 * x1))
    return out


def first_below(lr: float, tol: float) -> int:
    """How many steps it takes, counted by running the descent."""
    return len(distances(lr, 2000, tol)) - 1


def test_steps_needed(steps_needed: Any) -> None:
    # 5 / 1024 = 5 * 0.5**10: for lr = 0.25 the distance after 10 steps is exactly tol, so it takes 11
    for lr, tol in [(0.1, 1e-3), (0.1, 1e-6), (0.01, 0.5), (0.3, 1e-4), (0.45, 1e-8), (0.7, 1e-2), (0.25, 5 / 1024)]:
        what = f"steps_needed({lr}, {tol:.10g})"
        negative = (f"For lr = {lr} the factor 1 - 2 lr is negative: x changes sign at every step while the "
                    f"distance shrinks by |1 - 2 lr| (and np.log of a negative number is nan)")
        try:
            with np.errstate(all="ignore"):
                raw = call(what, steps_needed, lr, tol)
                k = number(what, raw)
        except Failure as failure:
            raise Failure(f"{failure}. {negative}" if lr > 0.5 else str(failure)) from None
        if k != int(k) or k < 0:
            raise Failure(f"{what} = {k:.4g}: a number of steps is a whole number >= 0 (round up, np.ceil)")
        if not isinstance(raw, (int, np.integer)):
            raise Failure(f"{what} returned {k!r}, a {type(raw).__name__}: a number of steps is an int, and np.ceil "
                          f"returns a float. Return int(...)")
        k, right = int(k), first_below(lr, tol)
        if k == right:
            continue
        if k > 2000:
            raise Failure(f"{what} = {k}, but the distance is already {distances(lr, right)[right]:.4g} < {tol:.10g} "
                          f"after {right} steps")
        if k == int(np.ceil(np.log(tol / 5) / np.log(1 - lr))):
            raise Failure(f"{what} = {k} counts steps that multiply x by 1 - lr: the gradient of x0**2 + x1**2 "
                          f"is 2x, so a step multiplies x by 1 - 2 lr")
        if k == int(np.ceil(np.log(tol) / np.log(abs(1 - 2 * lr)))):
            raise Failure(f"{what} = {k} counts from a distance of 1: (-3, 4) starts 5 away from the minimum, "
                          f"so solve 5 * |1 - 2 lr|**k < tol")
        d = distances(lr, k)
        if d[k] == tol:
            raise Failure(f"{what} = {k}, but after {k} steps the distance is exactly tol, {tol:.10g}, which is not "
                          f"closer than tol: log(tol / 5) / log(|1 - 2 lr|) is the whole number {k} here, and the "
                          f"answer is the first whole number above it, {k + 1} (np.ceil gives the ratio itself)")
        if d[k] >= tol:
            raise Failure(f"{what} = {k}, but after {k} steps the distance is still {d[k]:.4g}, not below {tol:.10g}"
                          + (": round up (np.ceil), a step cannot be taken in part" if k == right - 1 else ""))
        raise Failure(f"{what} = {k}, but the distance is already {d[right]:.4g} < {tol:.10g} after {right} steps"
                      + (f". {negative}" if lr > 0.5 else ""))


LR_LIMIT_STARTER = '''\
import numpy as np


def lr_limit(a):
    """The learning rate below which gradient descent on x0**2 + a * x1**2 converges from every start.

    a > 0. Work out what one step does to x0 and to x1: each is multiplied
    by a factor, and both factors must stay between -1 and 1.
    """
    raise NotImplementedError("not implemented yet")
'''

LR_LIMIT = '''\
import numpy as np


def lr_limit(a):
    """The learning rate below which gradient descent on x0**2 + a * x1**2 converges from every start."""
    # the gradient is (2 x0, 2 a x1): a step multiplies x0 by 1 - 2 lr and x1 by 1 - 2 a lr,
    # and |1 - 2 c lr| < 1 means 0 < lr < 1 / c: the steeper direction sets the limit
    return min(1.0, 1 / a)
'''


def final_distance(a: float, lr: float, steps: int = 200) -> float:
    """The distance to the minimum of x0**2 + a * x1**2 after `steps` steps from (-3, 4) (nan counts as far).

    Each step is x <- x - lr * (2 x0, 2 a x1), the gradient, in plain floats to be quick.
    """
    x0, x1 = -3.0, 4.0
    for _ in range(steps):
        x0, x1 = x0 - lr * 2 * x0, x1 - lr * 2 * a * x1
    distance = math.sqrt(x0 * x0 + x1 * x1)  # inf - inf is nan, which overflowed
    return distance if math.isfinite(distance) else math.inf


def test_lr_limit(lr_limit: Any) -> None:
    for a in (1.0, 3.0, 10.0, 0.5):
        what = f"lr_limit({a:g})"
        limit = number(what, call(what, lr_limit, a))
        if limit <= 0:
            raise Failure(f"{what} = {limit:.4g}: a learning rate is a number > 0")
        below, above = final_distance(a, 0.98 * limit), final_distance(a, 1.02 * limit)
        if below < 0.01 and above > 500:  # converges 2% below the limit, diverges 2% above it
            continue
        steepest = max(1.0, a)
        if a < 1 and close(limit, 1 / a, 1e-9):
            raise Failure(f"{what} = {limit:.4g} is 1 / a, but for a = {a:g} the x0 direction is the steeper one: "
                          f"the limit is set by the steeper of the two directions, min(1, 1 / a)")
        if a > 1 and close(limit, 1.0, 1e-9):
            raise Failure(f"{what} = {limit:.4g} is the round bowl's limit: along x1 the bowl is {a:g} times "
                          f"steeper, and a step multiplies x1 by 1 - 2 a lr")
        if close(limit, 0.5 / steepest, 1e-9):
            raise Failure(f"{what} = {limit:.4g} is the learning rate that reaches the minimum in one step along the "
                          f"steeper direction (its factor is 0). Above it the point overshoots and jumps from side to "
                          f"side, but still converges while the factor stays above -1")
        if close(limit, 2 / steepest, 1e-9):
            raise Failure(f"{what} = {limit:.4g} is twice the limit: the gradient of a * x1**2 is 2 a x1, so a step "
                          f"multiplies x1 by 1 - 2 a lr")
        if below >= 0.01:
            raise Failure(f"{what} = {limit:.4g}, but 2% below it, at lr = {0.98 * limit:.4g}, descent from (-3, 4) "
                          f"does not converge: after 200 steps the distance is {below:.4g}. The limit is smaller")
        raise Failure(f"{what} = {limit:.4g}, but 2% above it, at lr = {1.02 * limit:.4g}, descent from (-3, 4) "
                      f"still does not diverge: after 200 steps the distance is {above:.4g}. The limit is larger")


EXERCISES = [
    Exercise(
        id="gradient-descent", chapter="gradient-descent", title="Gradient descent",
        name="gradient_descent", signature="gradient_descent(f, init_x, lr=0.01, step_num=100)",
        starter=GRADIENT_DESCENT_STARTER, solution=GRADIENT_DESCENT, test=test_gradient_descent,
        needs=("numerical-gradient",),
        what="the last point against dlfs.optim.gradient_descent for starts of shapes (3,) and (2, 2), the default "
             "lr and step_num, an integer start, and init_x left as it was",
        hints=("Start from a float copy of init_x, then repeat step_num times: x -= lr * numerical_gradient(f, x).",
               "x = init_x would name the caller's array, and x -= ... would then write into it: "
               "np.array(init_x, dtype=float) makes a new float array.",
               "for _ in range(step_num) takes exactly step_num steps; return x after the loop."),
        mutants=(
            Mutant("init_x changed in place", (("    x = np.array(init_x, dtype=np.float64)  # a float copy: the "
                                                "caller's init_x stays as it was", "    x = init_x"),),
                   says="init_x was changed"),
            Mutant("an integer start kept", (("np.array(init_x, dtype=np.float64)", "init_x.copy()"),),
                   says="integer array"),
            Mutant("an integer start kept, as np.array(init_x)", (("np.array(init_x, dtype=np.float64)",
                                                                  "np.array(init_x)"),),
                   says="of your code: x -= lr * numerical_gradient(f, x)"),
            Mutant("gradient ascent", (("x -= lr *", "x += lr *"),), says="gradient ascent"),
            Mutant("lr ignored", (("x -= lr * numerical_gradient", "x -= 0.01 * numerical_gradient"),),
                   says="ignores lr"),
            Mutant("one step too few", (("range(step_num)", "range(step_num - 1)"),), says="steps, not step_num"),
            Mutant("one step too many", (("range(step_num)", "range(step_num + 1)"),), says="steps, not step_num"),
            Mutant("a default lr of 0.1", (("lr=0.01, step_num=100):", "lr=0.1, step_num=100):"),),
                   says="lr should default to 0.01"),
        ),
    ),
    Exercise(
        id="descent-path", chapter="gradient-descent", title="The path of gradient descent",
        name="gradient_descent", signature="gradient_descent(f, init_x, lr=0.01, step_num=100, return_path=False)",
        starter=PATH_STARTER, solution=PATH, test=test_path, needs=("gradient-descent",),
        what="x and the path, an array with init_x first and step_num + 1 rows, against "
             "dlfs.optim.gradient_descent for starts of shapes (2,) and (2, 2), and x alone without return_path",
        hints=("Keep a list of points that starts with the first x, and append x after each step.",
               "x -= ... changes x in place: path.append(x) would store the same array every time. "
               "Append x.copy().",
               "Return x, np.array(path) when return_path is true, and x alone otherwise."),
        mutants=(
            Mutant("the same array appended", (("path.append(x.copy())", "path.append(x)"),), says="x.copy()"),
            Mutant("the start missing", (("path = [x.copy()]", "path = []"),), says="start with init_x"),
            Mutant("appended before the step", (("        x -= lr * numerical_gradient(f, x)\n"
                                                 "        path.append(x.copy())",
                                                 "        path.append(x.copy())\n"
                                                 "        x -= lr * numerical_gradient(f, x)"),),
                   says="after its step"),
            Mutant("always the path", (("return (x, np.array(path)) if return_path else x",
                                        "return x, np.array(path)"),), says="x alone"),
            Mutant("the path as a list", (("return (x, np.array(path)) if return_path else x",
                                           "return (x, path) if return_path else x"),), says="np.array(path)"),
        ),
    ),
    Exercise(
        id="steps-needed", chapter="gradient-descent", title="How many steps to the minimum",
        name="steps_needed", signature="steps_needed(lr, tol)", kind="derive",
        starter=STEPS_STARTER, solution=STEPS, test=test_steps_needed,
        what="the first step closer than tol to the minimum, counted by running the descent, for seven pairs "
             "of lr and tol, lr = 0.7 among them and one where a distance is exactly tol, and an int returned",
        hints=("The gradient of x0**2 + x1**2 is 2x, so one step turns x into (1 - 2 lr) x.",
               "After k steps the distance is 5 * |1 - 2 lr|**k (the start (-3, 4) is 5 away): solve "
               "5 * |1 - 2 lr|**k < tol for k with logarithms.",
               "k > log(tol / 5) / log(|1 - 2 lr|) (the log of a number below 1 is negative, which flips the "
               "inequality): the answer is the first whole number above that ratio, int(np.ceil(...)), plus one "
               "when the ratio is itself whole (the distance is then exactly tol, not below it)."),
        mutants=(
            Mutant("rounded down", (("int(np.ceil(np.log(tol / 5) / np.log(factor)))",
                                     "int(np.log(tol / 5) / np.log(factor))"),
                                    ("    if 5 * factor**k >= tol:", "    if False:")), says="round up"),
            Mutant("a factor 1 - lr", (("abs(1 - 2 * lr)", "abs(1 - lr)"),), says="1 - lr"),
            Mutant("from a distance of 1", (("tol / 5", "tol"), ("if 5 * factor**k >=", "if factor**k >=")),
                   says="5 away"),
            Mutant("no absolute value", (("abs(1 - 2 * lr)", "(1 - 2 * lr)"),), says="negative"),
            Mutant("np.ceil of a whole ratio", (("    if 5 * factor**k >= tol:", "    if False:"),),
                   says="exactly tol"),
            Mutant("a float", (("int(np.ceil(np.log(tol / 5) / np.log(factor)))", "np.ceil(np.log(tol / 5) / "
                                "np.log(factor))"),), says="np.ceil returns a float"),
        ),
    ),
    Exercise(
        id="lr-limit", chapter="gradient-descent", title="The largest learning rate that converges",
        name="lr_limit", signature="lr_limit(a)", kind="derive",
        starter=LR_LIMIT_STARTER, solution=LR_LIMIT, test=test_lr_limit,
        what="descent on x0**2 + a * x1**2 from (-3, 4) converges 2% below your limit and diverges 2% above it, "
             "for a = 1, 3, 10 and 0.5",
        hints=("The gradient of x0**2 + a * x1**2 is (2 x0, 2 a x1): one step multiplies x0 by 1 - 2 lr and x1 by "
               "1 - 2 a lr.",
               "A coordinate shrinks when its factor is between -1 and 1: |1 - 2 c lr| < 1 means 0 < lr < 1 / c.",
               "Both coordinates must shrink, so the steeper direction decides: min(1, 1 / a)."),
        mutants=(
            Mutant("the one-step learning rate", (("return min(1.0, 1 / a)", "return min(0.5, 0.5 / a)"),),
                   says="one step"),
            Mutant("the 2 of the gradient forgotten", (("return min(1.0, 1 / a)", "return min(2.0, 2 / a)"),),
                   says="2 a x1"),
            Mutant("only x1 counted", (("return min(1.0, 1 / a)", "return 1 / a"),), says="steeper"),
            Mutant("a ignored", (("return min(1.0, 1 / a)", "return 1.0"),), says="round bowl"),
        ),
    ),
]
