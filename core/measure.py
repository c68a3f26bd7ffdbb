"""The measure stage: decode a product's bands and draw their sampled
histograms, on the reflectance scale; and, for luminance mode and the
adaptive method, the luminance histogram and the per-tile histograms
(gridsample.py)."""

from .curves.curve import BandCounts, Measurement
from .curves.equalize import DEFAULT_SEED, BandHistogram, to_reflectance_scale
from .curves.gridsample import GridMeasure
from .curves.luminance import LUMINANCE
from .curves.tiles import DEFAULT_TILE_SIZE, check_tile_size
from .errors import DataError
from .gdal.decode_warnings import DecodeWarnings
from .gdal.env import BoundedGdalCache
from .pixels.area import area_record
from .gdal.network import RemoteReading
from .pixels.fetch import fetched_whole
from .pixels.reading import spool_bands
from .pixels.spool import Spool
from .plan import check_sample, make_plan
from .product.checksums import start_verification
from .progress import Progress


def band_counters(plan, sample_fraction, seed):
    """One BandHistogram per band to decode, each with its own stream of
    the seeded sampler."""
    return [BandHistogram(sample_fraction, seed, stream=number,
                          nodata=plan.product.nodata,
                          saturated=plan.product.saturated)
            for number in range(len(plan.unique_bands))]


def measurement(plan, counters, sample_fraction, seed, log=None,
                strict=True, grid=None):
    """The Measurement made of ``counters`` (filled by a decode of
    ``plan``'s bands) and of ``grid`` (a gridsample.GridMeasure run over
    the same decode, or None). With ``strict``, raises DataError for a
    band with nothing counted; a mosaic does without, since a sliver of
    one product may add nothing to a sum that the others fill."""
    bands = {}
    for band, counter in zip(plan.unique_bands, counters):
        if strict:
            check_counted(band, counter.valid_pixels,
                          counter.sampled_pixels, sample_fraction,
                          counter.saturated_pixels, counter.pixels)
        if log:
            log("{}: {} of {} valid pixels sampled".format(
                band, counter.sampled_pixels, counter.valid_pixels))
        bands[band] = BandCounts(
            to_reflectance_scale(counter.counts, plan.offset(band)),
            counter.valid_pixels, counter.sampled_pixels)
    product = plan.product
    result = Measurement(
        product={"name": product.name, "level": product.level,
                 "baseline": product.baseline, "sensing": product.sensing},
        bands=bands, sample_fraction=float(sample_fraction), seed=int(seed),
        resolution=plan.grid.resolution)
    if grid is not None:
        add_grid_measure(result, grid, log)
    return result


def add_grid_measure(result, grid, log=None):
    """Put what the gridsample.GridMeasure ``grid`` drew into the
    Measurement ``result``: the luminance histogram (as its LUMINANCE
    band) and the per-tile histograms, where ``grid`` drew them."""
    if grid.luminance:
        result.bands[LUMINANCE] = grid.luminance_band()
        result.luminance_of = tuple(grid.shown)
        if log:
            log("Luminance of {}: {} pixels sampled".format(
                "/".join(grid.shown), result.bands[LUMINANCE].sampled_pixels))
    if grid.tiles is not None:
        result.tiles = {grid.grid.epsg: grid.tile_counts()}
        if log:
            log("Tiles of {:g} m: {} x {}".format(
                grid.layout.size, grid.layout.cols, grid.layout.rows))


def check_counted(band, valid_pixels, sampled_pixels, sample_fraction,
                  saturated_pixels=0, pixels=None):
    """Raise DataError unless a sampled pixel of ``band`` was counted.
    ``saturated_pixels`` of its ``pixels`` (None: unknown) were
    saturated."""
    if valid_pixels == 0:
        raise no_valid_pixel(band, saturated_pixels > 0,
                             pixels is None or pixels > saturated_pixels)
    if sampled_pixels == 0:
        raise DataError(
            "A sample of {:g} % drew no valid pixel of band {} (it has "
            "{}). Raise the sample share; 100 % uses every pixel.".format(
                sample_fraction * 100.0, band, valid_pixels))


def no_valid_pixel(band, saturated, nodata=True):
    """The DataError of a band without a valid pixel; ``saturated``,
    ``nodata``: whether it holds saturated, no-data pixels."""
    if saturated and not nodata:
        what = ("it is all saturated (brighter than its sensor measures), "
                "so the image would be white")
    elif saturated:
        what = ("its pixels are all no-data or saturated, so the image "
                "would show no measured value")
    else:
        what = "it is all no-data, so the image would be empty"
    return DataError("Band {} holds no valid pixel: {}. Choose another "
                     "band or product.".format(band, what))


#: Share of the progress of a measure that the grid measure takes.
GRID_SHARE = 0.05


def measure(product_path, bands, sample_fraction=0.01, resolution=None,
            utm_zone=None, seed=DEFAULT_SEED, report=None, is_cancelled=None,
            log=None, verify=True, warn=None, luminance=True,
            tile_size=DEFAULT_TILE_SIZE, scratch_dir=None, area=None,
            clouds=None):
    """Decode ``bands`` of the product at ``product_path`` and return their
    sampled histograms as a Measurement (nothing is written).

    ``sample_fraction``: 0 < f <= 1 of each band's valid pixels.
    ``resolution``: 10, 20 or 60 (m), or None for the finest of the bands.
    ``luminance``: also measure the luminance of the three bands (as red,
    green and blue); ``tile_size``: also measure per-tile histograms of
    every band and of the luminance on tiles of that many metres (None:
    no tiles). Either spools the bands to ``scratch_dir`` (None: the
    system's temporary folder) for one more pass after the decode.
    ``verify``: check the band files against the product's manifest
    (ChecksumError if one differs). ``report(percent)``,
    ``is_cancelled()``, ``log(message)``, ``warn(message)``: as for
    render.run. ``area``: a pixels.area.Area whose pixels alone are
    measured, or None for the whole product. ``clouds``: a
    pixels.clouds.Clouds; but for keep, the pixels its product's cloud
    mask calls cloudy are not measured (CloudError for a product without
    a mask).
    """
    progress = Progress(report, is_cancelled, log, warn)
    check_sample(sample_fraction)
    with BoundedGdalCache(), DecodeWarnings(progress.warn), \
            RemoteReading(progress.log):
        plan = make_plan(product_path, bands, resolution, utm_zone,
                         progress.log, area, clouds)
        grid = _grid_measure(plan, sample_fraction, seed, luminance,
                             tile_size)
        counters = band_counters(plan, sample_fraction, seed)
        decoded = 1.0 - (GRID_SHARE if grid is not None else 0.0)
        spools = []
        try:
            if grid is not None:
                spools = [Spool(plan.grid.width, plan.grid.height,
                                scratch_dir) for _ in plan.unique_bands]
            with fetched_whole(plan, scratch_dir, progress.log,
                               progress.cancelled), start_verification(
                    plan, verify, progress.log) as verification:
                with verification.explaining(progress.cancelled):
                    spool_bands(plan.product, plan.granules,
                                plan.unique_bands, plan.grid,
                                spools or [None] * len(counters), counters,
                                verification.stopping(progress.cancelled),
                                progress.span(0.0, decoded), plan.mask,
                                plan.counted)
                verification.check(progress.cancelled)
            if grid is not None:
                grid.run(spools, progress.cancelled,
                         progress.span(decoded, GRID_SHARE))
        finally:
            for spool in spools:
                spool.close()
        result = measurement(plan, counters, sample_fraction, seed,
                             progress.log, grid=grid)
        result.area = area_record(area)
    progress.at(1.0)
    return result


def _grid_measure(plan, sample_fraction, seed, luminance, tile_size):
    """The GridMeasure of luminance and tiles that measure() was asked
    for, or None."""
    if not (luminance or tile_size):
        return None
    keys = ()
    if tile_size:
        check_tile_size(tile_size, plan.grid, whole_image=False)
        keys = tuple(plan.unique_bands) + (LUMINANCE,)
    return GridMeasure(plan, sample_fraction, seed, luminance,
                       tile_size or None, keys)
