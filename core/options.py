"""What a run of one product is asked to do (Options), and the tag that
records it in the output, so that a later run can tell whether an output
is current."""

import json
from dataclasses import dataclass, fields

from .curves.equalize import DEFAULT_SEED
from .curves.modes import (DEFAULT_CLIP_LIMIT, DEFAULT_TILE_SIZE, EQUALIZE,
                           Method)
from .output.encoding import AUTO_QUALITY, choose_encoding
from .pixels.area import area_record


@dataclass
class Options:
    """Everything one run needs, in plain Python values.

    ``sample_fraction``: share (0 < f <= 1) of each band's valid pixels that
    feed its histogram. ``resolution``: 10, 20 or 60 (m), or None for the
    finest of the chosen bands. ``utm_zone``: 1-60, or None for the zone
    holding most granules. ``scratch_dir``: where the band spools go (None:
    the system's temporary folder). ``curve``: a curve file's path (or a
    curve.Curve) to map the bands through instead of their own histograms.
    ``verify``: check each band file read against the checksum the
    product's manifest.safe lists for it, before the output is committed.
    ``method``: "equalize", "contrast-limited" or "adaptive";
    ``colour``: "per band" or "luminance"; ``clip_limit``: 1 up to
    modes.MAX_CLIP_LIMIT, or 0 for the method's own (contrast-limited and
    adaptive);
    ``tile_size``: the adaptive method's tile side in metres (see
    modes.Method). ``compression``: "JPEG", "DEFLATE" or "ZSTD";
    ``jpeg_quality``: 1-100, or 0 for the quality encoding.py chooses for
    the bands. ``area``: a pixels.area.Area (an extent and its CRS,
    polygons) to cover instead of the whole product, or None.
    ``clouds``: a pixels.clouds.Clouds (what to do with the product's
    clouds), or None to keep them as any pixel.
    """

    product: str
    output: str
    bands: tuple = ("B04", "B03", "B02")
    sample_fraction: float = 0.01
    resolution: int = None
    utm_zone: int = None
    seed: int = DEFAULT_SEED
    scratch_dir: str = None
    software: str = ""
    overviews: bool = True
    curve: object = None
    verify: bool = True
    method: str = "equalize"
    colour: str = "per band"
    clip_limit: float = DEFAULT_CLIP_LIMIT
    tile_size: float = DEFAULT_TILE_SIZE
    compression: str = "JPEG"
    jpeg_quality: int = AUTO_QUALITY
    area: object = None
    clouds: object = None

    def how(self):
        """The modes.Method of these options."""
        return Method(self.method, self.colour, self.clip_limit,
                      self.tile_size)

    def encoding(self, bands, resolution):
        """The encoding.Encoding of an output showing ``bands`` in pixels
        of ``resolution`` metres."""
        return choose_encoding(bands, self.compression, self.jpeg_quality,
                               resolution)


#: The tag that records the options deciding an output's pixels, so that a
#: later run (s2eq batch resuming) can tell whether the output is current.
OPTIONS_TAG = "S2EQ_OPTIONS"
#: The tag that says how the pixels were compressed.
ENCODING_TAG = "S2EQ_ENCODING"
#: Options fields left out of it: where files are, who wrote them and the
#: checks made while reading do not change the picture; the product and the
#: curve have tags of their own (S2EQ_PRODUCT, S2EQ_CURVE_SHA256).
NOT_IN_OPTIONS_TAG = ("product", "output", "scratch_dir", "software",
                      "curve", "verify", "area", "clouds")
#: The clip limit plain equalization's tag carries: the limit does not act
#: on it, and outputs made when this was the limit's default stay current.
EQUALIZE_TAG_LIMIT = 4.0


def options_tag(options):
    """The OPTIONS_TAG value of ``options``: JSON of every Options field but
    NOT_IN_OPTIONS_TAG, keys sorted, so equal options give equal text. The
    clip limit is the one in force (modes.Method.limit), so asking for a
    method's own limit by 0 or by its number gives the same tag."""
    values = {f.name: getattr(options, f.name) for f in fields(options)
              if f.name not in NOT_IN_OPTIONS_TAG}
    if options.area is not None:
        # The area by its extent and its mask's name and digest; without
        # one the tag is the one outputs of the whole product always had.
        values["area"] = area_record(options.area)
    if options.clouds is not None and options.clouds.acts:
        # Without clouds acting, the tag is the one outputs always had.
        values["clouds"] = options.clouds.record()
    method = options.how()
    values["clip_limit"] = (EQUALIZE_TAG_LIMIT if method.name == EQUALIZE
                            else method.limit)
    return json.dumps(values, sort_keys=True, separators=(",", ":"),
                      default=str)


