"""Contrast limiting: a histogram clipped before its curve is made.

Plain equalization gives each value a share of the output levels in
proportion to how many pixels hold it, so a flat band (water, a field, a
uniform sky) whose pixels pile up on a few values is stretched over many
levels, and its sensor noise with it. Contrast limiting caps every bin of
the histogram at ``limit`` times its mean height over the counted range
and spreads what was cut off evenly over that range, before the
cumulative curve is made (the semantics of Orfeo ToolBox's ``hfact``).
The curve's steepest step is then at most 255 x the cap / the total
count, output levels per input value, whatever the scene.

The cap is exact: the level at which bins are cut is solved for, so that
after the spread no bin exceeds ``limit`` x the mean (cutting at the cap
itself and spreading would lift the cut bins above it again).
"""

import numpy as np

from .equalize import lookup_table


def clip_histogram(counts, limit, span=None):
    """``counts`` with no bin above ``limit`` x their mean over ``span``.

    ``counts``: non-negative counts, one histogram (shape (bins,)) or one
    per row (shape (n, bins)). ``limit``: > 1. ``span``: (first, last)
    bins, inclusive, over which the mean is taken and the excess spread,
    the same for every row; by default each histogram's own counted range
    (lowest to highest non-zero bin). Counts outside ``span`` must be 0.

    Returns float64 counts of the same shape and the same total per row;
    a histogram with no bin above the cap is returned unchanged, so a
    limit above every bin gives plain equalization exactly.
    """
    counts = np.array(counts, dtype=np.float64)
    rows = counts.reshape(-1, counts.shape[-1])     # a view: edited in place
    for index in range(rows.shape[0]):
        first_last = span if span is not None else _counted(rows[index])
        if first_last is None:
            continue
        first, last = first_last
        rows[index, first:last + 1] = _clipped(rows[index, first:last + 1],
                                               float(limit))
    return counts


def _counted(row):
    counted = np.flatnonzero(row)
    return (int(counted[0]), int(counted[-1])) if counted.size else None


def _clipped(inside, limit):
    """One histogram over its span, clipped and spread (see above)."""
    size = inside.size
    total = inside.sum()
    cap = limit * total / size
    if total <= 0 or inside.max() <= cap:
        return inside
    # With the bins cut at level c, each bin ends at min(bin, c) + the
    # excess / size; the tallest at c + excess(c) / size, which grows with
    # c. Its value is the cap where, with the k tallest bins above c
    # (their sum S_k), c + (S_k - k c) / size = cap: c = (size cap - S_k)
    # / (size - k). The k that holds is the one whose c lies between the
    # k-th and (k+1)-th tallest bins.
    tallest = np.sort(inside)[::-1]
    above = np.arange(1, size)
    sums = np.cumsum(tallest)[:-1]
    level = (size * cap - sums) / (size - above)
    fits = np.flatnonzero((level <= tallest[:-1]) & (level >= tallest[1:]))
    level = level[fits[0]] if fits.size else cap
    kept = np.minimum(inside, level)
    return kept + (total - kept.sum()) / size


def limited_table(counts, limit, saturated=None):
    """The uint8 lookup table (equalize.lookup_table) of ``counts``
    (LEVELS_IN counts) clipped at ``limit`` over their counted range."""
    return lookup_table(clip_histogram(counts, limit), saturated)
