"""The output format: an 8-bit RGB GeoTIFF, tiled, JPEG-compressed, with an
internal no-data mask and internal overviews, written block by block."""

import rasterio
from rasterio.windows import Window

from .errors import OutputError, first_line
from .gdal_env import GDAL_ERRORS, GdalErrors
from .output import AtomicOutput
from .overviews import build_overviews
from .tiff_writer import open_geotiff

#: Output tile size in pixels.
TILE = 512
JPEG_QUALITY = 85
#: Overviews stop once the image fits in this many pixels.
OVERVIEW_MIN_SIZE = 256
#: The writer's last steps on the share (0..1) of a run that ``tail``
#: reports by default (the last 5 %): the overviews fill it up to
#: CHECK_SHARE, then the written file is read back and renamed into place.
TAIL_START, CHECK_SHARE = 0.95, 0.8

#: GDAL settings while writing: the no-data mask inside the GeoTIFF, no
#: .aux.xml beside it, and overviews computed on every core.
GDAL_WRITE_OPTIONS = {"GDAL_TIFF_INTERNAL_MASK": True,
                      "GDAL_PAM_ENABLED": False,
                      "GDAL_NUM_THREADS": "ALL_CPUS"}


def geotiff_profile(width, height, crs, transform):
    """Creation options of the output: 8-bit RGB, 512-pixel tiles, JPEG in
    YCbCr (about a third of the size of JPEG in RGB), tiles compressed on
    every core."""
    return {
        "driver": "GTiff", "width": width, "height": height, "count": 3,
        "dtype": "uint8", "crs": crs, "transform": transform, "tiled": True,
        "blockxsize": TILE, "blockysize": TILE, "compress": "JPEG",
        "photometric": "YCBCR", "jpeg_quality": JPEG_QUALITY,
        "interleave": "pixel", "num_threads": "ALL_CPUS",
    }


def overview_factors(width, height):
    """Reduction factors 2, 4, 8 ... down to OVERVIEW_MIN_SIZE pixels."""
    factors, factor = [], 2
    while max(width, height) / factor >= OVERVIEW_MIN_SIZE:
        factors.append(factor)
        factor *= 2
    return factors


def add_overviews(path, width, height, report=None, cancelled=None):
    """Internal overviews (halving down to OVERVIEW_MIN_SIZE), so QGIS pans
    and zooms a full tile at once; built without holding Python's GIL (see
    overviews.py). ``report(share)`` receives the share (0..1) done,
    ``cancelled()`` is checked as it goes."""
    factors = overview_factors(width, height)
    if factors:
        build_overviews(path, factors, GDAL_WRITE_OPTIONS, report, cancelled)


def write_geotiff(output, grid, blocks, tags, descriptions, progress,
                  overviews=True, advance=None, tail=None):
    """Write the RGB GeoTIFF atomically at ``output``.

    ``grid``: the output grid (reading.Grid). ``blocks``: a sized iterable
    of ``((top, rows, left, cols), rgb, mask)``, rgb uint8 (3, rows, cols)
    and mask uint8 (rows, cols), 255 where there is data; together they
    cover the grid. ``tags``: metadata; ``descriptions``: one per band.
    ``progress``: a progress.Progress, checked for cancel between blocks
    and steps; ``advance(share)`` receives the share (0..1) of blocks
    written, ``tail(share)`` that of the steps after them (overviews, the
    check of the file), by default the run's last 5 %.

    Raises OutputError (or Cancelled) with nothing left at ``output``.
    """
    profile = geotiff_profile(grid.width, grid.height,
                              "EPSG:{}".format(grid.epsg), grid.transform)
    total = max(len(blocks), 1)
    tail = tail or progress.span(TAIL_START, 1.0 - TAIL_START)
    try:
        with AtomicOutput(output) as target:
            partial = target.partial
            # Leaving this block flushes and closes the file (see
            # tiff_writer for why that need not freeze QGIS).
            with open_geotiff(partial, profile, tags, descriptions,
                              GDAL_WRITE_OPTIONS, progress.cancelled) as tiff:
                for done, ((top, rows, left, cols), rgb, mask) in enumerate(
                        blocks, 1):
                    progress.check()
                    tiff.write(top, left, rgb, mask)
                    if advance:
                        advance(done / float(total))
            progress.check()
            if overviews:
                progress.log("Building overviews")
                add_overviews(partial, grid.width, grid.height,
                              lambda share: tail(CHECK_SHARE * share),
                              progress.cancelled)
            tail(CHECK_SHARE)
            progress.check()
            _check_readable(partial, grid)
            progress.check()
            target.commit()
    except GDAL_ERRORS + (OSError,) as exc:
        raise OutputError(
            "Writing '{}' failed ({}). Check that the disk has room and the "
            "folder is writable; nothing was written there.".format(
                output, first_line(exc)))


def _check_readable(path, grid):
    """Read the file's last pixel back: its directories and last tile are
    sound. (One small tile: a few milliseconds.)"""
    with rasterio.Env(**GDAL_WRITE_OPTIONS), GdalErrors() as errors:
        with rasterio.open(path) as written:
            written.read(1, window=Window(grid.width - 1, grid.height - 1,
                                          1, 1))
        errors.check()
