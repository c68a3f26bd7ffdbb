"""What a run will do, worked out before any pixel is decoded: the product,
its bands, the output grid and the granules on it."""

from dataclasses import dataclass

from .errors import (AreaError, BandError, DataError, EqualizerError,
                     ProductError)
from .pixels.area import AreaOnGrid, touches
from .pixels.clouds import MASK, both, clear_mask
from .pixels.grid import Grid, choose_zone, granule_box, output_grid
from .product.bands import RESOLUTIONS, check_band
from .product.discovery import expand_products, open_product
from .product.model import Product


@dataclass
class Plan:
    product: Product
    bands: tuple                # (red, green, blue), canonical names
    grid: Grid
    granules: list              # the granules in the grid's UTM zone
    mask: object = None         # area.GridMask of the area's polygons
    #: what the histograms count where it differs from ``mask``: the
    #: area without the clouds (clouds.ClearMask, combined), or None
    counted: object = None
    clear: object = None        # clouds.ClearMask of the product, or None
    clear_share: float = None   # 0-1 of the area's pixels with data

    @property
    def count_mask(self):
        """The mask of the pixels the histograms count."""
        return self.mask if self.counted is None else self.counted

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
              log=None, area=None, clouds=None):
    """Open the product and work out the grid; raises EqualizerError
    subclasses naming the problem. ``resolution``: 10, 20, 60 (m) or None
    for the finest of the bands; ``utm_zone``: 1-60 or None for the zone
    holding most granules; ``area``: an area.Area to crop the grid to
    (its granules then only those it touches), or None; ``clouds``: a
    clouds.Clouds whose mode other than keep reads the product's cloud
    mask (with_clouds), or None."""
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
        log("The product spans UTM zones {}; writing zone {}, the zone of "
            "most granules unless another was chosen.".format(
                ", ".join(str(c % 100) for c in product.epsg_codes),
                epsg % 100))
    mask = None
    if area is not None:
        grid, mask, granules = crop_to_area(grid, granules, area, log)
    log("Output grid: {} x {} pixels of {} m, EPSG:{}".format(
        grid.width, grid.height, grid.resolution, grid.epsg))
    plan = Plan(product, bands, grid, granules, mask)
    if clouds is not None and clouds.acts:
        with_clouds(plan, clouds, log)
    return plan


def with_clouds(plan, clouds, log=None, mode=None):
    """Read the cloud mask of ``plan``'s product on its grid into
    ``plan`` (clear, clear_share) and log its clear share of the area;
    ``mode`` (default ``clouds.mode``): exclude leaves the cloudy pixels
    out of the histograms (counted), mask also makes them no-data (mask);
    keep reads the mask alone. Returns ``plan``; raises CloudError for a
    product without a mask."""
    mode = mode or clouds.mode
    plan.clear = clear_mask(plan.product, plan.granules, plan.grid, clouds,
                            plan.unique_bands[0])
    plan.clear_share = plan.clear.clear_share(plan.mask)
    if log:
        log(clear_line(plan.product, plan.clear_share))
    if mode != "keep":
        plan.counted = both(plan.mask, plan.clear)
        if mode == MASK:
            plan.mask = plan.counted
    return plan


def clear_line(product, share):
    """The log's line of a product's clear share (0-1, or None), as
    "T31UFQ 2023-06-14: 62 % clear"."""
    return "{} {}: {}".format(
        "+".join("T" + t for t in dict.fromkeys(product.tiles)),
        product.sensing_date,
        "no pixel with data under the area" if share is None
        else "{:.0f} % clear".format(100.0 * share))


def crop_to_area(grid, granules, area, log, what="the product"):
    """(the part of ``grid`` the area.Area ``area`` covers, the mask of
    its polygons there or None, the ``granules`` it touches)."""
    on_grid = AreaOnGrid(area, grid, what)
    cropped = on_grid.grid
    touched = [g for g in granules
               if touches(_granule_grid(g, grid.resolution), cropped)]
    if not touched:
        raise AreaError(
            "The area ({}) falls between the granules of {}: none of them "
            "touches it.".format(area.describe(), what))
    log("Area: {}; {} of {} granules touch it".format(
        area.describe(), len(touched), len(granules)))
    return cropped, on_grid.mask, touched


def _granule_grid(granule, resolution):
    left, top, right, bottom = granule_box(granule)
    return Grid(granule.epsg, resolution, left, top,
                (right - left) / resolution, (top - bottom) / resolution)


def make_plans(product_paths, bands, resolution=None, log=None):
    """A Plan per distinct product of ``product_paths``, in order (each on
    its own grid), for a run over many products. Raises EqualizerError
    subclasses naming the product that fails, and ProductError for no
    products or a mix of L1C and L2A. A STAC ItemCollection file among
    ``product_paths`` stands for its items. The log describes the products once
    all have been read: nothing is said of a run that one of them stops."""
    log = log or (lambda message: None)
    paths = expand_products(
        [str(p) for p in (product_paths or []) if str(p).strip()])
    if not paths:
        raise ProductError(
            "No products given. Give one or more Sentinel-2 products: .SAFE "
            "folders, their .zip files or their MTD_MSIL1C.xml / "
            "MTD_MSIL2A.xml.")
    plans, seen, notes = [], set(), []
    for number, path in enumerate(paths, 1):
        try:
            plan = make_plan(path, bands, resolution)
        except EqualizerError as exc:
            raise type(exc)("Product {} of {} ({}): {}".format(
                number, len(paths), path, exc))
        name = plan.product.name
        if name in seen:
            notes.append("Product {} of {} ({}) was given before; it is "
                         "used once.".format(number, len(paths), name))
            continue
        seen.add(name)
        notes.append("Product {} of {}: {}".format(
            number, len(paths), plan.product.describe()))
        plans.append(plan)
    for note in notes:
        log(note)
    levels = {}
    for plan in plans:
        levels.setdefault(plan.product.level, []).append(plan.product.name)
    if len(levels) > 1:
        raise ProductError(
            "The products mix levels ({}). L1C (top of atmosphere) and L2A "
            "(surface) reflectances differ, so one curve cannot serve both: "
            "use the products of one level.".format(
                "; ".join("{}: {}".format(level, ", ".join(names))
                          for level, names in sorted(levels.items()))))
    return plans
