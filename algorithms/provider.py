"""The Processing provider ``s2eq``."""

from qgis.core import QgsProcessingProvider

from .about import ICON_PATH, icon, plugin_version
from .curve import CurveAlgorithm
from .equalize import EqualizeAlgorithm
from .mosaic import MosaicAlgorithm


class EqualizerProvider(QgsProcessingProvider):
    def id(self):
        return "s2eq"

    def name(self):
        return self.tr("Sentinel-2 Equalizer")

    def longName(self):  # noqa: N802 (QGIS API)
        return self.tr("Sentinel-2 Equalizer {}").format(plugin_version())

    def icon(self):
        return icon()

    def svgIconPath(self):  # noqa: N802 (QGIS API)
        return ICON_PATH

    def versionInfo(self):  # noqa: N802 (QGIS API)
        return plugin_version()

    def loadAlgorithms(self):  # noqa: N802 (QGIS API)
        self.addAlgorithm(EqualizeAlgorithm())
        self.addAlgorithm(CurveAlgorithm())
        self.addAlgorithm(MosaicAlgorithm())

    def supportedOutputRasterLayerExtensions(self):  # noqa: N802 (QGIS API)
        return ["tif"]

    def defaultRasterFileExtension(self):  # noqa: N802 (QGIS API)
        return "tif"
