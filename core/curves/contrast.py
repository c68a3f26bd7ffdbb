"""Contrast limiting: a histogram clipped before its curve is made.

Plain equalization gives each value a share of the output levels in
proportion to how many pixels hold it, so a flat feature (a calm sea, a
snowfield, a uniform field) whose pixels pile up on a few values is
stretched over many levels, and its sensor noise with it. Contrast
limiting caps how steep the curve may get and gives back what it cuts.

The cap is set against the band's broad curve: plain equalization of its
histogram smoothed over BROAD_SHARE of its robust range (from the
ROBUST_SHARE quantile of its counted pixels to the 1 - ROBUST_SHARE
quantile). The broad curve keeps equalization's allocation of the output
levels between the large parts of a scene (land, water, clouds), and none
of its narrow peaks. The histogram is cut into clip bins, about CLIP_BINS
over the robust range (256, as Orfeo ToolBox and scikit-image count; the
width is the nearest power of two, laid from zero); each clip bin may hold
at most ``limit`` times its share of the broad histogram, and what is cut
off is spread back in proportion to the broad histogram. So:

* over any clip bin the curve rises at most ``limit`` times as steeply as
  the broad curve: ``limit`` 1 is the broad curve, a limit above every
  bin's ratio is the unclipped curve, exactly;
* the meaning moves neither with the width of the histogram's bins, nor
  with the band's brightest or darkest few pixels, an offset, or the
  sensor's bit depth: everything is measured against the robust range;
* adaptive equalization (adaptive.py) caps each tile against the whole
  image's broad curve: a tile of open water keeps to the image's curve
  there, a tile of fields beside a cloud takes the levels its own pixels
  need.

Within a clip bin the histogram keeps its shape (its counts are scaled),
so no detail finer than a clip bin is lost. The cap is exact: the level at
which bins are cut is solved for, so that after the spread no bin exceeds
it (cutting at the cap itself and spreading would lift cut bins above it).

Against other tools: Orfeo ToolBox's ``hfact`` and scikit-image's
``clip_limit`` x 256 cap each bin of a 256-bin histogram at that many
times the mean bin, a linear stretch's share, over the image's whole range;
the numbers are comparable, the reference is the broad curve here because
on a cloudy scene the whole range is mostly cloud, and a linear reference
drew the land dark and flat.
"""

from dataclasses import dataclass

import numpy as np

from .equalize import lookup_table

#: The robust range runs from this quantile of the counted pixels to
#: 1 - this: 1 % of them at each end may be outliers (a lone bright
#: reflection, a deep shadow) without moving it.
ROBUST_SHARE = 0.01
#: Clip bins over the robust range.
CLIP_BINS = 256
#: The width (one standard deviation) of the smoothing that makes a band's
#: broad histogram, as a share of its robust range: wide enough to smooth
#: away a calm sea's or a snowfield's peak, narrow enough to keep land
#: and clouds apart (measured on the real scenes of ``make quality``).
BROAD_SHARE = 1.0 / 32


@dataclass(frozen=True)
class ClipBins:
    """Clip bins over a histogram of ``len(of_bin)`` bins: ``of_bin[v]`` is
    the clip bin (0 .. ``count`` - 1) of histogram bin v; clip bins
    ``first`` to ``last`` (inclusive) hold the robust range, which is
    ``span`` histogram bins wide; each clip bin is ``width`` histogram
    bins wide."""

    of_bin: np.ndarray
    count: int
    first: int
    last: int
    span: int
    width: int

    @property
    def robust(self):
        """Clip bins over the robust range."""
        return self.last - self.first + 1

    def gather(self, counts):
        """``counts`` (one histogram) summed per clip bin, float64."""
        return np.bincount(self.of_bin, weights=np.asarray(
            counts, dtype=np.float64), minlength=self.count)


def robust_range(counts, share=ROBUST_SHARE):
    """(low, high): the bins of the ``share`` and 1 - ``share`` quantiles
    of ``counts`` (one histogram); None when nothing was counted."""
    cdf = np.cumsum(np.asarray(counts, dtype=np.float64))
    total = cdf[-1]
    if total <= 0:
        return None
    low = int(np.searchsorted(cdf, share * total, side="left"))
    high = int(np.searchsorted(cdf, (1.0 - share) * total, side="left"))
    return low, max(high, low)


def clip_bins(counts, share=ROBUST_SHARE, bins=CLIP_BINS):
    """The ClipBins of ``counts`` (one histogram: the band's, or the whole
    image's for adaptive tiles): of a width near the robust range / ``bins``
    (the power of two closest to it, at least one histogram bin), laid from
    value 0 (the reflectance scale's zero) rather than from the range's
    end, so that a sample, an outlier or a new date that moves the range a
    little does not move the bins' edges across a narrow peak. None when
    nothing was counted."""
    size = np.asarray(counts).shape[-1]
    found = robust_range(counts, share)
    if found is None:
        return None
    low, high = found
    span = high - low + 1
    width = 2 ** max(int(round(np.log2(span / float(bins)))), 0)
    of_bin = np.arange(size) // width
    return ClipBins(of_bin, int(of_bin[-1]) + 1, low // width, high // width,
                    span, width)


def broad_shape(counts, bins, share=BROAD_SHARE):
    """The broad histogram of ``counts`` (one histogram) over ``bins``
    (ClipBins), as weights summing to 1: gathered into the clip bins and
    smoothed by a Gaussian of ``share`` x the robust range, on the clip
    bins that hold pixels only (the values between land and clouds that
    no pixel holds get no output levels)."""
    heights = bins.gather(counts)
    sigma = max(share * bins.span / float(bins.width), 1e-6)
    reach = min(int(np.ceil(3.0 * sigma)), heights.size - 1)
    offsets = np.arange(-reach, reach + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    smooth = np.convolve(heights, kernel / kernel.sum(), mode="same")
    smooth = np.where(heights > 0, np.maximum(smooth, 1e-9 * heights.sum()),
                      0.0)
    return smooth / smooth.sum()


def clip_histogram(counts, limit, bins, reference):
    """``counts`` contrast-limited at ``limit`` (see above).

    ``counts``: non-negative counts, one histogram (shape (size,)) or one
    per row (shape (n, size), the tiles of adaptive equalization).
    ``limit``: >= 1. ``bins``: the ClipBins, the same for every row.
    ``reference``: the broad histogram the cap is set against, a weight per
    clip bin summing to 1 (broad_shape): a clip bin may hold at most
    ``limit`` x its weight x the row's total, and what is cut off is
    spread over the clip bins in proportion to their weights.

    Returns float64 counts of the same shape and the same total per row;
    a row with no clip bin above its cap is returned unchanged, so a limit
    above every bin's ratio gives the unclipped curve exactly.
    """
    counts = np.array(counts, dtype=np.float64)
    rows = counts.reshape(-1, counts.shape[-1])     # a view: edited in place
    weight = np.asarray(reference, dtype=np.float64)
    widths = np.maximum(np.bincount(bins.of_bin, minlength=bins.count), 1)
    for index in range(rows.shape[0]):
        if rows[index].any():
            rows[index] = _clipped(rows[index], float(limit), bins, weight,
                                   widths)
    return counts


def _clipped(row, limit, bins, weight, widths):
    """One histogram, clipped and spread over its clip bins (see above)."""
    heights = bins.gather(row)
    total = heights.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(heights > 0, heights / (total * weight), 0.0)
    if ratio.max() <= limit:
        return row
    kept = np.minimum(heights, _cut_ratio(ratio, weight, limit) * total
                      * weight)
    added = (total - kept.sum()) * weight
    # Each histogram bin keeps its share of its clip bin's kept count, and
    # an even share of the clip bin's part of the spread.
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(heights > 0, kept / heights, 0.0)
    return row * scale[bins.of_bin] + (added / widths)[bins.of_bin]


def _cut_ratio(ratio, weight, limit):
    """The ratio c at which the clip bins are cut (to c x their weight x
    the total) so that the bins cut, with their share of the spread, end
    at ``limit`` x their weight x the total: the largest c with c + E(c) <=
    ``limit``, where E(c), the share cut off, sums weight x (ratio - c)
    over the bins whose ratio exceeds c. c + E(c) never decreases with c;
    it is worked out at each ratio, from the highest down, and between the
    two that bracket ``limit``, where the bins above (their weights summing
    to W, their weighted ratios to S) are cut: c = (limit - S) / (1 - W).
    The largest c keeps the most of each clip bin's own shape (at a limit
    of 1 every c up to the lowest ratio gives the same clip bins)."""
    order = np.argsort(ratio)[::-1]
    highest = ratio[order]
    weights = np.cumsum(weight[order])
    sums = np.cumsum(weight[order] * highest)
    above_w = np.append(0.0, weights[:-1])     # weight above each ratio
    above_s = np.append(0.0, sums[:-1])
    reached = highest + above_s - highest * above_w
    within = np.flatnonzero(reached <= limit * (1 + 1e-12))
    if within.size == 0:
        return float(highest[-1])
    j = int(within[0])
    if j == 0:
        return float(highest[0])
    if above_w[j] >= 1.0 - 1e-12:
        return float(highest[j - 1])
    cut = (limit - above_s[j]) / (1.0 - above_w[j])
    return float(min(max(cut, highest[j]), highest[j - 1]))


def limited_counts(counts, limit):
    """``counts`` (one band's histogram) contrast-limited at ``limit``
    against their own broad histogram; unchanged when empty."""
    bins = clip_bins(counts)
    if bins is None:
        return np.asarray(counts)
    return clip_histogram(counts, limit, bins, broad_shape(counts, bins))


def limited_table(counts, limit, saturated=None):
    """The uint8 lookup table (equalize.lookup_table) of ``counts``
    (LEVELS_IN counts) contrast-limited at ``limit``."""
    return lookup_table(limited_counts(counts, limit), saturated)
