"""The figures of chapter 4 draw, are labelled, and are byte-reproducible."""

import numpy as np
import pytest

from dlfs.plots import learning, to_svg
from tests.conftest import require_real_mnist

NAMES = sorted(learning.FIGURES)


def draw(name):
    require_real_mnist()  # both figures show real MNIST data
    return learning.FIGURES[name]()


@pytest.mark.parametrize("name", NAMES)
def test_figure_is_labelled(name):
    fig = draw(name)
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_title()  # a picture of a digit: its title names it
    plots = [ax for ax in fig.axes if not ax.images]
    assert all(ax.get_ylabel() for ax in plots)
    if plots:  # stacked plots share the bottom one's x label
        assert plots[-1].get_xlabel()


@pytest.mark.parametrize("name", NAMES)
def test_figure_is_deterministic(name):
    assert to_svg(draw(name)) == to_svg(draw(name))


def test_minibatch_is_the_pages_draw():
    require_real_mnist()
    batch, subset = learning.chapter_draws()
    assert batch.tolist() == [51029, 48796, 38212, 30664, 16185, 2458, 991, 18468, 10515, 4514]
    assert len(np.unique(subset)) == 300


def test_loss_is_smooth_and_accuracy_is_flat_almost_everywhere():
    require_real_mnist()
    d = learning.loss_and_accuracy_along_one_weight(n_points=101)
    assert np.all(np.isfinite(d["loss"]))
    assert np.count_nonzero(np.diff(d["loss"])) == 100  # the loss always moves
    assert np.count_nonzero(np.diff(d["accuracy"])) < 50  # the accuracy mostly does not
