"""The output format: an 8-bit RGB GeoTIFF, tiled, JPEG-compressed, with an
internal no-data mask and internal overviews, written block by block."""

import rasterio
from rasterio.enums import Resampling
from rasterio.windows import Window

from .errors import OutputError, first_line
from .gdal_env import GDAL_ERRORS, GdalErrors
from .output import AtomicOutput

#: Output tile size in pixels.
TILE = 512
JPEG_QUALITY = 85
#: Overviews stop once the image fits in this many pixels.
OVERVIEW_MIN_SIZE = 256

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


def add_overviews(path, width, height):
    """Internal overviews (halving down to OVERVIEW_MIN_SIZE), so QGIS pans
    and zooms a full tile at once. Call inside GDAL_WRITE_OPTIONS."""
    factors = overview_factors(width, height)
    if factors:
        with rasterio.open(path, "r+") as dst:
            dst.build_overviews(factors, Resampling.average)


def write_geotiff(output, grid, blocks, tags, descriptions, progress,
                  overviews=True, advance=None):
    """Write the RGB GeoTIFF atomically at ``output``.

    ``grid``: the output grid (reading.Grid). ``blocks``: a sized iterable
    of ``((top, rows, left, cols), rgb, mask)``, rgb uint8 (3, rows, cols)
    and mask uint8 (rows, cols), 255 where there is data; together they
    cover the grid. ``tags``: metadata; ``descriptions``: one per band.
    ``progress``: a progress.Progress, checked for cancel between blocks;
    ``advance(share)`` receives the share (0..1) of blocks written.

    Raises OutputError (or Cancelled) with nothing left at ``output``.
    """
    profile = geotiff_profile(grid.width, grid.height,
                              "EPSG:{}".format(grid.epsg), grid.transform)
    total = max(len(blocks), 1)
    try:
        with AtomicOutput(output) as target, \
                rasterio.Env(**GDAL_WRITE_OPTIONS), GdalErrors() as errors:
            partial = target.partial
            with rasterio.open(partial, "w", **profile) as dst:
                dst.update_tags(**tags)
                for index, text in enumerate(descriptions, start=1):
                    dst.set_band_description(index, text)
                for done, ((top, rows, left, cols), rgb, mask) in enumerate(
                        blocks, 1):
                    progress.check()
                    window = Window(left, top, cols, rows)
                    dst.write(rgb, window=window)
                    dst.write_mask(mask, window=window)
                    if advance:
                        advance(done / float(total))
            errors.check()
            progress.check()
            if overviews:
                add_overviews(partial, grid.width, grid.height)
            errors.check()
            with rasterio.open(partial) as written:     # its directory reads
                written.read(1, window=Window(grid.width - 1,
                                              grid.height - 1, 1, 1))
            errors.check()
            progress.check()
            target.commit()
    except GDAL_ERRORS + (OSError,) as exc:
        raise OutputError(
            "Writing '{}' failed ({}). Check that the disk has room and the "
            "folder is writable; nothing was written there.".format(
                output, first_line(exc)))

