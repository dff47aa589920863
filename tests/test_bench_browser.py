"""The browser benchmark, run for real on one small page: its JSON, never its timings."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_browser.py"


def positive(x) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


def test_one_page_writes_a_complete_json(built_site, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, str(SCRIPT), "--site", str(built_site.path), "--pages", "index",
                        "--cold-runs", "1", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]  # the atomic write left nothing else
    assert d["schema"] == 1 and d["refused"] == []
    cold = d["cold_first_run"]
    assert len(cold["seconds"]) == 1 and positive(cold["seconds"][0]) and cold["target_seconds"] == 5.0
    (name, page), = d["pages"].items()
    assert name == "index" and page["examples"] == page["passed_in_browser"] == page["native_passed"] > 0
    for key in ["browser_check_seconds", "browser_python_seconds", "native_seconds", "native_process_seconds"]:
        assert positive(page[key]), key
    assert d["environment"]["chromium"] and "build_seconds" not in d
    assert d["exercise_checks"] == {}, "the index has no exercises"
    visit = d["second_visit"]
    assert visit["first_visit"]["first_run"]["bytes"] > 1e6, "the first Run downloads the runtime"
    assert set(visit["second_visit"]["first_run"]) == {"bytes", "files"} and visit["target_first_run_bytes"] == 0
