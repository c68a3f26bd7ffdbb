"""The grid measure: what needs a pixel's three bands together, or its
place on the output grid. That is the luminance histogram (luminance
mode) and the per-tile histograms (adaptive method).

Bands are decoded one after the other, so these are drawn after the
decode, in one pass over the spooled bands, in strips of whole rows in
raster order; only the drawn pixels are taken from the spools
(spool.Spool.gather). The pixels are drawn by the seeded sampler over
that raster order (equalize.PixelSampler, on a stream of its own), so the
sample does not depend on how the pass is cut into strips, nor on the
spool's layout.
"""

import numpy as np

from ..errors import Cancelled
from .curve import BandCounts
from .equalize import PixelSampler, rescaled_dns
from .luminance import LUMINANCE, luminance_of, weighted_tables
from .tiles import (BINS, TileCounts, TileLayout, bin_shift, count_into,
                    count_tiles)

#: Pixels drawn per strip of the pass, on average: the strip's positions
#: and values then take about 10 MB whatever the sample share, and at a
#: 1 % sample a full 10 m product takes 5 strips (with fewer, larger
#: strips the pass maps each spool into memory fewer times).
GRID_PICKS = 1 << 18

#: The sampler stream of the grid measure: apart from the bands' own
#: streams (0, 1, 2), so it draws other pixels than theirs.
GRID_STREAM = 1000


class GridMeasure:
    """Draws pixels of ``plan``'s grid and measures, as asked: the
    luminance histogram of the red, green and blue bands (``luminance``),
    and per-tile histograms of tiles of ``tile_size`` metres for each key
    of ``tile_keys`` (band names, or luminance.LUMINANCE)."""

    def __init__(self, plan, sample_fraction, seed, luminance=False,
                 tile_size=None, tile_keys=()):
        product = plan.product
        self.grid = plan.grid
        # The pixels left out of the histograms but not of the spools
        # (clouds excluded from the curve), or None.
        self.counted = getattr(plan, "counted", None)
        self.unique = plan.unique_bands
        self.shown = tuple(plan.bands)          # red, green, blue
        self.channels = [self.unique.index(b) for b in plan.bands]
        self.fraction = float(sample_fraction)
        self.sampler = PixelSampler(sample_fraction, seed, GRID_STREAM)
        self.invalid = tuple(sorted({0, product.nodata}))
        self.excluded = self.invalid + ((product.saturated,)
                                        if product.saturated is not None
                                        else ())
        self.scales = [rescaled_dns(plan.offset(b)) for b in self.unique]
        self.tile_keys = tuple(tile_keys)
        self.luminance = luminance or LUMINANCE in self.tile_keys
        self.weights = weighted_tables([plan.offset(b) for b in plan.bands])
        self.luminance_counts = np.zeros(self.scales[0].size, np.int64)
        self.luminance_sampled = 0
        self.drawn_with_data = 0
        self.layout = self.tiles = None
        if tile_size:
            self.layout = TileLayout(self.grid, tile_size)
            self.tiles = TileCounts.empty(
                self.grid.epsg, tile_size, BINS,
                (self.layout.i0, self.layout.k0), self.layout.shape,
                self.tile_keys)
            self.shift = bin_shift(BINS)

    def run(self, spools, check_cancelled=None, advance=None):
        """Measure from ``spools`` (one per band of ``plan.unique_bands``,
        in that order), in strips of whole rows (strip_rows), taking only
        the drawn pixels from them."""
        height, width = self.grid.height, self.grid.width
        step = strip_rows(width, self.fraction)
        for top in range(0, height, step):
            if check_cancelled and check_cancelled():
                raise Cancelled()
            rows = min(step, height - top)
            picks = spools[0].picks(self._drawn(rows * width))
            self._count(top, picks.rows, picks.cols,
                        [spool.gather(top, rows, picks) for spool in spools])
            if advance:
                advance((top + rows) / float(height))

    def add(self, top, planes):
        """Measure the strip of whole rows from ``top``: ``planes`` holds
        a uint16 (rows, grid width) array of DNs per unique band."""
        where = self._drawn(planes[0].size)
        rows, cols = np.divmod(where, self.grid.width)
        self._count(top, rows, cols, [plane.reshape(-1)[where]
                                      for plane in planes])

    def _drawn(self, size):
        """Flat positions drawn in the next ``size`` pixels."""
        where = self.sampler.positions(size)
        return np.arange(size) if where is None else where

    def _count(self, top, rows, cols, dns):
        """Count the drawn pixels: at ``rows`` and ``cols`` in the strip
        from ``top``, with ``dns`` per unique band."""
        rows = rows + top
        if self.counted is not None:
            kept = self.counted.at(rows, cols)
            rows, cols, dns = rows[kept], cols[kept], [dn[kept] for dn in dns]
        usable = [_none_of(dn, self.excluded) for dn in dns]
        with_data = np.logical_and.reduce(
            [_none_of(dn, self.invalid) for dn in dns])
        self.drawn_with_data += int(np.count_nonzero(with_data))
        if self.luminance:
            shown = [self.channels[c] for c in range(3)]
            bright = usable[shown[0]] & usable[shown[1]] & usable[shown[2]]
            y = luminance_of([dns[i][bright] for i in shown], self.weights)
            self.luminance_counts += np.bincount(
                y, minlength=self.luminance_counts.size)
            self.luminance_sampled += y.size
        if self.tiles is None:
            return
        count_tiles(self.tiles.valid, self.layout, rows[with_data],
                    cols[with_data])
        for key in self.tile_keys:
            if key == LUMINANCE:
                count_into(self.tiles.counts[key], self.layout,
                           rows[bright], cols[bright], y, self.shift)
                continue
            band = self.unique.index(key)
            keep = usable[band]
            count_into(self.tiles.counts[key], self.layout, rows[keep],
                       cols[keep], np.take(self.scales[band],
                                           dns[band][keep]), self.shift)

    def luminance_band(self):
        """The luminance histogram as a curve.BandCounts; its valid pixel
        count is estimated from the sample (drawn pixels with data in all
        three bands, over the sample share)."""
        return BandCounts(self.luminance_counts.copy(),
                          int(round(self.drawn_with_data / self.fraction)),
                          int(self.luminance_sampled))

    def tile_counts(self):
        """The per-tile histograms (tiles.TileCounts) of this grid, the
        valid share of each tile estimated from the sample."""
        tiles = self.tiles
        expected = self.fraction * self.layout.tile_pixels()
        tiles.valid = np.minimum(tiles.valid / expected, 1.0)
        tiles.products[...] = 1
        return tiles


def strip_rows(width, fraction):
    """Rows of a grid ``width`` wide drawn from at a time, at a sample
    share of ``fraction``: about GRID_PICKS pixels drawn (at least a
    row)."""
    return max(1, int(GRID_PICKS / (width * float(fraction))))


def _none_of(values, excluded):
    """Boolean: where ``values`` holds none of the ``excluded`` DNs."""
    keep = np.ones(values.shape, bool)
    for dn in excluded:
        keep &= values != dn
    return keep
