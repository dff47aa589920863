"""dlfs.fused: a step of plain SGD through the layers, and the same step fused, bit for bit."""

import numpy as np
import pytest

import dlfs.fused
from dlfs.fused import can_fuse, fused_sgd_step, layered_sgd_step, sgd_step_function
from dlfs.layers import Affine, BookSoftmaxWithLoss, Relu
from dlfs.multilayer import MultiLayerNet
from dlfs.nets import TwoLayerNet
from dlfs.optim import SGD, Momentum
from dlfs.train import minibatches, train
from tests.test_train import blobs


def layered_steps_by_hand(net, x, t, lr, iters, batch_size, seed):
    """SGD through the layers as a reader would write it: the loss, a backward pass started from
    dout = lr (so each dW is lr times the gradient: the step), then p -= dW."""
    batches, losses = minibatches(len(x), batch_size, np.random.default_rng(seed)), []
    for _ in range(iters):
        batch = next(batches)
        losses.append(net.loss(x[batch], t[batch]))
        dout = net.last_layer.backward(lr)
        for layer in reversed(net.layers.values()):
            dout = layer.backward(dout)
        for i in (1, 2):
            affine = net.layers[f"Affine{i}"]
            net.params[f"W{i}"] -= affine.dW
            net.params[f"b{i}"] -= affine.db
    return losses


def assert_same_params(a, b):
    assert list(a) == list(b)
    for key, p in a.items():
        np.testing.assert_array_equal(b[key], p, strict=True)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_train_fused_through_the_layers_and_by_hand_take_the_same_steps_bit_for_bit(activation, dtype):
    """train's fused step, train(fused=False) and the layers driven by hand with backward(lr) give the
    same losses and parameters, bit for bit: the fused function computes what the layers compute."""
    x, t = blobs()
    x = x.astype(dtype)
    runs = []
    for fused in (True, False):
        net = TwoLayerNet(5, 8, 2, activation=activation, dtype=dtype)
        runs.append((train(net, x, t, iters=45, batch_size=10, lr=0.3, seed=3, fused=fused).loss, net.params))
    mine = TwoLayerNet(5, 8, 2, activation=activation, dtype=dtype)
    runs.append((layered_steps_by_hand(mine, x, t, 0.3, 45, 10, 3), mine.params))
    (losses, params), *others = runs
    assert len(set(losses)) > 10  # it trained: the losses moved
    for other_losses, other_params in others:
        assert other_losses == losses
        assert_same_params(params, other_params)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 100])
@pytest.mark.parametrize("lr", [0.1, np.float32(0.37), np.float64(3.0)], ids=["float", "np.float32", "np.float64"])
def test_the_fused_step_equals_the_layered_step(activation, dtype, n, lr):
    """Batch sizes of 1 and odd ones, images of shape (1, 2, 4) per example, lr of any scalar type."""
    rng = np.random.default_rng(n)
    x, t = rng.standard_normal((n, 1, 2, 4)).astype(dtype), rng.integers(0, 3, n)
    fused, layered = (TwoLayerNet(8, 6, 3, weight_init_std=0.5, activation=activation, dtype=dtype)
                      for _ in range(2))
    for _ in range(5):
        assert fused_sgd_step(fused, x, t, lr) == layered_sgd_step(layered, x, t, lr)
    assert_same_params(fused.params, layered.params)
    assert not np.array_equal(fused.params["W1"], TwoLayerNet(8, 6, 3, weight_init_std=0.5).params["W1"])


def test_fused_and_layered_steps_on_mnist(mnist32):
    """The page's claim, on real images: five steps of 784-50-10 in float32, the same bits."""
    (x_train, t_train), _ = mnist32
    x, t = x_train[:100], t_train[:100]
    fused, layered = (TwoLayerNet(784, 50, 10, dtype=np.float32) for _ in range(2))
    assert [fused_sgd_step(fused, x, t, 0.1) == layered_sgd_step(layered, x, t, 0.1) for _ in range(5)] == [True] * 5
    assert_same_params(fused.params, layered.params)


def step_of(net, optimizer=None, fused=True):
    step = sgd_step_function(net, SGD(0.1) if optimizer is None else optimizer, fused)
    return None if step is None else step.func.__name__


class OwnRelu(Relu):
    pass


class OwnLoss(TwoLayerNet):
    def _loss(self, x, t):
        return super()._loss(x, t) + 0.0


class OwnGradient(TwoLayerNet):
    def _loss_and_gradient(self, x, t):
        return super()._loss_and_gradient(x, t)


class OwnSGD(SGD):
    pass


def test_a_net_as_built_is_fused_and_fused_false_takes_the_layers():
    net = TwoLayerNet(5, 8, 2)
    assert can_fuse(net) and step_of(net) == "_fused_step"
    assert step_of(net, fused=False) == "layered_sgd_step"


@pytest.mark.parametrize("change", [
    "BookSoftmaxWithLoss", "a Relu subclass", "backward replaced on the layer", "forward replaced on the loss layer",
    "_loss overridden", "_loss replaced on the net", "a layer added"])
def test_what_the_layers_would_compute_differently_is_left_to_the_layers(change):
    net = (OwnLoss if change == "_loss overridden" else TwoLayerNet)(5, 8, 2)
    if change == "BookSoftmaxWithLoss":
        net.last_layer = BookSoftmaxWithLoss()
    elif change == "a Relu subclass":
        net.layers["Relu1"] = OwnRelu()
    elif change == "backward replaced on the layer":
        net.layers["Relu1"].backward = lambda dout: dout
    elif change == "forward replaced on the loss layer":
        net.last_layer.forward = lambda x, t: 0.0
    elif change == "_loss replaced on the net":
        net._loss = lambda x, t: 0.0
    elif change == "a layer added":
        net.layers["Relu2"] = Relu()
    assert not can_fuse(net)
    assert step_of(net) == "layered_sgd_step"
    with pytest.raises(ValueError, match="use layered_sgd_step"):
        fused_sgd_step(net, *blobs(10), 0.1)


def test_a_method_replaced_on_the_class_is_used(monkeypatch):
    """The kind of experiment a learner tries: Relu.backward replaced. train calls the new one."""
    calls = []
    original = Relu.backward

    def backward(self, dout):
        calls.append(1)
        return original(self, dout)

    monkeypatch.setattr(Relu, "backward", backward)
    net = TwoLayerNet(5, 8, 2)
    assert not can_fuse(net) and step_of(net) == "layered_sgd_step"
    x, t = blobs()
    train(net, x, t, iters=7, batch_size=10, lr=0.3)
    assert len(calls) == 7


class ThreeLayers(TwoLayerNet):
    """A subclass with a third Affine layer, which layered_sgd_step does not know."""

    def __init__(self):
        super().__init__(5, 8, 2)
        self.params["W3"], self.params["b3"] = np.eye(2), np.zeros(2)
        self._shapes |= {"W3": (2, 2), "b3": (2,)}
        self.layers["Affine3"] = Affine(self.params["W3"], self.params["b3"])


@pytest.mark.parametrize("case", ["Momentum", "an SGD subclass", "update replaced on the SGD",
                                  "_loss_and_gradient overridden", "MultiLayerNet", "a third Affine layer"])
def test_any_other_optimizer_or_gradient_takes_gradients_then_update(case):
    net = {"_loss_and_gradient overridden": OwnGradient(5, 8, 2), "a third Affine layer": ThreeLayers()}.get(
        case, TwoLayerNet(5, 8, 2))
    optimizer = {"Momentum": Momentum(0.1), "an SGD subclass": OwnSGD(0.1)}.get(case, SGD(0.1))
    if case == "update replaced on the SGD":
        optimizer.update = lambda params, grads: None
    if case == "MultiLayerNet":
        net = MultiLayerNet(5, [8], 2)
    assert step_of(net, optimizer) is None
    if case == "a third Affine layer":  # and train updates all three
        x, t = blobs()
        train(net, x, t, iters=3, batch_size=10, lr=0.3)
        assert not np.array_equal(net.params["W3"], np.eye(2))


def test_a_wrong_parameter_or_input_width_is_named():
    net = TwoLayerNet(5, 8, 2, dtype=np.float32)
    x, t = blobs(10)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 5\) or \(N, \.\.\.\) with 5 values per example, "
                                         r"got shape \(10, 4\)"):
        fused_sgd_step(net, x[:, :4].astype(np.float32), t, 0.1)
    net.params["W1"] = net.params["W1"].astype(np.float64)
    with pytest.raises(ValueError, match=r"params\['W1'\] must have shape \(5, 8\) and dtype float32, got shape "
                                         r"\(5, 8\) and dtype float64"):
        fused_sgd_step(net, x.astype(np.float32), t, 0.1)


@pytest.mark.parametrize("fused", [True, False])
def test_train_names_a_wrong_input_width(fused):
    x, t = blobs()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 4\) or \(N, \.\.\.\) with 4 values per example, "
                                         r"got shape \(10, 5\)"):
        train(TwoLayerNet(4, 8, 2), x, t, iters=3, batch_size=10, fused=fused)


@pytest.mark.parametrize("how", ["fused", "layers", "Momentum"])
def test_a_loss_that_is_no_longer_finite_leaves_the_parameters_as_they_were(how):
    """The step that finds the loss not finite makes no update: train raises with finite parameters."""
    x, t = blobs()
    net = TwoLayerNet(5, 8, 2, dtype=np.float32)
    optimizer = Momentum(lr=1e30) if how == "Momentum" else None
    with pytest.raises(FloatingPointError, match="the loss became nan at iteration 2 with lr=1e\\+30"):
        train(net, x, t, iters=10, batch_size=10, lr=1e30, optimizer=optimizer, fused=how == "fused")
    assert all(np.isfinite(p).all() for p in net.params.values())


def test_the_fused_steps_ignore_overflow_as_train_promises(monkeypatch):
    """train's steps run with overflow and invalid ignored (the loss check reports them), fused too."""
    states = []
    fused_step = dlfs.fused._fused_step

    def spy(*args, **kwargs):
        states.append(np.geterr())
        return fused_step(*args, **kwargs)

    monkeypatch.setattr(dlfs.fused, "_fused_step", spy)
    x, t = blobs()
    train(TwoLayerNet(5, 8, 2), x, t, iters=4, batch_size=10, lr=0.3)
    assert len(states) == 4 and all(s["over"] == s["invalid"] == "ignore" for s in states)
