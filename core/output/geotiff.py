"""The output format: an 8-bit RGB Cloud Optimized GeoTIFF, tiled,
compressed as encoding.py chooses (JPEG by default), with an internal
no-data mask and internal overviews.

The blocks go to an uncompressed staging file with their share of each
overview (tiff_writer.py, pyramid.py); once the last one is in, the
staging file is copied into the output in the Cloud Optimized layout,
compressed on the way (cog.py).
"""

import rasterio
from rasterio.windows import Window

from ..errors import first_line
from ..gdal.env import GDAL_ERRORS, GdalErrors
from .atomic import AtomicOutput, write_failed
from .cog import write_cog
from .encoding import Encoding
from .pyramid import overview_factors
from .staging import TILE, open_staging

#: TILE (the output's tile size) is part of the format, named here too.
__all__ = ["TILE", "GDAL_WRITE_OPTIONS", "write_geotiff"]

#: The writer's last steps on the share (0..1) of a run that ``tail``
#: reports by default (the last 5 %): the copy into the output fills it up
#: to CHECK_SHARE, then the written file is read back and renamed into
#: place.
TAIL_START, CHECK_SHARE = 0.95, 0.95
#: What the log says as the copy starts.
COPY_MESSAGE = "Writing the Cloud Optimized GeoTIFF"

#: GDAL settings while writing: the no-data mask inside the GeoTIFF, no
#: .aux.xml beside it, tiles compressed on every core.
GDAL_WRITE_OPTIONS = {"GDAL_TIFF_INTERNAL_MASK": True,
                      "GDAL_PAM_ENABLED": False,
                      "GDAL_NUM_THREADS": "ALL_CPUS"}


def write_geotiff(output, grid, blocks, tags, descriptions, progress,
                  overviews=True, advance=None, tail=None, encoding=None,
                  scratch_dir=None):
    """Write the RGB GeoTIFF atomically at ``output``.

    ``grid``: the output grid (reading.Grid). ``blocks``: a sized iterable
    of ``((top, rows, left, cols), rgb, mask)``, rgb uint8 (3, rows, cols),
    black where there is no data, and mask uint8 (rows, cols), 255 where
    there is data; together they cover the grid, and each starts on a
    whole output tile. ``tags``: metadata; ``descriptions``: one per band.
    ``progress``: a progress.Progress, checked for cancel between blocks
    and steps; ``advance(share)`` receives the share (0..1) of blocks
    written, ``tail(share)`` that of the steps after them (the copy into
    the output, the check of the file), by default the run's last 5 %.
    ``encoding``: an encoding.Encoding (default: natural colour's);
    ``scratch_dir``: where the staging file goes (None: the system's
    temporary folder).

    Raises OutputError (or Cancelled) with nothing left at ``output``.
    """
    encoding = encoding or Encoding()
    factors = overview_factors(grid.width, grid.height) if overviews else []
    where = {"width": grid.width, "height": grid.height,
             "crs": "EPSG:{}".format(grid.epsg), "transform": grid.transform}
    total = max(len(blocks), 1)
    tail = tail or progress.span(TAIL_START, 1.0 - TAIL_START)
    try:
        with AtomicOutput(output, scratch_dir,
                          progress.log) as target, open_staging(
                scratch_dir, where, factors, tags, descriptions,
                GDAL_WRITE_OPTIONS) as staging:
            for done, ((top, rows, left, cols), rgb, mask) in enumerate(
                    blocks, 1):
                progress.check()
                staging.write(top, left, rgb, mask)
                if advance:
                    advance(done / float(total))
            progress.check()
            progress.log(COPY_MESSAGE)
            write_cog(staging, target.partial, encoding.creation_options(),
                      GDAL_WRITE_OPTIONS,
                      lambda share: tail(CHECK_SHARE * share),
                      progress.cancelled)
            tail(CHECK_SHARE)
            progress.check()
            _check_readable(target.partial, grid)
            progress.check()
            target.commit()
    except GDAL_ERRORS + (OSError,) as exc:
        raise write_failed(output, first_line(exc))


def _check_readable(path, grid):
    """Read the file's last pixel back: its directories and last tile are
    sound. (One small tile: a few milliseconds.)"""
    with rasterio.Env(**GDAL_WRITE_OPTIONS), GdalErrors() as errors:
        with rasterio.open(path) as written:
            written.read(1, window=Window(grid.width - 1, grid.height - 1,
                                          1, 1))
        errors.check()
