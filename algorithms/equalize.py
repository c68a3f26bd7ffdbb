"""The algorithm ``s2eq:equalize``: reads parameters, calls the core."""

import os

from qgis.core import (QgsProcessingException, QgsProcessingParameterFile,
                       QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingUtils)

from ..core.errors import EqualizerError
from .about import plugin_version
from .base import S2EqAlgorithm
from .compat import FILE_BEHAVIOR, NUMBER_INTEGER
from .encoding import add_encoding_parameters, encoding_values
from .parameters import optional, widget


class EqualizeAlgorithm(S2EqAlgorithm):
    INPUT = "INPUT"
    UTM_ZONE = "UTM_ZONE"
    OUTPUT = "OUTPUT"

    def name(self):
        return "equalize"

    def displayName(self):  # noqa: N802 (QGIS API)
        return self.tr("Equalize Sentinel-2 bands to RGB")

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
            "folder button, or a path typed or pasted. Also typed or pasted: "
            "the https:// URL or s3:// path of a .SAFE folder or .zip, which "
            "is read in place (only the parts the run needs), and a STAC "
            "item, as its JSON file or its URL. For an item found in QGIS's "
            "STAC browser (Browser panel, STAC), right-click it, choose "
            "Details… and copy its 'self' link: that is the item's URL. "
            "Credentials come from the usual places only (AWS_* environment "
            "variables or profile, GDAL's HTTP options); a signed URL is "
            "used as given. No URL's user part or query string is written "
            "to the log or the output.</p>"
            "<p><b>Band combination.</b> A named combination decides the "
            "bands: the red, green and blue fields are greyed out and show "
            "its bands, and the log names them. 'Custom bands' uses the "
            "fields (B04, B03, B02, true colour, by default).</p>"
            "<p><b>Histogram sample.</b> The share of valid pixels, drawn "
            "with a fixed seed, that feed each band's histogram. 1 % of a "
            "full tile is over a million pixels, close to exact; 100 % uses "
            "them all. Every pixel is mapped either way.</p>"
            "<p><b>Area: extent</b> and <b>mask polygons</b> (advanced). "
            "Only the extent (widened to whole pixels, in any CRS) and the "
            "pixels inside the polygons are written and counted in the "
            "histogram, so the area gets the whole output range, and only "
            "the band tiles it touches are decoded. With a shared curve, "
            "the area is mapped as the whole tile would be.</p>"
            "<p><b>Clouds</b> (advanced). keep (the default): clouds are "
            "pixels like any other. exclude from curve: the clouds, cirrus "
            "and shadows of the product's own mask (SCL, MSK_CLASSI, "
            "MSK_CLOUDS) are left out of the histogram, so the clear ground "
            "gets the output range; clouds are drawn through that curve, "
            "mostly white. mask: also no-data in the output. The buffer "
            "widens the clouds by metres; the classes say what counts as "
            "cloud (snow is clear ground unless chosen). The log gives the "
            "product's clear share.</p>"
            "<p><b>Method</b> (advanced). equalize (the default) gives each "
            "value its rank: the most contrast. contrast-limited clips the "
            "histogram at the clip limit first, so flat water and fields "
            "keep their calm instead of showing amplified noise. adaptive "
            "makes a contrast-limited curve per tile and blends them, so a "
            "bright and a dark region of one product each get their "
            "contrast.</p>"
            "<p><b>Colour</b> (advanced). per band (the default) equalizes "
            "each band on its own: most contrast, but colours shift. "
            "luminance equalizes the brightness of the picture and keeps "
            "each pixel's colour.</p>"
            "<p><b>Clip limit</b> and <b>Tile size</b> (advanced). How many "
            "times steeper than the band's broad curve the curve may get "
            "(contrast-limited and adaptive; 0 chooses per method), and the "
            "side of the adaptive tiles in metres.</p>"
            "<p><b>Output pixel size</b> (advanced). 'finest' keeps the "
            "finest resolution of the chosen bands (10 m with B02, B03, B04 "
            "or B08), repeating the pixels of coarser ones. 20 or 60 reads "
            "reduced JPEG2000 levels: a quick-look in seconds.</p>"
            "<p><b>Shared curve</b> (advanced, optional). A curve file made "
            "by 'Build a shared curve' from one or more products: the bands "
            "go through it instead of their own histograms, so products "
            "given the same curve get the same colours (dates of a tile, "
            "tiles of a region). The run then decodes and writes in one "
            "pass. In the batch panel its column shows once the gear button "
            "(Toggle advanced mode) above the table is pressed.</p>"
            "<p><b>UTM zone</b> (advanced). For a product whose granules lie "
            "in two UTM zones: 0 writes the zone with most granules, 1-60 "
            "that zone (one of the product's).</p>"
            "<p><b>Verify band files</b> (advanced, on by default). Each "
            "band file read is checked against the checksum in the "
            "product's manifest.safe; a damaged download stops the run "
            "with nothing written. Products without checksums run "
            "unchecked, and the log says so.</p>"
            "<p><b>Compression</b> (advanced). JPEG (the default): small "
            "files, each band within 4 levels of the exact picture on "
            "average. DEFLATE or ZSTD: lossless, the exact equalized values, "
            "several times larger; for analysing the picture rather than "
            "looking at it.</p>"
            "<p><b>JPEG quality</b> (advanced). 0 chooses per combination "
            "and pixel size (natural colour at 10 m in YCbCr, every other "
            "output in RGB, so that no band blurs into its neighbours); 1 "
            "to 100 sets it, 1 the smallest file, 100 the best picture.</p>"
            "<p><b>No-data.</b> Pixels outside the swath (value 0) stay out "
            "of the histogram and are masked, which QGIS shows as "
            "transparent. Saturated pixels are drawn white.</p>"
            "<p><b>Output.</b> A tiled Cloud Optimized GeoTIFF with overviews "
            "in the product's UTM zone, written only once complete. Models "
            "and scripts may leave out any parameter but the product and "
            "the output: it then takes the default shown here.</p>")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        product = QgsProcessingParameterFile(
            self.INPUT, self.tr("Sentinel-2 product"),
            behavior=FILE_BEHAVIOR,
            fileFilter=self.tr(
                "Sentinel-2 products (*.zip MTD_MSIL1C.xml MTD_MSIL2A.xml "
                "*.xml);;All files (*)"))
        product.setHelp(self.tr(
            "A Sentinel-2 L1C or L2A product: its .zip or its MTD_MSIL1C.xml "
            "/ MTD_MSIL2A.xml (file button), its .SAFE folder (folder "
            "button), or a folder holding exactly one product; typed or "
            "pasted, the https:// URL or s3:// path of a .SAFE folder or "
            ".zip, or a STAC item (its JSON file or URL)."))
        self.addParameter(widget(product, "product.ProductWrapper"))
        self.add_band_parameters()
        self.add_sample_parameter()
        self.add_area_parameters()
        self.add_cloud_parameters()
        self.add_method_parameters()
        self.add_curve_parameter()
        self.add_resolution_parameter()

        zone = QgsProcessingParameterNumber(
            self.UTM_ZONE, self.tr("UTM zone (0 = automatic)"),
            type=NUMBER_INTEGER, defaultValue=0, minValue=0, maxValue=60)
        zone.setHelp(self.tr(
            "Only for a product whose granules lie in two UTM zones: the "
            "zone to mosaic and write, 1 to 60, one of the product's. 0 "
            "takes the zone with most granules."))
        self.addParameter(widget(optional(zone, advanced=True),
                                 "zone.ZoneWrapper"))
        self.add_verify_parameter()
        add_encoding_parameters(self)

        output = QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Equalized RGB image"))
        output.setHelp(self.tr(
            "The 8-bit RGB GeoTIFF to write. It appears only once complete; "
            "a failed or cancelled run leaves nothing there."))
        self.addParameter(output)

    def checkParameterValues(self, parameters, context):  # noqa: N802
        # Clearer messages than the generic "Incorrect parameter value" for
        # the mistakes users make most.
        if not str(parameters.get(self.INPUT) or "").strip():
            return False, self.tr(
                "INPUT is missing. Point it to a Sentinel-2 .SAFE folder, its "
                ".zip, or its MTD_MSIL1C.xml / MTD_MSIL2A.xml file, or give "
                "a product's or a STAC item's URL.")
        for check in (self.check_bands_and_sample, self.check_method,
                      self.check_clouds):
            ok, message = check(parameters, context)
            if not ok:
                return ok, message
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        render = self.core("render")
        product = self.parameterAsFile(parameters, self.INPUT, context)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if os.path.realpath(output) == os.path.realpath(product):
            raise QgsProcessingException(self.tr(
                "OUTPUT is the input product itself. Choose another file for "
                "the GeoTIFF."))
        output = self.geotiff_path(output, context)
        zone = self.parameterAsInt(parameters, self.UTM_ZONE, context)
        area = self.area(parameters, context, feedback)
        method = self.method(parameters, context)
        self.method_log(method, feedback)
        try:
            clouds = self.clouds(parameters, context)
        except EqualizerError as exc:
            raise QgsProcessingException(self.error_message(exc))
        options = render.Options(
            product=product, output=output,
            bands=self.read_bands(parameters, context, feedback),
            sample_fraction=self.sample_fraction(parameters, context),
            resolution=self.resolution(parameters, context),
            utm_zone=zone or None,
            scratch_dir=QgsProcessingUtils.tempFolder(),
            software="Sentinel-2 Equalizer {}".format(plugin_version()),
            curve=self.curve_path(parameters, context),
            verify=self.parameterAsBoolean(parameters, self.VERIFY, context),
            method=method.name, colour=method.colour,
            clip_limit=method.clip_limit, tile_size=method.tile_size,
            area=area, clouds=clouds,
            **encoding_values(self, parameters, context))
        try:
            result = render.run(options, report=feedback.setProgress,
                                is_cancelled=feedback.isCanceled,
                                log=feedback.pushInfo,
                                warn=feedback.pushWarning)
        except EqualizerError as exc:
            raise QgsProcessingException(self.error_message(exc))

        self.load_as_equalized(context, output, result.layer_name)
        return {self.OUTPUT: output}
