"""The output's compression parameters, shared by the algorithms that write
a GeoTIFF: COMPRESSION and JPEG_QUALITY, both advanced, both optional (the
defaults are what the core chooses per combination of bands)."""

from qgis.core import QgsProcessingParameterNumber
from qgis.PyQt.QtCore import QCoreApplication

from ..core.output.encoding import (AUTO_QUALITY, COARSE_QUALITY, COMPRESSIONS,
                                    RGB_QUALITY, YCBCR_QUALITY)
from .compat import NUMBER_INTEGER
from .parameters import advanced_choice, optional

COMPRESSION = "COMPRESSION"
JPEG_QUALITY = "JPEG_QUALITY"


def _tr(text):
    return QCoreApplication.translate("S2EqEncoding", text)


def add_encoding_parameters(algorithm):
    """Add COMPRESSION and JPEG_QUALITY to ``algorithm``."""
    algorithm.addParameter(advanced_choice(
        COMPRESSION, _tr("Compression"), COMPRESSIONS, COMPRESSIONS[0], _tr(
            "JPEG: small files, each band within 4 levels of the exact "
            "picture on average. DEFLATE or ZSTD: lossless, the exact "
            "equalized values, several times larger; for analysing the "
            "picture rather than looking at it.")))
    quality = QgsProcessingParameterNumber(
        JPEG_QUALITY, _tr("JPEG quality (0 = automatic)"),
        type=NUMBER_INTEGER, defaultValue=AUTO_QUALITY, minValue=0,
        maxValue=100)
    quality.setHelp(_tr(
        "0 lets the plugin choose per combination of bands and pixel size: "
        "at 10 m, natural colour (B04/B03/B02) as JPEG in YCbCr at quality "
        "{}, any other combination as JPEG in RGB at quality {}, each band "
        "compressed on its own so that none blurs into its neighbours; at "
        "20 m and 60 m, JPEG in RGB at quality {} and {}. 1 to 100 sets "
        "it: 1 gives the smallest file, 100 the best picture.").format(
            YCBCR_QUALITY, RGB_QUALITY, COARSE_QUALITY[20],
            COARSE_QUALITY[60]))
    algorithm.addParameter(optional(quality, advanced=True))


def encoding_values(algorithm, parameters, context):
    """The core's ``compression`` and ``jpeg_quality`` keywords from the
    parameters."""
    return {
        "compression": algorithm.parameterAsEnumString(
            parameters, COMPRESSION, context) or COMPRESSIONS[0],
        "jpeg_quality": algorithm.parameterAsInt(parameters, JPEG_QUALITY,
                                                 context)}
