"""Exercises of chapter 10, "From layers to autograd" (``docs/autograd.md``)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from dlfs.autograd import Variable as ReferenceVariable
from dlfs.autograd import sum_to as reference_sum_to
from dlfs.exercises.core import Exercise, Failure, Mutant, array, call, close, compare
from dlfs.numerical import numerical_gradient

SUM_TO_STARTER = '''\
import numpy as np


def sum_to(g, shape):
    """Sum the gradient g down to shape, undoing NumPy's broadcasting.

    A value of shape `shape`, broadcast to g's shape, was used many times: its
    gradient is the sum of g over the axes broadcasting added in front and over
    the axes it stretched from length 1 (which stay, as length 1). Leave g as it is.
    """
    raise NotImplementedError("not implemented yet")
'''

SUM_TO = '''\
import numpy as np


def sum_to(g, shape):
    """Sum the gradient g down to shape, undoing NumPy's broadcasting."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead)))  # the axes broadcasting put in front
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True)  # stretched axes stay, as length 1
'''

SUM_TO_CASES = [((4, 3), (3,)), ((4, 3), (1, 3)), ((4, 3), (4, 1)), ((2, 4, 3), (4, 3)), ((2, 3, 3), (3, 1)),
                ((2, 4, 3), (4, 1)), ((3, 1, 2), (1, 1, 2)), ((4, 3), ()), ((2, 3), (2, 3))]


def unshifted(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """What summing shape's stretched axis i as g's axis i (not lead + i) gives, if NumPy allows it."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i for i, n in enumerate(shape) if n == 1)
    try:
        return g.sum(axis=axes, keepdims=True).reshape(shape)
    except ValueError:  # a repeated axis, or a size that does not fit shape
        return None


def test_sum_to(sum_to: Any) -> None:
    rng = np.random.default_rng(10)
    for g_shape, shape in SUM_TO_CASES:
        g = rng.normal(size=g_shape)
        before = g.copy()
        what = f"sum_to(g, {shape}) for g of shape {g_shape}"
        got = array(what, call(what, sum_to, g, shape))
        if not np.array_equal(g, before):
            raise Failure(f"{what} changed g: sum into a new array, never write into the gradient you were given")
        expected = reference_sum_to(g, shape)
        lead = len(g_shape) - len(shape)
        only_lead = g.sum(axis=tuple(range(lead)))
        if got.shape != shape:
            if got.shape == only_lead.shape and close(got, only_lead):
                front = f"the first {lead}" if lead else "here there are none"
                raise Failure(f"{what} has shape {got.shape}, expected {shape}: you summed only the axes broadcasting "
                              f"put in front ({front}). An axis of length 1 in shape that is longer in g was "
                              f"stretched, so the value was used along it too: sum over it, keeping it as length 1")
            if got.size == expected.size and close(got.reshape(expected.shape), expected):
                if got.ndim > len(shape):
                    front = "the axis" if lead == 1 else f"the {lead} axes"
                    raise Failure(f"{what} has shape {got.shape}, expected {shape}: the right sums, but {front} "
                                  f"broadcasting put in front {'is' if lead == 1 else 'are'} still there, as length "
                                  f"1 (keepdims=True keeps every axis it sums). Sum the leading axes away, so that "
                                  f"the result has as many axes as shape; only the stretched axes stay, as length 1")
                raise Failure(f"{what} has shape {got.shape}, expected {shape}: the right sums, but the stretched "
                              f"axes were summed away. Keep them as length 1: keepdims=True")
            raise Failure(f"{what} has shape {got.shape}, expected {shape}")
        wrong_axis = unshifted(g, shape)
        if lead and wrong_axis is not None and not close(wrong_axis, expected) and close(got, wrong_axis):
            front = "a new axis" if lead == 1 else f"{lead} new axes"
            raise Failure(f"{what} sums the wrong axes: axis i of shape is axis {lead} + i of g, since broadcasting "
                          f"put {front} in front. You summed g's axis i for a stretched axis i of shape: add the "
                          f"number of leading axes, {lead}, to each stretched axis")
        if g.size != expected.size and close(got, expected * expected.size / g.size):
            raise Failure(f"{what} is the mean of g over the broadcast axes: a value used n times gets the sum of "
                          f"its n gradients (the sum over paths), not their mean")
        compare(what, got, expected)


TOPOLOGICAL_ORDER_STARTER = '''\
def topological_order(root):
    """Return root and every node it depends on, each after all of its parents.

    A node's parents are v.parents. Each node once, root last, and each node's
    parents visited once, not once per path that reaches it. Without recursion:
    a graph thousands of nodes deep must work, and Python stops a recursion at
    its recursion limit (sys.getrecursionlimit()).
    """
    raise NotImplementedError("not implemented yet")
'''

TOPOLOGICAL_ORDER = '''\
def topological_order(root):
    """Return root and every node it depends on, each after all of its parents."""
    order, visited = [], set()
    stack = [(root, False)]  # (node, parents done?): our stack, not Python's
    while stack:
        v, parents_done = stack.pop()
        if parents_done:
            order.append(v)  # every parent of v is in order by now
        elif v not in visited:
            visited.add(v)
            stack.append((v, True))  # come back to v once its parents are done
            stack.extend((p, False) for p in v.parents if p not in visited)
    return order
'''


class Node:
    """A node with nothing but its parents, and a name for the messages."""

    def __init__(self, name: str, *parents: Node) -> None:
        self.name, self.parents = name, parents

    def __repr__(self) -> str:
        return self.name


def graphs() -> dict[str, tuple[Node, list[Node]]]:
    """Small graphs that are not chains: {description: (root, every node)}."""
    x = Node("x")
    single = ("a single leaf x", (x, [x]))
    t = Node("t")
    z = Node("z", t, t)
    a = Node("a")
    b, c = Node("b", a), Node("c", a)
    d = Node("d", b, c)
    x2 = Node("x")
    a2 = Node("a", x2)
    b2 = Node("b", a2)
    c2 = Node("c", b2)
    y = Node("y", a2, c2)
    return dict([single,
                 ("z = t * t, where t is both parents of z", (z, [t, z])),
                 ("the diamond b = f(a), c = g(a), d = h(b, c)", (d, [a, b, c, d])),
                 ("the diamond with a long side, a -> y and a -> b -> c -> y (with a = 2x)", (y, [x2, a2, b2, c2, y]))])


def order_of(topological_order: Any, root: Node, what: str) -> list[Any]:
    got = call(what, topological_order, root)
    if got is None:
        raise Failure(f"{what} is None: did you forget to return the list?")
    try:
        return list(got)
    except TypeError:
        raise Failure(f"{what} should return a list of nodes, got {type(got).__name__}") from None


class Reads:
    """How often a search has read the nodes' parents, and how often it may before it is stopped (0: no limit)."""

    def __init__(self) -> None:
        self.count, self.budget, self.message = 0, 0, ""


class CountingNode(Node):
    """A Node that counts each reading of its parents, and stops a search that reads them too often."""

    def __init__(self, name: str, reads: Reads, *parents: Node) -> None:
        self.reads = reads
        super().__init__(name, *parents)

    @property
    def parents(self) -> tuple[Node, ...]:
        if self.reads.budget:
            self.reads.count += 1
            if self.reads.count > self.reads.budget:
                raise Failure(self.reads.message)
        return self._parents

    @parents.setter
    def parents(self, value: tuple[Node, ...]) -> None:
        self._parents = value


DIAMONDS = 30  # 2**30 paths from root to x: a search that walks them all is stopped long before
READS_PER_NODE = 10  # a linear search reads a node's parents a few times at most


def stacked_diamonds(reads: Reads) -> tuple[Node, list[Node]]:
    """v = h(s, v) with s = f(v), DIAMONDS times over: 2 * DIAMONDS + 1 nodes, 2**DIAMONDS paths."""
    v = CountingNode("x", reads)
    nodes: list[Node] = [v]
    for i in range(1, DIAMONDS + 1):
        s = CountingNode(f"s{i}", reads, v)
        v = CountingNode(f"v{i}", reads, s, v)  # v feeds both sides of the next diamond
        nodes += [s, v]
    return v, nodes


def check_order(what: str, order: list[Any], nodes: list[Node], root: Node, description: str = "") -> None:
    """Each of `nodes` exactly once, and each after its parents."""
    for v in nodes:
        count = sum(u is v for u in order)
        if count > 1:
            raise Failure(f"{what}: {v} appears {count} times. List each node once: keep a set of the nodes "
                          f"already visited, and skip them")
        if count == 0:
            raise Failure(f"{what}: {v} is missing. Every node that root depends on, and root itself, "
                          f"must be in the list")
    if len(order) != len(nodes):
        raise Failure(f"{what} has {len(order)} entries, expected {len(nodes)}: {order}")
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for p in v.parents:
            if position[id(p)] > position[id(v)]:
                note = (" The nodes are in reverse: backward visits them from root down, but the order itself "
                        "lists each node after its parents, root last" if order[0] is root else
                        " A breadth-first walk from root meets a (one step from y) before b (two steps), "
                        "although b uses a: visit all of a node's parents before appending the node"
                        if "long side" in description else "")
                raise Failure(f"{what}: {v} comes before its parent {p} in {order}.{note}")


def test_topological_order(topological_order: Any) -> None:
    for description, (root, nodes) in graphs().items():
        what = f"topological_order(root) for {description}"
        check_order(what, order_of(topological_order, root, what), nodes, root, description)
    reads = Reads()
    root, nodes = stacked_diamonds(reads)
    what = f"topological_order(root) for {DIAMONDS} diamonds stacked one on another ({len(nodes)} nodes)"
    reads.budget = READS_PER_NODE * len(nodes)
    reads.message = (f"{what} read the nodes' parents more than {reads.budget} times ({READS_PER_NODE} per node) "
                     f"and was stopped. It expands a node again each time a new path reaches it, and the number of "
                     f"paths doubles with each diamond: 2**{DIAMONDS} here. Mark a node visited the first time you "
                     f"push its parents, and never push or expand a visited node again")
    order = order_of(topological_order, root, what)
    reads.budget = 0  # no limit for the checks below, which read parents too
    check_order(what, order, nodes, root)
    depth = sys.getrecursionlimit() + 1000
    chain = [Node("x0")]
    for i in range(1, depth + 1):
        chain.append(Node(f"x{i}", chain[-1]))
    what = f"topological_order(root) for a chain {depth:,} nodes deep"
    try:
        order = order_of(topological_order, chain[-1], what)
    except RecursionError:
        raise Failure(f"{what} hit Python's recursion limit ({sys.getrecursionlimit():,} calls): a function that calls "
                      f"itself for each parent needs one call per level. Keep the nodes still to visit on a list "
                      f"of your own, a stack, instead") from None
    if len(order) != len(chain) or any(u is not v for u, v in zip(order, chain)):
        raise Failure(f"{what}: expected the {len(chain):,} nodes from x0 to x{depth}, in that order")


MUL_MATMUL_STARTER = '''\
import numpy as np
from dlfs.autograd import sum_to  # this chapter's (or your own)


class Variable:
    """A node: its value, the nodes it came from, how to send a gradient to them."""

    def __init__(self, data, parents=(), local_backward=None):
        self.data = np.asarray(data, dtype=np.float64)
        self.parents = parents  # the inputs of the operation that made this node
        self.local_backward = local_backward  # gy -> one gradient per parent
        self.grad = None

    @property
    def shape(self):
        return self.data.shape


def mul(a, b):
    """a * b elementwise, broadcasting, for Variables a and b; parents (a, b)."""
    raise NotImplementedError("not implemented yet")


def matmul(a, b):
    """a @ b for Variables of matrices (N, D) and (D, M); parents (a, b)."""
    raise NotImplementedError("not implemented yet")
'''

MUL_MATMUL = '''\
import numpy as np
from dlfs.autograd import sum_to  # this chapter's (or your own)


class Variable:
    """A node: its value, the nodes it came from, how to send a gradient to them."""

    def __init__(self, data, parents=(), local_backward=None):
        self.data = np.asarray(data, dtype=np.float64)
        self.parents = parents  # the inputs of the operation that made this node
        self.local_backward = local_backward  # gy -> one gradient per parent
        self.grad = None

    @property
    def shape(self):
        return self.data.shape


def mul(a, b):
    """a * b elementwise, broadcasting, for Variables a and b; parents (a, b)."""
    def local_backward(gy):
        # each input gets gy times the other, summed to its shape if it was broadcast
        return sum_to(gy * b.data, a.shape), sum_to(gy * a.data, b.shape)
    return Variable(a.data * b.data, (a, b), local_backward)


def matmul(a, b):
    """a @ b for Variables of matrices (N, D) and (D, M); parents (a, b)."""
    def local_backward(gy):
        return gy @ b.data.T, a.data.T @ gy  # (N, M) @ (M, D) and (D, N) @ (N, M)
    return Variable(a.data @ b.data, (a, b), local_backward)
'''


def input_gradients(op: Any, make: Any, a: np.ndarray, b: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, ...]:
    """The numerical gradients of sum(op(a, b).data * gy) with respect to a and to b."""
    def loss_a(a_: np.ndarray) -> float:
        return float(np.sum(np.asarray(op(make(a_), make(b)).data, dtype=np.float64) * gy))

    def loss_b(b_: np.ndarray) -> float:
        return float(np.sum(np.asarray(op(make(a), make(b_)).data, dtype=np.float64) * gy))

    return numerical_gradient(loss_a, a.copy()), numerical_gradient(loss_b, b.copy())


def local_gradients(name: str, op: Any, make: Any, a: np.ndarray, b: np.ndarray, gy: np.ndarray,
                    expected_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run ``op`` on Variables of `a` and `b`; check its output and parents; return its local backward of `gy`."""
    what = f"{name}(a, b) for a of shape {a.shape} and b of shape {b.shape}"
    va, vb = make(a.copy()), make(b.copy())
    out = call(what, op, va, vb)
    if out is None:
        raise Failure(f"{what} is None: did you forget to return the Variable?")
    for attribute in ("data", "parents", "local_backward"):
        if not hasattr(out, attribute):
            raise Failure(f"{what} should return a Variable(data, parents, local_backward); it has no {attribute}")
    compare(f"{what}: data", array(f"{what}: data", out.data, expected_out.shape), expected_out)
    parents = tuple(out.parents) if isinstance(out.parents, tuple | list) else ()
    if len(parents) != 2 or parents[0] is not va or parents[1] is not vb:
        raise Failure(f"{what}: parents should be (a, b), the two Variables it was computed from, in that order")
    if out.local_backward is None:
        raise Failure(f"{what} has no local_backward: give the Variable the function that turns the gradient of the "
                      f"output into (gradient for a, gradient for b)")
    got = call(f"local_backward(gy) of {what}", out.local_backward, gy.copy())
    if not (isinstance(got, tuple | list) and len(got) == 2):
        raise Failure(f"local_backward(gy) of {what} should return two gradients, one for a and one for b; "
                      f"it returned {type(got).__name__}")
    twice = call(f"local_backward(2 * gy) of {what}", out.local_backward, 2 * gy)
    grads = [np.asarray(g, dtype=np.float64) for g in got]
    if all(np.shape(g) == np.shape(g2) and np.any(g != 0) and np.array_equal(g, np.asarray(g2, dtype=np.float64))
           for g, g2 in zip(grads, twice)):
        raise Failure(f"local_backward of {what} ignores gy: local_backward(2 * gy) returned what local_backward(gy) "
                      f"did. gy is the gradient arriving at the output: multiply the local derivative by it")
    return grads[0], grads[1]


def test_mul_matmul(mul: Any) -> None:
    """Check mul, then the matmul defined next to it (or the pair ``(mul, matmul)``)."""
    mul, matmul = mul if isinstance(mul, tuple) else (mul, getattr(mul, "__globals__", {}).get("matmul"))
    make = getattr(mul, "__globals__", {}).get("Variable", ReferenceVariable)
    rng = np.random.default_rng(11)
    for shape_a, shape_b in [((3, 4), (3, 4)), ((4, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3))]:
        a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
        gy = rng.normal(size=np.broadcast_shapes(shape_a, shape_b))
        ga, gb = local_gradients("mul", mul, make, a, b, gy, a * b)
        what = f"local_backward(gy) of mul(a, b) for a of shape {shape_a} and b of shape {shape_b}"
        if shape_a == shape_b and close(ga, gy * a) and close(gb, gy * b):
            raise Failure(f"{what} gives a the gradient gy * a and b the gradient gy * b: a * b changes with a at "
                          f"the rate b, so a gets gy * b and b gets gy * a, each input the other")
        for name, g, shape in (("a", ga, shape_a), ("b", gb, shape_b)):
            if g.shape != shape:
                raise Failure(f"{what}: the gradient for {name} has shape {g.shape}, expected {shape}. {name} was "
                              f"broadcast to {gy.shape}, so it was used many times: sum the gradient back to its "
                              f"shape with sum_to(..., {name}.shape)")
        numeric_a, numeric_b = input_gradients(mul, make, a, b, gy)
        compare(f"{what}: the gradient for a", ga, numeric_a, tol=1e-6, note="a gets sum_to(gy * b, a.shape)")
        compare(f"{what}: the gradient for b", gb, numeric_b, tol=1e-6, note="b gets sum_to(gy * a, b.shape)")

    if matmul is None:
        raise Failure("your mul passes; now write matmul next to it: the exercise asks for both")
    for shape_a, shape_b in [((4, 3), (3, 2)), ((3, 3), (3, 3))]:  # square: a missing .T is not a shape error
        a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
        gy = rng.normal(size=(shape_a[0], shape_b[1]))
        try:
            ga, gb = local_gradients("matmul", matmul, make, a, b, gy, a @ b)
        except Failure as failure:
            message = str(failure)
            if "raised ValueError" in message and ("mismatch" in message or "align" in message):
                raise Failure(f"{message}. The shapes tell which product: the gradient for a (N, D) is gy @ b.T, "
                              f"(N, M) @ (M, D); the one for b (D, M) is a.T @ gy. Perhaps a transpose is "
                              f"missing") from None
            raise
        what = f"local_backward(gy) of matmul(a, b) for a of shape {shape_a} and b of shape {shape_b}"
        ga = array(f"{what}: the gradient for a", ga, shape_a)
        gb = array(f"{what}: the gradient for b", gb, shape_b)
        square = shape_a == shape_b  # there the products without .T are defined too
        if square and close(ga, gy @ b, 1e-9) and not close(ga, gy @ b.T, 1e-9):
            raise Failure(f"{what}: the gradient for a is gy @ b, a transpose is missing: gy @ b.T (for square "
                          f"matrices the shapes cannot tell you)")
        if square and close(gb, a @ gy, 1e-9) and not close(gb, a.T @ gy, 1e-9):
            raise Failure(f"{what}: the gradient for b is a @ gy, a transpose is missing: a.T @ gy (for square "
                          f"matrices the shapes cannot tell you)")
        numeric_a, numeric_b = input_gradients(matmul, make, a, b, gy)
        compare(f"{what}: the gradient for a", ga, numeric_a, tol=1e-6, note="a gets gy @ b.T")
        compare(f"{what}: the gradient for b", gb, numeric_b, tol=1e-6, note="b gets a.T @ gy")


EXERCISES = [
    Exercise(
        id="sum-to", chapter="autograd", title="Undo broadcasting: sum_to",
        name="sum_to", signature="sum_to(g, shape)",
        starter=SUM_TO_STARTER, solution=SUM_TO, test=test_sum_to,
        what="the shape and the sums against dlfs.autograd.sum_to for a bias (3,) and (1, 3), a column (4, 1), "
             "leading axes, both at once, a scalar and an unchanged shape, g left as it was",
        hints=("Broadcasting does two things to a value: it puts new axes in front, and it stretches axes of "
               "length 1. Each use of the value along those axes sent back a gradient; add them up.",
               "First sum over the g.ndim - len(shape) leading axes. Then sum over each axis i where shape[i] is 1 "
               "but g is longer.",
               "The second sum keeps its axes: g.sum(axis=stretched, keepdims=True), so that (4, 3) becomes (4, 1)."),
        mutants=(
            Mutant("only the leading axes", (("    return g.sum(axis=stretched, keepdims=True)", "    return g"),),
                   says="only the axes broadcasting put in front"),
            Mutant("keepdims lost", (("keepdims=True", "keepdims=False"),), says="keepdims=True"),
            Mutant("the mean", (("g = g.sum(axis=tuple(range(lead)))", "g = g.mean(axis=tuple(range(lead)))"),
                                ("return g.sum(axis=stretched", "return g.mean(axis=stretched")), says="the mean"),
            Mutant("leading axes kept", (("g = g.sum(axis=tuple(range(lead)))",
                                          "g = g.sum(axis=tuple(range(lead)), keepdims=True)"),),
                   says="Sum the leading axes away"),
            Mutant("stretched axes not offset by the leading ones", (
                ("    g = g.sum(axis=tuple(range(lead)))  # the axes broadcasting put in front\n"
                 "    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)\n"
                 "    return g.sum(axis=stretched, keepdims=True)  # stretched axes stay, as length 1",
                 "    axes = tuple(range(lead)) + tuple(i for i, n in enumerate(shape) if n == 1)\n"
                 "    return g.sum(axis=axes, keepdims=True).reshape(shape)"),), says="add the number of leading axes"),
        ),
    ),
    Exercise(
        id="topological-order", chapter="autograd", title="The order of the backward pass, without recursion",
        name="topological_order", signature="topological_order(root)",
        starter=TOPOLOGICAL_ORDER_STARTER, solution=TOPOLOGICAL_ORDER, test=test_topological_order,
        what="each node once, each after its parents and root last, for a leaf, a node used twice, a diamond and a "
             f"diamond with a long side; {DIAMONDS} diamonds stacked (2**{DIAMONDS} paths) with a few readings of "
             "each node's parents, not one per path; and a chain deeper than Python's recursion limit",
        hints=("Depth first: a node goes into the list only after all of its parents are in it.",
               "Without recursion, keep your own stack of (node, parents_done) pairs: pop one; if its parents are "
               "done, append it; if not, and it is new, push it back marked done, then push its parents.",
               "A set of the nodes visited so far keeps each node to one entry, however many nodes use it. Check "
               "it before you push a node's parents, not only before you append: a node reached along many paths "
               "must be expanded once, not once per path."),
        mutants=(
            Mutant("recursive", (("""    order, visited = [], set()
    stack = [(root, False)]  # (node, parents done?): our stack, not Python's
    while stack:
        v, parents_done = stack.pop()
        if parents_done:
            order.append(v)  # every parent of v is in order by now
        elif v not in visited:
            visited.add(v)
            stack.append((v, True))  # come back to v once its parents are done
            stack.extend((p, False) for p in v.parents if p not in visited)
    return order""", """    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            for p in v.parents:
                visit(p)
            order.append(v)

    visit(root)
    return order"""),), says="recursion limit"),
            Mutant("breadth first", (("""    order, visited = [], set()
    stack = [(root, False)]  # (node, parents done?): our stack, not Python's
    while stack:
        v, parents_done = stack.pop()
        if parents_done:
            order.append(v)  # every parent of v is in order by now
        elif v not in visited:
            visited.add(v)
            stack.append((v, True))  # come back to v once its parents are done
            stack.extend((p, False) for p in v.parents if p not in visited)
    return order""", """    order, queue = [], [root]
    while queue:
        v = queue.pop(0)
        if v not in order:
            order.append(v)
            queue.extend(v.parents)
    return order[::-1]"""),), says="breadth-first walk"),
            Mutant("nodes listed twice", (("        elif v not in visited:", "        else:"),
                                          (" for p in v.parents if p not in visited)", " for p in v.parents)")),
                   says="appears 2 times"),
            Mutant("root first", (("    return order\n", "    return order[::-1]\n"),), says="in reverse"),
            Mutant("every path walked", (("""        if parents_done:
            order.append(v)  # every parent of v is in order by now
        elif v not in visited:
            visited.add(v)
""", """        if parents_done:
            if v not in visited:  # listed once, but expanded once per path that reaches it
                visited.add(v)
                order.append(v)
        else:
"""), (" for p in v.parents if p not in visited)", " for p in v.parents)")), says="doubles with each diamond"),
        ),
    ),
    Exercise(
        id="variable-ops", chapter="autograd", title="Two operations and their local backward passes",
        name="mul", signature="mul(a, b) and matmul(a, b)",
        starter=MUL_MATMUL_STARTER, solution=MUL_MATMUL, test=test_mul_matmul, needs=("sum-to",),
        what="a * b and a @ b, parents (a, b), and each local backward pass against numerical gradients, for equal "
             "shapes, a bias, two broadcast operands and a scalar, and for matrices (4, 3) @ (3, 2) and square ones",
        hints=("local_backward(gy) returns one gradient per parent, each shaped like it: (gradient for a, gradient "
               "for b). It is a closure, so it can use a.data and b.data.",
               "a * b changes with a at the rate b: a gets gy * b.data and b gets gy * a.data. Where an input was "
               "broadcast, sum_to its own shape.",
               "matmul is chapter 5's affine layer: the gradient for a is gy @ b.data.T and the one for b is "
               "a.data.T @ gy. The shapes check it."),
        mutants=(
            Mutant("gradients swapped", (("return sum_to(gy * b.data, a.shape), sum_to(gy * a.data, b.shape)",
                                          "return sum_to(gy * a.data, a.shape), sum_to(gy * b.data, b.shape)"),),
                   says="each input the other"),
            Mutant("no sum_to for a broadcast operand",
                   (("return sum_to(gy * b.data, a.shape), sum_to(gy * a.data, b.shape)",
                     "return gy * b.data, gy * a.data"),), says="sum_to(..., b.shape)"),
            Mutant("gy ignored", (("return sum_to(gy * b.data, a.shape), sum_to(gy * a.data, b.shape)",
                                   "return sum_to(b.data + 0 * gy, a.shape), sum_to(a.data + 0 * gy, b.shape)"),),
                   says="ignores gy"),
            Mutant("a missing transpose for a", (("return gy @ b.data.T, a.data.T @ gy", "return gy @ b.data, "
                                                  "a.data.T @ gy"),), says="transpose is missing"),
            Mutant("a missing transpose for b", (("return gy @ b.data.T, a.data.T @ gy", "return gy @ b.data.T, "
                                                  "a.data @ gy"),), says="transpose is missing"),
        ),
    ),
]
