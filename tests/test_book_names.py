"""The book's chapter 6 names, called with the book's keywords as its ``ch06/`` scripts call them.

Everything is imported through ``dlfs.common`` and ``dlfs.dataset``, the
re-export packages that stand in for the book's ``common/`` and ``dataset/``,
and run on tiny synthetic data: no MNIST and no copy of the book's
repository is needed.
"""

import ast
import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest

import dlfs
from dlfs.common.layers import BatchNormalization, Dropout
from dlfs.common.multi_layer_net import MultiLayerNet
from dlfs.common.multi_layer_net_extend import MultiLayerNetExtend
from dlfs.common.optimizer import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from dlfs.common.trainer import Trainer
from dlfs.common.util import shuffle_dataset, smooth_curve
from dlfs.gradcheck import gradient_check

BOOK_MODULES = ["functions", "gradient", "layers", "multi_layer_net", "multi_layer_net_extend", "optimizer",
                "trainer", "util"]


def digits(n=120, seed=0, one_hot_label=False):
    """A stand-in for MNIST: 16 'pixels' in [0, 1], 4 classes, each lighting its own pixels."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 4, n)
    x = np.clip(rng.uniform(0, 0.5, (n, 16)) + 0.5 * np.repeat(np.eye(4), 4, axis=1)[t], 0, 1).astype(np.float32)
    return x, (np.eye(4, dtype=np.float32)[t] if one_hot_label else t)


def rel_ok(result, tol=1e-5):
    # a bias right before batch normalization has a zero gradient: there both sides are rounding noise
    return all(r.max_rel_error < tol or r.max_abs_diff < 1e-10 for r in result.values())


def test_optimizer_compare_naive_keeps_python_floats_in_params():
    """As ch06/optimizer_compare_naive.py: f(x, y) = x**2 / 20 + y**2, 30 steps from (-7, 2)."""
    for optimizer in [SGD(lr=0.95), Momentum(lr=0.1), AdaGrad(lr=1.5), Adam(lr=0.3),
                      Nesterov(lr=0.1), RMSprop(lr=0.1)]:
        params, grads = {"x": -7.0, "y": 2.0}, {"x": 0, "y": 0}
        for _ in range(30):
            grads["x"], grads["y"] = params["x"] / 10.0, 2.0 * params["y"]
            optimizer.update(params, grads)
        assert params["x"] ** 2 / 20.0 + params["y"] ** 2 < 49 / 20 + 4


@pytest.mark.parametrize("weight_init_std", [0.01, "sigmoid", "relu"])
def test_multi_layer_net_as_weight_init_compare_calls_it(weight_init_std):
    x, t = digits()
    network = MultiLayerNet(input_size=16, hidden_size_list=[10, 10, 10, 10], output_size=4,
                            weight_init_std=weight_init_std)
    assert [network.params[f"W{i}"].shape for i in range(1, 6)] == [(16, 10)] + [(10, 10)] * 3 + [(10, 4)]
    assert network.predict(x).shape == (120, 4)
    grads = network.gradient(x[:3], t[:3])
    numerical = network.numerical_gradient(x[:3], t[:3])
    assert list(grads) == list(numerical) == list(network.params)
    if weight_init_std != 0.01:  # at 0.01 the deep layers' gradients vanish to rounding noise (chapter 6)
        assert rel_ok(gradient_check(network, x[:3], t[:3]))


def test_multi_layer_net_trained_as_the_scripts_do_lowers_the_loss():
    """ch06/optimizer_compare_mnist.py's loop: sample, gradient, update, loss, with each optimizer."""
    x_train, t_train = digits()
    rng = np.random.default_rng(0)  # the book samples with np.random.choice
    for optimizer in [SGD(), Momentum(), Nesterov(), AdaGrad(), RMSprop(), Adam()]:
        network = MultiLayerNet(input_size=16, hidden_size_list=[20, 20], output_size=4)
        first = network.loss(x_train, t_train)
        for _ in range(200):
            batch_mask = rng.choice(120, 30)
            grads = network.gradient(x_train[batch_mask], t_train[batch_mask])
            optimizer.update(network.params, grads)
        assert network.loss(x_train, t_train) < 0.9 * first, type(optimizer).__name__


def test_multi_layer_net_with_weight_decay_as_overfit_weight_decay_calls_it():
    x, t = digits()
    network = MultiLayerNet(input_size=16, hidden_size_list=[10, 10], output_size=4, weight_decay_lambda=0.1)
    plain = MultiLayerNet(input_size=16, hidden_size_list=[10, 10], output_size=4)
    penalty = 0.05 * sum(np.sum(network.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert network.loss(x, t) == pytest.approx(plain.loss(x, t) + penalty)
    assert rel_ok(gradient_check(network, x[:4], t[:4]))
    assert 0 <= network.accuracy(x, t) <= 1


def test_multi_layer_net_extend_with_batchnorm_as_batch_norm_gradient_check_calls_it():
    x_train, t_train = digits(one_hot_label=True)
    network = MultiLayerNetExtend(input_size=16, hidden_size_list=[10, 10], output_size=4, use_batchnorm=True)
    x_batch, t_batch = x_train[:4], t_train[:4]
    grad_backprop = network.gradient(x_batch, t_batch)
    grad_numerical = network.numerical_gradient(x_batch, t_batch)
    assert list(grad_numerical) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    for key in grad_numerical:
        assert grad_backprop[key].shape == network.params[key].shape
        assert np.average(np.abs(grad_backprop[key] - grad_numerical[key])) < 1e-7, key


def test_multi_layer_net_extend_as_batch_norm_test_trains_it():
    x_train, t_train = digits()
    for weight_init_std in np.logspace(0, -4, num=3):
        bn_network = MultiLayerNetExtend(input_size=16, hidden_size_list=[10, 10, 10], output_size=4,
                                         weight_init_std=weight_init_std, use_batchnorm=True)
        network = MultiLayerNetExtend(input_size=16, hidden_size_list=[10, 10, 10], output_size=4,
                                      weight_init_std=weight_init_std)
        optimizer = SGD(lr=0.1)
        rng = np.random.default_rng(1)
        first = bn_network.loss(x_train, t_train, train_flg=True)
        for _ in range(150):
            batch_mask = rng.choice(120, 20)
            for _network in (bn_network, network):
                grads = _network.gradient(x_train[batch_mask], t_train[batch_mask])
                optimizer.update(_network.params, grads)
        assert bn_network.loss(x_train, t_train, train_flg=True) < 0.5 * first
        assert bn_network.accuracy(x_train, t_train) > 0.9  # batch norm trains whatever the initial scale


def test_multi_layer_net_extend_with_dropout_and_the_trainer_as_overfit_dropout_calls_them(capsys):
    x_train, t_train = digits()
    x_test, t_test = digits(seed=1)
    network = MultiLayerNetExtend(input_size=16, hidden_size_list=[20, 20], output_size=4,
                                  use_dropout=True, dropout_ration=0.2)
    assert isinstance(network.layers["Dropout1"], Dropout) and network.layers["Dropout1"].dropout_ratio == 0.2
    trainer = Trainer(network, x_train, t_train, x_test, t_test,
                      epochs=30, mini_batch_size=40,
                      optimizer='sgd', optimizer_param={'lr': 0.1}, verbose=True)
    trainer.train()
    train_acc_list, test_acc_list = trainer.train_acc_list, trainer.test_acc_list
    assert len(train_acc_list) == len(test_acc_list) == 30 and len(trainer.train_loss_list) == 90
    assert test_acc_list[-1] > 0.9 and trainer.train_loss_list[-1] < trainer.train_loss_list[0]
    out = capsys.readouterr().out
    assert out.count("train loss:") == 90 and out.count("=== epoch:") == 30 and "test acc:" in out


def test_trainer_and_shuffle_dataset_as_hyperparameter_optimization_calls_them():
    x_train, t_train = digits()
    x_train, t_train = shuffle_dataset(x_train, t_train)
    x_val, t_val = x_train[:24], t_train[:24]
    x_train, t_train = x_train[24:], t_train[24:]
    network = MultiLayerNet(input_size=16, hidden_size_list=[10, 10], output_size=4, weight_decay_lambda=1e-6)
    trainer = Trainer(network, x_train, t_train, x_val, t_val,
                      epochs=20, mini_batch_size=32,
                      optimizer='sgd', optimizer_param={'lr': 0.1}, verbose=False)
    trainer.train()
    assert len(trainer.test_acc_list) == len(trainer.train_acc_list) == 20
    assert trainer.test_acc_list[-1] > trainer.test_acc_list[0] or trainer.test_acc_list[0] > 0.9


def test_smooth_curve_on_a_list_of_losses():
    train_loss = [float(v) for v in 2.0 * np.exp(-np.arange(100) / 30) + np.tile([0.2, -0.2], 50)]
    smooth = smooth_curve(train_loss)
    assert smooth.shape == (100,)
    assert np.abs(np.diff(smooth)).max() < 0.2 * np.abs(np.diff(train_loss)).max()


def test_layers_take_the_books_positional_arguments():
    bn = BatchNormalization(np.ones(3), np.zeros(3), 0.9, None, None)
    assert bn.forward(np.arange(6.0).reshape(2, 3), True).shape == (2, 3)
    assert Dropout(0.5).forward(np.ones((2, 3)), False).tolist() == [[0.5] * 3] * 2


@pytest.mark.parametrize("module", BOOK_MODULES)
def test_common_modules_hold_only_imports_of_dlfs_names(module):
    path = Path(dlfs.__file__).parent / "common" / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    kinds = {type(node).__name__ for node in body}
    assert kinds <= {"Import", "ImportFrom", "Assign"}, f"dlfs/common/{module}.py holds code: {kinds}"
    assert all(node.targets[0].id == "__all__" for node in body if isinstance(node, ast.Assign))
    mod = importlib.import_module(f"dlfs.common.{module}")
    for name in mod.__all__:
        obj = getattr(mod, name)
        assert obj is np or obj.__module__.startswith("dlfs."), name
        assert obj is np or getattr(importlib.import_module(obj.__module__), name) is obj


def test_star_imports_bring_what_the_scripts_use():
    namespace: dict = {}
    exec("from dlfs.common.optimizer import *", namespace)  # optimizer_compare_mnist.py uses its np
    assert namespace["np"] is np and namespace["RMSprop"] is RMSprop
    exec("from dlfs.common.gradient import numerical_gradient", namespace)
    grad = namespace["numerical_gradient"](lambda x: np.sum(x ** 2), np.array([3.0, 4.0]))
    np.testing.assert_allclose(grad, [6.0, 8.0])


def test_dataset_mnist_takes_the_books_keywords():
    from dlfs.dataset.mnist import load_mnist

    parameters = list(inspect.signature(load_mnist).parameters.values())[:3]
    assert [(p.name, p.default) for p in parameters] == [("normalize", True), ("flatten", True),
                                                          ("one_hot_label", False)]
