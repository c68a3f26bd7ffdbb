"""What a method (modes.Method) needs and makes: the grid measure it needs
beside the bands' histograms, the checks of a curve it is given, and the
mapping of decoded blocks to RGB that it makes of a curve."""

import os

from ..errors import CurveError, SettingError
from .adaptive import AdaptiveMapper, TileCurves, bin_table, tile_levels
from .contrast import limited_table
from .equalize import dn_table, lookup_table, map_planes
from .gridsample import GridMeasure
from .luminance import LUMINANCE, LuminanceMapper, haze_levels
from .modes import ADAPTIVE, EQUALIZE
from .tiles import BINS, TileLayout, check_tile_size


def check_on_grid(method, grid):
    """Raise SettingError for a setting of ``method`` (modes.Method) out of
    range, or for an adaptive tile size that does not suit ``grid`` (the
    output grid: too small a tile, too many tiles, or a single tile)."""
    method.check()
    if method.name == ADAPTIVE:
        check_tile_size(method.tile_size, grid)


def grid_measure(method, plan, sample_fraction, seed):
    """The gridsample.GridMeasure ``method`` needs beside the bands'
    histograms for ``plan``, or None."""
    keys = ()
    if method.name == ADAPTIVE:
        keys = (LUMINANCE,) if method.luminance else tuple(plan.unique_bands)
    if not keys and not method.luminance:
        return None
    return GridMeasure(plan, sample_fraction, seed, method.luminance,
                       method.tile_size if keys else None, keys)


def check_curve(method, curve, plan):
    """Raise CurveError (SettingError for a tile size that differs from the
    curve's) unless ``curve`` holds what ``method`` needs for ``plan``: a
    luminance histogram of the same three bands, tiles of the method's
    size in the grid's UTM zone."""
    name = os.path.basename(curve.source) if curve.source else "The curve"
    if method.luminance and tuple(curve.luminance_of or ()) != plan.bands:
        raise CurveError(
            "{} has no luminance histogram of bands {} ({}). Make the "
            "curve again with this version and these bands (s2eq:curve)."
            .format(name, "/".join(plan.bands),
                    "it has one of " + "/".join(curve.luminance_of)
                    if curve.luminance_of else "it has none"))
    if method.name != ADAPTIVE:
        return
    zone = (curve.tiles or {}).get(plan.grid.epsg)
    if zone is None:
        raise CurveError(
            "{} has no tile histograms for UTM zone {} (EPSG:{}), which "
            "the adaptive method needs. Make the curve again with this "
            "version (s2eq:curve) from products of that zone.".format(
                name, plan.grid.epsg % 100, plan.grid.epsg))
    if abs(zone.size - float(method.tile_size)) > 1e-6:
        raise SettingError(
            "{} holds tiles of {:g} m, so the tile size must be {:g} m (got "
            "{:g} m), or make the curve with tiles of {:g} m.".format(
                name, zone.size, zone.size, float(method.tile_size),
                float(method.tile_size)), setting="tile size")
    keys = (LUMINANCE,) if method.luminance else plan.unique_bands
    missing = [k for k in keys if k not in zone.counts]
    if missing:
        raise CurveError("{} has no tile histograms of {}. Make it again "
                         "with these bands.".format(name, ", ".join(missing)))


def mapper(method, plan, curve):
    """``(map_block, tables)``: ``map_block((top, rows, left, cols),
    planes)`` maps the red, green and blue planes of DNs of a block of
    ``plan``'s grid to (rgb, mask) through ``curve``; ``tables`` is band
    -> the uint8 table of its DNs where each band has one (per band, not
    adaptive), else empty."""
    product = plan.product
    invalid = sorted({0, product.nodata})
    saturated = product.saturated
    offsets = [plan.offset(b) for b in plan.bands]
    limit = method.limit
    haze = (haze_levels([curve.counts[b].counts for b in plan.bands])
            if method.luminance and product.level == "L1C" else (0, 0, 0))
    if method.name == ADAPTIVE:
        layout = TileLayout(plan.grid, method.tile_size)
        zone = curve.tiles[plan.grid.epsg].window(
            (layout.i0, layout.k0), layout.shape)
        if method.luminance:
            curves = TileCurves(layout, tile_levels(zone, LUMINANCE, limit))
            return LuminanceMapper(offsets, invalid, saturated,
                                   adaptive=curves, haze=haze), {}
        curves = {band: TileCurves(layout, tile_levels(zone, band, limit))
                  for band in plan.unique_bands}
        return AdaptiveMapper(
            [curves[b] for b in plan.bands],
            [bin_table(offset, invalid, saturated, BINS)
             for offset in offsets], invalid), {}
    if method.luminance:
        counts = curve.counts[LUMINANCE].counts
        levels = (lookup_table(counts) if method.name == EQUALIZE
                  else limited_table(counts, limit))
        return LuminanceMapper(offsets, invalid, saturated,
                               levels=levels, haze=haze), {}
    tables = {}
    for band in plan.unique_bands:
        table = (curve.tables[band] if method.name == EQUALIZE
                 else limited_table(curve.counts[band].counts, limit))
        tables[band] = dn_table(table, plan.offset(band), saturated)
    luts = [tables[b] for b in plan.bands]
    return (lambda block, planes: map_planes(planes, luts, invalid)), tables
