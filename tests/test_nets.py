import numpy as np
import pytest

from dlfs.layers import Affine
from dlfs.nets import SimpleNet, TwoLayerNet
from dlfs.numerical import numerical_gradient
from dlfs.optim import SGD


def small_batch(seed=0, n=6, d=8, c=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, c, n)


def test_simple_net_book_gradient():
    W = np.array([[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]])
    net = SimpleNet(W=W)
    x, t = np.array([0.6, 0.9]), np.array([0, 0, 1])
    dW = numerical_gradient(lambda _: net.loss(x, t), net.W)
    expected = np.array([[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]])
    np.testing.assert_allclose(dW, expected, atol=1e-7)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_backprop_matches_numerical(activation):
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3, weight_init_std=0.5, activation=activation, seed=1)
    g, n = net.gradient(x, t), net.numerical_gradient(x, t)
    for key in net.params:
        np.testing.assert_allclose(g[key], n[key], rtol=1e-5, atol=1e-9)


def test_one_hot_and_indices_give_the_same_loss_and_gradient():
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3, seed=2)
    assert net.loss(x, t) == net.loss(x, np.eye(3)[t])
    g1, g2 = net.gradient(x, t), net.gradient(x, np.eye(3)[t])
    for key in g1:
        np.testing.assert_array_equal(g1[key], g2[key])


def test_loss_and_gradient_is_one_forward_pass():
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3, seed=0)
    loss, grads = net.loss_and_gradient(x, t)
    assert loss == net.loss(x, t)
    assert grads.keys() == net.params.keys()


def test_rebinding_params_takes_effect():
    # the book's net keeps the old arrays in its layers and silently stops learning
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3, seed=0)
    before = net.loss(x, t)
    net.params["W2"] = np.zeros_like(net.params["W2"])
    net.params["b2"] = np.array([5.0, 0.0, 0.0])
    assert net.loss(x, t) != before
    np.testing.assert_allclose(net.predict(x), np.tile([5.0, 0.0, 0.0], (6, 1)))


def test_a_parameter_replaced_after_many_passes_is_still_checked_and_bound():
    """`_bind_params` checks only arrays it has not seen (the same arrays, updated in place, pass);
    one put in later is still checked, and then used."""
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3, seed=0)
    for _ in range(3):
        SGD(0.1).update(net.params, net.gradient(x, t))  # in place: the same arrays
    assert net.layers["Affine2"].W is net.params["W2"]
    net.params["W2"] = net.params["W2"].astype(np.float32)
    with pytest.raises(ValueError, match=r"params\['W2'\] must have shape \(5, 3\) and dtype float64, "
                                         r"got shape \(5, 3\) and dtype float32"):
        net.loss(x, t)
    net.params["W2"] = np.zeros((5, 3))
    np.testing.assert_array_equal(net.predict(x), np.tile(net.params["b2"], (6, 1)))  # W2 is 0: the scores are b2
    assert net.layers["Affine2"].W is net.params["W2"]
    net.layers["Affine2"] = Affine(np.ones((5, 3)), np.ones(3))  # a new layer gets the arrays of params too
    np.testing.assert_array_equal(net.predict(x), np.tile(net.params["b2"], (6, 1)))
    assert net.layers["Affine2"].W is net.params["W2"]
    del net.params["b2"]
    with pytest.raises(KeyError, match="b2"):
        net.loss(x, t)


def test_in_place_update_and_rebinding_both_train():
    x, t = small_batch()
    for mode in ("in place", "rebind"):
        net = TwoLayerNet(8, 5, 3, weight_init_std=0.5, seed=0)
        start = net.loss(x, t)
        for _ in range(50):
            g = net.gradient(x, t)
            for key in net.params:
                if mode == "in place":
                    net.params[key] -= 0.5 * g[key]
                else:
                    net.params[key] = net.params[key] - 0.5 * g[key]
        assert net.loss(x, t) < 0.5 * start, mode


def test_seeded_and_rng():
    a, b = TwoLayerNet(8, 5, 3, seed=7), TwoLayerNet(8, 5, 3, seed=7)
    c = TwoLayerNet(8, 5, 3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    np.testing.assert_array_equal(a.params["W1"], c.params["W1"])
    assert not np.array_equal(a.params["W1"], TwoLayerNet(8, 5, 3, seed=8).params["W1"])


def test_float32_stays_float32():
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3, dtype=np.float32)
    assert net.predict(x).dtype == np.float32  # float64 input is cast, not mixed in
    assert all(g.dtype == np.float32 for g in net.gradient(x, t).values())
    assert all(p.dtype == np.float32 for p in net.params.values())


def test_accuracy():
    x, _ = small_batch()
    net = TwoLayerNet(8, 5, 3, seed=0)
    predicted = net.predict(x).argmax(axis=1)
    assert net.accuracy(x, predicted) == 1.0
    assert net.accuracy(x, np.eye(3)[(predicted + 1) % 3]) == 0.0


def test_bad_input_is_named():
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 8\).*got shape \(6, 7\)"):
        net.loss(x[:, :7], t)
    with pytest.raises(ValueError, match=r"t must be class indices of shape \(6,\).*got shape \(5,\)"):
        net.loss(x, t[:5])
    with pytest.raises(ValueError, match=r"out of range: expected 0\.\.2, got min 0 and max 3"):
        net.gradient(x, np.array([0, 1, 2, 3, 0, 1]))
    x_nan = x.copy()
    x_nan[2, 3] = np.nan
    with pytest.raises(ValueError, match="x must be finite; got 1 NaN or inf"):
        net.gradient(x_nan, t)
    net.params["W1"] = np.zeros((8, 4))
    expected = r"params\['W1'\] must have shape \(8, 5\) and dtype float64, got shape \(8, 4\)"
    with pytest.raises(ValueError, match=expected):
        net.predict(x)


def test_bad_construction_is_named():
    with pytest.raises(ValueError, match="hidden_size must be a positive integer, got 0"):
        TwoLayerNet(8, 0, 3)
    with pytest.raises(ValueError, match="activation must be one of"):
        TwoLayerNet(8, 5, 3, activation="tanh")
    with pytest.raises(TypeError, match=r"dtype must be np\.float32 or np\.float64, got int64"):
        TwoLayerNet(8, 5, 3, dtype=np.int64)
    with pytest.raises(ValueError, match=r"SimpleNet|W must have shape \(2, 3\)"):
        SimpleNet(W=np.ones((3, 3)))


def test_count_parameters_and_the_network_protocol():
    from dlfs.nets import Network, count_parameters

    net = TwoLayerNet(784, 50, 10)
    assert count_parameters(net) == 784 * 50 + 50 + 50 * 10 + 10 == 39_760
    assert net.output_size == 10 and net.dtype == np.float64
    # every member the protocol declares is there, with the declared kind
    members = {name for name in dir(Network) if not name.startswith("_")} | set(Network.__annotations__)
    assert members == {"params", "dtype", "output_size", "loss", "accuracy", "gradient",
                       "loss_and_gradient", "numerical_gradient"}
    for name in members:
        assert hasattr(net, name), name


def test_numerical_gradient_of_a_sample_of_entries():
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3, weight_init_std=0.5, seed=1)
    full = net.numerical_gradient(x, t)
    some = net.numerical_gradient(x, t, indices={"W1": [(0, 0), (7, 4)], "b1": [], "W2": [(2, 1)], "b2": [(0,)]})
    assert np.isnan(some["b1"]).all() and np.count_nonzero(~np.isnan(some["W1"])) == 2
    for key, idx in [("W1", (7, 4)), ("W2", (2, 1)), ("b2", (0,))]:
        assert some[key][idx] == full[key][idx]


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_fast_path_computes_exactly_what_loss_and_gradient_does(activation, dtype):
    """`_loss_and_gradient` (what `train` calls on checked data for an optimizer other than plain SGD) is the
    same arithmetic, bit for bit."""
    x, t = small_batch()
    x = x.astype(dtype)
    checked = TwoLayerNet(8, 5, 3, activation=activation, dtype=dtype, seed=1)
    fast = TwoLayerNet(8, 5, 3, activation=activation, dtype=dtype, seed=1)
    for _ in range(3):  # a few steps, so that the updated parameters are compared too
        loss, grads = checked.loss_and_gradient(x, t)
        fast_loss, fast_grads = fast._loss_and_gradient(x, t)
        assert fast_loss == loss and type(fast_loss) is type(loss)
        assert grads.keys() == fast_grads.keys()
        for key in grads:
            assert fast_grads[key].dtype == np.dtype(dtype)
            np.testing.assert_array_equal(fast_grads[key], grads[key], strict=True)
        SGD(0.5).update(checked.params, grads)
        SGD(0.5).update(fast.params, fast_grads)


def test_the_public_path_still_checks_every_batch():
    """Only the fast path skips the check of x: loss_and_gradient names a NaN and bad labels."""
    x, t = small_batch()
    net = TwoLayerNet(8, 5, 3)
    x_nan = x.copy()
    x_nan[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"x must be finite; got 1 NaN or inf value\(s\) in shape \(6, 8\)"):
        net.loss_and_gradient(x_nan, t)
    with pytest.raises(ValueError, match=r"out of range: expected 0\.\.2, got min 0 and max 7"):
        net.loss_and_gradient(x, np.array([0, 1, 2, 7, 0, 1]))
    with pytest.raises(TypeError, match="integer dtype, got float64"):
        net.loss_and_gradient(x, t.astype(float))
    loss, _ = net.loss_and_gradient(x.astype(int), t)  # integers are cast to the net's dtype
    assert loss == net._loss_and_gradient(x.astype(int).astype(float), t)[0]
