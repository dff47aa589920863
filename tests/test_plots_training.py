"""The figures of chapters 6 and 7 draw, are labelled, and show the pages' numbers.

The training figures are tested on a short run (the build draws them from the
full 10,000 iterations), the cost figure on a few small sizes: its timings
differ from run to run, so its structure is tested instead of its bytes.
"""

import inspect

import numpy as np
import pytest

from dlfs.layers import SoftmaxWithLoss
from dlfs.plots import to_svg, training
from tests.conftest import require_real_mnist


def assert_labelled(fig):
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_title()
        assert ax.get_xlabel() and ax.get_ylabel()


@pytest.fixture(scope="module")
def short_run():
    require_real_mnist()
    return training.mnist_run(iters=1200)  # two epochs


def test_gradient_check_figure_shows_the_three_cases():
    require_real_mnist()
    fig = training.FIGURES["gradient-check-differences.svg"]()
    assert_labelled(fig)
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log"]
    assert to_svg(fig) == to_svg(training.draw_gradient_check())
    cases = training.gradient_check_cases()
    assert max(r.mean_abs_diff for r in cases["dlfs"].values()) < 1e-9
    assert 5e-8 < cases["book"]["b2"].mean_abs_diff < 5e-7  # the note: 1.4e-07
    assert cases["bug"]["b2"].max_rel_error == pytest.approx(2 / 3, rel=1e-6)
    assert cases["bug"]["W1"] == cases["dlfs"]["W1"]


def test_book_loss_adds_1e7_inside_the_log_and_keeps_the_backward_pass():
    scores, t = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]]), np.array([0, 2])
    exact, book = SoftmaxWithLoss(), training.BookSoftmaxWithLoss()
    exact.forward(scores, t)
    loss = book.forward(scores, t)
    assert loss == pytest.approx(-np.mean(np.log(exact.y[[0, 1], t] + 1e-7)), rel=1e-12)
    assert loss < exact.loss
    np.testing.assert_array_equal(book.backward(), exact.backward())


def test_training_figures_draw_a_history(short_run):
    assert short_run.eval_iters == [600, 1200]
    loss_fig = training.plot_loss(short_run)
    accuracy_fig = training.plot_accuracy(short_run)
    for fig in (loss_fig, accuracy_fig):
        assert_labelled(fig)
    assert len(loss_fig.axes[0].lines) == 2  # every batch, and the moving average
    np.testing.assert_allclose(accuracy_fig.axes[0].lines[0].get_xdata(), [1, 2])
    assert to_svg(loss_fig) == to_svg(training.plot_loss(short_run))


def test_the_build_draws_the_pages_run():
    assert inspect.signature(training.mnist_run).parameters["iters"].default == 10_000


def test_moving_average():
    np.testing.assert_allclose(training.moving_average([1, 2, 3, 4, 5], 2), [1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(training.moving_average([1, 3], 100), [2])


def test_slope_of_a_power_law():
    P = np.array([1e3, 1e4, 6e4, 2e5, 8e5])
    assert training.slope(P, 3e-9 * P**2) == pytest.approx(2)
    assert training.slope(P, 1e-8 * P) == pytest.approx(1)


def test_gradient_costs_and_their_figure():
    costs = training.gradient_costs(hidden_sizes=(1, 2, 64, 128), measure_numerical_up_to=1)
    assert costs["params"].tolist() == [805, 1600, 50890, 101770]
    np.testing.assert_allclose(costs["numerical"], 2 * costs["params"] * costs["loss"])
    assert np.isnan(costs["numerical_measured"]).tolist() == [False, True, True, True]
    assert np.all(costs["backprop"] > 0)
    fig = training.plot_gradient_costs(costs)
    assert_labelled(fig)
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert sum("slope" in label for label in labels) == 2
