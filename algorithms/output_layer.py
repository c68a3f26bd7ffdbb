"""The output GeoTIFF as Processing handles it: its file name, with .tif
added as Processing adds it to its own outputs, and the layer QGIS loads
from it, drawn as the equalized picture it is."""

import os

from qgis.core import QgsProcessingException

from .styling import EqualizedStyle


class OutputLayer:
    """The output file's name and the layer loaded from it."""

    def geotiff_path(self, output, context):
        """``output`` with the .tif extension added when it has none, as
        Processing does for its own file outputs; another extension is an
        error, since the file is a GeoTIFF whatever its name."""
        extension = os.path.splitext(output)[1].lower()
        if extension in (".tif", ".tiff"):
            return output
        if extension:
            raise QgsProcessingException(self.tr(
                "OUTPUT '{}' ends in '{}', but the image is a GeoTIFF. Give a "
                "file name ending in .tif.").format(output, extension))
        path = output + ".tif"
        if context.willLoadLayerOnCompletion(output):
            layers = context.layersToLoadOnCompletion()
            layers[path] = layers.pop(output)
            context.setLayersToLoadOnCompletion(layers)
        return path

    def load_as_equalized(self, context, output, name):
        """Have QGIS load ``output``, where it is to load it at all, as a
        layer called ``name``, drawn as the equalized picture it is."""
        if not context.willLoadLayerOnCompletion(output):
            return
        if self.in_bucket(output):
            # Not loaded: QGIS 3.22 crashes opening a /vsis3/ layer from
            # here. The result names the object; the Browser opens it.
            layers = context.layersToLoadOnCompletion()
            layers.pop(output, None)
            context.setLayersToLoadOnCompletion(layers)
            return
        details = context.layerToLoadOnCompletionDetails(output)
        details.name = name
        details.setPostProcessor(EqualizedStyle.create())

    @staticmethod
    def in_bucket(output):
        """Whether ``output`` is an object in a bucket (``s3://...``),
        uploaded once written."""
        return output[:5].lower() == "s3://"
