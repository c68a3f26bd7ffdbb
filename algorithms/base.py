"""What every s2eq algorithm shares, put together in S2EqAlgorithm: its
place in the Toolbox, its icon and help page, and the pieces each kept in
a module of its own:

  core_loader.py         the core loaded on first use; canExecute where
                         numpy or rasterio is missing
  shared_parameters.py   the parameters the algorithms share, declared
  reading_parameters.py  their checks and values as the core takes them
  messages.py            core errors and the method, as a run reports them
  output_layer.py        the output's .tif name and the layer QGIS loads

Each algorithm adds its own inputs and outputs and calls the core."""

from qgis.core import QgsProcessingAlgorithm
from qgis.PyQt.QtCore import QCoreApplication, QUrl

from .about import HELP_PAGE, ICON_PATH, icon
from .core_loader import CoreLoading
from .messages import Messages
from .output_layer import OutputLayer
from .reading_parameters import ReadingParameters
from .shared_parameters import SharedParameters


class S2EqAlgorithm(CoreLoading, SharedParameters, ReadingParameters,
                    Messages, OutputLayer, QgsProcessingAlgorithm):
    """Base of the s2eq algorithms; not registered itself."""

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

