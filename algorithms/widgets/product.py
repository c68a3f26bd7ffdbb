"""The product field: a file button for the .zip or the MTD XML, and a
folder button for the .SAFE folder.

A file dialog picks either files or folders, never both, and a Sentinel-2
product is delivered as either. QGIS's own raster source dialog answers the
same problem with a File / Directory switch; here a second button beside the
file button opens a folder dialog. The path can still be typed or pasted,
and so can a URL (https://, s3://) or a STAC item's, taken as typed.
"""

import os

from qgis.core import QgsApplication, QgsSettings
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QFileDialog, QHBoxLayout, QToolButton, QWidget

from .base import PluginWrapper

#: Where Processing remembers the folder of the last input picked.
LAST_INPUT_PATH = "/Processing/LastInputPath"


class ProductField(QWidget):
    """The path field with its file button, and a folder button."""

    def __init__(self, file_filter, texts):
        super().__init__()
        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        line.setSpacing(2)
        self.files = QgsFileWidget()
        self.files.setStorageMode(QgsFileWidget.StorageMode.GetFile)
        self.files.setFilter(file_filter)
        self.files.setDialogTitle(texts["file title"])
        self.files.lineEdit().setPlaceholderText(texts["placeholder"])
        self.files.lineEdit().setShowClearButton(True)
        line.addWidget(self.files, 1)
        self.folder_button = QToolButton()
        self.folder_button.setIcon(
            QgsApplication.getThemeIcon("/mIconFolderOpen.svg"))
        self.folder_button.setToolTip(texts["folder tip"])
        self.folder_button.setAccessibleName(texts["folder tip"])
        line.addWidget(self.folder_button)

    def setText(self, text):  # noqa: N802 (called by Processing's panel)
        self.setAccessibleName(text)


class ProductWrapper(PluginWrapper):
    """INPUT: a product's .zip, MTD XML or .SAFE folder."""

    def createWidget(self, **options):  # noqa: N802 (Processing API)
        texts = {
            "placeholder": self.tr(".zip, MTD XML, .SAFE folder, or a "
                                   "URL or STAC item"),
            "file title": self.tr("Choose a Sentinel-2 product's .zip or "
                                  "MTD_MSIL1C.xml / MTD_MSIL2A.xml"),
            "folder tip": self.tr("Choose a Sentinel-2 .SAFE folder"),
        }
        field = ProductField(self.parameterDefinition().fileFilter(), texts)
        field.files.setDefaultRoot(self.start_folder())
        field.files.fileChanged.connect(self.changed)
        field.folder_button.clicked.connect(self.choose_folder)
        self.field = field
        return field

    def setValue(self, value):  # noqa: N802 (Processing API)
        self.field.files.setFilePath("" if value is None else str(value))

    def value(self):
        path = self.field.files.filePath().strip()
        return path or None

    def changed(self, path):
        if path and os.path.exists(path):
            QgsSettings().setValue(LAST_INPUT_PATH,
                                   os.path.dirname(path.rstrip("/\\")))
        self.widgetValueHasChanged.emit(self)

    def start_folder(self):
        """The folder the file and folder dialogs open in."""
        current = self.field.files.filePath().strip() \
            if hasattr(self, "field") else ""
        if current and os.path.isdir(os.path.dirname(current.rstrip("/\\"))):
            return os.path.dirname(current.rstrip("/\\"))
        return str(QgsSettings().value(LAST_INPUT_PATH, "") or "")

    def choose_folder(self):
        # open(), not exec(): the dialog is window-modal and returns at once,
        # so the rest of QGIS keeps drawing while it is up.
        dialog = QFileDialog(self.field, self.tr(
            "Choose a Sentinel-2 .SAFE folder"), self.start_folder())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.setValue)
        self.folder_dialog = dialog
        dialog.open()
