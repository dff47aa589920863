"""The book's own code (dlfs/book/): every figure is labeled, and every result is reproducible.

The numbers themselves are checked once, where they are printed: on the
pages, whose examples call these functions. Here each computation runs
twice from scratch, bypassing every cache (at a smaller size where the
page's size would take long), and must give the same result both times;
and each figure is drawn and inspected as a reader would need it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from dlfs.book import PAGES, all_figures, figures_of, module_name, page_of
from dlfs.book.style import to_svg
from tests.conftest import require_real_mnist

# Figures drawn from MNIST need the real data; the others need nothing.
NO_DATA = {"numerical-diff", "gradients", "gradient-descent", "autograd"}


def draw(name: str):
    if page_of(name) not in NO_DATA:
        require_real_mnist()
    return all_figures()[name]()


def test_pages_modules_and_figure_names_agree() -> None:
    import importlib

    figures = all_figures()
    assert len(figures) == sum(len(figures_of(page)) for page in PAGES)
    for page in PAGES:
        module = importlib.import_module(module_name(page))
        assert f"docs/{page}.md" in module.__doc__, f"{module.__name__} must name its page"
    for name in figures:
        assert page_of(name) in PAGES


@pytest.mark.parametrize("name", sorted(all_figures()))
def test_every_figure_is_labeled(name: str) -> None:
    fig = draw(name)
    assert fig.axes
    texts = [ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""]
    assert any(texts), f"{name} has no title"
    for ax in fig.axes:
        if getattr(ax, "_colorbar", None) is not None:
            assert ax._colorbar.ax.get_ylabel() or ax.get_xlabel(), f"{name}: a colorbar without a label"
            continue
        if ax.axison and ax.name == "rectilinear" and ax.has_data():  # a plot, not a picture
            # a shared axis is labeled once, on one of the plots that share it
            assert any(a.get_xlabel() for a in ax.get_shared_x_axes().get_siblings(ax)), \
                f"{name}: an x axis without a label"
            assert any(a.get_ylabel() for a in ax.get_shared_y_axes().get_siblings(ax)), \
                f"{name}: a y axis without a label"
        legend = ax.get_legend()
        if legend is not None:
            assert all(text.get_text() for text in legend.get_texts()), f"{name}: an empty legend entry"


def _timings_removed(value):
    """`value` without what is measured rather than computed: seconds, timings."""
    from dlfs.train import History

    if isinstance(value, History):
        return dataclasses.replace(value, train_time=0.0, eval_time=0.0)
    if isinstance(value, dict):
        return {k: _timings_removed(v) for k, v in value.items()
                if not (isinstance(k, str) and (k.startswith("seconds") or k.endswith("seconds")))}
    return value


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and not hasattr(a, "_fields"):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


def _uncached(fn: Callable) -> Callable:
    return getattr(fn, "__wrapped__", fn)


def computations() -> dict[str, Callable[[], object]]:
    """Each page's computations, at a size a test affords, called without any cache."""
    from dlfs.book import (
        autograd,
        backprop,
        gradient_check,
        gradient_descent,
        gradients,
        learning,
        making_training_work,
        numerical_diff,
        optimizers_and_regularization,
        training,
    )

    return {
        "numerical_diff.slopes_at_one": lambda: numerical_diff.slopes_at_one(0.5),
        "numerical_diff.errors_at_one": lambda: numerical_diff.errors_at_one(numerical_diff.STEPS),
        "gradients.gradient_field": lambda: gradients.gradient_field(gradients.function_oval),
        "gradient_descent.descent_paths": gradient_descent.descent_paths,
        "gradient_descent.learning_rate_sweep": gradient_descent.learning_rate_sweep,
        "gradient_descent.where_it_freezes": gradient_descent.where_it_freezes,
        "learning.small_mnist": learning.small_mnist,
        "learning.train_steps": lambda: _uncached(learning.train_steps)("numerical", steps=3),
        "learning.along_one_weight": lambda: learning.along_one_weight(n_points=9),
        "backprop.nudges_for_one_two": backprop.nudges_for_one_two,
        "backprop.descend": lambda: _uncached(backprop.descend)(100, epochs=2),
        "backprop.apple_orange_graph": backprop.apple_orange_graph,
        "gradient_check.kink_check": lambda: gradient_check.kink_check(sample=5),
        "gradient_check.check_before_and_after_training":
            lambda: _uncached(gradient_check.check_before_and_after_training)(iters=20, sample=5),
        "gradient_check.train_with_and_without_bug":
            lambda: _uncached(gradient_check.train_with_and_without_bug)(steps=5, n=500),
        "training.mnist_run": lambda: _uncached(training.mnist_run)(iters=120),
        "training.note_run": lambda: {m: _uncached(training.note_run)(m, steps=2, eval_every=1)
                                      for m in training.GRADIENTS},
        "training.note_costs": lambda: _uncached(training.note_costs)(sample=2),
        "training.gradient_costs": lambda: {k: v for k, v in _uncached(training.gradient_costs)(
            hidden_sizes=(1, 2), measure_numerical_up_to=0).items() if k in ("params", "loss_evaluations",
                                                                              "multiply_adds", "hidden")},
        "autograd.diamond": autograd.diamond,
        "autograd.short_and_long": autograd.short_and_long,
        "making_training_work.gradient_rms": lambda: making_training_work.gradient_rms("sigmoid", depth=3),
        "making_training_work.overfit_tiny_batch": lambda: making_training_work.overfit_tiny_batch(iters=10),
        "making_training_work.watch": lambda: _uncached(making_training_work.watch)(1.0, iters=20),
        "making_training_work.lr_range_test": lambda: _uncached(making_training_work.lr_range_test)(iters=20),
        "optimizers_and_regularization.batch_norm_run":
            lambda: _uncached(optimizers_and_regularization.batch_norm_run)(0.01, True, iters=20),
        "optimizers_and_regularization.dropout_run":
            lambda: _uncached(optimizers_and_regularization.dropout_run)(epochs=5),
    }


@pytest.mark.parametrize("name", sorted(computations()))
def test_every_computation_is_reproducible(name: str) -> None:
    if name.split(".")[0].replace("_", "-") not in NO_DATA:
        require_real_mnist()
    compute = computations()[name]
    first, second = _timings_removed(compute()), _timings_removed(compute())
    assert _equal(first, second), f"{name} gave two different results from the same seeds"


@pytest.mark.parametrize("name", ["numerical-diff-error.svg", "gradients-saddle.svg", "backprop-graph.svg"])
def test_figures_render_to_the_same_bytes(name: str) -> None:
    """Drawn from scratch twice: identical SVG files (no dates, stable ids)."""
    assert to_svg(draw(name)) == to_svg(draw(name))


def test_the_weight_figure_starts_from_the_network_after_its_training_steps() -> None:
    """along_one_weight moves a weight of the network train_steps("backprop") ends with, not of a net at chance."""
    require_real_mnist()
    from dlfs.book.learning import small_mnist, train_steps, trained_small_net

    x, t, _, _ = small_mnist()
    record = _uncached(train_steps)("backprop", steps=3)
    assert trained_small_net(steps=3).loss(x, t) == record["loss"][-1]


def test_the_training_run_is_the_books_experiment() -> None:
    """What mnist_run is, read from the History it returns (the page prints its accuracy)."""
    require_real_mnist()
    from dlfs.book.training import mnist_run

    history = mnist_run()
    assert (history.iters, history.batch_size, history.lr, history.seed) == (10_000, 100, 0.1, 0)
    assert history.eval_iters[:2] == [600, 1200] and history.eval_iters[-1] == 10_000
