"""reading.prefetched, the decode stream's engine: a cancel is noticed
while it waits for a slow job, and does not wait for the job to end."""

import threading
import time

import pytest

from sentinel2_equalizer.core.errors import Cancelled
from sentinel2_equalizer.core.pixels.reading import prefetched


def test_results_come_in_order():
    jobs = [lambda n=n: (time.sleep(0.01 * (3 - n % 3)), n)[1]
            for n in range(7)]
    assert list(prefetched(jobs, workers=2)) == list(range(7))


def test_a_cancel_is_honoured_while_a_slow_job_runs():
    release = threading.Event()
    asked = time.monotonic() + 0.1
    started = time.monotonic()
    results = prefetched([lambda: release.wait(10)] * 3, workers=2,
                         cancelled=lambda: time.monotonic() > asked)
    with pytest.raises(Cancelled):
        next(results)
    assert time.monotonic() - started < 0.5     # not the 10 s of the job
    release.set()
