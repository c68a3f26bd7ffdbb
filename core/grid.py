"""The output grid: which UTM zone, which extent, which pixel size."""

import math

from rasterio.transform import Affine

from .errors import ProductError


class Grid:
    """A north-up raster grid: ``width`` x ``height`` pixels of
    ``resolution`` metres, upper-left corner at (``ulx``, ``uly``)."""

    def __init__(self, epsg, resolution, ulx, uly, width, height):
        self.epsg = epsg
        self.resolution = resolution
        self.ulx = ulx
        self.uly = uly
        self.width = width
        self.height = height

    @property
    def transform(self):
        return Affine(self.resolution, 0.0, self.ulx,
                      0.0, -self.resolution, self.uly)

    def offset_of(self, ulx, uly):
        """(row, col) of the point (ulx, uly) in whole pixels of this grid."""
        col = (ulx - self.ulx) / self.resolution
        row = (self.uly - uly) / self.resolution
        if abs(col - round(col)) > 1e-6 or abs(row - round(row)) > 1e-6:
            raise ProductError(
                "Granule corner ({}, {}) is off the {} m grid of the product; "
                "the metadata is inconsistent.".format(ulx, uly,
                                                       self.resolution))
        return int(round(row)), int(round(col))


def choose_zone(product, utm_zone=None):
    """EPSG code of the output: the requested UTM zone (1-60), or else the
    zone holding most granules (the lower code on a tie)."""
    codes = product.epsg_codes
    if utm_zone:
        matching = [c for c in codes if c % 100 == int(utm_zone)]
        if not matching:
            raise ProductError(
                "The product has no granule in UTM zone {}; its zones are {}. "
                "Set UTM_ZONE to one of them, or to 0 for the zone with most "
                "granules.".format(utm_zone,
                                   ", ".join(str(c % 100) for c in codes)))
        codes = matching
    counts = {c: sum(1 for g in product.granules if g.epsg == c)
              for c in codes}
    return max(sorted(codes), key=lambda c: counts[c])


def output_grid(product, resolution, epsg):
    """The grid of ``resolution`` m covering every granule in ``epsg``."""
    granules = [g for g in product.granules if g.epsg == epsg]
    boxes = []
    for g in granules:
        res = min(g.grids)
        ulx, uly, width, height = g.grids[res]
        boxes.append((ulx, uly, ulx + width * res, uly - height * res))
    left = min(b[0] for b in boxes)
    top = max(b[1] for b in boxes)
    width = int(math.ceil((max(b[2] for b in boxes) - left) / resolution - 1e-6))
    height = int(math.ceil((top - min(b[3] for b in boxes)) / resolution - 1e-6))
    return Grid(epsg, resolution, left, top, width, height), granules
