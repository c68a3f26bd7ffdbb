"""Bands onto the output grid strip by strip, for a run whose lookup tables
are known before the first pixel is decoded (a run given a curve).

The output is produced in strips of STRIP_ROWS rows across the whole grid.
Every strip is made in one set of planes (a uint16 array per band) that
holds a block of strips as tall as a row of JPEG2000 tiles. Each band file
is decoded one tile at a time, a tile per core in flight, and each decoded
tile is painted straight into the planes (a coarser band's pixels repeated
on the way in), then dropped; one that reaches into the next block (a 20 m
band's tile covers two blocks of a 10 m grid) is kept until that block is
painted. While the reader maps and writes the block's strips, the tiles
decoded meanwhile wait, and go into the planes once it has finished with
them. Nothing is spooled and nothing is decoded twice; memory holds one
block and the few tiles decoded while the reader works.
"""

import functools

import numpy as np

from ..errors import Cancelled
from .ahead import Reader, ahead
from .reading import DECODE_WORKERS, GranuleBand, close_all, prefetched

#: Output rows per strip: a whole number of output tiles.
STRIP_ROWS = 512


class _Source:
    """The decoding windows of one band of one granule, grouped in rows,
    and where their pixels go on the grid."""

    def __init__(self, target, plane):
        self.target = target
        self.plane = plane                    # index of the band's plane
        self.rows = []                        # [[window, ...], ...]
        for window in target.windows:
            if self.rows and self.rows[-1][0].row_off == window.row_off:
                self.rows[-1].append(window)
            else:
                self.rows.append([window])

    def origin(self, window):
        """Output (row, col) of the upper-left pixel of ``window``."""
        target = self.target
        return (target.row0 + window.row_off // target.shrink * target.repeat,
                target.col0 + window.col_off // target.shrink * target.repeat)

    def span(self, index):
        """Output rows [top, bottom) that tile row ``index`` covers."""
        target, first = self.target, self.rows[index][0]
        top = self.origin(first)[0]
        return top, top + -(-first.height // target.shrink) * target.repeat

    def needed(self, top, bottom):
        """Indexes of the tile rows that cover output rows [top, bottom)."""
        return [i for i in range(len(self.rows))
                if self.span(i)[0] < bottom and self.span(i)[1] > top]

    def covers(self, height, width):
        """Whether this band's pixels cover the whole grid."""
        t = self.target
        return (t.row0 <= 0 and t.col0 <= 0
                and t.row0 + -(-t.height // t.shrink) * t.repeat >= height
                and t.col0 + -(-t.width // t.shrink) * t.repeat >= width)

    def paint(self, planes, top, bottom, window, block, merge):
        """Put the pixels of ``block`` (decoded from ``window``) that fall
        in output rows [top, bottom) into ``planes``, whose first row is
        ``top``; with ``merge``, only where a plane has no data yet."""
        repeat = self.target.repeat
        plane = planes[self.plane]
        row, col = self.origin(window)
        first = max(top, row)
        last = min(bottom, row + block.shape[0] * repeat)
        left = max(col, 0)          # an area's grid may start inside a pixel
        right = min(plane.shape[1], col + block.shape[1] * repeat)
        if first >= last or left >= right:
            return
        dest = plane[first - top:last - top, left:right]
        # Each run of whole repetitions is a view of shape (band rows,
        # times, band cols, times), filled by broadcasting, one column
        # phase at a time: no repeated copy of the block is made.
        for dr, sr, nr, tr in _runs(first - row, last - first, repeat):
            for dc, sc, nc, tc in _runs(left - col, right - left, repeat):
                region = dest[dr:dr + nr * tr, dc:dc + nc * tc].reshape(
                    nr, tr, nc, tc)
                piece = block[sr:sr + nr, sc:sc + nc][:, None, :]
                for phase in range(tc):
                    out = region[..., phase]
                    if merge:
                        np.copyto(out, piece, where=out == 0)
                    else:
                        out[...] = piece


def _runs(offset, length, repeat):
    """Positions ``offset`` .. ``offset + length - 1`` of a line of pixels
    each repeated ``repeat`` times, as runs ``(start, pixel, count,
    times)``: from ``start`` (counted from ``offset``), ``count`` pixels
    from ``pixel`` on, each ``times`` times."""
    runs, done = [], 0
    while done < length:
        pixel, phase = divmod(offset + done, repeat)
        count = 0 if phase else (length - done) // repeat
        if count:
            runs.append((done, pixel, count, repeat))
            done += count * repeat
        else:
            times = min(repeat - phase, length - done)
            runs.append((done, pixel, 1, times))
            done += times
    return runs


def _plan(sources, height, strip_rows):
    """The reads ``(source, window, first strip, last strip)`` in decoding
    order, and for each strip how many reads must be in before it is
    complete.

    Reads go strip by strip, each tile row at the first strip that needs
    it. Where granules of one band overlap, the pixels of the granule
    listed first win, so every tile row of an earlier granule that shares
    a strip with a later granule's tile row is decoded before it.
    """
    plan, ends, started = [], [], set()

    def start(source, index):
        if (source, index) in started:
            return
        started.add((source, index))
        top, bottom = source.span(index)
        first = max(top, 0) // strip_rows
        last = (min(bottom, height) - 1) // strip_rows
        for other in sources[:sources.index(source)]:
            if other.plane == source.plane:
                for earlier in other.needed(
                        first * strip_rows,
                        min((last + 1) * strip_rows, height)):
                    start(other, earlier)
        plan.extend((source, window, first, last)
                    for window in source.rows[index])

    for top in range(0, height, strip_rows):
        for source in sources:
            for index in source.needed(top, min(top + strip_rows, height)):
                start(source, index)
        ends.append(len(plan))
    return plan, ends


def band_strips(product, granules, bands, grid, check_cancelled=None,
                advance=None, mask=None):
    """Yield ``(top, planes)`` for each strip of ``grid``: ``planes`` holds
    one uint16 (rows, grid width) array per band of ``bands``, in order,
    no-data (0) where no granule has data or outside ``mask`` (an
    area.GridMask of ``grid``, or None). ``advance(share)`` receives the
    share (0..1) of the decoding done.

    The planes are valid until the next strip is asked for: every strip is
    made in the same arrays. Strips are made in a thread of their own, so
    decoding goes on while the caller maps and writes the previous strip.
    """
    reader = Reader()
    return ahead(_strips(product, granules, bands, grid, check_cancelled,
                         advance, reader, mask), reader=reader)


def _strips(product, granules, bands, grid, check_cancelled, advance,
            reader, mask=None):
    merge = len(granules) > 1
    bands, strip_rows = list(bands), STRIP_ROWS
    sources = [_Source(GranuleBand(product, granule, band, grid), index)
               for index, band in enumerate(bands) for granule in granules]
    # Planes not wholly painted by every strip are cleared before each.
    clear = [merge or not any(s.covers(grid.height, grid.width)
                              for s in sources if s.plane == index)
             for index in range(len(bands))]
    plan, ends = _plan(sources, grid.height, strip_rows)
    costs = [w.width * w.height / float(s.target.shrink ** 2)
             for s, w, _, _ in plan]
    total, done = max(sum(costs), 1.0), 0.0
    # The planes hold a block of strips as tall as a row of tiles of the
    # grid's resolution, so that such a tile is painted whole and dropped.
    tallest = max([-(-row[0].height // s.target.shrink) for s in sources
                   if s.target.repeat == 1 for row in s.rows] + [1])
    per_block = -(-tallest // strip_rows)
    planes = [np.zeros((min(per_block * strip_rows, grid.height),
                        grid.width), dtype=np.uint16) for _ in bands]
    held = []          # [(read, dns)] still to paint into a later block
    strip, given, arrived = 0, 0, 0
    # The block of strips the planes hold, while the reader has none of
    # its strips; None while it may.
    owned = 0

    def rows_of(block):
        return (block * per_block * strip_rows,
                min((block + 1) * per_block * strip_rows, grid.height))

    def take_back(block):
        """Make the planes, the reader's no more, block ``block``'s."""
        for plane, blank in zip(planes, clear):
            if blank:
                plane.fill(0)
        for (source, window, _, _), dns in held:
            source.paint(planes, *rows_of(block), window, dns, merge)
        held[:] = [item for item in held
                   if item[0][3] >= (block + 1) * per_block]
        return block

    results = prefetched([functools.partial(s.target.decode, w)
                          for s, w, _, _ in plan], DECODE_WORKERS,
                         check_cancelled)
    try:
        while strip < len(ends):
            if arrived >= ends[strip]:
                if owned != strip // per_block:
                    reader.caught_up(given, wait=True)
                    owned = take_back(strip // per_block)
                top, bottom = strip * strip_rows, min(
                    (strip + 1) * strip_rows, grid.height)
                start = rows_of(owned)[0]
                given, strip = given + 1, strip + 1
                if strip % per_block == 0:
                    owned = None
                shown = [plane[top - start:bottom - start]
                         for plane in planes]
                if mask is not None:
                    outside = ~mask.block(top, 0, bottom - top, grid.width)
                    for plane in shown:
                        plane[outside] = product.nodata
                yield top, shown
                continue
            dns = next(results)
            if reader.left.is_set():
                return
            if check_cancelled and check_cancelled():
                raise Cancelled()
            read, cost = plan[arrived], costs[arrived]
            arrived, done = arrived + 1, done + cost
            if owned is None and reader.caught_up(given):
                owned = take_back(strip // per_block)
            source, window, _, last = read
            if owned is not None:
                source.paint(planes, *rows_of(owned), window, dns, merge)
            if owned is None or last >= (owned + 1) * per_block:
                held.append((read, dns))
            if advance:
                advance(done / total)
    finally:
        results.close()
        close_all([s.target for s in sources])
