"""GDAL's and OpenJPEG's warnings while a run reads its bands, for the
run's log.

Some trouble in a band file (a marker out of place, a tile decoded only in
part) is reported as a warning, or as an error that does not stop the
read: the block comes back, perhaps wrong, and the message goes to GDAL's
error handler of the thread that read. rasterio's handler (installed while
a rasterio.Env is active in that thread; reading.GranuleBand.decode reads
inside one) passes it to its loggers (env.GDAL_LOGGERS).

The bands decode in worker threads, and several runs may share the process
(QGIS runs algorithms side by side), so a run marks its threads with a
context variable: reading.prefetched and ahead.ahead hand their caller's
context on to their workers. One handler, attached while any run listens
(counted, as gdal_env counts the logger level), gives each message to the
run of the thread that logged it.
"""

import collections
import contextvars
import logging
import threading

from .env import _Counted, _ErrorLoggerLevel, listen, stop_listening

#: The run listening in this thread's context, if any.
_LISTENER = contextvars.ContextVar("s2eq_gdal_warnings", default=None)
#: Distinct messages a run repeats in its log; the rest are counted.
MAX_MESSAGES = 5
#: How rasterio words a GDAL error that it logs rather than raises.
ERROR_PREFIX = "GDAL signalled an error"


def gdal_message(record):
    """The GDAL message a rasterio log record carries, if it is a warning
    or an error; None for rasterio's own notes and GDAL's debug output."""
    text = record.getMessage()
    if record.levelno < logging.WARNING and not text.startswith(
            ERROR_PREFIX):
        return None
    # rasterio logs ("%s in %s", code, message) for warnings and
    # ("... err_no=%r, msg=%r", number, message) for errors.
    args = record.args if isinstance(record.args, tuple) else ()
    return (str(args[-1]) if args else text).strip() or None


class _Relay(logging.Handler):
    def emit(self, record):
        listener = _LISTENER.get()
        if listener is not None:
            message = gdal_message(record)
            if message:
                listener.add(message)


class _Attached(_Counted):
    """The relay on rasterio's GDAL logger while any run listens."""

    RELAY = _Relay(logging.INFO)
    _holders = 0
    _saved = None

    def lower(self):
        listen(self.RELAY)
        return True

    def restore(self, saved):
        stop_listening(self.RELAY)


class DecodeWarnings:
    """While active, collects the GDAL messages of this thread and of the
    workers it hands its context to; on leaving, gives each distinct one
    (with how often it came) to ``warn(message)``."""

    def __init__(self, warn):
        self.warn = warn
        self.counts = collections.Counter()
        self.lock = threading.Lock()
        self.level = _ErrorLoggerLevel()
        self.attached = _Attached()
        self.token = None

    def add(self, message):
        with self.lock:
            self.counts[message] += 1

    def __enter__(self):
        self.level.__enter__()
        self.attached.__enter__()
        self.token = _LISTENER.set(self)
        return self

    def __exit__(self, *exc_info):
        _LISTENER.reset(self.token)
        self.attached.__exit__(*exc_info)
        self.level.__exit__(*exc_info)
        self.report()

    def report(self):
        with self.lock:
            found = self.counts.most_common()
            self.counts.clear()
        for message, count in found[:MAX_MESSAGES]:
            self.warn("GDAL, reading the bands: {}{}".format(
                message, "" if count == 1 else " ({} times)".format(count)))
        if len(found) > MAX_MESSAGES:
            self.warn("GDAL, reading the bands: {} more kinds of message."
                      .format(len(found) - MAX_MESSAGES))
