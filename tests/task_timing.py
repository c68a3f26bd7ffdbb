"""Runs s2eq:equalize as a QGIS task and times QGIS's main thread.

The algorithm runs the way the Processing dialog runs it: a
QgsProcessingAlgRunnerTask in QgsApplication.taskManager(). Meanwhile the
main thread does nothing but spin its event loop, where a QTimer ticks
every TICK_SECONDS; the longest gap between ticks is the longest time QGIS's
GUI (map, progress bar, Cancel) could not have run Python. Optionally the
run is cancelled once it reaches a stage, and the time from
``feedback.cancel()`` to the task's end is measured.

Used by tests/test_responsiveness.py and scripts/stall.py. Needs a running
QgsApplication with Processing and the plugin's provider.
"""

import subprocess
import sys
import threading
import time

#: Main-thread timer period, in seconds.
TICK_SECONDS = 0.02

#: A process of its own that only ticks, run beside the task: its longest
#: gap is what the machine's own scheduling delays (other jobs, a virtual
#: machine's stolen time) did, which no code of the plugin can cause.
CONTROL = """
import time
last = time.monotonic()
while True:
    time.sleep(0.01)
    now = time.monotonic()
    if now - last > 0.03:
        print(last, now, flush=True)
    last = now
"""

#: The stages a run can be cancelled in, and how each is reached. The core
#: reports progress 0-80 % while decoding, 80-95 % while writing blocks
#: (with their overviews) to the staging file, then 95 % as the last block
#: is written, logs "Writing the Cloud Optimized GeoTIFF" as it copies the
#: staging file into the output, compressing it, and reports 99.75 % before
#: reading the file back and renaming it. ``at``: "progress" (first value >= ``value``) or "log"
#: (first message starting with ``value``). ``delay``: seconds after that
#: moment; None cancels at once from the reporting thread, so the cancel
#: falls exactly before the step that follows the report.
STAGES = {
    "decode": {"at": "progress", "value": 10.0, "delay": 0.3},
    "write": {"at": "progress", "value": 85.0, "delay": 0.05},
    "close": {"at": "progress", "value": 95.0, "delay": None},
    "copy": {"at": "log", "value": "Writing the Cloud Optimized GeoTIFF",
             "delay": 0.05},
    "finalize": {"at": "progress", "value": 99.7, "delay": None},
}


class TaskRun:
    """What one run showed: ``stall`` (longest gap between main-thread
    ticks, s, while the task ran), ``cancel_latency`` (s from
    ``feedback.cancel()`` to the task's end, or None), ``cancel_wait`` (s
    from the moment the cancel was due to the task's end: what a user who
    clicked Cancel then waits, a main thread that could not run to send
    the cancel included), ``completed`` (bool), ``progress`` (values seen),
    ``log`` (messages), ``cancelled_at`` (progress when cancelled),
    ``stage_seen`` (whether the cancel stage was reached), ``wall`` (s),
    ``stall_at`` (progress, %, when the longest stall began),
    ``machine_stall`` (s: the longest gap of the CONTROL process meanwhile,
    or None)."""

    def __init__(self):
        self.stall = 0.0
        self.cancel_latency = None
        self.cancel_wait = None
        self.completed = None
        self.progress = []
        self.log = []
        self.cancelled_at = None
        self.stage_seen = False
        self.wall = None
        self.stall_at = None
        self.machine_stall = None
        self.progress_times = []


def run_task(parameters, cancel_stage=None, timeout=600.0):
    """Run s2eq:equalize with ``parameters`` as a task; return a TaskRun.

    ``cancel_stage``: a key of STAGES, or None to let the run finish.
    """
    from qgis.core import (QgsApplication, QgsProcessingAlgRunnerTask,
                           QgsProcessingContext, QgsProcessingFeedback)
    from qgis.PyQt.QtCore import QEventLoop, Qt, QTimer

    record = TaskRun()
    stage = STAGES.get(cancel_stage)
    lock = threading.Lock()
    state = {"reached": None, "cancel_time": None, "end": None}

    class Feedback(QgsProcessingFeedback):
        """Sees progress and log lines in the task's own thread."""

        def pushInfo(self, message):                # noqa: N802 (Qt API)
            record.log.append(message)
            if stage and stage["at"] == "log" and \
                    message.startswith(stage["value"]):
                reached()
            super().pushInfo(message)

    feedback = Feedback()

    def cancel():
        with lock:
            if state["cancel_time"] is not None:
                return
            state["cancel_time"] = time.monotonic()
            record.cancelled_at = record.progress[-1] \
                if record.progress else None
        feedback.cancel()

    def reached():
        with lock:
            if state["reached"] is not None:
                return
            state["reached"] = time.monotonic()
            record.stage_seen = True
        if stage["delay"] is None:
            cancel()

    def on_progress(value):
        record.progress.append(value)
        record.progress_times.append(time.monotonic())
        if stage and stage["at"] == "progress" and value >= stage["value"]:
            reached()

    # Direct: runs in the task's thread at the moment of the report.
    feedback.progressChanged.connect(on_progress,
                                   Qt.ConnectionType.DirectConnection)

    context = QgsProcessingContext()
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(
        "s2eq:equalize")
    task = QgsProcessingAlgRunnerTask(algorithm, parameters, context,
                                      feedback)
    loop = QEventLoop()
    ticks = []

    def finished(ok):
        state["end"] = time.monotonic()
        record.completed = ok
        loop.quit()

    def tick():
        now = time.monotonic()
        ticks.append(now)
        when = state["reached"]
        if stage and stage["delay"] is not None and when is not None \
                and now >= when + stage["delay"]:
            cancel()

    task.taskCompleted.connect(lambda: finished(True))
    task.taskTerminated.connect(lambda: finished(False))
    timer = QTimer()
    timer.setInterval(int(TICK_SECONDS * 1000))
    timer.timeout.connect(tick)
    safety = QTimer()
    safety.setSingleShot(True)
    safety.timeout.connect(loop.quit)
    safety.start(int(timeout * 1000))

    control = subprocess.Popen([sys.executable, "-c", CONTROL],
                               stdout=subprocess.PIPE,
                               universal_newlines=True)
    started = time.monotonic()
    ticks.append(started)
    timer.start()
    QgsApplication.taskManager().addTask(task)
    loop.exec()
    timer.stop()
    safety.stop()
    control.kill()
    record.machine_stall = _longest_gap(control.communicate()[0], started,
                                        state["end"] or time.monotonic())
    if state["end"] is None:
        raise AssertionError("the task did not end within {} s".format(
            timeout))
    ticks.append(state["end"])
    record.stall, began = max((b - a, a) for a, b in zip(ticks, ticks[1:]))
    before = [v for t, v in zip(record.progress_times, record.progress)
              if t <= began]
    record.stall_at = before[-1] if before else 0.0
    record.wall = state["end"] - started
    if state["cancel_time"] is not None:
        record.cancel_latency = state["end"] - state["cancel_time"]
        record.cancel_wait = state["end"] - (state["reached"]
                                             + (stage["delay"] or 0.0))
    return record


def _longest_gap(lines, start, end):
    """The longest of the CONTROL process's gaps (lines "from to") that
    overlap [start, end], in seconds (0 if none)."""
    gaps = [0.0]
    for line in lines.splitlines():
        began, ended = (float(x) for x in line.split())
        if ended > start and began < end:
            gaps.append(ended - began)
    return max(gaps)
