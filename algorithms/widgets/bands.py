"""The red, green and blue band choosers, which follow the band combination.

While a named combination is chosen, each chooser is greyed out and shows
the combination's band for its colour: the dialog shows the bands the run
uses, and the parameters it passes (and logs) say the same. 'Custom bands'
enables the choosers again with the user's own choice. In the algorithm
dialog the three colours share one line, which keeps the output field in
view at the dialog's default size.
"""

from processing.gui.wrappers import DIALOG_BATCH, DIALOG_STANDARD
from qgis.PyQt.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from ...core.product.bands import BAND_NAMES, COMBINATIONS
from .base import PluginWrapper


def combination_bands(choice):
    """The (red, green, blue) bands of the named combination ``choice``, or
    None for 'Custom bands', no choice or anything else."""
    for combination in COMBINATIONS:
        if choice in (combination.label, combination.key):
            return combination.bands
    return None


def band_name(value):
    """``value`` as a band name: a name, or an index into BAND_NAMES (what
    older scripts pass); None for anything else."""
    if isinstance(value, str) and value in BAND_NAMES:
        return value
    if isinstance(value, int) and 0 <= value < len(BAND_NAMES):
        return BAND_NAMES[value]
    return None


class BandField(QWidget):
    """A caption and a band chooser on one line; other fields can join the
    line."""

    def __init__(self, caption, chooser):
        super().__init__()
        self.line = QHBoxLayout(self)
        self.line.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel(caption)
        self.caption.setBuddy(chooser)
        self.line.addWidget(self.caption)
        self.line.addWidget(chooser, 1)

    def setText(self, text):  # noqa: N802 (called by Processing's panel)
        # Processing hands a wrapper without a label its description here;
        # the short caption stays visible and the description is read out.
        self.setAccessibleName(text)

    def join(self, other):
        """Move ``other`` from wherever it is laid out onto this line."""
        parent = other.parentWidget()
        if parent is not None and parent.layout() is not None:
            parent.layout().removeWidget(other)
        self.line.addWidget(other, 1)


class BandWrapper(PluginWrapper):
    """RED, GREEN or BLUE. Metadata options: ``follows``, the combination
    parameter's name; ``channel``, 0-2, the colour's place in a
    combination's bands; ``caption``, the short label on the shared line;
    ``joined``, the names of the parameters that join this one's line."""

    def createWidget(self, follows=None, channel=0, caption="",  # noqa: N802
                     joined=()):
        self.follows = follows
        self.channel = int(channel)
        self.joined = tuple(joined)
        self.custom = None          # the user's own band, kept while greyed
        self.chooser = QComboBox()
        self.chooser.addItems(BAND_NAMES)
        self.chooser.currentIndexChanged.connect(self.chosen)
        if self.dialogType == DIALOG_BATCH:
            return self.chooser     # a table cell: its column has the name
        return BandField(caption or self.parameterDefinition().description(),
                         self.chooser)

    def createLabel(self):  # noqa: N802 (Processing API)
        return None                 # the field carries its caption

    def setValue(self, value):  # noqa: N802 (Processing API)
        name = band_name(value)
        if name is None:
            return
        self.custom = name
        if self.chooser.isEnabled():
            self.chooser.setCurrentText(name)

    def value(self):
        return self.chooser.currentText()

    def chosen(self, index):
        if self.chooser.isEnabled():
            self.custom = self.chooser.currentText()
        self.widgetValueHasChanged.emit(self)

    def postInitialize(self, wrappers):  # noqa: N802 (Processing API)
        by_name = {w.parameterDefinition().name(): w for w in wrappers}
        leader = by_name.get(self.follows)
        if leader is not None:
            leader.widgetValueHasChanged.connect(
                lambda wrapper: self.follow(wrapper.parameterValue()))
            self.follow(leader.parameterValue())
        if self.dialogType == DIALOG_STANDARD:
            for name in self.joined:
                other = by_name.get(name)
                if isinstance(other, BandWrapper) and \
                        isinstance(other.widget, BandField):
                    self.widget.join(other.widget)

    def follow(self, choice):
        """Grey out and show the band of the named combination ``choice``,
        or enable the user's own choice again."""
        bands = combination_bands(choice)
        if bands is None:
            self.chooser.setEnabled(True)
            self.chooser.setToolTip(self.parameterDefinition().help())
            if self.custom is not None:
                self.chooser.setCurrentText(self.custom)
            return
        self.chooser.setEnabled(False)
        self.chooser.setToolTip(self.tr(
            "Set by the band combination '{}'. Choose 'Custom bands' to pick "
            "this band yourself.").format(choice))
        self.chooser.setCurrentText(bands[self.channel])
