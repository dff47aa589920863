"""Exercises of chapter 8, "Making training work: initialization and vanishing gradients".

The page is ``docs/making-training-work.md``.

`starting-loss` and `glorot-std` ask for an expression the page derives,
checked against what it must equal: the cross-entropy of a uniform softmax
measured by `dlfs.functions.cross_entropy_error`, and the compromise between
the forward and the backward conditions. `per-unit-spread` is compared with
`dlfs.book.making_training_work.per_unit_spread` on activations of several
shapes. `he-init` is checked on the statistics of a large draw, with a
tolerance from the sampling error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare, number

# ------------------------------------------------------------------ starting-loss

STARTING_LOSS_STARTER = '''\
import numpy as np


def starting_loss(C):
    """The starting loss: the mean cross-entropy of a network whose softmax
    gives each of its C classes the same probability.

    It is the same for every batch and depends on C alone: derive it, and
    return it as an expression of C.
    """
    raise NotImplementedError("not implemented yet")
'''

STARTING_LOSS = '''\
import numpy as np


def starting_loss(C):
    """The loss of a network that gives each of its C classes 1 / C."""
    # each example's loss is -log(the probability of its label) = -log(1 / C)
    return np.log(C)
'''


def test_starting_loss(starting_loss: Any) -> None:
    from dlfs.functions import cross_entropy_error

    rng = np.random.default_rng(50)
    for C in (10, 2, 3, 100, 1000):
        what = f"starting_loss({C})"
        got = number(what, call(what, starting_loss, C))
        y = np.full((7, C), 1.0 / C)  # seven examples, every class equally likely
        expected = cross_entropy_error(y, rng.integers(0, C, 7))
        if close(got, expected, 1e-9):
            continue
        known = {
            "the logarithm to base 10: the cross-entropy uses the natural logarithm, np.log": np.log10(C),
            "1 / C, the probability each class gets: the loss is minus its logarithm": 1.0 / C,
            "log(C) / C: that is the loss averaged over all N x C entries of t * log(y) instead of summed over "
            "the classes and averaged over the examples, the slip the page shows": np.log(C) / C,
            "negative: the loss is -log(1 / C), and -log of a probability is never below 0": -np.log(C),
        }
        for says, value in known.items():
            if close(got, value, 1e-9):
                raise Failure(f"{what} = {got:.4g} is {says}")
        raise Failure(f"{what} = {got:.4g}, expected {expected:.4g}: the mean cross-entropy of a softmax that gives "
                      f"each of the {C} classes 1 / {C}")


# ------------------------------------------------------------------ per-unit-spread

PER_UNIT_SPREAD_STARTER = '''\
import numpy as np


def per_unit_spread(a):
    """How much each unit's output varies over the inputs, averaged over the units.

    a has one row per input and one column per unit. Take each unit's
    standard deviation over the inputs, then the mean of those over the
    units, and return one float. Do not pool the values of different units,
    as a.std() does.
    """
    raise NotImplementedError("not implemented yet")
'''

PER_UNIT_SPREAD = '''\
import numpy as np


def per_unit_spread(a):
    """Each unit's standard deviation over the inputs, averaged over the units."""
    # axis=0 runs down each column: one unit, over every input
    return float(a.std(axis=0).mean())
'''


def test_per_unit_spread(per_unit_spread: Any) -> None:
    from dlfs.book.making_training_work import per_unit_spread as reference

    rng = np.random.default_rng(60)
    # units with offsets of their own, as a sigmoid layer's: the pooled spread counts the offsets too
    offsets = rng.normal(size=(200, 4)) * [0.1, 0.2, 0.05, 0.3] + [0.1, 0.5, 0.9, 0.3]
    cases = [("activations of shape (200, 4)", offsets),
             ("activations of shape (5, 7)", rng.uniform(size=(5, 7))),
             ("activations of shape (3, 1)", rng.normal(size=(3, 1))),
             ("two units, each constant over three inputs", np.array([[0.1, 0.9]] * 3))]
    for what, a in cases:
        before = a.copy()
        got = number(f"per_unit_spread(a) for {what}", call(f"per_unit_spread(a) for {what}", per_unit_spread, a))
        if not np.array_equal(a, before):
            raise Failure(f"per_unit_spread changed a for {what}: compute the spread without writing into it")
        expected = reference(a)
        if close(got, expected, 1e-9):
            continue
        known = {
            "pools all the values, a.std(): it counts how the units differ from each other as well as how each "
            "responds to the inputs. Take each column's standard deviation, axis=0, then their mean": a.std(),
            "takes each input's spread over the units (axis=1): a unit is a column, so its spread over the inputs "
            "runs down the column, axis=0": a.std(axis=1).mean(),
            "averages the variances: take the standard deviation of each unit, a.std(axis=0), then the mean":
                a.var(axis=0).mean(),
            "divides by N - 1 (ddof=1): the page's spread, like a.std(), divides by the number of inputs":
                a.std(axis=0, ddof=1).mean() if len(a) > 1 else np.nan,
        }
        for says, value in known.items():
            if close(got, value, 1e-9):
                raise Failure(f"per_unit_spread(a) for {what} = {got:.4g}, expected {expected:.4g}: it {says}")
        raise Failure(f"per_unit_spread(a) for {what} = {got:.4g}, expected {expected:.4g}")


# ------------------------------------------------------------------ glorot-std

GLOROT_STD_STARTER = '''\
import numpy as np


def glorot_std(n_in, n_out):
    """The standard deviation of Glorot and Bengio's initial weights.

    The layer has n_in inputs and n_out outputs. The forward pass keeps
    its scale when n_in * sigma**2 = 1, the backward pass when
    n_out * sigma**2 = 1; their rule is the compromise between the two
    that the page derives. Return sigma, not its square.
    """
    raise NotImplementedError("not implemented yet")
'''

GLOROT_STD = '''\
import numpy as np


def glorot_std(n_in, n_out):
    """The standard deviation of Glorot and Bengio's initial weights."""
    # the average of the two conditions: (n_in + n_out) / 2 * sigma**2 = 1
    return np.sqrt(2 / (n_in + n_out))
'''


def test_glorot_std(glorot_std: Any) -> None:
    for n_in, n_out in [(200, 50), (50, 200), (784, 50), (10, 10), (3, 1)]:
        what = f"glorot_std({n_in}, {n_out})"
        got = number(what, call(what, glorot_std, n_in, n_out))
        # the compromise: the variance times the average of fan-in and fan-out is 1
        if close(got ** 2 * (n_in + n_out) / 2, 1.0, 1e-9) and got > 0:
            continue
        expected = np.sqrt(2 / (n_in + n_out))
        known = {
            "the fan-in rule, sqrt(1 / n_in): it keeps the forward pass only; Glorot's averages n_in and n_out":
                np.sqrt(1 / n_in),
            "the fan-out rule, sqrt(1 / n_out): it keeps the backward pass only; Glorot's averages n_in and n_out":
                np.sqrt(1 / n_out),
            "the variance, 2 / (n_in + n_out): the standard deviation is its square root": 2 / (n_in + n_out),
            "sqrt(1 / (n_in + n_out)): the compromise uses the average of n_in and n_out, (n_in + n_out) / 2, "
            "not their sum": np.sqrt(1 / (n_in + n_out)),
            "the average of the two variances, (1 / n_in + 1 / n_out) / 2: Glorot and Bengio average the two "
            "conditions, n_in sigma**2 = 1 and n_out sigma**2 = 1, which averages n_in and n_out":
                np.sqrt((1 / n_in + 1 / n_out) / 2),
        }
        for says, value in known.items():
            if close(got, value, 1e-9):
                raise Failure(f"{what} = {got:.4g} is {says}")
        compare(what, np.array(got), np.array(expected), tol=1e-9,
                note="sigma**2 times the average of n_in and n_out should be 1")


# ------------------------------------------------------------------ he-init

HE_INIT_STARTER = '''\
import numpy as np


def he_init(n_in, n_out, rng):
    """Initial weights of shape (n_in, n_out) for a layer followed by ReLU.

    Draw them from rng (a np.random.Generator) with mean 0 and standard
    deviation sqrt(2 / n_in): ReLU zeroes half of its inputs, so He
    initialization doubles the variance that would keep the signal's spread.
    """
    raise NotImplementedError("not implemented yet")
'''

HE_INIT = '''\
import numpy as np


def he_init(n_in, n_out, rng):
    """Initial weights of shape (n_in, n_out) for a layer followed by ReLU."""
    std = np.sqrt(2 / n_in)  # ReLU zeroes half its inputs: twice Xavier's variance 1 / n_in
    return std * rng.standard_normal((n_in, n_out))
'''


def test_he_init(he_init: Any) -> None:
    for n_in, n_out in [(50, 2000), (8, 5000)]:
        what = f"he_init({n_in}, {n_out}, rng)"
        W = call(what, he_init, n_in, n_out, np.random.default_rng(0))
        if np.shape(W) == (n_out, n_in):
            raise Failure(f"{what} has shape {(n_out, n_in)}: a layer computes x @ W, so W is (n_in, n_out)")
        W = array(what, W, (n_in, n_out))
        n = W.size
        sigma = np.sqrt(2 / n_in)
        # the sampling error of a standard deviation measured on n draws is about sigma / sqrt(2 n)
        if abs(W.std() - sigma) > 6 * sigma / np.sqrt(2 * n):
            ratio = W.std() / sigma
            known = {"sqrt(1 / n_in), Xavier's scale: ReLU zeroes half its inputs, so He doubles the variance, "
                     "sqrt(2 / n_in)": np.sqrt(1 / n_in),
                     "sqrt(2 / n_out): the scale depends on the number of inputs each unit adds up, n_in":
                         np.sqrt(2 / n_out),
                     "2 / n_in, the variance: the standard deviation is its square root, sqrt(2 / n_in)": 2 / n_in}
            for message, std in known.items():
                if abs(W.std() - std) <= 6 * std / np.sqrt(2 * n):
                    raise Failure(f"{what}: the standard deviation is {W.std():.4g}, expected {sigma:.4g}; it "
                                  f"matches {message}")
            raise Failure(f"{what}: the standard deviation of the {n:,} weights is {W.std():.4g}, expected "
                          f"sqrt(2 / {n_in}) = {sigma:.4g} ({ratio:.3g} times as large)")
        if abs(W.mean()) > 6 * sigma / np.sqrt(n):
            raise Failure(f"{what}: the mean of the {n:,} weights is {W.mean():.4g}, expected 0 (within "
                          f"{6 * sigma / np.sqrt(n):.2g}, the sampling error)")
    first = array("he_init(4, 3, rng)", call("he_init(4, 3, rng)", he_init, 4, 3, np.random.default_rng(5)))
    second = array("he_init(4, 3, rng)", call("he_init(4, 3, rng)", he_init, 4, 3, np.random.default_rng(5)))
    if not np.array_equal(first, second):
        raise Failure("two generators with the same seed give different weights: draw from rng, "
                      "rng.standard_normal((n_in, n_out)), not from np.random")


EXERCISES = [
    Exercise(
        id="starting-loss", chapter="making-training-work", title="The starting loss",
        name="starting_loss", signature="starting_loss(C)", kind="derive",
        starter=STARTING_LOSS_STARTER, solution=STARTING_LOSS, test=test_starting_loss,
        what="your expression against the cross-entropy that dlfs.functions.cross_entropy_error measures for a "
             "softmax giving 1 / C to each class, for C = 10, 2, 3, 100 and 1000",
        hints=("The cross-entropy of one example is -log of the probability the softmax gives its label.",
               "Every class, the label included, gets the probability 1 / C, so every example has the same loss, "
               "and so does their mean.",
               "-log(1 / C) = log C: return np.log(C), the natural logarithm."),
        mutants=(
            Mutant("base 10", (("return np.log(C)", "return np.log10(C)"),), says="base 10"),
            Mutant("the probability", (("return np.log(C)", "return 1 / C"),), says="the probability each class"),
            Mutant("divided by C", (("return np.log(C)", "return np.log(C) / C"),), says="the slip the page shows"),
            Mutant("the sign", (("return np.log(C)", "return -np.log(C)"),), says="negative"),
        ),
    ),
    Exercise(
        id="per-unit-spread", chapter="making-training-work", title="The spread of each unit",
        name="per_unit_spread", signature="per_unit_spread(a)",
        starter=PER_UNIT_SPREAD_STARTER, solution=PER_UNIT_SPREAD, test=test_per_unit_spread,
        what="dlfs.book.making_training_work.per_unit_spread on activations of shapes (200, 4), (5, 7) and (3, 1) "
             "and on units that are each constant; a left as it was",
        hints=("A unit is a column of a; its outputs for the different inputs run down that column.",
               "Take the standard deviation of each column (axis=0), which gives one number per unit.",
               "Then average those: float(a.std(axis=0).mean())."),
        mutants=(
            Mutant("pooled", (("a.std(axis=0).mean()", "a.std()"),), says="pools all the values"),
            Mutant("over the units", (("a.std(axis=0).mean()", "a.std(axis=1).mean()"),), says="axis=1"),
            Mutant("variances", (("a.std(axis=0).mean()", "a.var(axis=0).mean()"),), says="averages the variances"),
            Mutant("N - 1", (("a.std(axis=0).mean()", "a.std(axis=0, ddof=1).mean()"),), says="N - 1"),
        ),
    ),
    Exercise(
        id="glorot-std", chapter="making-training-work", title="Glorot's scale",
        name="glorot_std", signature="glorot_std(n_in, n_out)", kind="derive",
        starter=GLOROT_STD_STARTER, solution=GLOROT_STD, test=test_glorot_std,
        what="sigma**2 times the average of n_in and n_out is 1, for five layer shapes, square and not",
        hints=("Forward: n_in * sigma**2 = 1. Backward: n_out * sigma**2 = 1. A layer with n_in != n_out cannot "
               "have both.",
               "Glorot and Bengio average the two conditions: (n_in + n_out) / 2 * sigma**2 = 1.",
               "So sigma**2 = 2 / (n_in + n_out), and the standard deviation is its square root."),
        mutants=(
            Mutant("the fan-in rule", (("np.sqrt(2 / (n_in + n_out))", "np.sqrt(1 / n_in)"),), says="fan-in rule"),
            Mutant("the variance", (("np.sqrt(2 / (n_in + n_out))", "2 / (n_in + n_out)"),), says="the variance"),
            Mutant("the sum", (("np.sqrt(2 / (n_in + n_out))", "np.sqrt(1 / (n_in + n_out))"),), says="not their sum"),
            Mutant("the average of the variances",
                   (("np.sqrt(2 / (n_in + n_out))", "np.sqrt((1 / n_in + 1 / n_out) / 2)"),),
                   says="average of the two variances"),
        ),
    ),
    Exercise(
        id="he-init", chapter="making-training-work", title="He initialization",
        name="he_init", signature="he_init(n_in, n_out, rng)",
        starter=HE_INIT_STARTER, solution=HE_INIT, test=test_he_init,
        what="shape (n_in, n_out), mean 0 and standard deviation sqrt(2 / n_in) within six times the sampling "
             "error on 100,000 and 40,000 draws, the same weights from two generators with the same seed",
        hints=("A layer computes x @ W, so W has one row per input: shape (n_in, n_out).",
               "Xavier's standard deviation is sqrt(1 / n_in); ReLU zeroes half of its inputs, so He doubles the "
               "variance.",
               "np.sqrt(2 / n_in) * rng.standard_normal((n_in, n_out))."),
        mutants=(
            Mutant("Xavier's scale", (("np.sqrt(2 / n_in)", "np.sqrt(1 / n_in)"),), says="Xavier's scale"),
            Mutant("n_out instead of n_in", (("np.sqrt(2 / n_in)", "np.sqrt(2 / n_out)"),),
                   says="sqrt(2 / n_out)"),
            Mutant("the variance instead of the standard deviation", (("np.sqrt(2 / n_in)", "(2 / n_in)"),),
                   says="the variance"),
            Mutant("the shape transposed", (("standard_normal((n_in, n_out))", "standard_normal((n_out, n_in))"),),
                   says="so W is (n_in, n_out)"),
            Mutant("the global generator", (("rng.standard_normal(", "np.random.standard_normal("),),
                   says="not from np.random"),
        ),
    ),
]
