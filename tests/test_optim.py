import numpy as np
import pytest

from dlfs.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop, gradient_descent


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


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.05), lambda: AdaGrad(0.5), lambda: Adam(0.1),
                                  lambda: Nesterov(0.05), lambda: RMSprop(0.05)])
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


def test_nesterov_first_steps_by_hand():
    # v1 = -lr*g1 = -0.1; p1 = 1 + 0.9*v1 - lr*g1 = 0.81
    # v2 = 0.9*v1 - lr*g2 = -0.09 - 0.2 = -0.29; p2 = 0.81 + 0.9*v2 - lr*g2 = 0.81 - 0.261 - 0.2 = 0.349
    params, opt = {"w": np.array([1.0])}, Nesterov(lr=0.1, momentum=0.9)
    opt.update(params, {"w": np.array([1.0])})
    np.testing.assert_allclose(params["w"], [0.81])
    opt.update(params, {"w": np.array([2.0])})
    np.testing.assert_allclose(params["w"], [0.349])
    np.testing.assert_allclose(opt.v["w"], [-0.29])


def test_nesterov_is_momentum_with_the_gradient_taken_ahead():
    """On f(p) = p**2 / 2, Nesterov's p is momentum's look-ahead point p + momentum * v (Sutskever et al.)."""
    lr, mu = 0.1, 0.9
    theta, v = np.array([3.0]), np.array([0.0])  # momentum with the gradient at theta + mu * v
    params, opt = {"p": theta + mu * v}, Nesterov(lr=lr, momentum=mu)
    for _ in range(20):
        v = mu * v - lr * (theta + mu * v)  # grad of p**2 / 2 at the look-ahead point
        theta = theta + v
        opt.update(params, {"p": params["p"].copy()})
        np.testing.assert_allclose(params["p"], theta + mu * v, rtol=1e-12, atol=1e-15)


def test_rmsprop_first_steps_by_hand():
    # h1 = 0.01 * 25 = 0.25, step lr * 5 / 0.5 = 10 * lr
    # h2 = 0.99 * 0.25 + 0.01 * 1 = 0.2575, step lr * 1 / sqrt(0.2575)
    params, opt = {"w": np.array([1.0])}, RMSprop(lr=0.01, decay_rate=0.99)
    opt.update(params, {"w": np.array([5.0])})
    np.testing.assert_allclose(params["w"], [0.9], rtol=1e-6)
    opt.update(params, {"w": np.array([1.0])})
    np.testing.assert_allclose(opt.h["w"], [0.2575])
    np.testing.assert_allclose(params["w"], [0.9 - 0.01 / np.sqrt(0.2575)], rtol=1e-6)


def test_rmsprop_forgets_where_adagrad_keeps_shrinking():
    """After many large gradients, a small one: AdaGrad's step stays tiny, RMSprop's recovers."""
    ada, rms = AdaGrad(lr=0.01), RMSprop(lr=0.01, decay_rate=0.9)
    pa, pr = {"w": np.array([0.0])}, {"w": np.array([0.0])}
    for _ in range(100):
        ada.update(pa, {"w": np.array([10.0])})
        rms.update(pr, {"w": np.array([10.0])})
    for _ in range(100):
        ada.update(pa, {"w": np.array([0.1])})
        rms.update(pr, {"w": np.array([0.1])})
    before_a, before_r = pa["w"].copy(), pr["w"].copy()
    ada.update(pa, {"w": np.array([0.1])})
    rms.update(pr, {"w": np.array([0.1])})
    assert abs(pr["w"] - before_r)[0] > 50 * abs(pa["w"] - before_a)[0]


def test_optimizers_accept_the_books_python_floats():
    """ch06/optimizer_compare_naive.py keeps scalars (Python floats) in params and grads."""
    for opt in [SGD(0.95), Momentum(0.1), Nesterov(0.1), AdaGrad(1.5), RMSprop(0.1), Adam(0.3)]:
        params = {"x": -7.0, "y": 2.0}
        for _ in range(30):
            opt.update(params, {"x": params["x"] / 10.0, "y": 2.0 * params["y"]})
        assert abs(float(params["y"])) < 2.0 and abs(float(params["x"])) < 7.0


def test_new_optimizer_arguments():
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1"):
        Nesterov(momentum=1)
    with pytest.raises(ValueError, match=r"decay_rate must be in \[0, 1\), got 1.5"):
        RMSprop(decay_rate=1.5)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        RMSprop(lr=-1)
    with pytest.raises(KeyError, match="grads must have the keys of params"):
        Nesterov().update({"W": np.zeros(2)}, {"b": np.zeros(2)})
