"""The algorithm ``s2eq:equalize``: reads parameters, calls the core."""

import os

from qgis.core import (QgsProcessingAlgorithm, QgsProcessingException,
                       QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingUtils)
from qgis.PyQt.QtCore import QCoreApplication, QUrl

from ..core.bands import (BAND_NAMES, COMBINATIONS, DEFAULT_BANDS,
                          RESOLUTIONS, combination)
from ..core.errors import EqualizerError
from .about import HELP_PAGE, ICON_PATH, icon, plugin_version
from .compat import FILE_BEHAVIOR, NUMBER_DOUBLE, NUMBER_INTEGER
from .parameters import optional, widget
from .styling import EqualizedStyle


def load_render():
    """The numpy/rasterio part of the core, imported on first use so that
    QGIS starts without loading them, and so that the plugin still loads
    where they are missing. Returns (module, None) or (None, the name of
    the module that could not be imported)."""
    try:
        from ..core import render
    except ImportError as exc:
        return None, exc.name or str(exc)
    return render, None

CUSTOM = "Custom bands"  # no comma: Processing splits enum strings on commas
FINEST = "finest"


class EqualizeAlgorithm(QgsProcessingAlgorithm):
    INPUT = "INPUT"
    COMBINATION = "COMBINATION"
    RED = "RED"
    GREEN = "GREEN"
    BLUE = "BLUE"
    SAMPLE_PERCENT = "SAMPLE_PERCENT"
    RESOLUTION = "RESOLUTION"
    UTM_ZONE = "UTM_ZONE"
    OUTPUT = "OUTPUT"

    def tr(self, text):
        return QCoreApplication.translate("EqualizeAlgorithm", text)

    def createInstance(self):  # noqa: N802 (QGIS API)
        return EqualizeAlgorithm()

    def name(self):
        return "equalize"

    def displayName(self):  # noqa: N802 (QGIS API)
        return self.tr("Equalize Sentinel-2 bands to RGB")

    def group(self):
        return self.tr("Sentinel-2")

    def groupId(self):  # noqa: N802 (QGIS API)
        return "sentinel2"

    def icon(self):
        return icon()

    def svgIconPath(self):  # noqa: N802 (QGIS API)
        return ICON_PATH

    def helpUrl(self):  # noqa: N802 (QGIS API)
        return QUrl.fromLocalFile(HELP_PAGE).toString()

    def tags(self):
        return self.tr("sentinel,sentinel-2,s2,histogram,equalization,"
                       "contrast,stretch,rgb,clouds,l1c,l2a").split(",")

    def shortHelpString(self):  # noqa: N802 (QGIS API)
        return self.tr(
            "<p>An 8-bit RGB GeoTIFF from three bands of a Sentinel-2 L1C or "
            "L2A product, each histogram-equalized: every pixel gets its "
            "rank among the band's valid pixels, scaled to 0-255, so clouds "
            "and the land around them both stay readable.</p>"
            "<p><b>Sentinel-2 product.</b> Its .zip or MTD_MSIL1C.xml / "
            "MTD_MSIL2A.xml with the file button, its .SAFE folder with the "
            "folder button, or a path typed or pasted.</p>"
            "<p><b>Band combination.</b> A named combination decides the "
            "bands: the red, green and blue fields are greyed out and show "
            "its bands, and the log names them. 'Custom bands' uses the "
            "fields (B04, B03, B02, true colour, by default).</p>"
            "<p><b>Histogram sample.</b> The share of valid pixels, drawn "
            "with a fixed seed, that feed each band's histogram. 1 % of a "
            "full tile is over a million pixels, close to exact; 100 % uses "
            "them all. Every pixel is mapped either way.</p>"
            "<p><b>Output pixel size</b> (advanced). 'finest' keeps the "
            "finest resolution of the chosen bands (10 m with B02, B03, B04 "
            "or B08), repeating the pixels of coarser ones. 20 or 60 reads "
            "reduced JPEG2000 levels: a quick-look in seconds.</p>"
            "<p><b>UTM zone</b> (advanced). For a product whose granules lie "
            "in two UTM zones: 0 writes the zone with most granules, 1-60 "
            "that zone (one of the product's).</p>"
            "<p><b>No-data.</b> Pixels outside the swath (value 0) stay out "
            "of the histogram and are masked, which QGIS shows as "
            "transparent. Saturated pixels are drawn white.</p>"
            "<p><b>Output.</b> Tiled, JPEG-compressed GeoTIFF with overviews "
            "in the product's UTM zone, written only once complete. Models "
            "and scripts may leave out any parameter but the product and "
            "the output: it then takes the default shown here.</p>")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        # Every parameter but INPUT and OUTPUT goes through optional(): a
        # model saved before it existed must stay valid and run as before.
        product = QgsProcessingParameterFile(
            self.INPUT, self.tr("Sentinel-2 product"),
            behavior=FILE_BEHAVIOR,
            fileFilter=self.tr(
                "Sentinel-2 products (*.zip MTD_MSIL1C.xml MTD_MSIL2A.xml "
                "*.xml);;All files (*)"))
        product.setHelp(self.tr(
            "A Sentinel-2 L1C or L2A product: its .zip or its MTD_MSIL1C.xml "
            "/ MTD_MSIL2A.xml (file button), its .SAFE folder (folder "
            "button), or a folder holding exactly one product."))
        self.addParameter(widget(product, "product.ProductWrapper"))

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

        sample = QgsProcessingParameterNumber(
            self.SAMPLE_PERCENT, self.tr("Histogram sample (% of pixels)"),
            type=NUMBER_DOUBLE, defaultValue=1.0, minValue=0.0,
            maxValue=100.0)
        sample.setHelp(self.tr(
            "Share of each band's valid pixels, above 0 and up to 100, drawn "
            "at random (fixed seed) to build its histogram. Smaller is "
            "faster to count; 100 gives the exact histogram."))
        self.addParameter(widget(optional(sample), decimals=2))

        resolution = QgsProcessingParameterEnum(
            self.RESOLUTION, self.tr("Output pixel size (m)"),
            options=[FINEST] + [str(r) for r in RESOLUTIONS],
            defaultValue=FINEST, usesStaticStrings=True)
        resolution.setHelp(self.tr(
            "'finest' keeps the finest resolution of the chosen bands. 20 or "
            "60 reads the bands at a reduced JPEG2000 resolution level: a "
            "quick-look in seconds."))
        self.addParameter(optional(resolution, advanced=True))

        zone = QgsProcessingParameterNumber(
            self.UTM_ZONE, self.tr("UTM zone: 0 = automatic (the zone with "
                                   "most granules), or 1–60"),
            type=NUMBER_INTEGER, defaultValue=0, minValue=0, maxValue=60)
        zone.setHelp(self.tr(
            "Only for a product whose granules lie in two UTM zones: the "
            "zone to mosaic and write, one of the product's. 0 takes the "
            "zone with most granules."))
        self.addParameter(widget(optional(zone, advanced=True),
                                 "zone.ZoneWrapper"))

        output = QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Equalized RGB image"))
        output.setHelp(self.tr(
            "The 8-bit RGB GeoTIFF to write. It appears only once complete; "
            "a failed or cancelled run leaves nothing there."))
        self.addParameter(output)

    def canExecute(self):  # noqa: N802 (QGIS API)
        missing = load_render()[1]
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

    def checkParameterValues(self, parameters, context):  # noqa: N802
        # Clearer messages than the generic "Incorrect parameter value" for
        # the mistakes users make most.
        if not str(parameters.get(self.INPUT) or "").strip():
            return False, self.tr(
                "INPUT is missing. Point it to a Sentinel-2 .SAFE folder, its "
                ".zip, or its MTD_MSIL1C.xml / MTD_MSIL2A.xml file.")
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
        return super().checkParameterValues(parameters, context)

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

    def bands(self, parameters, context):
        """The (red, green, blue) band names the run uses, and the named
        combination they come from (None with 'Custom bands')."""
        choice = self.parameterAsEnumString(parameters, self.COMBINATION,
                                            context)
        if choice and choice != CUSTOM:
            return combination(choice).bands, choice
        return tuple(self.parameterAsEnumString(parameters, name, context)
                     for name in (self.RED, self.GREEN, self.BLUE)), None

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        render = load_render()[0]
        if render is None:
            raise QgsProcessingException(self.canExecute()[1])
        product = self.parameterAsFile(parameters, self.INPUT, context)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if os.path.realpath(output) == os.path.realpath(product):
            raise QgsProcessingException(self.tr(
                "OUTPUT is the input product itself. Choose another file for "
                "the GeoTIFF."))
        output = self.geotiff_path(output, context)
        resolution = self.parameterAsEnumString(parameters, self.RESOLUTION,
                                                context)
        zone = self.parameterAsInt(parameters, self.UTM_ZONE, context)
        bands, named = self.bands(parameters, context)
        # The parameters logged above list RED/GREEN/BLUE even where a named
        # combination overrides them: say which bands this run uses.
        if named:
            feedback.pushInfo(self.tr(
                "Bands: {} (red), {} (green), {} (blue), from the band "
                "combination '{}'; the red, green and blue band fields do "
                "not apply.").format(*bands, named))
        else:
            feedback.pushInfo(self.tr(
                "Bands: {} (red), {} (green), {} (blue).").format(*bands))
        options = render.Options(
            product=product, output=output, bands=bands,
            sample_fraction=self.parameterAsDouble(
                parameters, self.SAMPLE_PERCENT, context) / 100.0,
            resolution=None if resolution in ("", FINEST) else int(resolution),
            utm_zone=zone or None,
            scratch_dir=QgsProcessingUtils.tempFolder(),
            software="Sentinel-2 Equalizer {}".format(plugin_version()))
        try:
            result = render.run(options, report=feedback.setProgress,
                                is_cancelled=feedback.isCanceled,
                                log=feedback.pushInfo)
        except EqualizerError as exc:
            raise QgsProcessingException(str(exc))

        if context.willLoadLayerOnCompletion(output):
            details = context.layerToLoadOnCompletionDetails(output)
            details.name = result.layer_name
            details.setPostProcessor(EqualizedStyle.create())
        return {self.OUTPUT: output}
