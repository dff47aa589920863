"""The figures of chapter 5 draw, are labelled, are byte-reproducible, and show the page's numbers."""

import numpy as np
import pytest

from dlfs.plots import backprop, to_svg
from tests.conftest import require_real_mnist

NAMES = sorted(backprop.FIGURES)
NEEDS_MNIST = {"backprop-nudges.svg", "backprop-gd-vs-sgd.svg"}


def draw(name):
    if name in NEEDS_MNIST:
        require_real_mnist()
    return backprop.FIGURES[name]()


@pytest.mark.parametrize("name", NAMES)
def test_figure_is_labelled(name):
    fig = draw(name)
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_title()
        if ax.axison:  # a plot, not a picture or a diagram
            assert ax.get_xlabel() and ax.get_ylabel()
        legend = ax.get_legend()
        if legend is not None:
            assert all(text.get_text() for text in legend.get_texts())


@pytest.mark.parametrize("name", NAMES)
def test_figure_is_deterministic(name):
    assert to_svg(draw(name)) == to_svg(draw(name))


def test_graph_has_the_books_numbers():
    g = backprop.apple_orange_graph()
    assert round(g["price"], 6) == 715
    got = [g[k] for k in ("d_apple_num", "d_apple", "d_orange", "d_orange_num", "d_tax")]
    np.testing.assert_allclose(got, [110, 2.2, 3.3, 165, 650])


def test_nudges_are_the_pages():
    require_real_mnist()
    d = backprop.nudges_for_one_two()
    assert d["t"].argmax() == 2
    np.testing.assert_array_equal(d["nudge_a"].round(2),
                                  [-0.36, -0.73, 0.78, -0.62, -0.1, -0.49, -0.29, -0.43, -0.32, -0.59])
    assert d["nudge_h"].round(3)[[0, 1, 14, 15]].tolist() == [-0.012, 0.227, 0.273, -0.231]


def test_descent_curves_are_the_pages():
    require_real_mnist()
    curves = backprop.descent_curves()
    full, mini = curves["full batch"], curves["mini-batch"]
    assert full["examples"][-1] == mini["examples"][-1] == 20_000
    assert mini["steps"][-1] == 10 * full["steps"][-1] == 200
    assert f"{full['loss'][-1]:.4f}" == "2.2844"
    assert f"{mini['loss'][-1]:.4f}" == "0.4624"
    assert mini["loss"][-1] < full["loss"][-1]
