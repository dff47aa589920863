"""dlfs.autograd: each operation against numerical differentiation, graphs that are not chains, a
5,000-operation chain, and the two-layer net against dlfs.nets.TwoLayerNet."""

import sys

import numpy as np
import pytest

from dlfs import autograd as ag
from dlfs.autograd import Variable, softmax_cross_entropy, sum_to, topological_order
from dlfs.layers import SoftmaxWithLoss
from dlfs.nets import TwoLayerNet
from dlfs.numerical import numerical_gradient
from dlfs.optim import SGD

RTOL = 1e-7  # relative to the largest gradient entry, in float64 (as tests/test_layers.py)


def rel_error(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12)


def draw(rng, shape, domain):
    """Random float64 inputs: anywhere in [-2, 2], in [0.5, 2], or in [1, 2] with either sign.

    Away from 0 for relu (its kink) and for dividing (1/x changes fast near 0, and the
    central difference's error, about h**2 / x**2 relative, must stay far below 1e-7).
    """
    if domain == "any":
        return np.asarray(rng.uniform(-2, 2, shape))
    if domain == "positive":
        return np.asarray(rng.uniform(0.5, 2, shape))
    return np.asarray(rng.uniform(1, 2, shape) * rng.choice([-1.0, 1.0], shape))


def check_gradients(f, *inputs, seed=0):
    """backward through f must give the gradient of sum(f(*inputs) * dout) for every input."""
    rng = np.random.default_rng(seed)
    originals = [x.copy() for x in inputs]
    xs = [Variable(x) for x in inputs]
    out = f(*xs)
    dout = np.asarray(rng.standard_normal(out.shape))
    (out * dout).sum().backward()
    for i, (x, v) in enumerate(zip(inputs, xs)):
        def loss(a, i=i):  # numerical_gradient nudges a, a copy of input i
            args = [Variable(a) if j == i else Variable(y) for j, y in enumerate(inputs)]
            return float(np.sum(f(*args).data * dout))
        numeric = numerical_gradient(loss, x.copy())
        assert v.grad.shape == x.shape and v.grad.dtype == np.float64
        assert rel_error(v.grad, numeric) <= RTOL, (i, v.grad, numeric)
    for x, original in zip(inputs, originals):
        np.testing.assert_array_equal(x, original)  # no operation changed its inputs
    return xs


UNARY = {  # name: (on a Variable, the same with NumPy, where the inputs are drawn)
    "neg": (lambda a: -a, lambda x: -x, "any"),
    "exp": (lambda a: a.exp(), np.exp, "any"),
    "log": (lambda a: a.log(), np.log, "positive"),
    "sigmoid": (lambda a: a.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), "any"),
    "relu": (lambda a: a.relu(), lambda x: np.maximum(x, 0), "away from 0"),
    "square": (lambda a: a**2, lambda x: x**2, "any"),
    "cube": (lambda a: a**3, lambda x: x**3, "any"),
    "sqrt": (lambda a: a**0.5, np.sqrt, "positive"),
    "reciprocal": (lambda a: a**-1, lambda x: 1 / x, "away from 0"),
    "sum": (lambda a: a.sum(), np.sum, "any"),
    "reshape": (lambda a: a.reshape(-1), lambda x: x.reshape(-1), "any"),
    "T": (lambda a: a.T, lambda x: x.T, "any"),
}


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
@pytest.mark.parametrize("name", UNARY)
def test_unary_forward_and_backward(name, shape):
    f, f_np, domain = UNARY[name]
    x = draw(np.random.default_rng(len(shape)), shape, domain)
    np.testing.assert_allclose(f(Variable(x)).data, f_np(x), rtol=1e-14)
    check_gradients(f, x)


def test_relu_derivative_at_zero_is_zero_as_in_the_layers():
    x = Variable(np.array([-1.0, 0.0, 2.0]))
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), (None, True), (0, False), (1, True),
                                                (-1, False), ((0, 2), False), ((0, -1), True)])
def test_sum_over_axes(axis, keepdims):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    f = lambda a: a.sum(axis=axis, keepdims=keepdims)  # noqa: E731
    np.testing.assert_array_equal(f(Variable(x)).data, x.sum(axis=axis, keepdims=keepdims))
    check_gradients(f, x)


def test_sum_gradient_is_a_writable_array():
    x = Variable(np.ones((2, 3)))
    x.sum().backward()
    x.grad[0, 0] = 5.0  # a real array, not a read-only broadcast view
    np.testing.assert_array_equal(x.grad, [[5, 1, 1], [1, 1, 1]])


BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
}
SHAPE_PAIRS = [((2, 3), (2, 3)), ((4, 3), (3,)), ((3,), (4, 3)), ((2, 1), (1, 3)), ((), (2, 3)),
               ((2, 3, 4), (3, 1)), ((5,), ())]


@pytest.mark.parametrize(("shape_a", "shape_b"), SHAPE_PAIRS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_forward_and_backward_with_broadcasting(name, shape_a, shape_b):
    f, f_np = BINARY[name]
    rng = np.random.default_rng(3)
    a, b = draw(rng, shape_a, "any"), draw(rng, shape_b, "away from 0" if name == "div" else "any")
    np.testing.assert_array_equal(f(Variable(a), Variable(b)).data, f_np(a, b))
    va, vb = check_gradients(f, a, b)
    assert va.grad.shape == shape_a and vb.grad.shape == shape_b  # summed back to each one's shape


def test_a_bias_added_to_a_batch_gets_the_sum_of_its_rows():
    x, b = Variable(np.arange(12.0).reshape(4, 3)), Variable(np.zeros(3))
    ((x + b) * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(b.grad, [4.0, 8.0, 12.0])


@pytest.mark.parametrize(("shape_a", "shape_b"), [((2, 3), (3, 4)), ((1, 5), (5, 1)), ((4, 1), (1, 3)),
                                                  ((3, 3), (3, 3))])
def test_matmul(shape_a, shape_b):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    np.testing.assert_array_equal((Variable(a) @ Variable(b)).data, a @ b)
    check_gradients(lambda a, b: a @ b, a, b)


def test_affine_sigmoid_affine():
    rng = np.random.default_rng(5)
    x, W1, b1, W2 = (rng.standard_normal(s) for s in [(4, 3), (3, 5), (5,), (5, 2)])
    check_gradients(lambda x, W1, b1, W2: ((x @ W1 + b1).sigmoid() @ W2).exp(), x, W1, b1, W2)


@pytest.mark.parametrize(("n", "c"), [(1, 2), (4, 3), (5, 10)])
@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_cross_entropy(n, c, one_hot):
    rng = np.random.default_rng(n * c)
    scores, labels = rng.standard_normal((n, c)), rng.integers(0, c, n)
    t = np.eye(c)[labels] if one_hot else labels
    layer = SoftmaxWithLoss()
    loss = softmax_cross_entropy(Variable(scores), t)
    assert loss.shape == () and loss.data == layer.forward(scores, t)
    loss.backward()
    np.testing.assert_array_equal(loss.grad, 1.0)
    check_gradients(lambda s: softmax_cross_entropy(s, t), scores)
    check_gradients(lambda s: softmax_cross_entropy(s, t) * 3.0, scores)  # the upstream gradient is used


def test_softmax_cross_entropy_is_stable_for_huge_scores():
    scores = Variable([[1000.0, 0.0], [0.0, -1000.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
        loss = softmax_cross_entropy(scores, np.array([1, 1]))
        loss.backward()
    assert loss.data == pytest.approx(1000.0)  # (1000 + 1000) / 2, not log(0)
    np.testing.assert_allclose(scores.grad, [[0.5, -0.5], [0.5, -0.5]])


@pytest.mark.parametrize(("g_shape", "shape", "expected"), [
    ((4, 3), (3,), np.full(3, 4.0)), ((4, 3), (4, 1), np.full((4, 1), 3.0)), ((4, 3), (1, 3), np.full((1, 3), 4.0)),
    ((4, 3), (), np.array(12.0)), ((2, 4, 3), (4, 1), np.full((4, 1), 6.0)),
])
def test_sum_to(g_shape, shape, expected):
    out = sum_to(np.ones(g_shape), shape)
    assert out.shape == shape
    np.testing.assert_array_equal(out, expected)


def test_sum_to_its_own_shape_is_the_gradient_itself():
    g = np.ones((2, 3))
    assert sum_to(g, (2, 3)) is g


def test_reflected_operators_with_numbers_and_arrays():
    v = Variable([1.0, 2.0, 4.0])
    for y, value, grad in [(2 * v, [2, 4, 8], [2, 2, 2]), (1 - v, [0, -1, -3], [-1, -1, -1]),
                           (v / 4, [0.25, 0.5, 1], [0.25] * 3), (4 / v, [4, 2, 1], [-4, -1, -0.25]),
                           (np.ones(3) + v, [2, 3, 5], [1, 1, 1]), (v - np.ones(3), [0, 1, 3], [1, 1, 1]),
                           (3 + v, [4, 5, 7], [1, 1, 1])]:
        assert isinstance(y, Variable)
        v.cleargrad()
        y.sum().backward()
        np.testing.assert_array_equal(y.data, value)
        np.testing.assert_array_equal(v.grad, grad)
    W = Variable(np.ones((3, 2)))
    y = np.arange(6.0).reshape(2, 3) @ W  # NumPy steps aside (__array_ufunc__ = None)
    assert isinstance(y, Variable)
    y.sum().backward()
    np.testing.assert_array_equal(W.grad, [[3, 3], [5, 5], [7, 7]])


def test_module_functions_are_the_methods():
    v = Variable(np.random.default_rng(6).uniform(0.5, 2, (2, 3)))
    for name in ("exp", "log", "sigmoid", "relu"):
        np.testing.assert_array_equal(getattr(ag, name)(v).data, getattr(v, name)().data)
    np.testing.assert_array_equal(ag.transpose(v).data, v.T.data)
    np.testing.assert_array_equal(ag.reshape(v, 3, 2).data, v.reshape(3, 2).data)
    np.testing.assert_array_equal(ag.sum_(v, 0, True).data, v.sum(axis=0, keepdims=True).data)
    np.testing.assert_array_equal(ag.power(v, 2).data, (v**2).data)
    np.testing.assert_array_equal(ag.neg(v).data, (-v).data)
    for name, op in [("add", "__add__"), ("sub", "__sub__"), ("mul", "__mul__"), ("div", "__truediv__")]:
        np.testing.assert_array_equal(getattr(ag, name)(v, 3.0).data, getattr(v, op)(3.0).data)
    np.testing.assert_array_equal(ag.matmul(v, v.T).data, (v @ v.T).data)


def test_data_becomes_float64_and_float32_stays_float32():
    assert Variable(3).data.dtype == np.float64 and Variable([1, 2]).data.dtype == np.float64
    x = np.ones(3, dtype=np.float32)
    v = Variable(x)
    assert v.data is x  # not copied
    y = 2 * v + np.ones(3)  # constants take the Variable's dtype: nothing is silently up-cast
    y.sum().backward()
    assert y.data.dtype == np.float32 and v.grad.dtype == np.float32


# Graphs that are not chains


def test_a_node_used_twice():
    t = Variable(3.0)
    z = t * t
    z.backward()
    assert t.grad == 6.0  # 2t
    x = Variable(np.array([1.0, -2.0]))
    y = x + x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])  # y's gradient was not added into


def test_a_diamond():
    a = Variable(1.5)
    b, c = a.exp(), a**2  # a -> b, a -> c
    d = b * c  # b & c -> d
    d.backward()
    expected = np.exp(1.5) * 1.5**2 + np.exp(1.5) * 2 * 1.5  # d'(a) = e^a a^2 + e^a 2a
    assert a.grad == pytest.approx(expected, rel=1e-15)
    assert b.grad == pytest.approx(1.5**2, rel=1e-15) and c.grad == pytest.approx(np.exp(1.5), rel=1e-15)


def breadth_first(root):
    """The nodes in the order a breadth-first walk from `root` meets them: not a safe order."""
    order, queue = [], [root]
    while queue:
        v = queue.pop(0)
        if v not in order:
            order.append(v)
            queue.extend(v.parents)
    return order


def test_a_short_and_a_long_path_need_the_topological_order():
    """An order that is not topological sends a's gradient back before the long path has added to it.

    (In an eager engine the reverse creation order is always safe, since a node is created after
    its parents; a breadth-first walk from the output, the obvious other choice, is not.)
    """
    x = Variable(0.3)
    a = 2 * x
    b = a.exp()  # the long path: a -> b -> c -> y
    c = b * 3.0
    y = a + c  # the short path: a -> y
    naive = breadth_first(y)
    assert naive.index(a) < naive.index(b)  # a would be done before b, which uses it, delivered its part
    order = topological_order(y)
    assert len(order) == len(set(order)) == 7  # x, 2, a, b, 3.0, c, y: each once
    for v in order:
        assert all(order.index(p) < order.index(v) for p in v.parents)
    y.backward()
    assert x.grad == pytest.approx(2 + 6 * np.exp(0.6), rel=1e-15)  # y = 2x + 3 e^(2x)


def test_a_5000_operation_chain_needs_no_recursion():
    assert sys.getrecursionlimit() < 5000  # a recursive walk would fail on this chain
    x = Variable(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    expected = 1.0
    for _ in range(5000):
        expected *= 1.0001  # the closed form 1.0001**5000, multiplied out in the same order
    assert x.grad == expected
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-12)


def test_a_5000_operation_chain_of_alternating_operations():
    x = Variable(np.array([0.5, -1.0]))
    y = x
    for _ in range(2500):
        y = (y + 1.0) * 1.0001  # y' = 1.0001 y' at each step
    y.sum().backward()
    expected = 1.0
    for _ in range(2500):
        expected *= 1.0001
    np.testing.assert_array_equal(x.grad, [expected, expected])
    assert len(topological_order(y)) == 1 + 2500 * 4  # x, and per step two constants and two results


# The two-layer net


def two_layer_loss(params, x, t):
    h = (x @ params["W1"] + params["b1"]).relu()
    return softmax_cross_entropy(h @ params["W2"] + params["b2"], t)


def test_the_two_layer_net_matches_twolayernet():
    net = TwoLayerNet(784, 50, 10, seed=0)
    rng = np.random.default_rng(7)
    x, t = rng.random((32, 784)), rng.integers(0, 10, 32)  # shaped like a batch of MNIST images
    params = {key: Variable(p.copy()) for key, p in net.params.items()}
    loss = two_layer_loss(params, x, t)
    loss.backward()
    expected_loss, grads = net.loss_and_gradient(x, t)
    assert rel_error(loss.data, expected_loss) <= 1e-10
    for key in net.params:
        assert params[key].grad.shape == net.params[key].shape
        assert rel_error(params[key].grad, grads[key]) <= 1e-10, key


def test_sgd_steps_give_the_same_losses_as_twolayernet():
    net = TwoLayerNet(784, 50, 10, seed=0)
    rng = np.random.default_rng(8)
    params = {key: Variable(p.copy()) for key, p in net.params.items()}
    lr, losses, expected = 0.1, [], []
    for _ in range(5):
        x, t = rng.random((20, 784)), rng.integers(0, 10, 20)
        loss = two_layer_loss(params, x, t)
        loss.backward()
        for p in params.values():
            p.data -= lr * p.grad
            p.cleargrad()
        losses.append(float(loss.data))
        net_loss, grads = net.loss_and_gradient(x, t)
        SGD(lr).update(net.params, grads)
        expected.append(net_loss)
    assert rel_error(losses, expected) <= 1e-10
    assert losses[-1] != losses[0]  # the steps did something
    for key in net.params:
        assert rel_error(params[key].data, net.params[key]) <= 1e-10


# Accumulation and cleargrad


def test_backward_twice_accumulates_and_cleargrad_resets():
    x = Variable(2.0)
    z = x * x
    y = z.exp()
    y.backward()
    once = x.grad
    assert once == pytest.approx(np.exp(4.0) * 4.0, rel=1e-15)  # e^(x^2) 2x
    y.backward()
    assert x.grad == 2 * once  # not 3x: the second call sends back its own gradients only
    assert z.grad == 2 * np.exp(4.0) and y.grad == 2.0
    for v in (x, y, z):
        v.cleargrad()
        assert v.grad is None
    y.backward()
    assert x.grad == once


def test_accumulating_never_changes_an_array_another_node_holds():
    a, b = Variable(np.zeros(3)), Variable(np.zeros(3))
    y = (a + b).sum()  # add hands the same gradient array to a and to b
    y.backward()
    y.backward()  # a's second gradient is added as a new array, not with += into b's too
    np.testing.assert_array_equal(a.grad, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("make", [lambda a, b: (a + b).sum(), lambda a, b: (a - b).sum(),
                                  lambda a, b: (a.reshape(3, 1) + b.reshape(3, 1)).T.sum()])
def test_no_two_nodes_share_a_gradient_array(make):
    a, b = Variable(np.zeros(3)), Variable(np.zeros(3))
    y = make(a, b)
    y.backward()  # add hands one gradient array to both inputs; reshape and .T hand on views
    grads = [v.grad for v in topological_order(y)]
    assert not any(np.shares_memory(g, h) for i, g in enumerate(grads) for h in grads[:i])
    a.grad *= 0  # zeroing (or clipping) one gradient in place...
    np.testing.assert_array_equal(np.abs(b.grad), np.ones(3))  # ...leaves the other alone


def test_a_leaf_has_no_gradient_until_backward():
    x = Variable(1.0)
    y = x * 2.0
    assert x.grad is None and y.grad is None
    assert topological_order(x) == [x]


# Bad input


def test_backward_of_a_non_scalar_names_the_shape():
    y = Variable(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"needs a scalar.*got shape \(2, 3\)"):
        y.backward()


@pytest.mark.parametrize("data", [np.array([1, 2], dtype=np.int64), np.int64(3), np.array([True, False])])
def test_integer_arrays_are_refused(data):
    with pytest.raises(TypeError, match=rf"data must be an array of floats.*got dtype {data.dtype}"):
        Variable(data)


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"got \(2, 3\) @ \(4, 5\)"):
        Variable(np.ones((2, 3))) @ Variable(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"got \(3,\) @ \(3, 2\)"):
        Variable(np.ones(3)) @ np.ones((3, 2))


def test_the_exponent_must_be_a_constant_number():
    with pytest.raises(TypeError, match="exponent c must be a constant number, got Variable"):
        Variable(2.0) ** Variable(3.0)


def test_softmax_cross_entropy_checks_its_input():
    with pytest.raises(ValueError, match=r"scores must have shape \(N, C\), got shape \(3,\)"):
        softmax_cross_entropy(Variable(np.zeros(3)), np.array([0]))
    with pytest.raises(ValueError, match="labels out of range"):
        softmax_cross_entropy(Variable(np.zeros((2, 3))), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"t must be class indices of shape \(2,\)"):
        softmax_cross_entropy(Variable(np.zeros((2, 3))), np.array([0, 1, 2]))
