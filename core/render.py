"""A whole run: a product and three bands in, an equalized RGB GeoTIFF out.

Without a curve, a run does both stages over one decode: each band is
decoded once onto the output grid into a spool while its sampled histogram
is drawn (measure), the histograms become lookup tables (curve), and the
spooled bands go through them into the GeoTIFF (write). Given a curve, a run
only writes, in one pass: decode, map, write, with no spool.

The method and colour mode (modes.py, mapping.py) decide what the curve
is made of and how a block is mapped; luminance mode and the adaptive
method also draw a grid measure from the spools between the two stages.
"""

import functools
from dataclasses import dataclass

import numpy as np

from .curves import curve as curves
from .curves.equalize import dn_table, map_planes
from .curves.mapping import check_curve, check_on_grid, grid_measure
from .curves.mapping import mapper as method_mapper
from .curves.totals import area_text
from .gdal.decode_warnings import DecodeWarnings
from .gdal.env import BoundedGdalCache
from .gdal.network import RemoteReading
from .measure import band_counters, measurement, no_valid_pixel
# Options: what callers pass to run(), by its long-standing name here.
from .options import ENCODING_TAG, OPTIONS_TAG, Options, options_tag  # noqa
from .output.atomic import check_output_path
from .output.encoding import check_encoding
from .output.geotiff import TILE, write_geotiff
from .output.provenance import layer_name, provenance
from .pixels.area import area_tags
from .pixels.clouds import cloud_tags
from .pixels.fetch import fetched_whole
from .pixels.reading import prefetched, spool_bands
from .pixels.spool import Spool
from .pixels.strips import STRIP_ROWS, band_strips
from .plan import check_sample, make_plan
from .product.checksums import start_verification
from .progress import Progress

#: Rows equalized and written at a time from the spools (a row of output
#: tiles). A block is one spool stripe wide, so each band's part of it is a
#: single read straight from the spool. (With blocks twice as wide, the
#: write pass of a 10980-pixel tile took 0.2-0.3 s longer, mostly in page
#: faults.)
WRITE_ROWS = TILE
#: Blocks equalized at once from the spools while the writer takes the
#: one before. numpy lets go of Python's lock only inside each call, so
#: more workers than two mostly wait for each other; two gain where the
#: calls are long enough (pieces of CHUNK_PIXELS). On a full tile the
#: write pass took about 0.5 s less with two in luminance mode, 0.1-0.2 s
#: less per band.
WRITE_WORKERS = 2
#: Share of the progress bar spent decoding, and writing, in a run that
#: measures its own histograms; the rest goes to overviews and checks.
READ_SHARE, WRITE_SHARE = 0.80, 0.15
#: The same for a run given a curve, where decoding and writing overlap.
ONE_PASS_SHARE = 0.95
#: The part of READ_SHARE that a grid measure takes, where there is one.
GRID_SHARE = 0.03


@dataclass
class Result:
    """What a run produced."""

    output: str
    layer_name: str
    product: object
    grid: object
    bands: tuple
    sampled: dict           # band -> pixels that fed its histogram
    tables: dict            # band -> the uint8 table its DNs went through
    curve: object           # the curve.Curve the tables came from
    clear_share: float = None   # 0-1 of the area clear, where clouds acted


def run(options, report=None, is_cancelled=None, log=None, warn=None):
    """Equalize ``options.bands`` of ``options.product`` into
    ``options.output``.

    ``report(percent)`` receives progress (0-100); ``is_cancelled()`` is
    polled between blocks; ``log(message)`` receives one-line notes,
    ``warn(message)`` warnings (GDAL's, while decoding; by default they go
    to ``log``). Returns a Result. Raises EqualizerError subclasses
    (ChecksumError for a damaged band file, Cancelled) with nothing left
    at the output path.
    """
    progress = Progress(report, is_cancelled, log, warn)
    check_sample(options.sample_fraction)
    options.how().check()
    check_encoding(options.compression, options.jpeg_quality)
    curve = options.curve
    if isinstance(curve, str):
        curve = curves.load(curve)
    with BoundedGdalCache(), DecodeWarnings(progress.warn), \
            RemoteReading(progress.log):
        plan = make_plan(options.product, options.bands, options.resolution,
                         options.utm_zone, progress.log, options.area,
                         options.clouds)
        check_output_path(options.output, plan.product.files(),
                          plan.product.folders())
        check_on_grid(options.how(), plan.grid)
        if curve is not None:
            curves.check_fits(curve, plan.unique_bands, plan.product.level)
            check_curve(options.how(), curve, plan)
            progress.log("Curve: {} ({} product{}{})".format(
                curve.source or "given", len(curve.products),
                "" if len(curve.products) == 1 else "s",
                ", measured over " + area_text(curve.area)
                if curve.area else ""))
        with fetched_whole(plan, options.scratch_dir, progress.log,
                           progress.cancelled), start_verification(
                plan, options.verify, progress.log) as verification:
            if curve is None:
                result = _measure_and_write(plan, options, progress,
                                            verification)
            else:
                result = _write_with(plan, curve, options, progress,
                                     verification)
    progress.at(1.0)
    return result


def product_tables(plan, curve):
    """Band -> the table that maps the product's DNs through ``curve``."""
    return {band: dn_table(curve.tables[band], plan.offset(band),
                           plan.product.saturated)
            for band in plan.unique_bands}


def _measure_and_write(plan, options, progress, verification):
    unique = plan.unique_bands
    grid = plan.grid
    spools = []
    try:
        spools = [Spool(grid.width, grid.height, options.scratch_dir)
                  for _ in unique]
        counters = band_counters(plan, options.sample_fraction, options.seed)
        how = options.how()
        sample = grid_measure(how, plan, options.sample_fraction,
                              options.seed)
        decoded = READ_SHARE - (GRID_SHARE if sample else 0.0)
        with verification.explaining(progress.cancelled):
            spool_bands(plan.product, plan.granules, unique, grid, spools,
                        counters, verification.stopping(progress.cancelled),
                        progress.span(0.0, decoded), plan.mask,
                        plan.counted)
        if sample:
            sample.run(spools, progress.cancelled,
                       progress.span(decoded, GRID_SHARE))
        curve = curves.combine([measurement(
            plan, counters, options.sample_fraction, options.seed,
            progress.log, grid=sample)], options.software)
        mapped, tables = method_mapper(how, plan, curve)
        planes = [spools[unique.index(band)] for band in plan.bands]
        blocks = _checked(verification, progress, spooled_blocks(
            planes, None, None, mapped))
        _write(plan, options, curve, blocks, progress,
               progress.span(READ_SHARE, WRITE_SHARE))
    finally:
        for spool in spools:
            spool.close()
    sampled = {band: curve.counts[band].sampled_pixels for band in unique}
    return Result(options.output, layer_name(plan.product, plan.granules,
                                             plan.bands, how.words()),
                  plan.product, grid, plan.bands, sampled, tables, curve,
                  plan.clear_share)


def _write_with(plan, curve, options, progress, verification):
    unique = plan.unique_bands
    mapped, tables = method_mapper(options.how(), plan, curve)
    strips = band_strips(plan.product, plan.granules, unique, plan.grid,
                         verification.stopping(progress.cancelled),
                         progress.span(0.0, ONE_PASS_SHARE), plan.mask)
    seen = _Seen(unique, plan.product.nodata, plan.product.saturated)
    blocks = _checked(verification, progress, _strip_blocks(
        strips, plan.grid.height, [unique.index(b) for b in plan.bands],
        None, None, mapped, seen))
    with verification.explaining(progress.cancelled):
        _write(plan, options, curve, blocks, progress)
    return Result(options.output, layer_name(
        plan.product, plan.granules, plan.bands, options.how().words(),
        curve), plan.product, plan.grid, plan.bands, {}, tables, curve,
        plan.clear_share)


def _checked(verification, progress, blocks):
    """``blocks``, then the band files' checksums: the writer gets the
    verdict after its last block, before it commits the output."""
    return _Sized(verification.checked(blocks, progress.cancelled),
                  len(blocks))


def _write(plan, options, curve, blocks, progress, advance=None):
    product, bands, how = plan.product, plan.bands, options.how()
    tags = provenance([product], bands, plan.grid.resolution, curve,
                      options.software, "{} bands {} {}".format(
                          product.name, "/".join(bands), how.describe()))
    tags.update(how.tags())
    tags.update(area_tags(options.area))
    tags.update(cloud_tags(options.clouds, [plan]))
    encoding = options.encoding(bands, plan.grid.resolution)
    tags[ENCODING_TAG] = encoding.describe()
    tags[OPTIONS_TAG] = options_tag(options)
    write_geotiff(options.output, plan.grid, blocks, tags,
                  ["{} equalized".format(b) for b in bands], progress,
                  options.overviews, advance, encoding=encoding,
                  scratch_dir=options.scratch_dir)


class _Sized:
    """An iterable of known length (the writer reports progress by it)."""

    def __init__(self, items, length):
        self.items, self.length = items, length

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return self.length


def spooled_blocks(spools, luts, invalid, mapped=None):
    """Blocks of one tile row by one spool stripe, in reading order, so
    memory does not grow with the width of the product; the next
    WRITE_WORKERS blocks are equalized while GDAL takes this one. Each
    block's planes go through ``luts`` (``invalid``: the no-data DNs), or
    through ``mapped(block, planes)`` (mapping.mapper) when given."""
    if mapped is None:
        mapped = _through(luts, invalid)
    first = spools[0]
    blocks = [(top, min(WRITE_ROWS, first.height - top), left, cols)
              for top in range(0, first.height, WRITE_ROWS)
              for left, cols in first.stripes()]
    jobs = [functools.partial(_equalize_spooled, spools, mapped, block)
            for block in blocks]
    return _Sized(((block,) + mapped for block, mapped in zip(
        blocks, prefetched(jobs, WRITE_WORKERS))), len(blocks))


def _through(luts, invalid):
    return lambda block, planes: map_planes(planes, luts, invalid)


def _equalize_spooled(spools, mapped, block):
    top, rows, left, cols = block
    # One band read at a time, so only one uint16 plane is held (by the
    # per-band tables; a method that needs the three at once reads them).
    return mapped(block, (spool.read(top, rows, left, cols)
                          for spool in spools))


def _strip_blocks(strips, height, order, luts, invalid, mapped=None,
                  seen=None):
    """Each strip of decoded planes mapped through ``luts`` (or
    ``mapped``, as for spooled_blocks) as one block; ``order``: which
    plane goes to red, green and blue. ``seen`` (a _Seen) looks at the
    planes, and after the last one raises for a band without a valid
    pixel."""
    if mapped is None:
        mapped = _through(luts, invalid)

    def blocks():
        for top, planes in strips:
            if seen is not None:
                seen.add(planes)
            rows, cols = planes[0].shape
            block = (top, rows, 0, cols)
            rgb, mask = mapped(block, [planes[i] for i in order])
            yield block, rgb, mask
        if seen is not None:
            seen.check()
    return _Sized(blocks(), -(-height // STRIP_ROWS))


class _Seen:
    """Whether each band of a run given a curve holds a valid pixel (not
    no-data, not saturated), so that it refuses what a run that measures
    its own histograms refuses (measure.check_counted). A band is looked
    at until its first valid pixel: most need one strip."""

    def __init__(self, bands, nodata, saturated):
        self.bands = list(bands)
        self.nodata = sorted({0, nodata})
        self.saturated = saturated
        #: band -> what it was seen to hold: "valid", "saturated", "no-data"
        self.found = {band: set() for band in self.bands}

    def add(self, planes):
        """Look at the decoded ``planes``, one per band."""
        for band, plane in zip(self.bands, planes):
            found = self.found[band]
            if "valid" in found:
                continue
            nodata = np.isin(plane, self.nodata)
            saturated = (plane == self.saturated if self.saturated is not None
                         else np.zeros(plane.shape, bool))
            if nodata.any():
                found.add("no-data")
            if saturated.any():
                found.add("saturated")
            if not (nodata | saturated).all():
                found.add("valid")

    def check(self):
        """Raise DataError for the first band without a valid pixel."""
        for band in self.bands:
            found = self.found[band]
            if "valid" not in found:
                raise no_valid_pixel(band, "saturated" in found,
                                     "no-data" in found)
