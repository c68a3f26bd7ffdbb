"""Checks of Cloud Optimized GeoTIFFs for the tests (a helper, not tests).

``cog_report``/``cog_errors``: GDAL's own validator on a file.
``read_parts``/``read_remote``: what a viewer reads first (the smallest
overview with its mask, one full-resolution block with its mask), from a
file or through GDAL's /vsicurl/, so a test can compare the two and see how
much of the file a remote reader fetched from a range_server.served one.
"""

import contextlib
from collections import namedtuple

import numpy as np
from osgeo import gdal
from osgeo_utils.samples import validate_cloud_optimized_geotiff

#: What GDAL's validator says of a file: lists of warning and error
#: messages, and the offsets of its IFDs and first blocks.
CogReport = namedtuple("CogReport", "warnings errors details")

#: What read_parts reads. ``overview``: (bands, rows, cols) of the smallest
#: overview, ``overview_mask`` its mask (0 no data, 255 data), both None
#: without overviews; ``block``, ``block_mask``: the same of one block of
#: the full resolution, at ``window`` (xoff, yoff, cols, rows).
Parts = namedtuple("Parts", "overview overview_mask block block_mask window")

#: GDAL settings of a remote read: no listing of the server's folder and no
#: probe for side-car files (.aux.xml, .msk, .ovr), no cache of whole
#: files on top of /vsicurl/'s own, which VSICurlClearCache empties.
REMOTE_OPTIONS = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
                  "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif",
                  "VSI_CACHE": "FALSE",
                  "GDAL_PAM_ENABLED": "NO",
                  "GDAL_HTTP_TIMEOUT": "30"}


def cog_report(path):
    """GDAL's validator on ``path``, with the full check of block leaders,
    trailers and of masks interleaved with the imagery."""
    return CogReport(*validate_cloud_optimized_geotiff.validate(
        str(path), full_check=True))


def cog_errors(path):
    """The errors GDAL's validator finds in ``path`` ([] for a valid
    Cloud Optimized GeoTIFF); cog_report(path).warnings has its warnings."""
    return cog_report(path).errors


@contextlib.contextmanager
def config_options(options):
    """GDAL configuration ``options`` for this thread only, restored on
    leaving (gdal.config_options from GDAL 3.7 on, by hand before)."""
    if hasattr(gdal, "config_options"):
        with gdal.config_options(options, thread_local=True):
            yield
        return
    was = {key: gdal.GetThreadLocalConfigOption(key, None)
           for key in options}
    try:
        for key, value in options.items():
            gdal.SetThreadLocalConfigOption(key, value)
        yield
    finally:
        for key, value in was.items():
            gdal.SetThreadLocalConfigOption(key, value)


def block_pieces(path, block=(0, 0)):
    """The (offset, byte count) of every TIFF block read_parts(path, block)
    decodes: all blocks of the smallest overview and the full-resolution
    block ``block``, of every band and of the mask, each piece once."""
    dataset = _open(path)
    try:
        bands = [dataset.GetRasterBand(i + 1)
                 for i in range(dataset.RasterCount)]
        first = bands[0]
        wanted = [(bands, [tuple(block)])]
        count = first.GetOverviewCount()
        if count:
            smallest = [band.GetOverview(count - 1) for band in bands]
            cols, rows = smallest[0].GetBlockSize()
            wanted.append((smallest, [
                (x, y) for y in range(-(-smallest[0].YSize // rows))
                for x in range(-(-smallest[0].XSize // cols))]))
        pieces = set()
        for level, blocks in wanted:
            for band in level + [level[0].GetMaskBand()]:
                for x, y in blocks:
                    offset = band.GetMetadataItem(
                        "BLOCK_OFFSET_{}_{}".format(x, y), "TIFF")
                    size = band.GetMetadataItem(
                        "BLOCK_SIZE_{}_{}".format(x, y), "TIFF")
                    if offset and size and int(size):
                        pieces.add((int(offset), int(size)))
        return sorted(pieces)
    finally:
        dataset = None


def _open(path):
    dataset = gdal.Open(str(path))
    if dataset is None:                  # without gdal.UseExceptions()
        raise RuntimeError("GDAL cannot open {}: {}".format(
            path, gdal.GetLastErrorMsg()))
    return dataset


def read_parts(path, block=(0, 0)):
    """The Parts of the GeoTIFF at ``path`` (any GDAL path): the smallest
    overview of every band and its mask, and the full-resolution block
    ``block`` = (column, row) of the block grid with its mask."""
    dataset = _open(path)
    try:
        bands = [dataset.GetRasterBand(i + 1)
                 for i in range(dataset.RasterCount)]
        first = bands[0]
        overview = overview_mask = None
        count = first.GetOverviewCount()
        if count:
            smallest = [band.GetOverview(count - 1) for band in bands]
            overview = np.stack([band.ReadAsArray() for band in smallest])
            overview_mask = smallest[0].GetMaskBand().ReadAsArray()
        cols, rows = first.GetBlockSize()
        xoff, yoff = block[0] * cols, block[1] * rows
        if not (0 <= xoff < dataset.RasterXSize
                and 0 <= yoff < dataset.RasterYSize):
            raise ValueError("block {} is outside the {} x {} image".format(
                block, dataset.RasterXSize, dataset.RasterYSize))
        window = (xoff, yoff, min(cols, dataset.RasterXSize - xoff),
                  min(rows, dataset.RasterYSize - yoff))
        pixels = np.stack([band.ReadAsArray(*window) for band in bands])
        mask = first.GetMaskBand().ReadAsArray(*window)
        return Parts(overview, overview_mask, pixels, mask, window)
    finally:
        dataset = None


def read_remote(url, block=(0, 0), options=None):
    """read_parts of ``url`` through /vsicurl/, with REMOTE_OPTIONS (and
    ``options`` on top) set for this thread; /vsicurl/'s cache is emptied
    first, so a server's counts are those of this read alone."""
    gdal.VSICurlClearCache()
    with config_options(dict(REMOTE_OPTIONS, **(options or {}))):
        return read_parts("/vsicurl/" + url, block)
