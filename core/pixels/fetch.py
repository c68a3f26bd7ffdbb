"""Remote band files that a run reads whole, fetched once into the scratch
folder before the decode.

A decoder reading over the network asks for a few tens of kilobytes at a
time: a full 10 m band of JPEG2000 is a few hundred range requests, each
waiting a round trip, and checking the file against its checksum fetched
it all a second time. Where a run reads every byte of a file anyway (the
whole granule at the file's own resolution, or any resolution from
JPEG2000, whose decoder reads each tile whole), the file is copied to the
scratch folder in large requests instead, once, and decoded and hashed
there. Files of which a run reads a part (an area, a COG's overviews) stay
where they are, read by range.

The copies live in a private folder of the scratch folder
(``s2eq-XXXXXXXX.fetched``) that is removed when the run ends, however it
ends but for a kill; the folder holds a lock (flock) while its run lives,
so the next run that fetches removes the folders of runs that were
killed. A scratch folder without the room for the copies leaves the files
where they are, and the log says so.
"""

import contextlib
import os
import re
import shutil
import tempfile
import threading

from ..errors import BandError, Cancelled
from ..gdal.network import describe_bytes, is_remote
from ..output.atomic import scratch_failed
from ..product.checksums import band_files, reads_all
from ..product.copies import FetchedSource, copy_name

try:
    import fcntl
except ImportError:                       # Windows: no sweeping
    fcntl = None

#: The copies' folder: its name's start and end, and its lock file.
PREFIX, SUFFIX, LOCK = "s2eq-", ".fetched", ".lock"
#: The names tempfile.mkdtemp gives such a folder: only those are swept.
OWN_NAME = re.compile(r"\A{}[a-z0-9_]{{8}}{}\Z".format(
    re.escape(PREFIX), re.escape(SUFFIX)))
#: Bytes asked of the server at a time, and files fetched at the same
#: time: a full band in a few dozen requests. GDAL holds what it fetches
#: in its own cache (16 MB unless CPL_VSIL_CURL_CACHE_SIZE says otherwise)
#: until it is copied out; reads of all the threads together that do not
#: fit there are fetched twice.
CHUNK_BYTES = 4 << 20
THREADS = 3
#: How often the calling thread checks for cancel, in seconds.
POLL_SECONDS = 0.05
#: Room left free in the scratch folder besides the copies (the spools and
#: the output's staging file need it).
SPARE_BYTES = 1 << 30


@contextlib.contextmanager
def fetched_whole(plan, scratch_dir=None, log=None, cancelled=None):
    """While in the block, the remote band files ``plan`` reads whole are
    local copies: ``plan.product.source`` answers for them from the
    scratch folder (None: the system's temporary folder). Nothing changes
    for a product on disk, or where there is no room. Raises Cancelled,
    or BandError for a file that cannot be fetched."""
    log = log or (lambda message: None)
    source = plan.product.source
    wanted = [(band, relpath) for band, relpath in band_files(plan)
              if getattr(source, "remote", False)
              and is_remote(source.gdal_path(relpath))
              and reads_all(plan, band, relpath)]
    if not wanted:
        yield plan
        return
    _check_remote(plan, [relpath for _, relpath in wanted])
    sizes = [source.size(relpath) or 0 for _, relpath in wanted]
    folder = scratch_dir or tempfile.gettempdir()
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise scratch_failed(scratch_dir, exc)
    if free < sum(sizes) + SPARE_BYTES:
        log("Band files read over the network by range: the scratch folder "
            "{} has {} free, too little to fetch them whole ({}).".format(
                folder, describe_bytes(free), describe_bytes(sum(sizes))))
        yield plan
        return
    sweep(folder)
    with _private_folder(folder) as private:
        copies = {relpath: os.path.join(private, "{}-{}".format(
            index, copy_name(source.gdal_path(relpath))))
            for index, (_, relpath) in enumerate(wanted)}
        log("Fetching {} whole ({}), as the run reads all of {}.".format(
            ", ".join(band for band, _ in wanted), describe_bytes(sum(sizes)),
            "it" if len(wanted) == 1 else "them"))
        _fetch_all(source, wanted, copies, cancelled, log)
        plan.product.source = FetchedSource(source, copies)
        try:
            yield plan
        finally:
            plan.product.source = source


def _check_remote(plan, relpaths):
    """A missing remote original of one of ``relpaths`` named as the
    reader names it, before anything is fetched."""
    source = plan.product.source
    for band in plan.unique_bands:
        for granule in plan.granules:
            relpath, native = plan.product.band_relpath(
                granule, band, plan.grid.resolution)
            if relpath in relpaths and not source.exists(relpath):
                plan.product.band_file(granule, band, native)


def _fetch_all(source, wanted, copies, cancelled, log):
    """Copy each ``(band, relpath)`` of ``wanted`` to ``copies[relpath]``,
    a few at a time; ``log`` hears of each file fetched, from the calling
    thread."""
    stop = threading.Event()
    problems, fetched = [], []
    queue = iter(wanted)
    lock = threading.Lock()

    def work():
        while not stop.is_set():
            with lock:
                job = next(queue, None)
            if job is None:
                return
            try:
                size = _fetch(source, job[0], job[1], copies[job[1]], stop)
            except BaseException as problem:     # noqa: B902 (re-raised)
                problems.append(problem)
                stop.set()
            else:
                fetched.append((job[0], size))

    threads = [threading.Thread(target=work, name="s2eq-fetch", daemon=True)
               for _ in range(min(THREADS, len(wanted)))]
    for thread in threads:
        thread.start()
    told = 0
    try:
        while any(thread.is_alive() for thread in threads):
            threads[0].join(POLL_SECONDS)
            if cancelled is not None and cancelled():
                stop.set()
                raise Cancelled()
            told = _tell(fetched, told, log)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if problems:
        raise problems[0]
    _tell(fetched, told, log)


def _tell(fetched, told, log):
    """Log the files of ``fetched`` from the ``told``-th on; the count
    told."""
    for band, size in fetched[told:]:
        log("Fetched {} ({}).".format(band, describe_bytes(size)))
    return len(fetched)


def _fetch(source, band, relpath, target, stop):
    """Copy the file at ``relpath`` of ``source`` to ``target``; the bytes
    copied. Stops (leaving a part) when ``stop`` is set."""
    expected = source.size(relpath)
    written = 0
    buffer = memoryview(bytearray(CHUNK_BYTES))
    with source.stream(relpath) as stream:
        try:
            copy = open(target, "wb")
        except OSError as exc:
            raise scratch_failed(os.path.dirname(target), exc)
        with copy:
            while not stop.is_set():
                try:
                    size = stream.readinto(buffer)
                except OSError as exc:
                    raise BandError(
                        "Band {} file {} could not be fetched: {}.".format(
                            band, source.shown(relpath), exc))
                if not size:
                    break
                try:
                    copy.write(buffer[:size])
                except OSError as exc:
                    raise scratch_failed(os.path.dirname(target), exc)
                written += size
    if not stop.is_set() and expected is not None and written != expected:
        raise BandError(
            "Band {} file {} was cut short over the network: {} of its {} "
            "bytes arrived. Try again; if it persists, the server is "
            "serving an incomplete file.".format(
                band, source.shown(relpath), written, expected))
    return written


@contextlib.contextmanager
def _private_folder(folder):
    """A new folder ``s2eq-XXXXXXXX.fetched`` in ``folder``, locked while
    in the block, then removed with what it holds."""
    try:
        private = tempfile.mkdtemp(prefix=PREFIX, suffix=SUFFIX, dir=folder)
    except OSError as exc:
        raise scratch_failed(folder, exc)
    lock = None
    try:
        # Locked under another name, then named: a sweeping run never
        # finds the lock file unheld.
        lock = open(os.path.join(private, LOCK + ".new"), "wb")
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.replace(lock.name, os.path.join(private, LOCK))
    except OSError as exc:
        if lock is not None:
            lock.close()
        shutil.rmtree(private, ignore_errors=True)
        raise scratch_failed(folder, exc)
    try:
        yield private
    finally:
        lock.close()
        shutil.rmtree(private, ignore_errors=True)


def sweep(folder):
    """Remove the copies' folders in ``folder`` that no living run holds
    (their runs were killed)."""
    if fcntl is None:
        return
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not OWN_NAME.match(name):
            continue
        path = os.path.join(folder, name)
        lock_path = os.path.join(path, LOCK)
        if os.path.islink(path) or not os.path.isdir(path):
            continue
        try:
            with open(lock_path, "rb") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(path, ignore_errors=True)
        except OSError:                  # held by a living run, or gone
            continue
