"""The sub-commands: each checks its flags the way s2eq:equalize checks
its parameters (the same messages, naming flags), calls the api and
returns (result for --json, exit status)."""

import os

from .. import api
from ..core.errors import BandError, EqualizerError, SettingError
from ..core.product.bands import BAND_NAMES, check_band, combination
from .feedback import cancel_on_interrupt, interrupt_on_sigterm
from .flags import run_arguments
from .messages import worded
from .tasks import measuring


class UsageError(EqualizerError):
    """A flag or argument the command cannot take; exit status 2."""


def check_run_flags(args):
    """Raise UsageError for a band, combination, sample or zone out of
    range, worded as s2eq:equalize words it, with the flag's name."""
    if getattr(args, "combination", None) is not None:
        try:
            combination(args.combination)
        except BandError as exc:
            raise UsageError("--combination: {}".format(exc))
    else:
        names = [b for b in args.bands.split(",") if b.strip()]
        for name in names:
            try:
                check_band(name)
            except BandError:
                raise UsageError(
                    "--bands: '{}' is not a Sentinel-2 band name. Use one "
                    "of {}.".format(name.strip(), ", ".join(BAND_NAMES)))
        if len(names) != 3:
            raise UsageError(
                "--bands takes three band names, red, green and blue, "
                "separated by commas (got '{}').".format(args.bands))
    percent = args.sample_percent
    if not 0.0 < percent <= 100.0:
        raise UsageError(
            "--sample must be above 0 and at most 100 (got {:g}). Use 1 for "
            "a quick histogram, 100 for the exact one.".format(percent))
    zone = getattr(args, "utm_zone", 0)
    if not 0 <= zone <= 60:
        raise UsageError(
            "--utm-zone must be 0 (the zone with most granules) or a zone "
            "from 1 to 60 (got {}).".format(zone))


def geotiff_path(output, product=None):
    """``output`` with .tif added when it has no extension, as QGIS does;
    UsageError for another extension or for the product itself."""
    if product and os.path.realpath(output) == os.path.realpath(product):
        raise UsageError("--output is the input product itself. Choose "
                         "another file for the GeoTIFF.")
    return file_named(output, "--output", (".tif", ".tiff"),
                      "the image is a GeoTIFF")


def file_named(path, flag, extensions, kind):
    """``path`` (given with ``flag``) with the first of ``extensions``
    added when it has none; UsageError for a folder or another extension,
    which ``kind`` explains ("the image is a GeoTIFF")."""
    not_a_folder(path, flag, extensions[0])
    extension = os.path.splitext(path)[1].lower()
    if extension in extensions:
        return path
    if extension:
        raise UsageError(
            "{} '{}' ends in '{}', but {}. Give a file name ending in {}."
            .format(flag, path, extension, kind, extensions[0]))
    return path + extensions[0]


def not_a_folder(path, flag, extension):
    """UsageError if ``path`` is a folder: an output is a file, not put
    in a folder by the name given."""
    if os.path.isdir(path):
        raise UsageError("{} '{}' is a folder. Give a file name ending in "
                         "{}.".format(flag, path, extension))


def say_bands(args, feedback):
    """Name the bands in the log, as the algorithm does, once the product
    has been read."""
    bands = api.choose_bands(args.bands, args.combination)
    note = "Bands: {} (red), {} (green), {} (blue)".format(*bands)
    feedback.later(note + (", from the band combination '{}'.".format(
        args.combination) if args.combination else "."))
    return bands


def _arguments(args):
    arguments = run_arguments(args, args.command)
    arguments["scratch_dir"] = args.scratch_dir
    return arguments


def _grid(grid):
    return {"width": grid.width, "height": grid.height,
            "resolution": grid.resolution, "epsg": grid.epsg}


def equalize(args, feedback):
    if not args.product.strip():
        raise UsageError(
            "PRODUCT is missing. Point it to a Sentinel-2 .SAFE folder, its "
            ".zip, or its MTD_MSIL1C.xml / MTD_MSIL2A.xml file, or give "
            "a product's or a STAC item's URL.")
    check_run_flags(args)
    output = geotiff_path(args.output, args.product)
    say_bands(args, feedback)
    try:
        with cancel_on_interrupt(feedback):
            result = api.equalize(
                args.product, output, report=feedback.report,
                is_cancelled=feedback.is_cancelled, log=feedback.log,
                warn=feedback.warn, **_arguments(args))
    except SettingError as exc:
        raise UsageError(worded(exc))
    return {"ok": True, "output": output, "product": result.product.name,
            "layer_name": result.layer_name, "bands": list(result.bands),
            "grid": _grid(result.grid), "sampled": result.sampled,
            "curve": getattr(result.curve, "source", None) or None,
            "summary": "Wrote {} ({})".format(output, result.layer_name)}, 0


def curve(args, feedback):
    check_run_flags(args)
    # A STAC ItemCollection file stands for its items.
    from ..core.errors import without_secrets
    from ..core.product.discovery import expand_products
    args.products = expand_products(args.products)
    output = args.output
    not_a_folder(output, "--output", ".json")
    if not output.lower().endswith(".json"):
        output += ".json"
    report = file_named(args.report, "--report", (".html", ".htm"),
                        "the report is an HTML page") if args.report else None
    # Both files may be written, before the products are measured.
    from ..core.curves.curve import check_outputs
    check_outputs([("curve file", output)] + (
        [("report", report)] if report else []), args.products)
    say_bands(args, feedback)
    arguments = measuring(_arguments(args))
    measured = []
    with cancel_on_interrupt(feedback):
        for number, product in enumerate(args.products):
            feedback.later("Measuring {} ({} of {})".format(
                without_secrets(product), number + 1, len(args.products)))
            share = 100.0 / len(args.products)
            measured.append(api.measure(
                product, report=lambda p, n=number: feedback.report(
                    share * (n + p / 100.0)),
                is_cancelled=feedback.is_cancelled, log=feedback.log,
                **arguments))
    if report:
        from ..core.curves.report import save_with_report
        made = api.build_curve(measured)
        save_with_report(made, output, report, "Shared curve")
    else:
        made = api.build_curve(measured, output)
    return {"ok": True, "output": output, "report": report,
            "products": [p["name"] for p in made.products],
            "bands": list(made.tables),
            "sampled": {b: c.sampled_pixels for b, c in made.counts.items()},
            "summary": "Wrote {} ({} product{})".format(
                output, len(made.products),
                "" if len(made.products) == 1 else "s")}, 0


def mosaic(args, feedback):
    check_run_flags(args)
    output = geotiff_path(args.output)
    say_bands(args, feedback)
    with cancel_on_interrupt(feedback):
        result = api.mosaic(
            args.products, output, report=feedback.report,
            is_cancelled=feedback.is_cancelled, log=feedback.log,
            **_arguments(args))
    return {"ok": True, "output": output,
            "products": [p.name for p in result.products],
            "layer_name": result.layer_name, "bands": list(result.bands),
            "grid": _grid(result.grid), "reprojected": result.reprojected,
            "clear_shares": result.clear_shares,
            "summary": "Wrote {} ({})".format(output, result.layer_name)}, 0


def batch(args, feedback):
    check_run_flags(args)
    check_search_flags(args)
    if args.curve and args.shared_curve:
        raise UsageError("Give either --curve FILE or --shared-curve, not "
                         "both: --shared-curve makes the curve.")
    if args.mosaic:
        args.mosaic = geotiff_path(args.mosaic)
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be 1 or more (got {}).".format(
            args.workers))
    if args.workers is not None and args.scheduler:
        raise UsageError("--workers sizes the cluster started here; with "
                         "--scheduler, the running cluster's workers do the "
                         "work. Give one or the other.")
    check_cluster_flags(args)
    from .batch import run_batch  # Dask is imported for batch only
    say_bands(args, feedback)
    with interrupt_on_sigterm(feedback):
        return run_batch(args, _arguments(args), feedback)


def check_search_flags(args):
    """UsageError for a batch without products or a search, or with
    --stac flags that make no search."""
    from .stac_search import StacSearchError, check_flags
    try:
        check_flags(args)
    except StacSearchError as exc:
        raise UsageError(str(exc))
    if not args.products and not args.stac:
        raise UsageError(
            "No products given. Give PRODUCT paths or URLs (or a saved "
            "search's ItemCollection file), or search a STAC API with "
            "--stac URL --collection C --bbox W,S,E,N --datetime A/B.")


def check_cluster_flags(args):
    """UsageError for a dashboard asked of a running cluster, TLS flags
    without a tls:// scheduler, or a certificate file that is not
    there."""
    if args.dashboard and args.scheduler:
        raise UsageError("--dashboard serves the cluster started here; a "
                         "running cluster's scheduler serves its own.")
    given = [(flag, path) for flag, path in (
        ("--tls-ca-file", args.tls_ca_file), ("--tls-cert", args.tls_cert),
        ("--tls-key", args.tls_key)) if path]
    if given and not (args.scheduler or "").startswith("tls://"):
        raise UsageError(
            "{} {} for --scheduler tls://ADDRESS; the cluster started here "
            "listens on 127.0.0.1 only.".format(
                " and ".join(flag for flag, _ in given),
                "is" if len(given) == 1 else "are"))
    for flag, path in given:
        if not os.path.isfile(path):
            raise UsageError("{} '{}' is not a file. Give the PEM file of "
                             "the certificate or key.".format(flag, path))


COMMANDS = {"equalize": equalize, "curve": curve, "mosaic": mosaic,
            "batch": batch}
