"""MultiLayerNet: any depth, the TwoLayerNet protocol, backprop equal to numerical gradients."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlfs.gradcheck import gradient_check
from dlfs.multilayer import MultiLayerNet, init_scale
from dlfs.nets import TwoLayerNet
from dlfs.train import train


@settings(max_examples=25, deadline=None)
@given(depth=st.integers(1, 4), width=st.integers(2, 6), activation=st.sampled_from(["relu", "sigmoid"]),
       decay=st.sampled_from([0.0, 0.05, 1.0]), seed=st.integers(0, 2**16))
def test_backprop_matches_numerical_gradients(depth, width, activation, decay, seed):
    rng = np.random.default_rng(seed)
    net = MultiLayerNet(5, [width] * depth, 3, "xavier", activation=activation,
                        weight_decay_lambda=decay, seed=seed)
    for key in net.params:  # biases away from 0, so that no ReLU input sits exactly on its kink
        if key.startswith("b"):
            net.params[key] = rng.uniform(0.1, 0.5, net.params[key].shape)
    x, t = rng.standard_normal((4, 5)), rng.integers(0, 3, 4)
    if activation == "relu":  # a ReLU input within h of 0 is a kink, not a bug (chapter 6)
        net.predict(x)
        inputs = [layer.x @ layer.W + layer.b for name, layer in net.layers.items() if name.startswith("Affine")]
        assume(min(np.abs(z).min() for z in inputs[:-1]) > 1e-3)
    worst = max(r.max_rel_error for r in gradient_check(net, x, t).values())
    assert worst < 1e-5


def test_one_hidden_layer_is_a_two_layer_net():
    x, t = np.random.default_rng(0).standard_normal((6, 8)), np.array([0, 1, 2, 0, 1, 2])
    deep, two = MultiLayerNet(8, [5], 3, 0.01, seed=3), TwoLayerNet(8, 5, 3, 0.01, seed=3)
    for key in two.params:
        np.testing.assert_array_equal(deep.params[key], two.params[key])  # the same draws
    assert deep.loss(x, t) == two.loss(x, t)
    for key, g in two.gradient(x, t).items():
        np.testing.assert_array_equal(deep.gradient(x, t)[key], g)


def test_weight_decay_is_in_the_loss_and_in_the_gradient():
    x, t = np.ones((2, 4)), np.array([0, 1])
    plain, decayed = MultiLayerNet(4, [3], 2, seed=0), MultiLayerNet(4, [3], 2, seed=0, weight_decay_lambda=0.5)
    penalty = 0.25 * sum(float(np.sum(plain.params[k] ** 2)) for k in ("W1", "W2"))
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + penalty)
    g_plain, g_decayed = plain.gradient(x, t), decayed.gradient(x, t)
    np.testing.assert_allclose(g_decayed["W1"], g_plain["W1"] + 0.5 * plain.params["W1"])
    np.testing.assert_array_equal(g_decayed["b1"], g_plain["b1"])  # biases are not decayed


@pytest.mark.parametrize("rule, n, expected", [("xavier", 100, 0.1), ("sigmoid", 4, 0.5), ("he", 50, 0.2),
                                               ("relu", 8, 0.5), (0.01, 10, 0.01), (0, 10, 0.0)])
def test_init_scale(rule, n, expected):
    assert init_scale(rule, n) == pytest.approx(expected)


def test_initial_scales_follow_the_rule():
    net = MultiLayerNet(400, [100, 100], 10, "he", seed=0)
    for key, n_in in [("W1", 400), ("W2", 100), ("W3", 100)]:
        assert net.params[key].std() == pytest.approx(np.sqrt(2 / n_in), rel=0.05)


def test_rebinding_float32_and_training_work_as_for_two_layer_net():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 2, 200)
    x = rng.standard_normal((200, 5)) + 2.0 * t[:, None]
    net = MultiLayerNet(5, [8, 8], 2, dtype=np.float32, seed=1)
    net.params["W2"] = net.params["W2"].copy()  # a new array: the layers follow it
    h = train(net, x, t, iters=200, batch_size=20, lr=0.1)
    assert net.params["W1"].dtype == np.float32 and h.train_acc[-1] > 0.9
    with pytest.raises(ValueError, match=r"params\['W3'\] must have shape \(8, 2\)"):
        net.params["W3"] = np.zeros((2, 8), np.float32)
        net.loss(x, t)


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden_sizes": []}, "hidden_sizes must name at least one hidden layer"),
    ({"hidden_sizes": [5, 0]}, "hidden_sizes must hold positive integers, got 0"),
    ({"hidden_sizes": [5], "weight_init_std": "lecun"}, 'weight_init_std must be a number, "xavier" or "he"'),
    ({"hidden_sizes": [5], "weight_init_std": -1.0}, "weight_init_std must be a finite number >= 0"),
    ({"hidden_sizes": [5], "weight_decay_lambda": -0.1}, "weight_decay_lambda must be a finite number > 0"),
    ({"hidden_sizes": [5], "activation": "tanh"}, "activation must be one of"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiLayerNet(4, output_size=2, **kwargs)


def test_the_books_keywords_build_the_same_network():
    x, t = np.random.default_rng(1).standard_normal((5, 6)), np.array([0, 1, 2, 0, 1])
    ours = MultiLayerNet(6, [4, 4], 3, "xavier", activation="sigmoid", weight_decay_lambda=0.1, seed=2)
    book = MultiLayerNet(input_size=6, hidden_size_list=[4, 4], output_size=3, activation="sigmoid",
                         weight_init_std="sigmoid", weight_decay_lambda=0.1, seed=2)
    assert list(book.params) == list(ours.params) and list(book.layers) == list(ours.layers)
    for key in ours.params:
        np.testing.assert_array_equal(book.params[key], ours.params[key])
    assert book.loss(x, t) == ours.loss(x, t)
    assert MultiLayerNet(input_size=6, hidden_size_list=[4], output_size=3, weight_init_std="relu").params[
        "W1"].tolist() == MultiLayerNet(6, [4], 3, "he").params["W1"].tolist()


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden_sizes": [5], "hidden_size_list": [5], "output_size": 2}, "give hidden_sizes or the book's name"),
    ({"output_size": 2}, r"hidden_sizes is missing \(the book calls it hidden_size_list\)"),
    ({"hidden_size_list": [5]}, "output_size is missing"),
])
def test_missing_or_doubled_sizes_are_named(kwargs, match):
    with pytest.raises(TypeError, match=match):
        MultiLayerNet(4, **kwargs)
