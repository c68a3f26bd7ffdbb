"""Reading bands onto one output grid, block by block.

Every band is decoded once, one JPEG2000 tile at a time with a tile per
core in flight, and written in output-grid space to a spool (an anonymous
temporary file of raw uint16 rows) while its histogram sample is drawn.
The writer then reads the spools back, so the lookup tables can be known
before the first output pixel is written without decoding anything twice
and without holding whole bands in memory.

Resampling onto the output grid:

* finer grid than the band (a 20 m band on a 10 m grid): nearest neighbour by
  whole-pixel repetition. Sentinel-2 grids are nested (10, 20 and 60 m share
  their corner), so every output pixel is a real measurement of the band, the
  no-data edge stays crisp, and nothing is invented.
* coarser grid (a 10 m band on a 60 m grid): the band is read through the
  JPEG2000 resolution levels, which decodes a fraction of the data, then taken
  by nearest neighbour. That is what makes quick-looks fast.
"""

import collections
import functools
import itertools
import math
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import rasterio
from rasterio._err import CPLE_BaseError
from rasterio.enums import Resampling
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.transform import Affine
from rasterio.windows import Window

from .errors import BandError, Cancelled, ProductError, first_line

#: What rasterio raises when GDAL fails: its I/O error is not a
#: RasterioError, and some failures (a damaged TIFF directory, say) come as
#: GDAL's own error classes, which rasterio keeps in a private module.
GDAL_ERRORS = (RasterioError, RasterioIOError, CPLE_BaseError)
#: Rows read at a time where the file has no useful tiling.
DEFAULT_STRIP_ROWS = 1024
#: Output tiles a side of one reduced-resolution read.
REDUCED_READ_TILES = 2
#: Blocks narrower or lower than this are strips, not tiles.
MIN_TILE = 64
#: Blocks decoded at the same time. OpenJPEG spreads one tile over the
#: cores only in part (about 1.7 of 2 here); a second tile in flight fills
#: the gaps.
DECODE_WORKERS = min(max(os.cpu_count() or 1, 2), 4)


class Grid:
    """A north-up raster grid: ``width`` x ``height`` pixels of
    ``resolution`` metres, upper-left corner at (``ulx``, ``uly``)."""

    def __init__(self, epsg, resolution, ulx, uly, width, height):
        self.epsg = epsg
        self.resolution = resolution
        self.ulx = ulx
        self.uly = uly
        self.width = width
        self.height = height

    @property
    def transform(self):
        return Affine(self.resolution, 0.0, self.ulx,
                      0.0, -self.resolution, self.uly)

    def offset_of(self, ulx, uly):
        """(row, col) of the point (ulx, uly) in whole pixels of this grid."""
        col = (ulx - self.ulx) / self.resolution
        row = (self.uly - uly) / self.resolution
        if abs(col - round(col)) > 1e-6 or abs(row - round(row)) > 1e-6:
            raise ProductError(
                "Granule corner ({}, {}) is off the {} m grid of the product; "
                "the metadata is inconsistent.".format(ulx, uly,
                                                       self.resolution))
        return int(round(row)), int(round(col))


def choose_zone(product, utm_zone=None):
    """EPSG code of the output: the requested UTM zone (1-60), or else the
    zone holding most granules (the lower code on a tie)."""
    codes = product.epsg_codes
    if utm_zone:
        matching = [c for c in codes if c % 100 == int(utm_zone)]
        if not matching:
            raise ProductError(
                "The product has no granule in UTM zone {}; its zones are {}. "
                "Set UTM_ZONE to one of them, or to 0 for the zone with most "
                "granules.".format(utm_zone,
                                   ", ".join(str(c % 100) for c in codes)))
        codes = matching
    counts = {c: sum(1 for g in product.granules if g.epsg == c)
              for c in codes}
    return max(sorted(codes), key=lambda c: counts[c])


def output_grid(product, resolution, epsg):
    """The grid of ``resolution`` m covering every granule in ``epsg``."""
    granules = [g for g in product.granules if g.epsg == epsg]
    boxes = []
    for g in granules:
        res = min(g.grids)
        ulx, uly, width, height = g.grids[res]
        boxes.append((ulx, uly, ulx + width * res, uly - height * res))
    left = min(b[0] for b in boxes)
    top = max(b[1] for b in boxes)
    width = int(math.ceil((max(b[2] for b in boxes) - left) / resolution - 1e-6))
    height = int(math.ceil((top - min(b[3] for b in boxes)) / resolution - 1e-6))
    return Grid(epsg, resolution, left, top, width, height), granules


class Spool:
    """One band in output-grid space, in an anonymous temporary file.

    The grid is stored as vertical stripes of STRIPE columns, each stripe's
    rows one after the other, so that a block one stripe wide is a single
    contiguous read or write: memory per block then depends on the stripe
    width, not on the width of the product. Areas never written read back as
    0, the Sentinel-2 no-data value.
    """

    STRIPE = 1024

    def __init__(self, width, height, folder=None):
        self.width = width
        self.height = height
        self.file = tempfile.TemporaryFile(prefix="s2eq-", suffix=".spool",
                                           dir=folder)

    def stripes(self):
        """(first column, width) of each stripe."""
        return [(col, min(self.STRIPE, self.width - col))
                for col in range(0, self.width, self.STRIPE)]

    def _seek(self, stripe_col, row):
        stripe_width = min(self.STRIPE, self.width - stripe_col)
        self.file.seek(2 * (stripe_col * self.height + row * stripe_width))

    def _read_stripe(self, stripe_col, row, rows):
        out = np.empty((rows, min(self.STRIPE, self.width - stripe_col)),
                       dtype=np.uint16)
        self._seek(stripe_col, row)
        got = self.file.readinto(memoryview(out).cast("B"))
        if got < out.nbytes:               # past what was ever written
            out.reshape(-1).view(np.uint8)[got:] = 0
        return out

    def read(self, row, rows, col, cols):
        """The block of ``rows`` x ``cols`` at (row, col), uint16."""
        if col % self.STRIPE == 0 and cols == min(self.STRIPE,
                                                  self.width - col):
            return self._read_stripe(col, row, rows)    # one whole stripe
        out = np.empty((rows, cols), dtype=np.uint16)
        for stripe_col, width in self.stripes():
            left, right = max(col, stripe_col), min(col + cols,
                                                    stripe_col + width)
            if left < right:
                stripe = self._read_stripe(stripe_col, row, rows)
                out[:, left - col:right - col] = \
                    stripe[:, left - stripe_col:right - stripe_col]
        return out

    def write(self, row, col, block, merge=False):
        """Put ``block`` with its upper-left pixel at (row, col).

        With ``merge``, pixels already holding data keep it, so overlapping
        granules fill each other's gaps instead of overwriting.
        """
        rows, cols = block.shape
        for stripe_col, width in self.stripes():
            left, right = max(col, stripe_col), min(col + cols,
                                                    stripe_col + width)
            if left >= right:
                continue
            piece = block[:, left - col:right - col]
            if right - left == width and not merge:
                data = np.ascontiguousarray(piece, dtype=np.uint16)
            else:                          # part of a stripe: read, mend
                data = self._read_stripe(stripe_col, row, rows)
                target = data[:, left - stripe_col:right - stripe_col]
                if merge:
                    np.copyto(target, piece, where=target == 0)
                else:
                    target[...] = piece
            self._seek(stripe_col, row)
            self.file.write(data)

    def close(self):
        self.file.close()


def _open(path, band):
    try:
        return rasterio.open(path)
    except GDAL_ERRORS as exc:
        raise BandError("Band {} file {} cannot be read ({}). The download is "
                        "probably incomplete: download the product again."
                        .format(band, path, first_line(exc)))



def _check_grid(src, path, band, expected, resolution):
    ulx, uly, width, height = expected
    problem = None
    if (src.width, src.height) != (width, height):
        problem = "{} x {} pixels".format(src.width, src.height)
    elif src.crs is not None and not src.transform.is_identity:
        t = src.transform
        if (abs(t.a - resolution) > 1e-6 or abs(t.c - ulx) > 1e-3
                or abs(t.f - uly) > 1e-3):
            problem = "corner ({}, {}) at {} m".format(t.c, t.f, t.a)
    if problem:
        raise BandError(
            "Band {} file {} has {}, but the granule metadata says {} x {} "
            "pixels with corner ({}, {}) at {} m. The product is damaged: "
            "download it again.".format(band, path, problem, width, height,
                                        ulx, uly, resolution))


def pick_file_resolution(granule, band, resolution):
    """Which of the band's files to read for a grid of ``resolution`` m:
    the one at exactly that resolution if the product has it (L2A ships
    20 and 60 m versions), else the finest."""
    available = granule.band_files.get(band, {})
    if not available:
        raise BandError("Band {} has no file in granule {}.".format(
            band, granule.name))
    return resolution if resolution in available else min(available)


def spool_bands(product, granules, bands, grid, spools, counters,
                check_cancelled=None, advance=None):
    """Decode each of ``bands`` of every granule onto ``grid`` into its
    spool (``spools``, in the same order).

    Each band's ``counter`` (equalize.BandHistogram) sees each of its
    decoded pixels once, at the band's own resolution before any
    repetition, band after band in a fixed order. All reads form one
    stream with DECODE_WORKERS in flight, so the cores stay busy from one
    band to the next; every band file is opened and checked before the
    first is decoded, so a damaged one is reported at once.
    ``advance(share)`` is called with the share (0..1) of the pixels
    decoded so far.
    """
    merge = len(granules) > 1
    reads = []
    for band, spool, counter in zip(bands, spools, counters):
        for granule in granules:
            target = _GranuleBand(product, granule, band, grid, spool,
                                  counter, merge)
            reads.extend((target, window) for window in target.windows)
    costs = [window.width * window.height / float(target.shrink ** 2)
             for target, window in reads]
    total, done = sum(costs), 0.0
    jobs = [functools.partial(target.decode, window)
            for target, window in reads]
    # Blocks decode in worker threads, several at a time, while this
    # thread feeds the previous ones to the histograms and the spools.
    for (target, window), cost, block in zip(
            reads, costs, prefetched(jobs, DECODE_WORKERS)):
        if check_cancelled and check_cancelled():
            raise Cancelled()
        target.put(window, block)
        done += cost
        if advance:
            advance(done / total)


class _GranuleBand:
    """One band of one granule: its file, checked against the metadata,
    the windows it is decoded in, and where their pixels go."""

    def __init__(self, product, granule, band, grid, spool, counter, merge):
        native = pick_file_resolution(granule, band, grid.resolution)
        self.band = band
        self.path = product.band_file(granule, band, native)
        expected = granule.grids.get(native)
        ulx, uly = (expected[0], expected[1]) if expected else granule.grids[
            min(granule.grids)][:2]
        self.row0, self.col0 = grid.offset_of(ulx, uly)
        with _open(self.path, band) as src:
            if expected:
                _check_grid(src, self.path, band, expected, native)
            width, height = src.width, src.height
            tile_rows, tile_cols = src.block_shapes[0]
        self.repeat = max(native // grid.resolution, 1)  # band coarser
        self.shrink = max(grid.resolution // native, 1)  # band finer
        self.windows = decode_windows(width, height, tile_rows, tile_cols,
                                      self.shrink)
        self.spool = spool
        self.counter = counter
        self.merge = merge

    def decode(self, window):
        """The band's pixels in ``window``, on the grid's resolution if
        coarser (a worker thread's job)."""
        try:
            # Opened for every block: closing the file drops its decoded
            # tiles from GDAL's block cache, where they would pile up.
            with rasterio.open(self.path) as src:
                if self.shrink == 1:
                    return src.read(1, window=window)
                # A smaller buffer than the window makes GDAL decode a
                # reduced JPEG2000 resolution level instead of the full one.
                return src.read(
                    1, window=window, resampling=Resampling.nearest,
                    out_shape=(-(-window.height // self.shrink),
                               -(-window.width // self.shrink)))
        except GDAL_ERRORS as exc:
            raise BandError(
                "Band {} file {} could not be decoded ({}). The file is "
                "damaged or truncated: download the product again."
                .format(self.band, self.path, first_line(exc)))

    def put(self, window, block):
        """Count ``block`` (decoded from ``window``) and spool it."""
        self.counter.add(block)
        repeat = self.repeat
        out_row = self.row0 + window.row_off // self.shrink * repeat
        out_col = self.col0 + window.col_off // self.shrink * repeat
        # Repeated pixels are written a slice of rows at a time, to bound
        # memory.
        slice_rows = max(DEFAULT_STRIP_ROWS // repeat, 1)
        for first in range(0, block.shape[0], slice_rows):
            piece = block[first:first + slice_rows]
            if repeat > 1:
                piece = np.repeat(np.repeat(piece, repeat, axis=0),
                                  repeat, axis=1)
            _put(self.spool, out_row + first * repeat, out_col, piece,
                 self.merge)


def decode_windows(width, height, tile_rows, tile_cols, shrink=1):
    """The windows a band of ``width`` x ``height`` pixels is decoded in,
    row by row.

    At full resolution each window is one JPEG2000 tile, so memory does not
    depend on the size of the band and no tile is decoded twice. A reduced
    read (``shrink`` > 1) takes about 2 x ``shrink`` tiles a side, so that
    its output is about two tiles a side (a few larger reduced reads decode
    faster than many small ones), and its edges fall on whole output
    pixels. A file in thin strips rather than tiles is read
    DEFAULT_STRIP_ROWS rows at a time.
    """
    if tile_rows < MIN_TILE or tile_cols < MIN_TILE:
        tile_rows, tile_cols = DEFAULT_STRIP_ROWS, width
    span = 1 if shrink == 1 else REDUCED_READ_TILES * shrink
    rows = _lcm(tile_rows, shrink)
    rows *= max(1, span * tile_rows // rows)
    cols = _lcm(tile_cols, shrink)
    cols *= max(1, span * tile_cols // cols)
    return [Window(left, top, min(cols, width - left), min(rows, height - top))
            for top in range(0, height, rows)
            for left in range(0, width, cols)]


def _lcm(a, b):
    return a * b // math.gcd(a, b)


def prefetched(jobs, workers=1):
    """Yield the results of ``jobs`` (callables) in order, while the next
    ``workers`` jobs run in worker threads."""
    jobs = iter(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = collections.deque(
            pool.submit(job) for job in itertools.islice(jobs, workers))
        try:
            while pending:
                result = pending.popleft().result()
                upcoming = next(jobs, None)
                if upcoming is not None:
                    pending.append(pool.submit(upcoming))
                yield result
        finally:
            for future in pending:          # stopped early: drop the rest
                future.cancel()


def _put(spool, row, col, block, merge):
    """Write ``block`` into the spool, clipped to the grid."""
    rows = min(block.shape[0], spool.height - row)
    cols = min(block.shape[1], spool.width - col)
    if rows > 0 and cols > 0:
        spool.write(row, col, block[:rows, :cols], merge)
