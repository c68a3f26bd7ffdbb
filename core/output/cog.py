"""The output written from the staging file (staging.py) as a Cloud
Optimized GeoTIFF: every directory at the start of the file, then the
overviews from the smallest up, then the full-resolution image, each tile
of the image followed by its tile of the mask. A tile server or QGIS over
``/vsicurl/`` reads the overview it needs, and its mask, in a few small
requests.

GDAL's GTiff driver writes that layout when it copies a dataset with its
overviews (COPY_SRC_OVERVIEWS); the pixels are compressed as they are
copied, on every core. Through ``osgeo.gdal``, which releases Python's GIL,
the copy runs in a worker thread while the caller reports progress and
checks for cancel (GDAL calls back for every tile, so it stops at once).
Without it, rasterio makes the same copy, holding the GIL.
"""

import rasterio
import rasterio.shutil

from ..gdal.native import remove_quietly, run_polled
from ..gdal.thread import GdalThread, osgeo_gdal
from .staging import TILE, creation_options

#: Creation options of every output besides its compression.
LAYOUT_OPTIONS = {"tiled": True, "blockxsize": TILE, "blockysize": TILE,
                  "interleave": "pixel", "num_threads": "ALL_CPUS",
                  "copy_src_overviews": True}


def write_cog(staging, path, compression, config, report=None,
              cancelled=None):
    """Write ``staging`` (an open tiff_writer staging file) at ``path``.

    ``compression``: creation options of the pixels (encoding.Encoding);
    ``config``: GDAL settings; ``report(share)`` receives the share (0..1)
    done; ``cancelled()`` is checked every native.POLL_SECONDS. Raises
    Cancelled, or OSError with GDAL's message when GDAL fails (a full
    disk, say).
    """
    options = dict(LAYOUT_OPTIONS, **compression)
    gdal = osgeo_gdal()
    if gdal is None:
        with rasterio.Env(**config):
            rasterio.shutil.copy(staging.source(), path, driver="GTiff",
                                 **options)
        return
    # Held in a list the copy empties: no frame of a failed copy's
    # traceback keeps the staging file open.
    source = [staging.source()]

    def copy(call):
        def progress(complete, message, data):
            call.share = complete
            return 0 if call.stop.is_set() else 1      # 0: GDAL stops

        with GdalThread(gdal, config) as thread:
            try:
                written = thread.call(
                    gdal.GetDriverByName("GTiff").CreateCopy, path,
                    source[0], options=creation_options(options),
                    callback=progress)
            finally:
                source.clear()
            try:
                thread.effect(written.FlushCache)
            finally:
                # Closing writes the last tiles (a failure there reaches
                # the thread's errors); closed here, not when an
                # exception's frames go.
                del written
            thread.check()

    run_polled(copy, "s2eq-cog", cancelled, report,
               abandoned=lambda: remove_quietly(path))
