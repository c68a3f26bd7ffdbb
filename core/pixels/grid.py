"""The output grid: which UTM zone, which extent, which pixel size."""

import math

from rasterio.crs import CRS
from rasterio.transform import Affine
from rasterio.warp import transform_bounds

from ..errors import ProductError, SettingError


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
            raise SettingError(
                "The product has no granule in UTM zone {}; its zones are {}. "
                "Choose one of them, or 0 for the zone with most "
                "granules.".format(utm_zone,
                                   ", ".join(str(c % 100) for c in codes)),
                setting="utm zone")
        codes = matching
    return most_granules(product.granules, codes)


def most_granules(granules, codes=None):
    """The EPSG code, of ``codes`` (default: all of the granules'), holding
    most ``granules``; the lower code on a tie."""
    codes = sorted(codes or {g.epsg for g in granules})
    counts = {c: sum(1 for g in granules if g.epsg == c) for c in codes}
    return max(codes, key=lambda c: counts[c])


def output_grid(product, resolution, epsg):
    """The grid of ``resolution`` m covering every granule in ``epsg``."""
    granules = [g for g in product.granules if g.epsg == epsg]
    boxes = [granule_box(g) for g in granules]
    left = min(b[0] for b in boxes)
    top = max(b[1] for b in boxes)
    width = int(math.ceil((max(b[2] for b in boxes) - left) / resolution - 1e-6))
    height = int(math.ceil((top - min(b[3] for b in boxes)) / resolution - 1e-6))
    return Grid(epsg, resolution, left, top, width, height), granules


def granule_box(granule):
    """(left, top, right, bottom) of ``granule`` in its own zone (m)."""
    res = min(granule.grids)
    ulx, uly, width, height = granule.grids[res]
    return ulx, uly, ulx + width * res, uly - height * res


def mosaic_grid(granules, resolution):
    """The grid of ``resolution`` m over every one of ``granules``, in the
    UTM zone holding most of them, with its corner on whole pixels from the
    first granule of that zone (Sentinel-2 tiles of one zone share a 60 m
    lattice, so they all fall on whole pixels). Granules of other zones
    count by their footprint taken into that zone."""
    epsg = most_granules(granules)
    boxes = []
    for granule in granules:
        left, top, right, bottom = granule_box(granule)
        if granule.epsg != epsg:
            left, bottom, right, top = transform_bounds(
                CRS.from_epsg(granule.epsg), CRS.from_epsg(epsg), left,
                bottom, right, top, densify_pts=21)
        boxes.append((left, top, right, bottom))
    ref_x, ref_y = granule_box(next(g for g in granules
                                    if g.epsg == epsg))[:2]
    ulx = ref_x + math.floor((min(b[0] for b in boxes) - ref_x)
                             / resolution + 1e-6) * resolution
    uly = ref_y - math.floor((ref_y - max(b[1] for b in boxes))
                             / resolution + 1e-6) * resolution
    width = int(math.ceil((max(b[2] for b in boxes) - ulx) / resolution
                          - 1e-6))
    height = int(math.ceil((uly - min(b[3] for b in boxes)) / resolution
                           - 1e-6))
    return Grid(epsg, resolution, ulx, uly, width, height)
