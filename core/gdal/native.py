"""Long native calls run in a worker thread while the caller keeps
reporting progress and checking for cancel.

This only helps a call that releases Python's global interpreter lock
(GIL), as GDAL's own Python bindings (``osgeo.gdal``) do: while a native
call holds the GIL, no other Python thread runs at all.

Some of GDAL's work cannot be interrupted (closing a file, or reducing the
mask while it builds overviews), so a cancelled call gets
STOP_GRACE_SECONDS to stop; after that the caller leaves, and the call
finishes on its own and then runs its ``abandoned`` step (deleting the
file it was writing).
"""

import os
import threading
import time

from ..errors import Cancelled

#: How often the caller reports progress and checks for cancel while a call
#: runs, in seconds.
POLL_SECONDS = 0.05
#: How long a cancelled call may take to stop before the caller leaves it
#: to finish on its own, in seconds.
STOP_GRACE_SECONDS = 0.1


#: The detached calls still running (each leaves as it ends).
_DETACHED = set()


class NativeCall(threading.Thread):
    """``work(call)`` in its own thread. ``work`` reads ``call.stop`` (an
    Event, set when the caller cancels) and may set ``call.share`` (0..1,
    its progress). ``abandoned()``, if given, runs in the thread after
    ``work`` once the caller has cancelled."""

    def __init__(self, work, name, abandoned=None):
        # Not a daemon: Python waits for it before it exits, where a daemon
        # thread still inside GDAL as the interpreter is torn down would
        # crash the process.
        super().__init__(name=name, daemon=False)
        self.work = work
        self.abandoned = abandoned
        self.stop = threading.Event()
        self.share = 0.0
        self.error = None

    def run(self):
        try:
            self.work(self)
        except BaseException as exc:       # handed to the caller
            self.error = exc
        finally:
            if self.stop.is_set() and self.abandoned:
                self.abandoned()
            _DETACHED.discard(self)


def run_polled(work, name, cancelled=None, report=None, abandoned=None):
    """Run ``work`` as a NativeCall and wait for it, calling
    ``report(share)`` and checking ``cancelled()`` every POLL_SECONDS.

    Raises Cancelled (leaving the call to finish on its own if it does not
    stop within STOP_GRACE_SECONDS), or whatever ``work`` raised.
    """
    call = NativeCall(work, name, abandoned)
    call.start()
    while call.is_alive():
        call.join(POLL_SECONDS)
        if report:
            report(call.share)
        if cancelled and cancelled():
            call.stop.set()
            call.join(STOP_GRACE_SECONDS)
            raise Cancelled()
    if call.error is not None:
        # Handed over, not kept: the error's traceback holds the call's
        # frames, and a cycle through them would keep what they hold (an
        # open file) until Python's garbage collector came by.
        error, call.error = call.error, None
        raise error


def run_detached(work, name, abandoned=None):
    """Run ``work`` as a NativeCall the caller does not wait for, then
    ``abandoned()``."""
    call = NativeCall(work, name, abandoned)
    call.stop.set()
    _DETACHED.add(call)
    call.start()


def wait_for_detached(timeout=10.0):
    """Wait (up to ``timeout`` seconds in all) for the detached calls to
    end: before GDAL itself is shut down (QGIS quitting, the plugin
    unloaded), none may still be inside it."""
    deadline = time.monotonic() + timeout
    for call in list(_DETACHED):
        call.join(max(0.0, deadline - time.monotonic()))


def remove_quietly(path):
    """Delete ``path`` if it is there."""
    try:
        os.remove(path)
    except OSError:
        pass
