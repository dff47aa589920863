"""Chapter 6, "Gradient check" (``docs/gradient-check.md``).

The 001 note's check on the first three MNIST training images, done three
ways: dlfs's loss, the book's loss (1e-7 inside the log) and a backward pass
with a bug, all with `dlfs.gradcheck.gradient_check`; a ReLU kink that fools
the check; a bug that hides at initialization; and the training run that
shows the first bug going unnoticed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# --8<-- [start:imports]
import numpy as np

from dlfs.book.cache import cached
from dlfs.book.data import test_set, train_set
from dlfs.gradcheck import GradCheck, gradient_check
from dlfs.layers import BookSoftmaxWithLoss
from dlfs.nets import TwoLayerNet
from dlfs.optim import SGD
from dlfs.train import minibatches, train

# --8<-- [end:imports]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KEYS = ("W1", "b1", "W2", "b2")
# The 001 note's table: mean |backprop - numerical| on three MNIST images.
NOTE_001 = {"W1": 4.3e-10, "b1": 2.9e-09, "W2": 5.6e-09, "b2": 1.4e-07}


# --8<-- [start:bug]
class ForgetsToAverageB2(TwoLayerNet):
    """A backward pass with a bug: b2's gradient is summed over the batch, not averaged."""

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        loss, grads = super().loss_and_gradient(x, t)
        return loss, grads | {"b2": grads["b2"] * len(x)}  # the bug: no / N
# --8<-- [end:bug]


# --8<-- [start:note_check]
@cached
def note_check(n_images: int = 3, sample: int = 2000) -> dict[str, dict[str, GradCheck]]:
    """The note's check of ``TwoLayerNet(784, 50, 10)`` on the first `n_images` training images.

    Returns ``{"dlfs": ..., "book": ..., "bug": ...}``, each what
    `gradient_check` returns: dlfs's net; the same net with the book's loss
    (`BookSoftmaxWithLoss`); and the net whose backward pass forgets to
    average b2. Each is checked on the same random `sample` of W1's 39,200
    entries and on every entry of b1, W2 and b2.
    """
    x, t = train_set(slice(0, n_images))
    book_net = TwoLayerNet(784, 50, 10)  # seed 0: the same weights for all three
    book_net.last_layer = BookSoftmaxWithLoss()
    return {
        "dlfs": gradient_check(TwoLayerNet(784, 50, 10), x, t, sample=sample),
        "book": gradient_check(book_net, x, t, sample=sample),
        "bug": gradient_check(ForgetsToAverageB2(784, 50, 10), x, t, sample=sample),
    }
# --8<-- [end:note_check]


# --8<-- [start:kink]
def kink_check(offset: float = 5e-5, sample: int = 50) -> dict[str, GradCheck | float]:
    """b1's check before and after one ReLU input is moved to within `offset` of its kink at 0.

    The net is ``TwoLayerNet(784, 50, 10)`` on the first three training
    images; the hidden unit j and image n whose input ``z[n, j]`` is closest
    to 0 get ``b1[j]`` shifted so that ``z[n, j] == offset`` (< h = 1e-4).
    """
    x, t = train_set(slice(0, 3))
    net = TwoLayerNet(784, 50, 10)
    z = x @ net.params["W1"] + net.params["b1"]
    n, j = np.unravel_index(np.abs(z).argmin(), z.shape)
    before = gradient_check(net, x, t, sample=sample)["b1"]
    net.params["b1"][j] -= z[n, j] - offset  # now z[n, j] == offset: the kink is within h
    return {"before": before, "after": gradient_check(net, x, t, sample=sample)["b1"],
            "closest": float(abs(z[n, j]))}
# --8<-- [end:kink]


# --8<-- [start:burn_in]
class DecaysBiasesInBackward(TwoLayerNet):
    """A bug that hides at the start: the biases' gradients get a penalty 0.1 * b that the loss lacks."""

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        loss, grads = super().loss_and_gradient(x, t)
        return loss, grads | {key: grads[key] + 0.1 * self.params[key] for key in ("b1", "b2")}


@cached
def check_before_and_after_training(iters: int = 300, sample: int = 200) -> dict[str, dict[str, GradCheck]]:
    """Check `DecaysBiasesInBackward` on three images at initialization and after `iters` SGD steps."""
    x_train, t_train = train_set()
    x, t = x_train[:3], t_train[:3]
    net = DecaysBiasesInBackward(784, 50, 10)
    before = gradient_check(net, x, t, sample=sample)
    train(net, x_train, t_train, iters=iters, batch_size=100, lr=0.1, progress=False)
    return {"initialized": before, "trained": gradient_check(net, x, t, sample=sample)}
# --8<-- [end:burn_in]


# --8<-- [start:unnoticed]
@cached
def train_with_and_without_bug(steps: int = 200, n: int = 10_000, lr: float = 0.1) -> dict[str, dict[str, float]]:
    """`steps` of SGD for `TwoLayerNet` and for `ForgetsToAverageB2`: same start, same batches of 100.

    Both train on the first `n` training images, in the order drawn by
    ``default_rng(1)``, from ``seed=0``. Returns, per net ("correct" and
    "bug"), the loss of the first mini-batch and the mean loss of the last 20
    (what a training curve shows), the accuracy on the first 1,000 test
    images, and b2's largest entry in absolute value.
    """
    x, t = train_set(slice(0, n))
    x_test, t_test = test_set(slice(0, 1000))
    result = {}
    for name, net in (("correct", TwoLayerNet(784, 50, 10)), ("bug", ForgetsToAverageB2(784, 50, 10))):
        optimizer = SGD(lr)
        batches = minibatches(n, 100, np.random.default_rng(1))
        losses = []
        for _ in range(steps):
            batch = next(batches)
            loss, grads = net.loss_and_gradient(x[batch], t[batch])
            optimizer.update(net.params, grads)
            losses.append(loss)
        result[name] = {"first": float(losses[0]), "loss": float(np.mean(losses[-20:])),
                        "accuracy": net.accuracy(x_test, t_test),
                        "b2": float(np.abs(net.params["b2"]).max())}
    return result
# --8<-- [end:unnoticed]


def draw_gradient_check() -> Figure:
    """Mean absolute difference and max relative error per parameter, log scale."""
    from dlfs.book.style import new_figure  # only the figures need matplotlib

    cases = note_check()
    labels = {"dlfs": "dlfs (exact log-softmax loss)", "book": "book's loss, log(y + 1e-7)",
              "bug": "bug: b2 not averaged over the batch"}
    colors = {"dlfs": "C0", "book": "C1", "bug": "C3"}
    fig, (left, right) = new_figure(1, 2, figsize=(9, 3.8))
    x = np.arange(len(KEYS))
    width = 0.27
    for k, name in enumerate(cases):
        for ax, field in [(left, "mean_abs_diff"), (right, "max_rel_error")]:
            values = [getattr(cases[name][key], field) for key in KEYS]
            ax.bar(x + (k - 1) * width, values, width, color=colors[name], label=labels[name])
    left.plot(x, [NOTE_001[key] for key in KEYS], "k_", markersize=22, markeredgewidth=2,
              label="the 001 note's table")
    left.set_title("Mean |backprop − numerical|")
    left.set_ylabel("mean absolute difference")
    right.set_title("Max relative error")
    right.set_ylabel("max |a − b| / max(|a|, |b|, 1e-8)")
    right.axhline(1e-6, color="0.3", linestyle="--", linewidth=1)
    right.axhline(1e-3, color="C3", linestyle="--", linewidth=1)
    margin = right.get_yaxis_transform()  # x in axes units, y in data units
    right.text(1.02, 1e-6, "1e-6: fine\nbelow", transform=margin, va="center", fontsize=8, color="0.3")
    right.text(1.02, 1e-3, "1e-3: a bug\nabove", transform=margin, va="center", fontsize=8, color="C3")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.set_xticks(x, KEYS)
        ax.set_xlabel("parameter")
    left.set_ylim(1e-14, 1)
    right.set_ylim(1e-11, 10)
    handles, names = left.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    return fig


FIGURES = {"gradient-check-differences.svg": draw_gradient_check}
