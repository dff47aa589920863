"""Each layer's backward pass against numerical differentiation, over random shapes."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlfs.layers import AddLayer, Affine, MulLayer, Relu, Sigmoid, SoftmaxWithLoss
from dlfs.numerical import numerical_gradient

RTOL = 1e-7  # relative to the largest gradient entry, in float64


def rel_error(a, b):
    return np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12)


shapes = st.tuples(st.integers(1, 4), st.integers(1, 5))
seeds = st.integers(0, 2**32 - 1)


def check_backward(layer, x, rng):
    """backward(dout) must be the gradient of sum(forward(x) * dout), and leave dout alone."""
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, dout_before)
    numeric = numerical_gradient(lambda a: np.sum(layer.forward(a) * dout), x)
    assert rel_error(dx, numeric) <= RTOL
    # dout is used: doubling it doubles dx
    layer.forward(x)
    np.testing.assert_allclose(layer.backward(2 * dout), 2 * dx)


@settings(max_examples=30, deadline=None)
@given(shapes, seeds)
def test_sigmoid_backward(shape, seed):
    rng = np.random.default_rng(seed)
    check_backward(Sigmoid(), rng.uniform(-3, 3, shape), rng)


@settings(max_examples=30, deadline=None)
@given(shapes, seeds)
def test_relu_backward(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, shape)
    assume(np.abs(x).min() > 1e-3)  # no element within h of the kink
    check_backward(Relu(), x, rng)


def test_relu_derivative_at_zero_is_zero():
    layer = Relu()
    layer.forward(np.array([0.0]))
    np.testing.assert_array_equal(layer.backward(np.array([1.0])), [0.0])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.lists(st.integers(1, 3), min_size=1, max_size=3), st.integers(1, 4), seeds)
def test_affine_backward_nd_input(n, in_dims, m, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *in_dims))
    d = int(np.prod(in_dims))
    layer = Affine(rng.standard_normal((d, m)), rng.standard_normal(m))
    check_backward(layer, x, rng)
    out = layer.forward(x)
    assert layer.backward(np.ones_like(out)).shape == x.shape  # dx in the input's shape
    # the parameter gradients
    dout = rng.standard_normal(out.shape)
    layer.forward(x)
    layer.backward(dout)
    loss = lambda _: np.sum(layer.forward(x) * dout)  # noqa: E731  (reads layer.W in place)
    assert rel_error(layer.dW, numerical_gradient(loss, layer.W)) <= RTOL
    assert rel_error(layer.db, numerical_gradient(loss, layer.b)) <= RTOL


def test_affine_without_input_grad_skips_dx():
    layer = Affine(np.ones((3, 2)), np.zeros(2), input_grad=False)
    layer.forward(np.ones((4, 3)))
    assert layer.backward(np.ones((4, 2))) is None
    np.testing.assert_array_equal(layer.dW, np.full((3, 2), 4.0))


def test_affine_wrong_input_shape_is_named():
    layer = Affine(np.ones((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\).*got shape \(4, 5\)"):
        layer.forward(np.ones((4, 5)))


@settings(max_examples=30, deadline=None)
@given(shapes, seeds, st.booleans(), st.floats(0.1, 3.0))
def test_softmax_with_loss_backward(shape, seed, one_hot, dout):
    n, c = shape[0], shape[1] + 1  # at least two classes
    rng = np.random.default_rng(seed)
    # Unit-scale scores: with a class near certainty the gradient falls to
    # ~1e-6 and the central difference itself (rounding ~1e-13) can no longer
    # resolve it to 1e-7. Huge scores are tested for stability below.
    x = rng.standard_normal((n, c))
    labels = rng.integers(0, c, n)
    t = np.eye(c)[labels] if one_hot else labels
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    dx = layer.backward(dout)
    numeric = numerical_gradient(lambda a: dout * layer.forward(a, t), x)
    assert rel_error(dx, numeric) <= RTOL


def test_softmax_with_loss_checks_labels_unless_told_they_are_checked():
    """`check_t=False` is for a caller that has checked t already (TwoLayerNet does): the same loss
    and gradient from class indices, and no check of its own."""
    x, t = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]), np.array([2, 0])
    checking, trusting = SoftmaxWithLoss(), SoftmaxWithLoss(check_t=False)
    assert checking.forward(x, t) == trusting.forward(x, t)
    np.testing.assert_array_equal(checking.backward(0.5), trusting.backward(0.5), strict=True)
    with pytest.raises(ValueError, match=r"t holds labels out of range: expected 0\.\.2, got min 0 and max 3"):
        checking.forward(x, np.array([3, 0]))


def test_softmax_with_loss_is_stable_for_huge_scores():
    layer = SoftmaxWithLoss()
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow is fine
        loss = layer.forward(np.array([[1000.0, 0.0]]), np.array([1]))
    assert loss == pytest.approx(1000.0)  # exact, not log(1e-7)


def test_backward_layers_keep_float32():
    x = np.ones((2, 3), dtype=np.float32)
    for layer in (Relu(), Sigmoid()):
        layer.forward(x)
        assert layer.backward(x).dtype == np.float32
    loss_layer = SoftmaxWithLoss()
    loss_layer.forward(x, np.array([0, 1]))
    assert loss_layer.backward(1.0).dtype == np.float32


def test_apple_example():
    apple, num, tax = 100, 2, 1.1
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(apple, num), tax)
    assert price == pytest.approx(220)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dnum = mul_apple.backward(dapple_price)
    assert (dapple, dnum, dtax) == pytest.approx((2.2, 110, 200))


def test_apple_and_orange_example():
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    total = add.forward(mul_apple.forward(100, 2), mul_orange.forward(150, 3))
    price = mul_tax.forward(total, 1.1)
    assert price == pytest.approx(715)
    dtotal, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add.backward(dtotal)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    assert (dapple_num, dapple, dorange, dorange_num, dtax) == pytest.approx((110, 2.2, 3.3, 165, 650))


def test_book_softmax_with_loss_adds_delta_to_the_loss_only():
    from dlfs.layers import BookSoftmaxWithLoss

    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    ours, book = SoftmaxWithLoss(), BookSoftmaxWithLoss()
    loss, book_loss = ours.forward(x, t), book.forward(x, t)
    y = ours.y[np.arange(4), t]
    assert book_loss == pytest.approx(-np.mean(np.log(y + 1e-7)), rel=1e-12)
    assert 0 < loss - book_loss < 1e-6  # the 1e-7 lowers every -log a little
    np.testing.assert_array_equal(book.backward(1.0), ours.backward(1.0))  # (y - t) / N either way


@pytest.mark.parametrize("layer", [MulLayer(), Relu(), Sigmoid(), Affine(np.ones((2, 2)), np.zeros(2)),
                                   SoftmaxWithLoss()])
def test_backward_before_forward_says_so(layer):
    with pytest.raises(RuntimeError, match=rf"{type(layer).__name__}\.backward was called before forward"):
        layer.backward(np.ones((1, 2)))
