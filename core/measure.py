"""The measure stage: decode a product's bands and draw their sampled
histograms, on the reflectance scale."""

from .checksums import start_verification
from .curve import BandCounts, Measurement
from .equalize import DEFAULT_SEED, BandHistogram, to_reflectance_scale
from .errors import DataError
from .gdal_env import BoundedGdalCache
from .gdal_warnings import DecodeWarnings
from .plan import check_sample, make_plan
from .progress import Progress
from .reading import spool_bands


def band_counters(plan, sample_fraction, seed):
    """One BandHistogram per band to decode, each with its own stream of
    the seeded sampler."""
    return [BandHistogram(sample_fraction, seed, stream=number,
                          nodata=plan.product.nodata,
                          saturated=plan.product.saturated)
            for number in range(len(plan.unique_bands))]


def measurement(plan, counters, sample_fraction, seed, log=None,
                strict=True):
    """The Measurement made of ``counters`` (filled by a decode of
    ``plan``'s bands). With ``strict``, raises DataError for a band with
    nothing counted; a mosaic does without, since a sliver of one product
    may add nothing to a sum that the others fill."""
    bands = {}
    for band, counter in zip(plan.unique_bands, counters):
        if strict:
            check_counted(band, counter.valid_pixels,
                          counter.sampled_pixels, sample_fraction)
        if log:
            log("{}: {} of {} valid pixels sampled".format(
                band, counter.sampled_pixels, counter.valid_pixels))
        bands[band] = BandCounts(
            to_reflectance_scale(counter.counts, plan.offset(band)),
            counter.valid_pixels, counter.sampled_pixels)
    product = plan.product
    return Measurement(
        product={"name": product.name, "level": product.level,
                 "baseline": product.baseline, "sensing": product.sensing},
        bands=bands, sample_fraction=float(sample_fraction), seed=int(seed),
        resolution=plan.grid.resolution)


def check_counted(band, valid_pixels, sampled_pixels, sample_fraction):
    """Raise DataError unless a sampled pixel of ``band`` was counted."""
    if valid_pixels == 0:
        raise DataError(
            "Band {} holds no valid pixel: it is all no-data, so the "
            "image would be empty. Choose another band or product."
            .format(band))
    if sampled_pixels == 0:
        raise DataError(
            "A sample of {:g} % drew no valid pixel of band {} (it has "
            "{}). Raise the sample share; 100 % uses every pixel.".format(
                sample_fraction * 100.0, band, valid_pixels))


def measure(product_path, bands, sample_fraction=0.01, resolution=None,
            utm_zone=None, seed=DEFAULT_SEED, report=None, is_cancelled=None,
            log=None, verify=True, warn=None):
    """Decode ``bands`` of the product at ``product_path`` and return their
    sampled histograms as a Measurement (nothing is written).

    ``sample_fraction``: 0 < f <= 1 of each band's valid pixels.
    ``resolution``: 10, 20 or 60 (m), or None for the finest of the bands.
    ``verify``: check the band files against the product's manifest
    (ChecksumError if one differs). ``report(percent)``,
    ``is_cancelled()``, ``log(message)``, ``warn(message)``: as for
    render.run.
    """
    progress = Progress(report, is_cancelled, log, warn)
    check_sample(sample_fraction)
    with BoundedGdalCache(), DecodeWarnings(progress.warn):
        plan = make_plan(product_path, bands, resolution, utm_zone,
                         progress.log)
        counters = band_counters(plan, sample_fraction, seed)
        with start_verification(plan, verify, progress.log) as verification:
            with verification.explaining(progress.cancelled):
                spool_bands(plan.product, plan.granules, plan.unique_bands,
                            plan.grid, [None] * len(counters), counters,
                            verification.stopping(progress.cancelled),
                            progress.at)
            verification.check(progress.cancelled)
        result = measurement(plan, counters, sample_fraction, seed,
                             progress.log)
    progress.at(1.0)
    return result
