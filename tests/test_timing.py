"""dlfs.timing: what it counts and how it fits, never how fast anything is."""

import numpy as np
import pytest

from dlfs.timing import loglog_slope, measure, timed


def test_timed_returns_the_value_and_restores_the_collector():
    import gc

    assert gc.isenabled()
    seconds, value = timed(lambda: gc.isenabled())
    assert value is False and seconds >= 0  # collection is off while timing
    assert gc.isenabled()


def test_measure_calls_enough_times_and_reports_every_measurement():
    calls = []
    t = measure(lambda: calls.append(1), repeat=4, min_seconds=0.001)
    assert len(t.seconds) == 4 and t.best == min(t.seconds)
    assert t.calls >= 1 and len(calls) >= 4 * t.calls  # repeat x calls, plus the warm-up doublings


@pytest.mark.parametrize("k", [0.5, 1.0, 2.0])
def test_loglog_slope_recovers_the_exponent(k):
    sizes = np.array([10.0, 100.0, 1000.0])
    assert loglog_slope(sizes, 3 * sizes**k) == pytest.approx(k)
