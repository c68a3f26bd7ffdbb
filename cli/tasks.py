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
#: The status of a product measured for the shared curve.
MEASURED = "measured"
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
    from the task that makes it). The record tells the worker's time on
    it and the bytes it read (spent())."""
    if curve is not None:
        arguments = dict(arguments, curve=curve)
    started = usage()
    try:
        if api.is_current(product, output, **arguments):
            return record(product, CURRENT, output=output, **spent(started))
        api.equalize(product, output, **arguments)
    except EqualizerError as exc:
        return record(product, FAILED, output=output, message=worded(exc),
                      **spent(started))
    return record(product, WRITTEN, output=output, **spent(started))


def usage():
    """(time, bytes read) of this process now, for spent()."""
    return time.time(), read_so_far()


def spent(started):
    """``seconds`` (wall, on the worker) and ``bytes_read`` since
    ``started`` (usage()): what the process read meanwhile, so on a worker
    of several threads it counts what its other tasks read too; None
    where the system does not tell."""
    now, read = usage()
    return {"seconds": round(now - started[0], 3),
            "bytes_read": None if read is None or started[1] is None
            else read - started[1]}


def read_so_far():
    """Bytes this process has read so far, from files, pipes and sockets
    (Linux: /proc/self/io's rchar), or None elsewhere."""
    try:
        with open("/proc/self/io") as io:
            for line in io:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


class Part:
    """A node of the shared curve's tree (tree.py): the sum of the
    measurements under it (a core.curves.totals.Total, or None where none
    measured), a record per product under it (MEASURED, with the worker's
    time and bytes, or FAILED, with why), and the first error that stopped
    the sum (products that cannot be added up), or None."""

    def __init__(self, total=None, notes=(), error=None):
        self.total, self.notes, self.error = total, list(notes), error


def measure(products, arguments):
    """The Part of ``products`` (a few paths): their measurements added
    up, one after the other, and a record for each (MEASURED, or FAILED
    with why)."""
    from ..core.curves import totals
    total, notes, error = None, [], None
    for product in products:
        started = usage()
        try:
            measured = api.measure(product, **measuring(arguments))
        except EqualizerError as exc:
            notes.append(record(product, FAILED, message=worded(exc),
                                **spent(started)))
            continue
        notes.append(record(product, MEASURED, **spent(started)))
        if error is None:
            try:
                total = measured if total is None else totals.add(
                    [total, measured])
            except EqualizerError as exc:
                total, error = None, worded(exc)
    return Part(total, notes, error)


def add_up(*parts):
    """One Part: the sum of ``parts`` (Parts, at most tree.GROUP)."""
    from ..core.curves import totals
    notes = [note for part in parts for note in part.notes]
    errors = [part.error for part in parts if part.error]
    if errors:
        return Part(None, notes, errors[0])
    summed = [part.total for part in parts if part.total is not None]
    try:
        return Part(totals.add(summed) if summed else None, notes)
    except EqualizerError as exc:
        return Part(None, notes, worded(exc))


def taken_by(arguments, function, stage):
    """Those of a run's ``arguments`` that the api ``function`` takes: its
    own and those of the core ``stage`` function it calls."""
    taken = (set(inspect.signature(function).parameters)
             | set(inspect.signature(stage).parameters))
    return {k: v for k, v in arguments.items() if k in taken}


def measuring(arguments):
    """Those of a run's ``arguments`` that api.measure() takes. The rest
    (the write stage's options, the curve) do not change a measurement."""
    from ..core.measure import measure as stage
    taken = taken_by(arguments, api.measure, stage)
    taken.pop("curve", None)
    return taken


def shared_curve(path, names, arguments, parts=None, partial=True):
    """Make sure ``path`` holds the curve of the products named ``names``:
    with ``parts`` None, only say whether it does already (True or False);
    else add up ``parts`` (the last Parts of the tree) and write the curve,
    unless the file already holds the same histograms, so that its
    SHA-256, and so the outputs made with it, stay current; with
    ``partial`` False, not where a product failed. Returns {"curve": the
    path or None, "notes": the products' records, "error": why no curve,
    where that is not a product's failure}."""
    from ..core.curves import curve as curves
    from ..core.errors import CurveError
    try:
        existing = curves.load(path)
    except CurveError:                  # none there yet, or unusable
        existing = None
    if parts is None:
        return existing is not None and _same_source(existing, names,
                                                     arguments)
    part = add_up(*parts)
    made = {"curve": None, "notes": part.notes, "error": part.error}
    if part.error or (not partial and any(
            note["status"] == FAILED for note in part.notes)):
        return made
    if part.total is None:
        return dict(made, error="No product could be measured.")
    try:
        curve = curves.combine([part.total], api.software())
        if existing is None or not _same_counts(existing, curve):
            curves.save(curve, path)
    except EqualizerError as exc:
        return dict(made, error=worded(exc))
    return dict(made, curve=path)


def _same_source(curve, names, arguments):
    """Whether ``curve`` was made of the products ``names`` with the run's
    bands, sample and pixel size. A curve file does not record an area,
    so with one the products are measured again (over the area alone, a
    small cost), and the file is kept if their histograms are the same;
    so too with clouds left out."""
    bands = api.choose_bands(arguments.get("bands"),
                             arguments.get("combination"))
    resolution = arguments.get("resolution")
    if any(arguments.get(k) for k in ("extent", "bbox", "mask")) or (
            arguments.get("clouds") not in (None, "keep")):
        return False        # nor the clouds left out of it
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
    started = usage()
    arguments = taken_by(dict(arguments, curve=curve), api.mosaic, stage)
    try:
        if _mosaic_is_current(output, names, arguments, curve):
            return record(output, CURRENT, output=output, **spent(started))
        api.mosaic(products, output, **arguments)
    except EqualizerError as exc:
        return record(output, FAILED, output=output, message=worded(exc),
                      **spent(started))
    return record(output, WRITTEN, output=output, **spent(started))


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
            and _same_composite(tags, arguments)
            and tags.get("S2EQ_PRODUCT") == ",".join(names)
            and tags.get("S2EQ_BANDS") == ",".join(bands)
            and tags.get("S2EQ_ENCODING") == choose_encoding(
                bands, arguments.get("compression", "JPEG"),
                arguments.get("jpeg_quality", 0),
                int(tags.get("S2EQ_RESOLUTION", 10))).describe()
            and tags.get("S2EQ_CURVE_SHA256") == curves.load(curve).digest
            and (resolution in (None, "finest")
                 or tags.get("S2EQ_RESOLUTION") == str(resolution)))


def _same_composite(tags, arguments):
    """Whether the mosaic's tags record the cloud and composite options
    of ``arguments`` (none for the defaults)."""
    import json
    from ..core.composite import check_composite
    clouds = api._clouds(arguments.get("clouds"),
                         arguments.get("cloud_buffer"),
                         arguments.get("cloud_classes"))
    composite, order = check_composite(arguments.get("composite"),
                                       arguments.get("order"))
    record = (None if (composite, order) == check_composite() else
              json.dumps({"composite": composite, "order": order},
                         sort_keys=True))
    return (tags.get("S2EQ_COMPOSITE") == record
            and tags.get("S2EQ_CLOUDS") == (
                json.dumps(clouds.record(), sort_keys=True)
                if clouds is not None and clouds.acts else None))


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
