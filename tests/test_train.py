import json

import numpy as np
import pytest

from dlfs.nets import TwoLayerNet
from dlfs.optim import SGD, Adam
from dlfs.train import DivergenceWarning, minibatches, split_validation, train


def blobs(n=200, seed=0):
    """Two separable classes in 5-D: a quick, honest training problem."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 5)) + 2.0 * t[:, None]
    return x, t


def test_learns_separable_data_and_records_history():
    x, t = blobs()
    h = train(TwoLayerNet(5, 8, 2), x[:150], t[:150], x[150:], t[150:], iters=200, batch_size=10, lr=0.3)
    assert len(h.loss) == 200
    assert h.eval_iters == list(range(15, 200, 15)) + [200]  # every epoch, and the end
    assert len(h.train_acc) == len(h.test_acc) == len(h.eval_iters)
    assert h.test_acc[-1] > 0.9 and np.mean(h.loss[-20:]) < np.mean(h.loss[:20])
    assert h.train_time > 0 and h.time_per_iter == pytest.approx(h.train_time / 200)


def test_each_epoch_visits_every_example_once():
    x, t = blobs(n=40)
    seen = []

    class Spy(TwoLayerNet):
        def loss_and_gradient(self, xb, tb):
            seen.extend(map(tuple, xb))
            return super().loss_and_gradient(xb, tb)

    train(Spy(5, 4, 2), x, t, iters=8, batch_size=10, lr=0.1)  # two epochs of 4 batches
    first, second = seen[:40], seen[40:]
    assert sorted(first) == sorted(map(tuple, x)) == sorted(second)
    assert first != second  # reshuffled


def test_seeded_runs_are_identical_and_replace_differs():
    x, t = blobs()
    a = train(TwoLayerNet(5, 8, 2), x, t, iters=50, batch_size=10, seed=3)
    b = train(TwoLayerNet(5, 8, 2), x, t, iters=50, batch_size=10, seed=3)
    c = train(TwoLayerNet(5, 8, 2), x, t, iters=50, batch_size=10, seed=3, replace=True)
    assert a.loss == b.loss
    assert a.loss != c.loss


def test_numerical_method_takes_the_same_path():
    x, t = blobs(n=40)
    h = train(TwoLayerNet(5, 3, 2), x, t, iters=5, batch_size=10, method="numerical", lr=0.5)
    g = train(TwoLayerNet(5, 3, 2), x, t, iters=5, batch_size=10, lr=0.5)
    np.testing.assert_allclose(h.loss, g.loss, rtol=1e-6)  # same path, other gradient


def test_the_optimizer_given_is_the_one_used():
    x, t = blobs()
    sgd = train(TwoLayerNet(5, 8, 2), x, t, iters=60, batch_size=10, lr=0.01)
    net = TwoLayerNet(5, 8, 2)
    adam = train(net, x, t, iters=60, batch_size=10, lr=0.01, optimizer=Adam(0.01))
    assert sgd.loss[0] == adam.loss[0]  # same start, same first batch
    assert sgd.loss[1:] != adam.loss[1:]  # then other updates
    assert np.mean(adam.loss[-10:]) < np.mean(adam.loss[:10])  # and Adam learns
    assert adam.test_acc == [] and adam.train_acc[-1] > 0.9


def test_minibatches_are_shuffled_epochs_or_independent_draws():
    batches = minibatches(10, 3, np.random.default_rng(0))
    first_epoch = [next(batches) for _ in range(3)]
    seen = np.concatenate(first_epoch)
    assert len(seen) == 9 and len(set(seen.tolist())) == 9  # 10 // 3 batches; one image sits out
    order = np.random.default_rng(0).permutation(10)  # the same stream as the book's shuffles
    np.testing.assert_array_equal(seen, order[:9])
    drawn = minibatches(5, 4, np.random.default_rng(1), replace=True)
    draws = [next(drawn) for _ in range(20)]
    assert any(len(set(d.tolist())) < 4 for d in draws)  # with replacement, repeats happen


def test_a_finite_explosion_warns_and_names_lr():
    x, t = blobs()
    with pytest.warns(DivergenceWarning, match=r"the loss grew from 0.6932 to .* with lr=10: training diverged"):
        h = train(TwoLayerNet(5, 8, 2), x, t, iters=100, batch_size=10, lr=10)
    assert all(np.isfinite(h.loss))  # it stayed finite: no FloatingPointError


def test_ordinary_training_does_not_warn(recwarn):
    x, t = blobs()
    train(TwoLayerNet(5, 8, 2), x, t, iters=50, batch_size=10, lr=0.1, optimizer=SGD(0.1))
    assert not [w for w in recwarn if issubclass(w.category, DivergenceWarning)]


def test_divergence_names_iteration_and_lr():
    x, t = blobs()
    with pytest.raises(FloatingPointError, match=r"the loss became (nan|inf) at iteration \d+ with lr=1e\+30"):
        train(TwoLayerNet(5, 8, 2, weight_init_std=1.0), x * 1e3, t, iters=100, batch_size=10, lr=1e30)


def test_bad_arguments_are_named():
    x, t = blobs(n=20)
    net = TwoLayerNet(5, 4, 2)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got 0"):
        train(net, x, t, lr=0)
    with pytest.raises(ValueError, match="batch_size must be an integer from 1 to the training set size 20, got 21"):
        train(net, x, t, batch_size=21)
    with pytest.raises(ValueError, match="t_train must have 20 labels, one per row of x_train; got 19"):
        train(net, x, t[:19])
    with pytest.raises(ValueError, match=r"t_train holds labels out of range: expected 0\.\.1"):
        train(net, x, t + 1)
    x_nan = x.copy()
    x_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="x_train must be finite"):
        train(net, x_nan, t)
    with pytest.raises(ValueError, match="method must be one of"):
        train(net, x, t, method="magic")


def test_history_saves_json_atomically(tmp_path):
    x, t = blobs(n=20)
    h = train(TwoLayerNet(5, 4, 2), x, t, iters=4, batch_size=10)
    h.save(tmp_path / "run.json")
    data = json.loads((tmp_path / "run.json").read_text())
    assert data["loss"] == h.loss and data["time_per_iter"] == h.time_per_iter
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temp file left


def test_mnist_reaches_the_books_accuracy(mnist):
    """784-50-10, 10,000 iterations, batch 100, lr 0.1: the book ends near 0.97, in float64 here
    (seed 1) and in float32 on the training page (seed 0), whose run the site build computed."""
    from dlfs.book.training import mnist_run

    (x_train, t_train), (x_test, t_test) = mnist
    net = TwoLayerNet(784, 50, 10, seed=1, dtype=np.float64)
    runs = [train(net, x_train, t_train, x_test, t_test, seed=1), mnist_run()]
    for h in runs:
        assert h.eval_iters[:2] == [600, 1200] and h.eval_iters[-1] == 10_000
        assert h.test_acc[-1] >= 0.965
    assert runs[0].loss[:3] != runs[1].loss[:3], "two runs, not one twice"


def test_a_validation_set_is_carved_out_and_never_trained_on():
    x, t = blobs(n=200)
    seen = []

    class Spy(TwoLayerNet):
        def loss_and_gradient(self, xb, tb):
            seen.extend(map(tuple, xb))
            return super().loss_and_gradient(xb, tb)

    h = train(Spy(5, 8, 2), x, t, iters=40, batch_size=10, lr=0.3, val_size=50)
    (_, _), (x_val, _) = split_validation(x, t, 50, seed=0)
    assert not set(map(tuple, x_val)) & set(seen)  # validation examples never train
    assert h.eval_iters[0] == 15 and len(h.val_acc) == len(h.train_acc) == len(h.eval_iters)  # 150 // 10
    assert h.best_iter in h.eval_iters and h.stopped_early is False


def test_early_stopping_stops_and_restores_the_best_parameters():
    x, t = blobs(n=300, seed=1)
    net = TwoLayerNet(5, 8, 2, seed=0)
    h = train(net, x, t, iters=3000, batch_size=10, lr=0.5, val_size=100, patience=3, eval_every=5)
    assert h.stopped_early and len(h.loss) < 3000
    assert len(h.val_acc) - 1 - h.val_acc.index(max(h.val_acc)) == 3  # three evaluations without a better one
    (_, _), (x_val, t_val) = split_validation(x, t, 100, seed=0)
    assert net.accuracy(x_val, t_val) == max(h.val_acc)  # the best parameters are back


def test_patience_needs_a_validation_set():
    x, t = blobs(n=20)
    with pytest.raises(ValueError, match="patience must be an integer >= 1, with val_size > 0"):
        train(TwoLayerNet(5, 4, 2), x, t, patience=2)
    with pytest.raises(ValueError, match="the validation size must be an integer from 1 to 19, got 20"):
        train(TwoLayerNet(5, 4, 2), x, t, val_size=20)


def test_with_patience_the_best_parameters_come_back_even_without_stopping():
    x, t = blobs(n=300, seed=1)
    net = TwoLayerNet(5, 8, 2, seed=0)
    h = train(net, x, t, iters=60, batch_size=10, lr=0.5, val_size=100, patience=1000, eval_every=5)
    assert not h.stopped_early and len(h.loss) == 60
    (_, _), (x_val, t_val) = split_validation(x, t, 100, seed=0)
    assert net.accuracy(x_val, t_val) == max(h.val_acc)


class CountsChecks(TwoLayerNet):
    """A TwoLayerNet that counts how often its input is checked."""

    checks = 0

    def _check_x(self, x):
        self.checks += 1
        return super()._check_x(x)


def test_train_checks_the_data_once_not_every_batch():
    """The per-step overhead: train checks x_train whole, then no batch is checked again."""
    x, t = blobs()
    net = CountsChecks(5, 8, 2)
    train(net, x, t, iters=30, batch_size=10, lr=0.3, eval_every=1000)
    assert net.checks == 1  # the one evaluation at the end (accuracy -> predict); no batch


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_train_agrees_with_the_public_api_to_rounding(activation, dtype):
    """A loop of loss_and_gradient and SGD.update (p -= lr * g) rounds lr * g where train folds lr into
    the backward pass: the two runs agree to rounding, not bit for bit."""
    x, t = blobs()
    net = TwoLayerNet(5, 8, 2, activation=activation, dtype=dtype)
    history = train(net, x, t, iters=45, batch_size=10, lr=0.3, seed=3)
    mine = TwoLayerNet(5, 8, 2, activation=activation, dtype=dtype)
    optimizer, batches, losses = SGD(0.3), minibatches(len(x), 10, np.random.default_rng(3)), []
    for _ in range(45):
        batch = next(batches)
        loss, grads = mine.loss_and_gradient(x[batch], t[batch])
        optimizer.update(mine.params, grads)
        losses.append(loss)
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(history.loss, losses, rtol=rtol)
    for key, p in net.params.items():
        np.testing.assert_allclose(p, mine.params[key], rtol=rtol, atol=rtol * np.abs(p).max())


def test_fused_must_be_a_bool():
    x, t = blobs()
    with pytest.raises(TypeError, match="fused must be True or False, got 'no'"):
        train(TwoLayerNet(5, 8, 2), x, t, iters=1, batch_size=10, fused="no")


def test_train_calls_an_overridden_loss_and_gradient():
    """A subclass that changes loss_and_gradient (weight decay, a bug to find) is trained with its
    own method: the fast path is taken only where it computes the same thing."""

    class Frozen(TwoLayerNet):
        def loss_and_gradient(self, x, t):
            loss, grads = super().loss_and_gradient(x, t)
            return loss, {key: np.zeros_like(g) for key, g in grads.items()}

    x, t = blobs()
    net = Frozen(5, 8, 2)
    before = {key: p.copy() for key, p in net.params.items()}
    h = train(net, x, t, iters=20, batch_size=10, lr=0.3)
    assert len(set(h.loss)) > 1  # the batches differ...
    for key, p in net.params.items():  # ...but the overridden gradients are zero: nothing moved
        np.testing.assert_array_equal(p, before[key])


def test_the_steps_ignore_overflow_and_the_evaluations_keep_the_callers_error_state():
    """`train`'s steps run with overflow and invalid values ignored (a non-finite loss is reported
    instead); the accuracies it measures between them run under whatever error state the caller set."""
    seen: dict[str, set] = {"step": set(), "evaluation": set()}

    class Watched(TwoLayerNet):
        def _loss_and_gradient(self, x, t):
            seen["step"].add(tuple(sorted(np.geterr().items())))
            return super()._loss_and_gradient(x, t)

        def accuracy(self, x, t):
            seen["evaluation"].add(tuple(sorted(np.geterr().items())))
            return super().accuracy(x, t)

    x, t = blobs()
    with np.errstate(all="raise"):
        caller = tuple(sorted(np.geterr().items()))
        train(Watched(5, 8, 2), x, t, x, t, iters=12, batch_size=10, lr=0.3)
    assert seen["evaluation"] == {caller}
    assert seen["step"] == {tuple(sorted({**dict(caller), "over": "ignore", "invalid": "ignore"}.items()))}
