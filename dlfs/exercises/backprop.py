"""Exercises of chapter 5, "Backpropagation" (``docs/backprop.md``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlfs import layers as reference
from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare
from dlfs.exercises.learning import label_forms, loss_value, near, outcome
from dlfs.functions import sigmoid as reference_sigmoid
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
    # an optimizer updates the arrays it was given in place (params["W1"] -= lr * grads["W1"]): the layer must see it
    for name in ("W", "b"):
        W3, b3 = W.copy(), b.copy()
        kept = call("Affine(W, b)", Affine, W3, b3)
        call("forward(x)", kept.forward, x.copy())
        (W3 if name == "W" else b3)[0] += 1.0
        out3 = array("forward(x) after an update", call("forward(x)", kept.forward, x.copy()), (N, M))
        if close(out3, x @ W + b, 1e-9):
            raise Failure(f"after {name} was changed in place, as an optimizer does ({name}[0] += 1, like "
                          f"params[key] -= lr * grads[key]), forward(x) still gives the old output: the layer keeps "
                          f"a copy of {name}. Keep {name} itself, self.{name} = {name}, so that the updates reach it")
        compare(f"forward(x) after {name}[0] += 1: out", out3, x @ W3 + b3, tol=1e-9)


def backward_pair(what: str, backward: Any, dout: Any) -> tuple[Any, Any]:
    """``backward(dout)`` and ``backward(2 * dout)``: a Failure if the first changed dout or they show dout unused.

    For any layer, dout is the gradient that arrives from the layers after it: doubling it must double every
    gradient that backward returns.
    """
    before = np.array(dout, copy=True)
    with np.errstate(all="ignore"):
        got = call(f"{what}(dout)", backward, dout)
    if not np.array_equal(dout, before):
        raise Failure(f"{what} changed dout: writing into it (dout[...] = 0 does) changes the caller's array, and "
                      f"an AddLayer hands one array to both of its inputs. Compute a new array from dout instead")
    with np.errstate(all="ignore"):
        twice = call(f"{what}(2 * dout)", backward, 2 * dout)
    both = isinstance(got, tuple) and isinstance(twice, tuple)
    pairs = list(zip(got, twice, strict=False)) if both else [(got, twice)]
    for g, g2 in pairs:
        g, g2 = np.asarray(g, dtype=np.float64), np.asarray(g2, dtype=np.float64)
        if np.shape(g) == np.shape(g2) and np.any(g != 0) and np.array_equal(g, g2):
            raise Failure(f"{what} ignores dout: backward(2 * dout) returned what backward(dout) did. dout is the "
                          f"gradient arriving from the layers after this one: multiply the local derivative by it")
    return got, twice


def input_gradient(forward: Any, x: np.ndarray, dout: np.ndarray) -> np.ndarray:
    """The numerical gradient of ``sum(forward(x) * dout)`` in x: what backward(dout) must return."""
    def loss(x_: np.ndarray) -> float:
        return float(np.sum(np.asarray(forward(x_), dtype=np.float64) * dout))

    with np.errstate(all="ignore"):
        return numerical_gradient(loss, x.copy())


def output(what: str, forward: Any, *args: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``forward(*args)`` on copies, as a float array of `shape`; a Failure if it changed an input."""
    copies = [np.array(a, dtype=np.float64) if isinstance(a, np.ndarray) else a for a in args]
    with np.errstate(all="ignore"):
        got = call(what, forward, *copies)
    for a, c in zip(args, copies, strict=True):
        if isinstance(a, np.ndarray) and not np.array_equal(a, c):
            raise Failure(f"{what} changed its input: compute a new array from x (x.copy(), np.maximum(x, 0)), "
                          f"never write into it")
    return array(what, got, shape)


MUL_ADD_STARTER = '''\
import numpy as np


class MulLayer:
    """A multiplication node: out = x * y."""

    def __init__(self):
        self.x = None  # what backward needs from forward
        self.y = None

    def forward(self, x, y):
        raise NotImplementedError("not implemented yet")

    def backward(self, dout):
        """Take dL/dout; return (dL/dx, dL/dy)."""
        raise NotImplementedError("not implemented yet")


class AddLayer:
    """An addition node: out = x + y."""

    def forward(self, x, y):
        raise NotImplementedError("not implemented yet")

    def backward(self, dout):
        """Take dL/dout; return (dL/dx, dL/dy)."""
        raise NotImplementedError("not implemented yet")
'''

MUL_ADD = '''\
import numpy as np


class MulLayer:
    """A multiplication node: out = x * y."""

    def __init__(self):
        self.x = None  # what backward needs from forward
        self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        """Take dL/dout; return (dL/dx, dL/dy)."""
        dx = dout * self.y  # d(x * y)/dx = y: the other input
        dy = dout * self.x
        return dx, dy


class AddLayer:
    """An addition node: out = x + y."""

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        """Take dL/dout; return (dL/dx, dL/dy)."""
        return dout, dout  # d(x + y)/dx = d(x + y)/dy = 1: dout passes on unchanged
'''


def defined_beside(cls: Any, name: str) -> Any:
    """The object called `name` in the code that defined `cls` (the globals its methods see), or None."""
    for attribute in vars(cls).values() if isinstance(cls, type) else ():
        names = getattr(attribute, "__globals__", None)
        if names is not None and name in names:
            return names[name]
    return None


def two_gradients(what: str, got: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(got, tuple | list) and len(got) == 2):
        raise Failure(f"{what} should return two gradients, (dx, dy): one for each input; "
                      f"it returned {type(got).__name__}")
    return array(f"dx of {what}", got[0], shape), array(f"dy of {what}", got[1], shape)


def test_mul_add(MulLayer: Any) -> None:
    """Check MulLayer, then the AddLayer defined next to it (or the pair ``(MulLayer, AddLayer)``)."""
    MulLayer, AddLayer = MulLayer if isinstance(MulLayer, tuple) else (MulLayer, defined_beside(MulLayer, "AddLayer"))
    mul = call("MulLayer()", MulLayer)
    price = output("MulLayer().forward(100, 2)", mul.forward, 100.0, 2.0, shape=())
    compare("MulLayer().forward(100, 2)", price, np.array(200.0))
    d_apple, d_num = two_gradients("MulLayer's backward(1.1)", backward_pair("MulLayer's backward", mul.backward,
                                                                             1.1)[0], ())
    if close(d_apple, np.array(110.0)) and close(d_num, np.array(2.2)):
        raise Failure("after forward(100, 2), backward(1.1) gave dx = 110 and dy = 2.2, the other way round: "
                      "dx = dout * y and dy = dout * x, swap the inputs (x * y changes with x at the rate y)")
    compare("after forward(100, 2), dx of backward(1.1)", d_apple, np.array(2.2), note="dx = dout * y")
    compare("after forward(100, 2), dy of backward(1.1)", d_num, np.array(110.0), note="dy = dout * x")

    rng = np.random.default_rng(3)
    x, y, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    mul = call("MulLayer()", MulLayer)
    out = output("MulLayer's forward(x, y) for x and y of shape (3, 4)", mul.forward, x, y, shape=(3, 4))
    compare("MulLayer's forward(x, y): out", out, x * y, note="out = x * y")
    dx, dy = two_gradients("MulLayer's backward(dout)", backward_pair("MulLayer's backward", mul.backward, dout)[0],
                           (3, 4))
    fresh = call("MulLayer()", MulLayer)
    compare("MulLayer: dx", dx, input_gradient(lambda x_: fresh.forward(x_, y), x, dout), tol=1e-6,
            note="dx = dout * y")
    compare("MulLayer: dy", dy, input_gradient(lambda y_: fresh.forward(x, y_), y, dout), tol=1e-6,
            note="dy = dout * x")

    if AddLayer is None:
        raise Failure("your MulLayer passes; now define AddLayer next to it: the exercise asks for both")
    add = call("AddLayer()", AddLayer)
    out = output("AddLayer's forward(x, y) for x and y of shape (3, 4)", add.forward, x, y, shape=(3, 4))
    compare("AddLayer's forward(x, y): out", out, x + y, note="out = x + y")
    dx, dy = two_gradients("AddLayer's backward(dout)", backward_pair("AddLayer's backward", add.backward, dout)[0],
                           (3, 4))
    for name, got in (("dx", dx), ("dy", dy)):
        if close(got, dout / 2):
            raise Failure(f"AddLayer: {name} is half of dout: an addition node passes dout on whole to each input "
                          f"(x + y changes at rate 1 with x, and at rate 1 with y), it does not share it")
    fresh = call("AddLayer()", AddLayer)
    compare("AddLayer: dx", dx, input_gradient(lambda x_: fresh.forward(x_, y), x, dout), tol=1e-6, note="dx = dout")
    compare("AddLayer: dy", dy, input_gradient(lambda y_: fresh.forward(x, y_), y, dout), tol=1e-6, note="dy = dout")


RELU_STARTER = '''\
import numpy as np


class Relu:
    """out = max(0, x); the gradient passes where x > 0 and stops elsewhere (at x = 0 too)."""

    def __init__(self):
        self.mask = None  # what backward needs from forward

    def forward(self, x):
        raise NotImplementedError("not implemented yet")

    def backward(self, dout):
        """Take dL/dout, of the shape of x; return dL/dx. Leave dout as it is."""
        raise NotImplementedError("not implemented yet")
'''

RELU = '''\
import numpy as np


class Relu:
    """out = max(0, x); the gradient passes where x > 0 and stops elsewhere (at x = 0 too)."""

    def __init__(self):
        self.mask = None  # where x > 0: where the gradient passes

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, dout):
        """Take dL/dout, of the shape of x; return dL/dx. Leave dout as it is."""
        return np.where(self.mask, dout, 0.0)  # a new array: dout is left alone
'''


def test_relu(Relu: Any) -> None:
    rng = np.random.default_rng(4)
    for shape in [(3, 4), (5,)]:
        x = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)  # no entry near the kink at 0
        layer = call("Relu()", Relu)
        out = output(f"forward(x) for x of shape {shape}", layer.forward, x, shape=shape)
        compare(f"forward(x) for x of shape {shape}: out", out, np.maximum(x, 0), note="out = max(0, x)")
        dout = rng.normal(size=shape)
        dx = array(f"backward(dout) for dout of shape {shape}", backward_pair("backward", layer.backward, dout)[0],
                   shape)
        expected = dout * (x > 0)
        if not close(dx, expected):
            if close(dx, np.where(dout > 0, dout, 0)):
                raise Failure("the gradient passes where dout > 0: it should pass where the input x was > 0. "
                              "Keep the mask x > 0 from forward, and use it in backward")
            if close(dx, dout * np.maximum(x, 0)):
                raise Failure("backward multiplies dout by the output max(0, x): the derivative of max(0, x) is 1 "
                              "where x > 0 and 0 elsewhere, so keep the mask x > 0, not the output")
        compare(f"backward(dout) for x of shape {shape}: dx", dx, input_gradient(layer.forward, x, dout), tol=1e-6,
                note="dx = dout where x > 0, and 0 elsewhere")
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]])  # exactly at the kink, twice
    layer = call("Relu()", Relu)
    output("forward(x) for x with zeros", layer.forward, x, shape=(2, 3))
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    dx = array("backward(dout) for x with zeros", call("backward(dout)", layer.backward, dout.copy()), (2, 3))
    if close(dx, dout * (x >= 0)):
        raise Failure("at x = 0 the gradient passed: max(0, x) has no derivative at 0, and dlfs takes it as 0 "
                      "everywhere (the mask is x > 0, not x >= 0)")
    reference_layer = reference.Relu()
    reference_layer.forward(x)
    compare("backward(dout) for x with zeros: dx", dx, reference_layer.backward(dout), tol=1e-9,
            note="dx = dout where x > 0, and 0 elsewhere (at x = 0 too)")


SIGMOID_STARTER = '''\
import numpy as np


class Sigmoid:
    """out = 1 / (1 + exp(-x)), whose derivative is out * (1 - out).

    It must not overflow for x = -1000 or 1000.
    """

    def __init__(self):
        self.out = None  # what backward needs from forward

    def forward(self, x):
        raise NotImplementedError("not implemented yet")

    def backward(self, dout):
        """Take dL/dout, of the shape of x; return dL/dx."""
        raise NotImplementedError("not implemented yet")
'''

SIGMOID = '''\
import numpy as np


class Sigmoid:
    """out = 1 / (1 + exp(-x)), whose derivative is out * (1 - out)."""

    def __init__(self):
        self.out = None  # the derivative needs only the output

    def forward(self, x):
        self.out = 0.5 * (1.0 + np.tanh(0.5 * x))  # the same function as 1 / (1 + exp(-x)), without exp to overflow
        return self.out

    def backward(self, dout):
        """Take dL/dout, of the shape of x; return dL/dx."""
        return dout * self.out * (1.0 - self.out)
'''


class Watched(np.ndarray):
    """An array whose operations raise FloatingPointError where finite inputs give inf or nan.

    ``np.errstate(over="raise")`` relies on the processor's floating-point
    flags, which WebAssembly does not have: in the browser it never raises.
    This raises the same error, with NumPy's words, on any machine.
    """

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        plain = [np.asarray(i) if isinstance(i, Watched) else i for i in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, Watched) else o for o in kwargs["out"])
        with np.errstate(all="ignore"):
            out = getattr(ufunc, method)(*plain, **kwargs)
        finite = all(np.isfinite(i).all() for i in plain if isinstance(i, (np.ndarray, float, int)))
        if finite and isinstance(out, (np.ndarray, np.floating)) and out.dtype.kind in "fc" and \
                not np.isfinite(out).all():
            problem = "invalid value" if np.isnan(out).any() else (
                "divide by zero" if ufunc in (np.divide, np.reciprocal, np.log) else "overflow")
            raise FloatingPointError(f"{problem} encountered in {ufunc.__name__}")
        return out.view(Watched) if isinstance(out, np.ndarray) else out


def test_sigmoid(Sigmoid: Any) -> None:
    rng = np.random.default_rng(5)
    for shape in [(3, 4), (5,)]:
        x = 2 * rng.normal(size=shape)
        layer = call("Sigmoid()", Sigmoid)
        y = output(f"forward(x) for x of shape {shape}", layer.forward, x, shape=shape)
        compare(f"forward(x) for x of shape {shape}: out", y, reference_sigmoid(x), note="out = 1 / (1 + exp(-x))")
        y = reference_sigmoid(x)
        dout = rng.normal(size=shape)
        got = array(f"backward(dout) for dout of shape {shape}", call("backward(dout)", layer.backward, dout.copy()))
        if close(got, y * (1 - y)):
            raise Failure("backward returned out * (1 - out), the local derivative alone: it ignores dout. "
                          "Multiply by dout, the gradient arriving from the layers after this one")
        if close(got, dout * x * (1 - x)):
            raise Failure("backward computed x * (1 - x) from the input: the derivative is out * (1 - out), "
                          "from the output out = sigmoid(x). Keep out in forward")
        dx = array(f"backward(dout) for dout of shape {shape}", backward_pair("backward", layer.backward, dout)[0],
                   shape)
        compare(f"backward(dout) for x of shape {shape}: dx", dx, input_gradient(layer.forward, x, dout), tol=1e-6,
                note="dx = dout * out * (1 - out)")
    x = np.array([-1000.0, 0.0, 1000.0])
    layer = call("Sigmoid()", Sigmoid)
    try:
        with np.errstate(over="raise", invalid="raise"):
            y = array("forward(x) for x = [-1000, 0, 1000]", call("forward(x) for x = [-1000, 0, 1000]",
                                                                   layer.forward, x.copy().view(Watched)))
    except Failure as failure:
        if "FloatingPointError" not in str(failure):
            raise
        raise Failure(f"a score of -1000 or 1000 overflows: {failure}. exp(1000) is beyond float64 (inf, and NumPy "
                      f"warns). Write the same function so that nothing can overflow: "
                      f"0.5 * (1 + np.tanh(x / 2)) is exactly 1 / (1 + exp(-x))") from None
    compare("forward(x) for x = [-1000, 0, 1000]: out", y, np.array([0.0, 0.5, 1.0]), tol=1e-9)
    dx = array("backward(dout) for x = [-1000, 0, 1000]", call("backward(dout)", layer.backward, np.ones(3)), (3,))
    compare("backward(dout) for x = [-1000, 0, 1000]: dx", dx, np.array([0.0, 0.25, 0.0]), tol=1e-9)


SOFTMAX_WITH_LOSS_STARTER = '''\
import numpy as np


class SoftmaxWithLoss:
    """Softmax of the scores, then the cross-entropy loss averaged over the batch."""

    def __init__(self):
        self.y = None  # what backward needs from forward: the probabilities
        self.t = None  # and the labels
        self.loss = None

    def forward(self, x, t):
        """Scores x (N, C); labels t, one-hot (N, C) or class indices (N,). Return the mean loss.

        Scores of 1000 must not overflow.
        """
        raise NotImplementedError("not implemented yet")

    def backward(self, dout=1):
        """Take dL/dloss (a number, 1 at the end of the graph); return dL/dx (N, C)."""
        raise NotImplementedError("not implemented yet")
'''

SOFTMAX_WITH_LOSS = '''\
import numpy as np


class SoftmaxWithLoss:
    """Softmax of the scores, then the cross-entropy loss averaged over the batch."""

    def __init__(self):
        self.y = None  # the probabilities, (N, C)
        self.t = None  # the labels, one-hot (N, C)
        self.loss = None

    def forward(self, x, t):
        """Scores x (N, C); labels t, one-hot (N, C) or class indices (N,). Return the mean loss."""
        if t.ndim == 1:  # class indices: make them one-hot
            t = np.eye(x.shape[1])[t]
        self.t = t
        z = x - x.max(axis=1, keepdims=True)  # the largest score becomes 0: exp() cannot overflow
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # log-softmax: log(0) cannot happen
        self.y = np.exp(log_y)
        self.loss = -np.sum(t * log_y) / x.shape[0]
        return self.loss

    def backward(self, dout=1):
        """Take dL/dloss (a number, 1 at the end of the graph); return dL/dx (N, C)."""
        batch_size = self.y.shape[0]
        return dout * (self.y - self.t) / batch_size  # the loss is a mean: each example counts 1/N
'''

# the book's log(y + 1e-7) moves the loss and its gradient by about 1e-7 / y: far inside this
SOFTMAX_WITH_LOSS_TOL = 1e-5


def score_gradient(layer: Any, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The numerical gradient of ``layer.forward(x, t)`` in the scores x: what backward(1) must return."""
    return numerical_gradient(lambda s: loss_value("forward(x, t)", layer.forward, s, t), x.copy())


def test_softmax_with_loss(SoftmaxWithLoss: Any) -> None:
    rng = np.random.default_rng(6)
    N, C = 4, 3
    x, labels = rng.normal(size=(N, C)), np.array([0, 2, 1, 2])
    onehot = np.eye(C)[labels]
    last = reference.SoftmaxWithLoss()
    expected = last.forward(x, labels)
    layers = {form: call("SoftmaxWithLoss()", SoftmaxWithLoss) for form in ("labels", "one-hot")}
    losses = {form: outcome(loss_value, f"forward(x, t) for scores x of shape (4, 3) and {form} t",
                            layers[form].forward, x, t) for form, t in (("labels", labels), ("one-hot", onehot))}
    label_forms(losses, lambda got: near(got, expected, SOFTMAX_WITH_LOSS_TOL), N, C, of="the scores x")
    for form, loss in losses.items():
        if isinstance(loss, Failure):
            raise loss
        if near(loss, N * expected, SOFTMAX_WITH_LOSS_TOL):
            raise Failure(f"forward(x, t): {loss:.4g}, expected {expected:.4g}, {N} times as much: the loss is the "
                          f"mean over the batch, so divide the sum by the batch size")
        compare(f"forward(x, t) with {form} t: loss", np.array(loss), np.array(expected), tol=SOFTMAX_WITH_LOSS_TOL,
                note="The loss is -log of the softmax probability of the correct class, averaged over the batch")

    expected_dx = last.backward(1.0)
    for form, layer in layers.items():
        what = f"backward(1) after forward(x, t) with {form} t"
        dx, dx2 = backward_pair("backward", layer.backward, 1.0)
        dx = array(what, dx, (N, C))
        if close(dx, N * expected_dx, SOFTMAX_WITH_LOSS_TOL):
            raise Failure(f"{what} is {N} times the gradient: the loss is the mean over the batch of {N}, so each "
                          f"example's y - t counts 1/N: divide by the batch size")
        numeric = score_gradient(call("SoftmaxWithLoss()", SoftmaxWithLoss), x, labels if form == "labels" else onehot)
        compare(f"{what}: dx", dx, numeric, tol=SOFTMAX_WITH_LOSS_TOL, note="dx = dout * (y - t) / N")
        compare(f"backward(2) after forward(x, t) with {form} t: dx", array(what, dx2, (N, C)), 2 * dx, tol=1e-9,
                note="Doubling dout doubles the gradient: dx = dout * (y - t) / N")
        default = array(f"backward() after forward(x, t) with {form} t", call("backward()", layer.backward), (N, C))
        compare(f"backward() after forward(x, t) with {form} t: dx", default, dx, tol=1e-9,
                note="dout is 1 unless given: backward(self, dout=1)")

    big = np.array([[1000.0, 999.0, 990.0], [-5.0, 0.0, 5.0]])
    t = np.array([1, 2])
    layer = call("SoftmaxWithLoss()", SoftmaxWithLoss)
    loss = loss_value("forward(x, t) for scores near 1000", layer.forward, big, t)
    if not np.isfinite(loss):
        raise Failure(f"scores near 1000 give a loss of {loss}: exp(1000) overflows. Subtract each row's largest "
                      f"score first, which leaves the probabilities unchanged")
    last = reference.SoftmaxWithLoss()
    compare("forward(x, t) for scores near 1000: loss", np.array(loss), np.array(last.forward(big, t)),
            tol=SOFTMAX_WITH_LOSS_TOL)
    dx = array("backward(1) for scores near 1000", call("backward(1)", layer.backward, 1.0), big.shape)
    compare("backward(1) for scores near 1000: dx", dx, last.backward(1.0), tol=SOFTMAX_WITH_LOSS_TOL)


EXERCISES = [
    Exercise(
        id="affine", chapter="backprop", title="The Affine layer, forward and backward",
        name="Affine", signature="class Affine(W, b) with forward(x) and backward(dout)",
        starter=AFFINE_STARTER, solution=AFFINE, test=test_affine,
        what="out = x @ W + b, and dx, dW, db against numerical gradients, dout left as it was, and W and b kept "
             "themselves: an update made in place reaches the layer",
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
            Mutant("copies of W and b", (("self.W, self.b = W, b", "self.W, self.b = W.copy(), b.copy()"),),
                   says="keeps a copy of W"),
            Mutant("a copy of b", (("self.W, self.b = W, b", "self.W, self.b = W, np.array(b)"),),
                   says="keeps a copy of b"),
        ),
    ),
    Exercise(
        id="mul-add", chapter="backprop", title="The multiplication and addition nodes",
        name="MulLayer", signature="class MulLayer and class AddLayer, each with forward(x, y) and backward(dout)",
        starter=MUL_ADD_STARTER, solution=MUL_ADD, test=test_mul_add,
        what="x * y and x + y, and (dx, dy) from each backward against numerical gradients, for numbers (the "
             "apples: 2.2 and 110) and for arrays, dout used and left as it was",
        hints=("backward returns a pair (dx, dy): how much the output changes per unit of x, and per unit of y, "
               "times dout.",
               "x * y changes with x at the rate y, and with y at the rate x: MulLayer keeps both inputs in forward.",
               "MulLayer: dx = dout * self.y and dy = dout * self.x. AddLayer: x + y changes at rate 1 with each, "
               "so it returns dout, dout."),
        mutants=(
            Mutant("inputs not swapped", (("dx = dout * self.y", "dx = dout * self.x"),
                                          ("dy = dout * self.x", "dy = dout * self.y")), says="the other way round"),
            Mutant("MulLayer ignores dout",
                   (("dx = dout * self.y", "dx = self.y"), ("dy = dout * self.x", "dy = self.x")), says="ignores dout"),
            Mutant("AddLayer ignores dout", (("return dout, dout", "return 1.0, 1.0"),), says="ignores dout"),
            Mutant("AddLayer halves dout", (("return dout, dout", "return dout / 2, dout / 2"),), says="half of dout"),
        ),
    ),
    Exercise(
        id="relu", chapter="backprop", title="The ReLU layer",
        name="Relu", signature="class Relu with forward(x) and backward(dout)",
        starter=RELU_STARTER, solution=RELU, test=test_relu,
        what="max(0, x), and dx against numerical gradients for x of shapes (3, 4) and (5,), the derivative 0 at "
             "x = 0, dout used and left as it was",
        hints=("The derivative of max(0, x) is 1 where x > 0 and 0 elsewhere: forward keeps where x > 0, a mask.",
               "backward passes dout where the mask is True and 0 elsewhere, in a new array: dout belongs to the "
               "caller.",
               "forward: self.mask = x > 0. backward: return np.where(self.mask, dout, 0.0)."),
        mutants=(
            Mutant("mask from dout", (("np.where(self.mask, dout, 0.0)", "np.where(dout > 0, dout, 0.0)"),),
                   says="where dout > 0"),
            Mutant("the output as the mask", (("self.mask = x > 0", "self.mask = np.maximum(x, 0)"),
                                              ("return np.where(self.mask, dout, 0.0)", "return dout * self.mask")),
                   says="by the output"),
            Mutant("dout changed in place", (("        return np.where(self.mask, dout, 0.0)  # a new array: dout is "
                                              "left alone\n", "        dout[~self.mask] = 0\n        return dout\n"),),
                   says="changed dout"),
            Mutant("x changed in place", (("        return np.where(self.mask, x, 0.0)\n",
                                           "        x[~self.mask] = 0\n        return x\n"),),
                   says="changed its input"),
            Mutant("the gradient passes at the kink", (("self.mask = x > 0", "self.mask = x >= 0"),), says="at x = 0"),
        ),
    ),
    Exercise(
        id="sigmoid", chapter="backprop", title="The sigmoid layer",
        name="Sigmoid", signature="class Sigmoid with forward(x) and backward(dout)",
        starter=SIGMOID_STARTER, solution=SIGMOID, test=test_sigmoid,
        what="1 / (1 + exp(-x)) for x of shapes (3, 4) and (5,) and for x = -1000 and 1000 with no overflow, and dx "
             "against numerical gradients, dout used and left as it was",
        hints=("The derivative of the sigmoid is out * (1 - out), from its output: forward keeps out.",
               "backward multiplies that local derivative by dout.",
               "np.exp(1000) overflows: 0.5 * (1 + np.tanh(x / 2)) is the same function and cannot."),
        mutants=(
            Mutant("the derivative from the input",
                   (("        self.out = 0.5", "        self.x = x\n        self.out = 0.5"),
                    ("return dout * self.out * (1.0 - self.out)", "return dout * self.x * (1.0 - self.x)")),
                   says="from the input"),
            Mutant("dout not used", (("return dout * self.out * (1.0 - self.out)",
                                      "return self.out * (1.0 - self.out)"),), says="ignores dout"),
            Mutant("exp overflows", (("0.5 * (1.0 + np.tanh(0.5 * x))  # the same function as 1 / (1 + exp(-x)), "
                                      "without exp to overflow", "1 / (1 + np.exp(-x))"),), says="overflows"),
        ),
    ),
    Exercise(
        id="softmax-with-loss", chapter="backprop", title="Softmax with cross-entropy, forward and backward",
        name="SoftmaxWithLoss", signature="class SoftmaxWithLoss with forward(x, t) and backward(dout=1)",
        starter=SOFTMAX_WITH_LOSS_STARTER, solution=SOFTMAX_WITH_LOSS, test=test_softmax_with_loss,
        what="the mean cross-entropy of the softmax with class labels and with one-hot t, dx = dout * (y - t) / N "
             "against numerical gradients, dout = 1 by default, and scores near 1000",
        hints=("forward: the probabilities y = softmax(x), subtracting each row's largest score first; keep y and "
               "the labels, and return the mean of -log y of the correct classes.",
               "Labels may come as class indices (N,) or one-hot rows (N, C): np.eye(C)[t] turns indices into rows.",
               "backward: dout * (self.y - self.t) / batch_size, with t one-hot: the loss is a mean over the batch."),
        mutants=(
            Mutant("not divided by N",
                   (("return dout * (self.y - self.t) / batch_size", "return dout * (self.y - self.t)"),),
                   says="times the gradient"),
            Mutant("dout ignored", (("return dout * (self.y - self.t) / batch_size",
                                     "return (self.y - self.t) / batch_size"),), says="ignores dout"),
            Mutant("one-hot only", (("        if t.ndim == 1:  # class indices: make them one-hot\n"
                                     "            t = np.eye(x.shape[1])[t]\n", ""),), says="not with class labels"),
            Mutant("labels only", (("        if t.ndim == 1:  # class indices: make them one-hot\n"
                                    "            t = np.eye(x.shape[1])[t]\n", "        t = np.eye(x.shape[1])[t]\n"),),
                   says="not with one-hot t"),
            Mutant("no max subtracted", (("z = x - x.max(axis=1, keepdims=True)", "z = x"),), says="overflows"),
        ),
    ),
]
