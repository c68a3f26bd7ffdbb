"""How the result looks when Processing loads it into the map."""

from qgis.core import (Qgis, QgsContrastEnhancement,
                       QgsMultiBandColorRenderer,
                       QgsProcessingLayerPostProcessorInterface,
                       QgsRasterMinMaxOrigin)


class EqualizedStyle(QgsProcessingLayerPostProcessorInterface):
    """Shows the equalized bands 1/2/3 as red/green/blue as they are.

    The pixel values are already stretched, so any contrast enhancement
    would distort them: each band's is "no enhancement" over the full 0-255
    range, which the Symbology page shows as its minimum and maximum (not
    0 and 0), set by the user, so that QGIS does not compute others.
    No-data comes from the file's mask, which QGIS shows as transparent.
    """

    # Processing keeps only a C++ pointer to a post-processor, so Python
    # must hold a reference until the layer is loaded.
    _alive = []

    @classmethod
    def create(cls):
        style = cls()
        cls._alive.append(style)
        return style

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        renderer = QgsMultiBandColorRenderer(layer.dataProvider(), 1, 2, 3)
        renderer.setRedContrastEnhancement(full_range())
        renderer.setGreenContrastEnhancement(full_range())
        renderer.setBlueContrastEnhancement(full_range())
        origin = renderer.minMaxOrigin()
        origin.setLimits(QgsRasterMinMaxOrigin.Limits.None_)
        renderer.setMinMaxOrigin(origin)
        if layer.bandCount() >= 4:    # the mask, where exposed as alpha
            renderer.setAlphaBand(4)
        layer.setRenderer(renderer)
        layer.triggerRepaint()
        if self in EqualizedStyle._alive:
            EqualizedStyle._alive.remove(self)


def full_range():
    """A band's contrast enhancement: none, over 0-255."""
    enhancement = QgsContrastEnhancement(Qgis.DataType.Byte)
    enhancement.setMinimumValue(0)
    enhancement.setMaximumValue(255)
    enhancement.setContrastEnhancementAlgorithm(
        QgsContrastEnhancement.ContrastEnhancementAlgorithm.NoEnhancement)
    return enhancement
