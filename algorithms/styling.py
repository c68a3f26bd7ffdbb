"""How the result looks when Processing loads it into the map."""

from qgis.core import (QgsMultiBandColorRenderer,
                       QgsProcessingLayerPostProcessorInterface)


class EqualizedStyle(QgsProcessingLayerPostProcessorInterface):
    """Shows the equalized bands 1/2/3 as red/green/blue as they are.

    The pixel values are already stretched, so any contrast enhancement
    would distort them. No-data comes from the file's mask, which QGIS shows
    as transparent.
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
        if layer.bandCount() >= 4:    # the mask, where exposed as alpha
            renderer.setAlphaBand(4)
        layer.setRenderer(renderer)
        layer.triggerRepaint()
        if self in EqualizedStyle._alive:
            EqualizedStyle._alive.remove(self)
