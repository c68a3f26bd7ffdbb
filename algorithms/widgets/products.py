"""The products field of s2eq:curve and s2eq:mosaic: a list of products,
each shown by what it is, picked with a filter for products.

QGIS's own widget for a list of files offers "All files (*.*)" and shows
each entry as its full path, cut short where it is long: a product given by
its metadata file ends in .../MTD_MSIL1C.xml like every other, and the
entries cannot be told apart. Here each entry shows the product's tile,
date and level and its .SAFE folder's or zip's name (the full path is its
tooltip); "Add products..." picks .zip and MTD XML files with a filter for
them, "Add .SAFE folder..." a folder, "Add URLs..." takes typed or pasted
locations, one a line (an https:// or s3:// product, a STAC item's or an
ItemCollection's URL or file); the entries are dragged into order
(the mosaic shows the first product listed where products overlap).
"""

import os
import re

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (QAbstractItemView, QDialog,
                                 QDialogButtonBox, QFileDialog, QHBoxLayout,
                                 QInputDialog, QLineEdit, QListWidget,
                                 QListWidgetItem, QPushButton, QToolButton,
                                 QVBoxLayout, QWidget)

from ...core.errors import without_secrets
from .base import PluginWrapper
from .product import LAST_INPUT_PATH

#: A product's root metadata file, which names the folder it is in.
ROOT_XML = re.compile(
    r"^(MTD_MSIL1C|MTD_MSIL2A|S2[A-D]_OPER_MTD_SAFL1C_.*)\.xml$", re.I)
#: A Sentinel-2 product's name: spacecraft, level, sensing date, tile.
PRODUCT_NAME = re.compile(
    r"^S2[A-D]_MSI(?P<level>L1C|L2A)_(?P<date>\d{8})T\d{6}_N\d{4}_R\d{3}_"
    r"T(?P<tile>\d{2}[A-Z]{3})_", re.I)


def product_label(path):
    """What the list shows of the product at ``path``: its .SAFE folder's
    or zip's name (not the metadata file inside), led by tile, date and
    level where that is a Sentinel-2 product's name; a URL without its
    user part and query string."""
    path = without_secrets(path).rstrip("/\\")
    name = os.path.basename(path)
    if ROOT_XML.match(name):
        name = os.path.basename(os.path.dirname(path)) or name
    found = PRODUCT_NAME.match(name)
    if not found:
        return name
    date = found.group("date")
    return "T{} {}-{}-{} {}   {}".format(
        found.group("tile").upper(), date[:4], date[4:6], date[6:],
        found.group("level").upper(), name)


class ProductsDialog(QDialog):
    """The list of products, to add to, take from and put in order."""

    def __init__(self, paths, texts, parent=None):
        super().__init__(parent)
        self.texts = texts
        self.setWindowTitle(texts["title"])
        self.list = QListWidget()
        self.list.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setDragDropMode(
            QAbstractItemView.DragDropMode.InternalMove)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        for path in paths:
            self.add(path)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok |
            QDialogButtonBox.StandardButton.Cancel)
        self.add_files = buttons.addButton(
            texts["add files"], QDialogButtonBox.ButtonRole.ActionRole)
        self.add_folder = buttons.addButton(
            texts["add folder"], QDialogButtonBox.ButtonRole.ActionRole)
        self.add_urls = buttons.addButton(
            texts["add urls"], QDialogButtonBox.ButtonRole.ActionRole)
        self.remove = buttons.addButton(
            texts["remove"], QDialogButtonBox.ButtonRole.ActionRole)
        self.add_files.clicked.connect(self.choose_files)
        self.add_folder.clicked.connect(self.choose_folder)
        self.add_urls.clicked.connect(self.type_urls)
        self.remove.clicked.connect(self.remove_selected)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(640, 320)

    def add(self, path):
        item = QListWidgetItem(product_label(path))
        item.setData(Qt.ItemDataRole.UserRole, path)
        item.setToolTip(without_secrets(path))
        self.list.addItem(item)

    def paths(self):
        return [self.list.item(row).data(Qt.ItemDataRole.UserRole)
                for row in range(self.list.count())]

    def remove_selected(self):
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))

    def choose_files(self):
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.texts["files title"], start_folder(),
            self.texts["filter"])
        for path in paths:
            self.add(path)
        remember(paths)

    def add_typed(self, text):
        """Add each non-blank line of ``text`` as a product, as typed (a
        URL keeps its signature: only what is shown loses it)."""
        for line in text.splitlines():
            if line.strip():
                self.add(line.strip())

    def type_urls(self):
        text, chosen = QInputDialog.getMultiLineText(
            self, self.texts["urls title"], self.texts["urls label"])
        if chosen:
            self.add_typed(text)

    def choose_folder(self):
        path = QFileDialog.getExistingDirectory(
            self, self.texts["folder title"], start_folder())
        if path:
            self.add(path)
            remember([path])


def start_folder():
    """The folder the file dialogs open in: Processing's last input's."""
    return str(QgsSettings().value(LAST_INPUT_PATH, "") or "")


def remember(paths):
    if paths:
        QgsSettings().setValue(LAST_INPUT_PATH, os.path.dirname(
            str(paths[0]).rstrip("/\\")))


class ProductsField(QWidget):
    """A line naming the products, and a button opening their list."""

    def __init__(self, texts):
        super().__init__()
        self.texts = texts
        self.paths = []
        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        line.setSpacing(2)
        self.summary = QLineEdit()
        self.summary.setReadOnly(True)
        self.summary.setPlaceholderText(texts["none"])
        line.addWidget(self.summary, 1)
        self.button = QToolButton()
        self.button.setText("…")
        self.button.setToolTip(texts["title"])
        line.addWidget(self.button)

    def setText(self, text):  # noqa: N802 (called by Processing's panel)
        self.setAccessibleName(text)

    def show_paths(self, paths):
        self.paths = list(paths)
        labels = [product_label(p).split("   ")[0] for p in self.paths]
        count = self.texts["one" if len(labels) == 1 else "count"]
        self.summary.setText(count.format(len(labels), "; ".join(labels))
                             if labels else "")
        self.summary.setToolTip("\n".join(without_secrets(p)
                                          for p in self.paths))


class ProductsWrapper(PluginWrapper):
    """INPUTS: the products of s2eq:curve or s2eq:mosaic, in order."""

    def createWidget(self, **options):  # noqa: N802 (Processing API)
        self.texts = {
            "title": self.tr("Sentinel-2 products"),
            "none": self.tr("No product: press … to add them"),
            "one": self.tr("{} product: {}"),
            "count": self.tr("{} products: {}"),
            "add files": self.tr("Add products…"),
            "add folder": self.tr("Add .SAFE folder…"),
            "add urls": self.tr("Add URLs…"),
            "remove": self.tr("Remove"),
            "urls title": self.tr("Add products by URL"),
            "urls label": self.tr(
                "One a line: a .SAFE folder or .zip at an https:// or s3:// "
                "URL, a STAC item's URL (from QGIS's STAC browser: "
                "Details…, its self link) or an ItemCollection's URL or "
                "file."),
            "files title": self.tr("Choose Sentinel-2 products: their .zip "
                                   "or MTD_MSIL1C.xml / MTD_MSIL2A.xml"),
            "folder title": self.tr("Choose a Sentinel-2 .SAFE folder"),
            "filter": self.tr(
                "Sentinel-2 products (*.zip MTD_MSIL1C.xml MTD_MSIL2A.xml "
                "*MTD_SAFL1C*.xml);;Zip files (*.zip);;Metadata files "
                "(*.xml);;All files (*)"),
        }
        self.field = ProductsField(self.texts)
        self.field.button.clicked.connect(self.open_list)
        self.list_dialog = None
        return self.field

    def setValue(self, value):  # noqa: N802 (Processing API)
        """A list of paths, or one path (or several joined by ';')."""
        if value is None:
            value = []
        elif isinstance(value, str):
            value = [p for p in value.split(";") if p.strip()]
        self.field.show_paths([str(p) for p in value])
        self.widgetValueHasChanged.emit(self)

    def value(self):
        return list(self.field.paths)

    def open_list(self):
        # open(), not exec(): window-modal, and the rest of QGIS draws on.
        dialog = ProductsDialog(self.field.paths, self.texts, self.field)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.setValue(dialog.paths()))
        self.list_dialog = dialog
        dialog.open()
