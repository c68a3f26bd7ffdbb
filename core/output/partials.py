"""The hidden partial files outputs are written to, and the ones runs left
behind.

A run writes its output as ``.NAME.XXXXXXXX.partial`` beside it
(output.AtomicOutput: NAME is the output's file name, XXXXXXXX eight
random hex digits) and renames it into place once complete; a failed or
cancelled run deletes it. A run that is killed (SIGKILL, a crash, a power
cut) can do neither, and its partial file would stay for ever.

So while a run writes, it holds an advisory lock (flock) on its partial
file, which the system drops when the process ends, however it ends. A
later run for the same output deletes that output's partial files whose
lock it can take: those no live run is writing. Only names of exactly that
pattern, only for that output, only regular files.

Windows has no flock, but neither does it let a file be deleted while a
process holds it open; there a run keeps its partial file open instead.
"""

import os
import re
import secrets
import stat

try:
    import fcntl
except ImportError:                       # Windows
    fcntl = None

#: The end of a partial file's name.
PARTIAL_SUFFIX = ".partial"


def partial_pattern(output):
    """The names of ``output``'s partial files."""
    return re.compile(r"\A\.{}\.[0-9a-f]{{8}}{}\Z".format(
        re.escape(os.path.basename(output)), re.escape(PARTIAL_SUFFIX)))


def create_partial(output):
    """A new, empty, locked partial file beside ``output``: ``(path,
    handle)``. Keep ``handle`` open while writing; release() it after."""
    folder = os.path.dirname(os.path.abspath(output))
    prefix = "." + os.path.basename(output) + "."
    while True:
        path = os.path.join(folder,
                            prefix + secrets.token_hex(4) + PARTIAL_SUFFIX)
        try:
            # The kernel applies the umask to 0o666: the result gets the
            # process's usual permissions.
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o666)
        except FileExistsError:
            continue
        if fcntl is None:
            return path, handle
        # Another run cleaning up may take the lock in the moment between
        # creating and locking, and delete the file: then start again.
        fcntl.flock(handle, fcntl.LOCK_EX)
        if _is_open_as(handle, path):
            return path, handle
        os.close(handle)


def release(handle):
    """Drop the lock (and the handle) create_partial gave."""
    if handle is not None:
        os.close(handle)


def remove_abandoned(output):
    """Delete the partial files of ``output`` that no live run is writing;
    return their names."""
    folder = os.path.dirname(os.path.abspath(output))
    pattern = partial_pattern(output)
    try:
        names = [n for n in os.listdir(folder) if pattern.match(n)]
    except OSError:
        return []
    return [n for n in names if _remove_if_abandoned(os.path.join(folder,
                                                                  n))]


def _remove_if_abandoned(path):
    if fcntl is None:
        try:
            os.remove(path)          # fails while a live run holds it open
            return True
        except OSError:
            return False
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return False
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not _is_open_as(handle, path):
            return False
        os.remove(path)
        return True
    except OSError:                  # locked: a live run is writing it
        return False
    finally:
        os.close(handle)


def _is_open_as(handle, path):
    """Whether ``path`` still names the file open as ``handle``."""
    try:
        named, opened = os.stat(path), os.fstat(handle)
    except OSError:
        return False
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
