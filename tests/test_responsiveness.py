"""QGIS stays responsive while the algorithm runs as a task, and Cancel is
honoured promptly in every stage.

A product of SIZE pixels a side takes a few seconds on two cores. The
limits are the issue's: QGIS's main thread never waits more than MAX_STALL
for the GIL, and a run ends within MAX_CANCEL of Cancel, with nothing at
OUTPUT.

A run whose timings break a limit while the machine itself stalled (the
control process of task_timing, which only ticks, was held up MACHINE_NOISE
or more: other jobs, a virtual machine's stolen time) says nothing about
the plugin, so it is made again, up to ATTEMPTS runs in all. The limits
stay as they are; on a quiet machine the first run decides, and a plugin
that holds the GIL too long fails every run.
"""

import os

import pytest

from task_timing import STAGES, run_task

pytestmark = pytest.mark.usefixtures("qgis_app")

SIZE = 3000
MAX_STALL = 0.25
MAX_CANCEL = 0.5
ATTEMPTS = 3
MACHINE_NOISE = 0.1
#: The progress (%) the core reports in each stage (see task_timing.STAGES).
STAGE_PROGRESS = {"decode": (0.0, 80.0), "write": (80.0, 95.0),
                  "close": (95.0, 95.0), "copy": (95.0, 99.75),
                  "finalize": (99.75, 99.75)}


@pytest.fixture(scope="module")
def product(products):
    return products("responsive", size=SIZE, bands=["B02", "B03", "B04"])


def parameters(product, folder):
    return {"INPUT": str(product), "OUTPUT": str(folder / "rgb.tif")}


def within_limits(run):
    # From the moment Cancel was due: a main thread too busy to send it
    # counts against the run.
    return run.stall <= MAX_STALL and (run.cancel_wait is None
                                       or run.cancel_wait <= MAX_CANCEL)


def timed_runs(run_once):
    """``run_once()`` (a TaskRun) made again while it breaks a limit on a
    stalling machine, at most ATTEMPTS times; every run, last one last."""
    runs = []
    for _ in range(ATTEMPTS):
        runs.append(run_once())
        if within_limits(runs[-1]) or \
                runs[-1].machine_stall < MACHINE_NOISE:
            break
    return runs


def describe(runs):
    return "; ".join(
        "stall {:.3f} s at {} %, machine stall {:.3f} s, cancel waited {} s "
        "({} s after cancel()) at {} %, progress {} ... {}".format(
            run.stall, run.stall_at, run.machine_stall, run.cancel_wait,
            run.cancel_latency, run.cancelled_at, run.progress[:2],
            run.progress[-2:]) for run in runs)


def test_main_thread_never_stalls_during_a_whole_run(product, tmp_path):
    def whole_run():
        run = run_task(parameters(product, tmp_path))
        assert run.completed, describe([run])
        assert os.path.exists(tmp_path / "rgb.tif")
        assert "Writing the Cloud Optimized GeoTIFF" in run.log
        return run

    runs = timed_runs(whole_run)
    assert runs[-1].stall <= MAX_STALL, describe(runs)


@pytest.mark.parametrize("stage", list(STAGES))
def test_cancel_is_honoured_within_half_a_second(product, tmp_path, stage):
    def cancelled_run():
        run = run_task(parameters(product, tmp_path), cancel_stage=stage)
        assert run.stage_seen, "never reached the {} stage: {}".format(
            stage, describe([run]))
        assert run.completed is False, describe([run])
        low, high = STAGE_PROGRESS[stage]
        assert low - 1e-6 <= run.cancelled_at <= high + 1e-6, \
            describe([run])
        assert os.listdir(tmp_path) == [], "left behind: {}".format(
            os.listdir(tmp_path))
        return run

    runs = timed_runs(cancelled_run)
    assert runs[-1].cancel_wait <= MAX_CANCEL, describe(runs)
    assert runs[-1].stall <= MAX_STALL, describe(runs)
