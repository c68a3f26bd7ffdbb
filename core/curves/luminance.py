"""Luminance mode: one curve for the brightness of the picture, applied to
the three bands as one gain, so the colours stay.

Equalizing each band on its own stretches each by its own curve, so the
ratios between the bands, and with them the hue, shift: water turns
purple, cloud edges get coloured fringes. In luminance mode one curve is
made from the luminance Y of the three bands, and each pixel's three
values are multiplied by the same gain, curve(Y) / Y. The output's
luminance is then the curve's, and its band ratios are the input's.

Y is a weighted sum of the reflectance-scale values (DN + the product's
offset) of the bands shown in red, green and blue, with the Rec. 709
weights of those display channels. Reflectance is linear in light, as
Rec. 709's luminance is, so for true colour (B04, B03, B02) Y is the
brightness the eye would see. For any other combination the weights
still belong to the display channels, not to the bands: Y is the
brightness of the picture as shown (in false colour infrared, B08 shown
in red counts for 21 %, B04 shown in green for 72 %).

Saturation: where the gain would push a band past 255, the three bands
are scaled down together, so the brightest is 255 and the hue is kept;
the pixel is darker than the curve asked for. Clipping each band at 255
instead would keep more brightness but turn strong colours towards
yellow, cyan or white, which is what this mode exists to avoid. A pixel
with a band at the saturated value (a cloud core) is drawn white, as in
per-band mode. No-data in any band is black and masked.

Haze: top-of-atmosphere bands (L1C) carry the light the atmosphere
scatters, most in blue, on top of the ground's, so their ratios paint
fields pink and vegetation teal. For them each band's dark-object level
(haze_levels) is taken off before the ratios, in full from dark values
and less and less up to HAZE_FADE (clouds stand above most of the haze,
and white clouds would turn pink without it): the colours are those of
the bands less their haze, and the gain is curve(Y) / (Y less the haze's
luminance, faded alike). The curve itself is unchanged: the pixels' ranks
by Y are the same with the haze or without. Surface reflectance (L2A)
has no haze to take off.

The gain is applied in the log domain with integer tables, which costs
little more than per-band lookup tables (see LOG_STEPS).
"""

import numpy as np

from .equalize import FIRST_VALID, LAST_VALID, LEVELS_IN, LEVELS_OUT
from .pieces import mask_of, row_pieces, with_data
from .tiles import bin_shift

#: The key of the luminance histogram among a curve's bands.
LUMINANCE = "LUMINANCE"
#: Rec. 709 weights of the red, green and blue display channels.
WEIGHTS = (0.2126, 0.7152, 0.0722)

#: Steps per unit of natural log in the integer log tables: a relative
#: error of 1/2048 (0.05 %, an eighth of an output level at 255) at most
#: per table, so band ratios keep three significant digits.
LOG_STEPS = 2048.0
#: Offset added to log(gain), so that gains from e**-15 to e**5.9 are
#: held in the uint16 tables (smaller gains give 0, larger never occur:
#: a gain of 255 / Y is at most 255).
GAIN_OFFSET = 15.0
#: Largest log value of a reflectance-scale value (log 65534 x LOG_STEPS)
#: plus one: the gain table stops where the sum would overflow uint16.
_LOG_TOP = int(np.ceil(np.log(LAST_VALID) * LOG_STEPS)) + 1
_GAIN_TOP = LEVELS_IN - 1 - _LOG_TOP
#: log(255) + GAIN_OFFSET, in table steps: the cap at saturation.
_CAP = int(round((np.log(LEVELS_OUT - 1) + GAIN_OFFSET) * LOG_STEPS))
#: The log table's entry for the saturated DN: above every real value's,
#: so the brightest band's log tells a saturated pixel at once; with the
#: gain set to _CAP its sum stays within uint16.
_SATURATED_LOG = _LOG_TOP
#: Offsets of log(level) and -log(Y), which sum to GAIN_OFFSET, for the
#: adaptive gain: log(level / 256) + 3.5 >= 0 down to a 0.03 level.
_LEVEL_OFFSET, _Y_OFFSET = 3.5, GAIN_OFFSET - 3.5
#: Interpolated levels are held as uint16 in 1/256 of a level.
LEVEL_STEPS = 256.0
#: A band's dark-object level is the value that this share of its counted
#: pixels lies below (deep water, shadows): a dark object seen through
#: the atmosphere, a share large enough that a few odd pixels (a
#: defective detector, the data's edge) do not set it...
DARK_SHARE = 0.01
#: ... less the reflectance (x 10000) the darkest objects keep on the
#: ground: 1 %, as the classic dark-object subtraction assumes.
DARK_GROUND = 100
#: The haze taken off fades with the value, to none at this reflectance
#: (x 10000): a bright cloud's ratios are left as they are.
HAZE_FADE = 5000.0


def reflectance(offset):
    """Reflectance-scale value of each DN (float64), DN + ``offset``
    clamped to FIRST_VALID..LAST_VALID."""
    return np.clip(np.arange(LEVELS_IN) + int(offset), FIRST_VALID,
                   LAST_VALID).astype(np.float64)


def weighted_tables(offsets):
    """Per display channel (``offsets``: each channel's band offset), the
    uint16 table of weight x reflectance per DN, so that Y is the sum of
    three lookups; Y of valid values stays within 1..65535."""
    return [np.rint(weight * reflectance(offset)).astype(np.uint16)
            for weight, offset in zip(WEIGHTS, offsets)]


def luminance_of(dns, tables):
    """Y (uint16) of the three display channels' DN arrays ``dns``."""
    y = np.take(tables[0], dns[0])
    y += np.take(tables[1], dns[1])
    y += np.take(tables[2], dns[2])
    return y


def less_haze(values, haze):
    """``values`` (reflectance scale, float) less ``haze``, in full at 0
    and fading to none at HAZE_FADE; at least FIRST_VALID."""
    fade = np.clip(1.0 - values / HAZE_FADE, 0.0, 1.0)
    return np.maximum(values - haze * fade, FIRST_VALID)


def _log_tables(offsets, saturated=None, haze=(0, 0, 0)):
    """Per channel, the uint16 table of log(reflectance less its
    ``haze``) in steps per DN, the saturated DN's entry _SATURATED_LOG."""
    tables = [np.rint(np.log(less_haze(reflectance(offset), h))
                      * LOG_STEPS).astype(np.uint16)
              for offset, h in zip(offsets, haze)]
    for table in tables:
        if saturated is not None:
            table[int(saturated)] = _SATURATED_LOG
    return tables


def haze_levels(band_counts):
    """Each band's haze, on the reflectance scale: its dark-object level
    (the DARK_SHARE quantile of ``band_counts``, one histogram per band)
    less DARK_GROUND, at least 0."""
    levels = []
    for counts in band_counts:
        cdf = np.cumsum(np.asarray(counts, dtype=np.float64))
        if cdf[-1] <= 0:
            levels.append(0)
            continue
        dark = int(np.searchsorted(cdf, DARK_SHARE * cdf[-1], side="left"))
        levels.append(max(dark - DARK_GROUND, 0))
    return tuple(levels)


def haze_luminance(haze):
    """The luminance (Rec. 709 weights) of the red, green and blue
    channels' haze."""
    return sum(w * h for w, h in zip(WEIGHTS, haze))


def gain_table(levels, haze=0.0):
    """uint16 table of log(gain) + GAIN_OFFSET in steps, per Y, for the
    curve ``levels`` (LEVELS_IN output levels, 0..255, per Y): gain =
    level / (Y less ``haze``, the haze's luminance: less_haze)."""
    y = less_haze(np.arange(LEVELS_IN, dtype=np.float64), haze)
    with np.errstate(divide="ignore"):
        logs = (np.log(np.asarray(levels, np.float64) / y) + GAIN_OFFSET)
    return np.clip(np.rint(logs * LOG_STEPS), 0, _GAIN_TOP).astype(
        np.uint16)


def _level_logs():
    """uint16 log(level) + _LEVEL_OFFSET per level in 1/LEVEL_STEPS."""
    with np.errstate(divide="ignore"):
        logs = np.log(np.arange(LEVELS_IN) / LEVEL_STEPS) + _LEVEL_OFFSET
    return np.clip(np.rint(logs * LOG_STEPS), 0, _GAIN_TOP).astype(
        np.uint16)


def _minus_y_logs(haze=0.0):
    y = less_haze(np.arange(LEVELS_IN, dtype=np.float64), haze)
    return np.clip(np.rint((_Y_OFFSET - np.log(y)) * LOG_STEPS), 0,
                   _GAIN_TOP - 1).astype(np.uint16)


#: uint8 output level of each sum log(value) + log(gain) + GAIN_OFFSET.
_EXP = np.clip(np.rint(np.exp(np.arange(LEVELS_IN) / LOG_STEPS
                              - GAIN_OFFSET)), 0, LEVELS_OUT - 1).astype(
                                  np.uint8)


class LuminanceMapper:
    """Maps the DNs of the red, green and blue channels to RGB with one
    gain per pixel from a luminance curve: a global one (``levels``) or
    per tile (``adaptive``, an adaptive.TileCurves of the luminance)."""

    def __init__(self, offsets, invalid, saturated, levels=None,
                 adaptive=None, haze=(0, 0, 0)):
        """``offsets``: each channel's band offset; ``invalid``: DNs that
        are no-data; ``saturated``: the saturated DN or None; ``haze``:
        each channel's haze to take off before the ratios (haze_levels),
        on the reflectance scale."""
        self.weights = weighted_tables(offsets)
        self.logs = _log_tables(offsets, saturated, haze)
        self.invalid = tuple(invalid)
        self.saturated = saturated
        hazy = haze_luminance(haze)
        self.gains = None if levels is None else gain_table(levels, hazy)
        self.adaptive = adaptive
        if adaptive is not None:
            self.level_logs = _level_logs()
            self.minus_y = _minus_y_logs(hazy)
            self.shift = bin_shift(adaptive.levels.shape[-1] - 2)

    def __call__(self, block, planes):
        """RGB (3, rows, cols) uint8 and mask of the channels' DN
        ``planes`` at ``block`` (top, rows, left, cols) of the grid."""
        planes = list(planes)
        top, rows, left, cols = block
        rgb = np.empty((3, rows, cols), dtype=np.uint8)
        mask = np.empty((rows, cols), dtype=np.uint8)
        pieces = row_pieces(0, rows, cols)
        # Work arrays for one piece, used again for each, so that a
        # piece's temporaries stay in the cache. Each is an array of its
        # own: numpy works several times slower on views of one array.
        shape = (pieces[0].stop if pieces else 0, cols)
        work = [np.empty(shape, np.intp) for _ in range(3)] + [
            np.empty(shape, np.uint16) for _ in range(7)]
        for part in pieces:
            dns = [p[part] for p in planes]
            valid = with_data(dns, self.invalid)
            self._map(dns, valid, top + part.start, left, rgb[:, part],
                      [w[:part.stop - part.start] for w in work])
            mask_of(valid, mask[part])
        return rgb, mask

    def _map(self, dns, valid, top, left, out, work):
        indexes, (y, scratch, gain, brightest), logs = (
            work[:3], work[3:7], work[7:])
        # Each DN is looked up twice: as a machine-word index, made once,
        # take has nothing to convert. mode="wrap" lets take write into its
        # output directly; every index is below 65536 and every table
        # 65536 long, so none wraps.
        for dn, index in zip(dns, indexes):
            np.copyto(index, dn)
        np.take(self.weights[0], indexes[0], out=y, mode="wrap")
        for table, index in zip(self.weights[1:], indexes[1:]):
            np.take(table, index, out=scratch, mode="wrap")
            y += scratch
        if self.adaptive is None:
            np.take(self.gains, y, out=gain, mode="wrap")
        else:
            level = np.empty(y.shape, np.float32)
            np.right_shift(y, self.shift, out=scratch)
            self.adaptive.levels_at(scratch, top, left, level)
            level *= LEVEL_STEPS
            np.take(self.level_logs, level.astype(np.uint16), out=gain,
                    mode="wrap")
            np.take(self.minus_y, y, out=scratch, mode="wrap")
            gain += scratch
        for table, index, log in zip(self.logs, indexes, logs):
            np.take(table, index, out=log, mode="wrap")
        # The brightest band may reach 255 and no further: the same cap
        # on the gain for all three keeps their ratios.
        np.maximum(logs[0], logs[1], out=brightest)
        np.maximum(brightest, logs[2], out=brightest)
        # Saturated values are rare: most pieces have none to look for.
        white = (np.greater_equal(brightest, _SATURATED_LOG)
                 if self.saturated is not None
                 and brightest.max() >= _SATURATED_LOG else None)
        np.subtract(_CAP, brightest, out=brightest)
        np.minimum(gain, brightest, out=gain)
        if white is not None:
            # log + _CAP reaches 255 whatever the log: a saturated band
            # makes the pixel white.
            np.copyto(gain, _CAP, where=white)
        if valid is not None:
            np.multiply(gain, valid, out=gain)  # no-data: a gain of 0, black
        for channel, log in enumerate(logs):
            log += gain
            np.take(_EXP, log, out=out[channel], mode="wrap")

