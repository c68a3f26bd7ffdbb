"""Decoding bands onto one output grid, block by block, for the measure
stage and the spool.

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
import contextvars
import functools
import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.windows import Window

from ..errors import BandError, Cancelled, DecodeError, first_line
from ..gdal.env import GDAL_ERRORS
from ..gdal.network import open_options
from ..gdal.native import POLL_SECONDS

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


def _open(path, band, label=None):
    label = label or path
    try:
        with rasterio.Env(**open_options(path)):
            return rasterio.open(path)
    except GDAL_ERRORS as exc:
        raise DecodeError(
            "Band {} file {} cannot be read ({}). The download is probably "
            "incomplete: download the product again.".format(
                band, label, first_line(exc).replace(path, label)))



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


def spool_bands(product, granules, bands, grid, spools, counters,
                check_cancelled=None, advance=None, mask=None,
                count_mask=None):
    """Decode each of ``bands`` of every granule onto ``grid`` into its
    spool (``spools``, in the same order).

    Each band's ``counter`` (equalize.BandHistogram) sees each of its
    decoded pixels once, at the band's own resolution before any
    repetition, band after band in a fixed order. Every band file is opened
    and checked before the first is decoded, so a damaged one is reported
    at once. ``advance(share)`` is called with the share (0..1) of the
    pixels decoded so far. ``mask``: an area.GridMask of ``grid``, whose
    pixels outside are neither counted nor spooled (None: all are);
    ``count_mask``: the mask of the pixels counted where it differs from
    ``mask`` (the area without its clouds), or None.
    """
    merge = len(granules) > 1
    decode_into([GranuleBand(product, granule, band, grid, spool, counter,
                             merge, mask, count_mask)
                 for band, spool, counter in zip(bands, spools, counters)
                 for granule in granules], check_cancelled, advance)


def decode_into(targets, check_cancelled=None, advance=None):
    """Decode every window of every target (a GranuleBand, or anything with
    its ``windows``, ``shrink``, ``decode`` and ``put``) and hand each block
    to its target's ``put``, in order.

    All reads form one stream with DECODE_WORKERS in flight, so the cores
    stay busy from one band to the next. The targets' open files are
    closed at the end, also on an error or a cancel. ``advance(share)`` is
    called with the share (0..1) of the pixels decoded so far.
    """
    reads = [(target, window) for target in targets
             for window in target.windows]
    costs = [window.width * window.height / float(target.shrink ** 2)
             for target, window in reads]
    total, done = sum(costs), 0.0
    jobs = [functools.partial(target.decode, window)
            for target, window in reads]
    # Blocks decode in worker threads, several at a time, while this
    # thread feeds the previous ones to the histograms and the spools.
    try:
        for (target, window), cost, block in zip(
                reads, costs, prefetched(jobs, DECODE_WORKERS,
                                         check_cancelled)):
            if check_cancelled and check_cancelled():
                raise Cancelled()
            target.put(window, block)
            done += cost
            if advance:
                advance(done / total)
    finally:
        close_all(targets)


def close_all(targets):
    """Close the open files of ``targets`` (those that keep any)."""
    for target in targets:
        close = getattr(target, "close", None)
        if close is not None:
            close()


class ThreadDatasets:
    """One file opened once per thread that decodes it, for a whole run.

    Opening a JPEG2000 file parses its header and holds Python's lock for
    8-25 ms, so a dataset per block cost more than some blocks' decode;
    a dataset is not safe to share between threads, so each thread keeps
    its own. ``close()`` may come from another thread while one decodes
    (a cancelled run leaves its running reads unwaited): it closes the
    datasets not in use, and a thread in the middle of a read closes its
    own when the read ends. Tiles left in GDAL's block cache by the open
    datasets are bounded by env.BoundedGdalCache during a run.
    """

    def __init__(self, path, band):
        self.path, self.band = path, band
        self.local = threading.local()
        self.guard = threading.Lock()
        self.opened = []              # [(dataset, lock)]
        self.closed = False

    def read(self, how):
        """``how(dataset)`` on this thread's dataset of the file."""
        entry = getattr(self.local, "entry", None)
        if entry is None:
            entry = (self.open(), threading.Lock())
            with self.guard:
                self.opened.append(entry)
            self.local.entry = entry
        dataset, lock = entry
        with lock:
            if dataset.closed:
                raise Cancelled()
            try:
                return how(dataset)
            finally:
                if self.closed:
                    dataset.close()

    def open(self):
        """A new dataset of the file."""
        with rasterio.Env(**open_options(self.path)):
            return rasterio.open(self.path)

    def close(self):
        """Close the datasets; see the class's help."""
        with self.guard:
            self.closed = True
            entries, self.opened = self.opened, []
        for dataset, lock in entries:
            if lock.acquire(blocking=False):
                try:
                    dataset.close()
                finally:
                    lock.release()


class GranuleBand:
    """One band of one granule: its file, checked against the metadata,
    the windows it is decoded in, and where their pixels go."""

    def __init__(self, product, granule, band, grid, spool=None,
                 counter=None, merge=False, mask=None, count_mask=None):
        self.band = band
        self.nodata = product.nodata
        self.path, native = product.band_source(granule, band,
                                                grid.resolution)
        #: The file as messages name it (a fetched copy by its original).
        self.label = product.path_label(self.path)
        expected = granule.grids.get(native)
        ulx, uly = (expected[0], expected[1]) if expected else granule.grids[
            min(granule.grids)][:2]
        self.row0, self.col0 = grid.offset_of(ulx, uly)
        self.native = native                # the file's pixel size (m)
        self.corner = (ulx, uly)            # its upper-left corner (m)
        with _open(self.path, band, self.label) as src:
            if expected:
                _check_grid(src, self.label, band, expected, native)
            width, height = src.width, src.height
            tile_rows, tile_cols = src.block_shapes[0]
        self.width, self.height = width, height     # the file's, in pixels
        self.repeat = max(native // grid.resolution, 1)  # band coarser
        self.shrink = max(grid.resolution // native, 1)  # band finer
        # Only the windows over the grid: an area's grid decodes only the
        # tiles it touches.
        self.within = self._within(grid)
        self.windows = [w for w in (
            _intersection(window, self.within) for window in decode_windows(
                width, height, tile_rows, tile_cols, self.shrink))
            if w is not None]
        self.spool = spool
        self.counter = counter
        self.merge = merge
        self.mask = mask
        self.count_mask = mask if count_mask is None else count_mask
        self.datasets = ThreadDatasets(self.path, band)

    def close(self):
        """Close the file's datasets the decoding threads keep open."""
        self.datasets.close()

    def _within(self, grid):
        """The Window of the file's pixels that fall on ``grid``."""
        res, native = grid.resolution, self.native
        ulx, uly = self.corner
        col0 = math.floor((grid.ulx - ulx) / native + 1e-6)
        col1 = math.ceil((grid.ulx + grid.width * res - ulx) / native - 1e-6)
        row0 = math.floor((uly - grid.uly) / native + 1e-6)
        row1 = math.ceil((uly - grid.uly + grid.height * res) / native
                         - 1e-6)
        col0, row0 = max(col0, 0), max(row0, 0)
        col1, row1 = min(col1, self.width), min(row1, self.height)
        return Window(col0, row0, max(col1 - col0, 0), max(row1 - row0, 0))

    def origin(self, window):
        """Grid (row, col) of the upper-left pixel of ``window``."""
        return (self.row0 + window.row_off // self.shrink * self.repeat,
                self.col0 + window.col_off // self.shrink * self.repeat)

    def decode(self, window):
        """The band's pixels in ``window``, on the grid's resolution if
        coarser (a worker thread's job)."""
        def read(src):
            if self.shrink == 1:
                return src.read(1, window=window)
            # A smaller buffer than the window makes GDAL decode a reduced
            # JPEG2000 resolution level instead of the full one.
            return src.read(
                1, window=window, resampling=Resampling.nearest,
                out_shape=(-(-window.height // self.shrink),
                           -(-window.width // self.shrink)))
        try:
            # The Env puts rasterio's error handler in this thread, so
            # GDAL's warnings reach the run's log (see gdal_warnings).
            with rasterio.Env():
                return self.datasets.read(read)
        except GDAL_ERRORS as exc:
            raise DecodeError(
                "Band {} file {} could not be decoded ({}). The file is "
                "damaged or truncated: download the product again."
                .format(self.band, self.label,
                        first_line(exc).replace(self.path, self.label)))

    def put(self, window, block):
        """Count ``block`` (decoded from ``window``) and spool it, where
        this band has a counter and a spool."""
        repeat = self.repeat
        out_row, out_col = self.origin(window)
        if self.counter is not None:
            counted = self.count_mask
            self.counter.add(block if counted is None else counted.clear(
                block, out_row, out_col, self.nodata, repeat))
        if self.spool is None:
            return
        # Repeated pixels are written a slice of rows at a time, to bound
        # memory.
        slice_rows = max(DEFAULT_STRIP_ROWS // repeat, 1)
        for first in range(0, block.shape[0], slice_rows):
            piece = block[first:first + slice_rows]
            if repeat > 1:
                piece = np.repeat(np.repeat(piece, repeat, axis=0),
                                  repeat, axis=1)
            if self.mask is not None:
                piece = self.mask.clear(piece, out_row + first * repeat,
                                        out_col, self.nodata)
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


def _intersection(window, other):
    """The part of ``window`` inside ``other``, or None."""
    left = max(window.col_off, other.col_off)
    top = max(window.row_off, other.row_off)
    right = min(window.col_off + window.width, other.col_off + other.width)
    bottom = min(window.row_off + window.height,
                 other.row_off + other.height)
    if right <= left or bottom <= top:
        return None
    return Window(left, top, right - left, bottom - top)


def _lcm(a, b):
    return a * b // math.gcd(a, b)


def prefetched(jobs, workers=1, cancelled=None):
    """Yield the results of ``jobs`` (callables) in order, while the next
    ``workers`` jobs run in worker threads, each in the caller's context
    (contextvars), as if the caller ran it.

    While it waits for a result it checks ``cancelled()`` every
    native.POLL_SECONDS and raises Cancelled: a JPEG2000 tile can take a
    loaded machine a second or more. Stopped early, it drops the jobs not
    started and leaves the running ones to end on their own, unwaited.
    """
    jobs = iter(jobs)
    context = contextvars.copy_context()

    def submit(job):
        return pool.submit(context.copy().run, job)

    pool = ThreadPoolExecutor(max_workers=workers)
    pending, finished = collections.deque(), False
    try:
        pending.extend(submit(job) for job in itertools.islice(jobs, workers))
        while pending:
            result = _result(pending[0], cancelled)
            pending.popleft()
            upcoming = next(jobs, None)
            if upcoming is not None:
                pending.append(submit(upcoming))
            yield result
        finished = True
    finally:
        for future in pending:              # stopped early: drop the rest
            future.cancel()
        pool.shutdown(wait=finished)


def _result(future, cancelled):
    """``future``'s result, checking ``cancelled()`` while it waits."""
    while cancelled is not None:
        try:
            return future.result(timeout=POLL_SECONDS)
        except FutureTimeout:
            if cancelled():
                raise Cancelled()
    return future.result()


def _put(spool, row, col, block, merge):
    """Write ``block``, whose upper-left pixel is at (row, col) of the
    grid, into the spool, clipped to the grid (on every side: an area's
    grid may start inside a file's pixels)."""
    skip_rows, skip_cols = max(-row, 0), max(-col, 0)
    row, col = row + skip_rows, col + skip_cols
    rows = min(block.shape[0] - skip_rows, spool.height - row)
    cols = min(block.shape[1] - skip_cols, spool.width - col)
    if rows > 0 and cols > 0:
        spool.write(row, col, block[skip_rows:skip_rows + rows,
                                    skip_cols:skip_cols + cols], merge)
