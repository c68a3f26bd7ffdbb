"""What a user sees in s2eq:equalize's dialogs, measured in a real QGIS.

Widgets need a GUI-enabled QgsApplication, and the test session's shared
QGIS is started without one, so test_dialog.py runs this script in a
process of its own (headless: QT_QPA_PLATFORM=offscreen) and reads back the
JSON it writes:

    python3 tests/dialog_probe.py PRODUCT.SAFE REPORT.json [SCREENSHOT.png]

It opens the algorithm dialog at its default size in a fresh profile, the
batch panel and the model designer's child dialog, works them as a user
would (choosing combinations, typing and browsing for the product, pressing
Run with no product) and records what each shows.
"""

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLOURS = ("RED", "GREEN", "BLUE")


def start_qgis(folder=None):
    """QGIS with the plugin, in a fresh profile made in ``folder`` (None:
    the temporary folder)."""
    sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"),
                    "/usr/share/qgis/python/plugins"]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QGIS_CUSTOM_CONFIG_PATH"] = tempfile.mkdtemp(
        prefix="s2eq-dialog-profile-", dir=folder)
    from qgis.core import QgsApplication
    app = QgsApplication([], True)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    import sentinel2_equalizer
    plugin = sentinel2_equalizer.classFactory(None)
    plugin.initProcessing()
    return app, plugin


def settle(app):
    for _ in range(5):
        app.processEvents()


def colours(wrappers):
    """(enabled, band shown) for RED, GREEN and BLUE."""
    return [[wrappers[name].chooser.isEnabled(),
             wrappers[name].chooser.currentText()] for name in COLOURS]


def inside(widget, viewport):
    """Whether all of ``widget`` lies in the visible part of ``viewport``."""
    from qgis.PyQt.QtCore import QRect
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    return viewport.rect().contains(QRect(top_left, widget.size()))


def choose_folder(app, wrapper, folder):
    """Press the folder button and pick ``folder`` in the dialog it opens."""
    wrapper.field.folder_button.click()
    settle(app)
    from qgis.PyQt.QtWidgets import QLineEdit
    dialog = wrapper.folder_dialog
    shown = dialog.isVisible()
    dialog.findChild(QLineEdit, "fileNameEdit").setText(folder)
    dialog.accept()
    settle(app)
    return shown


def standard_dialog(app, product, screenshot=None):
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    from qgis.core import QgsApplication
    from qgis.PyQt.QtWidgets import QGroupBox, QLabel, QTextBrowser
    alg = QgsApplication.processingRegistry().createAlgorithmById(
        "s2eq:equalize")
    dialog = AlgorithmDialog(alg)
    dialog.show()
    settle(app)
    panel = dialog.mainWidget()
    wrappers = panel.wrappers
    facts = {"size": [dialog.width(), dialog.height()],
             "help_url": alg.helpUrl()}

    output = wrappers["OUTPUT"].wrappedWidget()
    advanced = panel.findChild(QGroupBox, "grpAdvanced")
    area = advanced.parentWidget().parentWidget().parentWidget()
    facts["output_in_view"] = inside(output, area.viewport())
    facts["horizontal_scroll_bar"] = area.horizontalScrollBar().isVisible()
    if screenshot:
        dialog.grab().save(screenshot)

    facts["labels"] = [label.text() for label in panel.findChildren(QLabel)]
    facts["wrapped_labels"] = [label.text() for label in
                               panel.findChildren(QLabel)
                               if label.wordWrap()]
    helps = [b.toPlainText() for b in dialog.findChildren(QTextBrowser)]
    facts["help_panel"] = max(helps, key=len)

    sample = wrappers["SAMPLE_PERCENT"].wrappedWidget()
    facts["sample"] = {"decimals": sample.decimals(), "text": sample.text()}
    zone = wrappers["UTM_ZONE"]
    facts["zone"] = {"minimum": zone.spin.minimum(),
                     "maximum": zone.spin.maximum(),
                     "value": zone.value()}

    product_wrapper = wrappers["INPUT"]
    files = product_wrapper.field.files
    facts["input"] = {
        "placeholder": files.lineEdit().placeholderText(),
        "filter": files.filter(),
        "folder_tip": product_wrapper.field.folder_button.toolTip(),
        "empty": product_wrapper.parameterValue(),
    }
    dialog.runAlgorithm()             # Run with no product
    settle(app)
    facts["run_without_product"] = [
        item.text() for item in dialog.messageBar().items()]
    files.lineEdit().setText(str(product))
    facts["input"]["typed"] = product_wrapper.parameterValue()

    combination = wrappers["COMBINATION"].combo
    facts["colours_at_start"] = colours(wrappers)
    rows = facts["colours_by_combination"] = {}
    passed = facts["parameters_by_combination"] = {}
    for index in range(combination.count()):
        combination.setCurrentIndex(index)
        settle(app)
        name = combination.currentText()
        rows[name] = colours(wrappers)
        parameters = dialog.createProcessingParameters()
        passed[name] = [parameters.get(n) for n in COLOURS]
        facts.setdefault("tooltips", {})[name] = \
            wrappers["RED"].chooser.toolTip()

    combination.setCurrentText("Custom bands")
    wrappers["RED"].chooser.setCurrentText("B08")
    combination.setCurrentText("SWIR 12-8A-4")
    combination.setCurrentText("Custom bands")
    settle(app)
    facts["own_choice_kept"] = colours(wrappers)

    files.lineEdit().setText("")
    facts["input"]["folder_dialog_shown"] = choose_folder(
        app, product_wrapper, str(product))
    facts["input"]["browsed"] = product_wrapper.parameterValue()
    dialog.close()
    return facts


def batch_dialog(app):
    from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog
    from qgis.core import QgsApplication
    alg = QgsApplication.processingRegistry().createAlgorithmById(
        "s2eq:equalize")
    dialog = BatchAlgorithmDialog(alg)
    dialog.show()
    settle(app)
    panel = dialog.mainWidget()
    if panel.batchRowCount() < 2:
        panel.addRow()
    column = panel.parameter_to_column
    rows = [{name: row[column[name]] for name in column}
            for row in panel.wrappers]
    rows[0]["COMBINATION"].combo.setCurrentText(
        "False colour infrared 8-4-3")
    settle(app)
    facts = {
        "rows": len(rows),
        "colours_per_row": [colours(row) for row in rows],
        "parameters_row_0": [panel.valueForParameter(0, n) for n in COLOURS],
        "input_widgets": [type(row["INPUT"].widget).__name__ for row in rows],
    }
    dialog.close()
    return facts


def model_designer(app):
    from processing.modeler.ModelerParametersDialog import \
        ModelerParametersDialog
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm
    alg = QgsApplication.processingRegistry().createAlgorithmById(
        "s2eq:equalize")
    model = QgsProcessingModelAlgorithm("probe", "probe")
    dialog = ModelerParametersDialog(alg, model)
    dialog.show()
    settle(app)
    wrappers = dialog.widget.widget.wrappers
    child = dialog.createAlgorithm()
    facts = {
        "widgets": {name: type(w).__name__ for name, w in wrappers.items()},
        "sources": sorted(child.parameterSources()),
    }
    dialog.close()
    return facts


#: The algorithms whose dialogs are measured with everything shown.
ALGORITHMS = ("s2eq:equalize", "s2eq:curve", "s2eq:mosaic")


def scroll_area(widget):
    """The QScrollArea ``widget`` is shown in."""
    from qgis.PyQt.QtWidgets import QScrollArea
    while not isinstance(widget, QScrollArea):
        widget = widget.parentWidget()
    return widget


def advanced_open(app, algorithm):
    """The dialog of ``algorithm`` at its default size with Advanced
    Parameters expanded: its size, whether a horizontal scroll bar shows,
    and each visible widget whose right edge lies beyond the view (class,
    text, right edge, view width)."""
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    from qgis.core import QgsApplication
    from qgis.gui import QgsCollapsibleGroupBox
    from qgis.PyQt import sip
    from qgis.PyQt.QtWidgets import QGroupBox, QWidget
    dialog = AlgorithmDialog(
        QgsApplication.processingRegistry().createAlgorithmById(algorithm))
    dialog.show()
    settle(app)
    # A QgsCollapsibleGroupBox that Python sees as the QGroupBox it is.
    advanced = sip.cast(dialog.mainWidget().findChild(
        QGroupBox, "grpAdvanced"), QgsCollapsibleGroupBox)
    advanced.setCollapsed(False)
    settle(app)
    area = scroll_area(advanced)
    viewport = area.viewport()
    outside = []
    for widget in area.widget().findChildren(QWidget):
        if not widget.isVisible() or not viewport.isAncestorOf(widget):
            continue
        right = widget.mapTo(viewport, widget.rect().topRight()).x()
        if right >= viewport.width():
            text = getattr(widget, "text", None)
            outside.append([type(widget).__name__,
                            text() if callable(text) else "", right,
                            viewport.width()])
    facts = {"size": [dialog.width(), dialog.height()],
             "advanced_expanded": not advanced.isCollapsed(),
             "horizontal_scroll_bar": area.horizontalScrollBar().isVisible(),
             "outside": outside}
    return dialog, facts


def advanced_dialogs(app, screenshot=None):
    """advanced_open's facts for each of ALGORITHMS; ``screenshot``: where
    to save the picture of s2eq:equalize's."""
    facts = {}
    for algorithm in ALGORITHMS:
        dialog, facts[algorithm] = advanced_open(app, algorithm)
        if screenshot and algorithm == ALGORITHMS[0]:
            dialog.grab().save(screenshot)
        dialog.close()
    return facts


def batch_columns(app):
    """For each of ALGORITHMS, its batch panel's column headers, and those
    shown before and after the advanced toggle (the gear button) is
    pressed."""
    from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog
    from qgis.core import QgsApplication
    facts = {}
    for algorithm in ALGORITHMS:
        dialog = BatchAlgorithmDialog(QgsApplication.processingRegistry()
                                      .createAlgorithmById(algorithm))
        dialog.show()
        settle(app)
        panel = dialog.mainWidget()
        table = panel.tblParameters
        names = panel.column_to_parameter_definition

        def shown():
            return [names[c] for c in range(table.columnCount())
                    if not table.isColumnHidden(c)]
        before = shown()
        panel.btnAdvanced.setChecked(True)
        settle(app)
        facts[algorithm] = {
            "headers": {names[c]: table.horizontalHeaderItem(c).text()
                        for c in range(table.columnCount())},
            "shown": before, "shown_advanced": shown(),
            "toggle": [panel.btnAdvanced.isVisible(),
                       panel.btnAdvanced.toolTip()]}
        dialog.close()
    return facts


#: What products_field types into the list of products: a signed zip's
#: URL, a folder in a bucket, a STAC item's URL.
TYPED_URLS = [
    "https://reader:pa55@example.org/S2B_MSIL1C_20230614T105629_N0509_"
    "R094_T31UFQ_20230614T130000.zip?se=2026&sig=SECRET",
    "s3://bucket/l2a/S2A_MSIL2A_20230704T105631_N0509_R094_T31UGQ_"
    "20230704T150000.SAFE",
    "https://example.org/v1/collections/sentinel-2-c1-l2a/items/"
    "S2B_T31UFQ_20230614T105629_L2A"]


def products_field(app, product):
    """s2eq:mosaic's products field given ``product`` by its metadata file,
    a zip and a .SAFE folder: the line, the list it opens (labels and
    tooltips), its file filter, the order after the last is dragged
    first, what "Add URLs…" adds (TYPED_URLS), and the widget of a batch
    row."""
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog
    from qgis.core import QgsApplication
    registry = QgsApplication.processingRegistry()
    folder = os.path.dirname(str(product))
    paths = [os.path.join(str(product), "MTD_MSIL1C.xml"),
             os.path.join(folder, "S2A_MSIL2A_20230704T105631_N0509_R094_"
                                  "T31UGQ_20230704T150000.zip"),
             os.path.join(folder, "S2B_MSIL1C_20230614T105629_N0509_R094_"
                                  "T32ULV_20230614T130000.SAFE")]
    dialog = AlgorithmDialog(registry.createAlgorithmById("s2eq:mosaic"))
    dialog.show()
    settle(app)
    wrapper = dialog.mainWidget().wrappers["INPUTS"]
    wrapper.setValue(paths)
    facts = {"summary": wrapper.field.summary.text(),
             "passed": dialog.createProcessingParameters()["INPUTS"],
             "filter": wrapper.texts["filter"]}
    wrapper.field.button.click()
    settle(app)
    shown = wrapper.list_dialog
    facts["list_shown"] = shown.isVisible()
    facts["labels"] = [shown.list.item(r).text()
                       for r in range(shown.list.count())]
    facts["tooltips"] = [shown.list.item(r).toolTip()
                         for r in range(shown.list.count())]
    shown.list.insertItem(0, shown.list.takeItem(shown.list.count() - 1))
    shown.accept()
    settle(app)
    facts["reordered"] = dialog.createProcessingParameters()["INPUTS"]
    # locations typed or pasted through "Add URLs…", one a line
    wrapper.field.button.click()
    settle(app)
    shown = wrapper.list_dialog
    facts["urls_button"] = shown.add_urls.text()
    shown.add_typed("\n".join(TYPED_URLS) + "\n   \n")
    facts["typed_labels"] = [shown.list.item(r).text() for r in range(
        shown.list.count() - len(TYPED_URLS), shown.list.count())]
    facts["typed_tooltips"] = [shown.list.item(r).toolTip() for r in range(
        shown.list.count() - len(TYPED_URLS), shown.list.count())]
    shown.accept()
    settle(app)
    facts["typed_passed"] = dialog.createProcessingParameters()["INPUTS"]
    facts["typed_summary"] = wrapper.field.summary.text()
    facts["typed_summary_tip"] = wrapper.field.summary.toolTip()
    dialog.close()
    batch = BatchAlgorithmDialog(registry.createAlgorithmById("s2eq:mosaic"))
    batch.show()
    settle(app)
    panel = batch.mainWidget()
    facts["batch_widget"] = type(
        panel.wrappers[0][panel.parameter_to_column["INPUTS"]].widget
    ).__name__
    batch.close()
    return facts


def main(product, report, screenshot=None):
    # The profile goes beside the report, so it goes with it.
    app, plugin = start_qgis(os.path.dirname(os.path.abspath(report)))
    facts = {"standard": standard_dialog(app, product, screenshot),
             "batch": batch_dialog(app),
             "modeler": model_designer(app),
             "advanced": advanced_dialogs(app),
             "batch_columns": batch_columns(app),
             "products": products_field(app, product)}
    with open(report, "w", encoding="utf-8") as handle:
        json.dump(facts, handle, indent=1, default=str)
    plugin.unload()
    app.exitQgis()


if __name__ == "__main__":
    main(*sys.argv[1:])
