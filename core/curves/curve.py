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

Optional entries, for luminance mode and the adaptive method (a reader that
does not know them ignores them, so the format stays ``s2eq-curve/1``):
``bands`` may hold a ``"LUMINANCE"`` entry, the histogram of the luminance
of three bands, which ``"luminance": {"bands": [red, green, blue],
"weights": [...]}`` names; ``"tiles"`` holds per-tile histograms
(curve_tiles.py).
"""

import datetime
import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import CurveError
from ..output.atomic import AtomicOutput
from . import curve_tiles
from .equalize import LEVELS_IN, LEVELS_OUT, lookup_table
from .luminance import LUMINANCE, WEIGHTS

FORMAT = "s2eq-curve/1"
#: Largest curve file read, in bytes: the per-band part of a curve is
#: well under a megabyte, its tiles about a megabyte per product tile.
MAX_CURVE_BYTES = 64 * 2 ** 20

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


def combine(measurements, software=""):
    """One Curve from the sum of ``measurements`` (at least one).

    Raises CurveError when they mix L1C and L2A products or cover different
    bands.
    """
    measurements = list(measurements)
    levels = sorted({m.product["level"] for m in measurements})
    if len(levels) > 1:
        raise CurveError(
            "The products mix levels ({}). L1C (top of atmosphere) and L2A "
            "(surface) reflectances differ, so one curve cannot serve both: "
            "make one curve per level.".format(", ".join(levels)))
    bands = list(measurements[0].bands)
    shown = {m.luminance_of for m in measurements}
    if len(shown) > 1:
        raise CurveError("The products' luminance was measured from "
                         "different bands ({}); measure them all with the "
                         "same bands.".format(
                             "; ".join("/".join(b) for b in shown if b)))
    summed = {}
    for band in bands:
        total = BandCounts(np.zeros(LEVELS_IN, dtype=np.int64))
        for m in measurements:
            if band not in m.bands:
                raise CurveError("Product {} has no measure of band {}."
                                 .format(m.product["name"], band))
            part = m.bands[band]
            total.counts += part.counts
            total.valid_pixels += part.valid_pixels
            total.sampled_pixels += part.sampled_pixels
        summed[band] = total
    first = measurements[0]
    return Curve(level=levels[0],
                 tables={b: lookup_table(c.counts) for b, c in summed.items()},
                 counts=summed, products=[m.product for m in measurements],
                 sample_fraction=first.sample_fraction, seed=first.seed,
                 resolution=first.resolution, software=software,
                 luminance_of=first.luminance_of,
                 tiles=curve_tiles.combined([m.tiles for m in measurements]))


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
    return json.dumps(doc, indent=1)


def save(curve, path):
    """Write ``curve`` to ``path`` (replaced whole, never half-written)."""
    with AtomicOutput(path) as target:
        with open(target.partial, "w", encoding="utf-8") as handle:
            handle.write(to_json(curve))
        target.commit()


def load(path):
    """Read a curve file; raises CurveError naming what is wrong."""
    if not path or not os.path.isfile(path):
        raise CurveError("The curve file '{}' does not exist. {}".format(
            path, HOW_TO_MAKE))
    with open(path, "rb") as handle:
        data = handle.read(MAX_CURVE_BYTES + 1)
    if len(data) > MAX_CURVE_BYTES:
        raise CurveError("'{}' is far larger than any curve file. {}".format(
            path, HOW_TO_MAKE))
    try:
        doc = json.loads(data.decode("utf-8"))
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
                path, doc["format"], FORMAT))
    try:
        curve = _from_doc(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise CurveError("The curve file '{}' is damaged ({}: {}). Make it "
                         "again.".format(path, type(exc).__name__, exc))
    curve.digest = hashlib.sha256(data).hexdigest()
    curve.source = os.path.abspath(path)
    return curve


def _from_doc(doc):
    tables, counts = {}, {}
    for band, entry in doc["bands"].items():
        levels = [int(v) for v in entry["lut"]]
        if len(levels) != LEVELS_OUT or levels != sorted(levels):
            raise ValueError("band {}: lut must be {} non-decreasing values"
                             .format(band, LEVELS_OUT))
        tables[band] = _table(levels)
        histogram = entry["histogram"]
        first = int(histogram["first"])
        values = np.asarray(histogram["counts"], dtype=np.int64)
        if first < 0 or first + values.size > LEVELS_IN or (values < 0).any():
            raise ValueError("band {}: histogram out of range".format(band))
        full = np.zeros(LEVELS_IN, dtype=np.int64)
        full[first:first + values.size] = values
        counts[band] = BandCounts(full, int(entry["valid_pixels"]),
                                  int(entry["sampled_pixels"]))
    if doc["level"] not in ("L1C", "L2A"):
        raise ValueError("level '{}' is neither L1C nor L2A".format(
            doc["level"]))
    luminance = doc.get("luminance")
    shown = tuple(str(b) for b in luminance["bands"]) if luminance else None
    if shown is not None and (len(shown) != 3 or LUMINANCE not in
                              counts):
        raise ValueError("luminance: three bands and a LUMINANCE "
                         "histogram are needed")
    return Curve(level=doc["level"], tables=tables, counts=counts,
                 products=list(doc.get("products", [])),
                 sample_fraction=float(doc["sample_percent"]) / 100.0,
                 seed=int(doc["seed"]), resolution=doc.get("resolution"),
                 software=str(doc.get("software", "")), luminance_of=shown,
                 tiles=curve_tiles.from_doc(doc["tiles"])
                 if doc.get("tiles") else None)


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
            "{} has no curve for band {} (it has {}). Make a curve with the "
            "bands you show.".format(name, ", ".join(missing),
                                     ", ".join(sorted(
                                         b for b in curve.tables
                                         if b != LUMINANCE))))
