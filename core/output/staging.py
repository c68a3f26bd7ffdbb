"""The output's pixels while its blocks come in: an uncompressed, tiled
staging GeoTIFF with the no-data mask and the overviews, from which
cog.py writes the output.

A Cloud Optimized GeoTIFF keeps its overviews before the full-resolution
image, so nothing of it can be written until the last block is known. The
blocks go to the staging file instead, uncompressed (writing them costs
about 0.5 s of a full tile), and each block's share of every overview is
made as it passes (pyramid.py) and written beside it.

The staging file lives in the scratch folder (the system's temporary
folder by default), holds about 4/3 of three bytes a pixel, and has no name
there once created where the system allows it (POSIX): GDAL keeps it open,
and the system frees it when the run ends, however it ends, a kill
included. Closing it writes out the blocks GDAL still holds (up to its
bounded cache, gdal_env) into a file about to vanish, so a cancelled run
closes it in the background.

Through ``osgeo.gdal`` (see gdal_thread), which releases Python's GIL, the
overviews are written block by block. Without it (a command line with
rasterio alone) rasterio writes the full-resolution image and GDAL builds
the overviews from it at the end.
"""

import contextlib
import os
import tempfile

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.windows import Window

from ..errors import Cancelled
from ..gdal.env import GdalErrors
from ..gdal.native import run_detached
from ..gdal.thread import (ExceptionsOn, GdalThread, config_value,
                           osgeo_gdal)
from .atomic import scratch_failed
from .pyramid import block_overviews

#: Output tile size in pixels, in the staging file and the output.
TILE = 512
#: Profile keys that describe the raster rather than name a GDAL creation
#: option.
RASTER_KEYS = ("driver", "width", "height", "count", "dtype", "crs",
               "transform", "nodata")
#: The staging file's layout: tiles of one band each, so that each band of
#: an overview is written without touching the others'.
STAGING_OPTIONS = {"tiled": True, "blockxsize": TILE, "blockysize": TILE,
                   "interleave": "band", "compress": "NONE"}


def staging_path(folder):
    """A path for the staging file in a new private folder inside
    ``folder`` (None: the temporary folder), with no file there yet.

    GDAL creates the file afresh. A file it found would be truncated, and
    ext4 writes a file truncated to nothing out to disk as it is closed (a
    guard for files rewritten in place): about 0.5 s for a full tile's
    480 MB that are about to be removed.
    """
    try:
        made = tempfile.mkdtemp(prefix="s2eq-", suffix=".staging",
                                dir=folder)
    except OSError as exc:
        raise scratch_failed(folder, exc)
    return os.path.join(made, "staging.tif")


def remove_staging(path):
    """Remove the staging file at ``path`` if it still has its name, and
    its folder."""
    if os.path.exists(path):
        os.remove(path)
    try:
        os.rmdir(os.path.dirname(path))
    except OSError:                     # gone already
        pass


def unlink_if_possible(path):
    """Remove ``path``'s name (and its folder) while a GDAL handle keeps
    it open, where the system allows that (not on Windows); True if
    removed."""
    if os.name == "nt":
        return False
    remove_staging(path)
    return True


def open_staging(folder, grid_profile, factors, tags, descriptions, config):
    """The staging GeoTIFF of an output, open for writing.

    ``grid_profile``: rasterio-style width, height, crs, transform;
    ``factors``: the overview factors (2, 4, ...); ``tags``: metadata;
    ``descriptions``: one per band; ``config``: GDAL settings while
    writing. Use as a context manager in one thread; ``write`` each block,
    then hand the object to cog.write_cog. Failures raise OSError (or one
    of gdal_env.GDAL_ERRORS from rasterio).
    """
    path = staging_path(folder)
    profile = dict(grid_profile, driver="GTiff", count=3, dtype="uint8",
                   **STAGING_OPTIONS)
    gdal = osgeo_gdal()
    try:
        if gdal is None:
            return _RasterioStaging(path, profile, factors, tags,
                                    descriptions, config)
        return _GdalStaging(gdal, path, profile, factors, tags, descriptions,
                            config)
    except BaseException:
        remove_staging(path)
        raise


def creation_options(profile):
    """GDAL creation options (``["TILED=YES", ...]``) of a profile."""
    return ["{}={}".format(key.upper(), config_value(value).upper())
            for key, value in profile.items() if key not in RASTER_KEYS]


class _GdalStaging:
    """The staging file through osgeo.gdal."""

    def __init__(self, gdal, path, profile, factors, tags, descriptions,
                 config):
        from osgeo import osr
        self.gdal, self.path, self.config = gdal, path, config
        self.levels = len(factors)
        self.named = True                 # until its name is removed
        self.thread = GdalThread(gdal, config).__enter__()
        self.dataset = None
        try:
            self.dataset = self.thread.call(
                gdal.GetDriverByName("GTiff").Create, path,
                profile["width"], profile["height"], 3, gdal.GDT_Byte,
                options=creation_options(profile))
            self.named = not unlink_if_possible(path)
            effect = self.thread.effect
            effect(self.dataset.SetGeoTransform,
                   profile["transform"].to_gdal())
            with ExceptionsOn():          # GDAL 3.7+ warns without
                crs = osr.SpatialReference()
            effect(crs.SetFromUserInput, str(profile["crs"]))
            effect(self.dataset.SetProjection, crs.ExportToWkt())
            effect(self.dataset.SetMetadata, dict(tags))
            for index, text in enumerate(descriptions, start=1):
                effect(self.dataset.GetRasterBand(index).SetDescription,
                       text)
            self.thread.call(self.dataset.CreateMaskBand,
                             gdal.GMF_PER_DATASET)
            if factors:
                self.thread.call(self.dataset.BuildOverviews, "NONE",
                                 list(factors))
            bands = [self.dataset.GetRasterBand(i) for i in (1, 2, 3)]
            mask = bands[0].GetMaskBand()
            self.masks = [mask] + [mask.GetOverview(i)
                                   for i in range(self.levels)]
            self.overviews = [[band.GetOverview(i) for band in bands]
                              for i in range(self.levels)]
            del bands, mask         # held by the lists, closed with them
            self.thread.check()
        except BaseException:
            self.close()
            raise

    def write(self, top, left, rgb, mask):
        """Write ``rgb`` (3, rows, cols) and ``mask`` (rows, cols), uint8,
        255 where there is data, with their upper-left pixel at (top,
        left), and their share of each overview."""
        rows, cols = mask.shape
        call = self.thread.call
        call(self.dataset.WriteRaster, left, top, cols, rows,
             np.ascontiguousarray(rgb, dtype=np.uint8))
        call(self.masks[0].WriteRaster, left, top, cols, rows,
             np.ascontiguousarray(mask, dtype=np.uint8))
        # No local name holds a band: a failure's traceback would keep the
        # file open after close().
        for level, row, col, small, small_mask in block_overviews(
                top, left, rgb, mask, self.levels):
            height, width = small_mask.shape
            for index in range(3):
                call(self.overviews[level][index].WriteRaster, col, row,
                     width, height, np.ascontiguousarray(small[index]))
            call(self.masks[level + 1].WriteRaster, col, row, width, height,
                 small_mask)
        self.thread.check()

    def source(self):
        """The staging dataset, for cog.write_cog to copy (in any one
        thread at a time)."""
        return self.dataset

    def close(self, background=False):
        """Close (and remove) the staging file; with ``background``, where
        it has no name left, in a thread of its own: GDAL writes out the
        blocks it still holds as the file closes, time a cancelled run
        need not wait for."""
        dataset = [self.dataset]
        self.masks = self.overviews = self.dataset = None
        if self.thread is not None:
            self.thread.__exit__(None, None, None)
            self.thread = None
        if background and not self.named:
            def drop(call):
                with GdalThread(self.gdal, self.config):  # errors unheard
                    _drop(dataset, self.gdal)
            run_detached(drop, "s2eq-staging")
            return
        _drop(dataset, self.gdal)
        remove_staging(self.path)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc_info):
        # A cancelled run ends at once. Otherwise the caller waits: the
        # file is gone when it reports (a full disk has its room back),
        # and a process that exits or shuts GDAL down right after a run
        # finds no thread still inside GDAL.
        self.close(background=exc_type is not None
                   and issubclass(exc_type, Cancelled))


def _drop(held, gdal):
    """Close the dataset ``held`` holds (a list of one), whatever GDAL says
    of it: the staging file is thrown away, and its last blocks with it.
    With GDAL's exceptions on (a process-wide switch that QGIS and other
    plugins may turn), GDAL 3.7 and later raise from a dataset's destructor
    when its close fails (a full disk), and Python prints that as an
    "Exception ignored" traceback: here they are off, in this thread, and
    GDAL's message unheard."""
    manager = getattr(gdal, "ExceptionMgr", None)
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        with (manager(useExceptions=False) if manager is not None
              else contextlib.nullcontext()):
            held.clear()
    finally:
        gdal.PopErrorHandler()


class _RasterioStaging:
    """The staging file through rasterio; GDAL builds the overviews from
    the full-resolution image before the copy."""

    def __init__(self, path, profile, factors, tags, descriptions, config):
        self.path, self.factors = path, factors
        self.stack = contextlib.ExitStack()
        try:
            self.stack.enter_context(rasterio.Env(**config))
            # Some failures (a full disk) reach only GDAL's error handler.
            self.errors = self.stack.enter_context(GdalErrors())
            self.dataset = rasterio.open(path, "w", **profile)
            self.stack.callback(self.dataset.close)
            unlink_if_possible(path)
            self.dataset.update_tags(**tags)
            for index, text in enumerate(descriptions, start=1):
                self.dataset.set_band_description(index, text)
        except BaseException:
            self.close()
            raise

    def write(self, top, left, rgb, mask):
        """As _GdalStaging.write."""
        rows, cols = mask.shape
        window = Window(left, top, cols, rows)
        self.dataset.write(rgb, window=window)
        self.dataset.write_mask(mask, window=window)

    def source(self):
        """The staging dataset with its overviews built."""
        if self.factors:
            self.dataset.build_overviews(self.factors, Resampling.average)
        self.errors.check()
        return self.dataset

    def close(self):
        self.stack.close()
        remove_staging(self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
