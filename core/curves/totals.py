"""Measurements added up: the sum behind a shared curve, made in any order
and in any grouping (all at once, or a few at a time as a tree of partial
sums on a cluster) with the very same result.

The histograms are integers, so their sums are exact whatever the order.
The one value that is not, a tile's valid share (a float in [0, 1] per
product), is put on a grid of VALID_STEP before it is added: sums of such
values are exact in float64 for up to 2**(53 - 32) products, so they too
do not depend on the order. A sum of one part is that part, as it was.

Pure functions on plain data: the same code adds in one process, in QGIS
and in the tasks of a Dask cluster. Nothing given is changed.
"""

import dataclasses
import json
from dataclasses import dataclass

import numpy as np

from ..errors import CurveError
from . import curve_tiles

#: The grid a tile's valid share is put on before it is added: 2**-32
#: (far below the shares that decide a tile's weight, adaptive.py), so
#: that every partial sum of up to 2**21 products is exact in float64.
VALID_STEP = 2.0 ** -32


@dataclass
class Total:
    """Measurements (curve.Measurement) added up: per band the summed
    histogram (a curve.BandCounts), the products in the order added, and
    what they were measured with."""

    level: str                  # "L1C" or "L2A"
    products: list              # name, level, baseline, sensing of each
    bands: dict                 # band (or LUMINANCE) -> BandCounts
    sample_fraction: float      # 0 < f <= 1, of the first part
    seed: int
    resolution: int             # metres, of the first part
    luminance_of: tuple = None  # (red, green, blue) of the LUMINANCE entry
    tiles: dict = None          # epsg -> tiles.TileCounts, if every part has
    area: dict = None           # the area measured (Measurement.area)


def total_of(part):
    """``part`` (a curve.Measurement, or a Total) as a Total; a Total is
    returned as it is."""
    if isinstance(part, Total):
        return part
    return Total(level=part.product["level"], products=[part.product],
                 bands=part.bands, sample_fraction=part.sample_fraction,
                 seed=part.seed, resolution=part.resolution,
                 luminance_of=part.luminance_of, tiles=part.tiles,
                 area=part.area)


def add(parts):
    """The Total of ``parts`` (curve.Measurement or Total, at least one),
    in their order. Adding is associative and, but for the order of the
    products listed, commutative: add([add(a), add(b)]) == add(a + b).

    Raises CurveError where the parts mix L1C and L2A products, measured
    luminance from different bands, hold different bands, or were measured
    over different areas.
    """
    totals = [total_of(part) for part in parts]
    if not totals:
        raise ValueError("nothing to add")
    if len(totals) == 1:
        return totals[0]
    check_addable(totals)
    first = totals[0]
    return Total(
        level=first.level,
        products=[p for total in totals for p in total.products],
        bands={band: _band_sum([t.bands[band] for t in totals])
               for band in first.bands},
        sample_fraction=first.sample_fraction, seed=first.seed,
        resolution=first.resolution, luminance_of=first.luminance_of,
        tiles=_tiles_sum([t.tiles for t in totals]), area=first.area)


def check_addable(totals):
    """Raise CurveError unless the Totals ``totals`` may be added: one
    level, luminance of one trio of bands, the same bands, one area."""
    areas = {json.dumps(t.area, sort_keys=True): t.area for t in totals}
    if len(areas) > 1:
        raise CurveError(
            "The products were measured over different areas ({}); measure "
            "them all over the same area, or all whole.".format("; ".join(
                area_text(a) for a in list(areas.values())[:2])))
    levels = sorted({t.level for t in totals})
    if len(levels) > 1:
        raise CurveError(
            "The products mix levels ({}). L1C (top of atmosphere) and L2A "
            "(surface) reflectances differ, so one curve cannot serve both: "
            "make one curve per level.".format(", ".join(levels)))
    shown = {t.luminance_of for t in totals}
    if len(shown) > 1:
        raise CurveError("The products' luminance was measured from "
                         "different bands ({}); measure them all with the "
                         "same bands.".format(
                             "; ".join("/".join(b) for b in shown if b)))
    bands = list(totals[0].bands)
    for total in totals[1:]:
        missing = [b for b in bands if b not in total.bands]
        if missing:
            raise CurveError("Product {} has no measure of band {}.".format(
                total.products[0]["name"], missing[0]))
        extra = [b for b in total.bands if b not in bands]
        if extra:
            raise CurveError(
                "Product {} was measured with band {}, and product {} "
                "without; measure them all with the same bands.".format(
                    total.products[0]["name"], extra[0],
                    totals[0].products[0]["name"]))


def area_text(record):
    """An area record (Measurement.area, Curve.area) as a message shows it:
    "extent 600500,5491000,603000,5493500 (EPSG:32631), mask fields.gpkg";
    "whole products" for None."""
    if not record:
        return "whole products"
    parts = []
    if record.get("extent"):
        parts.append("extent {} ({})".format(
            ",".join("{:.10g}".format(v) for v in record["extent"]),
            record.get("crs") or "output grid"))
    if record.get("mask"):
        parts.append("mask {}".format(record["mask"]))
    return ", ".join(parts) or "an area"


def _band_sum(parts):
    """One curve.BandCounts: the sum of ``parts`` (int64 counts)."""
    counts = np.zeros(parts[0].counts.shape, dtype=np.int64)
    for part in parts:
        counts += part.counts
    return dataclasses.replace(
        parts[0], counts=counts,
        valid_pixels=sum(int(p.valid_pixels) for p in parts),
        sampled_pixels=sum(int(p.sampled_pixels) for p in parts))


def _tiles_sum(zones_of_parts):
    """epsg -> tiles.TileCounts: the sum of each part's zones (their valid
    shares on the VALID_STEP grid), or None unless every part has tiles
    of one size (curve_tiles.combined)."""
    if not zones_of_parts or any(not zones for zones in zones_of_parts):
        return None
    return curve_tiles.combined([
        {epsg: _on_grid(tiles) for epsg, tiles in zones.items()}
        for zones in zones_of_parts])


def _on_grid(tiles):
    """A copy of the tiles.TileCounts ``tiles`` whose valid shares are on
    the VALID_STEP grid (the same arrays otherwise: they are only read)."""
    return dataclasses.replace(
        tiles, valid=np.round(tiles.valid / VALID_STEP) * VALID_STEP)
