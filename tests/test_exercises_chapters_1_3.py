"""The exercises of chapters 1-3 accept answers written differently from their solution, and a derivation's
answer must be one number: tests/test_exercises.py proves the solution, the starter and each known mistake."""

from __future__ import annotations

import pytest

from dlfs.exercises import NOT_IMPLEMENTED, check_source

# Right answers that are not the shipped solution: the check tests properties, not the text of one answer.
OTHER_RIGHT_ANSWERS = {
    "numerical-diff": "def numerical_diff(f, x, h=1e-4):\n    return (f(x + h) - f(x - h)) / 2 / h\n",
    "difference-methods": '''\
def numerical_diff(f, x, h=1e-4, method="central"):
    quotients = {"central": lambda: (f(x + h) - f(x - h)) / (2 * h),
                 "forward": lambda: (f(x + h) - f(x)) / h,
                 "backward": lambda: (f(x) - f(x - h)) / h}
    if method not in quotients:
        raise ValueError(f"unknown method {method!r}")
    return quotients[method]()
''',
    "forward-error": "def forward_error(h):\n    return ((1 + h)**3 - 1) / h - 3\n",
    "best-step": "import numpy as np\n\ndef best_step(eps):\n    return np.cbrt(eps / 2)\n",
    "partial-derivative": '''\
def partial(f, x, i, h=1e-4):
    x = x.astype(float)  # a copy, nudged in place and put back
    original = x[i]
    x[i] = original + h
    f_plus = f(x)
    x[i] = original - h
    f_minus = f(x)
    x[i] = original
    return (f_plus - f_minus) / (2 * h)
''',
    "directional-derivative": '''\
import numpy as np
from dlfs.numerical import numerical_gradient

def directional_derivative(f, x, u):
    return numerical_gradient(f, np.array(x, dtype=float)) @ (u / np.linalg.norm(u))
''',
    "descent-angle": "answer = 12.53\n",
    "gradient-descent": '''\
import numpy as np
from dlfs.numerical import numerical_gradient

def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.astype(float)
    for i in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x
''',
    "descent-path": '''\
import numpy as np
from dlfs.numerical import numerical_gradient

def gradient_descent(f, init_x, lr=0.01, step_num=100, return_path=False):
    x = np.array(init_x, dtype=float)
    path = np.empty((step_num + 1, *x.shape))
    path[0] = x
    for k in range(step_num):
        x = x - lr * numerical_gradient(f, x)
        path[k + 1] = x
    if return_path:
        return x, path
    return x
''',
    "steps-needed": '''\
import numpy as np

def steps_needed(lr, tol):  # by running the descent rather than by the formula
    x, k = np.array([-3.0, 4.0]), 0
    while np.linalg.norm(x) >= tol:
        x = x - lr * 2 * x
        k += 1
    return k
''',
    "lr-limit": "def lr_limit(a):\n    return 1 / max(1, a)\n",
}


@pytest.mark.parametrize("exercise_id", list(OTHER_RIGHT_ANSWERS))
def test_another_right_answer_passes(exercise_id: str) -> None:
    result = check_source(exercise_id, OTHER_RIGHT_ANSWERS[exercise_id])
    assert result.passed, result.message


def test_an_answer_left_none_says_replace_none() -> None:
    result = check_source("descent-angle", "answer = None\n")
    assert not result.passed
    assert result.message == f"answer is {NOT_IMPLEMENTED}: replace None in `answer = None` with your answer."


@pytest.mark.parametrize(("source", "says"), [
    ("answer = '12.53'\n", "answer should be one number, got str"),
    ("answer = [12.53]\n", "answer should be one number, got list of shape (1,)"),
    ("answer = float('nan')\n", "answer is nan, not a finite number"),
    ("answer = 12.5\n", "answer = 12.5 degrees is not the angle"),
])
def test_a_derivation_answer_is_one_finite_number(source: str, says: str) -> None:
    result = check_source("descent-angle", source)
    assert not result.passed and says in result.message, result.message


@pytest.mark.parametrize(("exercise_id", "source", "says"), [
    ("best-step", "def best_step(eps):\n    return -1e-5\n", "a step must be a positive number"),
    ("best-step", "def best_step(eps):\n    return 1e-5\n", "(a smaller h does better)"),
    ("steps-needed", "def steps_needed(lr, tol):\n    return 3.5\n", "a whole number"),
    ("steps-needed", "def steps_needed(lr, tol):\n    return 40\n", "already 0.0008308 < 0.001 after 39 steps"),
    ("lr-limit", "def lr_limit(a):\n    return 0.9 / max(1, a)\n", "2% above it"),
    ("lr-limit", "def lr_limit(a):\n    return 1.1 / max(1, a)\n", "2% below it"),
    ("difference-methods", "def numerical_diff(f, x, h=1e-4, method='central'):\n"
     "    if method not in ('central', 'forward', 'backward'):\n        raise ValueError('no such thing')\n"
     "    return {'central': (f(x + h) - f(x - h)) / (2 * h), 'forward': (f(x + h) - f(x)) / h,\n"
     "            'backward': (f(x) - f(x - h)) / h}[method]\n", "name method in the message"),
])
def test_an_unknown_mistake_says_what_is_wrong(exercise_id: str, source: str, says: str) -> None:
    result = check_source(exercise_id, source)
    assert not result.passed and says in result.message, result.message
