"""Bands onto the output grid strip by strip, for a run whose lookup tables
are known before the first pixel is decoded (a run given a curve).

The output is produced in strips of STRIP_ROWS rows across the whole grid.
Each band file is decoded one row of JPEG2000 tiles at a time, a tile per
core in flight, and a decoded row of tiles is kept only while the strips
that need it are made (a 20 m band's row of tiles serves two strips of a
10 m grid). Nothing is spooled and nothing is decoded twice; memory holds a
row of tiles per band and one strip.
"""

import contextvars
import functools
import queue
import threading

import numpy as np

from .errors import Cancelled
from .reading import DECODE_WORKERS, GranuleBand, prefetched

#: Output rows per strip: a whole number of output tiles.
STRIP_ROWS = 1024


class _TileRows:
    """The decoding windows of one band of one granule, grouped in rows,
    and the rows decoded so far."""

    def __init__(self, target, plane_index):
        self.target = target
        self.plane_index = plane_index
        self.rows = []                        # [[window, ...], ...]
        for window in target.windows:
            if self.rows and self.rows[-1][0].row_off == window.row_off:
                self.rows[-1].append(window)
            else:
                self.rows.append([window])
        self.pieces = {}                      # row index -> [decoded, ...]
        self.decoded = {}                     # row index -> whole row

    def span(self, index):
        """Output rows [top, bottom) that tile row ``index`` covers."""
        target, first = self.target, self.rows[index][0]
        top = first.row_off // target.shrink
        height = -(-first.height // target.shrink)
        return (target.row0 + top * target.repeat,
                target.row0 + (top + height) * target.repeat)

    def needed(self, top, bottom):
        """Indexes of the tile rows that cover output rows [top, bottom)."""
        return [i for i in range(len(self.rows))
                if self.span(i)[0] < bottom and self.span(i)[1] > top]

    def put(self, index, block):
        pieces = self.pieces.setdefault(index, [])
        pieces.append(block)
        if len(pieces) == len(self.rows[index]):
            self.decoded[index] = np.concatenate(self.pieces.pop(index),
                                                 axis=1)

    def paint(self, plane, top, merge):
        """Put this band's pixels of output rows [top, top + rows) into
        ``plane`` (rows, grid width), then forget the tile rows above."""
        target, repeat = self.target, self.target.repeat
        bottom = top + plane.shape[0]
        for index in sorted(self.decoded):
            row_top, row_bottom = self.span(index)
            first, last = max(top, row_top), min(bottom, row_bottom)
            if first >= last:
                continue
            decoded = self.decoded[index]
            lo = (first - row_top) // repeat
            hi = -(-(last - row_top) // repeat)
            piece = decoded[lo:hi]
            if repeat > 1:
                piece = np.repeat(np.repeat(piece, repeat, axis=0), repeat,
                                  axis=1)
            skip = first - row_top - lo * repeat
            piece = piece[skip:skip + last - first]
            cols = min(piece.shape[1], plane.shape[1] - target.col0)
            region = plane[first - top:last - top,
                           target.col0:target.col0 + cols]
            if merge:
                np.copyto(region, piece[:, :cols], where=region == 0)
            else:
                region[...] = piece[:, :cols]
        for index in [i for i in self.decoded if self.span(i)[1] <= bottom]:
            del self.decoded[index]


def band_strips(product, granules, bands, grid, check_cancelled=None,
                advance=None):
    """Yield ``(top, planes)`` for each strip of ``grid``: ``planes`` holds
    one uint16 (rows, grid width) array per band of ``bands``, in order,
    no-data (0) where no granule has data. ``advance(share)`` receives the
    share (0..1) of the decoding done.

    Strips are made one ahead in a thread of their own, so decoding goes on
    while the caller maps and writes the previous strip.
    """
    return ahead(_strips(product, granules, bands, grid, check_cancelled,
                         advance))


class _Failed:
    def __init__(self, error):
        self.error = error


_END = object()


def ahead(items, depth=1):
    """Yield what the iterable ``items`` yields, computing up to ``depth``
    items ahead in a worker thread. An exception it raises is raised here;
    leaving the loop early stops the worker."""
    channel = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item):
        """Put ``item`` in the channel unless the reader has left."""
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as exc:     # handed over, raised by the reader
            offer(_Failed(exc))
        finally:
            if hasattr(items, "close"):
                items.close()

    # The worker runs in the caller's context (contextvars), as if the
    # caller made the items.
    worker = threading.Thread(target=contextvars.copy_context().run,
                              args=(produce,), daemon=True,
                              name="s2eq-strips")
    worker.start()
    try:
        while True:
            item = channel.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()


def _strips(product, granules, bands, grid, check_cancelled, advance):
    merge = len(granules) > 1
    bands = list(bands)
    sources = [_TileRows(GranuleBand(product, granule, band, grid), index)
               for index, band in enumerate(bands) for granule in granules]
    strips = list(range(0, grid.height, STRIP_ROWS))
    plan, started = [], set()      # (strip, source, row index, window)
    for strip, top in enumerate(strips):
        bottom = min(top + STRIP_ROWS, grid.height)
        for source in sources:
            for index in source.needed(top, bottom):
                if (id(source), index) not in started:
                    started.add((id(source), index))
                    plan.extend((strip, source, index, window)
                                for window in source.rows[index])
    costs = [w.width * w.height / float(s.target.shrink ** 2)
             for _, s, _, w in plan]
    total, done = max(sum(costs), 1.0), 0.0
    jobs = [functools.partial(source.target.decode, window)
            for _, source, _, window in plan]
    results = zip(plan, costs, prefetched(jobs, DECODE_WORKERS,
                                          check_cancelled))
    pending = next(results, None)
    for strip, top in enumerate(strips):
        while pending is not None and pending[0][0] == strip:
            if check_cancelled and check_cancelled():
                raise Cancelled()
            (_, source, index, _), cost, block = pending
            source.put(index, block)
            done += cost
            if advance:
                advance(done / total)
            pending = next(results, None)
        rows = min(STRIP_ROWS, grid.height - top)
        planes = [np.zeros((rows, grid.width), dtype=np.uint16)
                  for _ in bands]
        for source in sources:
            source.paint(planes[source.plane_index], top, merge)
        yield top, planes
