"""A band in output-grid space, held in a temporary file between the two
passes of a run, so that no whole band is ever held in memory.

The files are in the scratch folder; one that cannot take them (missing,
not writable, full) stops the run with a ScratchError that names it."""

import mmap
import os
import tempfile
import threading

import numpy as np

from ..output.atomic import scratch_failed


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
        self.folder = folder
        try:
            self.file = tempfile.TemporaryFile(prefix="s2eq-",
                                               suffix=".spool", dir=folder)
        except OSError as exc:
            raise scratch_failed(folder, exc)

    def stripes(self):
        """(first column, width) of each stripe."""
        return [(col, min(self.STRIPE, self.width - col))
                for col in range(0, self.width, self.STRIPE)]

    def _position(self, stripe_col, row):
        stripe_width = min(self.STRIPE, self.width - stripe_col)
        return 2 * (stripe_col * self.height + row * stripe_width)

    def _seek(self, stripe_col, row):
        self.file.seek(self._position(stripe_col, row))

    def _read_stripe(self, stripe_col, row, rows):
        out = np.empty((rows, min(self.STRIPE, self.width - stripe_col)),
                       dtype=np.uint16)
        # Read at a position rather than from the file's own: several
        # threads read one spool at once (render.WRITE_WORKERS).
        self._flush()
        view, got = memoryview(out).cast("B"), 0
        while got < out.nbytes:
            count = os.preadv(self.file.fileno(), [view[got:]],
                              self._position(stripe_col, row) + got)
            if count == 0:                 # past what was ever written
                out.reshape(-1).view(np.uint8)[got:] = 0
                break
            got += count
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

    def picks(self, where):
        """The drawn pixels at ``where`` (flat positions, in raster order,
        in a strip of whole grid rows) grouped by this spool's stripes,
        for gather: worked out once for all the spools of one grid."""
        return Picks(where, self.width, self.stripes())

    def gather(self, top, rows, picks):
        """The uint16 values of ``picks`` (Spool.picks) in the strip of
        whole grid rows [top, top + rows).

        Each stripe's part of the strip is mapped into memory and the
        values taken from the map, so a sparse sample costs no copy of
        the rest; the maps are let go at once, so memory does not keep
        the band. Areas never written read as 0.
        """
        self._flush()
        size = 2 * self.width * self.height
        if self.file.seek(0, 2) < size:
            try:
                self.file.truncate(size)       # unwritten tail reads as 0
            except OSError as exc:
                raise scratch_failed(self.folder, exc)
        values = np.zeros(picks.size, np.uint16)
        for stripe_col, width, picked, inside in picks.groups:
            start = 2 * (stripe_col * self.height + top * width)
            skip = start % mmap.ALLOCATIONGRANULARITY
            mapped = mmap.mmap(self.file.fileno(), skip + 2 * rows * width,
                               access=mmap.ACCESS_READ, offset=start - skip)
            try:
                strip = np.frombuffer(mapped, np.uint16, rows * width, skip)
                values[picked] = strip[inside]
                del strip
            finally:
                mapped.close()
        return values

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
            try:
                self.file.write(data)
            except OSError as exc:          # a full scratch folder
                raise scratch_failed(self.folder, exc)

    def _flush(self):
        try:
            self.file.flush()
        except OSError as exc:
            raise scratch_failed(self.folder, exc)

    def close(self):
        """Let the file go without waiting for it: giving back a full
        band's disk space (its pages perhaps still queued for writing)
        took the file system 0.05-0.3 s per band on a full tile, time a
        cancelled run would otherwise spend before it ends."""
        threading.Thread(target=_close_quietly, args=(self.file,),
                         name="s2eq-spool-close", daemon=True).start()


def _close_quietly(handle):
    """Close ``handle``; what it still held is of no use now, and a full
    disk that refuses it has been reported already."""
    try:
        handle.close()
    except OSError:
        pass


class Picks:
    """Flat positions ``where`` (raster order) in a strip of whole rows
    of a grid ``width`` wide, as ``rows`` and ``cols`` in the strip, and
    grouped by spool stripe: ``groups`` holds, for each stripe with a
    pick, (first column, width, which of ``where``, position in the
    stripe's part of the strip)."""

    def __init__(self, where, width, stripes):
        where = np.asarray(where, np.int64)
        self.size = where.size
        self.rows, self.cols = np.divmod(where, width)
        self.groups = []
        for stripe_col, stripe_width in stripes:
            picked = np.flatnonzero((self.cols >= stripe_col)
                                    & (self.cols < stripe_col + stripe_width))
            if picked.size:
                inside = (self.rows[picked] * stripe_width
                          + self.cols[picked] - stripe_col)
                self.groups.append((stripe_col, stripe_width, picked,
                                    inside))
