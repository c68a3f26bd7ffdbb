"""Pure Python core of Sentinel-2 Equalizer: no QGIS and no Qt imports here.

Modules that need numpy or rasterio import them themselves, so that
``core.bands`` stays importable on a system that lacks them.
"""
