"""The output's overviews, made from its blocks as they are written.

Each overview halves the one above it: a pixel is the mean of the valid
pixels among the four it covers (rounded), and valid where any of them is.
Reducing each block as it goes to the writer costs a fraction of what
building the overviews from the written file did (reading the whole image
back and reducing the no-data mask took about 2 s of a full tile), and the
overviews are made from the exact pixels, before JPEG compression.

A block reduces on its own as long as its origin is a multiple of the
overview's factor; the writer's blocks start on whole output tiles (512
pixels), so factors up to MAX_FACTOR are exact.
"""

import numpy as np

#: Overviews stop once the image fits in this many pixels.
OVERVIEW_MIN_SIZE = 256
#: The largest reduction factor: a block's origin is a multiple of it.
MAX_FACTOR = 512


def overview_factors(width, height):
    """Reduction factors 2, 4, 8 ... until the image fits in
    OVERVIEW_MIN_SIZE pixels, at most MAX_FACTOR."""
    factors, factor = [], 2
    while max(width, height) / factor >= OVERVIEW_MIN_SIZE and \
            factor <= MAX_FACTOR:
        factors.append(factor)
        factor *= 2
    return factors


#: Pixels of a block halved at a time, about: the temporaries of a piece
#: stay in the processor's cache (about three times faster than whole
#: blocks). Pieces of fewer than MIN_PIECE_ROWS rows cost more in calls
#: than they save: on the 1024 columns of a spool stripe 32 rows were best,
#: on a full 10980-column strip 8 to 16.
PIECE_PIXELS = 32768
MIN_PIECE_ROWS = 8
#: 1 / count of valid pixels among four, by count (0 for none).
_RECIPROCAL = np.array([0.0, 1.0, 1 / 2, 1 / 3, 1 / 4], np.float32)


def halve(rgb, valid):
    """(rgb, valid) at half the size, rounded up: ``rgb`` uint8 (3, rows,
    cols), zero where ``valid`` (bool (rows, cols)) is false."""
    rows, cols = valid.shape
    if rows % 2 or cols % 2:
        rgb = np.pad(rgb, ((0, 0), (0, rows % 2), (0, cols % 2)))
        valid = np.pad(valid, ((0, rows % 2), (0, cols % 2)))
    half = np.empty((3, (rows + 1) // 2, (cols + 1) // 2), np.uint8)
    some = np.empty(half.shape[1:], bool)
    step = piece_rows(cols)
    for first in range(0, rows, step):
        part = slice(first, first + step)
        out = slice(first // 2, (first + step) // 2)
        _halve_piece(rgb[:, part], valid[part], half[:, out], some[out])
    return half, some


def piece_rows(cols):
    """Rows halved at a time in a block of ``cols`` columns: an even
    number, about PIECE_PIXELS pixels, at least MIN_PIECE_ROWS."""
    return max(MIN_PIECE_ROWS, PIECE_PIXELS // max(cols, 1) // 2 * 2)


def _halve_piece(rgb, valid, half, some):
    """Write the means of ``rgb``'s valid pixels, 2 x 2 at a time, into
    ``half`` and where any was valid into ``some`` (both even sides)."""
    total = _column_pairs(np.add(rgb[:, 0::2], rgb[:, 1::2],
                                 dtype=np.uint16), np.uint32)
    if valid.all():
        total += 2                            # round to nearest
        total >>= 2
        half[...] = total
        some[...] = True
        return
    count = _column_pairs(np.add(valid[0::2], valid[1::2], dtype=np.uint8),
                          np.uint16)
    total += count >> 1                       # round to nearest
    # Exact: the float of a count's reciprocal errs by far less than the
    # distance of any other quotient of 0..1020 by 1..4 to an integer.
    np.multiply(total, np.take(_RECIPROCAL, count), out=half,
                casting="unsafe")
    np.greater(count, 0, out=some)


def _column_pairs(values, wide):
    """The sums of neighbouring columns of ``values`` (unsigned, even
    columns), as the ``wide`` unsigned type, twice as long: each pair is
    read as one wide number, its low half the left column (little-endian)
    and its high half the right one."""
    bits = values.dtype.itemsize * 8
    if not (np.little_endian and values.flags.c_contiguous):
        return (values[..., 0::2].astype(wide) + values[..., 1::2])
    pairs = values.view(wide)
    return (pairs & ((1 << bits) - 1)) + (pairs >> bits)


def block_overviews(top, left, rgb, mask, levels):
    """Yield ``(level, top, left, rgb, mask)`` for each of ``levels``
    overviews (factors 2, 4, ...) of a block at (top, left): rgb uint8 (3,
    rows, cols) and mask uint8 (rows, cols), 255 where there is data."""
    valid = mask > 0
    if not valid.all():
        rgb = rgb * valid                      # no-data pixels count as 0
    for level in range(levels):
        factor = 2 << level
        if top % factor or left % factor:
            raise ValueError("a block at ({}, {}) does not start on a "
                             "multiple of {}".format(top, left, factor))
        rgb, valid = halve(rgb, valid)
        yield (level, top // factor, left // factor, rgb,
               valid.astype(np.uint8) * np.uint8(255))
