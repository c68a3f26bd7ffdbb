"""QGIS wiring: registers the Processing provider, nothing more.

qgis_process calls initProcessing() and never initGui(), so the provider is
registered there; the desktop calls both.
"""

import sys

from qgis.core import QgsApplication

from .algorithms.provider import EqualizerProvider


class Sentinel2EqualizerPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 (name fixed by QGIS)
        if self.provider is None:
            self.provider = EqualizerProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (name fixed by QGIS)
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        # A cancelled run may still be closing a file in the background;
        # QGIS shuts GDAL down once its plugins are unloaded.
        native = sys.modules.get(__package__ + ".core.gdal.native")
        if native is not None:
            native.wait_for_detached()
