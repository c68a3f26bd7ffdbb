"""Histogram equalization of 16-bit bands: pure functions on numpy arrays.

A band is equalized by rank: every digital number (DN, 0..65535) is mapped to
the share of valid pixels at or below it, scaled to 0..255. Clouds and land
then each get output levels in proportion to the area they cover, instead of
the linear stretch's "clouds white, land dark".

No-data and saturated pixels never enter the histogram. The histogram may be
drawn from a random sample of the valid pixels; the sampler is seeded, so the
same input always gives the same lookup table.
"""

import numpy as np

from ..errors import DataError
from .pieces import mask_of, row_pieces, with_data

#: One histogram bin per possible uint16 value.
LEVELS_IN = 65536
#: Output levels of the 8-bit image.
LEVELS_OUT = 256
#: Output level of a band whose valid pixels all share one DN: mid-grey, so a
#: flat band shows as flat rather than as black or white.
CONSTANT_LEVEL = 128

#: Default seed of the pixel sampler; stored in the output's metadata.
DEFAULT_SEED = 20150623

def histogram(values, excluded=(0,)):
    """Count each DN in ``values`` (any shape, uint16).

    ``excluded`` DNs (no-data, saturated) get a count of 0. Returns an int64
    array of LEVELS_IN counts.
    """
    counts = np.bincount(np.asarray(values, dtype=np.uint16).ravel(),
                         minlength=LEVELS_IN).astype(np.int64, copy=False)
    for dn in excluded:
        if dn is not None:
            counts[int(dn)] = 0
    return counts


def lookup_table(counts, saturated=None):
    """Turn a histogram into a uint8 lookup table of LEVELS_IN entries.

    ``counts``: LEVELS_IN non-negative counts of valid pixels (integers,
    or floats for a clipped histogram, contrast.clip_histogram). The
    smallest counted DN maps to 0, the largest to 255, and every DN in
    between to its cumulative share, so the table never decreases. DNs
    below or above the counted range (for example unsampled ones) clamp to
    0 or 255. A single counted DN maps to CONSTANT_LEVEL. ``saturated``, if
    given, maps to 255 (drawn white) whatever the counts say.

    Raises DataError when no pixel was counted.
    """
    counts = np.asarray(counts)
    counts = counts.astype(np.float64 if counts.dtype.kind == "f"
                           else np.int64, copy=False)
    if counts.shape != (LEVELS_IN,):
        raise ValueError("counts must have {} bins".format(LEVELS_IN))
    cdf = np.cumsum(counts)
    total = cdf[-1]
    if total <= 0:
        raise DataError("No valid pixel was counted, so there is nothing to "
                        "equalize.")
    counted = np.flatnonzero(counts)
    lowest, highest = int(counted[0]), int(counted[-1])
    dn = np.arange(LEVELS_IN)
    if lowest == highest:
        lut = np.where(dn < lowest, 0,
                       np.where(dn == lowest, CONSTANT_LEVEL, LEVELS_OUT - 1))
    else:
        # Integer counts and their float copies give the very same shares
        # (both are exact below 2**53), so an unclipped histogram gives
        # the same table either way.
        below_lowest = cdf[lowest]
        share = (cdf - below_lowest) / float(total - below_lowest)
        lut = np.rint(np.clip(share, 0.0, 1.0) * (LEVELS_OUT - 1))
    lut = lut.astype(np.uint8)
    if saturated is not None:
        lut[int(saturated)] = LEVELS_OUT - 1
    return lut


def apply_lut(lut, values, out=None):
    """Map uint16 ``values`` through ``lut`` (LEVELS_IN entries); returns an
    array of the same shape and of ``lut``'s dtype (written into ``out``
    when given).

    Looked up CHUNK_PIXELS at a time: numpy's take first turns its indexes
    into a machine-word copy (8 bytes a value), which for a whole block is
    a large fresh array and for a piece stays in the processor's cache;
    this is about three times faster on a full strip of a tile.
    """
    values = np.asarray(values)
    if out is None:
        out = np.empty(values.shape, lut.dtype)
    if values.ndim != 2 or out.ndim != 2:
        # mode="wrap" writes straight into ``out``; every uint16 index is
        # within a LEVELS_IN table, so none wraps.
        return np.take(lut, values, out=out, mode="wrap")
    for part in row_pieces(0, values.shape[0], values.shape[1]):
        np.take(lut, values[part], out=out[part], mode="wrap")
    return out


def map_planes(planes, luts, invalid=(0,)):
    """Map three uint16 (rows, cols) ``planes`` (any iterable) through their
    ``luts``.

    Returns RGB (3, rows, cols) uint8, black where any plane holds one of
    the ``invalid`` DNs, and the mask (rows, cols) uint8: 255 where every
    plane has data, else 0. Worked CHUNK_PIXELS at a time, so that the
    temporaries stay in the processor's cache.
    """
    planes = list(planes)
    rows, cols = planes[0].shape
    rgb = np.empty((3, rows, cols), dtype=np.uint8)
    mask = np.empty((rows, cols), dtype=np.uint8)
    for part in row_pieces(0, rows, cols):
        pieces = [plane[part] for plane in planes]
        valid = with_data(pieces, invalid)
        for index, (piece, lut) in enumerate(zip(pieces, luts)):
            colour = rgb[index, part]
            np.take(lut, piece, out=colour, mode="wrap")
            if valid is not None:
                np.multiply(colour, valid, out=colour)   # no-data: black
        mask_of(valid, mask[part])
    return rgb, mask


# --------------------------------------------------------------------------
# The reflectance scale. From processing baseline 04.00 on, a DN is
# reflectance x 10000 minus an offset the metadata declares (-1000); older
# products have no offset. Histograms and curves shared between products are
# kept on the corrected scale, DN + offset, so that one value means one
# reflectance whatever the baseline. Valid values stay valid: the corrected
# value is clamped to FIRST_VALID..LAST_VALID, clear of no-data (0) and the
# saturated value (65535).

FIRST_VALID, LAST_VALID = 1, LEVELS_IN - 2


def _corrected(offset):
    return np.clip(np.arange(LEVELS_IN) + int(offset), FIRST_VALID,
                   LAST_VALID)


def to_reflectance_scale(counts, offset):
    """A DN histogram (LEVELS_IN counts) moved to the corrected scale
    (DN + ``offset``, clamped to FIRST_VALID..LAST_VALID). int64 counts."""
    counts = np.asarray(counts, dtype=np.int64)
    if not offset:
        return counts.copy()
    moved = np.zeros(LEVELS_IN, dtype=np.int64)
    np.add.at(moved, _corrected(offset), counts)
    return moved


def rescaled_dns(offset, nodata=0, saturated=None,
                 new_saturated=LEVELS_IN - 1):
    """The uint16 table that moves a product's DNs onto another scale: DN +
    ``offset`` clamped to FIRST_VALID..LAST_VALID, ``nodata`` to 0 and
    ``saturated`` (if given) to ``new_saturated``."""
    table = _corrected(offset).astype(np.uint16)
    if saturated is not None:
        table[int(saturated)] = new_saturated
    table[int(nodata)] = 0
    return table


def dn_table(lut, offset, saturated=None):
    """The table that maps a product's DNs through ``lut``, a table on the
    corrected scale; ``saturated``, if given, maps to 255."""
    table = np.asarray(lut, dtype=np.uint8)[_corrected(offset)]
    if saturated is not None:
        table[int(saturated)] = LEVELS_OUT - 1
    return table


class PixelSampler:
    """Draws each pixel of a stream of blocks with probability ``fraction``.

    Picks are drawn as geometric gaps between positions in the stream, in
    chunks of a fixed size, so the cost grows with the number of picks, not
    with the number of pixels, and how the stream is cut into blocks does
    not change which pixels are picked: the same pixels in the same order
    always give the same sample for the same seed.
    """

    CHUNK = 65536

    def __init__(self, fraction, seed=DEFAULT_SEED, stream=0):
        """``fraction``: 0 < fraction <= 1. ``stream`` separates the draws of
        different bands that share a seed."""
        if not 0.0 < fraction <= 1.0:
            raise ValueError("sample fraction must be in (0, 1]")
        self.fraction = float(fraction)
        self._rng = np.random.default_rng([int(seed), int(stream)])
        self._pending = np.empty(0, dtype=np.int64)  # drawn, not yet reached
        self._last = -1          # stream position of the last drawn pick
        self._offset = 0         # stream position of the next block's start

    def positions(self, size):
        """Flat indices picked in the next block of ``size`` pixels, or None
        when every pixel is picked."""
        if self.fraction >= 1.0:
            return None
        end = self._offset + size
        while self._last < end:
            steps = np.cumsum(self._rng.geometric(self.fraction, self.CHUNK))
            drawn = self._last + steps
            self._pending = np.concatenate((self._pending, drawn))
            self._last = int(drawn[-1])
        inside = int(np.searchsorted(self._pending, end))
        picked = self._pending[:inside] - self._offset
        self._pending = self._pending[inside:]
        self._offset = end
        return picked

    def take(self, block):
        """The picked pixels of ``block`` as a flat array (all of them when
        the fraction is 1)."""
        flat = np.asarray(block).ravel()
        where = self.positions(flat.size)
        return flat if where is None else flat[where]


class BandHistogram:
    """Accumulates the sampled histogram of one band, block by block."""

    def __init__(self, fraction, seed=DEFAULT_SEED, stream=0, nodata=0,
                 saturated=None):
        self.sampler = PixelSampler(fraction, seed, stream)
        self.excluded = tuple(dn for dn in (nodata, saturated)
                              if dn is not None)
        self.saturated = saturated
        self.counts = np.zeros(LEVELS_IN, dtype=np.int64)
        self.valid_pixels = 0    # every valid pixel seen, sampled or not
        self.saturated_pixels = 0
        self.pixels = 0          # every pixel seen

    def add(self, block):
        """Count the sampled valid pixels of a uint16 ``block``."""
        block = np.asarray(block, dtype=np.uint16)
        self.counts += histogram(self.sampler.take(block), self.excluded)
        invalid = 0
        for dn in self.excluded:
            found = int(np.count_nonzero(block == dn))
            invalid += found
            if dn == self.saturated:
                self.saturated_pixels += found
        self.valid_pixels += block.size - invalid
        self.pixels += block.size

    @property
    def sampled_pixels(self):
        return int(self.counts.sum())

    def lookup_table(self):
        return lookup_table(self.counts, self.saturated)


def equalize(band, sample_fraction=1.0, seed=DEFAULT_SEED, nodata=0,
             saturated=None):
    """Equalize a whole uint16 array at once.

    Returns ``(image, valid)``: the uint8 equalized image (0 where no-data)
    and the boolean mask of pixels that are not no-data. Saturated pixels
    stay valid and are drawn at 255.
    """
    band = np.asarray(band, dtype=np.uint16)
    counter = BandHistogram(sample_fraction, seed, 0, nodata, saturated)
    counter.add(band)
    image = apply_lut(counter.lookup_table(), band)
    valid = band != nodata
    image[~valid] = 0
    return image, valid
