"""BatchNormalization and Dropout: backward passes against numerical gradients, both modes, both dropout forms."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlfs.layers import BatchNormalization, Dropout
from dlfs.numerical import numerical_gradient

RTOL = 1e-6  # relative to the largest gradient entry, in float64


def rel_error(a, b):
    # the floor: with two examples, batch normalization's output is +-1 whatever x is, and the
    # gradient with respect to x is ~1e-7 (eps's doing), too small for a relative error
    return np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-4)


shapes = st.one_of(st.tuples(st.integers(1, 6), st.integers(1, 5)),
                   st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))


def make_bn(shape, rng, **kwargs):
    d = int(np.prod(shape[1:]))
    return BatchNormalization(rng.uniform(0.5, 2.0, d), rng.uniform(-1.0, 1.0, d), **kwargs)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, train_flg=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_batchnorm_backward_matches_numerical_gradients(shape, train_flg, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, shape)
    if train_flg:  # a column of (nearly) equal values divides by sqrt(eps): a gradient too steep for h
        assume(shape[0] == 1 or x.reshape(shape[0], -1).var(axis=0).min() > 0.05)
    bn = make_bn(shape, rng, running_mean=rng.uniform(-1, 1, x[0].size), running_var=rng.uniform(0.5, 2, x[0].size))
    out = bn.forward(x, train_flg)
    assert out.shape == x.shape
    dout = rng.standard_normal(shape)
    dout_before = dout.copy()
    dx = bn.backward(dout)
    np.testing.assert_array_equal(dout, dout_before)

    def f(_):
        return np.sum(bn.forward(x, train_flg) * dout)

    for analytic, wrt in [(dx, x), (bn.dgamma, bn.gamma), (bn.dbeta, bn.beta)]:
        assert analytic.shape == wrt.shape
        assert rel_error(analytic, numerical_gradient(f, wrt)) <= RTOL


def test_batchnorm_training_uses_the_batch_and_inference_the_running_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, (500, 3))
    bn = BatchNormalization(np.ones(3), np.zeros(3), momentum=0.5)
    out = bn.forward(x)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1, rtol=1e-6)
    np.testing.assert_allclose(bn.running_mean, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * x.var(axis=0))  # from 1
    for _ in range(60):  # the running averages converge to the batch's statistics
        bn.forward(x)
    np.testing.assert_allclose(bn.forward(x, train_flg=False), out, atol=1e-9)
    one = bn.forward(x[:1], train_flg=False)  # inference: one example alone gives the same output
    np.testing.assert_allclose(one, out[:1], atol=1e-9)


def test_batchnorm_never_writes_into_the_arrays_it_was_given():
    running_mean, running_var, x = np.zeros(2), np.ones(2), np.array([[1.0, 2.0], [3.0, 5.0]])
    bn = BatchNormalization(np.ones(2), np.zeros(2), running_mean=running_mean, running_var=running_var)
    bn.forward(x)
    np.testing.assert_array_equal(running_mean, [0.0, 0.0])
    np.testing.assert_array_equal(running_var, [1.0, 1.0])
    np.testing.assert_array_equal(x, [[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(bn.running_mean, [0.2, 0.35])
    np.testing.assert_allclose(bn.running_var, [1.0, 1.125])  # 0.9 * 1 + 0.1 * [1, 2.25]


def test_batchnorm_keeps_float32():
    bn = BatchNormalization(np.ones(2, np.float32), np.zeros(2, np.float32))
    x = np.array([[1.0, 2.0], [3.0, 5.0]], np.float32)
    assert bn.forward(x).dtype == np.float32
    assert bn.backward(np.ones_like(x)).dtype == np.float32
    assert bn.running_mean.dtype == np.float32


def test_batchnorm_bad_input_is_named():
    bn = BatchNormalization(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\) .* got shape \(2, 4\)"):
        bn.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"N >= 1 in training"):
        bn.forward(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1"):
        BatchNormalization(np.ones(3), np.zeros(3), momentum=1)
    with pytest.raises(RuntimeError, match=r"BatchNormalization\.backward was called before forward"):
        bn.backward(np.zeros((2, 3)))


@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2, 2)])
def test_dropout_backward_with_a_fixed_mask_matches_numerical_gradients(inverted, shape):
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    drop = Dropout(0.4, inverted=inverted, seed=7)

    def f(a):
        drop.rng = np.random.default_rng(7)  # the same mask at every pass
        return np.sum(drop.forward(a) * dout)

    f(x)
    dout_before = dout.copy()
    dx = drop.backward(dout)
    np.testing.assert_array_equal(dout, dout_before)
    assert rel_error(dx, numerical_gradient(f, x.copy())) <= 1e-9
    np.testing.assert_array_equal(dx == 0, ~drop.mask)  # the gradient flows exactly where units were kept


@pytest.mark.parametrize("inverted", [False, True])
def test_dropout_keeps_the_expected_value_in_both_forms(inverted):
    x = np.ones((200, 500))
    drop = Dropout(0.3, inverted=inverted, seed=0)
    train = drop.forward(x)
    assert abs(drop.mask.mean() - 0.7) < 0.005  # 100,000 draws: 0.005 is more than 4 standard errors
    assert abs(train.mean() - drop.forward(x, train_flg=False).mean()) < 0.01
    np.testing.assert_array_equal(drop.forward(x, train_flg=False), np.full_like(x, 1.0 if inverted else 0.7))
    np.testing.assert_array_equal(drop.backward(x), np.full_like(x, 1.0 if inverted else 0.7))


def test_dropout_masks_come_from_its_generator_only():
    x = np.ones((4, 6))
    first, second = Dropout(seed=3), Dropout(seed=3)
    np.random.seed(0)  # noqa: NPY002 -- set on purpose: it must change nothing
    a = first.forward(x)
    np.random.seed(1)  # noqa: NPY002 -- the global state plays no part
    np.testing.assert_array_equal(a, second.forward(x))
    assert not np.array_equal(a, first.forward(x))  # a new mask at every training pass
    np.testing.assert_array_equal(Dropout(0.0).forward(x), x)  # ratio 0 keeps every unit


def test_dropout_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"dropout_ratio must be in \[0, 1\), got 1.0"):
        Dropout(1.0)
    with pytest.raises(RuntimeError, match=r"Dropout\.backward was called before forward"):
        Dropout().backward(np.ones(2))
