"""Sentinel-2 Equalizer: a QGIS Processing plugin.

QGIS calls classFactory(); nothing else runs at import time, so the core can
be imported and tested without QGIS.
"""


def classFactory(iface):  # noqa: N802 (name fixed by QGIS)
    from .plugin import Sentinel2EqualizerPlugin
    return Sentinel2EqualizerPlugin(iface)
