"""The run options of the command line: one Flag per option, each the
twin of an ``s2eq:equalize`` parameter with its meaning and its default, so
that the command line and QGIS give the same pixels.

Adding an option is one entry in FLAGS: the flag, the keyword of the
``api`` functions it feeds, the parameter it mirrors, the sub-commands
that take it, and its help. The api passes keywords it does not know on to
core.render.Options, so a new core option needs nothing else here.
"""

import argparse
from dataclasses import dataclass

from ..api import DEFAULT_SAMPLE_PERCENT
from ..core.composite import COMPOSITES, FIRST_VALID, GIVEN, ORDERS
from ..core.curves.modes import (ADAPTIVE, AUTO_CLIP_LIMITS, COLOURS,
                                 CONTRAST_LIMITED, DEFAULT_CLIP_LIMIT,
                                 DEFAULT_TILE_SIZE, MAX_CLIP_LIMIT, METHODS)
from ..core.output.encoding import (AUTO_QUALITY, COARSE_QUALITY, COMPRESSIONS,
                                    RGB_QUALITY, YCBCR_QUALITY)
from ..core.pixels.clouds import DEFAULT_BUFFER, KEEP
from ..core.product.bands import (BAND_NAMES, COMBINATIONS, DEFAULT_BANDS,
                                  RESOLUTIONS)
from ..core.product.masks import CATEGORIES, CLOUD_WORDS, DEFAULT_CATEGORIES

#: The sub-commands that write images from one product each.
PER_PRODUCT = ("equalize", "batch")
#: Those that measure histograms, and those that write images.
MEASURING = ("equalize", "curve", "mosaic", "batch")
WRITING = ("equalize", "mosaic", "batch")
#: Those that write a mosaic (s2eq batch with --mosaic).
MOSAIC = ("mosaic", "batch")


@dataclass
class Flag:
    flag: str                 # "--sample"
    keyword: str              # the api keyword it feeds: "sample_percent"
    parameter: str            # the s2eq:equalize parameter(s) it mirrors
    commands: tuple           # the sub-commands that take it
    help: str
    default: object = None
    kind: object = str        # argparse type
    choices: tuple = None
    metavar: str = None
    switch: bool = False      # a boolean: --flag / --no-flag


def _percent(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "'{}' is not a number: give a percentage such as 1 or "
            "0.5".format(text))


def _colour(text):
    """A colour mode; 'per-band' and 'per_band' spare the shell a quote."""
    return text.replace("-", " ").replace("_", " ")


def _clouds(text):
    """A CLOUDS choice; "exclude" spares the shell a quote."""
    return CLOUD_WORDS[1] if text == "exclude" else text


def _classes(text):
    """The cloud classes of "cloud,cirrus", as CLOUD_CLASSES takes
    them."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "'{}' is not a number".format(text))


FLAGS = (
    Flag("--bands", "bands", "RED,GREEN,BLUE", MEASURING,
         "the red, green and blue bands, comma-separated: any of {} "
         "(default %(default)s)".format(", ".join(BAND_NAMES)),
         default=",".join(DEFAULT_BANDS), metavar="R,G,B"),
    Flag("--combination", "combination", "COMBINATION", MEASURING,
         "a named band combination instead of --bands: " + "; ".join(
             "{} ({}: {})".format(c.key, c.label, ", ".join(c.bands))
             for c in COMBINATIONS), metavar="NAME"),
    Flag("--sample", "sample_percent", "SAMPLE_PERCENT", MEASURING,
         "share of each band's valid pixels, in percent (above 0, at most "
         "100), drawn with a fixed seed into its histogram; 100 gives the "
         "exact histogram (default %(default)g)",
         default=DEFAULT_SAMPLE_PERCENT, kind=_percent, metavar="PERCENT"),
    Flag("--resolution", "resolution", "RESOLUTION", MEASURING,
         "output pixel size in metres: 'finest' keeps the finest of the "
         "chosen bands; 20 or 60 read reduced JPEG2000 levels, a quick-look "
         "in seconds (default %(default)s)", default="finest",
         choices=("finest",) + tuple(str(r) for r in RESOLUTIONS)),
    Flag("--utm-zone", "utm_zone", "UTM_ZONE", PER_PRODUCT,
         "for a product whose granules lie in two UTM zones, the zone to "
         "write (1-60, one of the product's); 0 takes the zone with most "
         "granules (default %(default)s)", default=0, kind=int,
         metavar="ZONE"),
    Flag("--curve", "curve", "CURVE", WRITING,
         "a curve file (from 's2eq curve' or QGIS's s2eq:curve) to map the "
         "bands through instead of each product's own histograms: products "
         "given the same curve get the same colours", metavar="FILE"),
    Flag("--method", "method", "METHOD", WRITING,
         "equalize: each value gets its rank, the most contrast; "
         "contrast-limited: the histogram clipped at --clip-limit first, so "
         "flat water and fields do not turn into amplified noise; adaptive: "
         "a contrast-limited curve per tile of --tile-size, blended between "
         "tiles (default %(default)s)", default=METHODS[0],
         choices=METHODS),
    Flag("--colour", "colour", "COLOUR", WRITING,
         "per band (or per-band): each band its own curve, colours shift; "
         "luminance: one curve of the picture's brightness applied to the "
         "three bands as one gain, colours kept (default: per band)",
         default=COLOURS[0], kind=_colour, choices=COLOURS,
         metavar="{per-band,luminance}"),
    Flag("--clip-limit", "clip_limit", "CLIP_LIMIT", WRITING,
         "for contrast-limited and adaptive: how many times steeper than "
         "the band's broad curve the curve may get, from 1 to {:g}; 0 "
         "(default) for each method's own: {:g} for contrast-limited, {:g} "
         "for adaptive".format(MAX_CLIP_LIMIT,
                               AUTO_CLIP_LIMITS[CONTRAST_LIMITED],
                               AUTO_CLIP_LIMITS[ADAPTIVE]),
         default=DEFAULT_CLIP_LIMIT, kind=_number, metavar="LIMIT"),
    Flag("--tile-size", "tile_size", "TILE_SIZE", MEASURING,
         "for adaptive: the side of its tiles in metres, at least 16 pixels "
         "(curve: the tiles the curve file keeps; default %(default)g)",
         default=DEFAULT_TILE_SIZE, kind=_number, metavar="METRES"),
    Flag("--compression", "compression", "COMPRESSION", WRITING,
         "JPEG: small files, each band within 4 levels of the exact picture "
         "on average; DEFLATE or ZSTD: lossless, several times larger, for "
         "analysing the picture (default %(default)s)",
         default=COMPRESSIONS[0], kind=str.upper, choices=COMPRESSIONS),
    Flag("--jpeg-quality", "jpeg_quality", "JPEG_QUALITY", WRITING,
         "1 (smallest) to 100 (best); 0 chooses per combination and pixel "
         "size: at 10 m natural colour in YCbCr at {}, other bands in RGB "
         "at {}; at 20 and 60 m RGB at {} and {} (default "
         "%(default)s)".format(YCBCR_QUALITY, RGB_QUALITY,
                               COARSE_QUALITY[20], COARSE_QUALITY[60]),
         default=AUTO_QUALITY, kind=int, metavar="QUALITY"),
    Flag("--extent", "extent", "EXTENT", MEASURING,
         "cover only this area: its corners XMIN,YMIN,XMAX,YMAX, with an "
         "optional CRS such as EPSG:4326 (default the output grid's CRS); "
         "snapped outward to whole pixels, the histogram drawn from it "
         "alone, only the band tiles it touches decoded",
         metavar="XMIN,YMIN,XMAX,YMAX[,CRS]"),
    Flag("--bbox", "bbox", "EXTENT", MEASURING,
         "the area as --extent takes it, in degrees of longitude and "
         "latitude (EPSG:4326), in the order of GeoJSON and STAC",
         metavar="WEST,SOUTH,EAST,NORTH"),
    Flag("--mask", "mask", "MASK", MEASURING,
         "a vector file of polygons (GeoPackage, GeoJSON, Shapefile; any "
         "CRS): pixels outside them, or in their holes, are no-data and "
         "left out of the histogram; without --extent the area is their "
         "bounding box", metavar="FILE"),
    Flag("--clouds", "clouds", "CLOUDS", MEASURING,
         "what to do with the clouds the product's own mask marks (SCL, "
         "MSK_CLASSI_B00, MSK_CLOUDS_B00.gml): keep them as any pixel; "
         "exclude them from the histogram, so the clear ground gets the "
         "output's range (clouds are still drawn, mostly white); mask: also "
         "no-data in the output (default %(default)s)", default=KEEP,
         kind=_clouds, choices=CLOUD_WORDS, metavar="{keep,exclude,mask}"),
    Flag("--cloud-buffer", "cloud_buffer", "CLOUD_BUFFER", MEASURING,
         "metres the clouds are widened by, since masks miss their edges "
         "(default %(default)g)", default=DEFAULT_BUFFER, kind=_number,
         metavar="METRES"),
    Flag("--cloud-classes", "cloud_classes", "CLOUD_CLASSES", MEASURING,
         "the classes counted as cloud, comma-separated, of {} (default "
         "cloud,cirrus,shadow: snow is ground)".format(", ".join(CATEGORIES)),
         default=list(DEFAULT_CATEGORIES), kind=_classes,
         metavar="CLASSES"),
    Flag("--composite", "composite", "COMPOSITE", MOSAIC,
         "which pixel a mosaic shows where its products overlap: "
         "first-valid, the first product with data; first-clear, the first "
         "where it is clear (else the first valid); median, per band the "
         "median of the clear observations (else the first valid) "
         "(default %(default)s)", default=FIRST_VALID, choices=COMPOSITES),
    Flag("--order", "order", "ORDER", MOSAIC,
         "the order of a mosaic's products: given, as listed; clearest, "
         "the largest clear share of the area first (default %(default)s)",
         default=GIVEN, choices=ORDERS),
    Flag("--verify", "verify", "VERIFY", PER_PRODUCT + ("curve", "mosaic"),
         "check each band file against the checksum the product's "
         "manifest.safe lists for it; --no-verify skips the check (default: "
         "verify)", default=True, switch=True),
)


def add_flags(parser, command):
    """Add the run options ``command`` takes to its argparse ``parser``."""
    group = parser.add_argument_group("run options (as in QGIS)")
    bands = None
    for flag in FLAGS:
        if command not in flag.commands:
            continue
        if flag.switch:
            group.add_argument(flag.flag, dest=flag.keyword,
                               action=argparse.BooleanOptionalAction,
                               default=flag.default, help=flag.help)
            continue
        target = group
        if flag.keyword in ("bands", "combination"):
            # Either names the bands: giving both is a mistake to report.
            bands = bands or group.add_mutually_exclusive_group()
            target = bands
        target.add_argument(flag.flag, dest=flag.keyword, type=flag.kind,
                            default=flag.default, choices=flag.choices,
                            metavar=flag.metavar, help=flag.help)


def run_arguments(args, command):
    """The api keywords of the run options ``command`` took, from the
    parsed ``args``."""
    return {flag.keyword: getattr(args, flag.keyword) for flag in FLAGS
            if command in flag.commands}


def flag_of(parameter):
    """The flag mirroring the s2eq:equalize ``parameter``, or None."""
    for flag in FLAGS:
        if parameter in flag.parameter.split(","):
            return flag.flag
    return None
