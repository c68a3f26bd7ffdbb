"""The algorithm ``s2eq:curve``: one curve file from many products."""

from qgis.core import (QgsProcessingException, QgsProcessingOutputHtml,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingUtils)

from ..core.curves.modes import check_positive_size
from ..core.errors import EqualizerError, SettingError
from .about import plugin_version
from .base import S2EqAlgorithm


class CurveAlgorithm(S2EqAlgorithm):

    HELP_SECTION = "curve"
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"

    def name(self):
        return "curve"

    def displayName(self):  # noqa: N802 (QGIS API)
        return self.tr("Build a shared curve")

    def tags(self):
        return self.tr("sentinel,sentinel-2,s2,histogram,curve,shared,"
                       "time series,mosaic,consistent,colours,l1c,l2a"
                       ).split(",")

    def shortHelpString(self):  # noqa: N802 (QGIS API)
        return self.tr(
            "<p>Measures the histograms of one or more Sentinel-2 products, "
            "adds them up per band, and writes <b>one curve</b> for all of "
            "them to a curve file (.json).</p>"
            "<p>Give that file to 'Equalize Sentinel-2 bands to RGB' "
            "(parameter <i>Shared curve</i>) for each product, or to "
            "'Mosaic Sentinel-2 products with one curve': every product "
            "then gets the same colours for the same reflectance, so the "
            "dates of a time series compare, and neighbouring tiles meet "
            "without a seam. In the batch panel of 'Equalize Sentinel-2 "
            "bands to RGB', the <i>Shared curve</i> column shows once the "
            "gear button (Toggle advanced mode) above the table is pressed: "
            "fill the first row's cell with the file, then Fill Down.</p>"
            "<p>Histograms are taken on the reflectance scale (DN plus the "
            "product's radiometric offset), so products of any processing "
            "baseline share a curve. L1C and L2A products cannot share one: "
            "make one curve per level.</p>"
            "<p>The curve is also shown as an HTML page in the results "
            "viewer: each band's histogram and curve, and the products it "
            "was made from.</p>"
            "<p><b>Bands</b>, <b>Histogram sample</b> and <b>Output pixel "
            "size</b> mean what they mean in 'Equalize Sentinel-2 bands to "
            "RGB'. The curve file keeps each band's summed histogram, so "
            "curves can be added up again later.</p>"
            "<p><b>Area: extent</b> and <b>mask polygons</b> (advanced). The "
            "curve is made of the pixels inside the area alone, in every "
            "product: one curve for one area over a time series.</p>"
            "<p><b>Clouds</b> (advanced). exclude from curve (or mask) "
            "leaves each product's clouds, by its own cloud mask and the "
            "buffer, out of the curve: one curve for the clear ground of a "
            "season.</p>"
            "<p>It also keeps what the other methods need: the histogram of "
            "the luminance of the three bands (colour mode luminance), and "
            "each band's and the luminance's histogram per tile of the "
            "<b>Tile size</b> (method adaptive, advanced).</p>")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.add_products_parameter(self.tr(
            "The Sentinel-2 products the curve is made from, all L1C or all "
            "L2A: each as its .zip, its MTD_MSIL1C.xml / MTD_MSIL2A.xml or "
            "its .SAFE folder, on disk or at an https:// URL or s3:// path, "
            "or as a STAC item; a STAC ItemCollection file (a saved search) "
            "stands for its items."))
        self.add_band_parameters()
        self.add_sample_parameter()
        self.add_area_parameters()
        self.add_cloud_parameters()
        self.add_resolution_parameter()
        self.add_tile_size_parameter(self.tr(
            "The side, in metres, of the tiles whose histograms the curve "
            "file keeps for the adaptive method (equalize with this curve "
            "and method adaptive takes the same tile size). At least 16 "
            "pixels."))
        self.add_verify_parameter()
        output = QgsProcessingParameterFileDestination(
            self.OUTPUT, self.tr("Curve file"),
            fileFilter=self.tr("Curve files (*.json)"))
        output.setHelp(self.tr(
            "The curve file (.json) to write: per band the summed histogram "
            "and the lookup table, and the products and sample it came "
            "from."))
        self.addParameter(output)
        self.addOutput(QgsProcessingOutputHtml(
            self.REPORT, self.tr("Curve report")))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        for ok, message in (self.check_products(parameters, context),
                            self.check_bands_and_sample(parameters,
                                                        context),
                            self.check_clouds(parameters, context)):
            if not ok:
                return ok, message
        try:
            check_positive_size(self.parameterAsDouble(
                parameters, self.TILE_SIZE, context))
        except SettingError as exc:
            return False, self.setting_message(exc)
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        measure, errors = self.core("measure"), self.core("errors")
        curves, report = self.core("curves.curve"), self.core("curves.report")
        products = self.products(parameters, context)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        if not output.lower().endswith(".json"):
            output += ".json"
        bands = self.read_bands(parameters, context, feedback)
        sample = self.sample_fraction(parameters, context)
        resolution = self.resolution(parameters, context)
        tile_size = self.parameterAsDouble(parameters, self.TILE_SIZE,
                                           context)
        verify = self.parameterAsBoolean(parameters, self.VERIFY, context)
        measurements = []
        try:
            curves.check_outputs([("curve file", output)], products)
            area = self.area(parameters, context, feedback)
            clouds = self.clouds(parameters, context)
            for number, product in enumerate(products):
                if feedback.isCanceled():
                    break
                feedback.pushInfo(self.tr("Measuring {} ({} of {})").format(
                    errors.without_secrets(product), number + 1,
                    len(products)))
                share = 100.0 / len(products)
                measurements.append(measure.measure(
                    product, bands, sample, resolution,
                    report=lambda p, n=number: feedback.setProgress(
                        share * (n + p / 100.0)),
                    is_cancelled=feedback.isCanceled, log=feedback.pushInfo,
                    tile_size=tile_size, area=area, verify=verify,
                    clouds=clouds,
                    scratch_dir=QgsProcessingUtils.tempFolder()))
            if feedback.isCanceled():
                raise QgsProcessingException(self.tr(
                    "Cancelled: no curve file was written."))
            curve = curves.combine(measurements, "Sentinel-2 Equalizer {}"
                                   .format(plugin_version()))
            curves.save(curve, output)
        except EqualizerError as exc:
            raise QgsProcessingException(self.error_message(exc))
        page = QgsProcessingUtils.generateTempFilename("curve.html")
        with open(page, "w", encoding="utf-8") as handle:
            handle.write(report.curve_html(curve, self.tr("Shared curve")))
        return {self.OUTPUT: output, self.REPORT: page}
