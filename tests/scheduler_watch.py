"""A Dask scheduler preload for the tests: it writes, as JSON lines, what
the scheduler of an ``s2eq batch`` run sees, to the file named by the
environment variable WATCH_FILE.

Given to the batch's embedded scheduler through Dask's own configuration
(DASK_DISTRIBUTED__SCHEDULER__PRELOAD), it records:

* ``{"task": key, "inputs": [keys]}`` as each task of the batch starts
  to run (goes to "processing"), with the keys of the results it is
  handed: the task graph as the scheduler holds it;
* ``{"done": key}`` as each result is held in a worker's memory;
* ``{"worker": address, "pid": pid}`` and ``{"gone": address}`` as
  workers come and go;
* ``{"in_flight": n}`` each time the number of tasks submitted and not
  yet done reaches a new high.
"""

import json
import os

from distributed.diagnostics.plugin import SchedulerPlugin

#: The states of a task submitted and not yet done.
PENDING = ("waiting", "processing", "no-worker", "queued")


class Watch(SchedulerPlugin):
    name = "s2eq-test-watch"

    def __init__(self, scheduler, path):
        self.scheduler = scheduler
        self.out = open(path, "a")
        self.pending = set()
        self.most = 0

    def _write(self, entry):
        self.out.write(json.dumps(entry) + "\n")
        self.out.flush()

    def transition(self, key, start, finish, *args, **kwargs):
        key = str(key)
        if not key.startswith("s2eq-"):
            return
        if finish in PENDING:
            self.pending.add(key)
        else:
            self.pending.discard(key)
        if len(self.pending) > self.most:
            self.most = len(self.pending)
            self._write({"in_flight": self.most})
        if finish == "processing":
            task = self.scheduler.tasks.get(key)
            self._write({"task": key, "inputs": sorted(
                str(d.key) for d in task.dependencies) if task else []})
        elif finish == "memory":
            self._write({"done": key})

    def add_worker(self, scheduler=None, worker=None):
        state = self.scheduler.workers.get(worker)
        self._write({"worker": worker, "pid": getattr(state, "pid", None)})

    def remove_worker(self, scheduler=None, worker=None, **kwargs):
        self._write({"gone": worker})

    def close(self):
        self.out.close()


def dask_setup(scheduler):
    scheduler.add_plugin(Watch(scheduler, os.environ["WATCH_FILE"]))
