"""What a run will do, worked out before any pixel is decoded: the product,
its bands, the output grid and the granules on it."""

from dataclasses import dataclass

from .bands import RESOLUTIONS, check_band
from .errors import BandError, DataError
from .grid import Grid, choose_zone, output_grid
from .discovery import open_product
from .product import Product


@dataclass
class Plan:
    product: Product
    bands: tuple                # (red, green, blue), canonical names
    grid: Grid
    granules: list              # the granules in the grid's UTM zone

    @property
    def unique_bands(self):
        """The bands to decode: a band asked twice is read once."""
        return list(dict.fromkeys(self.bands))

    def offset(self, band):
        """The band's radiometric offset in DN (0 before baseline 04.00)."""
        return self.product.offsets.get(band, 0)


def check_sample(sample_fraction):
    if not 0.0 < float(sample_fraction) <= 1.0:
        raise DataError("The sample share must be above 0 % and at most "
                        "100 %.")


def make_plan(product_path, bands, resolution=None, utm_zone=None,
              log=None):
    """Open the product and work out the grid; raises EqualizerError
    subclasses naming the problem. ``resolution``: 10, 20, 60 (m) or None
    for the finest of the bands; ``utm_zone``: 1-60 or None for the zone
    holding most granules."""
    log = log or (lambda message: None)
    bands = tuple(check_band(b) for b in bands)
    if len(bands) != 3:
        raise BandError("Choose exactly three bands (red, green, blue).")
    product = open_product(product_path)
    log("Product: {}".format(product.describe()))
    resolution = resolution or min(product.band_resolution(b) for b in bands)
    for band in bands:
        product.band_resolution(band)     # raises for a band it lacks
    if resolution not in RESOLUTIONS:
        raise BandError("Output resolution must be one of {} m.".format(
            ", ".join(str(r) for r in RESOLUTIONS)))
    epsg = choose_zone(product, utm_zone)
    grid, granules = output_grid(product, resolution, epsg)
    if len(product.epsg_codes) > 1:
        log("The product spans UTM zones {}; writing zone {} (set UTM_ZONE "
            "to choose).".format(
                ", ".join(str(c % 100) for c in product.epsg_codes),
                epsg % 100))
    log("Output grid: {} x {} pixels of {} m, EPSG:{}".format(
        grid.width, grid.height, grid.resolution, grid.epsg))
    return Plan(product, bands, grid, granules)
