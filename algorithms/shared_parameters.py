"""The parameters the s2eq algorithms share, declared once: the products,
the band combination and the three bands, the histogram sample, the output
pixel size, the shared curve, checksum verification, the method with
its colour mode, clip limit and tile size, the area of interest, the
clouds, and a mosaic's composite.

Every one but the products goes through ``optional()``: a model saved
before it existed must stay valid and run as before. Reading their values
is reading_parameters.py's business.
"""

from qgis.core import (QgsProcessingParameterBoolean,
                       QgsProcessingParameterEnum,
                       QgsProcessingParameterExtent,
                       QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterFile,
                       QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterNumber)

from ..core.curves.modes import (ADAPTIVE, AUTO_CLIP_LIMITS, COLOURS,
                                 CONTRAST_LIMITED, DEFAULT_CLIP_LIMIT,
                                 DEFAULT_TILE_SIZE, EQUALIZE, MAX_CLIP_LIMIT,
                                 METHODS, PER_BAND)
from ..core.product.bands import (BAND_NAMES, COMBINATIONS, DEFAULT_BANDS,
                                  RESOLUTIONS)
from ..core.product.masks import (CATEGORIES, CLOUD_WORDS, DEFAULT_BUFFER,
                                  DEFAULT_CATEGORIES)
from .compat import FILE_BEHAVIOR, NUMBER_DOUBLE, SOURCE_FILE, SOURCE_POLYGONS
from .parameters import CHOICE, advanced_choice, optional, widget

CUSTOM = "Custom bands"  # no comma: Processing splits enum strings on commas
FINEST = "finest"
#: COMPOSITE's and ORDER's choices -> the core's names (composite.py).
COMPOSITE_CHOICES = {"first valid": "first-valid",
                     "first clear": "first-clear",
                     "median of clear": "median"}
ORDER_CHOICES = {"as given": "given", "clearest first": "clearest"}


class ParameterNames:
    """The names of the shared parameters, as models, scripts and
    qgis_process spell them."""

    INPUTS = "INPUTS"
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
    EXTENT = "EXTENT"
    MASK = "MASK"
    CLOUDS = "CLOUDS"
    CLOUD_BUFFER = "CLOUD_BUFFER"
    CLOUD_CLASSES = "CLOUD_CLASSES"
    COMPOSITE = "COMPOSITE"
    ORDER = "ORDER"


class SharedParameters(ParameterNames):
    """``add_*_parameter(s)``: each algorithm's ``initAlgorithm`` adds the
    shared parameters it takes, in its own order."""

    def add_products_parameter(self, help_text):
        """INPUTS: a list of products. A multiple-layer parameter of type
        file is Processing's own way to take a list of files: scripts pass
        a list, qgis_process takes the parameter once per product
        (--INPUTS=a --INPUTS=b) and a model feeds it from a "Multiple
        input" of files. The dialog and the batch panel show it with
        widgets/products.py, which names each product."""
        products = QgsProcessingParameterMultipleLayers(
            self.INPUTS, self.tr("Sentinel-2 products"),
            layerType=SOURCE_FILE)
        products.setHelp(help_text)
        self.addParameter(widget(products, "products.ProductsWrapper"))

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
        self.addParameter(widget(optional(combo), CHOICE))
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
        self.addParameter(advanced_choice(
            self.RESOLUTION, self.tr("Output pixel size (m)"),
            [FINEST] + [str(r) for r in RESOLUTIONS], FINEST, self.tr(
                "'finest' keeps the finest resolution of the chosen bands. "
                "20 or 60 reads the bands at a reduced JPEG2000 resolution "
                "level: a quick-look in seconds.")))

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
            "its own histogram. In the batch panel its column shows once "
            "the gear button (Toggle advanced mode) above the table is "
            "pressed: fill the first row's cell, then Fill Down."))
        # Advanced, as the other settings of a single product's run that
        # most runs leave alone: with it in the main section the output
        # field would fall below the fold of the dialog at its default
        # size. The help says where its batch column is.
        self.addParameter(optional(curve, advanced=True))

    def add_verify_parameter(self):
        verify = QgsProcessingParameterBoolean(
            self.VERIFY, self.tr("Verify band files"), defaultValue=True)
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
        self.addParameter(advanced_choice(
            self.METHOD, self.tr("Method"), METHODS, EQUALIZE, self.tr(
                "equalize: each value gets its rank among the valid pixels, "
                "the most contrast. contrast-limited: the same with the "
                "histogram clipped at the clip limit first, so that flat "
                "water and fields do not turn into amplified noise. adaptive: "
                "a contrast-limited curve per tile of the tile size, blended "
                "between tiles, so a bright snowfield and a dark valley of "
                "one product each get their contrast.")))
        self.addParameter(advanced_choice(
            self.COLOUR, self.tr("Colour"), COLOURS, PER_BAND, self.tr(
                "per band: each band gets its own curve, the most contrast in "
                "each, but colours shift (water turns purple). luminance: one "
                "curve from the brightness of the three bands (Rec. 709 "
                "weights of the red, green and blue channels), applied to all "
                "three as one gain, so the colours stay as they are.")))
        limit = QgsProcessingParameterNumber(
            self.CLIP_LIMIT, self.tr("Clip limit (0 = automatic)"),
            type=NUMBER_DOUBLE, defaultValue=DEFAULT_CLIP_LIMIT,
            minValue=0.0, maxValue=MAX_CLIP_LIMIT)
        limit.setHelp(self.tr(
            "For contrast-limited and adaptive: how many times steeper than "
            "the band's broad curve (plain equalization of its histogram "
            "smoothed over 1/32 of its range) the curve may get anywhere; "
            "what is cut off is spread back in proportion to that curve. 1 "
            "follows the broad curve, {} is the unclipped curve. 0 chooses "
            "per method: {:g} for contrast-limited, {:g} for adaptive. "
            "Orfeo ToolBox's hfact and scikit-image's clip_limit x 256 are "
            "comparable numbers.").format(
                int(MAX_CLIP_LIMIT), AUTO_CLIP_LIMITS[CONTRAST_LIMITED],
                AUTO_CLIP_LIMITS[ADAPTIVE]))
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

    def add_area_parameters(self):
        """EXTENT and MASK: the area to cover instead of the whole
        product(s). Empty by default: the whole product, as before."""
        extent = QgsProcessingParameterExtent(
            self.EXTENT, self.tr("Area: extent"), defaultValue="")
        extent.setHelp(self.tr(
            "Cover only this rectangle, in its own CRS (the map canvas "
            "extent, one drawn on the canvas, or a layer's): it is taken "
            "into the output's UTM zone and widened to whole pixels of the "
            "product, which stay where they are. The histogram is drawn "
            "from the area alone, so it gets the whole output range, and "
            "only the band tiles it touches are decoded. A part beyond the "
            "product is no-data. Leave empty for the whole product."))
        self.addParameter(optional(extent, advanced=True))
        mask = QgsProcessingParameterFeatureSource(
            self.MASK, self.tr("Area: mask polygons"),
            types=[SOURCE_POLYGONS], defaultValue="")
        mask.setHelp(self.tr(
            "Polygons in any CRS: pixels whose centre lies outside them, or "
            "in a hole, are no-data and left out of the histogram. Without "
            "an extent, the area is the polygons' bounding box. Leave empty "
            "for no mask."))
        self.addParameter(optional(mask, advanced=True))

    def add_cloud_parameters(self):
        """CLOUDS, CLOUD_BUFFER and CLOUD_CLASSES: what the run does with
        the clouds the product's own mask marks. The defaults keep them
        as any pixel, as before."""
        self.addParameter(advanced_choice(
            self.CLOUDS, self.tr("Clouds"), CLOUD_WORDS, "keep", self.tr(
                "What to do with the clouds the product's own mask marks "
                "(L2A: the scene classification SCL; L1C: MSK_CLASSI_B00 from "
                "processing baseline 04.00, MSK_CLOUDS_B00.gml before). keep: "
                "they are pixels like any other. exclude from curve: they are "
                "left out of the histogram, so the clear ground gets the "
                "whole output range; they are still drawn, by where they fall "
                "on that curve, mostly white. mask: also no-data in the "
                "output (transparent). A product without a cloud mask stops "
                "the run unless the clouds are kept.")))
        buffer = QgsProcessingParameterNumber(
            self.CLOUD_BUFFER, self.tr("Cloud buffer (m)"),
            type=NUMBER_DOUBLE, defaultValue=DEFAULT_BUFFER, minValue=0.0,
            maxValue=5000.0)
        buffer.setHelp(self.tr(
            "How far, in metres, the clouds are widened: masks miss the "
            "thin edges of clouds and their shadows. A mask pixel whose "
            "centre lies within this distance of a cloudy one counts as "
            "cloudy."))
        self.addParameter(widget(optional(buffer, advanced=True),
                                 decimals=0))
        classes = QgsProcessingParameterEnum(
            self.CLOUD_CLASSES, self.tr("Counted as cloud"),
            options=list(CATEGORIES), allowMultiple=True,
            defaultValue=list(DEFAULT_CATEGORIES), usesStaticStrings=True)
        classes.setHelp(self.tr(
            "Which classes of the masks count as cloud: cloud (opaque "
            "clouds; SCL 8 and 9), cirrus (SCL 10), shadow (cloud shadows, "
            "SCL 3; L1C masks have none) and snow (snow and ice, SCL 11). "
            "Snow is clear ground unless chosen here."))
        self.addParameter(optional(classes, advanced=True))

    def add_composite_parameters(self):
        """COMPOSITE and ORDER, a mosaic's: the defaults are the mosaic as
        it always was."""
        self.addParameter(advanced_choice(
            self.COMPOSITE, self.tr("Composite"), COMPOSITE_CHOICES,
            "first valid", self.tr(
                "Which pixel the mosaic shows where products overlap. first "
                "valid: the first product with data there. first clear: the "
                "first where the pixel is clear by its cloud mask, else the "
                "first valid. median of clear: per band, the median of the "
                "clear observations (on the reflectance scale), else the "
                "first valid: a cloud-free, haze-reduced picture of a season. "
                "The curve is made of the composite's own pixels.")))
        self.addParameter(advanced_choice(
            self.ORDER, self.tr("Order of the products"), ORDER_CHOICES,
            "as given", self.tr(
                "as given: the products in the order listed. clearest first: "
                "the products with the largest clear share of the area (by "
                "their cloud masks) first, so that first valid and first "
                "clear take the clearest date.")))
