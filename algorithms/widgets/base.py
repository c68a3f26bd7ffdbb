"""What this plugin's widget wrappers share: they serve the algorithm dialog
and the batch panel, and step aside in the model designer."""

from processing.gui.wrappers import DIALOG_MODELER, WidgetWrapper, dialogTypes
from qgis.gui import QgsGui


def dialog_type(dialog):
    """Which Processing dialog ``dialog`` is, as Processing itself tells."""
    return dialogTypes.get(type(dialog).__name__)


class PluginWrapper(WidgetWrapper):
    """A Processing widget wrapper that hands the model designer QGIS's own
    widget.

    In a model a value may come from a model input, another algorithm's
    output or an expression, which QGIS's modeler widget offers and a plain
    value widget would not; and a model input's value is not known while the
    model is edited, so there is nothing for the dialog to show ahead of a
    run. Processing creates wrappers by calling the class named in the
    parameter's metadata, so ``__new__`` returns QGIS's widget there
    instead of an instance of this class.
    """

    def __new__(cls, param, dialog, *args, **kwargs):
        if dialog_type(dialog) == DIALOG_MODELER:
            own = QgsGui.processingGuiRegistry().createModelerParameterWidget(
                dialog.model, dialog.childId, param, dialog.context)
            if own is not None:
                own.setDialog(dialog)
                return own
        return super().__new__(cls)

    def createLabel(self):  # noqa: N802 (Processing API)
        # Processing's label, wrapped: a label wider than the dialog would
        # push the fields out of view behind a horizontal scroll bar.
        label = super().createLabel()
        if label is not None:
            label.setWordWrap(True)
        return label
