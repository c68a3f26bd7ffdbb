"""The work ``s2eq batch`` hands to Dask workers: plain functions of paths
and plain values that return plain records, so that they pickle and run on
any worker that sees the files. No Dask here: the driver (batch.py) does
the scheduling.

A product that cannot be used (damaged, not a product, a band missing) is
a result, not an exception: its record says "failed" with the core's
message, and Dask does not run it again. Any other exception is raised,
so that Dask retries the task (``retries=``) before it gives up.
"""

import inspect
import os
import time

from .. import api
from ..core.errors import EqualizerError
from .messages import worded

CURRENT, WRITTEN, FAILED = "current", "written", "failed"
#: The object whose size prepare() asks of an s3:// --out-dir: it need not
#: exist; the answer says whether the store takes the credentials.
PROBE = "s2eq-probe.tif"


def record(product, status, **more):
    return dict(product=product, status=status, **more)


def identify(product):
    """The product's name (from its metadata), or why it is no product."""
    try:
        return record(product, "ok", name=api.product_name(product))
    except EqualizerError as exc:
        return record(product, FAILED, message=worded(exc))


def prepare(out_dir):
    """Make the output folder where the workers see it (an ``s3://``
    prefix: ask the store whether it takes the credentials); None, or why
    it cannot be used."""
    from ..core.output import object_store
    if object_store.is_object_url(out_dir):
        try:
            object_store.check_destination(
                object_store.join(out_dir, PROBE), "output")
        except EqualizerError as exc:
            return worded(exc)
        return None
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        return "The output folder '{}' cannot be made ({}). Choose another " \
               "--out-dir.".format(out_dir, exc.strerror or exc)
    return None


def equalize(product, output, arguments, curve=None):
    """Write ``product``'s output unless it is current; ``arguments``: the
    api keywords of the run; ``curve``: a curve file's path (it may come
    from the task that makes it)."""
    if curve is not None:
        arguments = dict(arguments, curve=curve)
    started = time.time()
    try:
        if api.is_current(product, output, **arguments):
            return record(product, CURRENT, output=output)
        api.equalize(product, output, **arguments)
    except EqualizerError as exc:
        return record(product, FAILED, output=output, message=worded(exc))
    return record(product, WRITTEN, output=output,
                   seconds=round(time.time() - started, 2))


def measure(product, arguments):
    """The product's Measurement, or its failure record."""
    try:
        return api.measure(product, **measuring(arguments))
    except EqualizerError as exc:
        return record(product, FAILED, message=worded(exc))


def taken_by(arguments, function, stage):
    """Those of a run's ``arguments`` that the api ``function`` takes: its
    own and those of the core ``stage`` function it calls."""
    taken = (set(inspect.signature(function).parameters)
             | set(inspect.signature(stage).parameters))
    return {k: v for k, v in arguments.items() if k in taken}


def failure(result):
    """The failure record a task returned, or None: a small answer for the
    driver about a result that stays on the workers (a Measurement)."""
    return result if isinstance(result, dict) else None


def measuring(arguments):
    """Those of a run's ``arguments`` that api.measure() takes. The rest
    (the write stage's options, the curve) do not change a measurement."""
    from ..core.measure import measure as stage
    taken = taken_by(arguments, api.measure, stage)
    taken.pop("curve", None)
    return taken


def shared_curve(path, names, arguments, measurements=None):
    """Make sure ``path`` holds the curve of the products named ``names``:
    with ``measurements`` None, only say whether it does already (True or
    False); else sum them (failure records are left out) and write the
    curve, unless the file already holds the same histograms, so that its
    SHA-256, and so the outputs made with it, stay current. Returns the
    path, or a failure record when nothing could be measured."""
    from ..core.curves import curve as curves
    from ..core.errors import CurveError
    try:
        existing = curves.load(path)
    except CurveError:                  # none there yet, or unusable
        existing = None
    if measurements is None:
        return existing is not None and _same_source(existing, names,
                                                     arguments)
    measured = [m for m in measurements if not isinstance(m, dict)]
    if not measured:
        return record(path, FAILED, message="No product could be measured.")
    try:
        made = curves.combine(measured, api.software())
        if existing is None or not _same_counts(existing, made):
            curves.save(made, path)
    except EqualizerError as exc:
        return record(path, FAILED, message=worded(exc))
    return path


def _same_source(curve, names, arguments):
    """Whether ``curve`` was made of the products ``names`` with the run's
    bands, sample and pixel size. A curve file does not record an area,
    so with one the products are measured again (over the area alone, a
    small cost), and the file is kept if their histograms are the same."""
    bands = api.choose_bands(arguments.get("bands"),
                             arguments.get("combination"))
    resolution = arguments.get("resolution")
    if any(arguments.get(k) for k in ("extent", "bbox", "mask")):
        return False
    return (sorted(p.get("name") for p in curve.products) == sorted(names)
            and set(bands) <= set(curve.tables)
            and "{:g}".format(curve.sample_fraction * 100.0) == "{:g}".format(
                float(arguments.get("sample_percent")))
            and (resolution in (None, "finest")
                 or int(resolution) == curve.resolution))


def _same_counts(old, new):
    import numpy as np
    return (old.level == new.level and old.products == new.products
            and sorted(old.counts) == sorted(new.counts)
            and all(np.array_equal(old.counts[b].counts, new.counts[b].counts)
                    for b in new.counts)
            and old.sample_fraction == new.sample_fraction
            and old.seed == new.seed and old.resolution == new.resolution)


def mosaic(products, names, output, arguments, curve):
    """The mosaic of ``products`` (named ``names``) with the curve file
    ``curve``, unless ``output`` already is that mosaic."""
    from ..core.mosaic import mosaic as stage
    started = time.time()
    arguments = taken_by(dict(arguments, curve=curve), api.mosaic, stage)
    try:
        if _mosaic_is_current(output, names, arguments, curve):
            return record(output, CURRENT, output=output)
        api.mosaic(products, output, **arguments)
    except EqualizerError as exc:
        return record(output, FAILED, output=output, message=worded(exc))
    return record(output, WRITTEN, output=output,
                   seconds=round(time.time() - started, 2))


def _mosaic_is_current(output, names, arguments, curve):
    """Whether ``output`` is a mosaic of the products ``names``, in that
    order, of the same bands and pixel size, through the same curve file
    (which fixes the sample), with the same method tags."""
    from ..core.curves import curve as curves
    from ..core.curves.modes import Method
    from ..core.output.encoding import choose_encoding
    tags = api.output_tags(output)
    if tags is None:
        return False
    bands = api.choose_bands(arguments.get("bands"),
                             arguments.get("combination"))
    resolution = arguments.get("resolution")
    method_tags = Method(**{field: arguments[key] for key, field in (
        ("method", "name"), ("colour", "colour"), ("clip_limit",
                                                   "clip_limit"),
        ("tile_size", "tile_size")) if key in arguments}).tags()
    return (all(tags.get(k) == method_tags.get(k) for k in (
        "S2EQ_METHOD", "S2EQ_COLOUR", "S2EQ_CLIP_LIMIT", "S2EQ_TILE_SIZE"))
            and tags.get("S2EQ_PRODUCT") == ",".join(names)
            and tags.get("S2EQ_BANDS") == ",".join(bands)
            and tags.get("S2EQ_ENCODING") == choose_encoding(
                bands, arguments.get("compression", "JPEG"),
                arguments.get("jpeg_quality", 0),
                int(tags.get("S2EQ_RESOLUTION", 10))).describe()
            and tags.get("S2EQ_CURVE_SHA256") == curves.load(curve).digest
            and (resolution in (None, "finest")
                 or tags.get("S2EQ_RESOLUTION") == str(resolution)))


def remove_partials(outputs):
    """Delete the partial files that killed runs left for ``outputs``
    (those no live run holds); return how many."""
    from ..core.output.object_store import is_object_url
    from ..core.output.partials import remove_abandoned
    return sum(len(remove_abandoned(output)) for output in outputs
               if not is_object_url(output))


def peak_memory():
    """This process's peak resident memory so far, in MiB."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
