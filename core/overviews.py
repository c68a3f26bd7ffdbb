"""Internal overviews of a written GeoTIFF, built while the caller stays
responsive.

GDAL builds a full tile's overviews in about 4 s of native work. rasterio's
``build_overviews`` holds Python's GIL for all of it, so every other Python
thread stops, QGIS's main thread (map, progress bar, Cancel button)
included. Through ``osgeo.gdal`` (see gdal_thread) the same
``GDALBuildOverviews`` call on the same file, with the same settings, gives
the same file byte for byte, releases the GIL, and takes a progress
callback, which also stops GDAL on cancel.

The build runs in a worker thread (native.run_polled). GDAL calls back a
few times a second while it averages the image, but not while it reduces
the no-data mask (about 0.6 s of a full tile), so a cancelled build may be
left to finish on its own; it then deletes the file.

Without ``osgeo.gdal`` (a command line with rasterio alone) rasterio builds
the overviews, holding the GIL, which matters only to a GUI.
"""

import rasterio
from rasterio.enums import Resampling

from .gdal_thread import GdalThread, osgeo_gdal
from .native import remove_quietly, run_polled


def build_overviews(path, factors, config, report=None, cancelled=None):
    """Add internal overviews at ``factors`` (2, 4, ...), pixel averages,
    to the GeoTIFF at ``path``.

    ``config``: GDAL settings (name -> str, bool or int) for the build.
    ``report(share)`` receives the share (0..1) done; ``cancelled()`` is
    checked every native.POLL_SECONDS. Raises Cancelled, or OSError with
    GDAL's message when GDAL fails (a full disk, say).
    """
    gdal = osgeo_gdal()
    if gdal is None:
        with rasterio.Env(**config), rasterio.open(path, "r+") as dataset:
            dataset.build_overviews(factors, Resampling.average)
        return

    def build(call):
        def progress(complete, message, data):
            call.share = complete
            return 0 if call.stop.is_set() else 1      # 0: GDAL stops

        with GdalThread(gdal, config) as thread:
            dataset = thread.call(gdal.Open, path, gdal.GA_Update)
            try:
                thread.call(dataset.BuildOverviews, "AVERAGE", list(factors),
                            callback=progress)
            finally:
                # Closing writes the last overview tiles and directories (a
                # failure there reaches the thread's errors); closed here,
                # not when an exception's frames go.
                del dataset
            thread.check()

    run_polled(build, "s2eq-overviews", cancelled, report,
               abandoned=lambda: remove_quietly(path))
