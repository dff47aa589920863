"""The figures of chapters 1-3 draw, are labelled, and are byte-reproducible."""

import numpy as np
import pytest

from dlfs.plots import calculus, to_svg

NAMES = sorted(calculus.FIGURES)
PREFIXES = ("numerical-diff-", "gradients-", "gradient-descent-")


@pytest.mark.parametrize("name", NAMES)
def test_figure_draws_labelled_and_deterministic(name):
    draw = calculus.FIGURES[name]
    fig = draw()
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        if hasattr(ax, "get_zlabel"):
            assert ax.get_zlabel()
        legend = ax.get_legend()
        if legend is not None:
            assert all(text.get_text() for text in legend.get_texts())
    assert to_svg(fig) == to_svg(draw())


def test_gradient_at_points_matches_the_analytic_gradient():
    points = np.array([[3.0, 4.0], [0.0, 2.0], [3.0, 0.0]])
    for f, analytic in zip(calculus.BOWLS.values(), ([2, 2], [2, 4])):
        np.testing.assert_allclose(calculus.gradient_at_points(f, points),
                                   points * analytic, atol=1e-6)
