"""What an output says about itself: its layer name in QGIS, and the
metadata that records what it was made of and how."""

import datetime
import os

#: At most this many tile names in a layer name; more are counted instead.
NAMED_TILES = 4


def layer_name(product, granules, bands, how=(), curve=None):
    """A name that says what the image is: tiles, sensing date, the level
    where it is L2A, bands, and how the values were mapped where not as by
    default, so that runs that differ get names that do. ``how``: words
    for the method and colour mode (modes.Method.words(), none for the
    defaults); ``curve``: the curve.Curve the run was given, or None where
    it made its own. The name of a run with the defaults on an L1C product
    is as it always was: "T31UFQ 2023-06-14 B04-B03-B02 equalized"."""
    return "{} {} {}{} {}".format(
        "+".join("T" + t for t in dict.fromkeys(g.tile for g in granules)),
        product.sensing_date, _level(product.level), "-".join(bands),
        _mapped("equalized", how, curve))


def mosaic_layer_name(products, bands, how=(), curve=None):
    """A name that says what the mosaic shows: tiles, dates, the level
    where it is L2A, bands, and how (as layer_name says it)."""
    tiles = list(dict.fromkeys(t for p in products for t in p.tiles))
    dates = sorted({p.sensing_date for p in products})
    return "{} {} {}{} {}".format(
        "+".join("T" + t for t in tiles) if len(tiles) <= NAMED_TILES
        else "{} tiles".format(len(tiles)),
        dates[0] if len(dates) == 1 else "{} to {}".format(dates[0],
                                                           dates[-1]),
        _level(products[0].level), "-".join(bands),
        _mapped("mosaic", how, curve))


def _level(level):
    """The level in a layer name: L2A is said, L1C (the level the names
    were first made for) is not."""
    return "" if level == "L1C" else level + " "


def _mapped(first, how, curve):
    """``first``, then the method's words and the shared curve's file name
    (without .json), comma-separated."""
    words = [first] + list(how)
    if curve is not None:
        source = getattr(curve, "source", "") or ""
        words.append("shared curve {}".format(os.path.splitext(
            os.path.basename(source))[0]).strip())
    return ", ".join(words)


def provenance(products, bands, resolution, curve, software, description):
    """The output's metadata: what it was made of and how. ``products``:
    the products it shows, in the order their pixels were taken (one for a
    plain run); the per-product tags list theirs in that order, separated
    by commas."""
    def each(attribute):
        return ",".join(getattr(p, attribute) for p in products)
    tags = {
        "S2EQ_PRODUCT": each("name"),
        "S2EQ_BANDS": ",".join(bands),
        "S2EQ_SAMPLE_PERCENT": "{:g}".format(curve.sample_fraction * 100.0),
        "S2EQ_SEED": str(curve.seed),
        "S2EQ_PROCESSING_BASELINE": each("baseline"),
        "S2EQ_PRODUCT_LEVEL": products[0].level,
        "S2EQ_SENSING_TIME": each("sensing"),
        "S2EQ_RESOLUTION": str(resolution),
        "S2EQ_SOFTWARE": software,
        "TIFFTAG_SOFTWARE": software or "Sentinel-2 Equalizer",
        "TIFFTAG_DATETIME": datetime.datetime.now().strftime(
            "%Y:%m:%d %H:%M:%S"),
        "TIFFTAG_IMAGEDESCRIPTION": description,
    }
    if curve.source:
        tags["S2EQ_CURVE"] = os.path.basename(curve.source)
        tags["S2EQ_CURVE_SHA256"] = curve.digest
    return tags
