"""dlfs.book.cache: results kept as JSON, keyed on the code they depend on, computed once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlfs.book import cache
from dlfs.gradcheck import GradCheck
from dlfs.timing import Timing
from dlfs.train import History

ROOT = Path(__file__).resolve().parents[1]

arrays = hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_]),
                    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
keys = st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.tuples(st.integers()))
leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5), arrays)
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner), st.dictionaries(keys, inner, max_size=3)), max_leaves=8)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, float):
        return isinstance(b, float) and (a == b or (np.isnan(a) and np.isnan(b)))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=60, deadline=None)
@given(values)
def test_encode_then_decode_gives_the_value_back_through_json(value) -> None:
    assert same(cache.decode(json.loads(json.dumps(cache.encode(value)))), value)


def test_the_dlfs_types_survive() -> None:
    history = History("backprop", 3, 10, 0.1, 0, loss=[2.3, 1.2], eval_iters=[2], train_acc=[0.5])
    value = {"h": history, "g": GradCheck(1e-10, 2e-10, 3e-7, 5), "t": Timing(0.1, 0.2, 8, [0.1, 0.3])}
    back = cache.decode(json.loads(json.dumps(cache.encode(value))))
    assert back == value and type(back["g"]) is GradCheck


def test_anything_else_is_refused_both_ways() -> None:
    with pytest.raises(TypeError, match="a cached result cannot hold set"):
        cache.encode({1, 2})
    with pytest.raises(ValueError, match=r"names 'os\.system', which is not one of"):
        cache.decode({"__type__": "os.system", "values": ["true"]})


def test_dependencies_follow_imports_and_nothing_else() -> None:
    deps = cache.dependencies("dlfs.book.training")
    assert {"dlfs.book.training", "dlfs.train", "dlfs.nets", "dlfs.layers", "dlfs.timing",
            "dlfs.book.cache", "dlfs.datasets", "dlfs.idx"} <= set(deps)
    assert "dlfs.book.gradients" not in deps and "dlfs.site.build" not in deps
    assert cache.dependencies("dlfs.numerical") == ("dlfs", "dlfs._checks", "dlfs.numerical")


def test_editing_a_module_changes_the_keys_of_exactly_what_depends_on_it(tmp_path, monkeypatch) -> None:
    copy = tmp_path / "dlfs"
    shutil.copytree(ROOT / "dlfs", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_ROOT", copy)
    cache.dependencies.cache_clear()
    try:
        before = {m: cache.source_digest(m) for m in ("dlfs.book.training", "dlfs.book.gradients")}
        (copy / "nets.py").write_text((copy / "nets.py").read_text() + "\n# an edit\n")
        after = {m: cache.source_digest(m) for m in before}
        assert after["dlfs.book.training"] != before["dlfs.book.training"]  # it trains a TwoLayerNet
        assert after["dlfs.book.gradients"] == before["dlfs.book.gradients"]  # it never touches nets.py
    finally:
        cache.dependencies.cache_clear()


def test_two_processes_compute_a_result_once_and_share_it(tmp_path) -> None:
    (tmp_path / "slow_result.py").write_text(textwrap.dedent("""
        import os, time
        from dlfs.book.cache import cached

        @cached
        def slow(n):
            with open(os.environ["COUNT"], "a") as f:
                f.write("computed\\n")
            time.sleep(1.0)  # long enough for the second process to arrive while this one computes
            return {"n": n, "squares": [i * i for i in range(n)]}

        print(slow(4)["squares"])
    """))
    env = os.environ | {"DLFS_BOOK_CACHE": str(tmp_path / "cache"), "COUNT": str(tmp_path / "count"),
                        "PYTHONPATH": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, str(tmp_path / "slow_result.py")], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert outputs == ["[0, 1, 4, 9]\n"] * 2
    assert (tmp_path / "count").read_text() == "computed\n"  # once, for both
    stored = list((tmp_path / "cache").rglob("*.json"))
    assert len(stored) == 1 and json.loads(stored[0].read_text())  # JSON, not pickle
    # a third process computes nothing
    subprocess.run([sys.executable, str(tmp_path / "slow_result.py")], env=env, check=True, capture_output=True)
    assert (tmp_path / "count").read_text() == "computed\n"


def test_without_a_folder_results_stay_in_memory(monkeypatch) -> None:
    monkeypatch.delenv("DLFS_BOOK_CACHE", raising=False)
    calls = []

    @cache.cached
    def twice(x):
        calls.append(x)
        return np.array([2.0 * x])

    assert twice(1.5)[0] == 3.0 and twice(1.5)[0] == 3.0 and twice(x=1.5)[0] == 3.0
    assert calls == [1.5]  # one computation for the same arguments, however they are passed
    first = twice(1.5)
    first[0] = -1  # a caller may change what it got...
    assert twice(1.5)[0] == 3.0  # ...without changing what the next caller gets
