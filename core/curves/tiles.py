"""The tiles of adaptive equalization: where they lie, and their histograms.

Tiles are squares of ``size`` metres laid on the UTM grid from its origin
(edges at whole multiples of ``size`` in easting and northing), not on
the image: every product of a zone then shares one set of tiles, so the
histograms of dates of a tile, or of neighbouring tiles, add up tile by
tile into a shared curve. A tile at the edge of an image is only partly
covered by it; like a tile mostly in the no-data swath edge, it counts as
weak and borrows its curve from its neighbours (adaptive.py).

Tiles are indexed by column ``i = floor(easting / size)`` and row
``k = floor(-northing / size)``, so rows run downwards as in the image.
Each tile's histogram has ``bins`` bins on the reflectance scale
(equalize.to_reflectance_scale), of 65536 / ``bins`` values each.
"""

from dataclasses import dataclass, field

import numpy as np

from ..errors import SettingError
from .equalize import LEVELS_IN
from .modes import DEFAULT_TILE_SIZE, check_positive_size

#: Bins per tile histogram: 4096 bins of 16 reflectance units (0.0016 of
#: reflectance). Full 65536-value histograms for hundreds of tiles would
#: take hundreds of megabytes; at 4096 the 506 tiles of a full product
#: take 8 MB per band. A contrast-limited tile curve rises by at most a
#: fraction of an output level per bin, so the coarser bins do not show.
BINS = 4096
#: Smallest tile side, in pixels of the output grid: a smaller tile's
#: histogram holds too few pixels to mean anything.
MIN_TILE_PIXELS = 16
#: Most tiles over one image: each holds a BINS histogram per band.
MAX_TILES = 2500


def check_tile_size(size, grid, whole_image=True):
    """Raise SettingError unless ``size`` (m) suits ``grid``: at least
    MIN_TILE_PIXELS pixels, at most MAX_TILES tiles over the grid, and,
    with ``whole_image``, no larger than the image's longer side."""
    size = check_positive_size(size)
    pixel = float(grid.resolution)
    smallest = MIN_TILE_PIXELS * pixel
    if not size >= smallest:
        raise SettingError(
            "The tile size must be at least {:g} m: {} pixels of {:g} m "
            "(got {:g} m). {:g} m suits a full product.".format(
                smallest, MIN_TILE_PIXELS, pixel, size, DEFAULT_TILE_SIZE),
            setting="tile size")
    longest = max(grid.width, grid.height) * pixel
    if whole_image and size > longest:
        raise SettingError(
            "The tile size ({:g} m) is larger than the image ({:g} x {:g} "
            "m): adaptive equalization needs several tiles. Choose a tile "
            "size of at most {:g} m, or the contrast-limited method, which "
            "is one curve for the whole image.".format(
                size, grid.width * pixel, grid.height * pixel,
                _round_down(longest / 2.0)), setting="tile size")
    layout = TileLayout(grid, size)
    if layout.rows * layout.cols > MAX_TILES:
        raise SettingError(
            "A tile size of {:g} m makes {} x {} tiles over this image; at "
            "most {} are kept. Choose {:g} m or more.".format(
                size, layout.cols, layout.rows, MAX_TILES,
                _round_up(longest / (MAX_TILES ** 0.5 - 1.0))),
            setting="tile size")
    return size


def _round_down(metres):
    return max(100.0, 100.0 * np.floor(metres / 100.0))


def _round_up(metres):
    return 100.0 * np.ceil(metres / 100.0)


class TileLayout:
    """The tiles of ``size`` metres over a grid.Grid, and where each pixel
    stands between the centres of the four tiles nearest to it."""

    def __init__(self, grid, size):
        self.grid = grid
        self.size = float(size)
        res = float(grid.resolution)
        # Pixel centres: easting of each column, minus northing of each
        # row, computed once for the whole grid, so that any block cut
        # from it sees the very same numbers.
        east = grid.ulx + (np.arange(grid.width) + 0.5) * res
        south = -grid.uly + (np.arange(grid.height) + 0.5) * res
        col_tiles = np.floor(east / self.size).astype(np.int64)
        row_tiles = np.floor(south / self.size).astype(np.int64)
        self.i0, self.k0 = int(col_tiles[0]), int(row_tiles[0])
        self.cols = int(col_tiles[-1]) - self.i0 + 1
        self.rows = int(row_tiles[-1]) - self.k0 + 1
        self.col_tile = col_tiles - self.i0        # tile column per column
        self.row_tile = row_tiles - self.k0        # tile row per row
        self.col_between = _between(east / self.size - 0.5, self.i0,
                                    self.cols)
        self.row_between = _between(south / self.size - 0.5, self.k0,
                                    self.rows)

    @property
    def shape(self):
        return self.rows, self.cols

    def tile_pixels(self):
        """Pixels of the grid in a whole tile."""
        return (self.size / float(self.grid.resolution)) ** 2

    def tile_index(self, rows, cols):
        """Flat tile index (row-major over the layout) of pixels at grid
        ``rows`` and ``cols`` (arrays)."""
        return self.row_tile[rows] * self.cols + self.col_tile[cols]


def _between(position, first, count):
    """For each pixel, at ``position`` in tile units from the first tile's
    centre: (the nearer tile before it, the one after, the weight of the
    one after, float32), tile indexes clamped to the layout, so pixels
    beyond the outer centres take the outer tiles' curves."""
    before = np.floor(position).astype(np.int64)
    weight = (position - before).astype(np.float32)
    before -= first
    return (np.clip(before, 0, count - 1), np.clip(before + 1, 0, count - 1),
            weight)


def segments(between, start, stop):
    """Runs of pixels in [start, stop) that share their two tiles:
    (first, end, tile before, tile after), end exclusive."""
    before, after, _ = between
    keys = before[start:stop] * (1 << 20) + after[start:stop]
    cuts = np.flatnonzero(np.diff(keys)) + 1
    edges = [0] + cuts.tolist() + [stop - start]
    return [(start + a, start + b, int(before[start + a]),
             int(after[start + a])) for a, b in zip(edges[:-1], edges[1:])]


@dataclass
class TileCounts:
    """Per-tile histograms over the tiles of one UTM zone.

    ``counts``: key (a band name, or luminance.LUMINANCE) -> uint32
    (rows, cols, bins) sampled counts on the reflectance scale.
    ``valid``: per tile, the share of the tile's area that held valid
    pixels, summed over the products measured. ``products``: per tile, how
    many of those products covered part of it.
    """

    epsg: int
    size: float
    bins: int
    origin: tuple                   # (first tile column, first tile row)
    valid: np.ndarray
    products: np.ndarray
    counts: dict = field(default_factory=dict)

    @property
    def shape(self):
        return self.valid.shape

    @classmethod
    def empty(cls, epsg, size, bins, origin, shape, keys=()):
        return cls(int(epsg), float(size), int(bins), tuple(origin),
                   np.zeros(shape, np.float64), np.zeros(shape, np.int32),
                   {key: np.zeros(tuple(shape) + (bins,), np.uint32)
                    for key in keys})

    def window(self, origin, shape):
        """These counts on the tiles from ``origin`` over ``shape`` (rows,
        cols); tiles not measured are empty."""
        part = TileCounts.empty(self.epsg, self.size, self.bins, origin,
                                shape, self.counts)
        part._add(self)
        return part

    def __add__(self, other):
        """The sum of two TileCounts of one zone, over both extents."""
        if (self.epsg, self.size, self.bins) != (other.epsg, other.size,
                                                 other.bins):
            raise ValueError("tile counts of different layouts")
        i0 = min(self.origin[0], other.origin[0])
        k0 = min(self.origin[1], other.origin[1])
        cols = max(t.origin[0] + t.shape[1] for t in (self, other)) - i0
        rows = max(t.origin[1] + t.shape[0] for t in (self, other)) - k0
        keys = [k for k in self.counts if k in other.counts]
        total = TileCounts.empty(self.epsg, self.size, self.bins, (i0, k0),
                                 (rows, cols), keys)
        total._add(self)
        total._add(other)
        return total

    def _add(self, other):
        """Add the overlap of ``other`` into these counts, in place."""
        (mine, theirs) = _overlap(self, other)
        if mine is None:
            return
        self.valid[mine] += other.valid[theirs]
        self.products[mine] += other.products[theirs]
        for key, counts in self.counts.items():
            if key in other.counts:
                counts[mine] += other.counts[key][theirs]


def _overlap(a, b):
    """Slices of ``a`` and of ``b`` over the tiles they share."""
    i0, k0 = max(a.origin[0], b.origin[0]), max(a.origin[1], b.origin[1])
    i1 = min(a.origin[0] + a.shape[1], b.origin[0] + b.shape[1])
    k1 = min(a.origin[1] + a.shape[0], b.origin[1] + b.shape[0])
    if i0 >= i1 or k0 >= k1:
        return None, None

    def cut(t):
        return (slice(k0 - t.origin[1], k1 - t.origin[1]),
                slice(i0 - t.origin[0], i1 - t.origin[0]))
    return cut(a), cut(b)


def bin_shift(bins):
    """Right shift that turns a reflectance-scale value into its bin."""
    shift = int(np.log2(LEVELS_IN // bins))
    if LEVELS_IN >> shift != bins:
        raise ValueError("bins must be a power of two up to 65536")
    return shift


def count_into(counts, layout, rows, cols, values, shift):
    """Add pixels to per-tile histograms ``counts`` (uint32, (tile rows,
    tile cols, bins)), in place: pixels at grid ``rows`` and ``cols``
    (int arrays) with reflectance-scale ``values`` (uint16), binned by
    ``shift``. Only the tile rows the pixels touch are counted into, so
    the work follows the pixels, not the number of tiles."""
    if rows.size == 0:
        return
    bins = counts.shape[2]
    tile_rows = layout.row_tile[rows]
    first, last = int(tile_rows.min()), int(tile_rows.max())
    index = ((tile_rows - first) * layout.cols + layout.col_tile[cols]) \
        * bins + np.right_shift(values, shift)
    found = np.bincount(index, minlength=(last - first + 1) * layout.cols
                        * bins)
    target = counts[first:last + 1]
    np.add(target, found.reshape(target.shape).astype(np.uint32),
           out=target)


def count_tiles(totals, layout, rows, cols):
    """Add one per pixel at grid ``rows``, ``cols`` to the per-tile
    ``totals`` (float64 (tile rows, tile cols)), in place."""
    if rows.size:
        totals += np.bincount(layout.tile_index(rows, cols),
                              minlength=totals.size).reshape(totals.shape)
