"""Exercises of chapter 6, "Gradient check" (``docs/gradient-check.md``).

The checks build small `dlfs.nets.TwoLayerNet` networks (3 inputs, 4 hidden
units, 3 classes, 3 examples: 31 parameters, 62 loss evaluations for a
numerical gradient) and plant bugs in copies of them, so a whole check runs
in milliseconds. The reference for every number is `dlfs.gradcheck`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare
from dlfs.gradcheck import REL_FLOOR, format_error
from dlfs.gradcheck import gradient_check as reference_check
from dlfs.layers import Relu
from dlfs.nets import TwoLayerNet

# ------------------------------------------------------------------ the networks the checks use


def small_net() -> TwoLayerNet:
    """A 3-4-3 network whose last hidden unit never fires (its gradients are exactly 0, both ways)."""
    return buggy(None)


def small_batch(scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Three examples for `small_net`: no hidden input within 0.1 of ReLU's kink (for scale 1)."""
    return scale * np.random.default_rng(6).standard_normal((3, 3)), np.array([0, 2, 1])


class ForgetsToAverageB2(TwoLayerNet):
    """A planted bug: b2's gradient summed over the batch but not divided by N."""

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        loss, grads = super().loss_and_gradient(x, t)
        return loss, {**grads, "b2": grads["b2"] * len(x)}


class DoublesW1(TwoLayerNet):
    """A planted bug: W1's gradient counted twice."""

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        loss, grads = super().loss_and_gradient(x, t)
        return loss, {**grads, "W1": 2 * grads["W1"]}


class LeakyEverywhere(Relu):
    """A planted bug: ReLU's backward lets the gradient through everywhere, as if it were the identity."""

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.copy()


def buggy(kind: str | None) -> TwoLayerNet:
    """`small_net`'s weights with one planted bug: "b2", "relu" or "W1" (None: no bug)."""
    cls = {"b2": ForgetsToAverageB2, "W1": DoublesW1}.get(str(kind), TwoLayerNet)
    net = cls(3, 4, 3, weight_init_std=0.5, seed=6)
    net.params["b1"][3] = -10.0
    if kind == "relu":
        net.layers["Relu1"] = LeakyEverywhere()
    if kind == "W1":  # it sees inputs of size 1e-4: keep every hidden input far from ReLU's kink at 0
        net.params["b1"][:3] = 0.3
    return net


@functools.cache
def expected_errors(kind: str) -> dict[str, float]:
    """The page's max relative errors of `buggy(kind)` on `small_batch()`, computed once."""
    return {key: r.max_rel_error for key, r in reference_check(buggy(kind), *small_batch()).items()}


# ------------------------------------------------------------------ relative-error

RELATIVE_ERROR_STARTER = '''\
import numpy as np


def relative_error(a, b):
    """The largest relative error between two arrays of one shape, as one number.

    Entry by entry |a - b| / max(|a|, |b|, 1e-8): the floor 1e-8 keeps two
    gradients that are both (almost) 0 from dividing by 0. Return the largest.
    """
    raise NotImplementedError("not implemented yet")
'''

RELATIVE_ERROR = '''\
import numpy as np


def relative_error(a, b):
    """The largest relative error between two arrays of one shape, as one number."""
    diff = np.abs(a - b)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)  # never divide by (almost) 0
    return float(np.max(diff / scale))
'''


def page_errors(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The page's relative error, entry by entry: ``|a - b| / max(|a|, |b|, REL_FLOOR)``."""
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), REL_FLOOR)


def relative_error_mistake(got: float, a: np.ndarray, b: np.ndarray) -> str | None:
    """The known mistake `got` matches for the arrays a and b, if any."""
    with np.errstate(all="ignore"):
        variants = {
            "it is the mean of the relative errors: report the largest, np.max(...), where a wrong entry shows":
                np.mean(page_errors(a, b)),
            "it divides by |a| + |b| (the form of CS231n's assignments); this page divides by the larger of the "
            "two, max(|a|, |b|, 1e-8)": np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), REL_FLOOR)),
            "it takes a - b without its absolute value: a difference counts whatever its sign, np.abs(a - b)":
                np.max((a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), REL_FLOOR)),
            "it divides by max(a, b) without absolute values: for negative gradients that is the floor (or "
            "negative); use max(|a|, |b|, 1e-8)": np.max(np.abs(a - b) / np.maximum(np.maximum(a, b), REL_FLOOR)),
        }
    for message, value in variants.items():
        if np.isfinite(value) and close(np.asarray(got), np.asarray(value), 1e-9):
            return message
    return None


# max(|a|, |b|) + 1e-8, the floor added rather than taken as a maximum, is as good a guard against 0 / 0: it
# differs from the page's form by about 1e-8 / max(|a|, |b|) relatively, well within this tolerance
RELATIVE_ERROR_TOL = 1e-6


def test_relative_error(relative_error: Any) -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4))
    b = a + 0.01 * rng.normal(size=(3, 4))
    b[1, 2] = -a[1, 2]  # one entry with the wrong sign: it sets the maximum
    a[0] *= -1.0
    b[0] = 1.5 * a[0]  # a negative row: max(a, b) without |.| is the floor there
    cases = [("for two arrays of shape (3, 4)", a, b),
             ("for a = [-2, -1, 3] and b = [-1, -1.2, 3]", np.array([-2.0, -1.0, 3.0]), np.array([-1.0, -1.2, 3.0])),
             ("for two arrays of shape (2, 5)", rng.normal(size=(2, 5)), rng.normal(size=(2, 5)))]
    for what, a, b in cases:
        before = (a.copy(), b.copy())
        with np.errstate(all="ignore"):
            got = call(f"relative_error(a, b) {what}", relative_error, a, b)
        if not (np.array_equal(a, before[0]) and np.array_equal(b, before[1])):
            raise Failure("relative_error changed a or b: compute new arrays (np.abs(a - b)), never write into them")
        if np.ndim(got) != 0:
            raise Failure(f"relative_error(a, b) {what} returned an array of shape {np.shape(got)}: return the "
                          f"largest relative error as one number, np.max(...)")
        got = array(f"relative_error(a, b) {what}", got)
        expected = page_errors(a, b).max()
        if not close(got, expected, RELATIVE_ERROR_TOL):
            mistake = relative_error_mistake(float(got), a, b)
            if mistake:
                raise Failure(f"relative_error(a, b) {what} is {float(got):.4g}, expected {expected:.4g}: {mistake}")
            compare(f"relative_error(a, b) {what}", got, expected, tol=RELATIVE_ERROR_TOL,
                    note="Entry by entry |a - b| / max(|a|, |b|, 1e-8), then the largest")
    zeros = np.zeros(3)
    with np.errstate(all="ignore"):
        got = array("relative_error of two zero arrays", call("relative_error(a, b) for two zero arrays",
                                                              relative_error, zeros.copy(), zeros.copy()))
    if not np.isfinite(got):
        raise Failure(f"two gradients that are both 0 give {float(got)}: |a - b| / max(|a|, |b|) is 0 / 0. "
                      f"Divide by at least the floor 1e-8: max(|a|, |b|, 1e-8)")
    compare("relative_error of two zero arrays", got, np.array(0.0))
    tiny_a, tiny_b = np.array([1e-15]), np.array([-1e-15])  # two zeros that differ only by rounding
    got = array("relative_error of 1e-15 and -1e-15", call("relative_error(a, b) for 1e-15 and -1e-15",
                                                           relative_error, tiny_a, tiny_b))
    if close(got, np.array(2.0), 1e-6):
        raise Failure("1e-15 and -1e-15, two zeros that differ only by rounding, give a relative error of 2, a "
                      "false alarm: divide by at least the floor 1e-8, max(|a|, |b|, 1e-8)")
    compare("relative_error of 1e-15 and -1e-15", got, np.array(2e-7), tol=RELATIVE_ERROR_TOL,
            note="Divide by max(|a|, |b|, 1e-8): here the floor, 2e-15 / 1e-8")


# ------------------------------------------------------------------ gradient-check

GRADIENT_CHECK_STARTER = '''\
import numpy as np


def gradient_check(net, x, t):
    """For each parameter of net, the largest relative error between its two gradients.

    net.gradient(x, t) and net.numerical_gradient(x, t) each return a dict of
    arrays shaped like net.params. Return a dict with the same keys, each
    holding one number: the max over entries of |a - b| / max(|a|, |b|, 1e-8).
    """
    raise NotImplementedError("not implemented yet")
'''

GRADIENT_CHECK = '''\
import numpy as np


def gradient_check(net, x, t):
    """For each parameter of net, the largest relative error between its two gradients."""
    backprop = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t)
    result = {}
    for key in net.params:
        a, b = backprop[key], numerical[key]
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)  # both 0: no 0 / 0
        result[key] = float(np.max(np.abs(a - b) / scale))
    return result
'''


def learner_check(gradient_check: Any, net: TwoLayerNet, what: str) -> dict[str, float]:
    """The learner's result for `net` on `small_batch`, checked for its keys and numbers."""
    x, t = small_batch()
    before = {key: p.copy() for key, p in net.params.items()}
    with np.errstate(all="ignore"):
        got = call(f"gradient_check(net, x, t) for {what}", gradient_check, net, x.copy(), t.copy())
    if not isinstance(got, dict):
        raise Failure(f"gradient_check returned {type(got).__name__}: return a dict with one number per key of "
                      f"net.params, such as {{'W1': 3e-09, ...}}")
    if sorted(got) != sorted(net.params):
        raise Failure(f"gradient_check returned the keys {sorted(got)}: one per parameter, {list(net.params)}")
    for key, p in net.params.items():
        if not np.array_equal(p, before[key]):
            raise Failure(f"after gradient_check, net.params[{key!r}] has changed: leave the network as it was")
    result = {}
    for key, value in got.items():
        if np.ndim(value) != 0:
            raise Failure(f"gradient_check(...)[{key!r}] has shape {np.shape(value)}: one number per parameter, "
                          f"the largest relative error over its entries")
        result[key] = float(array(f"gradient_check(...)[{key!r}]", value))
    return result


def test_gradient_check(gradient_check: Any) -> None:
    x, t = small_batch()
    got = learner_check(gradient_check, small_net(), "a correct network")
    for key, value in got.items():
        if np.isnan(value):
            raise Failure(f"for a correct network, {key} gets nan: where both gradients are exactly 0 (a hidden "
                          f"unit that never fires), |a - b| / max(|a|, |b|) is 0 / 0. Divide by at least 1e-8")
        if not value < 1e-6:
            raise Failure(f"for a correct network, {key} gets {value:.4g}: its two gradients agree to well "
                          f"below 1e-6. Compare net.gradient(x, t) with net.numerical_gradient(x, t), entry by "
                          f"entry, |a - b| / max(|a|, |b|, 1e-8)")
    for kind, what in (("b2", "a network whose b2 gradient is not averaged over the batch"),
                       ("relu", "a network whose ReLU lets every gradient through")):
        net = buggy(kind)
        got = learner_check(gradient_check, net, what)
        expected = expected_errors(kind)
        wrong = [key for key, value in expected.items() if value > 1e-3]
        for key in wrong:
            if got[key] < 1e-6:
                raise Failure(f"{what} passes your check: {key} gets {format_error(got[key])}, expected "
                              f"{expected[key]:.4g}. Compare backprop, net.gradient(x, t), with "
                              f"net.numerical_gradient(x, t)")
            if not close(np.array(got[key]), np.array(expected[key]), 1e-6):
                a, b = net.gradient(x, t)[key], net.numerical_gradient(x, t)[key]
                mistake = relative_error_mistake(got[key], a, b)
                raise Failure(f"for {what}, {key} gets {got[key]:.4g}, expected {expected[key]:.4g}"
                              + (f": {mistake}" if mistake else ": the max over entries of "
                                 "|a - b| / max(|a|, |b|, 1e-8)"))
        for key in expected.keys() - wrong:
            if not got[key] < 1e-6:
                raise Failure(f"for {what}, {key} gets {got[key]:.4g}, but its gradient is right (below 1e-6)")


# ------------------------------------------------------------------ find-the-bug

FIND_THE_BUG_STARTER = '''\
import numpy as np


def wrong_gradients(net, x, t):
    """The names of the parameters whose backprop gradient is wrong, in the order of net.params.

    Compare net.gradient(x, t) with net.numerical_gradient(x, t), and call a
    gradient wrong when its largest relative error is above 1e-3, the page's
    threshold. A correct network gives [].
    """
    raise NotImplementedError("not implemented yet")
'''

FIND_THE_BUG = '''\
import numpy as np


def wrong_gradients(net, x, t):
    """The names of the parameters whose backprop gradient is wrong, in the order of net.params."""
    backprop = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t)
    wrong = []
    for key in net.params:
        a, b = backprop[key], numerical[key]
        error = np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8))
        if error > 1e-3:  # relative: a small gradient can be wrong by a small amount
            wrong.append(key)
    return wrong
'''


def test_wrong_gradients(wrong_gradients: Any) -> None:
    cases = [("a correct network", None, 1.0, []),
             ("a network whose b2 gradient is not averaged over the batch", "b2", 1.0, ["b2"]),
             ("a network whose ReLU lets every gradient through", "relu", 1.0, ["W1", "b1"]),
             ("a network that counts W1's gradient twice, on inputs of size 1e-4", "W1", 1e-4, ["W1"])]
    for what, kind, scale, expected in cases:
        net = small_net() if kind is None else buggy(kind)
        x, t = small_batch(scale)
        with np.errstate(all="ignore"):
            got = call(f"wrong_gradients(net, x, t) for {what}", wrong_gradients, net, x, t)
        if got is None:
            raise Failure("wrong_gradients returned None: return a list of names, [] when every gradient is right")
        try:
            got = [str(key) for key in got]
        except TypeError:
            raise Failure(f"wrong_gradients returned {type(got).__name__}: return a list of names such as "
                          f"['b2']") from None
        if got == expected:
            continue
        checks = reference_check(net, x, t)
        extra = [key for key in got if key not in expected]
        missed = [key for key in expected if key not in got]
        if extra and kind is None:
            key = extra[0]
            raise Failure(f"for a correct network it names {got}: {key}'s max relative error is "
                          f"{format_error(checks[key].max_rel_error)}, rounding noise. The page reads a bug above "
                          f"1e-3")
        if missed and kind == "W1":
            r = checks["W1"]
            raise Failure(f"for {what} it names {got}, missing W1: its gradient is off by a relative "
                          f"{r.max_rel_error:.2g} but by only {r.max_abs_diff:.1g} in absolute terms, because "
                          f"every entry is small. Compare the relative error, not the absolute difference")
        if missed and got and all(key in expected for key in got):
            raise Failure(f"for {what} it names {got}, but {missed} is wrong too: check every parameter, and "
                          f"list each one above 1e-3")
        raise Failure(f"for {what} it names {got}, expected {expected}: the parameters whose max relative error "
                      f"is above 1e-3 ("
                      + ", ".join(f"{key} {format_error(r.max_rel_error)}" for key, r in checks.items()) + ")")


EXERCISES = [
    Exercise(
        id="relative-error", chapter="gradient-check", title="The relative error of two gradients",
        name="relative_error", signature="relative_error(a, b)",
        starter=RELATIVE_ERROR_STARTER, solution=RELATIVE_ERROR, test=test_relative_error,
        what="the largest |a - b| / max(|a|, |b|, 1e-8) for arrays of two shapes and of either sign, 0 for two "
             "zero arrays, 2e-7 for 1e-15 and -1e-15, a and b left as they were",
        hints=("Entry by entry, divide the absolute difference by the larger of the two absolute values.",
               "Two gradients that are both 0 would divide 0 by 0: never divide by less than 1e-8, "
               "np.maximum(..., 1e-8).",
               "diff = np.abs(a - b); scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8); "
               "return the largest of diff / scale."),
        mutants=(
            Mutant("no floor", (("np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)",
                                 "np.maximum(np.abs(a), np.abs(b))"),), says="0 / 0"),
            Mutant("no absolute value of the difference", (("diff = np.abs(a - b)", "diff = a - b"),),
                   says="without its absolute value"),
            Mutant("no absolute values in the scale", (("np.maximum(np.abs(a), np.abs(b))", "np.maximum(a, b)"),),
                   says="without absolute values"),
            Mutant("the mean instead of the max", (("np.max(diff / scale)", "np.mean(diff / scale)"),),
                   says="the mean"),
            Mutant("divided by |a| + |b|", (("np.maximum(np.abs(a), np.abs(b))", "np.abs(a) + np.abs(b)"),),
                   says="|a| + |b|"),
        ),
    ),
    Exercise(
        id="gradient-check", chapter="gradient-check", title="A gradient check",
        name="gradient_check", signature="gradient_check(net, x, t)",
        starter=GRADIENT_CHECK_STARTER, solution=GRADIENT_CHECK, test=test_gradient_check,
        what="one number per parameter: below 1e-6 for a correct TwoLayerNet (one of whose hidden units never "
             "fires), the right max relative error for two networks with planted bugs, the network left as it was",
        hints=("Get both gradients once: net.gradient(x, t) and net.numerical_gradient(x, t), two dicts keyed "
               "like net.params.",
               "For each key, the relative error of every entry, |a - b| / max(|a|, |b|, 1e-8), as in the "
               "exercise relative-error.",
               "Keep the largest per key, as a float: result[key] = float(np.max(...))."),
        mutants=(
            Mutant("the mean instead of the max", (("float(np.max(", "float(np.mean("),), says="the mean"),
            Mutant("no floor", (("np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)",
                                 "np.maximum(np.abs(a), np.abs(b))"),), says="0 / 0"),
            Mutant("backprop against itself", (("numerical = net.numerical_gradient(x, t)",
                                                "numerical = net.gradient(x, t)"),), says="passes your check"),
            Mutant("divided by |a| + |b|", (("np.maximum(np.abs(a), np.abs(b))", "np.abs(a) + np.abs(b)"),),
                   says="|a| + |b|"),
        ),
    ),
    Exercise(
        id="find-the-bug", chapter="gradient-check", title="Find the wrong gradients",
        name="wrong_gradients", signature="wrong_gradients(net, x, t)",
        starter=FIND_THE_BUG_STARTER, solution=FIND_THE_BUG, test=test_wrong_gradients,
        what="[] for a correct network; ['b2'], ['W1', 'b1'] and ['W1'] for three planted bugs, the last one in a "
             "gradient whose entries are all small",
        hints=("Compare the two gradients of each parameter with the relative error of the exercise "
               "relative-error, and keep the parameters above 1e-3.",
               "A gradient whose entries are all tiny can be wrong by a tiny amount: an absolute difference "
               "misses it, the relative error does not.",
               "One bug can break several gradients (a wrong ReLU breaks W1 and b1): go through every key of "
               "net.params, in order, and append each one above 1e-3."),
        mutants=(
            Mutant("an absolute threshold", (("error = np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), "
                                              "np.abs(b)), 1e-8))", "error = np.max(np.abs(a - b))"),),
                   says="relative error, not the absolute difference"),
            Mutant("stops at the first", (("            wrong.append(key)\n", "            return [key]\n"),),
                   says="is wrong too"),
            Mutant("a threshold at rounding noise", (("if error > 1e-3:", "if error > 1e-12:"),),
                   says="rounding noise"),
        ),
    ),
]
