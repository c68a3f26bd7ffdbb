"""The algorithm ``s2eq:mosaic``: many products, one GeoTIFF, one curve.

It shares ``s2eq:equalize``'s band and sample parameters (the very same
definitions, so the two never drift apart), its checks, its output handling
and its styling, and adds the list of products and an optional curve file.

INPUTS is a multiple-layer parameter of type file: Processing's own way to
take a list of files. The dialog adds products with "Add File(s)…" (a
.zip, or the MTD_MSIL1C.xml / MTD_MSIL2A.xml inside a .SAFE folder) and
keeps the order they are listed in; scripts pass a list; qgis_process takes
the parameter once per product (``--INPUTS=a --INPUTS=b``); a model feeds
it from a "Multiple input" of files. Paths of .SAFE folders are accepted
wherever they can be typed. A string of several paths would need a
separator that paths may contain, and a layer type would offer map layers,
which products are not.
"""

from qgis.core import (QgsProcessingException, QgsProcessingParameterFile,
                       QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingUtils)
from qgis.PyQt.QtCore import QCoreApplication

from ..core.errors import EqualizerError
from .about import plugin_version
from .compat import FILE_BEHAVIOR, SOURCE_FILE
from .equalize import FINEST, EqualizeAlgorithm
from .parameters import optional
from .styling import EqualizedStyle


class MosaicAlgorithm(EqualizeAlgorithm):
    INPUTS = "INPUTS"
    CURVE = "CURVE"
    #: The parameters taken as they are from s2eq:equalize, in its order.
    SHARED = ("COMBINATION", "RED", "GREEN", "BLUE", "SAMPLE_PERCENT",
              "RESOLUTION")

    def tr(self, text):
        return QCoreApplication.translate("MosaicAlgorithm", text)

    def createInstance(self):  # noqa: N802 (QGIS API)
        return MosaicAlgorithm()

    def name(self):
        return "mosaic"

    def displayName(self):  # noqa: N802 (QGIS API)
        return self.tr("Mosaic Sentinel-2 products with one curve")

    def tags(self):
        return self.tr("sentinel,sentinel-2,s2,mosaic,histogram,equalization,"
                       "seamless,shared curve,tiles,utm,l1c,l2a").split(",")

    def shortHelpString(self):  # noqa: N802 (QGIS API)
        return self.tr(
            "<p>Makes one 8-bit RGB GeoTIFF of several Sentinel-2 products "
            "(neighbouring tiles, or the same tile on several dates), "
            "histogram-equalized with <b>one curve for all</b>, so "
            "neighbouring tiles meet without a seam.</p>"
            "<p><b>Sentinel-2 products.</b> Add each product's .zip, or the "
            "MTD_MSIL1C.xml / MTD_MSIL2A.xml inside its .SAFE folder, with "
            "'Add File(s)…'. All must be L1C, or all L2A. Where products "
            "overlap, the first in the list that has data there is shown: "
            "put the one you prefer (the least cloudy) first.</p>"
            "<p><b>One curve.</b> Each product's histogram is drawn (on the "
            "reflectance scale, so products of any processing baseline "
            "agree) and they are added up; every product is then mapped "
            "through the sum. With a curve file, that curve is used "
            "instead and nothing is measured.</p>"
            "<p><b>UTM zone.</b> The mosaic is written in the UTM zone "
            "holding most of the products' granules. Granules of another "
            "zone are reprojected by GDAL with nearest neighbour, so every "
            "output pixel is still a measured pixel.</p>"
            "<p><b>Band combination, bands, histogram sample, output pixel "
            "size</b>: as in 'Equalize Sentinel-2 bands to RGB'; the sample "
            "share applies to every product.</p>"
            "<p><b>Output.</b> Tiled GeoTIFF, JPEG-compressed (YCbCr), with "
            "a no-data mask and overviews. It appears only once complete.</p>"
            "<p>Models, batch files and scripts may leave out any parameter "
            "but the products and the output: each has the default shown "
            "here.</p>")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        products = QgsProcessingParameterMultipleLayers(
            self.INPUTS, self.tr("Sentinel-2 products"),
            layerType=SOURCE_FILE)
        products.setHelp(self.tr(
            "The Sentinel-2 products to mosaic, all L1C or all L2A: each as "
            "its .zip, its MTD_MSIL1C.xml / MTD_MSIL2A.xml or its .SAFE "
            "folder. Where they overlap, the first listed with data there "
            "is shown."))
        self.addParameter(products)

        template = EqualizeAlgorithm()
        template.initAlgorithm()
        for name in self.SHARED:
            self.addParameter(template.parameterDefinition(name).clone())
        self.parameterDefinition("SAMPLE_PERCENT").setHelp(self.tr(
            "Share of each band's valid pixels, in every product, above 0 "
            "and up to 100, drawn at random (fixed seed) to build the "
            "shared histogram. 100 gives the exact one."))

        curve = QgsProcessingParameterFile(
            self.CURVE, self.tr("Curve file (instead of measuring)"),
            behavior=FILE_BEHAVIOR, extension="json", defaultValue="")
        curve.setHelp(self.tr(
            "A curve file (.json) made by 'Build a shared curve' "
            "(s2eq:curve), to map every product through it instead of the "
            "products' own histograms: mosaics made with one curve file "
            "match each other. Empty: the curve is built from these "
            "products."))
        self.addParameter(optional(curve, advanced=True))

        output = QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Mosaic"))
        output.setHelp(self.tr(
            "The 8-bit RGB GeoTIFF to write. It appears only once complete; "
            "a failed or cancelled run leaves nothing there."))
        self.addParameter(output)

    def checkParameterValues(self, parameters, context):  # noqa: N802
        products = self.parameterAsFileList(parameters, self.INPUTS, context)
        if not products:
            return False, self.tr(
                "INPUTS is empty. Add the Sentinel-2 products to mosaic: "
                "their .zip, MTD_MSIL1C.xml / MTD_MSIL2A.xml, or .SAFE "
                "folders.")
        # The bands and the sample share are checked as s2eq:equalize
        # checks them, its product being the first of ours.
        return super().checkParameterValues(
            dict(parameters, INPUT=products[0]), context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..core import mosaic   # numpy and rasterio, on first use
        products = self.parameterAsFileList(parameters, self.INPUTS, context)
        output = self.geotiff_path(self.parameterAsOutputLayer(
            parameters, self.OUTPUT, context), context)
        resolution = self.parameterAsEnumString(parameters, self.RESOLUTION,
                                                context)
        bands, named = self.bands(parameters, context)
        feedback.pushInfo(self.tr("Bands: {} (red), {} (green), {} (blue){}.")
                          .format(*bands, self.tr(", from '{}'").format(named)
                                  if named else ""))
        try:
            result = mosaic.mosaic(
                products, output, bands=bands,
                sample_fraction=self.parameterAsDouble(
                    parameters, self.SAMPLE_PERCENT, context) / 100.0,
                resolution=None if resolution in ("", FINEST)
                else int(resolution),
                curve=self.parameterAsFile(parameters, self.CURVE,
                                           context) or None,
                scratch_dir=QgsProcessingUtils.tempFolder(),
                software="Sentinel-2 Equalizer {}".format(plugin_version()),
                report=feedback.setProgress,
                is_cancelled=feedback.isCanceled, log=feedback.pushInfo)
        except EqualizerError as exc:
            raise QgsProcessingException(str(exc))

        if context.willLoadLayerOnCompletion(output):
            details = context.layerToLoadOnCompletionDetails(output)
            details.name = result.layer_name
            details.setPostProcessor(EqualizedStyle.create())
        return {self.OUTPUT: output}
