"""Curves: the histograms of one or more products, summed per band, and the
lookup tables made from them; and the curve file that carries them.

Histograms are on the reflectance scale (equalize.to_reflectance_scale), so
products of any processing baseline add up. A curve file is JSON::

    {"format": "s2eq-curve/1", "level": "L1C", "software": ..., "created": ...,
     "sample_percent": 1, "seed": ..., "resolution": 10,
     "products": [{"name": ..., "baseline": ..., "sensing": ...}, ...],
     "bands": {"B04": {"valid_pixels": N, "sampled_pixels": N,
                       "histogram": {"first": DN, "counts": [...]},
                       "lut": [256 values: the first DN at each level]}, ...}}

``histogram`` holds the counts from its first counted value to its last;
``lut`` holds, for each output level 0..255, the lowest corrected DN mapped
to that level or higher (a non-decreasing table is whole with 256 numbers).

A curve file is read as data from anywhere: every value is checked before
use (whole numbers in their ranges, counts finite and not negative, lists
and tiles of bounded size), so a damaged or hostile file is refused with a
message rather than taking the run's memory or stopping it with a
traceback.

Optional entries, for luminance mode and the adaptive method (a reader that
does not know them ignores them, so the format stays ``s2eq-curve/1``):
``bands`` may hold a ``"LUMINANCE"`` entry, the histogram of the luminance
of three bands, which ``"luminance": {"bands": [red, green, blue],
"weights": [...]}`` names; ``"tiles"`` holds per-tile histograms
(curve_tiles.py); ``"area"`` records the area of interest the products
were measured over (``{"extent": [xmin, ymin, xmax, ymax] or null, "crs":
..., "mask": file name, "mask_sha256": ...}``, as the output's tags record
it), absent for whole products.
"""

import datetime
import hashlib
import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import CurveError
from ..output import object_store
from ..output.atomic import check_apart, check_output_path, write_text
from ..product.bands import BAND_NAMES, RESOLUTIONS
from ..product.discovery import open_product
from . import curve_tiles, totals
from .curve_tiles import whole
from .equalize import LEVELS_IN, LEVELS_OUT, lookup_table
from .luminance import LUMINANCE, WEIGHTS

FORMAT = "s2eq-curve/1"
#: Largest curve file read, in bytes: the per-band part of a curve is
#: well under a megabyte, its tiles about a megabyte per product tile.
MAX_CURVE_BYTES = 64 * 2 ** 20
#: Most pixels a histogram may count: 2**53, below which its counts and
#: their sums are exact as floats too (equalize.lookup_table), and far
#: more than all Sentinel-2 products hold.
MAX_COUNT = 2 ** 53
#: Most products a curve may list, and characters of each of their
#: names and of the software's.
MAX_PRODUCTS, MAX_TEXT = 100000, 256

HOW_TO_MAKE = ("Make one with the 'Build a shared curve' algorithm "
               "(s2eq:curve).")


@dataclass
class BandCounts:
    """One band's sampled histogram on the reflectance scale."""

    counts: np.ndarray          # LEVELS_IN int64 counts
    valid_pixels: int = 0       # valid pixels seen, sampled or not
    sampled_pixels: int = 0     # pixels counted in ``counts``


@dataclass
class Measurement:
    """What the measure stage learnt of one product: plain data only, so it
    travels between processes."""

    product: dict               # name, level, baseline, sensing
    bands: dict                 # band (or LUMINANCE) -> BandCounts
    sample_fraction: float
    seed: int
    resolution: int
    luminance_of: tuple = None  # (red, green, blue) of the LUMINANCE entry
    tiles: dict = None          # epsg -> tiles.TileCounts, if measured
    area: dict = None           # pixels.area.area_record; None: whole


@dataclass
class Curve:
    """Per band a histogram and the lookup table made from it (on the
    reflectance scale), and where they came from."""

    level: str
    tables: dict                # band -> uint8 LEVELS_IN lookup table
    counts: dict                # band -> BandCounts
    products: list = field(default_factory=list)
    sample_fraction: float = 0.01
    seed: int = 0
    resolution: int = None
    software: str = ""
    digest: str = ""            # SHA-256 of the file it was read from
    source: str = ""            # that file's path
    luminance_of: tuple = None  # (red, green, blue) of the LUMINANCE entry
    tiles: dict = None          # epsg -> tiles.TileCounts, if measured
    area: dict = None           # the area measured (as Measurement.area)


def combine(measurements, software=""):
    """One Curve from the sum of ``measurements`` (at least one
    Measurement, or totals.Total of some), added by totals.add: the same
    curve whatever their grouping.

    Raises CurveError when they mix L1C and L2A products, cover different
    bands or were measured over different areas.
    """
    total = totals.add(list(measurements))
    # The curve's own counts: a sum of one part is that part.
    summed = {band: BandCounts(np.array(c.counts, dtype=np.int64),
                               int(c.valid_pixels), int(c.sampled_pixels))
              for band, c in total.bands.items()}
    return Curve(level=total.level,
                 tables={b: lookup_table(c.counts) for b, c in summed.items()},
                 counts=summed, products=list(total.products),
                 sample_fraction=total.sample_fraction, seed=total.seed,
                 resolution=total.resolution, software=software,
                 luminance_of=total.luminance_of, tiles=total.tiles,
                 area=total.area)


# --------------------------------------------------------------------------
# The curve file.

def _levels(table):
    """For each output level, the lowest value mapped to it or higher."""
    return [int(v) for v in np.searchsorted(table, np.arange(LEVELS_OUT))]


def _table(levels):
    return (np.searchsorted(np.asarray(levels), np.arange(LEVELS_IN),
                            side="right") - 1).clip(0).astype(np.uint8)


def to_json(curve):
    """The curve file's text."""
    bands = {}
    for band, counts in curve.counts.items():
        counted = np.flatnonzero(counts.counts)
        first, last = (int(counted[0]), int(counted[-1])) if counted.size \
            else (0, -1)
        bands[band] = {
            "valid_pixels": int(counts.valid_pixels),
            "sampled_pixels": int(counts.sampled_pixels),
            "histogram": {"first": first, "counts": [
                int(c) for c in counts.counts[first:last + 1]]},
            "lut": _levels(curve.tables[band]),
        }
    doc = {
        "format": FORMAT, "level": curve.level, "software": curve.software,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "scale": "reflectance x 10000 (DN + the product's offset)",
        "sample_percent": curve.sample_fraction * 100.0, "seed": curve.seed,
        "resolution": curve.resolution, "products": curve.products,
        "bands": bands}
    if curve.luminance_of:
        doc["luminance"] = {"bands": list(curve.luminance_of),
                            "weights": list(WEIGHTS)}
    if curve.tiles:
        doc["tiles"] = curve_tiles.to_doc(curve.tiles)
    if curve.area:
        doc["area"] = curve.area
    return json.dumps(doc, indent=1)


def save(curve, path, inputs=(), folders=()):
    """Write ``curve`` to ``path`` (replaced whole, never half-written).
    Raises OutputError where ``path`` must not be written (see
    output.atomic.check_output_path; ``inputs`` and ``folders``: the
    files and folders of the products the curve was measured from, where
    known)."""
    check_output_path(path, inputs, folders, "curve file", ".json")
    write_text(path, to_json(curve))


def check_outputs(outputs, product_paths=()):
    """Raise an EqualizerError (OutputError) unless the files a run that
    makes a curve writes, ``outputs`` ((what, path) pairs: ("curve file",
    path), ("report", path)), may all be written: none a folder, a
    device, a read-only file, another of ``outputs`` or a file of the
    products at ``product_paths`` (whose metadata is read to find their
    files). For a check before the products are measured."""
    opened = [open_product(path) for path in product_paths]
    files = [f for product in opened for f in product.files()]
    folders = [f for product in opened for f in product.folders()]
    check_apart(outputs)
    for what, path in outputs:
        check_output_path(path, files, folders, what,
                          os.path.splitext(path)[1] or ".json")


def _curve_bytes(path):
    """The first bytes of the curve file ``path``, one more than a curve
    may have, or None where there is none."""
    if object_store.is_object_url(path):
        return object_store.read_bytes(path, MAX_CURVE_BYTES + 1)
    if not path or not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return handle.read(MAX_CURVE_BYTES + 1)


def load(path):
    """Read a curve file (a path, or an object's ``s3://`` URL); raises
    CurveError naming what is wrong."""
    try:
        data = _curve_bytes(path)
    except OSError as exc:
        raise CurveError("The curve file '{}' cannot be read ({}).".format(
            path, exc.strerror or exc))
    if data is None:
        raise CurveError("The curve file '{}' does not exist. {}".format(
            path, HOW_TO_MAKE))
    if len(data) > MAX_CURVE_BYTES:
        raise CurveError("'{}' is far larger than any curve file. {}".format(
            path, HOW_TO_MAKE))
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise CurveError("'{}' is not a curve file: its JSON is nested far "
                         "deeper than a curve's. {}".format(path, HOW_TO_MAKE))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CurveError("'{}' is not a curve file: it is not JSON ({}). {}"
                         .format(path, str(exc).splitlines()[0], HOW_TO_MAKE))
    if not isinstance(doc, dict) or "format" not in doc:
        raise CurveError("'{}' is JSON but not a curve file (it has no "
                         "\"format\"). {}".format(path, HOW_TO_MAKE))
    if doc["format"] != FORMAT:
        raise CurveError(
            "'{}' is a curve file of format '{}'; this version reads '{}'. "
            "Make the curve again with this version.".format(
                path, _shown(doc["format"]), FORMAT))
    try:
        curve = _from_doc(doc)
    except KeyError as exc:
        raise CurveError("The curve file '{}' is damaged (it has no \"{}\" "
                         "entry). Make it again.".format(
                             path, _shown(exc.args[0])))
    except (TypeError, ValueError, AttributeError, OverflowError,
            MemoryError) as exc:
        raise CurveError("The curve file '{}' is damaged ({}). Make it "
                         "again.".format(path, exc))
    curve.digest = hashlib.sha256(data).hexdigest()
    curve.source = os.path.abspath(path)
    return curve


def _no_constant(name):
    """JSON's NaN and Infinity, which no curve file holds."""
    raise ValueError("{} is no number a curve file holds".format(name))


def _shown(value):
    """A value read from a curve file, as a message quotes it: short."""
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "\u2026"


def _of_type(value, kind, what):
    if not isinstance(value, kind):
        raise ValueError("{} must be {}".format(what, {
            dict: "an object", list: "a list", str: "text"}[kind]))
    return value


def _from_doc(doc):
    tables, counts = {}, {}
    known = set(BAND_NAMES) | {LUMINANCE}
    for band, entry in _of_type(doc["bands"], dict, "bands").items():
        if band not in known:
            raise ValueError("'{}' is not a band".format(_shown(band)))
        what = "band {}".format(band)
        levels = [whole(v, what + ": the lut's values", 0, LEVELS_IN - 1)
                  for v in _of_type(entry["lut"], list, what + ": lut")]
        if len(levels) != LEVELS_OUT or levels != sorted(levels):
            raise ValueError("band {}: lut must be {} non-decreasing values"
                             .format(band, LEVELS_OUT))
        tables[band] = _table(levels)
        histogram = _of_type(entry["histogram"], dict, what + ": histogram")
        first = whole(histogram["first"], what + ": the histogram's first",
                      0, LEVELS_IN - 1)
        listed = _of_type(histogram["counts"], list, what + ": counts")
        if first + len(listed) > LEVELS_IN:
            raise ValueError("band {}: histogram out of range".format(band))
        values = np.array([whole(v, what + ": counts", 0, MAX_COUNT)
                           for v in listed], dtype=np.int64)
        if int(values.sum()) > MAX_COUNT:
            raise ValueError("band {}: the counts add up to more than {}"
                             .format(band, MAX_COUNT))
        full = np.zeros(LEVELS_IN, dtype=np.int64)
        full[first:first + values.size] = values
        counts[band] = BandCounts(
            full, whole(entry["valid_pixels"], what + ": valid_pixels", 0,
                        MAX_COUNT),
            whole(entry["sampled_pixels"], what + ": sampled_pixels", 0,
                  MAX_COUNT))
    if doc["level"] not in ("L1C", "L2A"):
        raise ValueError("level '{}' is neither L1C nor L2A".format(
            _shown(doc["level"])))
    luminance = doc.get("luminance")
    shown = tuple(_of_type(b, str, "luminance: a band") for b in _of_type(
        luminance["bands"], list, "luminance: bands")) if luminance else None
    if shown is not None and (len(shown) != 3 or LUMINANCE not in
                              counts):
        raise ValueError("luminance: three bands and a LUMINANCE "
                         "histogram are needed")
    percent = doc["sample_percent"]
    if (isinstance(percent, bool) or not isinstance(percent, (int, float))
            or not 0.0 < percent <= 100.0):
        raise ValueError("sample_percent must be above 0 and at most 100")
    resolution = doc.get("resolution")
    if resolution is not None and resolution not in RESOLUTIONS:
        raise ValueError("resolution must be one of {} (m)".format(
            ", ".join(str(r) for r in RESOLUTIONS)))
    return Curve(level=doc["level"], tables=tables, counts=counts,
                 products=_products(doc.get("products", [])),
                 sample_fraction=float(percent) / 100.0,
                 seed=whole(doc["seed"], "seed", 0, 2 ** 64 - 1),
                 resolution=resolution,
                 software=_of_type(doc.get("software", ""), str,
                                   "software")[:MAX_TEXT],
                 luminance_of=shown,
                 tiles=curve_tiles.from_doc(doc["tiles"])
                 if doc.get("tiles") else None,
                 area=_area(doc.get("area")))


def _area(record):
    """The area a curve file records (None for none), each value checked:
    an extent of four finite numbers or null, a CRS and a mask's file name
    of at most MAX_TEXT characters, a SHA-256 in hexadecimal."""
    if record is None:
        return None
    _of_type(record, dict, "area")
    area = {}
    extent = record.get("extent")
    if extent is not None:
        _of_type(extent, list, "area: extent")
        if len(extent) != 4 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool)
                and math.isfinite(v) for v in extent):
            raise ValueError("area: extent must be four finite numbers")
    area["extent"] = [float(v) for v in extent] if extent else None
    crs = record.get("crs")
    area["crs"] = None if crs is None else _of_type(
        crs, str, "area: crs")[:MAX_TEXT]
    if "mask" in record:
        area["mask"] = _of_type(record["mask"], str, "area: mask")[:MAX_TEXT]
    if "mask_sha256" in record:
        digest = _of_type(record["mask_sha256"], str, "area: mask_sha256")
        if len(digest) != 64 or not all(c in "0123456789abcdef"
                                        for c in digest):
            raise ValueError("area: mask_sha256 must be 64 hexadecimal "
                             "digits")
        area["mask_sha256"] = digest
    return area


def _products(listed):
    """The products a curve file lists: at most MAX_PRODUCTS, each a name,
    level, baseline and sensing time of at most MAX_TEXT characters."""
    _of_type(listed, list, "products")
    if len(listed) > MAX_PRODUCTS:
        raise ValueError("products: more than {} listed".format(
            MAX_PRODUCTS))
    products = []
    for product in listed:
        _of_type(product, dict, "a product")
        products.append({key: _of_type(product[key], str, "a product's "
                                       + key)[:MAX_TEXT]
                         for key in ("name", "level", "baseline", "sensing")
                         if key in product})
    return products


def check_fits(curve, bands, level):
    """Raise CurveError unless ``curve`` serves ``bands`` of a ``level``
    product."""
    name = os.path.basename(curve.source) or "The curve"
    if curve.level != level:
        raise CurveError(
            "{} was made from {} products and cannot equalize an {} product: "
            "their reflectances differ. Use a curve made from {} products."
            .format(name, curve.level, level, level))
    missing = [b for b in bands if b not in curve.tables]
    if missing:
        raise CurveError(
            "{} has no curve for band{} {} (it has {}). Make a curve with "
            "the bands you show.".format(
                name, "s" if len(missing) > 1 else "", ", ".join(missing),
                ", ".join(sorted(b for b in curve.tables
                                 if b != LUMINANCE))))
