"""A band in output-grid space, held in a temporary file between the two
passes of a run, so that no whole band is ever held in memory."""

import mmap
import tempfile
import threading

import numpy as np


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

    def gather(self, top, rows, where):
        """The uint16 values at ``where``: flat positions (int array) in
        the strip of whole grid rows [top, top + rows), raster order.

        Each stripe's part of the strip is mapped into memory and the
        values taken from the map, so a sparse sample costs no copy of
        the rest; the maps are let go at once, so memory does not keep
        the band. Areas never written read as 0.
        """
        self.file.flush()
        size = 2 * self.width * self.height
        if self.file.seek(0, 2) < size:
            self.file.truncate(size)           # unwritten tail reads as 0
        where = np.asarray(where)
        row, col = where // self.width, where % self.width
        values = np.zeros(where.size, np.uint16)
        stripe = col // self.STRIPE
        for number, (stripe_col, width) in enumerate(self.stripes()):
            picked = np.flatnonzero(stripe == number)
            if picked.size == 0:
                continue
            start = 2 * (stripe_col * self.height + top * width)
            skip = start % mmap.ALLOCATIONGRANULARITY
            mapped = mmap.mmap(self.file.fileno(), skip + 2 * rows * width,
                               access=mmap.ACCESS_READ, offset=start - skip)
            try:
                strip = np.frombuffer(mapped, np.uint16, rows * width, skip)
                values[picked] = strip[row[picked] * width
                                       + col[picked] - stripe_col]
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
            self.file.write(data)

    def close(self):
        """Let the file go without waiting for it: giving back a full
        band's disk space (its pages perhaps still queued for writing)
        took the file system 0.05-0.3 s per band on a full tile, time a
        cancelled run would otherwise spend before it ends."""
        threading.Thread(target=self.file.close, name="s2eq-spool-close",
                         daemon=True).start()
