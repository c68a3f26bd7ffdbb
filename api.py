"""The equalizer's stages as plain Python functions: no QGIS needed.

    from sentinel2_equalizer import api
    api.equalize("S2B_MSIL1C_20230614T105629_..._T31UFQ_....SAFE", "rgb.tif")

    # one curve for many products: measure each, add up, write each with it
    measured = [api.measure(p) for p in products]
    api.build_curve(measured, "shared.json")
    for p in products:
        api.equalize(p, "out/{}.tif".format(api.product_name(p)),
                     curve="shared.json")
    api.mosaic(products, "mosaic.tif", curve="shared.json")

Every argument means what the parameter of the same name means in QGIS's
``s2eq:equalize`` and has the same default, so a script, the ``s2eq``
command line and QGIS give the same pixels:

* ``product``: a Sentinel-2 L1C or L2A product: its ``.SAFE`` folder, its
  ``.zip``, its ``MTD_MSIL1C.xml`` / ``MTD_MSIL2A.xml``, or a folder holding
  exactly one product.
* ``bands``: three band names, red, green, blue (``B01``-``B12``, ``B8A``),
  as a sequence or one comma-separated string; default ``B04,B03,B02``.
  ``combination``: a named band combination instead (``"swir"`` or its
  label ``"SWIR 12-8A-4"``, see core.product.bands.COMBINATIONS); it decides.
* ``sample_percent``: share of each band's valid pixels drawn (with a fixed
  seed) into its histogram, in percent: above 0, at most 100; default 1.
* ``resolution``: output pixel size in metres, 10, 20 or 60; None (or
  ``"finest"``) for the finest of the chosen bands.
* ``utm_zone``: 1-60, the zone to write a product that spans two; None or
  0 for the zone holding most of its granules.
* ``curve``: a curve file (or a core.curves.curve.Curve) to map the bands through
  instead of the product's own histograms.
* ``extent``: the area to cover instead of the whole product, as
  ``"XMIN,YMIN,XMAX,YMAX[,CRS]"`` or a sequence of the same (CRS like
  ``"EPSG:4326"``; default the output grid's), snapped outward to whole
  pixels; ``bbox``: the same in degrees, ``(west, south, east, north)``;
  ``mask``: a vector file of polygons (GeoPackage, GeoJSON, Shapefile, any
  CRS) outside which pixels are no-data. With any of them the histogram
  is drawn from the area alone, and only the band tiles it touches are
  decoded.
* ``clouds``: what to do with the clouds the product's own mask (SCL,
  MSK_CLASSI_B00, MSK_CLOUDS_B00.gml) marks: ``"keep"`` (default: they
  are pixels like any other), ``"exclude"`` (left out of the histogram,
  so the clear ground gets the output's range; they are still drawn, by
  where they fall on that curve, mostly white) or ``"mask"`` (also
  no-data in the output); ``cloud_buffer``: metres the clouds are widened
  by (default core.pixels.clouds.DEFAULT_BUFFER); ``cloud_classes``: the
  groups counted as cloud, of ``"cloud"``, ``"cirrus"``, ``"shadow"``,
  ``"snow"`` (default all but snow).
* ``report(percent)`` receives progress, 0-100; ``is_cancelled()`` is
  polled between blocks; ``log(message)`` receives one-line notes.
* Further keywords are run options of core.render.Options (``verify``,
  ``method``, ``colour`` ...) passed on as they are.

Errors are core.errors.EqualizerError subclasses whose message names the
problem and the fix; a failed or cancelled run leaves nothing at the output.
numpy and rasterio are imported on first use, so this module imports
anywhere.
"""

import configparser
import os

from .core.errors import BandError
from .core.product.bands import DEFAULT_BANDS, check_band
from .core.product.bands import combination as named_combination

#: The histogram sample of s2eq:equalize's SAMPLE_PERCENT, in percent.
DEFAULT_SAMPLE_PERCENT = 1.0
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def version():
    """This software's version, from the plugin's metadata.txt."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(PACKAGE_DIR, "metadata.txt"), encoding="utf-8")
    return parser.get("general", "version", fallback="unknown")


def software():
    """The name the outputs carry as their writer (S2EQ_SOFTWARE)."""
    return "Sentinel-2 Equalizer {}".format(version())


def choose_bands(bands=None, combination=None):
    """(red, green, blue) canonical band names: those of ``combination``
    when given, else ``bands`` (a sequence or "B04,B03,B02"), else the
    default. Raises BandError for an unknown name or not three bands."""
    if combination:
        return named_combination(combination).bands
    if bands is None:
        return DEFAULT_BANDS
    if isinstance(bands, str):
        bands = [b for b in bands.split(",") if b.strip()]
    bands = tuple(check_band(b) for b in bands)
    if len(bands) != 3:
        raise BandError("Choose exactly three bands (red, green, blue); "
                        "{} given.".format(len(bands)))
    return bands


def _resolution(value):
    return None if value in (None, "", "finest") else int(value)


def area(extent=None, bbox=None, mask=None):
    """The core.pixels.area.Area of the ``extent``, ``bbox`` and ``mask``
    keywords (see the module's help), or None for the whole product."""
    from .core.pixels.area import make_area
    return make_area(extent, mask, bbox)


def _clouds(clouds=None, cloud_buffer=None, cloud_classes=None):
    """The core.pixels.clouds.Clouds of the ``clouds``, ``cloud_buffer``
    and ``cloud_classes`` keywords (see the module's help), or None where
    all three are left at their defaults (the clouds kept)."""
    if clouds in (None, "", "keep") and cloud_buffer is None \
            and cloud_classes is None:
        return None
    from .core.pixels.clouds import make_clouds
    return make_clouds(clouds, cloud_buffer, cloud_classes)


def run_options(product, output, bands=None, combination=None,
                sample_percent=DEFAULT_SAMPLE_PERCENT, resolution=None,
                utm_zone=None, curve=None, scratch_dir=None, extent=None,
                bbox=None, mask=None, clouds=None, cloud_buffer=None,
                cloud_classes=None, composite=None, order=None, **more):
    """The core.render.Options of an equalize() call with these arguments
    (see the module's help); ``scratch_dir``: where the temporary band
    spools go (None: the system's temporary folder). ``composite`` and
    ``order`` are a mosaic's (see mosaic()): one product's picture does
    not depend on them, so they are taken and left aside (s2eq batch
    hands its run options to both)."""
    from .core import render
    if extent is not None or bbox is not None or mask is not None:
        more["area"] = area(extent, bbox, mask)
    chosen = _clouds(clouds, cloud_buffer, cloud_classes)
    if chosen is not None:
        more["clouds"] = chosen
    return render.Options(
        product=product, output=output,
        bands=choose_bands(bands, combination),
        sample_fraction=float(sample_percent) / 100.0,
        resolution=_resolution(resolution), utm_zone=utm_zone or None,
        curve=curve, scratch_dir=scratch_dir, software=software(), **more)


def equalize(product, output, *, report=None, is_cancelled=None, log=None,
             warn=None, **arguments):
    """Write the equalized 8-bit RGB GeoTIFF of ``product`` to ``output``
    (a path ending in .tif; replaced whole, only once complete).

    ``arguments``: as run_options() takes them. Returns a
    core.render.Result (output, layer_name, grid, bands, the pixels sampled
    per band, the lookup tables and the curve). ``warn(message)`` receives
    GDAL's warnings while decoding (by default they go to ``log``)."""
    from .core import render
    return render.run(run_options(product, output, **arguments),
                      report=report, is_cancelled=is_cancelled, log=log,
                      warn=warn)


def measure(product, bands=None, combination=None,
            sample_percent=DEFAULT_SAMPLE_PERCENT, resolution=None,
            utm_zone=None, *, report=None, is_cancelled=None, log=None,
            extent=None, bbox=None, mask=None, clouds=None,
            cloud_buffer=None, cloud_classes=None, **more):
    """The sampled histograms of ``product``'s three bands, as a
    core.curves.curve.Measurement: plain data that pickles, so it can travel
    between processes. Nothing is written; ``more``: further keywords of
    core.measure.measure (``verify``, ``tile_size`` ...)."""
    from .core import measure as stage
    return stage.measure(product, choose_bands(bands, combination),
                         float(sample_percent) / 100.0,
                         _resolution(resolution), utm_zone or None,
                         report=report, is_cancelled=is_cancelled, log=log,
                         area=area(extent, bbox, mask),
                         clouds=_clouds(clouds, cloud_buffer, cloud_classes),
                         **more)


def build_curve(measurements, output=None):
    """One curve from the sum of ``measurements`` (measure()'s results, all
    L1C or all L2A, of the same bands), saved to ``output`` (a .json curve
    file) when given. Returns the core.curves.curve.Curve; read back from the
    file when saved, so that outputs made with it name the file and its
    SHA-256."""
    from .core.curves import curve as curves
    curve = curves.combine(measurements, software())
    if output is None:
        return curve
    curves.save(curve, output)
    return curves.load(output)


def mosaic(products, output, bands=None, combination=None,
           sample_percent=DEFAULT_SAMPLE_PERCENT, resolution=None,
           curve=None, scratch_dir=None, *, report=None, is_cancelled=None,
           log=None, extent=None, bbox=None, mask=None, clouds=None,
           cloud_buffer=None, cloud_classes=None, composite="first-valid",
           order="given", **more):
    """One equalized RGB GeoTIFF at ``output`` of all ``products`` (a list
    of products), with one curve: ``curve`` when given, else the sum of
    their histograms (of the composite's own pixels). Where products
    overlap, ``composite`` decides: ``"first-valid"`` (default: the first
    product listed with data), ``"first-clear"`` (the first where the
    pixel is clear, else the first valid) or ``"median"`` (per band the
    median of the clear observations on the reflectance scale, else the
    first valid); ``order``: ``"given"`` (default) or ``"clearest"`` (the
    products with the largest clear share of the area first). Returns a
    core.mosaic.MosaicResult."""
    from .core import mosaic as stage
    return stage.mosaic(
        list(products), output, bands=choose_bands(bands, combination),
        sample_fraction=float(sample_percent) / 100.0,
        resolution=_resolution(resolution), curve=curve,
        scratch_dir=scratch_dir, software=software(), report=report,
        is_cancelled=is_cancelled, log=log, area=area(extent, bbox, mask),
        clouds=_clouds(clouds, cloud_buffer, cloud_classes),
        composite=composite, order=order, **more)


def product_name(product):
    """The product's name (S2B_MSIL1C_..., without .SAFE), read from its
    metadata; raises ProductError as equalize() would."""
    from .core.product.discovery import open_product
    return open_product(product).name


def output_tags(output):
    """The metadata of the GeoTIFF at ``output``, or None where there is
    no readable file (outputs appear only once complete). An object in a
    store (``s3://...``) is read with range requests: its header only.
    Raises OutputError where the store cannot say (refused credentials)."""
    import rasterio
    from rasterio.errors import RasterioError
    from .core.output import object_store
    # No listing of the object's "folder" for side files: it has none.
    options = {}
    if object_store.is_object_url(output):
        if object_store.existing_size(output) is None:
            return None
        output = object_store.vsi_path(output)
        options["GDAL_DISABLE_READDIR_ON_OPEN"] = "EMPTY_DIR"
    elif not os.path.isfile(output):
        return None
    try:
        with rasterio.Env(**options), rasterio.open(output) as image:
            return image.tags()
    except RasterioError:
        return None


def is_current(product, output, **arguments):
    """Whether ``output`` already holds what equalize(product, output,
    **arguments) would write: a complete GeoTIFF (outputs appear only
    once complete) whose tags name the same product, the same run options
    and the same curve file content. A missing or unreadable output is not
    current."""
    from .core import render
    from .core.curves import curve as curves
    options = run_options(product, output, **arguments)
    tags = output_tags(output)
    if tags is None:
        return False
    curve = options.curve
    if isinstance(curve, str):
        curve = curves.load(curve)
    if curve is not None and not curve.digest:
        return False        # a curve made in memory leaves no trace to match
    digest = curve.digest if curve is not None else ""
    return (tags.get(render.OPTIONS_TAG) == render.options_tag(options)
            and tags.get("S2EQ_CURVE_SHA256", "") == digest
            and tags.get("S2EQ_PRODUCT") == product_name(product))
