"""The algorithm ``s2eq:mosaic``: many products, one GeoTIFF, one curve."""

from qgis.core import (QgsProcessingException,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingUtils)

from ..core.errors import EqualizerError
from .about import plugin_version
from .base import S2EqAlgorithm
from .encoding import add_encoding_parameters, encoding_values


class MosaicAlgorithm(S2EqAlgorithm):

    HELP_SECTION = "mosaic"
    OUTPUT = "OUTPUT"

    def name(self):
        return "mosaic"

    def displayName(self):  # noqa: N802 (QGIS API)
        return self.tr("Mosaic Sentinel-2 products with one curve")

    def tags(self):
        return self.tr("sentinel,sentinel-2,s2,mosaic,histogram,equalization,"
                       "seamless,shared curve,tiles,utm,l1c,l2a").split(",")

    def shortHelpString(self):  # noqa: N802 (QGIS API)
        return self.tr(
            "<p>One 8-bit RGB GeoTIFF of several Sentinel-2 products "
            "(neighbouring tiles, or one tile on several dates), "
            "histogram-equalized with <b>one curve for all</b>, so "
            "neighbouring tiles meet without a seam.</p>"
            "<p><b>Sentinel-2 products.</b> Add each product's .zip, or the "
            "MTD_MSIL1C.xml / MTD_MSIL2A.xml in its .SAFE folder, with "
            "'Add File(s)…'. All L1C, or all L2A. Where products overlap, "
            "the first listed that has data there is shown: put the one you "
            "prefer (the least cloudy) first.</p>"
            "<p><b>One curve.</b> Each product's histograms are drawn on the "
            "reflectance scale, so products of any processing baseline "
            "agree, and added up; every product is mapped through the sum. "
            "Given a shared curve file, that curve is used and nothing is "
            "measured.</p>"
            "<p><b>UTM zone.</b> The mosaic is written in the UTM zone "
            "holding most of the products' granules. Granules of another "
            "zone are reprojected by GDAL with nearest neighbour, so every "
            "output pixel is still a measured pixel.</p>"
            "<p><b>Band combination, bands, histogram sample, output pixel "
            "size, method, colour, clip limit, tile size, compression, JPEG "
            "quality</b>: as in "
            "'Equalize Sentinel-2 bands to RGB'; the sample share applies to "
            "each product. Luminance and the adaptive tiles are measured on "
            "the mosaic, from the pixels it shows.</p>"
            "<p><b>Area: extent</b> and <b>mask polygons</b> (advanced). The "
            "mosaic covers the area alone, its curve is made of the pixels "
            "inside it, and products that do not touch it are skipped (the "
            "log names them).</p>"
            "<p><b>Clouds</b> (advanced), as in 'Equalize Sentinel-2 bands "
            "to RGB'. <b>Composite</b> (advanced): first valid (the "
            "default) shows the first product with data; first clear the "
            "first where the pixel is clear by its cloud mask; median of "
            "clear, per band, the median of the clear observations: a "
            "cloud-free picture of a season. Where no product is clear, "
            "the first valid (no-data with clouds masked). The curve is "
            "made of the composite's own pixels. <b>Order</b> (advanced): "
            "as given, or clearest first.</p>"
            "<p><b>Verify band files</b> (advanced, on by default). Each "
            "product's band files are checked against the checksums in its "
            "manifest.safe while they decode; a damaged one stops the run "
            "with nothing written, and the message names the product.</p>"
            "<p><b>Output.</b> Tiled, JPEG-compressed GeoTIFF with a no-data "
            "mask and overviews, written only once complete. Models and "
            "scripts may leave out any parameter but the products and the "
            "output: it then takes the default shown here.</p>")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.add_products_parameter(self.tr(
            "The Sentinel-2 products to mosaic, all L1C or all L2A: each as "
            "its .zip, its MTD_MSIL1C.xml / MTD_MSIL2A.xml or its .SAFE "
            "folder, on disk or at an https:// URL or s3:// path, or as a "
            "STAC item; a STAC ItemCollection file (a saved search) stands "
            "for its items. Where they overlap, the first listed with data "
            "there is shown."))
        self.add_band_parameters()
        self.add_sample_parameter()
        self.parameterDefinition(self.SAMPLE_PERCENT).setHelp(self.tr(
            "Share of each band's valid pixels in each product, above 0 and "
            "up to 100, drawn at random (fixed seed) to build the shared "
            "histogram. 100 gives the exact one."))
        self.add_area_parameters()
        self.add_cloud_parameters()
        self.add_composite_parameters()
        self.add_resolution_parameter()
        self.add_method_parameters()
        self.add_curve_parameter()
        self.add_verify_parameter()
        add_encoding_parameters(self)
        self.parameterDefinition(self.CURVE).setHelp(self.tr(
            "A curve file made by 'Build a shared curve' (s2eq:curve): every "
            "product is mapped through it and nothing is measured, so "
            "mosaics and images made with the same curve match. Leave empty "
            "to build the curve from these products. In the batch panel its "
            "column shows once the gear button (Toggle advanced mode) above "
            "the table is pressed."))
        output = QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Mosaic"))
        output.setHelp(self.tr(
            "The 8-bit RGB GeoTIFF to write. It appears only once complete; "
            "a failed or cancelled run leaves nothing there."))
        self.addParameter(output)

    def checkParameterValues(self, parameters, context):  # noqa: N802
        for check in (self.check_products, self.check_bands_and_sample,
                      self.check_method, self.check_clouds):
            ok, message = check(parameters, context)
            if not ok:
                return ok, message
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        mosaic = self.core("mosaic")
        output = self.geotiff_path(self.parameterAsOutputLayer(
            parameters, self.OUTPUT, context), context)
        method = self.method(parameters, context)
        self.method_log(method, feedback)
        composite, order = self.composite(parameters, context)
        try:
            result = mosaic.mosaic(
                self.products(parameters, context), output,
                bands=self.read_bands(parameters, context, feedback),
                sample_fraction=self.sample_fraction(parameters, context),
                resolution=self.resolution(parameters, context),
                curve=self.curve_path(parameters, context),
                scratch_dir=QgsProcessingUtils.tempFolder(),
                software="Sentinel-2 Equalizer {}".format(plugin_version()),
                report=feedback.setProgress,
                is_cancelled=feedback.isCanceled, log=feedback.pushInfo,
                method=method.name, colour=method.colour,
                clip_limit=method.clip_limit, tile_size=method.tile_size,
                area=self.area(parameters, context, feedback),
                verify=self.parameterAsBoolean(parameters, self.VERIFY,
                                               context),
                clouds=self.clouds(parameters, context), composite=composite,
                order=order, **encoding_values(self, parameters, context))
        except EqualizerError as exc:
            raise QgsProcessingException(self.error_message(exc))

        self.load_as_equalized(context, output, result.layer_name)
        return {self.OUTPUT: output}
