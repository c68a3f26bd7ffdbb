"""The UTM zone field: a whole number 0-60 whose label says what 0 means.

QGIS's own number widget shows its label on one line, and a label that
explains 0 is wider than the dialog at its default size; this one wraps
(see PluginWrapper.createLabel).
"""

from qgis.gui import QgsSpinBox

from .base import PluginWrapper


class ZoneWrapper(PluginWrapper):
    """UTM_ZONE: 0 for the zone with most granules, or 1-60."""

    def createWidget(self, **options):  # noqa: N802 (Processing API)
        definition = self.parameterDefinition()
        self.spin = QgsSpinBox()
        self.spin.setRange(int(definition.minimum()),
                           int(definition.maximum()))
        self.spin.setClearValue(int(definition.defaultValue()))
        self.spin.setShowClearButton(True)
        self.spin.valueChanged.connect(
            lambda value: self.widgetValueHasChanged.emit(self))
        return self.spin

    def setValue(self, value):  # noqa: N802 (Processing API)
        try:
            self.spin.setValue(int(value))
        except (TypeError, ValueError):
            self.spin.clear()       # back to the default

    def value(self):
        return self.spin.value()
