import numpy as np
import pytest

from dlfs.functions import cross_entropy_error, mean_squared_error, relu, sigmoid, softmax, step_function

Y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])  # the book's example
T = np.eye(10)[2]


def test_step_relu_sigmoid():
    x = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(step_function(x), [0, 0, 1])
    np.testing.assert_array_equal(relu(x), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-15)


def test_sigmoid_no_overflow_and_keeps_float32():
    with np.errstate(all="raise"):
        out = sigmoid(np.array([-1000.0, 1000.0], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [0.0, 1.0])


def test_softmax_batched_and_stable():
    x = np.array([[1010.0, 1000.0, 990.0], [0.0, 0.0, 0.0]])
    with np.errstate(all="raise"):
        y = softmax(x)
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    np.testing.assert_allclose(y[1], 1 / 3)
    np.testing.assert_allclose(softmax(x[0]), y[0])  # 1-D equals its row in a batch


def test_mean_squared_error_book_values():
    assert mean_squared_error(Y, T) == pytest.approx(0.0975)
    y7 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])
    assert mean_squared_error(y7, T) == pytest.approx(0.5975)
    # a batch: the mean of the two
    assert mean_squared_error(np.stack([Y, y7]), np.stack([T, T])) == pytest.approx(0.3475)


def test_cross_entropy_one_hot_and_indices_agree():
    batch = np.stack([Y, np.full(10, 0.1)])
    one_hot = np.stack([T, T])
    assert cross_entropy_error(batch, one_hot) == pytest.approx(cross_entropy_error(batch, np.array([2, 2])))
    assert cross_entropy_error(Y, T) == pytest.approx(-np.log(0.6))
    assert cross_entropy_error(batch, np.array([2, 2])) == pytest.approx(-(np.log(0.6) + np.log(0.1)) / 2)


def test_cross_entropy_is_finite_at_zero_probability():
    assert cross_entropy_error(Y, np.array(3)) == pytest.approx(-np.log(1e-7))


def test_shape_mismatch_names_arguments():
    with pytest.raises(ValueError, match=r"t must have the shape of y, \(10,\); got shape \(3,\)"):
        mean_squared_error(Y, np.zeros(3))
    with pytest.raises(ValueError, match=r"t must be class indices of shape \(2,\)"):
        cross_entropy_error(np.stack([Y, Y]), np.array([1, 2, 3]))


def test_labels_out_of_range_and_wrong_dtype():
    with pytest.raises(ValueError, match=r"out of range: expected 0\.\.9, got min 0 and max 10"):
        cross_entropy_error(np.stack([Y, Y]), np.array([0, 10]))
    with pytest.raises(TypeError, match="integer dtype, got float64"):
        cross_entropy_error(np.stack([Y, Y]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="one-hot"):
        cross_entropy_error(np.stack([Y, Y]), np.full((2, 10), 0.1))


def test_check_finite_finds_nan_and_inf_and_passes_huge_finite_values():
    from dlfs._checks import check_finite

    check_finite(np.array([1.0, 2.0]), "x")
    check_finite(np.full(4, np.finfo(np.float32).max, dtype=np.float32), "x")  # the sum overflows; values do not
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match=r"x must be finite; got 1 NaN or inf value\(s\) in shape \(3,\)"):
            check_finite(np.array([1.0, bad, 3.0]), "x")
