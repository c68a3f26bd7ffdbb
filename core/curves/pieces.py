"""How a block is worked in pieces, and which of its pixels have data.

The mappers (equalize.map_planes, luminance, adaptive) go through a block
a piece of whole rows at a time, each piece a few hundred kilobytes: its
temporaries stay in the processor's cache, which makes numpy's per-pixel
arithmetic several times faster than on whole blocks.
"""

import numpy as np

#: Pixels per piece of a block worked at a time when mapping. Smaller
#: pieces stay in a faster cache, larger ones take fewer numpy calls,
#: and with two workers mapping at once (render.WRITE_WORKERS) every call
#: is a point where one may wait for Python's lock held by the other: on
#: a full tile's write pass 65536 did better than 32768 in both colour
#: modes, and 131072 no better than 65536.
CHUNK_PIXELS = 65536


def row_pieces(start, stop, cols):
    """Slices of the rows ``start``..``stop`` of ``cols`` columns, each of
    about CHUNK_PIXELS pixels (at least a row)."""
    step = max(1, CHUNK_PIXELS // max(cols, 1))
    return [slice(first, min(first + step, stop))
            for first in range(start, stop, step)]


def with_data(planes, invalid=(0,)):
    """Boolean: where every one of ``planes`` (uint16 arrays of one shape)
    holds data, none of the ``invalid`` DNs; None where all of them do
    everywhere (most pieces of a tile), which needs no mask at all."""
    planes = list(planes)
    if tuple(invalid) == (0,):
        # No-data is the smallest DN: the least of the planes tells.
        least = np.minimum(planes[0], planes[1]) if len(planes) > 1 \
            else np.array(planes[0], copy=True)
        for plane in planes[2:]:
            np.minimum(least, plane, out=least)
        return np.not_equal(least, 0) if least.min(initial=1) == 0 else None
    valid = np.ones(planes[0].shape, bool)
    for plane in planes:
        for dn in invalid:
            np.logical_and(valid, np.not_equal(plane, dn), out=valid)
    return None if valid.all() else valid


def mask_of(valid, out):
    """Write the uint8 mask of ``valid`` (with_data) into ``out``: 255
    where there is data, else 0."""
    if valid is None:
        out.fill(255)
    else:
        np.multiply(valid, 255, out=out, dtype=np.uint8)
