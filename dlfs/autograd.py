"""A small reverse-mode autograd engine: `Variable` records the graph, `backward` walks it.

Chapter "From layers to autograd" (``docs/autograd.md``) builds it, part
by part, after the layers of chapter "Backpropagation". Each operation is a
small function that computes its output and, right beside it, its local
backward pass: how the gradient of its output becomes gradients of its
inputs. ``backward()`` visits the graph in reverse topological order,
found with an explicit stack instead of recursion, so a graph thousands of
operations deep works. It is teaching code, one NumPy call per operation.
Real libraries add a tape that frees the graph after use, derivatives of
derivatives (the backward pass recorded as a graph too), checks that no
array was changed in place between the two passes, and a switch that turns
the recording off.

Examples
--------
>>> x = Variable(3.0)
>>> y = x * x + 2 * x  # dy/dx = 2x + 2
>>> y.backward()
>>> print(y.data, x.grad)
15.0 8.0
"""

# --8<-- [start:imports]
import numbers
from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np

# --8<-- [end:imports]
from dlfs._checks import check_labels

# --8<-- [start:types]
Operand: TypeAlias = "Variable | float | np.ndarray"  # a number or an array becomes a constant
LocalBackward: TypeAlias = Callable[[np.ndarray], tuple[np.ndarray, ...]]  # gy -> one gradient per parent
# --8<-- [end:types]


# --8<-- [start:variable]
class Variable:
    """A node of the graph: a value, the nodes it came from, and how to send a gradient back to them.

    Parameters
    ----------
    data : float, list or ndarray of floats
        The value. Python numbers and lists become float64; a float array
        keeps its dtype (and is not copied). Integer arrays are refused.
    parents : tuple of Variable
        The inputs of the operation that made this node; none for a leaf.
    local_backward : callable, optional
        Takes this node's gradient and returns one gradient per parent,
        each shaped like that parent.

    Attributes
    ----------
    grad : ndarray shaped like `data`, or None
        Where `backward` leaves the gradient; None until then.

    Examples
    --------
    >>> W, b = Variable([[1.0, 2.0], [3.0, 4.0]]), Variable([0.5, -0.5])
    >>> x = np.array([[1.0, 1.0]])  # a NumPy array or a number is a constant
    >>> loss = (x @ W + b).relu().sum()
    >>> loss.backward()
    >>> print(loss.data, W.grad.tolist(), b.grad.tolist())
    10.0 [[1.0, 1.0], [1.0, 1.0]] [1.0, 1.0]
    """

    __array_ufunc__ = None  # make NumPy step aside: ndarray @ Variable calls Variable.__rmatmul__

    def __init__(self, data: Any, parents: tuple["Variable", ...] = (),
                 local_backward: LocalBackward | None = None) -> None:
        if isinstance(data, np.ndarray | np.generic):
            if not np.issubdtype(data.dtype, np.floating):
                raise TypeError(f"data must be an array of floats to carry a gradient, got dtype "
                                f"{data.dtype}. Use data.astype(float).")
            self.data = np.asarray(data)
        else:
            self.data = np.asarray(data, dtype=np.float64)  # Python numbers and lists
        self.parents = parents
        self.local_backward = local_backward
        self.grad: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Variable({self.data!r})"

    def cleargrad(self) -> None:
        """Forget the gradient, so that the next `backward` does not add to it."""
        self.grad = None

    # Operators and methods: each calls the function of its operation, below.
    def __add__(self, other: Operand) -> "Variable": return add(self, other)
    def __radd__(self, other: Operand) -> "Variable": return add(other, self)
    def __sub__(self, other: Operand) -> "Variable": return sub(self, other)
    def __rsub__(self, other: Operand) -> "Variable": return sub(other, self)
    def __mul__(self, other: Operand) -> "Variable": return mul(self, other)
    def __rmul__(self, other: Operand) -> "Variable": return mul(other, self)
    def __truediv__(self, other: Operand) -> "Variable": return div(self, other)
    def __rtruediv__(self, other: Operand) -> "Variable": return div(other, self)
    def __matmul__(self, other: Operand) -> "Variable": return matmul(self, other)
    def __rmatmul__(self, other: Operand) -> "Variable": return matmul(other, self)
    def __pow__(self, c: float) -> "Variable": return power(self, c)
    def __neg__(self) -> "Variable": return neg(self)
    def exp(self) -> "Variable": return exp(self)
    def log(self) -> "Variable": return log(self)
    def sigmoid(self) -> "Variable": return sigmoid(self)
    def relu(self) -> "Variable": return relu(self)
    def reshape(self, *shape: int) -> "Variable": return reshape(self, *shape)
    @property
    def T(self) -> "Variable": return transpose(self)  # noqa: N802 (NumPy's name)
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> "Variable":
        return sum_(self, axis, keepdims)

    # --8<-- [start:backward]
    def backward(self) -> None:
        """Add to ``v.grad`` the derivative of this scalar with respect to every `v` it depends on.

        Gradients accumulate: a second call without `cleargrad` adds the
        same gradients again, as in PyTorch. Within one call the gradients
        are summed in a dictionary, so a ``grad`` left by an earlier call is
        never sent further back. A non-scalar ``y`` is refused: call
        ``(y * dout).sum().backward()`` to send the gradient `dout` back.
        """
        if self.data.size != 1:
            raise ValueError(f"backward() needs a scalar (one number), got shape {self.shape}: "
                             f"reduce it first, e.g. y.sum() or (y * dout).sum()")
        grads = {self: np.ones_like(self.data)}  # dself/dself = 1
        for v in reversed(topological_order(self)):
            gy = grads.pop(v)  # complete: every node that uses v came before v
            v.grad = gy.copy() if v.grad is None else v.grad + gy  # its own array: gy may be another node's too
            if v.local_backward is not None:  # None for a leaf
                for parent, g in zip(v.parents, v.local_backward(gy)):
                    grads[parent] = grads[parent] + g if parent in grads else g  # the sum over paths
    # --8<-- [end:backward]
# --8<-- [end:variable]


# --8<-- [start:topological_order]
def topological_order(root: Variable) -> list[Variable]:
    """Return `root` and every node it depends on, each after all of its parents.

    A depth-first search with an explicit stack instead of recursion, so a
    chain of 100,000 operations needs no more than Python's default stack.

    Examples
    --------
    >>> x = Variable(2.0)
    >>> a = x.exp()
    >>> y = a * x
    >>> names = {x: "x", a: "a", y: "y"}
    >>> print(" ".join(names[v] for v in topological_order(y)))
    x a y
    """
    order: list[Variable] = []
    visited: set[Variable] = set()
    stack = [(root, False)]
    while stack:
        v, parents_done = stack.pop()
        if parents_done:
            order.append(v)  # its parents are all in `order` by now
        elif v not in visited:
            visited.add(v)
            stack.append((v, True))  # come back to v once its parents are done
            stack.extend((p, False) for p in v.parents if p not in visited)
    return order
# --8<-- [end:topological_order]


# --8<-- [start:sum_to]
def sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum the gradient `g` down to `shape`, undoing NumPy's broadcasting.

    A bias of shape (M,) added to a batch of shape (N, M) was used N times,
    so its gradient is the sum of the N rows of the batch's gradient.

    Examples
    --------
    >>> sum_to(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    """
    lead = g.ndim - len(shape)  # the axes broadcasting put in front
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    axes = tuple(range(lead)) + stretched
    return g.sum(axis=axes, keepdims=True).reshape(shape) if axes else g
# --8<-- [end:sum_to]


# --8<-- [start:ops]
def operands(*xs: Operand) -> tuple[Variable, ...]:
    """The `xs` as Variables: a number or an array becomes a constant leaf, of a Variable's dtype."""
    dtype = next((x.data.dtype for x in xs if isinstance(x, Variable)), np.float64)
    return tuple(x if isinstance(x, Variable) else Variable(np.asarray(x, dtype=dtype)) for x in xs)


def add(a: Operand, b: Operand) -> Variable:
    """``a + b``, broadcasting: the gradient passes to both, summed to their shapes."""
    a, b = operands(a, b)
    return Variable(a.data + b.data, (a, b), lambda gy: (sum_to(gy, a.shape), sum_to(gy, b.shape)))


def sub(a: Operand, b: Operand) -> Variable:
    """``a - b``, broadcasting."""
    a, b = operands(a, b)
    return Variable(a.data - b.data, (a, b), lambda gy: (sum_to(gy, a.shape), sum_to(-gy, b.shape)))


def mul(a: Operand, b: Operand) -> Variable:
    """``a * b`` elementwise, broadcasting: each input gets ``gy`` times the other."""
    a, b = operands(a, b)
    return Variable(a.data * b.data, (a, b),
                    lambda gy: (sum_to(gy * b.data, a.shape), sum_to(gy * a.data, b.shape)))


def div(a: Operand, b: Operand) -> Variable:
    """``a / b`` elementwise, broadcasting."""
    a, b = operands(a, b)
    return Variable(a.data / b.data, (a, b),
                    lambda gy: (sum_to(gy / b.data, a.shape), sum_to(-gy * a.data / b.data**2, b.shape)))


def neg(a: Variable) -> Variable:
    """``-a``."""
    return Variable(-a.data, (a,), lambda gy: (-gy,))


def power(a: Variable, c: float) -> Variable:
    """``a ** c`` for a constant number `c` (which gets no gradient)."""
    if not isinstance(c, numbers.Real):
        raise TypeError(f"the exponent c must be a constant number, got {type(c).__name__}")
    return Variable(a.data**c, (a,), lambda gy: (gy * c * a.data ** (c - 1),))


def matmul(a: Operand, b: Operand) -> Variable:
    """``a @ b`` for matrices of shapes (N, D) and (D, M)."""
    a, b = operands(a, b)
    if a.data.ndim != 2 or b.data.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"a @ b needs matrices of shapes (N, D) and (D, M), got {a.shape} @ {b.shape}")
    return Variable(a.data @ b.data, (a, b), lambda gy: (gy @ b.data.T, a.data.T @ gy))


def sum_(a: Variable, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Variable:
    """``a.sum(axis, keepdims)``, as NumPy's: each entry summed gets the gradient of its sum."""
    def local_backward(gy: np.ndarray) -> tuple[np.ndarray]:
        if not keepdims and axis is not None:
            gy = np.expand_dims(gy, axis)  # put the summed axes back, as length 1
        return (np.ones_like(a.data) * gy,)  # and broadcast along them
    return Variable(a.data.sum(axis=axis, keepdims=keepdims), (a,), local_backward)


def exp(a: Variable) -> Variable:
    """``exp(a)`` elementwise; its derivative is itself."""
    y = np.exp(a.data)
    return Variable(y, (a,), lambda gy: (gy * y,))


def log(a: Variable) -> Variable:
    """The natural logarithm, elementwise, of a positive `a`."""
    return Variable(np.log(a.data), (a,), lambda gy: (gy / a.data,))


def sigmoid(a: Variable) -> Variable:
    """``1 / (1 + exp(-a))`` elementwise, written so that it cannot overflow."""
    y = 0.5 * (1.0 + np.tanh(0.5 * a.data))
    return Variable(y, (a,), lambda gy: (gy * y * (1.0 - y),))


def relu(a: Variable) -> Variable:
    """``max(0, a)`` elementwise; the derivative at 0 is 0, as in `dlfs.layers.Relu`."""
    return Variable(np.maximum(a.data, 0), (a,), lambda gy: (np.where(a.data > 0, gy, 0),))


def reshape(a: Variable, *shape: int) -> Variable:
    """`a` in a new shape (one entry may be -1); the gradient goes back to the old one."""
    return Variable(a.data.reshape(shape), (a,), lambda gy: (gy.reshape(a.shape),))


def transpose(a: Variable) -> Variable:
    """``a.T``, the axes reversed."""
    return Variable(a.data.T, (a,), lambda gy: (gy.T,))
# --8<-- [end:ops]


# --8<-- [start:softmax_cross_entropy]
def softmax_cross_entropy(scores: Operand, t: np.ndarray) -> Variable:
    """Return the mean cross-entropy of softmax(`scores`) against the labels `t`, as one node.

    Parameters
    ----------
    scores : Variable of shape (N, C)
    t : ndarray of class indices of shape (N,), or one-hot rows of shape (N, C)

    Returns
    -------
    Variable of shape ()
        Its local backward pass is ``(softmax(scores) - onehot(t)) / N``,
        as in `dlfs.layers.SoftmaxWithLoss`.

    Examples
    --------
    >>> scores = Variable([[0.0, 0.0], [1000.0, 0.0]])  # no overflow
    >>> loss = softmax_cross_entropy(scores, np.array([1, 0]))
    >>> loss.backward()
    >>> print(f"{loss.data:.4f}", scores.grad.tolist())
    0.3466 [[0.25, -0.25], [0.0, 0.0]]
    """
    (x,) = operands(scores)
    if x.data.ndim != 2:
        raise ValueError(f"scores must have shape (N, C), got shape {x.shape}")
    n = x.shape[0]
    rows, labels = np.arange(n), check_labels(t, n=n, n_classes=x.shape[1], name="t")
    z = x.data - x.data.max(axis=1, keepdims=True)  # subtract the row max so exp() cannot overflow
    log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # log-softmax, exact even for tiny y

    def local_backward(gy: np.ndarray) -> tuple[np.ndarray]:
        dx = np.exp(log_y)  # softmax(scores), a new array
        dx[rows, labels] -= 1
        return (dx * (gy / n),)
    return Variable(-log_y[rows, labels].mean(), (x,), local_backward)
# --8<-- [end:softmax_cross_entropy]
