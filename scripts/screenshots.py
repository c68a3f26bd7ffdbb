"""make screenshots: the algorithm dialog and its result, as QGIS shows them.

Headless (Qt's offscreen platform), in a fresh QGIS profile, on a sample
product made by the test suite's own generator. Writes into the folder given
on the command line (default ``docs``):

* ``dialog.png``: the Toolbox dialog of s2eq:equalize at its default size,
  filled in as a user would: a product, a named band combination, and the
  output left as a temporary file;
* ``dialog-advanced.png``: the same with Advanced Parameters open, at its
  default width (every field fits it) and as tall as its fields;
* ``result.png``: the layer the run loads, styled by the plugin, in a map
  canvas beside the layer panel.

The run goes through the dialog's own Run button, so the layer is loaded
the way the desktop loads it. The sample product is kept in
.build/screenshots/ for the next time.
"""

import os
import pathlib
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".build", "screenshots")
SIZE = 1830            # a sixth of a real tile's width, in 10 m pixels
COMBINATION = "True colour 4-3-2"
CANVAS = (630, 560)    # map canvas size in the result picture, in pixels
PANEL_WIDTH = 450      # layer panel width, room for the layer's name


def start_qgis():
    sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"),
                    os.path.join(ROOT, "tests"),
                    "/usr/share/qgis/python/plugins"]
    plugins = os.path.join(ROOT, ".build", "plugins")
    os.makedirs(plugins, exist_ok=True)
    if not os.path.exists(os.path.join(plugins, "sentinel2_equalizer")):
        os.symlink(os.path.join("..", ".."),
                   os.path.join(plugins, "sentinel2_equalizer"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QGIS_CUSTOM_CONFIG_PATH"] = tempfile.mkdtemp(
        prefix="s2eq-screenshots-")
    from qgis.core import QgsApplication
    app = QgsApplication([], True)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    import sentinel2_equalizer
    plugin = sentinel2_equalizer.classFactory(None)
    plugin.initProcessing()
    return app, plugin


def wait_for(app, done, seconds, what):
    deadline = time.time() + seconds
    while not done():
        if time.time() > deadline:
            raise SystemExit("Timed out waiting for {}".format(what))
        app.processEvents()
        time.sleep(0.01)


def sample_product():
    """The sample product, made once into WORK/product."""
    import s2products
    folder = pathlib.Path(WORK, "product")
    made = sorted(folder.glob("*.SAFE")) if folder.is_dir() else []
    if made:
        return made[0]
    folder.mkdir(parents=True, exist_ok=True)
    return s2products.make_product(folder, size=SIZE)


def filled_dialog(app, product):
    """The dialog of s2eq:equalize, shown at its default size and filled
    in as a user would: a product and a named band combination."""
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    from qgis.core import QgsApplication
    alg = QgsApplication.processingRegistry().createAlgorithmById(
        "s2eq:equalize")
    dialog = AlgorithmDialog(alg)
    dialog.show()
    dialog.setParameters({"INPUT": str(product),
                          "COMBINATION": COMBINATION})
    for _ in range(10):
        app.processEvents()
    return dialog


def advanced_picture(app, product, png):
    """The dialog filled in as for dialog_picture, Advanced Parameters
    open, at its default width and tall enough for every field."""
    from qgis.gui import QgsCollapsibleGroupBox
    from qgis.PyQt import sip
    from qgis.PyQt.QtWidgets import QGroupBox, QLineEdit, QScrollArea
    dialog = filled_dialog(app, product)
    group = dialog.mainWidget().findChild(QGroupBox, "grpAdvanced")
    # A QgsCollapsibleGroupBox that Python sees as the QGroupBox it is.
    sip.cast(group, QgsCollapsibleGroupBox).setCollapsed(False)
    for _ in range(10):
        app.processEvents()
    area = group
    while not isinstance(area, QScrollArea):
        area = area.parentWidget()
    hidden = area.widget().sizeHint().height() - area.viewport().height()
    dialog.resize(dialog.width(), dialog.height() + max(hidden, 0))
    for field in dialog.findChildren(QLineEdit):   # none drawn as selected
        field.deselect()
    for _ in range(10):
        app.processEvents()
    dialog.grab().save(png)
    print("Dialog, advanced parameters open: {}".format(png))
    dialog.close()


def dialog_picture(app, product, png):
    """Fill in the dialog, take its picture, press Run; returns the
    dialog once the run has finished."""
    dialog = filled_dialog(app, product)
    dialog.grab().save(png)
    print("Dialog: {}".format(png))

    finished = []
    dialog.algorithmFinished.connect(
        lambda ok, results: finished.append(ok))
    dialog.runAlgorithm()
    wait_for(app, lambda: finished, 300, "the run")
    if not finished[0]:
        raise SystemExit("The run failed; see the dialog's log.")
    return dialog


def result_picture(app, png):
    """The project's layer in a map canvas beside the layer panel."""
    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.gui import QgsLayerTreeView, QgsMapCanvas
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtGui import QColor
    from qgis.PyQt.QtWidgets import QSplitter
    project = QgsProject.instance()
    layers = list(project.mapLayers().values())
    if len(layers) != 1:
        raise SystemExit("Expected the run's one layer, found {}".format(
            [layer.name() for layer in layers]))
    layer = layers[0]

    window = QSplitter(Qt.Orientation.Horizontal)
    model = QgsLayerTreeModel(project.layerTreeRoot(), window)
    tree = QgsLayerTreeView(window)
    tree.setModel(model)
    tree.expandAll()
    canvas = QgsMapCanvas(window)
    canvas.setCanvasColor(QColor("white"))
    canvas.setDestinationCrs(layer.crs())
    canvas.setLayers([layer])
    window.addWidget(tree)
    window.addWidget(canvas)
    window.setSizes([PANEL_WIDTH, CANVAS[0]])
    window.resize(PANEL_WIDTH + CANVAS[0], CANVAS[1])
    window.show()
    app.processEvents()
    canvas.setExtent(layer.extent())
    rendered = []
    canvas.mapCanvasRefreshed.connect(lambda: rendered.append(True))
    canvas.refresh()
    wait_for(app, lambda: rendered and not canvas.isDrawing(), 120,
             "the map to draw")
    tree.selectionModel().clearSelection()
    app.processEvents()
    window.grab().save(png)
    print("Result: {} (layer '{}')".format(png, layer.name()))
    window.close()


def main(folder):
    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)
    os.makedirs(WORK, exist_ok=True)
    app, plugin = start_qgis()
    product = sample_product()
    print("Sample product: {}".format(product))
    dialog = dialog_picture(app, product, os.path.join(folder, "dialog.png"))
    result_picture(app, os.path.join(folder, "result.png"))
    dialog.close()
    # Last: QGIS keeps the size of the dialog closed last for the next.
    advanced_picture(app, product, os.path.join(folder,
                                                "dialog-advanced.png"))
    plugin.unload()
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs")
