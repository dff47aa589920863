"""fast_numerical_gradient: what net.numerical_gradient returns, entry for entry, from one forward pass."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlfs.fastgrad import DEFAULT_MAX_BYTES, _example_losses_into, fast_numerical_gradient, gradient_cost
from dlfs.layers import BookSoftmaxWithLoss, SoftmaxWithLoss
from dlfs.multilayer import MultiLayerNet
from dlfs.nets import SimpleNet, TwoLayerNet

TOL = 1e-9  # what the task asks: every entry within 1e-9 (absolute) of the slow method
NETS = {  # small hidden layers, so that the slow reference takes a second
    "two-layer relu": lambda: TwoLayerNet(784, 6, 10, weight_init_std=0.05, seed=0),
    "two-layer sigmoid": lambda: TwoLayerNet(784, 6, 10, weight_init_std=0.05, activation="sigmoid", seed=1),
    "multi relu [6, 5]": lambda: MultiLayerNet(784, [6, 5], 10, seed=2),
    "multi sigmoid [5, 4, 3]": lambda: MultiLayerNet(784, [5, 4, 3], 10, "xavier", activation="sigmoid", seed=3),
    "multi relu [5, 4, 3] decay": lambda: MultiLayerNet(784, [5, 4, 3], 10, weight_decay_lambda=0.1, seed=4),
    "multi sigmoid [6, 5] decay": lambda: MultiLayerNet(784, [6, 5], 10, "xavier", activation="sigmoid",
                                                        weight_decay_lambda=0.3, seed=5),
}


def batch(mnist, n=12, start=0):
    (x_train, t_train), _ = mnist
    return x_train[start:start + n], t_train[start:start + n]


def max_diff(a: dict, b: dict) -> float:
    return max(float(np.nanmax(np.abs(a[key] - b[key]))) for key in b)


@pytest.mark.parametrize("kind", NETS)
def test_every_entry_matches_the_slow_method_on_mnist(mnist, kind):
    net = NETS[kind]()
    x, t = batch(mnist)
    slow, fast = net.numerical_gradient(x, t), fast_numerical_gradient(net, x, t)
    assert list(fast) == list(slow) == list(net.params)
    for key, g in fast.items():
        assert g.shape == net.params[key].shape and g.dtype == np.float64
    assert max(np.abs(g).max() for g in slow.values()) > 1e-3  # a real gradient, not zeros
    assert max_diff(fast, slow) < TOL
    # and far closer than that: both are the same differences, apart from rounding
    assert max_diff(fast, slow) < 1e-10


def test_784_50_10_matches_on_a_sample_of_entries(mnist):
    """The full-size net: the slow method on every b1, W2 and b2 entry and 400 of W1's."""
    net = TwoLayerNet(784, 50, 10, seed=0)
    x, t = batch(mnist, 20, start=100)
    rng = np.random.default_rng(0)
    lit = np.flatnonzero(x.any(axis=0))  # rows of W1 whose input is nonzero in some image
    rows = np.concatenate([rng.choice(lit, 300), rng.integers(0, 784, 100)])
    indices = {"W1": list(zip(rows, rng.integers(0, 50, 400))),
               **{key: list(np.ndindex(net.params[key].shape)) for key in ("b1", "W2", "b2")}}
    slow = net.numerical_gradient(x, t, indices=indices)
    fast = fast_numerical_gradient(net, x, t)
    for key, entries in indices.items():
        picked = tuple(np.array(entries).T)
        assert np.abs(fast[key][picked] - slow[key][picked]).max() < 1e-10, key
    assert np.count_nonzero(fast["W1"][x.any(axis=0) == 0]) == 0  # an input that is always 0: no gradient


def kinked(net, x, layer, unit, offset):
    """Set b_layer[unit] so that example 0's pre-activation of that unit is `offset` (within h of 0)."""
    net.predict(x)
    z = net.layers[f"Affine{layer}"].x @ net.params[f"W{layer}"] + net.params[f"b{layer}"]
    net.params[f"b{layer}"][unit] += offset - z[0, unit]
    net.predict(x)
    z = net.layers[f"Affine{layer}"].x @ net.params[f"W{layer}"] + net.params[f"b{layer}"]
    assert abs(z[0, unit]) < 1e-4
    return net


@pytest.mark.parametrize(("make", "layer"), [
    (lambda: TwoLayerNet(784, 6, 10, weight_init_std=0.05, seed=0), 1),
    (lambda: MultiLayerNet(784, [6, 5], 10, seed=2), 1),
    (lambda: MultiLayerNet(784, [6, 5], 10, seed=2), 2),
], ids=["two-layer, layer 1", "multi, layer 1", "multi, layer 2"])
def test_a_relu_kink_within_h_gives_what_the_slow_method_gives(mnist, make, layer):
    x, t = batch(mnist)
    net = kinked(make(), x, layer, unit=1, offset=3e-5)  # b_layer[1] ± h crosses the kink for example 0
    slow, fast = net.numerical_gradient(x, t), fast_numerical_gradient(net, x, t)
    assert max_diff(fast, slow) < 1e-10
    # the kink is real: there the central difference is not the one-sided slope backprop takes
    key = f"b{layer}"
    assert abs(slow[key][1] - net.gradient(x, t)[key][1]) > 1e-4


@pytest.mark.parametrize("max_bytes", [1, 1000, 50_000, DEFAULT_MAX_BYTES, 2**30])
def test_every_step_size_gives_the_same_gradient(mnist, max_bytes):
    net = MultiLayerNet(784, [6, 5], 10, weight_decay_lambda=0.1, seed=2)
    x, t = batch(mnist, 6)
    reference = fast_numerical_gradient(net, x, t)
    # the same differences summed in other groupings: equal up to the last bits
    assert max_diff(fast_numerical_gradient(net, x, t, max_bytes=max_bytes), reference) < 1e-13


@pytest.mark.parametrize("max_bytes", [2**16, 2**20, 2**22])
def test_memory_is_bounded_by_max_bytes(mnist, max_bytes):
    """What NumPy allocates at its peak: a few arrays of max_bytes, beyond what the batch and net hold."""
    net = TwoLayerNet(784, 50, 10, seed=0)
    x, t = batch(mnist, 100)
    x, t = x.copy(), t.copy()
    held = x.nbytes + sum(p.nbytes for p in net.params.values())
    tracemalloc.start()
    try:
        fast_numerical_gradient(net, x, t, max_bytes=max_bytes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * held + 3 * max_bytes


def test_inputs_and_the_net_are_left_exactly_as_they_were(mnist):
    net = MultiLayerNet(784, [6, 5], 10, weight_decay_lambda=0.1, seed=2)
    x, t = batch(mnist)
    x, t = x.copy(), t.copy()
    before = {key: (p, p.tobytes()) for key, p in net.params.items()}
    x_bytes, t_bytes = x.tobytes(), t.tobytes()
    fast_numerical_gradient(net, x, t, max_bytes=1000)
    assert x.tobytes() == x_bytes and t.tobytes() == t_bytes
    for key, (p, data) in before.items():
        assert net.params[key] is p and p.tobytes() == data
    assert all(getattr(layer, "x", None) is None for layer in net.layers.values())  # it never ran the net


def test_images_one_hot_labels_and_integer_pixels_are_taken_as_the_slow_method_takes_them(mnist):
    net = TwoLayerNet(784, 5, 10, seed=0)
    x, t = batch(mnist, 4)
    flat = fast_numerical_gradient(net, x, t)
    images = fast_numerical_gradient(net, x.reshape(4, 1, 28, 28), np.eye(10)[t])
    assert max_diff(images, flat) == 0
    raw = (x * 255).round().astype(np.uint8)
    assert max_diff(fast_numerical_gradient(net, raw, t), net.numerical_gradient(raw, t)) < TOL


@settings(max_examples=30, deadline=None)
@given(depth=st.integers(1, 3), width=st.integers(1, 5), activation=st.sampled_from(["relu", "sigmoid"]),
       decay=st.sampled_from([0.0, 0.05, 1.0]), n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_any_depth_matches_on_random_data(depth, width, activation, decay, n, seed):
    rng = np.random.default_rng(seed)
    net = MultiLayerNet(7, [width] * depth, 4, activation=activation, weight_decay_lambda=decay, seed=seed)
    x, t = rng.standard_normal((n, 7)) * (rng.random((n, 7)) < 0.6), rng.integers(0, 4, n)  # some zeros
    assert max_diff(fast_numerical_gradient(net, x, t), net.numerical_gradient(x, t)) < TOL


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 8), c=st.integers(2, 6), scale=st.sampled_from([1.0, 30.0, 1000.0]),
       seed=st.integers(0, 2**16))
def test_example_losses_are_softmax_with_loss_before_its_mean(n, c, scale, seed):
    rng = np.random.default_rng(seed)
    scores, t = scale * rng.standard_normal((n, c)), rng.integers(0, c, n)
    losses = _example_losses_into(scores.T.copy(), t)
    assert losses.shape == (n,)
    assert np.isclose(losses.mean(), SoftmaxWithLoss().forward(scores, t), rtol=1e-14, atol=0)


def test_the_cost_model_counts(mnist):
    x, _ = batch(mnist, 100)
    D, H, C, N = 784, 50, 10, 100
    P = D * H + H + H * C + C
    forward = N * (D * H + H * C)
    dense = gradient_cost(TwoLayerNet(D, H, C, activation="sigmoid"), np.ones((N, D)))
    assert dense.slow_macs == 2 * P * forward and dense.slow_exps == 2 * P * N * C
    # every example reaches every nudge: 2(D + 1)NH examples for W1 and b1, C MACs each
    assert dense.fast_examples == 2 * (D + 1) * N * H + 2 * (H + 1) * N * C
    assert dense.fast_macs == forward + 2 * (D + 1) * N * H * C
    assert dense.fast_exps == C * dense.fast_examples
    relu = gradient_cost(TwoLayerNet(D, H, C, seed=0), x)
    nnz = np.count_nonzero(x)
    assert relu.fast_macs <= forward + 2 * (nnz + N) * H * C  # zeros skipped, and units that stay off
    assert relu.fast_examples < dense.fast_examples / 4
    deep = gradient_cost(MultiLayerNet(D, [5, 4], C, activation="sigmoid"), np.ones((2, D)))
    # a nudge of W1 costs each example the rank-one update of layer 2 (4) and layer 3 in full (4 * 10)
    assert deep.fast_macs == 2 * (D * 5 + 5 * 4 + 4 * C) + 2 * 2 * (D + 1) * 5 * (4 + 4 * C) + 2 * 2 * (5 + 1) * 4 * C


class Scaled(TwoLayerNet):
    def _loss(self, x, t):
        return 2 * super()._loss(x, t)


def test_what_it_cannot_do_is_refused_by_name(mnist):
    x, t = batch(mnist, 3)
    with pytest.raises(TypeError, match=r"supports dlfs.nets.TwoLayerNet and dlfs.multilayer.MultiLayerNet"
                                        r".*got SimpleNet"):
        fast_numerical_gradient(SimpleNet(), x[:, :2], t)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got Scaled"):  # a subclass may have changed the loss
        fast_numerical_gradient(Scaled(784, 5, 10), x, t)
    net = TwoLayerNet(784, 5, 10)
    net.last_layer = BookSoftmaxWithLoss()
    with pytest.raises(TypeError, match=r"SoftmaxWithLoss's loss; net\.last_layer is BookSoftmaxWithLoss"):
        fast_numerical_gradient(net, x, t)
    with pytest.raises(TypeError, match=r"needs a float64 net, got float32.*dtype=np.float64"):
        fast_numerical_gradient(TwoLayerNet(784, 5, 10, dtype=np.float32), x, t)


def test_bad_input_is_named(mnist):
    x, t = batch(mnist, 3)
    net = TwoLayerNet(784, 5, 10)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 784\).*got shape \(3, 700\)"):
        fast_numerical_gradient(net, x[:, :700], t)
    with pytest.raises(ValueError, match=r"t must be class indices of shape \(3,\).*got shape \(2,\)"):
        fast_numerical_gradient(net, x, t[:2])
    with pytest.raises(ValueError, match=r"one-hot labels must have shape \(3, 10\)"):
        fast_numerical_gradient(net, x, np.eye(9)[t])
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="x must be finite"):
        fast_numerical_gradient(net, bad, t)
    with pytest.raises(ValueError, match="h must be a finite number > 0, got 0"):
        fast_numerical_gradient(net, x, t, h=0)
    with pytest.raises(ValueError, match="max_bytes must be an integer >= 1, got 0"):
        fast_numerical_gradient(net, x, t, max_bytes=0)
    net.params["W2"] = np.zeros((5, 9))
    with pytest.raises(ValueError, match=r"params\['W2'\] must have shape \(5, 10\)"):
        fast_numerical_gradient(net, x, t)
