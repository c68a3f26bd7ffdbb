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
from .about import ICON_PATH, README_PATH, icon, plugin_version
from .compat import FILE_BEHAVIOR, NUMBER_DOUBLE, NUMBER_INTEGER
from .parameters import optional
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
        return QUrl.fromLocalFile(README_PATH).toString()

    def tags(self):
        return self.tr("sentinel,sentinel-2,s2,histogram,equalization,"
                       "contrast,stretch,rgb,clouds,l1c,l2a").split(",")

    def shortHelpString(self):  # noqa: N802 (QGIS API)
        return self.tr(
            "<p>Makes an 8-bit RGB GeoTIFF from three bands of a Sentinel-2 "
            "L1C or L2A product, each histogram-equalized over its full "
            "16-bit range.</p>"
            "<p><b>What equalization does.</b> Every pixel is replaced by its "
            "rank among the band's valid pixels, scaled to 0-255. Output "
            "levels go to land and clouds in proportion to the area they "
            "cover, so both stay readable, where a linear stretch saturates "
            "the clouds or leaves the land dark.</p>"
            "<p><b>Input.</b> The product's .SAFE folder, its downloaded "
            ".zip (read in place), its MTD_MSIL1C.xml / MTD_MSIL2A.xml, or a "
            "folder that holds one product.</p>"
            "<p><b>Bands.</b> Pick a named combination, or keep 'Custom bands' and "
            "choose red, green and blue bands (true colour B04, B03, B02 by "
            "default). Bands of different resolutions are put on the grid of "
            "the finest one by pixel repetition.</p>"
            "<p><b>Sample percentage.</b> The share of valid pixels that "
            "feed each band's histogram, drawn at random with a fixed seed, "
            "so a run is repeatable. 1 % of a full tile is over a million "
            "pixels, close to the exact result; 100 % uses every pixel. Every "
            "pixel is mapped either way.</p>"
            "<p><b>No-data.</b> Pixels outside the swath (value 0) never "
            "enter the histogram and stay no-data in the output, through a "
            "mask that QGIS shows as transparent. Saturated pixels are left "
            "out of the histogram and drawn white.</p>"
            "<p><b>Output.</b> Tiled GeoTIFF, JPEG-compressed (YCbCr), with "
            "overviews, in the product's UTM zone.</p>")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        # Every parameter but INPUT and OUTPUT goes through optional(): a
        # model saved before it existed must stay valid and run as before.
        product = QgsProcessingParameterFile(
            self.INPUT, self.tr("Sentinel-2 product"),
            behavior=FILE_BEHAVIOR,
            fileFilter=self.tr(
                "Sentinel-2 products (*.zip *.SAFE MTD_MSIL1C.xml "
                "MTD_MSIL2A.xml *.xml);;All files (*)"))
        product.setHelp(self.tr(
            "A Sentinel-2 L1C or L2A product: its .SAFE folder (type or paste "
            "the folder path), its .zip, its MTD_MSIL1C.xml / MTD_MSIL2A.xml, "
            "or a folder holding exactly one product."))
        self.addParameter(product)

        combo = QgsProcessingParameterEnum(
            self.COMBINATION, self.tr("Band combination"),
            options=[CUSTOM] + [c.label for c in COMBINATIONS],
            defaultValue=CUSTOM, usesStaticStrings=True)
        combo.setHelp(self.tr(
            "A band combination by name. 'Custom bands' uses the red, green and "
            "blue bands chosen below.") + " " + "; ".join(
                "{}: {}".format(c.label, c.purpose)
                for c in COMBINATIONS) + ".")
        self.addParameter(optional(combo))

        for name, label, default in (
                (self.RED, self.tr("Red band"), DEFAULT_BANDS[0]),
                (self.GREEN, self.tr("Green band"), DEFAULT_BANDS[1]),
                (self.BLUE, self.tr("Blue band"), DEFAULT_BANDS[2])):
            band = QgsProcessingParameterEnum(
                name, label, options=list(BAND_NAMES), defaultValue=default,
                usesStaticStrings=True)
            band.setHelp(self.tr(
                "Band shown in this colour when the combination is 'Custom bands': "
                "B01-B12 or B8A."))
            self.addParameter(optional(band))

        sample = QgsProcessingParameterNumber(
            self.SAMPLE_PERCENT, self.tr("Histogram sample (% of valid "
                                         "pixels)"),
            type=NUMBER_DOUBLE, defaultValue=1.0, minValue=0.0,
            maxValue=100.0)
        sample.setHelp(self.tr(
            "Share of each band's valid pixels, above 0 and up to 100, drawn "
            "at random (fixed seed) to build its histogram. Smaller is "
            "faster to count; 100 gives the exact histogram."))
        self.addParameter(optional(sample))

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
            self.UTM_ZONE, self.tr("UTM zone (products spanning two zones)"),
            type=NUMBER_INTEGER, defaultValue=0, minValue=0, maxValue=60)
        zone.setHelp(self.tr(
            "For a product whose granules lie in two UTM zones: the zone "
            "(1-60) to mosaic and write. 0 takes the zone with most "
            "granules."))
        self.addParameter(optional(zone, advanced=True))

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
        """The (red, green, blue) band names the parameters ask for."""
        choice = self.parameterAsEnumString(parameters, self.COMBINATION,
                                            context)
        if choice and choice != CUSTOM:
            return combination(choice).bands
        return tuple(self.parameterAsEnumString(parameters, name, context)
                     for name in (self.RED, self.GREEN, self.BLUE))

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
        options = render.Options(
            product=product, output=output,
            bands=self.bands(parameters, context),
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
