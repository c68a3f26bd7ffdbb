"""The whole job: a product and three bands in, an equalized RGB GeoTIFF out.

1. Each band is decoded once onto the output grid (``reading``), feeding its
   sampled histogram.
2. Each histogram becomes a lookup table (``equalize``).
3. The spooled bands go through their tables into an 8-bit, tiled, JPEG
   (YCbCr) GeoTIFF with an internal no-data mask and internal overviews.

The GeoTIFF is written under a temporary name beside the output and renamed
into place only when complete, so a failed or cancelled run leaves no file
at the output path and never damages a file that was there before.
"""

import datetime
import functools
import logging
import os
import tempfile
import threading

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.env import get_gdal_config, set_gdal_config
from rasterio.windows import Window

from .bands import DEFAULT_BANDS, RESOLUTIONS, check_band
from .equalize import DEFAULT_SEED, BandHistogram, apply_lut
from .errors import BandError, Cancelled, DataError, OutputError, first_line
from .product import open_product
from .reading import (GDAL_ERRORS, Spool, choose_zone, output_grid,
                      prefetched, spool_bands)

#: Output tile size in pixels.
TILE = 512
#: Rows equalized and written at a time (a row of output tiles). A block is
#: one spool stripe wide, so each band's part of it is a single read
#: straight from the spool. (With blocks twice as wide, the write pass of a
#: 10980-pixel tile took 0.2-0.3 s longer, mostly in page faults.)
WRITE_ROWS = TILE
#: Upper bound on GDAL's block cache during a run, in bytes. GDAL keeps the
#: tiles written to a GeoTIFF in that cache until it is full (by default 5 %
#: of RAM), so a full tile's output would sit there uncompressed, about
#: 0.5 GiB, and its overviews would read it all back in.
GDAL_CACHE_BYTES = 64 * 2 ** 20
JPEG_QUALITY = 85
#: Overviews stop once the image fits in this many pixels.
OVERVIEW_MIN_SIZE = 256
#: Share of the progress bar spent on each stage.
READ_SHARE, WRITE_SHARE = 0.80, 0.15


class Options:
    """Everything one run needs, in plain Python values.

    ``sample_fraction``: share (0 < f <= 1) of each band's valid pixels that
    feed its histogram. ``resolution``: 10, 20 or 60 (m), or None for the
    finest of the chosen bands. ``utm_zone``: 1-60, or None for the zone
    holding most granules. ``scratch_dir``: where the band spools go (None:
    the system's temporary folder).
    """

    def __init__(self, product, output, bands=DEFAULT_BANDS,
                 sample_fraction=0.01, resolution=None, utm_zone=None,
                 seed=DEFAULT_SEED, scratch_dir=None, software="",
                 overviews=True):
        self.product = product
        self.output = output
        self.bands = tuple(bands)
        self.sample_fraction = sample_fraction
        self.resolution = resolution
        self.utm_zone = utm_zone
        self.seed = seed
        self.scratch_dir = scratch_dir
        self.software = software
        self.overviews = overviews


class Result:
    """What a run produced."""

    def __init__(self, output, layer_name, product, grid, bands, sampled,
                 tables):
        self.output = output
        self.layer_name = layer_name
        self.product = product
        self.grid = grid
        self.bands = bands
        self.sampled = sampled        # band -> pixels that fed its histogram
        self.tables = tables          # band -> its uint8 lookup table


class _Progress:
    """Maps stage progress onto one 0-100 scale and checks for cancel."""

    def __init__(self, report=None, is_cancelled=None, log=None):
        self.report = report
        self.is_cancelled = is_cancelled
        self.log = log or (lambda message: None)

    def cancelled(self):
        return bool(self.is_cancelled and self.is_cancelled())

    def check(self):
        if self.cancelled():
            raise Cancelled()

    def at(self, share):
        if self.report:
            self.report(max(0.0, min(100.0, 100.0 * share)))


def layer_name(product, granules, bands):
    """A name that says what the image is: tiles, sensing date, bands."""
    return "{} {} {} equalized".format(
        "+".join("T" + t for t in dict.fromkeys(g.tile for g in granules)),
        product.sensing_date, "-".join(bands))


def check_output_path(output, product=None):
    """Raise OutputError if ``output`` cannot or must not be written."""
    if not output:
        raise OutputError("No output file given. Choose where to save the "
                          "GeoTIFF.")
    folder = os.path.dirname(os.path.abspath(output)) or "."
    if not os.path.isdir(folder):
        raise OutputError("The output folder '{}' does not exist. Create it "
                          "or choose another output file.".format(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError("The output folder '{}' is not writable. Choose "
                          "another output file.".format(folder))
    if os.path.isdir(output):
        raise OutputError("The output '{}' is a folder. Give a file name "
                          "ending in .tif.".format(output))
    if product is not None:
        target = os.path.realpath(output)
        source = product.source
        inputs = [product.metadata_path]
        if hasattr(source, "zip_path"):
            inputs.append(source.zip_path)
        for granule in product.granules:
            for files in granule.band_files.values():
                inputs.extend(source.gdal_path(p) for p in files.values())
        if any(os.path.realpath(p) == target for p in inputs
               if not p.startswith("/vsi")):
            raise OutputError("The output '{}' is a file of the input "
                              "product. Choose another output file."
                              .format(output))


def run(options, report=None, is_cancelled=None, log=None):
    """Equalize ``options.bands`` of ``options.product`` into
    ``options.output``.

    ``report(percent)`` receives progress (0-100); ``is_cancelled()`` is
    polled between blocks; ``log(message)`` receives one-line notes.
    Returns a Result. Raises EqualizerError subclasses (Cancelled included)
    with nothing left at the output path.
    """
    with BoundedGdalCache():
        return _run(options, _Progress(report, is_cancelled, log))


def _run(options, progress):
    bands = tuple(check_band(b) for b in options.bands)
    if len(bands) != 3:
        raise BandError("Choose exactly three bands (red, green, blue).")
    if not 0.0 < float(options.sample_fraction) <= 1.0:
        raise DataError("The sample share must be above 0 % and at most "
                        "100 %.")
    product = open_product(options.product)
    check_output_path(options.output, product)
    progress.log("Product: {}".format(product.describe()))

    resolution = options.resolution or min(
        product.band_resolution(b) for b in bands)
    for band in bands:
        product.band_resolution(band)     # raises for a band it lacks
    if resolution not in RESOLUTIONS:
        raise BandError("Output resolution must be one of {} m.".format(
            ", ".join(str(r) for r in RESOLUTIONS)))
    epsg = choose_zone(product, options.utm_zone)
    grid, granules = output_grid(product, resolution, epsg)
    if len(product.epsg_codes) > 1:
        progress.log("The product spans UTM zones {}; writing zone {} (set "
                     "UTM_ZONE to choose).".format(
                         ", ".join(str(c % 100) for c in product.epsg_codes),
                         epsg % 100))
    progress.log("Output grid: {} x {} pixels of {} m, EPSG:{}".format(
        grid.width, grid.height, grid.resolution, grid.epsg))

    unique = list(dict.fromkeys(bands))      # a band asked twice is read once
    spools = []
    try:
        spools = [Spool(grid.width, grid.height, options.scratch_dir)
                  for _ in unique]
        counters = [BandHistogram(options.sample_fraction, options.seed,
                                  stream=number, nodata=product.nodata,
                                  saturated=product.saturated)
                    for number in range(len(unique))]
        spool_bands(product, granules, unique, grid, spools, counters,
                    progress.cancelled,
                    lambda share: progress.at(READ_SHARE * share))
        tables, sampled = {}, {}
        for band, counter in zip(unique, counters):
            tables[band] = _lookup_table(counter, band, options)
            sampled[band] = counter.sampled_pixels
            progress.log("{}: {} of {} valid pixels sampled".format(
                band, counter.sampled_pixels, counter.valid_pixels))
        spools_rgb = [spools[unique.index(band)] for band in bands]
        luts = [tables[band] for band in bands]
        name = layer_name(product, granules, bands)
        tags = _provenance(product, bands, options, grid)
        write_geotiff(options.output, grid, spools_rgb, luts, product, tags,
                      bands, progress, options.overviews)
    finally:
        for spool in spools:
            spool.close()
    progress.at(1.0)
    return Result(options.output, name, product, grid, bands, sampled,
                  tables)


def _lookup_table(counter, band, options):
    if counter.valid_pixels == 0:
        raise DataError("Band {} holds no valid pixel: it is all no-data, so "
                        "the image would be empty. Choose another band or "
                        "product.".format(band))
    if counter.sampled_pixels == 0:
        raise DataError(
            "SAMPLE_PERCENT {:g} drew no valid pixel of band {} (it has {}). "
            "Raise SAMPLE_PERCENT; 100 uses every pixel.".format(
                options.sample_fraction * 100.0, band, counter.valid_pixels))
    return counter.lookup_table()


def _provenance(product, bands, options, grid):
    return {
        "S2EQ_PRODUCT": product.name,
        "S2EQ_BANDS": ",".join(bands),
        "S2EQ_SAMPLE_PERCENT": "{:g}".format(options.sample_fraction * 100.0),
        "S2EQ_SEED": str(options.seed),
        "S2EQ_PROCESSING_BASELINE": product.baseline,
        "S2EQ_PRODUCT_LEVEL": product.level,
        "S2EQ_SENSING_TIME": product.sensing,
        "S2EQ_RESOLUTION": str(grid.resolution),
        "S2EQ_SOFTWARE": options.software,
        "TIFFTAG_SOFTWARE": options.software or "Sentinel-2 Equalizer",
        "TIFFTAG_DATETIME": datetime.datetime.now().strftime(
            "%Y:%m:%d %H:%M:%S"),
        "TIFFTAG_IMAGEDESCRIPTION": "{} bands {} histogram-equalized".format(
            product.name, "/".join(bands)),
    }


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


class BoundedGdalCache:
    """Lowers GDAL's block cache to GDAL_CACHE_BYTES while any run is on.

    The cache size is process-wide: the first run to start lowers it, the
    last to finish puts back what was there, so concurrent runs (batch, or
    two tasks in QGIS) never leave it lowered.
    """

    _lock = threading.Lock()
    _runs = 0
    _saved = None

    def __enter__(self):
        cls = type(self)
        with cls._lock:
            if cls._runs == 0:
                current = int(get_gdal_config("GDAL_CACHEMAX") or 0)
                if current > GDAL_CACHE_BYTES:
                    cls._saved = current
                    set_gdal_config("GDAL_CACHEMAX", GDAL_CACHE_BYTES)
            cls._runs += 1
        return self

    def __exit__(self, *exc_info):
        cls = type(self)
        with cls._lock:
            cls._runs -= 1
            if cls._runs == 0 and cls._saved is not None:
                set_gdal_config("GDAL_CACHEMAX", cls._saved)
                cls._saved = None


class _GdalErrors(logging.Handler):
    """Collects the errors GDAL signals in this thread while it is active.

    Some write failures, a full disk among them, surface only through GDAL's
    error handler (when a tile is flushed or the file is closed), never as a
    Python exception; rasterio passes them to its logger at INFO level.
    """

    LOGGER = logging.getLogger("rasterio._env")

    def __init__(self):
        super().__init__(logging.INFO)
        self.thread = threading.get_ident()
        self.messages = []

    def emit(self, record):
        if (record.thread == self.thread
                and record.getMessage().startswith("GDAL signalled an error")):
            args = record.args if isinstance(record.args, tuple) else ()
            self.messages.append(str(args[-1]) if args else
                                 record.getMessage())

    def __enter__(self):
        self._level = self.LOGGER.level
        if not self.LOGGER.isEnabledFor(logging.INFO):
            self.LOGGER.setLevel(logging.INFO)
        self.LOGGER.addHandler(self)
        return self

    def __exit__(self, *exc_info):
        self.LOGGER.removeHandler(self)
        self.LOGGER.setLevel(self._level)

    def check(self):
        if self.messages:
            raise OSError(self.messages[0])


def write_geotiff(output, grid, spools, luts, product, tags, bands, progress,
                  overviews=True):
    """Write the equalized RGB GeoTIFF atomically at ``output``."""
    folder = os.path.dirname(os.path.abspath(output))
    handle, partial = tempfile.mkstemp(
        prefix="." + os.path.basename(output) + ".", suffix=".partial",
        dir=folder)
    os.close(handle)
    # mkstemp makes the file private; the result gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(partial, 0o666 & ~umask)
    profile = geotiff_profile(grid.width, grid.height,
                              "EPSG:{}".format(grid.epsg), grid.transform)
    invalid = sorted({0, product.nodata})
    finished = False
    try:
        with rasterio.Env(**GDAL_WRITE_OPTIONS), _GdalErrors() as errors:
            with rasterio.open(partial, "w", **profile) as dst:
                dst.update_tags(**tags)
                for index, band in enumerate(bands, start=1):
                    dst.set_band_description(index, "{} equalized".format(band))
                # The next block is equalized while GDAL compresses this one.
                blocks = _blocks(spools[0])
                jobs = [functools.partial(_equalize_block, spools, luts,
                                          block, invalid) for block in blocks]
                for done, (block, (rgb, mask)) in enumerate(
                        zip(blocks, prefetched(jobs)), 1):
                    progress.check()
                    top, rows, left, cols = block
                    window = Window(left, top, cols, rows)
                    dst.write(rgb, window=window)
                    dst.write_mask(mask, window=window)
                    progress.at(READ_SHARE + WRITE_SHARE * done
                                / float(len(blocks)))
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
        os.replace(partial, output)
        finished = True
    except GDAL_ERRORS + (OSError,) as exc:
        raise OutputError(
            "Writing '{}' failed ({}). Check that the disk has room and the "
            "folder is writable; nothing was written there.".format(
                output, first_line(exc)))
    finally:
        if not finished:
            _remove(partial)


def _blocks(spool):
    """(top, rows, left, cols) of each block written at a time: one tile
    row of one spool stripe, in reading order, so memory does not grow with
    the width of the product."""
    return [(top, min(WRITE_ROWS, spool.height - top), left, cols)
            for top in range(0, spool.height, WRITE_ROWS)
            for left, cols in spool.stripes()]


def _equalize_block(spools, luts, block, invalid):
    """The equalized block (see map_planes) at ``block`` of the spools."""
    top, rows, left, cols = block
    # One band read at a time, so only one uint16 plane is held.
    return map_planes((spool.read(top, rows, left, cols) for spool in spools),
                      luts, invalid)


def map_planes(planes, luts, invalid=(0,)):
    """Map three uint16 (rows, cols) ``planes`` (any iterable) through their
    ``luts``.

    Returns RGB (3, rows, cols) uint8, black where any plane holds one of
    the ``invalid`` DNs, and the mask (rows, cols) uint8: 255 where every
    plane has data, else 0.
    """
    rgb = valid = None
    for index, (plane, lut) in enumerate(zip(planes, luts)):
        if rgb is None:
            rgb = np.empty((3,) + plane.shape, dtype=np.uint8)
        for dn in invalid:
            has_data = np.not_equal(plane, dn)
            valid = has_data if valid is None else np.logical_and(
                valid, has_data, out=valid)
        apply_lut(lut, plane, out=rgb[index])
    np.multiply(rgb, valid, out=rgb)        # no-data pixels black
    return rgb, np.multiply(valid, 255, dtype=np.uint8)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass
