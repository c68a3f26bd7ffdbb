"""Many products, one image, one curve: the mosaic job.

Each product is decoded once, band by band, onto the mosaic grid into one
spool per band, while its sampled histograms are drawn (measure); the
histograms of all products are summed into one curve; the spools are
written through that curve into one GeoTIFF (write). Given a curve, the
measure stage is skipped. Memory holds a few decoded tiles and one write
block whatever the number of products; the spools, on disk, grow with the
mosaic's area.

Where products overlap, the first valid pixel wins, in the order the
products were given (then granule by granule within a product), as within
a multi-granule product.

How a product in another UTM zone is counted: by its native pixels, as
decoded, before they are warped. Its histogram is then a property of the
product alone, the same whatever mosaic it joins and the same as the
measure stage gives for it (measure.measure, and so a curve file made of
the same products): the mosaic made with that curve file is the very same
image. Counting warped pixels instead would let the warp's
nearest-neighbour duplicates and gaps (a few per cent of the pixels when
the grids turn against each other) move the sample, and would make the
curve depend on the zone the mosaic happens to be written in.

The methods and colour modes of modes.py apply as in a single product's
run. What they measure beyond the bands' histograms, the luminance and the
per-tile histograms, needs a pixel's three bands together and its place,
so it is drawn from the mosaic's spools after the decode: from the pixels
the mosaic shows, on its grid (a curve file measures each product on its
own grid instead, so for these two a mosaic with its own curve and one
with a curve file of the same products differ by their samples).
"""

import contextlib
from dataclasses import dataclass
from types import SimpleNamespace

from rasterio.crs import CRS
from rasterio.warp import transform_bounds

from .curves import curve as curves
from .composite import (CLEAREST, FIRST_CLEAR, FIRST_VALID, MEDIAN, Both,
                        ClearOnly, ShownClear, check_composite,
                        clearest_first, first_clear_pass, median_pass,
                        needs_masks)
from .curves.equalize import DEFAULT_SEED, BandHistogram
from .curves.mapping import check_curve, check_on_grid, grid_measure
from .curves.mapping import mapper as method_mapper
from .curves.modes import DEFAULT_CLIP_LIMIT, DEFAULT_TILE_SIZE, Method
from .gdal.env import BoundedGdalCache
from .gdal.network import RemoteReading
from .measure import (add_grid_measure, band_counters, check_counted,
                      measurement)
from .mosaic_scale import Rescaled, on_spools, spool_scale
from .options import ENCODING_TAG
from .output.atomic import check_output_path
from .output.encoding import AUTO_QUALITY, check_encoding, choose_encoding
from .output.geotiff import write_geotiff
from .output.provenance import mosaic_layer_name, provenance
from .pixels.area import AreaOnGrid, area_tags, touches
from .pixels.clouds import EXCLUDE, KEEP, MASK, Clouds, cloud_tags
from .pixels.fetch import fetched_whole
from .pixels.grid import Grid, granule_box, mosaic_grid
from .pixels.reading import GranuleBand, decode_into
from .pixels.spool import Spool
from .pixels.warp import WarpedBand
from .errors import AreaError, BandError, UnverifiedError
from .plan import Plan, check_sample, make_plans, with_clouds
from .product.checksums import start_verification
from .progress import Progress
from .render import READ_SHARE, WRITE_SHARE, spooled_blocks


@dataclass
class MosaicResult:
    """What a mosaic run produced."""

    output: str
    layer_name: str
    products: list          # the product.model.Product of each, in order
    grid: object            # the mosaic's grid.Grid
    bands: tuple
    reprojected: list       # names of products warped from another zone
    sampled: dict           # band -> pixels that fed its histogram
    tables: dict            # band -> the uint8 table the spools went through
    curve: object           # the curve.Curve of the whole mosaic
    #: product name -> its clear share (0-1) of the area, where the cloud
    #: masks were read
    clear_shares: dict = None


def mosaic(product_paths, output, bands=("B04", "B03", "B02"),
           sample_fraction=0.01, resolution=None, seed=DEFAULT_SEED,
           curve=None, scratch_dir=None, software="", report=None,
           is_cancelled=None, log=None, method="equalize",
           colour="per band", clip_limit=DEFAULT_CLIP_LIMIT,
           tile_size=DEFAULT_TILE_SIZE, compression="JPEG",
           jpeg_quality=AUTO_QUALITY, area=None, verify=True, clouds=None,
           composite=FIRST_VALID, order="given"):
    """Write ``bands`` of every product in ``product_paths`` as one
    equalized RGB GeoTIFF at ``output``.

    ``product_paths``: one or more products (as render.run takes them).
    ``sample_fraction``: 0 < f <= 1 of each band's valid pixels, in every
    product. ``resolution``: 10, 20 or 60 (m), or None for the finest of
    the bands. ``curve``: a curve file's path or a curve.Curve to use
    instead of the products' own histograms. ``scratch_dir``: where the
    spools go (None: the system's temporary folder). ``report(percent)``,
    ``is_cancelled()``, ``log(message)``: as for render.run. ``method``,
    ``colour``, ``clip_limit``, ``tile_size``, ``compression``,
    ``jpeg_quality``: as render.Options has them. ``area``: a
    pixels.area.Area to cover instead of all the products (the products
    that do not touch it are skipped), or None. ``verify``: check each
    product's band files against its manifest while they decode
    (ChecksumError, naming the product, for one that differs).
    ``clouds``: a pixels.clouds.Clouds, or None to keep the clouds;
    ``composite``: composite.COMPOSITES, which pixel each pixel of the
    mosaic shows; ``order``: "given", or "clearest" for the products with
    the largest clear share of the area first (composite.py).

    The mosaic is written in the UTM zone holding most granules of all the
    products (the lower zone on a tie), on a grid that holds every granule
    of that zone on whole pixels; granules of other zones are reprojected.
    Returns a MosaicResult. Raises EqualizerError subclasses (Cancelled
    included) with nothing left at ``output``.
    """
    progress = Progress(report, is_cancelled, log)
    check_sample(sample_fraction)
    how = Method(method, colour, clip_limit, tile_size)
    how.check()
    check_encoding(compression, jpeg_quality)
    composite, order = check_composite(composite, order)
    if isinstance(curve, str):
        curve = curves.load(curve)
    with BoundedGdalCache(), RemoteReading(progress.log):
        plans = make_plans(product_paths, bands, resolution, progress.log)
        products = [p.product for p in plans]
        check_output_path(output, [f for p in products for f in p.files()],
                          [f for p in products for f in p.folders()])
        if curve is not None:
            curves.check_fits(curve, plans[0].unique_bands,
                              products[0].level)
        granules = [g for p in products for g in p.granules]
        grid = mosaic_grid(granules, min(p.grid.resolution for p in plans))
        mask = None
        if area is not None:
            plans, grid, mask = _over_area(plans, grid, area, progress.log)
            products = [p.product for p in plans]
            granules = [g for p in plans for g in p.granules]
        warped = [p.product.name for p in plans
                  if not all(_on_grid(g, grid) for g in p.granules)]
        progress.log("Mosaic grid: {} x {} pixels of {} m in EPSG:{}, the "
                     "UTM zone of {} of the {} granules{}".format(
                         grid.width, grid.height, grid.resolution, grid.epsg,
                         sum(g.epsg == grid.epsg for g in granules),
                         len(granules),
                         "; reprojected by GDAL (nearest neighbour): " +
                         ", ".join(warped) if warped else ""))
        plans = [Plan(p.product, p.bands, grid,
                      p.product.granules if area is None else p.granules,
                      mask) for p in plans]
        if needs_masks(clouds, composite, order):
            plans = _with_clouds(plans, clouds or Clouds(), order,
                                 progress.log)
        check_on_grid(how, grid)
        if curve is not None:
            check_curve(how, curve, on_spools(plans))
        measured = curve is None
        encoding = choose_encoding(plans[0].bands, compression, jpeg_quality,
                                   grid.resolution)
        with contextlib.ExitStack() as fetched:
            for plan in plans:
                fetched.enter_context(fetched_whole(
                    plan, scratch_dir, progress.log, progress.cancelled))
            curve, tables = _measure_and_write(
                plans, output, curve, sample_fraction, seed, scratch_dir,
                software, progress, how, encoding, area, verify,
                _Composite(composite, order, clouds))
    progress.at(1.0)
    bands = plans[0].bands
    sampled = {band: counts.sampled_pixels
               for band, counts in curve.counts.items()} if measured else {}
    shares = {p.product.name: p.clear_share for p in plans
              if p.clear is not None} or None
    return MosaicResult(output, mosaic_layer_name(
        [p.product for p in plans], bands, how.words(),
        None if measured else curve), [p.product for p in plans], grid,
        bands, warped, sampled, tables, curve, shares)


@dataclass
class _Composite:
    """The cloud and composite options of a mosaic."""

    name: str = FIRST_VALID
    order: str = "given"
    clouds: object = None

    @property
    def mode(self):
        return self.clouds.mode if self.clouds is not None else KEEP

    def tags(self, plans):
        """The output's tags of these options (none for the defaults)."""
        record = None
        if self.name != FIRST_VALID or self.order != "given":
            record = {"composite": self.name, "order": self.order}
        return cloud_tags(self.clouds, plans, record)


def _with_clouds(plans, clouds, order, log):
    """``plans`` (on the mosaic grid) with their cloud masks read, the
    clearest first if ``order`` says so."""
    for plan in plans:
        with _named(plan.product):
            with_clouds(plan, clouds, log)
    if order == CLEAREST:
        plans = clearest_first(plans)
        log("Products, clearest first: {}".format(", ".join(
            p.product.name for p in plans)))
    return plans


def _over_area(plans, grid, area, log):
    """(the plans of the products that touch ``area``, each with only the
    granules it touches, the part of the mosaic ``grid`` the area covers,
    the mask of its polygons there or None); the log names the products
    skipped."""
    on_grid = AreaOnGrid(area, grid, "the products")
    cropped = on_grid.grid
    kept = []
    for plan in plans:
        touched = [g for g in plan.product.granules
                   if touches(_footprint(g, cropped), cropped)]
        if not touched:
            log("{} does not touch the area: skipped.".format(
                plan.product.name))
            continue
        kept.append(Plan(plan.product, plan.bands, plan.grid, touched))
    if not kept:
        raise AreaError("The area ({}) falls between the products: none of "
                        "them touches it.".format(area.describe()))
    log("Area: {}; {} of {} products touch it".format(
        area.describe(), len(kept), len(plans)))
    return kept, cropped, on_grid.mask


def _footprint(granule, grid):
    """The box of ``granule`` taken into ``grid``'s CRS, as a Grid."""
    left, top, right, bottom = granule_box(granule)
    if granule.epsg != grid.epsg:
        left, bottom, right, top = transform_bounds(
            CRS.from_epsg(granule.epsg), CRS.from_epsg(grid.epsg), left,
            bottom, right, top, densify_pts=21)
    return Grid(grid.epsg, grid.resolution, left, top,
                (right - left) / grid.resolution,
                (top - bottom) / grid.resolution)


def _measure_and_write(plans, output, curve, sample_fraction, seed,
                       scratch_dir, software, progress, how, encoding,
                       area=None, verify=True, composite=None):
    """Decode every product into the spools (measuring it unless ``curve``
    is given, verifying its band files if ``verify``), make the composite
    (a _Composite) and write them through the curve; returns the curve
    and the band -> table the spools went through."""
    composite = composite or _Composite()
    grid = plans[0].grid
    unique = plans[0].unique_bands
    scales = [spool_scale(plans, band) for band in unique]
    spools, others = [], []

    def new_spools():
        made = [Spool(grid.width, grid.height, scratch_dir) for _ in unique]
        others.extend(made)
        return made
    try:
        spools = [Spool(grid.width, grid.height, scratch_dir)
                  for _ in unique]
        fallbacks = dated = None
        if composite.name == FIRST_CLEAR and composite.mode != MASK:
            fallbacks = new_spools()
        elif composite.name == MEDIAN:
            dated = [new_spools() for _ in plans]
        # Every band file of every product is opened and checked before the
        # first is decoded, so a damaged one is reported at once.
        targets = []
        for number, plan in enumerate(plans):
            if dated is not None:
                into = dated[number]
            elif fallbacks is not None:
                into = [Both(ClearOnly(spool, plan.clear), other)
                        for spool, other in zip(spools, fallbacks)]
            else:
                into = spools
            with _named(plan.product):
                targets.append(_targets(plan, into, scales, area,
                                        composite.clouds))
        costs = [sum(w.width * w.height / float(t.shrink ** 2)
                     for t in ts for w in t.windows) for ts in targets]
        done, total = 0.0, max(sum(costs), 1.0)
        composited = composite.name != FIRST_VALID
        summed = _Sum() if curve is None and not composited else None
        for plan, own, cost in zip(plans, targets, costs):
            progress.log("Decoding {}".format(plan.product.name))
            if summed:
                counters = band_counters(plan, sample_fraction, seed)
                for target in own:
                    target.counter = counters[
                        plan.unique_bands.index(target.band)]
            with _named(plan.product), start_verification(
                    plan, verify, progress.log) as verification:
                with verification.explaining(progress.cancelled):
                    decode_into(own, verification.stopping(
                        progress.cancelled), progress.span(
                            READ_SHARE * done / total,
                            READ_SHARE * cost / total))
                verification.check(progress.cancelled)
            done += cost
            if summed:
                summed.add(measurement(plan, counters, sample_fraction, seed,
                                       strict=False))
                for target in own:
                    target.counter = None
        shown = on_spools(plans, scales)
        if composite.mode == EXCLUDE:
            shown.counted = ShownClear(plans, composite.name)
        if composited:
            summed = _composed(composite, plans, shown, spools, fallbacks,
                               dated, curve is None, sample_fraction, seed,
                               progress)
        if summed:
            sample = grid_measure(how, shown, sample_fraction, seed)
            if sample:
                sample.run(spools, progress.cancelled)
                add_grid_measure(summed.total, sample, progress.log)
            curve = summed.curve(sample_fraction, software, progress.log)
        mapped, tables = method_mapper(how, shown, curve)
        bands = plans[0].bands
        blocks = spooled_blocks([spools[unique.index(b)] for b in bands],
                                None, None, mapped)
        products = [plan.product for plan in plans]
        tags = provenance(products, bands, grid.resolution, curve, software,
                          "Mosaic of {} Sentinel-2 products, bands {}, {} "
                          "with one curve".format(len(products),
                                                  "/".join(bands),
                                                  how.describe()))
        tags.update(how.tags())
        tags.update(area_tags(area))
        tags.update(composite.tags(plans))
        tags[ENCODING_TAG] = encoding.describe()
        write_geotiff(
            output, grid, blocks, tags,
            ["{} equalized".format(b) for b in bands], progress,
            advance=progress.span(READ_SHARE, WRITE_SHARE),
            encoding=encoding, scratch_dir=scratch_dir)
    finally:
        for spool in spools + others:
            spool.close()
    return curve, tables


def _composed(composite, plans, shown, spools, fallbacks, dated, measured,
              sample_fraction, seed, progress):
    """Make the composite in ``spools`` from what the decode left (the
    first clear pixels and ``fallbacks``, or each product's spools
    ``dated``); if ``measured``, return a _Sum of the composite's own
    histograms (with clouds excluded, of its clear pixels only), else
    None."""
    counters = None
    if measured:
        counters = [BandHistogram(sample_fraction, seed, stream=number,
                                  nodata=0, saturated=shown.product.saturated)
                    for number in range(len(shown.unique_bands))]
    clear_only = composite.mode == EXCLUDE
    progress.log("Composite: {} of {} products".format(composite.name,
                                                       len(plans)))
    if composite.name == FIRST_CLEAR:
        first_clear_pass(spools, fallbacks, counters, clear_only,
                         progress.cancelled)
    else:
        median_pass(dated, [p.clear for p in plans], spools, counters,
                    clear_only, composite.mode != MASK, progress.cancelled)
    if counters is None:
        return None
    first = plans[0].product
    made = SimpleNamespace(
        unique_bands=shown.unique_bands, offset=shown.offset, grid=shown.grid,
        product=SimpleNamespace(
            name="{} composite of {} products".format(composite.name,
                                                      len(plans)),
            level=first.level, baseline=first.baseline,
            sensing=first.sensing))
    summed = _Sum()
    summed.add(measurement(made, counters, sample_fraction, seed,
                           strict=False))
    summed.products = [{"name": p.product.name, "level": p.product.level,
                        "baseline": p.product.baseline,
                        "sensing": p.product.sensing} for p in plans]
    return summed


@contextlib.contextmanager
def _named(product):
    """A problem with one product's band files (damaged, missing, not to be
    checked), led by the product's name: a mosaic reads several."""
    try:
        yield
    except UnverifiedError as exc:
        raise UnverifiedError("{}: {}".format(product.name,
                                              exc.problem)) from exc
    except BandError as exc:
        raise type(exc)("{}: {}".format(product.name, exc)) from exc


class _Sum:
    """The products' measures added up as each product is decoded, so
    memory holds one sum whatever the number of products."""

    def __init__(self):
        self.total, self.products = None, []

    def add(self, part):
        self.products.append(part.product)
        if self.total is None:
            self.total = part
            return
        for band, counts in part.bands.items():
            total = self.total.bands[band]
            total.counts += counts.counts
            total.valid_pixels += counts.valid_pixels
            total.sampled_pixels += counts.sampled_pixels

    def curve(self, sample_fraction, software, log):
        """The curve of the sum. A product may add nothing to a band (a
        sliver at the swath's edge that the sample missed); the sum may
        not."""
        for band, total in self.total.bands.items():
            check_counted(band, total.valid_pixels, total.sampled_pixels,
                          sample_fraction)
            log("{}: {} of {} valid pixels sampled in {} products".format(
                band, total.sampled_pixels, total.valid_pixels,
                len(self.products)))
        curve = curves.combine([self.total], software)
        curve.products = self.products
        return curve


def _targets(plan, spools, scales, area=None, clouds=None):
    """What decodes each band of each granule of ``plan``'s product into
    the spools: band after band, granule after granule, the order of the
    measure stage, so the histograms are the ones it draws."""
    product, grid = plan.product, plan.grid
    targets = []
    for index, band in enumerate(plan.unique_bands):
        spool = Rescaled.of(spools[index], product, plan.offset(band),
                             *scales[index])
        for granule in plan.granules:
            if _on_grid(granule, grid):
                targets.append(GranuleBand(product, granule, band, grid,
                                           spool, merge=True,
                                           mask=plan.mask,
                                           count_mask=plan.counted))
            else:
                targets.append(WarpedBand(product, granule, band, grid,
                                          spool, area=area, mask=plan.mask,
                                          clouds=clouds))
    return targets


def _on_grid(granule, grid):
    if granule.epsg != grid.epsg:
        return False
    ulx, uly = granule.grids[min(granule.grids)][:2]
    col = (ulx - grid.ulx) / grid.resolution
    row = (grid.uly - uly) / grid.resolution
    return abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6
