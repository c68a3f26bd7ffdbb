"""The output GeoTIFF while its blocks are written, through a GDAL binding
that lets QGIS carry on meanwhile.

GDAL compresses the blocks (JPEG, on every core) as they leave its block
cache, and the last ones, up to gdal_env.GDAL_CACHE_BYTES of them, when the
file is flushed and closed: 0.1-0.3 s on two cores. rasterio holds Python's
global interpreter lock (GIL) while it closes a file, so every other Python
thread, QGIS's main thread included, waits that long. Through
``osgeo.gdal`` (see gdal_thread), which releases it, the same GDAL calls
write the same file, byte for byte; the last flush runs in a worker thread
while the caller checks for cancel, and a cancelled or failed file is
closed in the background, since GDAL cannot drop a file's cached tiles
without compressing them. Without ``osgeo.gdal`` (a command line with
rasterio alone) rasterio writes the file.
"""

import contextlib

import numpy as np
import rasterio
from rasterio.windows import Window

from .gdal_env import GdalErrors
from .gdal_thread import GdalThread, config_value, osgeo_gdal
from .native import remove_quietly, run_detached, run_polled

#: Profile keys that describe the raster rather than name a GDAL creation
#: option.
RASTER_KEYS = ("driver", "width", "height", "count", "dtype", "crs",
               "transform", "nodata")


def open_geotiff(path, profile, tags, descriptions, config, cancelled=None):
    """An 8-bit GeoTIFF at ``path``, open for writing, with an internal
    per-dataset mask.

    ``profile``: rasterio-style (width, height, count, crs, transform and
    creation options such as ``compress``); ``tags``: metadata;
    ``descriptions``: one per band; ``config``: GDAL settings (name ->
    str, bool or int) while writing; ``cancelled()`` is checked while the
    file is flushed. Use as a context manager, in one thread: leaving it
    flushes and closes the file. Failures raise OSError (or one of
    gdal_env.GDAL_ERRORS from rasterio), a cancel during the flush
    Cancelled.
    """
    gdal = osgeo_gdal()
    if gdal is None:
        return _RasterioGeotiff(path, profile, tags, descriptions, config)
    return _GdalGeotiff(gdal, path, profile, tags, descriptions, config,
                        cancelled)


def creation_options(profile):
    """GDAL creation options (``["TILED=YES", ...]``) of a profile."""
    return ["{}={}".format(key.upper(), config_value(value).upper())
            for key, value in profile.items() if key not in RASTER_KEYS]


class _GdalGeotiff:
    """The file through osgeo.gdal."""

    def __init__(self, gdal, path, profile, tags, descriptions, config,
                 cancelled):
        from osgeo import osr
        if profile["dtype"] != "uint8":
            raise ValueError("only 8-bit output is written")
        self.gdal, self.path, self.config = gdal, path, config
        self.cancelled = cancelled
        self.thread = GdalThread(gdal, config).__enter__()
        self.dataset = self.mask = None
        try:
            self.dataset = self.thread.call(
                gdal.GetDriverByName("GTiff").Create, path,
                profile["width"], profile["height"], profile["count"],
                gdal.GDT_Byte, options=creation_options(profile))
            effect = self.thread.effect
            effect(self.dataset.SetGeoTransform,
                   profile["transform"].to_gdal())
            crs = osr.SpatialReference()
            effect(crs.SetFromUserInput, str(profile["crs"]))
            effect(self.dataset.SetProjection, crs.ExportToWkt())
            effect(self.dataset.SetMetadata, dict(tags))
            for index, text in enumerate(descriptions, start=1):
                effect(self.dataset.GetRasterBand(index).SetDescription,
                       text)
            self.thread.call(self.dataset.CreateMaskBand,
                             gdal.GMF_PER_DATASET)
            self.mask = self.dataset.GetRasterBand(1).GetMaskBand()
            self.thread.check()
        except BaseException:
            self._close_in_background()
            raise

    def write(self, top, left, rgb, mask):
        """Write ``rgb`` (3, rows, cols) and ``mask`` (rows, cols), uint8,
        with their upper-left pixel at (top, left)."""
        rows, cols = mask.shape
        self.thread.call(self.dataset.WriteRaster, left, top, cols, rows,
                         np.ascontiguousarray(rgb, dtype=np.uint8))
        self.thread.call(self.mask.WriteRaster, left, top, cols, rows,
                         np.ascontiguousarray(mask, dtype=np.uint8))
        self.thread.check()

    def _hand_over(self):
        """The dataset, which this object no longer holds."""
        dataset = self.dataset
        self.mask = self.dataset = None
        self.thread.__exit__(None, None, None)
        return dataset

    def _close_in_background(self):
        """Close and delete a file no one will use; the caller goes on."""
        dataset = [self._hand_over()]

        def close(call):
            with GdalThread(self.gdal, self.config):    # errors unheard
                dataset.clear()

        run_detached(close, "s2eq-discard",
                     abandoned=lambda: remove_quietly(self.path))

    def _flush_and_close(self):
        dataset = [self._hand_over()]

        def close(call):
            with GdalThread(self.gdal, self.config) as thread:
                thread.effect(dataset[0].FlushCache)
                dataset.clear()                 # closes: little left to do
                thread.check()

        run_polled(close, "s2eq-flush", self.cancelled,
                   abandoned=lambda: remove_quietly(self.path))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc_info):
        if exc_type is None:
            self._flush_and_close()
        else:
            self._close_in_background()


class _RasterioGeotiff:
    """The file through rasterio, which holds the GIL while it closes."""

    def __init__(self, path, profile, tags, descriptions, config):
        self.stack = contextlib.ExitStack()
        try:
            self.stack.enter_context(rasterio.Env(**config))
            # Some failures (a full disk) reach only GDAL's error handler.
            self.errors = self.stack.enter_context(GdalErrors())
            self.dataset = rasterio.open(path, "w", **profile)
            self.stack.callback(self.dataset.close)
            self.dataset.update_tags(**tags)
            for index, text in enumerate(descriptions, start=1):
                self.dataset.set_band_description(index, text)
        except BaseException:
            self.stack.close()
            raise

    def write(self, top, left, rgb, mask):
        """As _GdalGeotiff.write."""
        rows, cols = mask.shape
        window = Window(left, top, cols, rows)
        self.dataset.write(rgb, window=window)
        self.dataset.write_mask(mask, window=window)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc_info):
        self.stack.close()
        if exc_type is None:
            self.errors.check()
