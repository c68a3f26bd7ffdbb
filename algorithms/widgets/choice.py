"""A choice among an enum parameter's options, and nothing else.

QGIS's own widget for an optional enum parameter adds a "[Not selected]"
entry, which for these parameters would only mean the default again (the
first option): a second name for one choice. This one lists the options
alone, the default chosen, in the dialog and in each batch row.
"""

from qgis.PyQt.QtWidgets import QComboBox

from .base import PluginWrapper


class ChoiceWrapper(PluginWrapper):
    """An enum parameter of static strings (COMBINATION, METHOD ...)."""

    def createWidget(self, **options):  # noqa: N802 (Processing API)
        definition = self.parameterDefinition()
        self.choices = list(definition.options())
        self.combo = QComboBox()
        self.combo.addItems(self.choices)
        self.setValue(definition.defaultValue())
        self.combo.currentIndexChanged.connect(
            lambda index: self.widgetValueHasChanged.emit(self))
        return self.combo

    def setValue(self, value):  # noqa: N802 (Processing API)
        """An option's text, or its index (what older scripts pass); the
        default for anything else."""
        if isinstance(value, int) and 0 <= value < len(self.choices):
            value = self.choices[value]
        if value not in self.choices:
            value = self.parameterDefinition().defaultValue()
        self.combo.setCurrentText(str(value))

    def value(self):
        return self.combo.currentText()
