import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlfs.numerical import numerical_diff, numerical_gradient


def function_1(x):
    return 0.01 * x**2 + 0.1 * x


def function_2(x):
    return x[0] ** 2 + x[1] ** 2


def test_numerical_diff_book_values():
    assert numerical_diff(function_1, 5.0) == pytest.approx(0.2, abs=1e-9)
    assert numerical_diff(function_1, 10.0) == pytest.approx(0.3, abs=1e-9)


def test_central_beats_one_sided():
    exact = 0.2
    central = abs(numerical_diff(function_1, 5.0) - exact)
    forward = abs(numerical_diff(function_1, 5.0, method="forward") - exact)
    backward = abs(numerical_diff(function_1, 5.0, method="backward") - exact)
    assert central < 1e-9 < 1e-7 < forward and backward > 1e-7
    assert forward == pytest.approx(backward, rel=1e-3)  # both off by 0.01 * h


def test_tiny_h_rounds_to_zero():
    # the pitfall: 1e-50 vanishes next to 5.0, so f(x+h) == f(x-h)
    assert numerical_diff(function_1, 5.0, h=1e-50) == 0.0


@pytest.mark.parametrize("point, expected", [((3.0, 4.0), (6, 8)), ((0.0, 2.0), (0, 4)), ((3.0, 0.0), (6, 0))])
def test_gradient_of_function_2(point, expected):
    np.testing.assert_allclose(numerical_gradient(function_2, np.array(point)), expected, atol=1e-6)


def test_gradient_of_2d_and_3d_arrays():
    for shape in [(2, 3), (2, 2, 2)]:
        x = np.arange(np.prod(shape), dtype=float).reshape(shape)
        np.testing.assert_allclose(numerical_gradient(lambda a: np.sum(a**2), x), 2 * x, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, max_side=4),
                  elements=st.floats(-3, 3)))
def test_gradient_of_quadratic_any_shape(x):
    before = x.copy()
    grad = numerical_gradient(lambda a: np.sum(a**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, atol=1e-6)
    np.testing.assert_array_equal(x, before)  # put back exactly


def test_x_restored_when_f_raises():
    x = np.array([1.0, 2.0])

    def f(a):
        if a[0] != 1.0:
            raise RuntimeError("boom")
        return a.sum()

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_integer_array_refused():
    with pytest.raises(TypeError, match=r"floating dtype, got int64.*truncated to an integer.*silently wrong"):
        numerical_gradient(function_2, np.array([3, 4]))
    with pytest.raises(TypeError, match="NumPy array of floats, got list"):
        numerical_gradient(function_2, [3.0, 4.0])


def test_non_scalar_f_refused():
    with pytest.raises(ValueError, match=r"f must return a scalar; it returned shape \(2,\)"):
        numerical_gradient(lambda a: a * 2, np.array([1.0, 2.0]))


def test_nan_input_and_bad_h_and_method():
    with pytest.raises(ValueError, match="x must be finite; got 1 NaN"):
        numerical_gradient(function_2, np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match="h must be a finite number > 0, got 0"):
        numerical_diff(function_1, 1.0, h=0)
    with pytest.raises(ValueError, match="method must be one of"):
        numerical_diff(function_1, 1.0, method="center")


def test_indices_differentiate_only_those_entries():
    x = np.arange(6, dtype=float).reshape(2, 3)
    grad = numerical_gradient(lambda a: np.sum(a**2), x, indices=[(0, 1), (1, 2)])
    np.testing.assert_allclose(grad[0, 1], 2.0, atol=1e-6)
    np.testing.assert_allclose(grad[1, 2], 10.0, atol=1e-6)
    assert np.isnan(grad).sum() == 4  # the entries left out


def test_indices_count_the_evaluations():
    calls = []
    numerical_gradient(lambda a: calls.append(1) or float(a.sum()), np.zeros((4, 4)), indices=[(0, 0), (3, 3)])
    assert len(calls) == 4  # two per listed entry, none for the rest


def test_partial_index_is_refused():
    # x[0] of a matrix is a whole row (a view): the bug of the notes' 1-D loop
    with pytest.raises(ValueError, match=r"indices must each name one entry of x, 2 integers, for shape \(2, 3\)"):
        numerical_gradient(lambda a: float(a.sum()), np.zeros((2, 3)), indices=[(0,)])
