"""The exercises of chapters 6 to 8 accept every right answer, not only their own solution.

tests/test_exercises.py proves each solution passes and each known mistake is named; here, the other forms
an answer may rightly take (Adam as the paper writes it, the book's loss after the update, a uniform He draw)
pass too, and the capstone's own machinery (its network, how it finds each piece's exercise) works.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlfs.exercises import EXERCISES, check, check_source
from dlfs.exercises.core import Exercise, Failure
from dlfs.exercises.optimizers_and_regularization import ADAM
from dlfs.exercises.training import CAPSTONE, TRAIN, AssembledTwoLayerNet

PAPER_ADAM = '''\
import numpy as np


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.t, self.m, self.v = 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {key: np.zeros_like(p) for key, p in params.items()}
            self.v = {key: np.zeros_like(p) for key, p in params.items()}
        self.t += 1
        for key in params:
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * grads[key]
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * grads[key] ** 2
            m_hat = self.m[key] / (1 - self.beta1 ** self.t)
            v_hat = self.v[key] / (1 - self.beta2 ** self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)
'''


@pytest.mark.parametrize("source", [
    PAPER_ADAM,
    PAPER_ADAM.replace("(np.sqrt(v_hat) + 1e-8)", "np.sqrt(v_hat + 1e-8)"),  # eps inside the root
    ADAM.replace("(np.sqrt(self.v[key]) + 1e-7)", "(np.sqrt(self.v[key]) + 1e-8)"),  # the book's form, dlfs's eps
    ADAM.replace("(np.sqrt(self.v[key]) + 1e-7)", "np.sqrt(self.v[key] + 1e-7)"),  # the book's, eps inside
], ids=["paper", "paper, eps inside the root", "book, eps 1e-8", "book, eps inside the root"])
def test_adam_accepts_the_book_and_the_paper_and_eps_anywhere(source: str) -> None:
    result = check_source("adam", source)
    assert result.passed, result.message


def test_adam_names_a_mistake_in_the_papers_form_too() -> None:
    result = check_source("adam", PAPER_ADAM.replace("m_hat = self.m[key] / (1 - self.beta1 ** self.t)",
                                                     "m_hat = self.m[key]"))
    assert not result.passed
    assert "after step" in result.message and "expected" in result.message, result.message


@pytest.mark.parametrize("source", [
    # the book records the loss after the update
    TRAIN.replace("            train_loss_list.append(net.loss(x_batch, t_batch))\n", "").replace(
        "                optimizer.update(net.params, grads)\n",
        "                optimizer.update(net.params, grads)\n"
        "            train_loss_list.append(net.loss(x_batch, t_batch))\n"),
    # one forward pass for the loss and the gradient
    TRAIN.replace("            grads = net.gradient(x_batch, t_batch)\n"
                  "            train_loss_list.append(net.loss(x_batch, t_batch))\n",
                  "            loss, grads = net.loss_and_gradient(x_batch, t_batch)\n"
                  "            train_loss_list.append(loss)\n"),
    # new arrays put in net.params: a dlfs net reads them back at every pass
    TRAIN.replace("net.params[key] -= lr * grads[key]", "net.params[key] = net.params[key] - lr * grads[key]"),
], ids=["loss after the update", "loss_and_gradient", "params rebound"])
def test_the_training_loop_accepts_other_right_loops(source: str) -> None:
    result = check_source("training-loop", source)
    assert result.passed, result.message


def test_the_training_loop_names_labels_that_do_not_match_their_rows() -> None:
    source = TRAIN.replace("x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]",
                           "x_batch, t_batch = x_train[batch_mask], t_train[np.sort(batch_mask)]")
    result = check_source("training-loop", source)
    assert not result.passed and "same indices" in result.message, result.message


def test_sgd_accepts_an_update_written_through_a_slice() -> None:
    source = EXERCISES["sgd"].solution.replace("params[key] -= self.lr * grads[key]",
                                               "params[key][...] = params[key] - self.lr * grads[key]")
    result = check_source("sgd", source)
    assert result.passed, result.message


def test_he_init_accepts_a_uniform_draw_of_the_same_spread() -> None:
    source = ("import numpy as np\n\n\ndef he_init(n_in, n_out, rng):\n"
              "    limit = np.sqrt(6 / n_in)  # uniform on [-limit, limit]: variance limit**2 / 3 = 2 / n_in\n"
              "    return rng.uniform(-limit, limit, size=(n_in, n_out))\n")
    result = check_source("he-init", source)
    assert result.passed, result.message


def test_relative_error_accepts_a_numpy_scalar() -> None:
    source = EXERCISES["relative-error"].solution.replace("return float(np.max(diff / scale))",
                                                          "return np.max(diff / scale)")
    assert check_source("relative-error", source).passed


def test_find_the_bug_accepts_a_tuple() -> None:
    source = EXERCISES["find-the-bug"].solution.replace("    return wrong\n", "    return tuple(wrong)\n")
    assert check_source("find-the-bug", source).passed


# ------------------------------------------------------------------ the capstone


def pieces(source: str = CAPSTONE) -> dict[str, object]:
    namespace: dict[str, object] = {}
    exec(compile(source, "<capstone>", "exec"), namespace)
    return {name: namespace[name] for name in ("Affine", "Relu", "SoftmaxWithLoss", "SGD", "train")}


def test_the_assembled_network_backpropagates_through_the_layers_it_is_given() -> None:
    from dlfs.layers import Affine, Relu, SoftmaxWithLoss
    from dlfs.numerical import numerical_gradient

    net = AssembledTwoLayerNet(Affine, Relu, SoftmaxWithLoss, sizes=(6, 5, 3), dtype=np.float64)
    x, t = np.random.default_rng(0).normal(size=(4, 6)), np.array([0, 1, 2, 1])
    grads = net.gradient(x, t)
    for key, p in net.params.items():
        numeric = numerical_gradient(lambda _: net.loss(x, t), p)
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-6, atol=1e-9)
    assert net.layers[0].W is net.params["W1"] and net.layers[2].b is net.params["b2"]  # updates reach the layers


def test_the_assembled_network_starts_with_he_weights() -> None:
    from dlfs.layers import Affine, Relu, SoftmaxWithLoss

    net = AssembledTwoLayerNet(Affine, Relu, SoftmaxWithLoss)
    assert {key: p.shape for key, p in net.params.items()} == {"W1": (784, 50), "b1": (50,), "W2": (50, 10),
                                                                "b2": (10,)}
    assert all(p.dtype == np.float32 for p in net.params.values())
    assert abs(net.params["W1"].std() / np.sqrt(2 / 784) - 1) < 0.02  # 39,200 draws: sampling error about 0.4%
    assert not net.params["b1"].any()


def test_the_capstone_uses_the_check_of_each_pieces_own_exercise(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(_: object) -> None:
        raise Failure("the relu exercise's own message")

    monkeypatch.setitem(EXERCISES, "relu", Exercise(id="relu", chapter="backprop", title="", name="Relu",
                                                    signature="", starter="", solution="", test=fake))
    result = check("two-layer-net", pieces())
    assert not result.passed
    assert result.message == 'your Relu does not pass its own exercise "relu" yet: the relu exercise\'s own message'


def test_the_capstone_wants_a_dict_and_names_a_missing_piece() -> None:
    result = check("two-layer-net", pieces()["Affine"])
    assert not result.passed and "as a dict" in result.message
    answer = pieces()
    del answer["train"]
    result = check("two-layer-net", answer)
    assert result.message == 'your answer has no train: it is your answer to the exercise "training-loop"'


def test_the_capstones_starter_names_the_first_piece_to_write() -> None:
    result = check_source("two-layer-net", EXERCISES["two-layer-net"].starter)
    assert result.message.startswith('your Affine does not pass its own exercise "affine" yet: Affine is not '
                                     'implemented yet')


def test_the_training_loop_says_when_there_is_no_optimizer_argument() -> None:
    source = TRAIN.replace(", optimizer=None):", "):").replace("if optimizer is None:", "if True:")
    result = check_source("training-loop", source)
    assert not result.passed and "no optimizer argument" in result.message, result.message


def test_relative_error_accepts_the_floor_added_rather_than_maxed() -> None:
    source = EXERCISES["relative-error"].solution.replace(
        "np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)", "np.maximum(np.abs(a), np.abs(b)) + 1e-8")
    result = check_source("relative-error", source)
    assert result.passed, result.message
