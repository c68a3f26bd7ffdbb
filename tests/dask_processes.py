"""A Dask scheduler and two workers, each a separate process started with
Dask's own command line (dask scheduler, dask worker), on the loopback
interface only; and the means to kill a worker while it holds a task."""

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from s2eq_runner import TIMEOUT, environment

WORKERS = 2
#: How often to look again, in seconds.
POLL = 0.02


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DaskProcesses:
    def __init__(self, folder):
        self.folder = folder
        self.processes = []
        self.address = "tcp://127.0.0.1:{}".format(free_port())

    def start_process(self, name, *args, env=None, cwd=None):
        """Start ``dask args`` (``env``: its environment, by default one
        with this checkout's package; ``cwd``: its working folder)."""
        log = open(str(self.folder / (name + ".log")), "w")
        # A session of its own: stop() ends a worker's nanny and the worker
        # process under it together.
        self.processes.append(subprocess.Popen(
            [sys.executable, "-m", "dask"] + list(args),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=env or environment(), start_new_session=True, cwd=cwd))
        log.close()

    def start(self, worker_env=None, apart=False):
        """Start the scheduler and the workers (``worker_env``: their
        environment; ``apart``: each worker in a folder of its own,
        self.worker_folders, as its working folder, Dask's local directory
        and TMPDIR: they share no disk but what the test gives them)."""
        port = self.address.rsplit(":", 1)[1]
        self.start_process("scheduler", "scheduler", "--host", "127.0.0.1",
                           "--port", port, "--no-dashboard")
        self.worker_folders = []
        for number in range(WORKERS):
            name = "worker-{}".format(number)
            extra, env, cwd = [], worker_env, None
            if apart:
                cwd = self.folder / (name + "-home")
                cwd.mkdir()
                self.worker_folders.append(cwd)
                extra = ["--local-directory", str(cwd / "dask")]
                env = dict(worker_env or environment(), TMPDIR=str(cwd))
            self.start_process(
                name, "worker", self.address,
                "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                "--name", name, *extra, env=env, cwd=cwd)
        from distributed import Client
        with Client(self.address, timeout=TIMEOUT) as client:
            client.wait_for_workers(WORKERS, timeout=TIMEOUT)

    def stop(self):
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def kill_worker_writing(self, folder, name, batch):
        """Kill (SIGKILL, by its process id) the worker that is writing
        the output ``name``.tif in ``folder``: its partial file is there,
        the output is not yet, and the scheduler has the product's task on
        that worker. Returns the process id."""
        from distributed import Client
        deadline = time.time() + TIMEOUT
        partial = "." + name + ".tif."
        with Client(self.address, timeout=TIMEOUT) as client:
            while True:
                assert batch.poll() is None, "the batch ended first"
                assert time.time() < deadline, "the product was not seen"
                writing = os.path.isdir(folder) and any(
                    n.startswith(partial) and n.endswith(".partial")
                    for n in os.listdir(folder))
                done = os.path.exists(os.path.join(folder, name + ".tif"))
                holders = [worker for worker, keys in
                           client.processing().items()
                           if any(key.startswith("s2eq-equalize-" + name)
                                  for key in keys)] if writing else []
                if holders and not done:
                    pid = client.run(os.getpid, workers=holders)[holders[0]]
                    os.kill(pid, signal.SIGKILL)
                    return pid
                time.sleep(POLL)

    @staticmethod
    def is_alive(pid):
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A running scheduler and two workers; stopped after the module."""
    cluster = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
