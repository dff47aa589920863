"""MultiLayerNetExtend: batch normalization and dropout in a network, gradient-checked in training mode."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlfs.extend import MultiLayerNetExtend
from dlfs.gradcheck import gradient_check
from dlfs.layers import BatchNormalization, Dropout, Relu
from dlfs.multilayer import MultiLayerNet
from dlfs.train import train


class FixedMasks(MultiLayerNetExtend):
    """Every pass draws the same dropout masks, so numerical and backprop gradients differentiate one function."""

    def _forward(self, x, train_flg=False):
        for layer in self.layers.values():
            if isinstance(layer, Dropout):
                layer.rng = np.random.default_rng(11)
        return super()._forward(x, train_flg)


def relu_inputs(net, x):
    """What each ReLU of `net` receives in a training pass (with FixedMasks' masks)."""
    inputs = []
    net.predict(x, train_flg=True)  # binds params and sets the masks' generators
    for layer in net.layers.values():
        if isinstance(layer, Relu):
            inputs.append(x)
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng(11)
        x = layer.forward(x, True) if isinstance(layer, (BatchNormalization, Dropout)) else layer.forward(x)
    return inputs


def data(n=6, d=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, classes, n)


@settings(max_examples=20, deadline=None)
@given(depth=st.integers(1, 3), width=st.integers(2, 5), activation=st.sampled_from(["relu", "sigmoid"]),
       use_batchnorm=st.booleans(), use_dropout=st.booleans(), decay=st.sampled_from([0.0, 0.1]),
       seed=st.integers(0, 2**16))
def test_backprop_matches_numerical_gradients_in_training_mode(depth, width, activation, use_batchnorm,
                                                                use_dropout, decay, seed):
    x, t = data(seed=seed)
    net = FixedMasks(5, [width] * depth, 3, "xavier", activation=activation, weight_decay_lambda=decay,
                     use_batchnorm=use_batchnorm, use_dropout=use_dropout, dropout_ratio=0.3, seed=seed)
    rng = np.random.default_rng(seed)
    for key in net.params:  # move the shifts off 0, so that few ReLU inputs sit on the kink
        if key.startswith(("b", "beta")):
            net.params[key] = rng.uniform(0.1, 0.5, net.params[key].shape)
        if key.startswith("gamma"):
            net.params[key] = rng.uniform(0.5, 1.5, net.params[key].shape)
    if activation == "relu":  # an input within h of the kink is not a bug (chapter 6)
        assume(min(np.abs(z).min() for z in relu_inputs(net, x)) > 1e-3)
    net.predict(x, train_flg=True)
    # a feature with almost no spread in the batch (dropout can make one) makes batch normalization
    # so steep that central differences with h = 1e-4 are off by ~1e-5 relative: the error shrinks as h**2
    assume(all(layer.std.min() > 0.05 for layer in net.layers.values() if isinstance(layer, BatchNormalization)))
    result = gradient_check(net, x, t)
    assert list(result) == list(net.params)
    for key, r in result.items():
        # a bias just before batch normalization has a zero gradient (the batch mean takes it away):
        # both sides are rounding noise there, which a relative error cannot judge
        # and a small entry's central difference is off by its truncation error, about h**2 = 1e-8 times
        # the third derivative, in absolute terms (seen: 1.3e-9 apart, 1.2e-5 relative, at depth 2, width 4)
        assert r.max_rel_error < 1e-5 or r.max_abs_diff < 1e-8, key


def test_a_bias_before_batch_normalization_has_no_gradient():
    x, t = data()
    grads = MultiLayerNetExtend(5, [4, 4], 3, use_batchnorm=True, seed=0).gradient(x, t)
    for key in ["b1", "b2"]:
        np.testing.assert_allclose(grads[key], 0, atol=1e-15)
    assert np.abs(grads["b3"]).min() > 1e-6


def test_without_options_it_is_a_multilayer_net():
    x, t = data()
    ext, plain = MultiLayerNetExtend(5, [4, 4], 3, seed=3), MultiLayerNet(5, [4, 4], 3, seed=3)
    assert list(ext.layers) == list(plain.layers)
    for key in plain.params:
        np.testing.assert_array_equal(ext.params[key], plain.params[key])  # the same draws
    assert ext.loss(x, t) == plain.loss(x, t)
    for key, g in plain.gradient(x, t).items():
        np.testing.assert_array_equal(ext.gradient(x, t)[key], g)


def test_inference_is_deterministic_and_training_mode_is_not():
    x, t = data(n=20)
    net = MultiLayerNetExtend(5, [30], 3, use_dropout=True, use_batchnorm=True, seed=0)
    np.testing.assert_array_equal(net.predict(x), net.predict(x))
    assert not np.array_equal(net.predict(x, train_flg=True), net.predict(x, train_flg=True))  # new masks
    assert net.loss(x, t) == net.loss(x, t, train_flg=False)
    assert net.loss(x, t, train_flg=True) != net.loss(x, t)


def test_a_training_pass_updates_the_running_statistics_that_inference_uses():
    x, t = data(n=50)
    x = 3.0 * x + 2.0
    net = MultiLayerNetExtend(5, [4], 3, use_batchnorm=True, seed=0)
    bn = net.layers["BatchNorm1"]
    before = net.predict(x)
    net.gradient(x, t)
    z = x @ net.params["W1"] + net.params["b1"]
    np.testing.assert_allclose(bn.running_mean, 0.1 * z.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * z.var(axis=0))
    assert not np.array_equal(net.predict(x), before)


def test_rebinding_gamma_and_beta_reaches_the_layer():
    x, t = data()
    net = MultiLayerNetExtend(5, [4], 3, use_batchnorm=True, seed=0)
    net.params["beta1"] = np.full(4, 100.0)  # every ReLU input becomes about 100
    net.predict(x, train_flg=True)
    assert net.layers["BatchNorm1"].beta is net.params["beta1"]
    with pytest.raises(ValueError, match=r"params\['gamma1'\] must have shape \(4,\)"):
        net.params["gamma1"] = np.ones(3)
        net.loss(x, t)


@pytest.mark.parametrize("options", [{"use_batchnorm": True}, {"use_dropout": True, "dropout_ration": 0.2},
                                     {"use_batchnorm": True, "use_dropout": True, "weight_decay_lambda": 0.01}])
def test_training_lowers_the_loss(options):
    rng = np.random.default_rng(0)
    t = rng.integers(0, 3, 300)
    x = rng.standard_normal((300, 5)) + 3.0 * np.eye(3, 5)[t]
    net = MultiLayerNetExtend(5, [20, 20], 3, **options, seed=0)
    start = net.loss(x, t)
    h = train(net, x, t, iters=300, batch_size=30, lr=0.1)
    assert net.loss(x, t) < 0.5 * start and h.train_acc[-1] > 0.95


def test_float32_stays_float32():
    x, t = data()
    net = MultiLayerNetExtend(5, [4], 3, use_batchnorm=True, use_dropout=True, dtype=np.float32)
    assert all(g.dtype == np.float32 for g in net.gradient(x, t).values())
    assert net.predict(x).dtype == np.float32


def test_dropout_ratio_has_one_name_at_a_time():
    assert MultiLayerNetExtend(5, [4], 3, use_dropout=True, dropout_ration=0.2).layers["Dropout1"].dropout_ratio == 0.2
    assert MultiLayerNetExtend(5, [4], 3, use_dropout=True, dropout_ratio=0.3).layers["Dropout1"].dropout_ratio == 0.3
    assert MultiLayerNetExtend(5, [4], 3, use_dropout=True).layers["Dropout1"].dropout_ratio == 0.5
    with pytest.raises(TypeError, match="give dropout_ratio or the book's name for it, dropout_ration, not both"):
        MultiLayerNetExtend(5, [4], 3, dropout_ratio=0.2, dropout_ration=0.2)
    with pytest.raises(ValueError, match=r"dropout_ratio must be in \[0, 1\), got 1.5"):
        MultiLayerNetExtend(5, [4], 3, use_dropout=True, dropout_ration=1.5)


@pytest.mark.parametrize("cls", [MultiLayerNet, MultiLayerNetExtend])
def test_the_net_checks_the_labels_its_loss_layer_trusts(cls):
    """The loss layer is built with check_t=False: every public method that takes t checks it itself,
    and one-hot rows give what class indices give."""
    x, t = data()
    net = cls(5, [4], 3, seed=0)
    bad = t.copy()
    bad[0] = 3
    for method in (net.loss, net.loss_and_gradient, net.gradient, net.numerical_gradient, net.accuracy):
        with pytest.raises(ValueError, match=r"out of range: expected 0\.\.2, got min \d and max 3"):
            method(x, bad)
    assert net.loss(x, np.eye(3)[t]) == net.loss(x, t)
