"""What every s2eq algorithm shares: its place in the Toolbox, the check
for numpy and rasterio, and the band, sample, pixel size and curve
parameters with their checks. Each algorithm adds its own inputs and
outputs and calls the core."""

import importlib
import os

from qgis.core import (QgsProcessingAlgorithm, QgsProcessingException,
                       QgsProcessingParameterBoolean,
                       QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterNumber)
from qgis.PyQt.QtCore import QCoreApplication, QUrl

from ..core.curves.modes import (ADAPTIVE, COLOURS, DEFAULT_CLIP_LIMIT,
                                 DEFAULT_TILE_SIZE, EQUALIZE, MAX_CLIP_LIMIT,
                                 METHODS, PER_BAND, Method)
from ..core.errors import SettingError
from ..core.product.bands import (BAND_NAMES, COMBINATIONS, DEFAULT_BANDS,
                                  RESOLUTIONS, combination)
from .about import HELP_PAGE, ICON_PATH, icon
from .compat import FILE_BEHAVIOR, NUMBER_DOUBLE, SOURCE_FILE
from .parameters import optional, widget
from .styling import EqualizedStyle

CUSTOM = "Custom bands"  # no comma: Processing splits enum strings on commas
FINEST = "finest"
#: The modules the core needs beyond Python itself.
NEEDED_MODULES = ("numpy", "rasterio")


def load_core(name):
    """The core module ``name`` (e.g. "render", "curves.curve"), imported
    on first use so
    that QGIS starts without loading numpy and rasterio, and so that the
    plugin still loads where they are missing. Returns (module, None), or
    (None, the missing module's name) when numpy or rasterio is missing;
    any other import error is a bug and is raised."""
    try:
        return importlib.import_module("..core." + name, __package__), None
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing in NEEDED_MODULES:
            return None, missing
        raise


class S2EqAlgorithm(QgsProcessingAlgorithm):
    """Base of the s2eq algorithms; not registered itself."""

    COMBINATION = "COMBINATION"
    RED = "RED"
    GREEN = "GREEN"
    BLUE = "BLUE"
    SAMPLE_PERCENT = "SAMPLE_PERCENT"
    RESOLUTION = "RESOLUTION"
    CURVE = "CURVE"
    VERIFY = "VERIFY"
    METHOD = "METHOD"
    COLOUR = "COLOUR"
    CLIP_LIMIT = "CLIP_LIMIT"
    TILE_SIZE = "TILE_SIZE"
    #: The parameter of each setting a core SettingError may name.
    SETTINGS = {"method": METHOD, "colour": COLOUR,
                "clip limit": CLIP_LIMIT, "tile size": TILE_SIZE,
                "compression": "COMPRESSION", "jpeg quality": "JPEG_QUALITY"}

    def tr(self, text):
        return QCoreApplication.translate(type(self).__name__, text)

    def createInstance(self):  # noqa: N802 (QGIS API)
        return type(self)()

    def group(self):
        return self.tr("Sentinel-2")

    def groupId(self):  # noqa: N802 (QGIS API)
        return "sentinel2"

    def icon(self):
        return icon()

    def svgIconPath(self):  # noqa: N802 (QGIS API)
        return ICON_PATH

    #: The section of the help page on this algorithm ("" for the top).
    HELP_SECTION = ""

    def helpUrl(self):  # noqa: N802 (QGIS API)
        url = QUrl.fromLocalFile(HELP_PAGE)
        if self.HELP_SECTION:
            url.setFragment(self.HELP_SECTION)
        return url.toString()

    def canExecute(self):  # noqa: N802 (QGIS API)
        missing = load_core("render")[1]
        if missing is None:
            return True, ""
        return False, self.tr(
            "This algorithm needs the Python modules numpy and rasterio, and "
            "'{}' cannot be imported. Install it, then restart QGIS. "
            "Windows (OSGeo4W): run the OSGeo4W setup, choose Advanced "
            "install and add the package python3-rasterio. macOS (QGIS.org "
            "build): /Applications/QGIS.app/Contents/MacOS/bin/pip3 install "
            "rasterio. Linux: install your distribution's python3-rasterio "
            "(Debian/Ubuntu: sudo apt install python3-rasterio; Fedora: sudo "
            "dnf install python3-rasterio).").format(missing)

    def core(self, name):
        """The core module ``name``; QgsProcessingException if numpy or
        rasterio is missing."""
        module = load_core(name)[0]
        if module is None:
            raise QgsProcessingException(self.canExecute()[1])
        return module

    # ------------------------------------------------------------------
    # Shared parameters. Every one but the products goes through
    # optional(): a model saved before it existed must stay valid and run
    # as before.

    INPUTS = "INPUTS"

    def add_products_parameter(self, help_text):
        """INPUTS: a list of products. A multiple-layer parameter of type
        file is Processing's own way to take a list of files: the dialog
        adds them with "Add File(s)...", scripts pass a list, qgis_process
        takes the parameter once per product (--INPUTS=a --INPUTS=b) and a
        model feeds it from a "Multiple input" of files."""
        products = QgsProcessingParameterMultipleLayers(
            self.INPUTS, self.tr("Sentinel-2 products"),
            layerType=SOURCE_FILE)
        products.setHelp(help_text)
        self.addParameter(products)

    def products(self, parameters, context):
        """The product paths in INPUTS, blanks left out."""
        return [path for path in self.parameterAsFileList(
            parameters, self.INPUTS, context) if path.strip()]

    def check_products(self, parameters, context):
        """(False, message) when INPUTS is empty, else (True, "")."""
        if not self.products(parameters, context):
            return False, self.tr(
                "INPUTS is empty. Add one or more Sentinel-2 products: their "
                ".zip, MTD_MSIL1C.xml / MTD_MSIL2A.xml, or .SAFE folders.")
        return True, ""

    def add_band_parameters(self):
        combo = QgsProcessingParameterEnum(
            self.COMBINATION, self.tr("Band combination"),
            options=[CUSTOM] + [c.label for c in COMBINATIONS],
            defaultValue=CUSTOM, usesStaticStrings=True)
        combo.setHelp(self.tr(
            "A band combination by name; it decides the bands, and the red, "
            "green and blue fields do not apply. 'Custom bands' uses those "
            "fields.") + " " + "; ".join(
                "{}: {}".format(c.label, c.purpose)
                for c in COMBINATIONS) + ".")
        self.addParameter(optional(combo))
        colours = (self.RED, self.GREEN, self.BLUE)
        for channel, (name, label, caption) in enumerate((
                (self.RED, self.tr("Red band"), self.tr("Red")),
                (self.GREEN, self.tr("Green band"), self.tr("Green")),
                (self.BLUE, self.tr("Blue band"), self.tr("Blue")))):
            band = QgsProcessingParameterEnum(
                name, label, options=list(BAND_NAMES),
                defaultValue=DEFAULT_BANDS[channel], usesStaticStrings=True)
            band.setHelp(self.tr(
                "Band shown in this colour with 'Custom bands': B01-B12 or "
                "B8A. A named combination replaces it."))
            # The three colours share one line of the dialog, led by red.
            self.addParameter(widget(
                optional(band), "bands.BandWrapper", follows=self.COMBINATION,
                channel=channel, caption=caption,
                joined=list(colours[1:]) if channel == 0 else []))

    def add_sample_parameter(self):
        sample = QgsProcessingParameterNumber(
            self.SAMPLE_PERCENT, self.tr("Histogram sample (% of pixels)"),
            type=NUMBER_DOUBLE, defaultValue=1.0, minValue=0.0,
            maxValue=100.0)
        sample.setHelp(self.tr(
            "Share of each band's valid pixels, above 0 and up to 100, drawn "
            "at random (fixed seed) to build its histogram. Smaller is "
            "faster to count; 100 gives the exact histogram."))
        self.addParameter(widget(optional(sample), decimals=2))

    def add_resolution_parameter(self):
        resolution = QgsProcessingParameterEnum(
            self.RESOLUTION, self.tr("Output pixel size (m)"),
            options=[FINEST] + [str(r) for r in RESOLUTIONS],
            defaultValue=FINEST, usesStaticStrings=True)
        resolution.setHelp(self.tr(
            "'finest' keeps the finest resolution of the chosen bands. 20 or "
            "60 reads the bands at a reduced JPEG2000 resolution level: a "
            "quick-look in seconds."))
        self.addParameter(optional(resolution, advanced=True))

    def add_curve_parameter(self):
        curve = QgsProcessingParameterFile(
            self.CURVE, self.tr("Shared curve"),
            behavior=FILE_BEHAVIOR, extension="json", defaultValue="")
        curve.setHelp(self.tr(
            "A curve file made by 'Build a shared curve' (s2eq:curve). The "
            "bands are mapped through it instead of their own histograms, "
            "so every product given the same curve gets the same colours: "
            "tiles of a mosaic, dates of a time series. The run then decodes "
            "and writes in one pass. Leave empty to equalize the product by "
            "its own histogram."))
        self.addParameter(optional(curve, advanced=True))

    def add_verify_parameter(self):
        verify = QgsProcessingParameterBoolean(
            self.VERIFY, self.tr("Verify band files against the product's "
                                 "checksums"), defaultValue=True)
        verify.setHelp(self.tr(
            "Check each band file read against the checksum the product's "
            "manifest.safe lists for it, while the bands decode: a file "
            "damaged on the way stops the run, with nothing written, "
            "instead of giving a wrong picture. Turn off only for data you "
            "know to be sound, or have changed on purpose."))
        self.addParameter(optional(verify, advanced=True))

    def add_method_parameters(self):
        """METHOD, COLOUR, CLIP_LIMIT and TILE_SIZE, all advanced: the
        defaults are the plugin's original behaviour, and the dialog keeps
        its output field in view at its default size."""
        method = QgsProcessingParameterEnum(
            self.METHOD, self.tr("Method"), options=list(METHODS),
            defaultValue=EQUALIZE, usesStaticStrings=True)
        method.setHelp(self.tr(
            "equalize: each value gets its rank among the valid pixels, the "
            "most contrast. contrast-limited: the same with the histogram "
            "clipped at the clip limit first, so that flat water and fields "
            "do not turn into amplified noise. adaptive: a contrast-limited "
            "curve per tile of the tile size, blended between tiles, so a "
            "bright snowfield and a dark valley of one product each get "
            "their contrast."))
        self.addParameter(optional(method, advanced=True))
        colour = QgsProcessingParameterEnum(
            self.COLOUR, self.tr("Colour"), options=list(COLOURS),
            defaultValue=PER_BAND, usesStaticStrings=True)
        colour.setHelp(self.tr(
            "per band: each band gets its own curve, the most contrast in "
            "each, but colours shift (water turns purple). luminance: one "
            "curve from the brightness of the three bands (Rec. 709 weights "
            "of the red, green and blue channels), applied to all three as "
            "one gain, so the colours stay as they are."))
        self.addParameter(optional(colour, advanced=True))
        limit = QgsProcessingParameterNumber(
            self.CLIP_LIMIT, self.tr("Clip limit (× mean histogram height)"),
            type=NUMBER_DOUBLE, defaultValue=DEFAULT_CLIP_LIMIT,
            minValue=1.0, maxValue=MAX_CLIP_LIMIT)
        limit.setHelp(self.tr(
            "For contrast-limited and adaptive: no histogram bin may be "
            "taller than this many times the mean bin height; what is cut "
            "off is spread evenly. Above 1, up to {}: lower is gentler, "
            "higher is closer to plain equalization. {} suits most "
            "scenes.").format(int(MAX_CLIP_LIMIT), int(DEFAULT_CLIP_LIMIT)))
        self.addParameter(widget(optional(limit, advanced=True),
                                 decimals=1))
        self.add_tile_size_parameter(self.tr(
            "For adaptive: the side of the tiles, in metres, each with its "
            "own curve. At least 16 pixels, at most the image's longer side; "
            "{} m gives a full product 22 or 23 tiles a side. With a shared "
            "curve, the tile size it was made with.").format(
                int(DEFAULT_TILE_SIZE)))

    def add_tile_size_parameter(self, help_text):
        tile = QgsProcessingParameterNumber(
            self.TILE_SIZE, self.tr("Tile size (m), adaptive"),
            type=NUMBER_DOUBLE, defaultValue=DEFAULT_TILE_SIZE,
            minValue=0.0)
        tile.setHelp(help_text)
        self.addParameter(widget(optional(tile, advanced=True), decimals=0))

    # ------------------------------------------------------------------
    # Reading them.

    def check_bands_and_sample(self, parameters, context):
        """(False, message) for a band name or sample out of range, else
        (True, "")."""
        for name in (self.RED, self.GREEN, self.BLUE):
            value = parameters.get(name)
            if isinstance(value, str) and value not in BAND_NAMES:
                return False, self.tr(
                    "{}: '{}' is not a Sentinel-2 band name. Use one of "
                    "{}.").format(name, value, ", ".join(BAND_NAMES))
        percent = self.parameterAsDouble(parameters, self.SAMPLE_PERCENT,
                                         context)
        if not 0.0 < percent <= 100.0:
            return False, self.tr(
                "SAMPLE_PERCENT must be above 0 and at most 100 (got {}). Use "
                "1 for a quick histogram, 100 for the exact one.").format(
                    parameters.get(self.SAMPLE_PERCENT))
        return True, ""

    def method(self, parameters, context):
        """The modes.Method the parameters ask for (the defaults where an
        algorithm lacks these parameters)."""
        names = [p.name() for p in self.parameterDefinitions()]
        if self.METHOD not in names:
            return Method()
        return Method(
            self.parameterAsEnumString(parameters, self.METHOD, context)
            or EQUALIZE,
            self.parameterAsEnumString(parameters, self.COLOUR, context)
            or PER_BAND,
            self.parameterAsDouble(parameters, self.CLIP_LIMIT, context),
            self.parameterAsDouble(parameters, self.TILE_SIZE, context))

    def check_method(self, parameters, context):
        """(False, message naming the parameter) for a method, colour mode,
        clip limit or tile size out of range, else (True, ""). The tile
        size is checked against the product's grid by the run itself."""
        for name, options in ((self.METHOD, METHODS),
                              (self.COLOUR, COLOURS)):
            value = parameters.get(name)
            if isinstance(value, str) and value and value not in options:
                return False, self.tr("{}: '{}' is not one of {}.").format(
                    name, value, ", ".join(options))
        try:
            self.method(parameters, context).check()
        except SettingError as exc:
            return False, self.setting_message(exc)
        return True, ""

    def load_as_equalized(self, context, output, name):
        """Have QGIS load ``output``, where it is to load it at all, as a
        layer called ``name``, drawn as the equalized picture it is."""
        if context.willLoadLayerOnCompletion(output):
            details = context.layerToLoadOnCompletionDetails(output)
            details.name = name
            details.setPostProcessor(EqualizedStyle.create())

    def error_message(self, exc):
        """The message of a core error, for a QgsProcessingException."""
        if isinstance(exc, SettingError):
            return self.setting_message(exc)
        return str(exc)

    def setting_message(self, exc):
        """A core SettingError's message, led by the parameter it is
        about."""
        name = self.SETTINGS.get(exc.setting)
        return "{}: {}".format(name, exc) if name else str(exc)

    def method_log(self, method, feedback):
        """Say in the log how the run maps values, where it is not the
        default."""
        if method.is_default:
            return
        feedback.pushInfo(self.tr("Method: {}, colour: {}{}.").format(
            method.name, method.colour,
            self.tr(", clip limit {:g}").format(method.clip_limit)
            if method.name != EQUALIZE else "") + (
                self.tr(" Tiles of {:g} m.").format(method.tile_size)
                if method.name == ADAPTIVE else ""))

    def bands(self, parameters, context):
        """The (red, green, blue) band names the run uses, and the named
        combination they come from (None with 'Custom bands')."""
        choice = self.parameterAsEnumString(parameters, self.COMBINATION,
                                            context)
        if choice and choice != CUSTOM:
            return combination(choice).bands, choice
        return tuple(self.parameterAsEnumString(parameters, name, context)
                     for name in (self.RED, self.GREEN, self.BLUE)), None

    def read_bands(self, parameters, context, feedback):
        """The (red, green, blue) bands, said in the log: the parameters
        Processing logs list RED/GREEN/BLUE even where a named combination
        overrides them."""
        bands, named = self.bands(parameters, context)
        if named:
            feedback.pushInfo(self.tr(
                "Bands: {} (red), {} (green), {} (blue), from the band "
                "combination '{}'; the red, green and blue band fields do "
                "not apply.").format(*bands, named))
        else:
            feedback.pushInfo(self.tr(
                "Bands: {} (red), {} (green), {} (blue).").format(*bands))
        return bands

    def sample_fraction(self, parameters, context):
        return self.parameterAsDouble(parameters, self.SAMPLE_PERCENT,
                                      context) / 100.0

    def resolution(self, parameters, context):
        """10, 20 or 60 (m), or None for the finest of the bands."""
        value = self.parameterAsEnumString(parameters, self.RESOLUTION,
                                           context)
        return None if value in ("", FINEST) else int(value)

    def curve_path(self, parameters, context):
        """The curve file given, or None."""
        if self.CURVE not in [p.name() for p in self.parameterDefinitions()]:
            return None
        path = self.parameterAsFile(parameters, self.CURVE, context)
        return path.strip() or None if path else None

    def geotiff_path(self, output, context):
        """``output`` with the .tif extension added when it has none, as
        Processing does for its own file outputs; another extension is an
        error, since the file is a GeoTIFF whatever its name."""
        extension = os.path.splitext(output)[1].lower()
        if extension in (".tif", ".tiff"):
            return output
        if extension:
            raise QgsProcessingException(self.tr(
                "OUTPUT '{}' ends in '{}', but the image is a GeoTIFF. Give a "
                "file name ending in .tif.").format(output, extension))
        path = output + ".tif"
        if context.willLoadLayerOnCompletion(output):
            layers = context.layersToLoadOnCompletion()
            layers[path] = layers.pop(output)
            context.setLayersToLoadOnCompletion(layers)
        return path
