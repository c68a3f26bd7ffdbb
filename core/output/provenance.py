"""What an output says about itself: its layer name in QGIS, and the
metadata that records what it was made of and how."""

import datetime
import os

#: At most this many tile names in a layer name; more are counted instead.
NAMED_TILES = 4


def layer_name(product, granules, bands):
    """A name that says what the image is: tiles, sensing date, bands."""
    return "{} {} {} equalized".format(
        "+".join("T" + t for t in dict.fromkeys(g.tile for g in granules)),
        product.sensing_date, "-".join(bands))


def mosaic_layer_name(products, bands):
    """A name that says what the mosaic shows: tiles, dates, bands."""
    tiles = list(dict.fromkeys(t for p in products for t in p.tiles))
    dates = sorted({p.sensing_date for p in products})
    return "{} {} {} mosaic".format(
        "+".join("T" + t for t in tiles) if len(tiles) <= NAMED_TILES
        else "{} tiles".format(len(tiles)),
        dates[0] if len(dates) == 1 else "{} to {}".format(dates[0],
                                                           dates[-1]),
        "-".join(bands))


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
