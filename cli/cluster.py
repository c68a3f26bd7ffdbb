"""The Dask cluster a batch runs on: one started on this machine for the
run and stopped after it (embedded), or a running scheduler and its
workers (``--scheduler``).

How many workers the embedded cluster gets: one per core (a worker runs
one product at a time; each run already decodes with a thread per core,
and a second product keeps the cores busy while the first compresses or
waits on the disk), but no more than fit in memory: each worker is given
WORKER_MIB, a run's peak with the worker process around it and headroom,
out of MEMORY_SHARE of the memory available now (within the process's
cgroup limit). ``--workers`` overrides the count.
"""

import contextlib
import logging
import signal

from ..core.errors import EqualizerError

#: Peak resident memory of one run, in MiB: the core's peak on a full
#: 10980-pixel tile is about 215 MiB (make bench), rounded up.
RUN_PEAK_MIB = 250
#: What one worker is planned at: the run's peak, the Dask worker process
#: with numpy, rasterio and GDAL loaded (about 130 MiB), and headroom.
WORKER_MIB = 450
#: The share of the available memory the workers may plan on; the rest is
#: left to the system, the page cache and the scheduler.
MEMORY_SHARE = 0.8
#: How long to wait for a running scheduler to answer, in seconds.
CONNECT_TIMEOUT = 20


class ClusterError(EqualizerError):
    """The Dask scheduler cannot be reached."""


def embedded_size(available_bytes, cpus, asked=None):
    """(workers, memory limit per worker in bytes) for a machine with
    ``cpus`` cores and ``available_bytes`` of free memory."""
    usable = available_bytes * MEMORY_SHARE
    fit = int(usable // (WORKER_MIB * 2 ** 20))
    workers = asked or max(1, min(cpus, fit))
    return workers, int(max(usable / workers, WORKER_MIB * 2 ** 20))


def machine():
    """(available memory in bytes, usable cores) of this machine, within
    the limits set on this process (cgroups, CPU affinity)."""
    import psutil
    from dask.system import CPU_COUNT
    from distributed.system import MEMORY_LIMIT
    return min(psutil.virtual_memory().available, MEMORY_LIMIT), CPU_COUNT


@contextlib.contextmanager
def workers_ignore_ctrl_c():
    """Start processes that ignore Ctrl-C: on a terminal it reaches every
    process of the command, and the workers would each print a traceback;
    the driver stops them itself. A process started with SIGINT ignored
    keeps it ignored, Python included; this process takes Ctrl-C again
    once they are started."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:                   # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def connect(scheduler=None, workers=None, log=None):
    """A distributed.Client on the scheduler at ``scheduler``, or on an
    embedded cluster of ``workers`` (None: sized to the machine), closed
    on leaving. Yields (client, embedded: bool)."""
    from distributed import Client, LocalCluster
    log = log or (lambda message: None)
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(
                "Cannot reach the Dask scheduler at {} ({}). Start one "
                "(dask scheduler) and its workers (dask worker {}), or "
                "leave out --scheduler to run on this machine.".format(
                    scheduler, str(exc).splitlines()[0], scheduler))
        with client:
            count = len(client.scheduler_info()["workers"])
            log("Dask scheduler {}: {} worker{} now".format(
                scheduler, count, "" if count == 1 else "s"))
            yield client, False
        return
    available, cpus = machine()
    count, limit = embedded_size(available, cpus, workers)
    log("Dask: {} worker{} on this machine ({} cores, {:.1f} GiB "
        "available, {} MiB planned per worker)".format(
            count, "" if count == 1 else "s", cpus, available / 2.0 ** 30,
            WORKER_MIB))
    with workers_ignore_ctrl_c():
        cluster = LocalCluster(
            n_workers=count, threads_per_worker=1, processes=True,
            memory_limit=limit, host="127.0.0.1", dashboard_address=None,
            silence_logs=logging.ERROR)
    try:
        with Client(cluster) as client:
            yield client, True
    finally:
        cluster.close()
