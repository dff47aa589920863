"""Exercises of chapter 5, "Backpropagation" (``docs/backprop.md``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare
from dlfs.numerical import numerical_gradient

AFFINE_STARTER = '''\
import numpy as np


class Affine:
    """A fully connected layer: out = x @ W + b, for a batch x of shape (N, D)."""

    def __init__(self, W, b):
        self.W, self.b = W, b  # (D, M) and (M,)
        self.x = None  # what backward needs from forward
        self.dW, self.db = None, None

    def forward(self, x):
        raise NotImplementedError("not implemented yet")

    def backward(self, dout):
        """Take dL/dout (N, M); set self.dW and self.db; return dL/dx (N, D)."""
        raise NotImplementedError("not implemented yet")
'''

AFFINE = '''\
import numpy as np


class Affine:
    """A fully connected layer: out = x @ W + b, for a batch x of shape (N, D)."""

    def __init__(self, W, b):
        self.W, self.b = W, b  # (D, M) and (M,)
        self.x = None  # what backward needs from forward
        self.dW, self.db = None, None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        """Take dL/dout (N, M); set self.dW and self.db; return dL/dx (N, D)."""
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)  # b was added to every row
        return dout @ self.W.T
'''


def layer_gradients(make: Any, x: np.ndarray, dout: np.ndarray) -> dict[str, np.ndarray]:
    """The numerical gradients of sum(forward(x) * dout) with respect to x, W and b, in float64."""
    layer = make()
    loss = lambda _: float(np.sum(layer.forward(x) * dout))  # noqa: E731
    return {"dx": numerical_gradient(loss, x), "dW": numerical_gradient(loss, layer.W),
            "db": numerical_gradient(loss, layer.b)}


def test_affine(Affine: Any) -> None:
    rng = np.random.default_rng(0)
    N, D, M = 4, 3, 2
    W, b, x = rng.normal(size=(D, M)), rng.normal(size=M), rng.normal(size=(N, D))
    layer = call("Affine(W, b)", Affine, W.copy(), b.copy())
    out = array("forward(x) for x of shape (4, 3) and W of shape (3, 2)", call("forward(x)", layer.forward, x.copy()),
                (N, M))
    compare("forward(x): out", out, x @ W + b, note="out = x @ W + b")
    dout = rng.normal(size=(N, M))
    dout_before = dout.copy()
    try:
        dx = call("backward(dout)", layer.backward, dout)
    except Failure as failure:
        if "matmul" in str(failure) or "shapes" in str(failure) or "align" in str(failure):
            raise Failure(f"{failure}. Shapes tell which product: dW = x.T @ dout is (D, M), "
                          f"dx = dout @ W.T is (N, D) — is a transpose missing?") from None
        raise
    if not np.array_equal(dout, dout_before):
        raise Failure("backward changed dout: compute new arrays from it, never write into it")
    numeric = layer_gradients(lambda: Affine(W.copy(), b.copy()), x.copy(), dout)
    for name in ("dW", "db"):
        if getattr(layer, name, None) is None:
            raise Failure(f"backward did not set self.{name}")
    db = array("self.db", layer.db)
    if db.shape == (N, M):
        raise Failure(f"db has shape {db.shape}, the shape of dout: b was added to each of the {N} rows, "
                      f"so its gradient is the sum over the batch, dout.sum(axis=0), of shape ({M},)")
    db = array("self.db", db, (M,))
    if close(db, numeric["db"] / N, 1e-6):
        raise Failure("db is the mean over the batch: b was added to every row, so its gradient is their sum")
    compare("db", db, numeric["db"], tol=1e-6)
    dW = array("self.dW", layer.dW, (D, M))
    compare("dW", dW, numeric["dW"], tol=1e-6, note="dW = x.T @ dout")
    dx = array("the dx that backward returns", dx, (N, D))
    compare("dx", dx, numeric["dx"], tol=1e-6, note="dx = dout @ W.T")
    # a square W: a missing transpose no longer fails on shapes, only on values
    W2 = rng.normal(size=(3, 3))
    square = call("Affine(W, b)", Affine, W2.copy(), np.zeros(3))
    call("forward(x)", square.forward, x.copy())
    dout2 = rng.normal(size=(N, 3))
    dx2 = array("dx for a square W", call("backward(dout)", square.backward, dout2), (N, 3))
    if close(dx2, dout2 @ W2, 1e-9) and not close(dx2, dout2 @ W2.T, 1e-9):
        raise Failure("dx = dout @ W, a transpose is missing: dx = dout @ W.T (for a square W the shapes "
                      "cannot tell you)")
    compare("dx for a square W", dx2, dout2 @ W2.T, tol=1e-9)


EXERCISES = [
    Exercise(
        id="affine", chapter="backprop", title="The Affine layer, forward and backward",
        name="Affine", signature="class Affine(W, b) with forward(x) and backward(dout)",
        starter=AFFINE_STARTER, solution=AFFINE, test=test_affine,
        what="out = x @ W + b, and dx, dW, db against numerical gradients, dout left as it was",
        hints=("forward keeps x (backward needs it) and returns x @ W + b.",
               "Shapes decide each product: dW must be (D, M) like W, built from x (N, D) and dout (N, M).",
               "b was added to every row of the batch, so db adds up dout's rows: dout.sum(axis=0)."),
        mutants=(
            Mutant("db not summed", (("self.db = dout.sum(axis=0)", "self.db = dout"),), says="the sum over the batch"),
            Mutant("db averaged", (("self.db = dout.sum(axis=0)", "self.db = dout.mean(axis=0)"),),
                   says="db is the mean"),
            Mutant("a missing transpose in dx", (("return dout @ self.W.T", "return dout @ self.W"),),
                   says="transpose"),
            Mutant("a missing transpose in dW", (("self.dW = self.x.T @ dout", "self.dW = self.x @ dout"),),
                   says="transpose"),
        ),
    ),
]
