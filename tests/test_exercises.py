"""Every exercise, proven: its solution passes, each known mistake fails with its message, its starter says
"not implemented yet". Run natively here; tests/test_browser_exercises.py runs the same in Chromium."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from dlfs.book import PAGES
from dlfs.exercises import EXERCISES, NOT_IMPLEMENTED, check, check_source
from tests.conftest import require_real_mnist

IDS = list(EXERCISES)
MUTANTS = [(e.id, m) for e in EXERCISES.values() for m in e.mutants]


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_solution_passes(exercise_id: str) -> None:
    if EXERCISES[exercise_id].extra.get("mnist"):  # the capstone trains on the real MNIST
        require_real_mnist()
    result = check_source(exercise_id, EXERCISES[exercise_id].solution)
    assert result.passed, result.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_starter_runs_and_is_not_implemented_yet(exercise_id: str) -> None:
    result = check_source(exercise_id, EXERCISES[exercise_id].starter)
    assert not result.passed and NOT_IMPLEMENTED in result.message, result.message
    assert "Traceback" not in result.message


@pytest.mark.parametrize(("exercise_id", "mutant"), MUTANTS, ids=[f"{i}: {m.name}" for i, m in MUTANTS])
def test_each_known_mistake_fails_naming_it(exercise_id: str, mutant) -> None:
    exercise = EXERCISES[exercise_id]
    result = check_source(exercise_id, mutant.apply(exercise.solution))
    assert not result.passed, f"the check does not catch {mutant.name}"
    assert mutant.says in result.message, f"{mutant.name}: {result.message}"


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_two_mistakes_hints_and_a_page(exercise_id: str) -> None:
    exercise = EXERCISES[exercise_id]
    assert len(exercise.mutants) >= 2, "each exercise proves its check on at least two known mistakes"
    assert exercise.hints and exercise.chapter in PAGES
    assert len({m.says for m in exercise.mutants}) >= 1


def test_an_exception_in_the_learners_code_is_a_message_not_an_exception() -> None:
    source = "def softmax(x):\n    return x / undefined_name\n"
    result = check_source("softmax", source)
    assert not result.passed
    assert "NameError" in result.message and "line 2 of your code" in result.message, result.message


def test_an_unknown_id_names_the_ids_there_are() -> None:
    with pytest.raises(ValueError, match=r"exercise_id must be one of .*softmax.*; got 'softmx'"):
        check("softmx", lambda x: x)


def test_check_prints_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    check("softmax", lambda x: x)
    assert capsys.readouterr().out == ""
    check("softmax", lambda x: x, verbose=True)
    assert capsys.readouterr().out.startswith("✗ softmax: ")


def test_code_that_does_not_define_the_name_says_so() -> None:
    result = check_source("affine", "class Afine:\n    pass\n")
    assert not result.passed and "does not define Affine" in result.message


def test_every_chapter_has_at_least_three_exercises_and_the_required_ids_exist() -> None:
    per_chapter = Counter(e.chapter for e in EXERCISES.values())
    assert len(EXERCISES) >= 24, len(EXERCISES)
    assert all(per_chapter[page] >= 3 for page in PAGES), per_chapter
    signatures = {e.id: e.signature for e in EXERCISES.values()}
    assert signatures["numerical-gradient"] == "numerical_gradient(f, x, h=1e-4)"
    assert signatures["softmax"] == "softmax(x)"
    for required in ["affine", "softmax-with-loss", "adam"]:
        assert required in signatures


def test_compare_shows_as_many_digits_as_it_takes_to_tell_two_numbers_apart() -> None:
    from dlfs.exercises.core import Failure, compare

    with pytest.raises(Failure) as caught:
        compare("relative_error(a, b)", np.array(2.0000001), np.array(2.0), tol=1e-9)
    assert str(caught.value) == ("relative_error(a, b): 2.0000001, expected 2 (a relative error of 2.5e-08, above "
                                 "the 1e-09 allowed)")
    with pytest.raises(Failure, match=r"^y\[1\]: 0\.5, expected 0\.25$"):  # four digits show it: no more
        compare("y", np.array([1.0, 0.5]), np.array([1.0, 0.25]))


def test_compare_fails_on_nan() -> None:
    from dlfs.exercises.core import Failure, compare

    with pytest.raises(Failure, match=r"^y\[1\]: nan, expected 0\.5$"):
        compare("y", np.array([1.0, np.nan]), np.array([1.0, 0.5]))


def test_an_error_raised_inside_dlfs_names_the_learners_line() -> None:
    source = ("import numpy as np\nfrom dlfs.numerical import numerical_gradient\n\n\n"
              "def numerical_gradient_twice(f, x):\n    return 2 * numerical_gradient(f, x)\n")
    from dlfs.exercises.core import describe, run_source

    namespace = run_source(source)
    with pytest.raises(TypeError) as caught:
        namespace["numerical_gradient_twice"](lambda v: float(v.sum()), np.array([1, 2]))
    assert describe(caught.value).endswith("(line 6 of your code: return 2 * numerical_gradient(f, x))")


def test_an_overflow_is_named_where_floating_point_flags_do_not_raise() -> None:
    """WebAssembly has no floating-point flags: np.errstate(over="raise") never raises in the browser, so the sigmoid
    check watches its input array instead. Here the flags are ignored, as there."""
    from dlfs.exercises.backprop import Watched

    x = np.array([-1000.0, 0.0, 1000.0]).view(Watched)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match=r"^overflow encountered in exp$"):
        1 / (1 + np.exp(-x))
    with np.errstate(all="ignore"):
        out = 0.5 * (1.0 + np.tanh(0.5 * x))  # the stable form: no error
    assert np.asarray(out).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("filename", ["/tmp/ipykernel_4242/3580093384.py", "<ipython-input-3-5f6a7b8c9d0e>", "<stdin>"])
def test_a_notebook_cell_is_named_your_code_as_in_the_browser(filename: str) -> None:
    """In Jupyter a cell's code has a file name such as /tmp/ipykernel_4242/3580093384.py: the message names it
    "your code", as the page's Check does, so the two read the same."""
    import linecache

    from dlfs.exercises.core import describe

    source = "def softmax(x):\n    return x / undefined_name\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)
    result = check("softmax", namespace["softmax"])
    assert result.message == check_source("softmax", source).message
    assert result.message.endswith("(line 2 of your code: return x / undefined_name)"), result.message
    with pytest.raises(NameError) as caught:
        exec(compile("undefined_name\n", "/home/me/my_layers.py", "exec"), {})
    assert describe(caught.value).endswith("(line 1 of my_layers.py)"), "a file of the learner's own keeps its name"


def test_an_answer_drawn_from_np_random_gets_the_same_message_every_time_and_everywhere() -> None:
    """The book's loop draws from the global np.random: the check fixes its state, so the page and a notebook say
    the same numbers, and gives the learner's state back as it was."""
    source = ("import numpy as np\n\n\ndef train(net, x_train, t_train, x_test, t_test, epochs, batch_size, lr, seed, "
              "optimizer=None):\n    n = len(x_train)\n    losses, train_acc, test_acc = [], [], []\n"
              "    for i in range(epochs * (n // batch_size)):\n        mask = np.random.choice(n, batch_size)\n"
              "        grads = net.gradient(x_train[mask], t_train[mask])\n        for key in net.params:\n"
              "            net.params[key] -= lr * grads[key]\n"
              "        losses.append(net.loss(x_train[mask], t_train[mask]))\n"
              "    return losses, train_acc, test_acc\n")
    np.random.seed(123)  # noqa: NPY002 -- the learner's global state, on purpose
    before = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    first = check_source("training-loop", source).message
    assert np.random.random() == before, "the learner's global state is given back"  # noqa: NPY002
    np.random.seed(7)  # noqa: NPY002 -- another state before the check: the same message
    assert check_source("training-loop", source).message == first
    assert "sampling with replacement" in first
