"""The Dask cluster a batch runs on: one started on this machine for the
run and stopped after it (embedded), or a running scheduler and its
workers (``--scheduler``).

The embedded cluster is private to the run: its scheduler and workers
listen on the loopback interface (127.0.0.1) only, and serve no dashboard
unless asked (``--dashboard``, on 127.0.0.1 too). Whoever can reach a Dask
scheduler can run code on its workers, so a cluster that other machines
reach belongs behind TLS: a ``tls://`` address, with the certificate files
given as flags or in Dask's own configuration (``distributed.comm.tls``).

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
import os
import shutil
import signal
import socket
import sys
import tempfile

from ..core.errors import EqualizerError
from ..core.output.atomic import scratch_failed
from . import worker_python

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
#: The one interface the embedded cluster listens on.
LOOPBACK = "127.0.0.1"
#: The dashboard's usual port; with it taken, the system picks another.
DASHBOARD_PORT = 8787
#: Transitions of tasks the embedded scheduler keeps in its log (Dask's
#: debugging aid, scheduler.story()), and events per topic (a result
#: gathered is one): Dask keeps 100,000 of each by default, some 400 bytes
#: each, which would grow the scheduler by about 1 MiB per 100 products of
#: a batch until the logs are full.
TRANSITION_LOG = 2000


def log_lengths(dask):
    """The settings that bound the embedded scheduler's logs to
    TRANSITION_LOG entries, under the names the installed Dask knows:
    Dask 2023 and later keep one ``distributed.admin.low-level-log-length``
    (and warn of the older names), earlier ones a length per log."""
    import distributed  # noqa: F401 (its defaults join dask.config)
    if dask.config.get("distributed.admin.low-level-log-length",
                       None) is not None:
        return {"distributed.admin.low-level-log-length": TRANSITION_LOG}
    return {"distributed.scheduler.transition-log-length": TRANSITION_LOG,
            "distributed.scheduler.events-log-length": TRANSITION_LOG}


class ClusterError(EqualizerError):
    """The Dask scheduler cannot be reached, or its workers cannot run the
    tasks."""


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


def security(ca_file=None, cert=None, key=None):
    """The distributed.security.Security of a connection to a running
    scheduler: TLS with the given certificate files (PEM: the authority
    that signed the cluster's certificates, this client's certificate and
    its key), or where none is given, what Dask's configuration says
    (``distributed.comm.tls.*``; none: plain TCP)."""
    from distributed.security import Security
    if not (ca_file or cert or key):
        return Security()
    return Security(tls_ca_file=ca_file, tls_client_cert=cert,
                    tls_client_key=key, require_encryption=True)


@contextlib.contextmanager
def connect(scheduler=None, workers=None, log=None, dashboard=False,
            tls=None, scratch_dir=None):
    """A distributed.Client on the scheduler at ``scheduler`` (``tls``:
    security()'s keywords), or on an embedded cluster of ``workers``
    (None: sized to the machine; ``dashboard``: serve Dask's dashboard;
    its workers' folders in a private folder of ``scratch_dir``, None:
    the system's temporary folder, removed on leaving), closed on
    leaving. Yields (client, embedded: bool) once the workers there are
    known to run the tasks."""
    from distributed import Client
    log = log or (lambda message: None)
    if scheduler:
        secure = security(**(tls or {}))
        if scheduler.startswith("tls://") and not secure.tls_client_cert:
            raise ClusterError(
                "The Dask scheduler at {} takes TLS, and no certificate is "
                "given: give --tls-ca-file, --tls-cert and --tls-key, or set "
                "them in Dask's configuration (distributed.comm.tls).".format(
                    scheduler))
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT,
                            security=secure)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ClusterError(
                "Cannot reach the Dask scheduler at {} ({}). Start one "
                "(dask scheduler) and its workers (dask worker {}), or "
                "leave out --scheduler to run on this machine.".format(
                    scheduler, str(exc).splitlines()[0], scheduler))
        with client:
            count = len(client.scheduler_info()["workers"])
            log("Dask scheduler {}: {} worker{} now".format(
                scheduler, count, "" if count == 1 else "s"))
            check_workers(client, scheduler)
            yield client, False
        return
    available, cpus = machine()
    count, limit = embedded_size(available, cpus, workers)
    log("Dask: {} worker{} on this machine ({} cores, {:.1f} GiB "
        "available, {} MiB planned per worker)".format(
            count, "" if count == 1 else "s", cpus, available / 2.0 ** 30,
            WORKER_MIB))
    import dask
    # Newer Dask also makes a dask-scratch-space folder of its own for the
    # scheduler and the nannies in its temporary directory: that too goes
    # in the run's private folder.
    with private_folder(scratch_dir) as local, dask.config.set(
            dict(log_lengths(dask), **{"temporary-directory": local})):
        with workers_ignore_ctrl_c():
            cluster = embedded_cluster(count, limit, dashboard, local)
        try:
            with Client(cluster) as client:
                if dashboard:
                    log(dashboard_note(client.dashboard_link))
                check_workers(client, cluster.scheduler_address)
                yield client, True
        finally:
            cluster.close()


@contextlib.contextmanager
def private_folder(scratch_dir=None):
    """A new folder of this run in ``scratch_dir`` (None: the system's
    temporary folder) for the workers' own folders and Dask's lock files,
    removed with all they hold on leaving, however the run ends (the
    workers have stopped by then): nothing of Dask stays in the user's
    folders."""
    try:
        folder = tempfile.mkdtemp(prefix="s2eq-dask-", dir=scratch_dir)
    except OSError as exc:
        raise scratch_failed(scratch_dir, exc)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def embedded_cluster(count, limit, dashboard=False, local_directory=None):
    """A distributed.SpecCluster of ``count`` worker processes of one
    thread and ``limit`` bytes each, their folders in ``local_directory``
    (None: Dask's default), and its scheduler, all on LOOPBACK.
    Each serves HTTP (Dask's health and metrics pages, and the scheduler
    its dashboard when ``dashboard``), on LOOPBACK too: on a port of the
    system's choosing, the dashboard on DASHBOARD_PORT where it is free."""
    from distributed import Nanny, Scheduler, SpecCluster
    worker = {"cls": Nanny, "options": {
        "host": LOOPBACK, "nthreads": 1, "memory_limit": limit,
        "dashboard": False, "dashboard_address": LOOPBACK + ":0",
        "silence_logs": logging.ERROR, "local_directory": local_directory}}
    scheduler = {"cls": Scheduler, "options": {
        "host": LOOPBACK, "port": 0, "dashboard": dashboard,
        "dashboard_address": "{}:{}".format(
            LOOPBACK, DASHBOARD_PORT if dashboard and _free(DASHBOARD_PORT)
            else 0)}}
    return SpecCluster(scheduler=scheduler,
                       workers={number: worker for number in range(count)},
                       silence_logs=logging.ERROR)


def _free(port):
    """Whether ``port`` of LOOPBACK can be listened on: Dask warns at
    length when it finds a port taken, and this asks first."""
    with socket.socket() as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def dashboard_note(link):
    """Where the dashboard is, for the log; its pages need bokeh."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return ("Dask dashboard: {} (its pages need the Python module "
                "bokeh; Debian/Ubuntu: sudo apt install python3-bokeh)"
                .format(link))
    return "Dask dashboard: {}".format(link)


def check_workers(client, address):
    """Raise ClusterError, once, where a worker's Python cannot run the
    tasks (it lacks this package, numpy or rasterio): naming that Python
    and the one to start the workers with, this command's."""
    import cloudpickle
    if not hasattr(cloudpickle, "register_pickle_by_value"):
        return                        # cloudpickle before 2.0: not asked
    # By value: a worker without the package can still run the question.
    cloudpickle.register_pickle_by_value(worker_python)
    unable = {}
    for worker, (python, problem) in client.run(
            worker_python.python).items():
        if problem:
            unable.setdefault((python, problem), []).append(worker)
    if not unable:
        return
    (python, problem), found = sorted(unable.items())[0]
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    raise ClusterError(
        "The Dask worker{} {} run{} {}, which cannot run the batch's tasks "
        "({}). Start the workers with the Python this command runs, which "
        "has the package (in {}): {} -m dask worker {}".format(
            "s" if len(found) > 1 else "", ", ".join(sorted(found)),
            "" if len(found) > 1 else "s", python, problem,
            os.path.dirname(package), sys.executable, address))
