"""Adaptive equalization (CLAHE): a contrast-limited curve per tile, and
each pixel's level interpolated between the curves of the four tiles
whose centres surround it.

A bright snowfield and a dark valley in one product then each get their
own contrast, and the bilinear interpolation leaves no seam at tile
borders. Each tile's histogram is clipped against the whole image's (or
the shared curve's) broad curve (contrast.py): where a tile's pixels are
more than ``limit`` times as dense as the image's broad histogram, the
excess goes back in proportion to that histogram. A flat tile (open water)
thus keeps close to the image's curve and its noise stays where plain
equalization puts it, while fields beside a bright cloud take the levels
their own spread needs.

A tile is weak when less than MIN_VALID_SHARE of its area held valid
pixels (the swath edge, the edge of the image) or its sample is tiny.
Weak tiles borrow: each takes the mean curve of its strong neighbours,
ring after ring, rather than one made from a handful of pixels.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .contrast import broad_shape, clip_bins, clip_histogram
from .equalize import CONSTANT_LEVEL, LEVELS_OUT, rescaled_dns
from .pieces import row_pieces
from .tiles import bin_shift, segments

#: A tile is strong when at least this share of its area held valid
#: pixels (in every product that covers it, on average).
MIN_VALID_SHARE = 0.5
#: ... and its sample holds at least this many pixels.
MIN_TILE_SAMPLES = 64
#: Tiles whose curves are made at a time, to bound memory.
TILES_AT_A_TIME = 32


def tile_levels(tiles, key, limit):
    """Float32 levels (rows, cols, bins + 2) of every tile of
    ``tiles`` (a tiles.TileCounts) for ``key``: entry ``bins`` is the
    saturated value's level (255), entry ``bins + 1`` no-data's (0).

    Raises DataError when no tile counted a pixel.
    """
    counts = tiles.counts[key]
    rows, cols, bins = counts.shape
    flat = counts.reshape(rows * cols, bins)
    total = flat.sum(axis=0, dtype=np.float64)
    counted = np.flatnonzero(total)
    if counted.size == 0:
        raise DataError("No valid pixel was counted in any tile, so there "
                        "is nothing to equalize.")
    span = (int(counted[0]), int(counted[-1]))
    bins_of_all = clip_bins(total)
    # Each tile's cap is set against the whole image's (or the shared
    # curve's) broad equalization.
    reference = broad_shape(total, bins_of_all)
    sampled = flat.sum(axis=1, dtype=np.float64).reshape(rows, cols)
    strong = ((tiles.products > 0) & (sampled >= MIN_TILE_SAMPLES)
              & (tiles.valid >= MIN_VALID_SHARE * tiles.products))
    levels = np.zeros((rows, cols, bins + 2), np.float32)
    if strong.any():
        flat_levels = levels.reshape(rows * cols, bins + 2)
        chosen = np.flatnonzero(strong.ravel())
        # A few tiles at a time: their float64 histograms are 32 kB each.
        for first in range(0, chosen.size, TILES_AT_A_TIME):
            some = chosen[first:first + TILES_AT_A_TIME]
            flat_levels[some, :bins] = _levels(clip_histogram(
                flat[some], limit, bins_of_all, reference), span)
        _borrow(levels, strong)
    else:
        # No tile is sound on its own: one curve of all of them.
        levels[:, :, :bins] = _levels(clip_histogram(
            total[None, :], limit, bins_of_all, reference), span)
    levels[:, :, bins] = LEVELS_OUT - 1
    return levels


def _levels(histograms, span):
    """Output levels (float) of each row of clipped ``histograms``: the
    span's first bin at 0, its last at 255, cumulative shares between
    (as equalize.lookup_table does, unrounded)."""
    first, last = span
    cdf = np.cumsum(histograms, axis=1)
    below = cdf[:, first:first + 1]
    spread = cdf[:, -1:] - below
    bins = np.arange(histograms.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.clip((cdf - below) / spread, 0.0, 1.0)
    # All of a tile's pixels on the first bin and nothing spread: flat.
    flat = np.where(bins < first, 0.0, np.where(bins == first,
                                                CONSTANT_LEVEL / 255.0, 1.0))
    share = np.where(spread > 0, share, flat)
    return (share * (LEVELS_OUT - 1)).astype(np.float32)


def _borrow(levels, strong):
    """Give each weak tile the mean levels of its strong (or already
    filled) neighbours, ring after ring outwards, in place."""
    filled = strong.copy()
    rows, cols = filled.shape
    while not filled.all():
        frontier = []
        for k, i in zip(*np.nonzero(~filled)):
            near = [(a, b) for a in range(max(k - 1, 0), min(k + 2, rows))
                    for b in range(max(i - 1, 0), min(i + 2, cols))
                    if filled[a, b]]
            if near:
                frontier.append((k, i, np.mean(
                    [levels[a, b] for a, b in near], axis=0)))
        for k, i, mean in frontier:        # all from the previous ring
            levels[k, i] = mean
            filled[k, i] = True


@dataclass
class TileCurves:
    """Per-tile levels over a tiles.TileLayout, and the interpolation
    between them."""

    layout: object
    levels: np.ndarray              # float32 (rows, cols, bins + 2)

    def levels_at(self, values, top, left, out, table=None):
        """Write into ``out`` (rows, cols; uint8, rounded, or float32) the
        levels of the pixels at ``top``, ``left`` of the grid, each
        interpolated bilinearly between the four tile centres around it.
        ``values``: their bins (uint16, same shape), or with ``table``
        (a bin_table) their DNs."""
        rows, cols = values.shape
        rounding = out.dtype != np.float32
        layout, tables = self.layout, self.levels
        wy_all, wx_all = layout.row_between[2], layout.col_between[2]
        for r0, r1, ka, kb in segments(layout.row_between, top, top + rows):
            for c0, c1, ia, ib in segments(layout.col_between, left,
                                           left + cols):
                wx = wx_all[c0:c1]
                t00, t01 = tables[ka, ia], tables[ka, ib]
                t10, t11 = tables[kb, ia], tables[kb, ib]
                for rows_part in row_pieces(r0, r1, c1 - c0):
                    a, b = rows_part.start, rows_part.stop
                    part = (slice(a - top, b - top),
                            slice(c0 - left, c1 - left))
                    bins = values[part] if table is None else np.take(
                        table, values[part])
                    upper = np.take(t00, bins)
                    lower = np.take(t01, bins)
                    lower -= upper
                    lower *= wx
                    upper += lower              # along the upper centres
                    lower = np.take(t10, bins)
                    right = np.take(t11, bins)
                    right -= lower
                    right *= wx
                    lower += right              # along the lower centres
                    lower -= upper
                    lower *= wy_all[a:b, None]
                    upper += lower
                    if rounding:
                        upper += 0.5
                    out[part] = upper


def bin_table(offset, invalid, saturated, bins):
    """uint16 table from a product's DNs to their bin on the reflectance
    scale, ``invalid`` DNs to bin ``bins + 1`` (level 0) and the
    saturated DN to bin ``bins`` (level 255)."""
    table = rescaled_dns(offset) >> bin_shift(bins)
    for dn in invalid:
        table[int(dn)] = bins + 1
    if saturated is not None:
        table[int(saturated)] = bins
    return table


class AdaptiveMapper:
    """Maps the DNs of the red, green and blue channels to RGB, each
    through its band's TileCurves."""

    def __init__(self, curves, bin_tables, invalid):
        """``curves``, ``bin_tables``: per channel, its band's TileCurves
        and bin_table; ``invalid``: DNs that are no-data."""
        self.curves = list(curves)
        self.bin_tables = list(bin_tables)
        self.invalid = tuple(invalid)

    def __call__(self, block, planes):
        top, rows, left, cols = block
        rgb = np.empty((3, rows, cols), dtype=np.uint8)
        valid = None
        for channel, plane in enumerate(planes):
            for dn in self.invalid:
                has = np.not_equal(plane, dn)
                valid = has if valid is None else np.logical_and(
                    valid, has, out=valid)
            self.curves[channel].levels_at(
                plane, top, left, rgb[channel], self.bin_tables[channel])
        np.multiply(rgb, valid, out=rgb)        # no-data pixels black
        return rgb, np.multiply(valid, 255, dtype=np.uint8)


def equalize_band(band, tile_pixels, limit, bins=None, nodata=0):
    """Adaptive equalization of a whole uint16 array, every pixel counted:
    the product runs' method on a plain array (tiles of ``tile_pixels``
    pixels from its upper-left corner, clip ``limit``, ``bins`` bins over
    0..65535, tiles.BINS by default). Returns uint8 levels, 0 where
    ``nodata`` (None: every value is valid)."""
    from ..pixels.grid import Grid
    from .tiles import BINS, TileCounts, TileLayout, count_into, count_tiles
    band = np.asarray(band, dtype=np.uint16)
    bins = bins or BINS
    height, width = band.shape
    layout = TileLayout(Grid(0, 1, 0.0, 0.0, width, height), tile_pixels)
    tiles = TileCounts.empty(0, tile_pixels, bins, (layout.i0, layout.k0),
                             layout.shape, ["band"])
    invalid = () if nodata is None else (nodata,)
    rows, cols = np.nonzero(band != nodata if invalid else
                            np.ones(band.shape, bool))
    count_into(tiles.counts["band"], layout, rows, cols, band[rows, cols],
               bin_shift(bins))
    count_tiles(tiles.valid, layout, rows, cols)
    tiles.valid /= layout.tile_pixels()
    tiles.products[...] = 1
    table = bin_table(0, invalid, None, bins)
    out = np.empty(band.shape, np.uint8)
    TileCurves(layout, tile_levels(tiles, "band", limit)).levels_at(
        band, 0, 0, out, table)
    return out
