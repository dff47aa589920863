"""Exercises of chapter 4, "Learning from data" (``docs/learning.md``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare
from dlfs.functions import cross_entropy_error as reference_cross_entropy
from dlfs.functions import mean_squared_error as reference_mean_squared_error
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
            raise Failure("softmax of a batch of shape (4, 3): each column sums to 1, not each row: normalize "
                          "over the last axis, e.sum(axis=-1, keepdims=True) (and the max over axis=-1 too)")
        if np.isclose(got.sum(), 1):
            raise Failure("softmax of a batch of shape (4, 3): the whole array sums to 1, but each row should, "
                          "as each row is one example: take the max and the sum per row, with axis=-1 and "
                          "keepdims=True")
        compare("softmax of a batch: y", got, expected, note="Each row of a batch is one example")

    big = np.array([[1000.0, 999.0, 990.0], [-5.0, 0.0, 5.0]])
    with np.errstate(all="ignore"):
        got = call("softmax(x) for scores near 1000", softmax, big.copy())
    got = array("softmax of a batch with scores near 1000", got, big.shape)
    if not np.isfinite(got[0]).all():  # the row [1000, 999, 990]
        raise Failure("scores near 1000 give nan or inf: exp(1000) overflows. Subtract each row's largest score "
                      "first, which leaves the probabilities unchanged")
    if not np.isfinite(got[1]).all():  # the row [-5, 0, 5], in a batch whose largest score is 1000
        raise Failure(f"for the batch [[1000, 999, 990], [-5, 0, 5]] the row [-5, 0, 5] gives "
                      f"{np.array2string(got[1], precision=4)}: you subtracted the batch's largest score, 1000, so "
                      f"exp(-1005) and its neighbors underflow to 0 and the row is 0 / 0. Subtract each row's own "
                      f"largest score, x.max(axis=-1, keepdims=True)")
    compare("softmax of [[1000, 999, 990], [-5, 0, 5]]: y", got, reference_softmax(big))


MEAN_SQUARED_ERROR_STARTER = '''\
import numpy as np


def mean_squared_error(y, t):
    """Half the sum of squared errors of each example, averaged over the batch.

    y and t have one shape: (C,) for one example, or (N, C) for a batch of N
    (t one-hot). Sum over the C outputs of an example; average over the N
    examples only. Return a number.
    """
    raise NotImplementedError("not implemented yet")
'''

MEAN_SQUARED_ERROR = '''\
import numpy as np


def mean_squared_error(y, t):
    """Half the sum of squared errors of each example, averaged over the batch."""
    per_example = 0.5 * np.sum((y - t) ** 2, axis=-1)  # sum over the outputs of each example
    return np.mean(per_example)  # the mean over the batch (one example: its own error)
'''


def loss_value(what: str, loss: Callable[..., Any], y: np.ndarray, t: np.ndarray) -> float:
    """``loss(y, t)`` on copies, as a float; a Failure if it changed y or t or did not return one number."""
    y_in, t_in = y.copy(), t.copy()
    with np.errstate(all="ignore"):  # log(0) and overflow are judged by the value, not by a warning
        got = call(what, loss, y_in, t_in)
    for name, before, after in (("y", y, y_in), ("t", t, t_in)):
        if not np.array_equal(before, after):
            raise Failure(f"{what} changed its input {name}: compute new arrays from it, never write into it")
    if np.size(got) == 1 and np.shape(got) != ():
        raise Failure(f"{what} returned an array of shape {np.shape(got)}: return one number, "
                      f"for instance with np.sum(...) or float(...)")
    return float(array(what, got, ()))


def near(a: float, b: float, tol: float = 1e-7) -> bool:
    """Whether two numbers agree to CS231n's relative error `tol`."""
    return close(np.array(a), np.array(b), tol)


def test_mean_squared_error(mean_squared_error: Any) -> None:
    rng = np.random.default_rng(2)
    N, C = 4, 5
    y, t = reference_softmax(rng.normal(size=(N, C))), np.eye(C)[[1, 4, 0, 4]]
    one = loss_value("mean_squared_error(y, t) for one example, y and t of shape (5,)", mean_squared_error, y[0], t[0])
    expected = reference_mean_squared_error(y[0], t[0])
    if not near(one, expected):
        if near(one, 2 * expected):
            raise Failure(f"for one example: {one:.4g}, expected {expected:.4g}, twice as much: "
                          f"the error is 1/2 times the sum of squares (the 1/2 makes its derivative y - t)")
        if near(one, expected / C):
            raise Failure(f"for one example: {one:.4g}, expected {expected:.4g}, divided by the number of outputs "
                          f"({C}): sum the squares over the outputs, average over the examples of a batch only")
        compare("mean_squared_error for one example", np.array(one), np.array(expected),
                note="0.5 * the sum of (y - t) ** 2")
    got = loss_value("mean_squared_error(y, t) for a batch of shape (4, 5)", mean_squared_error, y, t)
    expected = reference_mean_squared_error(y, t)
    if near(got, N * expected):
        raise Failure(f"for a batch of {N}: {got:.4g}, expected {expected:.4g}, {N} times as much: the loss of a "
                      f"batch is the mean of its examples' errors, so divide the sum by the batch size")
    if near(got, expected / C):
        raise Failure(f"for a batch: {got:.4g}, expected {expected:.4g}, divided by the number of outputs ({C}) "
                      f"too: sum the squares over each row's outputs (axis=-1), average over the rows only")
    compare("mean_squared_error for a batch of shape (4, 5)", np.array(got), np.array(expected),
            note="Each row is one example: its error is 0.5 * the sum over its row, and the batch's is their mean")


CROSS_ENTROPY_STARTER = '''\
import numpy as np


def cross_entropy_error(y, t):
    """-log(probability of the correct class), averaged over the batch.

    y: probabilities, shape (C,) for one example or (N, C) for a batch.
    t: one-hot labels of the shape of y, or class labels of shape (N,).
    A probability of 0 must not give log(0) = -inf: count it as 1e-7.
    """
    raise NotImplementedError("not implemented yet")
'''

CROSS_ENTROPY = '''\
import numpy as np


def cross_entropy_error(y, t):
    """-log(probability of the correct class), averaged over the batch."""
    if y.ndim == 1:  # one example: a batch of one
        y = y.reshape(1, -1)
        t = t.reshape(1, -1)
    if t.size == y.size:  # one-hot rows: each label is where the 1 is
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    p = y[np.arange(batch_size), t]  # each example's probability of its correct class
    return -np.sum(np.log(np.maximum(p, 1e-7))) / batch_size  # log(0) is -inf: count 0 as 1e-7
'''

# the book's delta and dlfs's clip differ by about 1e-7 / p in the loss: far inside this
CROSS_ENTROPY_TOL = 1e-5


def outcome(fn: Callable[..., float], *args: Any) -> float | Failure:
    """What ``fn(*args)`` returns, or the Failure it raises: to weigh several calls before saying what is wrong."""
    try:
        return fn(*args)
    except Failure as failure:
        return failure


def label_forms(outcomes: dict[str, Any], right: Callable[[Any], bool], n: int, c: int, of: str = "y") -> None:
    """A Failure if only one form of t works: class labels of shape (n,), or one-hot rows of shape (n, c).

    `outcomes` maps "labels" and "one-hot" to what came of each (a Failure if it raised one); `of` names the
    array whose shape one-hot t has.
    """
    works = {form: not isinstance(got, Failure) and right(got) for form, got in outcomes.items()}
    if works["labels"] == works["one-hot"]:
        return
    good, bad = ("labels", "one-hot") if works["labels"] else ("one-hot", "labels")
    shapes = {"labels": f"class labels t of shape ({n},)", "one-hot": f"one-hot t of shape ({n}, {c})"}
    got = outcomes[bad]
    detail = str(got) if isinstance(got, Failure) else f"it gave {got:.4g}"
    raise Failure(f"it works with {shapes[good]} but not with {shapes[bad]} ({detail}). Tell the two apart by "
                  f"their shape: one-hot t has the shape of {of}. t.argmax(axis=1) turns one-hot rows into "
                  f"labels, np.eye({c})[t] turns labels into one-hot rows")


def test_cross_entropy_error(cross_entropy_error: Any) -> None:
    rng = np.random.default_rng(1)
    N, C = 4, 5
    y = reference_softmax(rng.normal(size=(N, C)))
    labels = np.array([0, 3, 1, 3])
    onehot = np.eye(C)[labels]
    expected = reference_cross_entropy(y, labels)
    one = outcome(loss_value, "cross_entropy_error(y, t) for one example, y and one-hot t of shape (5,)",
                  cross_entropy_error, y[0], onehot[0])
    batch = {form: outcome(loss_value, f"cross_entropy_error(y, t) for y of shape (4, 5) and {form} t",
                           cross_entropy_error, y, t) for form, t in (("labels", labels), ("one-hot", onehot))}

    def right(got: float, expected: float = expected) -> bool:
        return near(got, expected, CROSS_ENTROPY_TOL)

    def summed(got: float | Failure) -> bool:
        return not isinstance(got, Failure) and near(got, N * expected, CROSS_ENTROPY_TOL)

    label_forms(batch, right, N, C)
    if summed(batch["labels"]) and summed(batch["one-hot"]):
        raise Failure(f"for a batch of {N}: {batch['labels']:.4g}, expected {expected:.4g}, {N} times as much: "
                      f"the loss of a batch is the mean of its examples' losses, so divide the sum by the "
                      f"batch size")
    one_right = not isinstance(one, Failure) and near(one, reference_cross_entropy(y[0], onehot[0]),
                                                       CROSS_ENTROPY_TOL)
    if one_right and summed(batch["one-hot"]):
        raise Failure(f"it is right for one example, but for a batch y of shape ({N}, {C}) it adds up the {N} losses "
                      f"and does not take class labels: it works for a 1-D y only. Treat each row as an example: "
                      f"y[np.arange(N), t] picks each row's probability of its class, and the loss is their mean")
    for what, got, want in (("for one example", one, reference_cross_entropy(y[0], onehot[0])),
                            ("for a batch with labels t", batch["labels"], expected),
                            ("for a batch with one-hot t", batch["one-hot"], expected)):
        if isinstance(got, Failure):
            raise got
        compare(f"cross_entropy_error {what}", np.array(got), np.array(want), tol=CROSS_ENTROPY_TOL,
                note="The loss is -log of the probability of the correct class, averaged over the batch")

    y0 = np.array([[0.5, 0.5, 0.0, 0.0, 0.0], [0.2, 0.0, 0.8, 0.0, 0.0]])
    t0 = np.eye(C)[[2, 2]]
    got = loss_value("cross_entropy_error(y, t) with a probability of 0 for the correct class",
                     cross_entropy_error, y0, t0)
    want = reference_cross_entropy(y0, t0)
    if not np.isfinite(got):
        raise Failure(f"a probability of 0 for the correct class gives a loss of {got}: log(0) is -inf (and "
                      f"0 * log(0) is nan). Count a probability below 1e-7 as 1e-7, np.maximum(p, 1e-7), or add "
                      f"1e-7 inside the log as the book does")
    compare("cross_entropy_error with a probability of 0 for the correct class", np.array(got), np.array(want),
            tol=CROSS_ENTROPY_TOL, note="A probability of 0 costs -log(1e-7) = 16.12, as in the chapter: "
            "np.maximum(p, 1e-7) or the book's + 1e-7 inside the log")


MINIBATCH_STARTER = '''\
import numpy as np


def minibatch(x, t, batch_size, rng):
    """A random mini-batch (x_batch, t_batch) of batch_size examples, each at most once.

    x: the inputs, one example per row; t: their labels, one per row of x.
    rng: a np.random.Generator, the only source of randomness.
    """
    raise NotImplementedError("not implemented yet")
'''

MINIBATCH = '''\
import numpy as np


def minibatch(x, t, batch_size, rng):
    """A random mini-batch (x_batch, t_batch) of batch_size examples, each at most once."""
    batch_mask = rng.choice(x.shape[0], batch_size, replace=False)  # distinct indices
    return x[batch_mask], t[batch_mask]  # the same indices for both: each label stays with its input
'''


def draw(minibatch: Any, x: np.ndarray, t: np.ndarray, batch_size: int, seed: int) -> np.ndarray:
    """The indices of the examples in ``minibatch(x, t, batch_size, default_rng(seed))``, checked."""
    x_in, t_in = x.copy(), t.copy()
    what = f"minibatch(x, t, {batch_size}, rng)"
    got = call(what, minibatch, x_in, t_in, batch_size, np.random.default_rng(seed))
    for name, before, after in (("x", x, x_in), ("t", t, t_in)):
        if not np.array_equal(before, after):
            raise Failure(f"{what} changed its input {name} (rng.shuffle works in place): draw indices and "
                          f"index x and t with them instead")
    if not (isinstance(got, tuple | list) and len(got) == 2):
        raise Failure(f"{what} should return two arrays, x_batch and t_batch; it returned {type(got).__name__}")
    n, D = x.shape
    x_batch = array(f"x_batch of {what}", got[0], (batch_size, D))
    t_batch = array(f"t_batch of {what}", got[1], (batch_size,))
    index = x_batch[:, 0] / D  # row i of x starts with i * D
    if not (np.array_equal(index, np.round(index)) and (index >= 0).all() and (index < n).all()
            and np.array_equal(x_batch, x[index.astype(int)])):
        raise Failure(f"the rows of x_batch of {what} are not rows of x: index x with the drawn indices, "
                      f"x[batch_mask]")
    index = index.astype(int)
    values, counts = np.unique(index, return_counts=True)
    if (counts > 1).any():
        raise Failure(f"a batch of {what} holds example {values[counts > 1][0]} twice, as drawing with "
                      f"replacement does: draw distinct indices, rng.choice(n, batch_size, replace=False)")
    wrong = np.flatnonzero(t_batch != t[index])
    if wrong.size:
        k = wrong[0]
        raise Failure(f"x_batch[{k}] is example {index[k]} of x, but t_batch[{k}] is {t_batch[k]:g}, not its label "
                      f"{t[index[k]]}: draw the indices once and index both x and t with them")
    return index


def test_minibatch(minibatch: Any) -> None:
    n, D = 12, 3
    x = np.arange(n * D, dtype=np.float64).reshape(n, D)
    t = np.random.default_rng(5).permutation(n)  # a different label for every example
    first = draw(minibatch, x, t, 10, seed=0)
    if not np.array_equal(first, draw(minibatch, x, t, 10, seed=0)):
        raise Failure("two generators with the same seed gave different batches: draw from the rng you are given "
                      "(rng.choice), not from np.random, so that a run can be repeated")
    batches = [draw(minibatch, x, t, 10, seed) for seed in range(1, 6)]
    if all(np.array_equal(np.sort(b), np.sort(first)) for b in batches):
        raise Failure(f"every rng gives the same examples, {sorted(first.tolist())}: draw them at random with rng")
    for batch_size in (n, 1):  # every example, each once; a single one
        draw(minibatch, x, t, batch_size, seed=6)


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
            Mutant("the batch's max", (("x.max(axis=-1, keepdims=True)", "np.max(x)"),),
                   says="you subtracted the batch's largest score"),
        ),
    ),
    Exercise(
        id="cross-entropy", chapter="learning", title="The cross-entropy of a batch, with labels or one-hot",
        name="cross_entropy_error", signature="cross_entropy_error(y, t)",
        starter=CROSS_ENTROPY_STARTER, solution=CROSS_ENTROPY, test=test_cross_entropy_error,
        what="-log of the correct class's probability for one example and for a batch, averaged over the batch, "
             "with class labels and with one-hot t, a probability of 0 costing -log(1e-7), y and t left as they were",
        hints=("The loss of one example is -log of the probability it gives its correct class; a batch's loss is "
               "the mean over its rows.",
               "Make a 1-D y a batch of one (y.reshape(1, -1)), and turn one-hot rows into labels with "
               "t.argmax(axis=1) (one-hot t has as many entries as y).",
               "y[np.arange(batch_size), t] picks each row's probability of its class; take -np.log of "
               "np.maximum(p, 1e-7), sum, and divide by batch_size."),
        mutants=(
            Mutant("summed over the batch", (("))) / batch_size", ")))"),), says="times as much"),
            Mutant("log(0) unguarded", (("np.log(np.maximum(p, 1e-7))", "np.log(p)"),), says="log(0)"),
            Mutant("labels only", (("    if t.size == y.size:  # one-hot rows: each label is where the 1 is\n"
                                    "        t = t.argmax(axis=1)\n", ""),), says="not with one-hot t"),
            Mutant("one-hot only", (("    if t.size == y.size:  # one-hot rows: each label is where the 1 is\n"
                                     "        t = t.argmax(axis=1)\n", ""),
                                    ("    p = y[np.arange(batch_size), t]  # each example's probability of its "
                                     "correct class\n    return -np.sum(np.log(np.maximum(p, 1e-7)))",
                                     "    return -np.sum(t * np.log(np.maximum(y, 1e-7)))")),
                   says="not with class labels"),
            Mutant("1-D only", (("    if y.ndim == 1:  # one example: a batch of one\n", ""),
                                ("        y = y.reshape(1, -1)\n        t = t.reshape(1, -1)\n", ""),
                                ("    if t.size == y.size:  # one-hot rows: each label is where the 1 is\n"
                                 "        t = t.argmax(axis=1)\n", ""),
                                ("    batch_size = y.shape[0]\n", ""),
                                ("    p = y[np.arange(batch_size), t]  # each example's probability of its "
                                 "correct class\n", ""),
                                ("np.log(np.maximum(p, 1e-7))) / batch_size", "t * np.log(np.maximum(y, 1e-7)))")),
                   says="1-D y only"),
        ),
    ),
    Exercise(
        id="mean-squared-error", chapter="learning", title="The book's mean squared error",
        name="mean_squared_error", signature="mean_squared_error(y, t)",
        starter=MEAN_SQUARED_ERROR_STARTER, solution=MEAN_SQUARED_ERROR, test=test_mean_squared_error,
        what="1/2 the sum of squares over the outputs of each example, averaged over the batch, for one example "
             "and for a batch, y and t left as they were",
        hints=("For one example the error is 1/2 times the sum over its outputs of (y - t) ** 2.",
               "For a batch, each row is one example: sum over the last axis (axis=-1) to get one error per row.",
               "Then average those errors over the batch with np.mean: only over the rows, not over the outputs."),
        mutants=(
            Mutant("no 1/2", (("0.5 * np.sum", "np.sum"),), says="twice as much"),
            Mutant("averaged over the outputs too",
                   (("np.sum((y - t) ** 2, axis=-1)", "np.mean((y - t) ** 2, axis=-1)"),),
                   says="divided by the number of outputs"),
            Mutant("summed over the batch", (("return np.mean(per_example)", "return np.sum(per_example)"),),
                   says="times as much"),
        ),
    ),
    Exercise(
        id="minibatch", chapter="learning", title="A mini-batch drawn without replacement",
        name="minibatch", signature="minibatch(x, t, batch_size, rng)",
        starter=MINIBATCH_STARTER, solution=MINIBATCH, test=test_minibatch,
        what="batch_size distinct examples of x with their own labels, drawn with the rng given (the same seed, "
             "the same batch), x and t left as they were",
        hints=("Draw indices, not examples: batch_size of them out of range(len(x)), and index x and t with them.",
               "The indices must be distinct and come from rng, the generator you are given, not from np.random.",
               "batch_mask = rng.choice(x.shape[0], batch_size, replace=False); return x[batch_mask], t[batch_mask]."),
        mutants=(
            Mutant("with replacement", ((", replace=False)", ")"),), says="twice"),
            Mutant("x and t drawn apart", (("t[batch_mask]", "t[rng.choice(x.shape[0], batch_size, replace=False)]"),),
                   says="not its label"),
            Mutant("the global np.random", (("rng.choice(", "np.random.choice("),), says="not from np.random"),
            Mutant("the first rows", (("rng.choice(x.shape[0], batch_size, replace=False)", "np.arange(batch_size)"),),
                   says="the same examples"),
        ),
    ),
]
