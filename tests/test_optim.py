import numpy as np
import pytest

from dlfs.optim import SGD, AdaGrad, Adam, Momentum, gradient_descent


def function_2(x):
    return x[0] ** 2 + x[1] ** 2


def test_gradient_descent_book_values():
    init = np.array([-3.0, 4.0])
    x = gradient_descent(function_2, init, lr=0.1, step_num=100)
    np.testing.assert_allclose(x, [-6.1e-10, 8.1e-10], atol=1e-11)
    np.testing.assert_array_equal(init, [-3.0, 4.0])  # the start is not changed
    big = gradient_descent(function_2, init, lr=10.0, step_num=100)
    assert np.abs(big).max() > 1e12  # diverges
    small = gradient_descent(function_2, init, lr=1e-10, step_num=100)
    np.testing.assert_allclose(small, init, atol=1e-7)  # barely moves


def test_gradient_descent_path():
    x, path = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=0.1, step_num=20, return_path=True)
    assert path.shape == (21, 2)
    np.testing.assert_array_equal(path[0], [-3.0, 4.0])
    np.testing.assert_array_equal(path[-1], x)
    # on this bowl each step multiplies x by (1 - 2 * lr) = 0.8
    np.testing.assert_allclose(path[1], [-2.4, 3.2], atol=1e-9)


def test_gradient_descent_bad_arguments():
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0, got -0\.1"):
        gradient_descent(function_2, np.array([1.0, 1.0]), lr=-0.1)
    with pytest.raises(ValueError, match=r"step_num must be an integer >= 0, got 2\.5"):
        gradient_descent(function_2, np.array([1.0, 1.0]), step_num=2.5)


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.05), lambda: AdaGrad(0.5), lambda: Adam(0.1)])
def test_optimizers_minimise_a_bowl(make):
    opt = make()
    params = {"x": np.array([-3.0, 4.0])}
    target = params["x"]
    for _ in range(300):
        opt.update(params, {"x": np.array([2 * params["x"][0], 4 * params["x"][1]])})
    assert params["x"] is target  # updated in place
    assert np.abs(params["x"]).max() < 0.05


def test_optimizer_arguments():
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got 0"):
        SGD(lr=0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5"):
        Momentum(momentum=1.5)
    with pytest.raises(KeyError, match="grads must have the keys of params"):
        SGD().update({"W": np.zeros(2)}, {"b": np.zeros(2)})
