"""Exercises of chapter 9, "Optimizers, normalization and regularization" (``docs/optimizers-and-regularization.md``).

The optimizers are run for a few steps on parameters of three shapes, with
gradients of size 0.5 to 2 and either sign, beside `dlfs.optim`'s; each known
mistake is recognized by running it too. `batch-norm-forward` is compared with
`dlfs.layers.BatchNormalization` in training mode on batches of several
shapes, one with a feature that has a single value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlfs import optim
from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare, where
from dlfs.exercises.training import copy_params, learner_updates, optimizer_problem, reference_updates

Run = list[dict[str, np.ndarray]]  # the parameters after each step


def worst(got: Run, expected: Run, start: dict[str, np.ndarray]) -> tuple[float, str]:
    """The largest gap between two runs, and where: "after step 2, params['b1'][3]: 0.1234, expected 0.1233"."""
    gap, text = 0.0, ""
    for step, (g, e) in enumerate(zip(got, expected), start=1):
        for key in e:
            diff = np.abs(g[key] - e[key])
            if np.isnan(g[key]).any():
                i = tuple(int(k) for k in np.argwhere(np.isnan(g[key]))[0])
                return np.inf, f"after step {step}, params[{key!r}]{where(i)} is nan"
            if diff.max() > gap:
                i = tuple(int(k) for k in np.unravel_index(int(np.argmax(diff)), diff.shape))
                gap = float(diff.max())
                text = (f"after step {step}, params[{key!r}]{where(i)}: {g[key][i]:.6g}, expected "
                        f"{e[key][i]:.6g} (it started at {start[key][i]:.6g})")
    return gap, text


def manual_steps(params: dict[str, np.ndarray], grads_seq: list[dict[str, np.ndarray]],
                 update: Callable[[dict[str, np.ndarray], np.ndarray, np.ndarray, int, int], np.ndarray]) -> Run:
    """Params after each step of ``p = update(state, p, g, call, key_number)``: a known mistake, written out."""
    params, history = copy_params(params), []
    states: dict[str, dict[str, Any]] = {key: {} for key in params}
    for n_call, grads in enumerate(grads_seq, start=1):
        for k, key in enumerate(params):
            params[key] = update(states[key], params[key], grads[key], n_call, k)
        history.append(copy_params(params))
    return history


def check_optimizer(what: str, make: Callable[[], Any], reference: Any, mistakes: dict[str, Any],
                    steps: int, tol: float, seed: int, also: Any = None, note: str = "") -> None:
    """Run the learner's optimizer beside `reference` (and `also`, another accepted form); name a known mistake."""
    start, grads_seq = optimizer_problem(seed, steps)
    got = learner_updates(what, call(what, make), copy_params(start), grads_seq)
    expected = reference_updates(reference, start, grads_seq)
    gap, text = worst(got, expected, start)
    if gap <= tol:
        return
    if also is not None and worst(got, reference_updates(also, start, grads_seq), start)[0] <= tol:
        return
    for message, update in mistakes.items():
        with np.errstate(all="ignore"):
            mistaken = manual_steps(start, grads_seq, update)
        if worst(got, mistaken, start)[0] <= tol:
            raise Failure(f"{what}: {message}")
    raise Failure(f"{what}: {text}" + (f". {note}" if note else ""))


# ------------------------------------------------------------------ momentum

MOMENTUM_STARTER = '''\
import numpy as np


class Momentum:
    """SGD with momentum: v = momentum * v - lr * grad, then params += v.

    Keep one velocity per parameter (a dict, like params), starting at 0 and
    kept from one call of update to the next. Write into the arrays of params.
    """

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.v = {}

    def update(self, params, grads):
        raise NotImplementedError("not implemented yet")
'''

MOMENTUM = '''\
import numpy as np


class Momentum:
    """SGD with momentum: a velocity that every gradient pushes and that fades by momentum each step."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.v = {}  # one velocity per parameter, kept between calls

    def update(self, params, grads):
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]  # in place: the layers hold these arrays
'''


def momentum_mistake(rule: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Any:
    """A mistaken momentum step, with the velocity kept in `state`: v = rule(v, g); p + v."""
    def update(state: dict[str, Any], p: np.ndarray, g: np.ndarray, n_call: int, k: int) -> np.ndarray:
        state["v"] = rule(state.get("v", np.zeros_like(p)), g)
        return p + state["v"]
    return update


def test_momentum(Momentum: Any) -> None:
    lr, mu = 0.1, 0.9
    mistakes = {
        "the velocity starts from 0 at every call, so each step is plain SGD: keep self.v between calls and "
        "create it only for a key it does not hold yet": momentum_mistake(lambda v, g: -lr * g),
        "it moves up the gradient: v = momentum * v - lr * grad, and params += v":
            momentum_mistake(lambda v, g: mu * v + lr * g),
        "momentum multiplies the gradient instead of the velocity: v = momentum * v - lr * grad, so the old "
        "velocity fades by momentum at every step": momentum_mistake(lambda v, g: v - mu * lr * g),
        "the old velocity is not kept in v: v = momentum * v - lr * grad is the new velocity, and params += v":
            momentum_mistake(lambda v, g: v - lr * g),
    }
    check_optimizer("Momentum(lr=0.1, momentum=0.9)", lambda: Momentum(lr=lr, momentum=mu),
                    optim.Momentum(lr=lr, momentum=mu), mistakes, steps=4, tol=1e-9, seed=10,
                    note="v = momentum * v - lr * grad, then params += v, one v per key")
    check_optimizer("Momentum(lr=0.05, momentum=0.5)", lambda: Momentum(lr=0.05, momentum=0.5),
                    optim.Momentum(lr=0.05, momentum=0.5), {}, steps=3, tol=1e-9, seed=11,
                    note="Use the lr and momentum you are given")
    check_optimizer("Momentum()", Momentum, optim.Momentum(), {}, steps=2, tol=1e-9, seed=12,
                    note="The defaults are lr=0.01 and momentum=0.9")


# ------------------------------------------------------------------ adagrad

ADAGRAD_STARTER = '''\
import numpy as np


class AdaGrad:
    """A step size of its own for each entry: lr * grad / (sqrt(h) + 1e-7), h the sum of grad**2 so far.

    Keep h per parameter, from one call of update to the next. Write into the arrays of params.
    """

    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = {}

    def update(self, params, grads):
        raise NotImplementedError("not implemented yet")
'''

ADAGRAD = '''\
import numpy as np


class AdaGrad:
    """A step size of its own for each entry, shrinking with the squared gradients it has seen."""

    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = {}  # per parameter, the sum of its squared gradients so far

    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)  # 1e-7: never 0 / 0
'''


def adagrad_mistake(accumulate: Callable[[np.ndarray, np.ndarray], np.ndarray],
                    scale: Callable[[np.ndarray], np.ndarray]) -> Any:
    def update(state: dict[str, Any], p: np.ndarray, g: np.ndarray, n_call: int, k: int) -> np.ndarray:
        state["h"] = accumulate(state.get("h", np.zeros_like(p)), g)
        return p - 0.1 * g / scale(state["h"])
    return update


def test_adagrad(AdaGrad: Any) -> None:
    mistakes = {
        "h holds only the last squared gradient, so every step is lr * sign(grad): add each one to the sum, "
        "self.h[key] += grads[key] * grads[key]": adagrad_mistake(lambda h, g: g * g, lambda h: np.sqrt(h) + 1e-7),
        "it divides by h, not by its square root: lr * grad / (np.sqrt(h) + 1e-7)":
            adagrad_mistake(lambda h, g: h + g * g, lambda h: h + 1e-7),
    }
    check_optimizer("AdaGrad(lr=0.1)", lambda: AdaGrad(lr=0.1), optim.AdaGrad(lr=0.1), mistakes, steps=4,
                    tol=1e-6, seed=20, note="h += grad * grad, then params -= lr * grad / (sqrt(h) + 1e-7)")
    check_optimizer("AdaGrad()", AdaGrad, optim.AdaGrad(), {}, steps=2, tol=1e-6, seed=21,
                    note="The default is lr=0.01")
    # a gradient entry that is 0 from the start: h stays 0 there
    params, grads = {"w": np.array([1.0, 2.0])}, {"w": np.array([0.0, 1.0])}
    with np.errstate(all="ignore"):
        learner_updates("AdaGrad(lr=0.1)", call("AdaGrad(lr=0.1)", AdaGrad, lr=0.1), params, [grads])
    if np.isnan(params["w"][0]):
        raise Failure("a gradient entry that has been 0 so far gives nan: h is 0 there, and 0 / sqrt(0) is 0 / 0. "
                      "Add a small 1e-7 to the square root, lr * grad / (np.sqrt(h) + 1e-7)")
    if params["w"][0] != 1.0:
        raise Failure(f"a gradient entry that has been 0 so far moved its parameter from 1 to "
                      f"{params['w'][0]:.6g}: a zero gradient takes no step")


# ------------------------------------------------------------------ adam

ADAM_STARTER = '''\
import numpy as np


class Adam:
    """Momentum (m) and a per-entry scale (v), both bias-corrected.

    m = beta1 * m + (1 - beta1) * grad;  v = beta2 * v + (1 - beta2) * grad**2,
    one m and one v per parameter, kept between calls; t counts the calls of
    update. Step by lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - beta1**t)
    and v_hat = v / (1 - beta2**t), or, as the book does, fold both corrections
    into the step size lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t).
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m, self.v = {}, {}

    def update(self, params, grads):
        raise NotImplementedError("not implemented yet")
'''

ADAM = '''\
import numpy as np


class Adam:
    """Momentum (m) and a per-entry scale (v), both bias-corrected."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0  # t, the number of updates so far
        self.m, self.v = {}, {}

    def update(self, params, grads):
        self.iter += 1
        # both bias corrections folded into the step size, as the book does
        lr_t = self.lr * np.sqrt(1 - self.beta2 ** self.iter) / (1 - self.beta1 ** self.iter)
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * grads[key]
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * grads[key] ** 2
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)
'''


class PaperAdam:
    """Adam as Kingma and Ba write it: m and v bias-corrected, then eps added to sqrt(v_hat)."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        for key, g in grads.items():
            m = self.m[key] = self.beta1 * self.m.get(key, 0.0) + (1 - self.beta1) * g
            v = self.v[key] = self.beta2 * self.v.get(key, 0.0) + (1 - self.beta2) * g * g
            m_hat, v_hat = m / (1 - self.beta1 ** self.t), v / (1 - self.beta2 ** self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def adam_mistake(lr: float, beta1: float = 0.9, beta2: float = 0.999, correct: bool = True,
                 t_of: Callable[[int, int], int] = lambda n_call, k: n_call) -> Any:
    """An Adam step with a known mistake: betas swapped, no bias correction, or a wrong t."""
    def update(state: dict[str, Any], p: np.ndarray, g: np.ndarray, n_call: int, k: int) -> np.ndarray:
        t = t_of(n_call, k)
        state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
        state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
        lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) if correct else lr
        return p - lr_t * state["m"] / (np.sqrt(state["v"]) + 1e-8)
    return update


def test_adam(Adam: Any) -> None:
    lr = 0.1
    # The book's form and the paper's differ only in where eps meets the bias correction, which moves a step by
    # less than 1e-4 of lr for gradients of size 0.5 to 2 (eps inside the square root too); every known mistake
    # moves it by more than a third of lr. A tolerance of 1e-3 of lr accepts the first and names the others.
    tol = 1e-3 * lr
    mistakes = {
        "no bias correction: m and v start at 0, so the first steps are too small (or, for v, too large); divide "
        "by 1 - beta1**t and 1 - beta2**t, or step by lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)":
            adam_mistake(lr, correct=False),
        "beta1 and beta2 are swapped: m, the momentum, fades by beta1 = 0.9 and v, the scale, by beta2 = 0.999":
            adam_mistake(lr, beta1=0.999, beta2=0.9),
        "the bias correction uses t = 1 at every step: t counts the updates, self.iter += 1 at the start of each "
        "call": adam_mistake(lr, t_of=lambda n_call, k: 1),
        "t counts the parameters, not the calls: increment self.iter once per call of update, before the loop "
        "over the keys": adam_mistake(lr, t_of=lambda n_call, k: 3 * (n_call - 1) + k + 1),
    }
    start, grads_seq = optimizer_problem(seed=30, steps=5)
    with np.errstate(all="ignore"):
        got = learner_updates("Adam(lr=0.1)", call("Adam(lr=0.1)", Adam, lr=lr), copy_params(start), grads_seq)
    if any(np.isnan(p).any() for p in got[0].values()):
        raise Failure("Adam(lr=0.1) gives nan at the first step: is t still 0 there? 1 - beta1**0 is 0. "
                      "Increment self.iter at the start of update, before the bias correction")
    check_optimizer("Adam(lr=0.1)", lambda: Adam(lr=lr), optim.Adam(lr=lr), mistakes, steps=5, tol=tol,
                    seed=30, also=PaperAdam(lr=lr),
                    note="m and v as the starter says, bias-corrected with t, the number of calls so far")
    check_optimizer("Adam(lr=0.1, beta1=0.5, beta2=0.9)", lambda: Adam(lr=lr, beta1=0.5, beta2=0.9),
                    optim.Adam(lr=lr, beta1=0.5, beta2=0.9), {}, steps=3, tol=tol, seed=31,
                    also=PaperAdam(lr=lr, beta1=0.5, beta2=0.9), note="Use the beta1 and beta2 you are given")
    check_optimizer("Adam()", Adam, optim.Adam(), {}, steps=2, tol=1e-3 * 0.001, seed=32, also=PaperAdam(),
                    note="The defaults are lr=0.001, beta1=0.9, beta2=0.999")


# ------------------------------------------------------------------ batch-norm-forward

BATCH_NORM_STARTER = """\
import numpy as np


def batch_norm_forward(x, gamma, beta, eps=1e-6):
    \"\"\"Batch normalization of a batch x of shape (N, D), in training mode.

    Normalize each of the D features (each column) with the mean and the
    variance of the batch, adding eps to the variance under the square root,
    then scale by gamma and shift by beta, both of shape (D,). Return an
    array of the shape of x; leave x as it was.
    \"\"\"
    raise NotImplementedError("not implemented yet")
"""

BATCH_NORM = """\
import numpy as np


def batch_norm_forward(x, gamma, beta, eps=1e-6):
    \"\"\"Batch normalization of a batch x of shape (N, D), in training mode.\"\"\"
    mu = x.mean(axis=0)  # one mean per feature, over the N examples of the batch
    var = ((x - mu) ** 2).mean(axis=0)  # the batch's own variance: divided by N
    xn = (x - mu) / np.sqrt(var + eps)  # eps: a constant feature must not divide by 0
    return gamma * xn + beta
"""


def reference_batch_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    from dlfs.layers import BatchNormalization

    return BatchNormalization(gamma.copy(), beta.copy(), eps=eps).forward(x.copy())


def batch_norm_mistakes(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> dict[str, np.ndarray]:
    """What each known mistake gives: the message and the output it would produce."""
    def normalized(axis: int = 0, ddof: int = 0, outside: bool = False, eps: float = eps) -> np.ndarray:
        mu = x.mean(axis=axis, keepdims=True)
        var = x.var(axis=axis, ddof=ddof, keepdims=True)
        return (x - mu) / (np.sqrt(var) + eps if outside else np.sqrt(var + eps))

    xn = normalized()
    return {
        "it normalizes each example over its features (each row): batch normalization normalizes each "
        "feature over the batch, the mean and variance down each column, axis=0": gamma * normalized(axis=1) + beta,
        "it divides the variance by N - 1 (ddof=1): the batch's own variance divides by N, "
        "((x - mu) ** 2).mean(axis=0)": gamma * normalized(ddof=1) + beta,
        "eps is added to the standard deviation, not to the variance: it goes inside the square root, "
        "np.sqrt(var + eps)": gamma * normalized(outside=True) + beta,
        "eps is left out: a feature with one value in the whole batch has variance 0, and 0 / 0 is nan there; "
        "add eps under the square root, np.sqrt(var + eps)": gamma * normalized(eps=0.0) + beta,
        "gamma and beta are swapped: gamma scales the normalized x and beta shifts it, gamma * xn + beta":
            beta * xn + gamma,
        "gamma and beta are left out: the normalized x is scaled by gamma and shifted by beta, "
        "gamma * xn + beta": xn,
    }


def test_batch_norm_forward(batch_norm_forward: Any) -> None:
    rng = np.random.default_rng(40)
    cases = [("a batch of shape (6, 3)", rng.normal(size=(6, 3)) * [1.0, 5.0, 0.2] + [0.0, 3.0, -1.0], 1e-6),
             ("a batch of shape (4, 5)", rng.normal(size=(4, 5)) * 2.0 + 1.0, 1e-6),
             ("a batch of shape (5, 2) with eps=0.5", rng.normal(size=(5, 2)), 0.5)]
    for what, x, eps in cases:
        d = x.shape[1]
        gamma, beta = rng.uniform(0.5, 2.0, size=d), rng.normal(size=d)
        x_in, gamma_in, beta_in = x.copy(), gamma.copy(), beta.copy()
        call_what = f"batch_norm_forward(x, gamma, beta{', eps=0.5' if eps == 0.5 else ''}) for {what}"
        with np.errstate(all="ignore"):
            kwargs = {"eps": eps} if eps == 0.5 else {}
            got = call(call_what, batch_norm_forward, x, gamma, beta, **kwargs)
        if not np.array_equal(x, x_in):
            raise Failure(f"{call_what} changed x (x -= ... works in place): compute x - mu as a new array")
        if not (np.array_equal(gamma, gamma_in) and np.array_equal(beta, beta_in)):
            raise Failure(f"{call_what} changed gamma or beta: they are parameters the network learns")
        got = array(call_what, got, x.shape)
        expected = reference_batch_norm(x, gamma, beta, eps)
        if close(got, expected, 1e-9):
            continue
        for message, mistaken in batch_norm_mistakes(x, gamma, beta, eps).items():
            if close(got, mistaken, 1e-9):
                raise Failure(f"{call_what}: {message}")
        compare(f"{call_what}: out", got, expected, tol=1e-9,
                note="out = gamma * (x - mu) / sqrt(var + eps) + beta, with mu and var over the batch (axis=0)")
    # a feature with one value in the whole batch: its variance is 0, and only eps keeps the division finite
    x = np.column_stack([rng.normal(size=4), np.full(4, 3.0)])
    gamma, beta = np.array([1.5, 2.0]), np.array([0.5, -1.0])
    what = "batch_norm_forward(x, gamma, beta) for a batch whose second feature is 3.0 in every example"
    with np.errstate(all="ignore"):
        got = array(what, call(what, batch_norm_forward, x.copy(), gamma.copy(), beta.copy()), x.shape)
    if not np.isfinite(got).all():
        raise Failure(f"{what} gives nan or inf: its variance is 0, and 0 / 0 is nan. Add eps to the variance "
                      f"under the square root, np.sqrt(var + eps)")
    compare(f"{what}: out", got, reference_batch_norm(x, gamma, beta, 1e-6), tol=1e-9,
            note="x - mu is 0 there, so out is beta")


EXERCISES = [
    Exercise(
        id="momentum", chapter="optimizers-and-regularization", title="Momentum",
        name="Momentum", signature="class Momentum(lr=0.01, momentum=0.9) with update(params, grads)",
        starter=MOMENTUM_STARTER, solution=MOMENTUM, test=test_momentum,
        what="dlfs.optim.Momentum's steps for three parameters over four steps, with the lr and momentum given "
             "and with the defaults; the very arrays of params updated, grads left as they were",
        hints=("Each parameter has its own velocity, of its shape, starting at 0: create it the first time a key "
               "comes along, and keep it in self.v for the next call.",
               "The new velocity is the old one faded by momentum, pushed by the gradient: "
               "v = momentum * v - lr * grad.",
               "Then add it to the parameter, in place: params[key] += self.v[key]."),
        mutants=(
            Mutant("velocity not kept", (("            if key not in self.v:\n"
                                          "                self.v[key] = np.zeros_like(params[key])\n",
                                          "            self.v[key] = np.zeros_like(params[key])\n"),),
                   says="starts from 0 at every call"),
            Mutant("sign error", (("- self.lr * grads[key]", "+ self.lr * grads[key]"),),
                   says="moves up the gradient"),
            Mutant("momentum on the gradient", (("self.momentum * self.v[key] - self.lr * grads[key]",
                                                 "self.v[key] - self.momentum * self.lr * grads[key]"),),
                   says="momentum multiplies the gradient"),
            Mutant("a new array instead of an update in place",
                   (("params[key] += self.v[key]", "params[key] = params[key] + self.v[key]"),),
                   says="is a new array"),
        ),
    ),
    Exercise(
        id="adagrad", chapter="optimizers-and-regularization", title="AdaGrad",
        name="AdaGrad", signature="class AdaGrad(lr=0.01) with update(params, grads)",
        starter=ADAGRAD_STARTER, solution=ADAGRAD, test=test_adagrad,
        what="dlfs.optim.AdaGrad's steps for three parameters over four steps, the default lr, no step and no nan "
             "for a gradient that has been 0, the very arrays of params updated",
        hints=("Keep, per parameter, h: the sum of every squared gradient so far, entry by entry.",
               "Each step divides the gradient by the square root of h: entries with large gradients take "
               "small steps.",
               "h += grad * grad; params[key] -= lr * grad / (np.sqrt(h) + 1e-7): the 1e-7 keeps 0 / 0 away."),
        mutants=(
            Mutant("h not accumulated", (("self.h[key] += grads[key] * grads[key]",
                                          "self.h[key] = grads[key] * grads[key]"),), says="only the last"),
            Mutant("no square root", (("(np.sqrt(self.h[key]) + 1e-7)", "(self.h[key] + 1e-7)"),),
                   says="not by its square root"),
            Mutant("no epsilon", (("(np.sqrt(self.h[key]) + 1e-7)", "np.sqrt(self.h[key])"),), says="0 / 0"),
        ),
    ),
    Exercise(
        id="adam", chapter="optimizers-and-regularization", title="Adam",
        name="Adam", signature="class Adam(lr=0.001, beta1=0.9, beta2=0.999) with update(params, grads)",
        starter=ADAM_STARTER, solution=ADAM, test=test_adam,
        what="the steps of Adam for three parameters over five steps, in the book's form or the paper's (they "
             "agree to 1e-4 of lr here), with the betas given and with the defaults; the very arrays of params "
             "updated, grads left as they were",
        hints=("m and v are decaying averages of the gradient and of its square, one of each per parameter, "
               "starting at 0 and kept between calls.",
               "Both start at 0, so early on they are too small: t counts the calls of update (self.iter += 1, "
               "once per call) and m / (1 - beta1**t), v / (1 - beta2**t) correct them.",
               "params[key] -= lr * m_hat / (np.sqrt(v_hat) + 1e-8); or the book's lr_t = "
               "lr * sqrt(1 - beta2**t) / (1 - beta1**t), then lr_t * m / (np.sqrt(v) + 1e-7)."),
        mutants=(
            Mutant("no bias correction", (("lr_t = self.lr * np.sqrt(1 - self.beta2 ** self.iter) / "
                                           "(1 - self.beta1 ** self.iter)", "lr_t = self.lr"),),
                   says="no bias correction"),
            Mutant("beta1 and beta2 swapped", (("self.lr, self.beta1, self.beta2 = lr, beta1, beta2",
                                                "self.lr, self.beta1, self.beta2 = lr, beta2, beta1"),),
                   says="swapped"),
            Mutant("the counter not incremented", (("        self.iter += 1\n", ""),), says="t still 0"),
            Mutant("t fixed at 1", (("        self.iter += 1\n", "        self.iter = 1\n"),), says="t = 1"),
            Mutant("the counter incremented per parameter",
                   (("        self.iter += 1\n        # both bias corrections folded into the step size, as the book "
                     "does\n        lr_t = self.lr * np.sqrt(1 - self.beta2 ** self.iter) / (1 - self.beta1 ** "
                     "self.iter)\n        for key in params:\n",
                     "        for key in params:\n            self.iter += 1\n            lr_t = self.lr * "
                     "np.sqrt(1 - self.beta2 ** self.iter) / (1 - self.beta1 ** self.iter)\n"),),
                   says="counts the parameters"),
        ),
    ),
    Exercise(
        id="batch-norm-forward", chapter="optimizers-and-regularization",
        title="The forward pass of batch normalization",
        name="batch_norm_forward", signature="batch_norm_forward(x, gamma, beta, eps=1e-6)",
        starter=BATCH_NORM_STARTER, solution=BATCH_NORM, test=test_batch_norm_forward,
        what="dlfs.layers.BatchNormalization's training-mode output on batches of shapes (6, 3), (4, 5) and "
             "(5, 2) (with eps=0.5) and on a feature with one value; x, gamma and beta left as they were",
        hints=("Each column of x is one feature: its mean and variance are taken over the rows, the N examples "
               "of the batch (axis=0).",
               "Subtract the mean and divide by the square root of the variance plus eps: eps goes under the "
               "square root, and keeps a feature whose variance is 0 from giving 0 / 0.",
               "mu = x.mean(axis=0); var = ((x - mu) ** 2).mean(axis=0); xn = (x - mu) / np.sqrt(var + eps); "
               "then return gamma * xn + beta."),
        mutants=(
            Mutant("over the features of each example", (("x.mean(axis=0)", "x.mean(axis=1, keepdims=True)"),
                                                         ("** 2).mean(axis=0)", "** 2).mean(axis=1, keepdims=True)")),
                   says="each example over its features"),
            Mutant("N - 1", (("var = ((x - mu) ** 2).mean(axis=0)", "var = x.var(axis=0, ddof=1)"),),
                   says="N - 1"),
            Mutant("eps outside the square root", (("np.sqrt(var + eps)", "(np.sqrt(var) + eps)"),),
                   says="inside the square root"),
            Mutant("no eps", (("np.sqrt(var + eps)", "np.sqrt(var)"),), says="0 / 0 is nan"),
            Mutant("gamma and beta swapped", (("return gamma * xn + beta", "return beta * xn + gamma"),),
                   says="swapped"),
            Mutant("no gamma and beta", (("return gamma * xn + beta", "return xn"),), says="left out"),
            Mutant("x changed in place", (("    mu = x.mean(axis=0)  # one mean per feature, over the N examples of "
                                           "the batch\n",
                                           "    mu = x.mean(axis=0)  # one mean per feature, over the N examples of "
                                           "the batch\n    x -= mu\n    mu = 0 * mu\n"),),
                   says="changed x"),
        ),
    ),
]
