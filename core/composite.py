"""Cloud-free composites of a mosaic: which product's pixel, or which
value, each pixel of the mosaic shows where products overlap.

* ``first-valid`` (the default, the mosaic as it always was): the first
  product, in the mosaic's order, with data there;
* ``first-clear``: the first product where the pixel has data and its
  cloud mask calls it clear; where none is clear, the first valid;
* ``median``: per band, the median of the clear observations (values on
  the spools' common scale, the reflectance scale where the products'
  offsets differ: mosaic_scale); where none is clear, the first valid.
  Of an even number of observations the median is the mean of the middle
  two, rounded half up to a whole DN.

With clouds masked, "where none is clear" is no-data instead. The
histogram of a composite is drawn from its own pixels in one pass after
the decode (composite_pass), so the curve fits the picture shown.

Memory: a first-clear composite holds one block of two spools (the clear
pixels and the fallback); the median needs every product's rows of a
block at once, so its blocks have median_rows() rows: MEDIAN_BLOCK_BYTES
over the width and the bytes a pixel takes (six per product, and 64 for
what is worked out of them), whatever the number of products (more
products, thinner blocks; the time grows with the product count, the
memory does not). The spools on disk grow with the product count:
two bytes per band and pixel of the mosaic grid for each product.
"""

import numpy as np

from .errors import Cancelled, SettingError
from .pixels.clouds import CLEAR, CLOUD, NO_DATA

FIRST_VALID, FIRST_CLEAR, MEDIAN = "first-valid", "first-clear", "median"
COMPOSITES = (FIRST_VALID, FIRST_CLEAR, MEDIAN)
GIVEN, CLEAREST = "given", "clearest"
ORDERS = (GIVEN, CLEAREST)
#: A median block's budget, in bytes: the products' values of the block
#: and what is worked out of them.
MEDIAN_BLOCK_BYTES = 96 * 2 ** 20
#: Bytes a median block takes per product and pixel: the value, its
#: sorted copy (2 bytes each), the clear flag and the usable flag.
MEDIAN_BYTES_PER_VALUE = 6
#: Bytes it takes per pixel whatever the product count: the count of
#: clear values, the two middle positions and values, the first valid,
#: the result.
MEDIAN_BYTES_PER_PIXEL = 64
#: Rows of a first-clear block (a spool stripe wide).
FIRST_CLEAR_ROWS = 1024


def check_composite(composite=None, order=None):
    """(composite, order) as COMPOSITES and ORDERS name them; None or ""
    for the defaults. Raises SettingError naming the choices."""
    composite = (composite or FIRST_VALID).strip().lower()
    order = (order or GIVEN).strip().lower()
    if composite not in COMPOSITES:
        raise SettingError("'{}' is not a composite; choose {}.".format(
            composite, ", ".join(COMPOSITES)), "composite")
    if order not in ORDERS:
        raise SettingError("'{}' is not an order of the products; choose "
                           "{}.".format(order, ", ".join(ORDERS)), "order")
    return composite, order


def needs_masks(clouds, composite, order):
    """Whether a mosaic with these options reads the cloud masks."""
    return ((clouds is not None and clouds.acts) or composite != FIRST_VALID
            or order == CLEAREST)


def clearest_first(plans):
    """``plans`` ordered by their clear share of the area, largest first
    (a plan without data under the area last); ties keep their order."""
    return sorted(plans, key=lambda p: -(p.clear_share
                                         if p.clear_share is not None
                                         else -1.0))


def median_rows(count, width):
    """Rows of a median block over ``count`` products ``width`` pixels
    wide: MEDIAN_BLOCK_BYTES at most, one row at least."""
    per_pixel = MEDIAN_BYTES_PER_VALUE * max(count, 1) + \
        MEDIAN_BYTES_PER_PIXEL
    return max(1, MEDIAN_BLOCK_BYTES // (per_pixel * max(width, 1)))


def first_valid(stack):
    """Per pixel, the first of ``stack`` (uint16, products x rows x cols,
    0 no data) with data, else 0."""
    first = np.argmax(stack != 0, axis=0)
    return np.take_along_axis(stack, first[None], 0)[0]


def median_of_clear(stack, clear, fallback=True):
    """(the composite, where it came from clear observations) of
    ``stack`` (uint16, products x rows x cols, 0 no data) whose clear
    observations ``clear`` (bool, the same shape) marks: per pixel the
    median of the clear values with data (the mean of the middle two of
    an even count, rounded half up); where there is none, the first valid
    value with ``fallback``, else 0."""
    usable = clear & (stack != 0)
    count = usable.sum(axis=0)
    keyed = np.where(usable, stack, np.uint16(65535))
    keyed.sort(axis=0)
    low = np.take_along_axis(keyed, np.maximum(count - 1, 0)[None] // 2,
                             0)[0].astype(np.uint32)
    high = np.take_along_axis(keyed, (count // 2)[None], 0)[0]
    median = ((low + high + 1) // 2).astype(np.uint16)
    found = count > 0
    other = first_valid(stack) if fallback else np.uint16(0)
    return np.where(found, median, other).astype(np.uint16), found


class ClearOnly:
    """A spool (anything with write(row, col, block, merge)) that takes
    only the pixels a clouds.ClearMask calls clear, the others left as
    they are (merged) or no-data."""

    def __init__(self, spool, clear):
        self.spool, self.clear_mask = spool, clear
        self.width, self.height = spool.width, spool.height

    def write(self, row, col, block, merge=False):
        self.spool.write(row, col, self.clear_mask.clear(block, row, col, 0),
                         merge)


class Both:
    """Two spools written alike."""

    def __init__(self, first, second):
        self.first, self.second = first, second
        self.width, self.height = first.width, first.height

    def write(self, row, col, block, merge=False):
        self.first.write(row, col, block, merge)
        self.second.write(row, col, block, merge)


def first_clear_pass(spools, fallbacks, counters, clear_only,
                     check_cancelled=None, advance=None):
    """Make ``spools`` (the first clear pixel of each band, 0 elsewhere)
    the first-clear composite: where they have no data, the pixel of
    ``fallbacks`` (the first valid; None: stays no-data). ``counters``
    (equalize.BandHistogram per band, or None) count the composite's
    pixels, only those from clear observations if ``clear_only``."""
    total = float(len(spools) * spools[0].height) or 1.0
    done = 0
    for index, spool in enumerate(spools):
        for top in range(0, spool.height, FIRST_CLEAR_ROWS):
            if check_cancelled and check_cancelled():
                raise Cancelled()
            rows = min(FIRST_CLEAR_ROWS, spool.height - top)
            for left, cols in spool.stripes():
                block = spool.read(top, rows, left, cols)
                found = block != 0
                if fallbacks is not None and not found.all():
                    other = fallbacks[index].read(top, rows, left, cols)
                    block = np.where(found, block, other)
                    spool.write(top, left, block)
                if counters is not None:
                    counters[index].add(np.where(found, block, 0)
                                        if clear_only else block)
            done += rows
            if advance:
                advance(done / total)


def median_pass(own, clears, spools, counters, clear_only, fallback=True,
                check_cancelled=None, advance=None):
    """Write into ``spools`` (one per band) the median-of-clear composite
    of ``own`` (per product, its spool of each band) whose clear pixels
    ``clears`` (per product, a clouds.ClearMask on the grid) marks, in
    blocks of median_rows() rows; ``counters``, ``clear_only``: as for
    first_clear_pass; ``fallback``: the first valid where none is
    clear (else no-data)."""
    height, width = spools[0].height, spools[0].width
    step = median_rows(len(own), width)
    for top in range(0, height, step):
        if check_cancelled and check_cancelled():
            raise Cancelled()
        rows = min(step, height - top)
        clear = np.stack([mask.block(top, 0, rows, width)
                          for mask in clears])
        for index, spool in enumerate(spools):
            stack = np.stack([bands[index].read(top, rows, 0, width)
                              for bands in own])
            block, found = median_of_clear(stack, clear, fallback)
            del stack
            spool.write(top, 0, block)
            if counters is not None:
                counters[index].add(np.where(found, block, 0)
                                    if clear_only else block)
        if advance:
            advance((top + rows) / float(height))


class ShownClear:
    """Which pixels of a mosaic show a clear observation, by the plans'
    cloud masks (clouds.ClearMask), for the measures drawn from the
    mosaic's spools (the luminance and the tiles) with clouds excluded:
    with the first valid composite, the first plan with data there
    decides; with the others, a pixel is clear where any plan has it
    clear (the composite then shows a clear observation). Has what
    gridsample.GridMeasure asks of a mask: at()."""

    def __init__(self, plans, composite):
        self.masks = [plan.clear for plan in plans]
        self.first = composite == FIRST_VALID

    def at(self, rows, cols):
        states = [mask.states_at(rows, cols) for mask in self.masks]
        if not self.first:
            return np.logical_or.reduce([s == CLEAR for s in states]) | \
                np.logical_and.reduce([s == NO_DATA for s in states])
        clear = np.ones(len(rows), bool)
        decided = np.zeros(len(rows), bool)
        for state in states:
            now = ~decided & (state != NO_DATA)
            clear[now] = state[now] != CLOUD
            decided |= now
        return clear
