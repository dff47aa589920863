import numpy as np
import pytest

from dlfs.gradcheck import gradient_check
from dlfs.nets import TwoLayerNet


def test_gradient_check_on_three_mnist_images(mnist):
    """The notes' table: W1 4.3e-10, b1 2.9e-09, W2 5.6e-09, b2 1.4e-07 (all <= 1e-6).

    Chapter 6 checks every entry; a sample of each parameter is enough here.
    """
    (x_train, t_train), _ = mnist
    net = TwoLayerNet(784, 50, 10)
    result = gradient_check(net, x_train[:3], t_train[:3], sample=500)
    assert list(result) == ["W1", "b1", "W2", "b2"]
    for key, r in result.items():
        assert r.mean_abs_diff <= 1e-6, key
        assert r.max_rel_error <= 1e-5, key


def test_gradient_check_catches_a_wrong_gradient():
    rng = np.random.default_rng(0)
    net = TwoLayerNet(6, 4, 3, weight_init_std=0.5)
    x, t = rng.standard_normal((4, 6)), np.array([0, 1, 2, 0])
    honest = net.gradient

    def buggy(x, t):  # forgets to average b2 over the batch
        g = honest(x, t)
        return g | {"b2": g["b2"] * len(x)}

    net.gradient = buggy
    result = gradient_check(net, x, t)
    assert result["W1"].max_rel_error < 1e-6
    assert result["b2"].max_rel_error > 0.5


def test_gradient_check_refuses_float32():
    net = TwoLayerNet(6, 4, 3, dtype=np.float32)
    with pytest.raises(TypeError, match=r"needs float64 parameters; params\['W1'\] is float32"):
        gradient_check(net, np.ones((2, 6)), np.array([0, 1]))


def test_a_sample_checks_that_many_entries_and_no_more():
    rng = np.random.default_rng(0)
    net = TwoLayerNet(6, 4, 3, weight_init_std=0.5)
    x, t = rng.standard_normal((4, 6)), np.array([0, 1, 2, 0])
    calls = []
    honest = net.numerical_gradient

    def counting(x, t, *, indices=None):
        calls.append(indices)
        return honest(x, t, indices=indices)

    net.numerical_gradient = counting
    result = gradient_check(net, x, t, sample=5, seed=1)
    assert [r.entries for r in result.values()] == [5, 4, 5, 3]  # all of b1 (4) and b2 (3)
    assert {key: len(v) for key, v in calls[0].items()} == {"W1": 5, "b1": 4, "W2": 5, "b2": 3}
    assert all(r.max_rel_error < 1e-6 for r in result.values())
    again = gradient_check(net, x, t, sample=5, seed=1)
    assert calls[1] == calls[0] and again == result  # seeded


def test_a_sample_still_catches_the_bug():
    rng = np.random.default_rng(0)
    net = TwoLayerNet(6, 4, 3, weight_init_std=0.5)
    x, t = rng.standard_normal((4, 6)), np.array([0, 1, 2, 0])
    honest = net.gradient
    net.gradient = lambda x, t: honest(x, t) | {"b2": honest(x, t)["b2"] * len(x)}
    assert gradient_check(net, x, t, sample=2)["b2"].max_rel_error > 0.5


def test_bad_sample_is_refused():
    net = TwoLayerNet(6, 4, 3)
    with pytest.raises(ValueError, match="sample must be an integer >= 1 or None, got 0"):
        gradient_check(net, np.ones((2, 6)), np.array([0, 1]), sample=0)
