"""Process-wide GDAL state a run touches, and GDAL's errors.

GDAL's block cache and rasterio's logger belong to the whole process (QGIS
runs many things in it), so a run changes them only through the counted
context managers here: the first run to start changes them, the last to
finish puts back what it found.
"""

import logging
import threading

from rasterio._err import CPLE_BaseError
from rasterio.env import get_gdal_config, set_gdal_config
from rasterio.errors import RasterioError, RasterioIOError

from .thread import osgeo_gdal

#: What rasterio raises when GDAL fails: its I/O error is not a
#: RasterioError, and some failures (a damaged TIFF directory, say) come as
#: GDAL's own error classes, which rasterio keeps in a private module.
GDAL_ERRORS = (RasterioError, RasterioIOError, CPLE_BaseError)

#: Upper bound on GDAL's block cache during a run, in bytes. GDAL keeps the
#: tiles written to a GeoTIFF in that cache until it is full (by default 5 %
#: of RAM), so a full tile's output would sit there uncompressed, about
#: 0.5 GiB, and its overviews would read it all back in.
GDAL_CACHE_BYTES = 64 * 2 ** 20


class _Counted:
    """Runs ``lower()`` when the first holder enters and ``restore(saved)``
    when the last one leaves, whatever the order in which threads come and
    go. Subclasses keep their own count."""

    _lock = threading.Lock()
    _holders = 0
    _saved = None

    def lower(self):
        raise NotImplementedError

    def restore(self, saved):
        raise NotImplementedError

    def __enter__(self):
        cls = type(self)
        with _Counted._lock:
            if cls._holders == 0:
                cls._saved = self.lower()
            cls._holders += 1
        return self

    def __exit__(self, *exc_info):
        cls = type(self)
        with _Counted._lock:
            cls._holders -= 1
            if cls._holders == 0:
                if cls._saved is not None:
                    self.restore(cls._saved)
                cls._saved = None


class BoundedGdalCache(_Counted):
    """Lowers GDAL's block cache to GDAL_CACHE_BYTES while any run is on.

    The output is written through osgeo.gdal where it is installed (see
    gdal_thread), whose GDAL library is rasterio's on most installations
    but not all (rasterio's wheels carry their own), so both are bounded;
    where they are one library the second bound finds it done.
    """

    _holders = 0
    _saved = None

    def lower(self):
        current = int(get_gdal_config("GDAL_CACHEMAX") or 0)
        saved = None
        if current > GDAL_CACHE_BYTES:
            set_gdal_config("GDAL_CACHEMAX", GDAL_CACHE_BYTES)
            saved = current
        gdal = osgeo_gdal()
        if gdal is not None and gdal.GetCacheMax() > GDAL_CACHE_BYTES:
            osgeo_saved = gdal.GetCacheMax()
            gdal.SetCacheMax(GDAL_CACHE_BYTES)
            return saved, osgeo_saved
        return None if saved is None else (saved, None)

    def restore(self, saved):
        rasterio_saved, osgeo_saved = saved
        if rasterio_saved is not None:
            set_gdal_config("GDAL_CACHEMAX", rasterio_saved)
        if osgeo_saved is not None:
            osgeo_gdal().SetCacheMax(osgeo_saved)


#: The loggers rasterio passes GDAL's messages to: rasterio 1.3 logs them
#: as "rasterio._env", 1.4 and later as "rasterio._err".
GDAL_LOGGERS = tuple(logging.getLogger(name)
                     for name in ("rasterio._env", "rasterio._err"))


class _ErrorLoggerLevel(_Counted):
    """Keeps rasterio's GDAL loggers at INFO while any run listens to
    them."""

    _holders = 0
    _saved = None

    def lower(self):
        saved = [(logger, logger.level) for logger in GDAL_LOGGERS
                 if not logger.isEnabledFor(logging.INFO)]
        for logger, _ in saved:
            logger.setLevel(logging.INFO)
        return saved or None

    def restore(self, saved):
        for logger, level in saved:
            logger.setLevel(level)


def listen(handler):
    """Attach ``handler`` to rasterio's GDAL loggers."""
    for logger in GDAL_LOGGERS:
        logger.addHandler(handler)


def stop_listening(handler):
    """Detach ``handler`` from rasterio's GDAL loggers."""
    for logger in GDAL_LOGGERS:
        logger.removeHandler(handler)


class GdalErrors(logging.Handler):
    """Collects the errors GDAL signals in this thread while it is active.

    Some write failures, a full disk among them, surface only through GDAL's
    error handler (when a tile is flushed or the file is closed), never as a
    Python exception; rasterio passes them to its logger at INFO level.
    """

    def __init__(self):
        super().__init__(logging.INFO)
        self.thread = threading.get_ident()
        self.messages = []
        self._level = _ErrorLoggerLevel()

    def emit(self, record):
        if (record.thread == self.thread
                and record.getMessage().startswith("GDAL signalled an error")):
            args = record.args if isinstance(record.args, tuple) else ()
            self.messages.append(str(args[-1]) if args else
                                 record.getMessage())

    def __enter__(self):
        self._level.__enter__()
        listen(self)
        return self

    def __exit__(self, *exc_info):
        stop_listening(self)
        self._level.__exit__(*exc_info)

    def check(self):
        """Raise OSError with the first error GDAL signalled, if any."""
        if self.messages:
            raise OSError(self.messages[0])
