"""The ways a run turns DNs into levels: the method (plain, contrast-limited
or adaptive equalization) and the colour mode (each band its own curve,
or one luminance curve for all three), with their defaults, ranges and
checks. Plain Python, so the algorithms and the command line can name
and check them without numpy.

The default, ``equalize`` with ``per band``, is the plugin's original
behaviour, pixel for pixel and tag for tag.
"""

from dataclasses import dataclass

from ..errors import SettingError

EQUALIZE, CONTRAST_LIMITED, ADAPTIVE = METHODS = (
    "equalize", "contrast-limited", "adaptive")
PER_BAND, LUMINANCE_COLOUR = COLOURS = ("per band", "luminance")

#: The clip limit that asks for each method's own default (the clip limit
#: parameter's default): AUTO_CLIP_LIMITS below.
AUTO_CLIP_LIMIT = 0.0
DEFAULT_CLIP_LIMIT = AUTO_CLIP_LIMIT
#: Each method's clip limit when none is given: how many times steeper
#: than the band's broad curve (contrast.py) a curve may get. Chosen on
#: the real cloudy scenes of ``make quality``: contrast-limited at 2 keeps
#: about 85 % of plain equalization's local contrast on clear land and
#: gentles narrow peaks; adaptive at 4 gives clear land about 1.5 times
#: plain equalization's local contrast and clouds more than plain
#: equalization, with its colours the most natural of the per-band modes.
AUTO_CLIP_LIMITS = {CONTRAST_LIMITED: 2.0, ADAPTIVE: 4.0}
#: Above this every curve is its method's unclipped curve (plain
#: equalization; per-tile equalization for adaptive): no clip bin of a
#: real band holds a thousand times its broad share.
MAX_CLIP_LIMIT = 1000.0
#: The default tile side of the adaptive method (m): a full product
#: (109.8 km) gets 22 or 23 tiles a side (they lie on the UTM grid, so
#: the edge ones are partial), each large enough for a river valley or
#: a cloud field, small enough that a snowfield and the valley beside it
#: get their own curves; 500 pixels a side at 10 m, as Orfeo ToolBox's
#: local window is a few hundred pixels.
DEFAULT_TILE_SIZE = 5000.0


def check_clip_limit(limit):
    """``limit`` as a float; SettingError unless it is AUTO_CLIP_LIMIT (0)
    or 1 <= limit <= MAX_CLIP_LIMIT."""
    try:
        limit = float(limit)
    except (TypeError, ValueError):
        limit = float("nan")
    if not (limit == AUTO_CLIP_LIMIT or 1.0 <= limit <= MAX_CLIP_LIMIT):
        raise SettingError(
            "The clip limit must be 0 (each method's own: {:g} for "
            "contrast-limited, {:g} for adaptive) or from 1 to {:g} (got "
            "{:g}). 1 follows the band's broad curve; {:g} is the unclipped "
            "curve.".format(AUTO_CLIP_LIMITS[CONTRAST_LIMITED],
                            AUTO_CLIP_LIMITS[ADAPTIVE], MAX_CLIP_LIMIT,
                            limit, MAX_CLIP_LIMIT),
            setting="clip limit")
    return limit


@dataclass
class Method:
    """``name``: one of METHODS; ``colour``: one of COLOURS;
    ``clip_limit``: 1 <= limit <= MAX_CLIP_LIMIT, or AUTO_CLIP_LIMIT for
    the method's own (``limit``), for the contrast-limited
    and adaptive methods; ``tile_size``: the side of the adaptive method's
    tiles, in metres."""

    name: str = EQUALIZE
    colour: str = PER_BAND
    clip_limit: float = DEFAULT_CLIP_LIMIT
    tile_size: float = DEFAULT_TILE_SIZE

    @property
    def is_default(self):
        return (self.name, self.colour) == (EQUALIZE, PER_BAND)

    @property
    def limit(self):
        """The clip limit in force: the one given, or the method's own
        when it is AUTO_CLIP_LIMIT (0)."""
        if float(self.clip_limit) == AUTO_CLIP_LIMIT:
            return AUTO_CLIP_LIMITS.get(self.name, AUTO_CLIP_LIMIT)
        return float(self.clip_limit)

    @property
    def luminance(self):
        return self.colour == LUMINANCE_COLOUR

    def check(self):
        """Raise SettingError for a setting out of range. The tile size is
        only checked for being a positive number here; mapping.check_on_grid
        also checks it against the output grid."""
        if self.name not in METHODS:
            raise SettingError("The method must be one of {} (got '{}')."
                               .format(", ".join(METHODS), self.name),
                               setting="method")
        if self.colour not in COLOURS:
            raise SettingError("The colour mode must be '{}' or '{}' (got "
                               "'{}').".format(PER_BAND, LUMINANCE_COLOUR,
                                               self.colour),
                               setting="colour")
        if self.name != EQUALIZE:
            check_clip_limit(self.clip_limit)
        if self.name == ADAPTIVE:
            check_positive_size(self.tile_size)

    def tags(self):
        """Provenance tags: none for the default (as files written before
        methods existed, so an absent S2EQ_METHOD means equalize, per
        band), else method and colour mode, the clip limit where it
        applies and the adaptive method's tile size."""
        if self.is_default:
            return {}
        tags = {"S2EQ_METHOD": self.name, "S2EQ_COLOUR": self.colour}
        if self.name != EQUALIZE:
            tags["S2EQ_CLIP_LIMIT"] = "{:g}".format(self.limit)
        if self.name == ADAPTIVE:
            tags["S2EQ_TILE_SIZE"] = "{:g}".format(float(self.tile_size))
        return tags

    def words(self):
        """How a layer name tells this method from the default: the method
        where it is not equalize, and luminance; none for the default."""
        words = () if self.name == EQUALIZE else (self.name,)
        return words + ((self.colour,) if self.luminance else ())

    def describe(self):
        """A few words for the file's description."""
        words = {EQUALIZE: "histogram-equalized",
                 CONTRAST_LIMITED: "contrast-limited equalized (limit "
                 "{:g})".format(self.limit),
                 ADAPTIVE: "adaptive equalized (tiles of {:g} m, limit {:g})"
                 .format(float(self.tile_size), self.limit)}
        return words[self.name] + (", by luminance" if self.luminance
                                   else "")


def check_positive_size(size):
    """``size`` as a float; SettingError unless it is a positive number."""
    try:
        size = float(size)
    except (TypeError, ValueError):
        size = float("nan")
    if not size > 0:
        raise SettingError("The tile size must be a positive number of "
                           "metres, such as {:g} (got {:g}).".format(
                               DEFAULT_TILE_SIZE, size), setting="tile size")
    return size
