"""The book's Trainer, shuffle_dataset and smooth_curve."""

import numpy as np
import pytest

from dlfs.multilayer import MultiLayerNet
from dlfs.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from dlfs.trainer import Trainer, shuffle_dataset, smooth_curve


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 3, n)
    return rng.standard_normal((n, 6)) + 2.5 * np.eye(3, 6)[t], t


def make(epochs=5, **kwargs):
    x, t = blobs()
    net = MultiLayerNet(input_size=6, hidden_size_list=[10, 10], output_size=3, seed=1)
    kwargs = {"verbose": False, **kwargs}
    return net, Trainer(net, x[:150], t[:150], x[150:], t[150:], epochs=epochs, mini_batch_size=30, **kwargs)


def test_counts_and_lists_follow_the_epochs():
    net, trainer = make(epochs=4, optimizer="sgd", optimizer_param={"lr": 0.1})
    assert trainer.iter_per_epoch == 5 and trainer.max_iter == 20
    test_acc = trainer.train()
    assert len(trainer.train_loss_list) == 20
    assert len(trainer.train_acc_list) == len(trainer.test_acc_list) == 4
    assert trainer.current_epoch == 4 and trainer.current_iter == 20
    x, t = blobs()
    assert test_acc == net.accuracy(x[150:], t[150:])
    assert trainer.test_acc_list[-1] == test_acc  # measured at the end of the last epoch: the trained network
    assert np.mean(trainer.train_loss_list[-5:]) < trainer.train_loss_list[0]


@pytest.mark.parametrize("name, cls", [("SGD", SGD), ("momentum", Momentum), ("Nesterov", Nesterov),
                                       ("ADAGRAD", AdaGrad), ("rmsprop", RMSprop), ("Adam", Adam)])
def test_optimizers_by_name_in_any_case(name, cls):
    _, trainer = make(optimizer=name, optimizer_param={"lr": 0.01})
    assert type(trainer.optimizer) is cls and trainer.optimizer.lr == 0.01
    trainer.train()
    assert trainer.train_acc_list[-1] > trainer.train_acc_list[0] or trainer.train_acc_list[0] > 0.9


def test_the_default_optimizer_is_the_books_sgd_with_lr_0_01():
    _, trainer = make()
    assert type(trainer.optimizer) is SGD and trainer.optimizer.lr == 0.01
    opt = Adam(lr=0.005)
    assert make(optimizer=opt)[1].optimizer is opt  # an optimizer object is used as it is


def test_the_seed_decides_the_batches_and_the_global_state_does_not():
    runs = []
    for global_seed, seed in [(0, 5), (1, 5), (0, 6)]:
        np.random.seed(global_seed)  # noqa: NPY002 -- set on purpose: it must change nothing
        _, trainer = make(epochs=2, seed=seed)
        trainer.train()
        runs.append(trainer.train_loss_list)
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_without_replacement_every_example_is_seen_once_per_epoch():
    x, t = blobs(n=60)
    seen = []

    class Spy(MultiLayerNet):
        def gradient(self, x_batch, t_batch):
            seen.extend(x_batch[:, 0].tolist())
            return super().gradient(x_batch, t_batch)

    net = Spy(6, [4], 3)
    Trainer(net, x, t, x, t, epochs=1, mini_batch_size=20, verbose=False).train()
    assert sorted(seen) == sorted(x[:, 0].tolist())
    seen.clear()
    Trainer(net, x, t, x, t, epochs=1, mini_batch_size=20, verbose=False, replace=True).train()
    assert len(seen) == 60 and len(set(seen)) < 60  # drawn with replacement: repeats (p > 0.999 for 60 of 60)


def test_verbose_prints_as_the_book_does_and_quiet_prints_nothing(capsys):
    make(epochs=2, verbose=True)[1].train()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10 + 2 + 2
    assert lines[0].startswith("train loss:") and lines[5].startswith("=== epoch:1, train acc:")
    assert lines[-2:][0] == "=============== Final Test Accuracy ===============" and lines[-1].startswith("test acc:")
    make(epochs=2, verbose=False)[1].train()
    assert capsys.readouterr().out == ""


def test_evaluate_sample_num_per_epoch_uses_the_first_examples():
    x, t = blobs()
    calls = []

    class Spy(MultiLayerNet):
        def accuracy(self, x, t):
            calls.append(len(x))
            return super().accuracy(x, t)

    Trainer(Spy(6, [4], 3), x[:150], t[:150], x[150:], t[150:], epochs=2, mini_batch_size=50,
            evaluate_sample_num_per_epoch=20, verbose=False).train()
    assert calls == [20, 20, 20, 20, 50]  # two epochs of (train, test), then the whole test set


@pytest.mark.parametrize("kwargs, error, match", [
    ({"optimizer": "lbfgs"}, ValueError, r"optimizer must be one of \['sgd', 'momentum', 'nesterov'"),
    ({"epochs": 0}, ValueError, "epochs must be an integer >= 1, got 0"),
    ({"mini_batch_size": 2.5}, ValueError, "mini_batch_size must be an integer >= 1, got 2.5"),
    ({"mini_batch_size": 151}, ValueError, "mini_batch_size must be at most the 150 training examples"),
    ({"optimizer_param": {"rate": 0.1}}, TypeError, "rate"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    x, t = blobs()
    with pytest.raises(error, match=match):
        Trainer(MultiLayerNet(6, [4], 3), x[:150], t[:150], x[150:], t[150:], verbose=False, **kwargs)
    with pytest.raises(ValueError, match=r"x_test must have shape \(N, \.\.\.\) and t_test N labels"):
        Trainer(MultiLayerNet(6, [4], 3), x, t, x, t[:5])


def test_shuffle_dataset_moves_rows_with_their_labels_and_leaves_the_inputs_alone():
    x = np.arange(24.0).reshape(6, 2, 2)
    t = np.arange(6)
    xs, ts = shuffle_dataset(x, t, seed=0)
    np.testing.assert_array_equal(xs, x[ts])
    assert sorted(ts.tolist()) == list(range(6)) and ts.tolist() != list(range(6))
    np.testing.assert_array_equal(t, np.arange(6))  # the inputs are not shuffled in place
    np.testing.assert_array_equal(shuffle_dataset(x, t, seed=0)[1], ts)
    np.testing.assert_array_equal(shuffle_dataset(x, t, rng=np.random.default_rng(0))[1], ts)
    with pytest.raises(ValueError, match="x and t must hold the same number of examples"):
        shuffle_dataset(x, t[:5])


def test_smooth_curve_keeps_the_length_constants_and_the_mean_of_a_long_curve():
    np.testing.assert_allclose(smooth_curve([2.0] * 30), 2.0)
    rng = np.random.default_rng(0)
    noisy = np.linspace(2.0, 0.5, 500) + rng.normal(0, 0.3, 500)
    smooth = smooth_curve(noisy)
    assert smooth.shape == (500,)
    assert np.std(np.diff(smooth)) < 0.3 * np.std(np.diff(noisy))  # far less jagged
    assert abs(smooth.mean() - noisy.mean()) < 0.01
    np.testing.assert_allclose(smooth_curve(np.arange(20.0))[5:-5], np.arange(5.0, 15.0))  # a line stays a line
    np.testing.assert_array_equal(smooth_curve([3.0]), [3.0])
    with pytest.raises(ValueError, match="window_len must be an odd integer >= 1, got 4"):
        smooth_curve(noisy, window_len=4)
