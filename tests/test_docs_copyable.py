"""The library code the chapters show, copied in reading order, is a working program without dlfs.

A learner who pastes every implementation the site shows from ``dlfs/`` (the
blocks titled ``dlfs/numerical.py`` and so on, chapter after chapter) into a
file of their own gets code that defines, imports only NumPy and the
standard library (and tqdm), and trains a network. This test does exactly
that, in a fresh interpreter in which ``import dlfs`` fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNIPPET = re.compile(r'^[ \t]*--8<-- "(dlfs/[a-z_]+\.py):([a-z_]+)"', re.MULTILINE)


def chapters_in_order() -> list[Path]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = yaml.safe_load(text[text.index("\nnav:"):])["nav"]
    return [ROOT / "docs" / page for item in nav for page in item.values() if page.endswith(".md")]


def section(path: str, name: str) -> str:
    text = (ROOT / path).read_text(encoding="utf-8")
    start, end = f"# --8<-- [start:{name}]\n", f"# --8<-- [end:{name}]"
    assert start in text and end in text, f"{path} has no section {name!r}"
    return text[text.index(start) + len(start):text.index(end)]


def shown_library_code() -> tuple[list[tuple[str, str]], str]:
    """The (file, section) pairs the pages show from the library, first showing only, and their code."""
    shown: list[tuple[str, str]] = []
    for page in chapters_in_order():
        for m in SNIPPET.finditer(page.read_text(encoding="utf-8")):
            if (m[1], m[2]) not in shown:
                shown.append((m[1], m[2]))
    return shown, "\n\n".join(section(path, name) for path, name in shown)


def test_the_pages_show_the_library_implementations() -> None:
    shown, _ = shown_library_code()
    for needed in [("dlfs/_checks.py", "checks"), ("dlfs/numerical.py", "numerical_gradient"),
                   ("dlfs/optim.py", "gradient_descent"), ("dlfs/functions.py", "cross_entropy_error"),
                   ("dlfs/layers.py", "affine"), ("dlfs/nets.py", "two_layer_net"),
                   ("dlfs/gradcheck.py", "gradient_check"), ("dlfs/train.py", "minibatches"),
                   ("dlfs/optim.py", "sgd")]:
        assert needed in shown, f"no page shows {needed}"
    # and no section is used before what it needs has been shown
    assert shown.index(("dlfs/_checks.py", "checks")) < shown.index(("dlfs/numerical.py", "numerical_gradient"))


SMOKE = """
rng = np.random.default_rng(0)
x = rng.standard_normal((120, 6))
t = (x[:, 0] + x[:, 1] > 0).astype(int)

# chapters 1-3
assert abs(numerical_diff(lambda v: v ** 3, 1.0) - 3.0) < 1e-6
print(gradient_descent(lambda p: p[0] ** 2 + p[1] ** 2, np.array([-3.0, 4.0]), lr=0.1, step_num=100).round(6))

# chapters 4-6
print(round(cross_entropy_error(softmax(np.array([2.0, 1.0, 0.1])), np.array(0)), 4))
net = TwoLayerNet(6, 8, 2, weight_init_std=0.5, seed=0)
checks = gradient_check(net, x[:3], t[:3])
print(all(r.max_rel_error < 1e-6 for r in checks.values()), count_parameters(net))

# chapter 7: the loop, from the shown pieces
net, optimizer, batches = TwoLayerNet(6, 8, 2), SGD(lr=0.5), minibatches(120, 10, rng)
for _ in range(120):
    batch = next(batches)
    optimizer.update(net.params, net.gradient(x[batch], t[batch]))
print(net.accuracy(x, t) > 0.9)
"""


def test_pasted_in_order_the_shown_code_runs_without_dlfs(tmp_path: Path) -> None:
    _, code = shown_library_code()
    program = tmp_path / "learner.py"
    program.write_text(code + "\n" + SMOKE, encoding="utf-8")
    blocker = textwrap.dedent("""
        import runpy, sys

        class NoDlfs:
            def find_spec(self, name, path=None, target=None):
                if name == "dlfs" or name.startswith("dlfs."):
                    raise ModuleNotFoundError(f"No module named {name!r} (this test runs without dlfs)")

        sys.meta_path.insert(0, NoDlfs())
        runpy.run_path(sys.argv[1], run_name="__main__")
    """)
    result = subprocess.run([sys.executable, "-c", blocker, str(program)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, f"the pasted code fails:\n{result.stderr[-3000:]}"
    assert result.stdout.splitlines() == ["[-0.  0.]", "0.417", "True 74", "True"]
