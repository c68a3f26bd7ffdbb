"""s2eq:equalize as a user meets it in QGIS: the algorithm dialog, the batch
panel, the model designer, the help, and the log.

The dialogs are built and worked in a GUI-enabled QGIS that
dialog_probe.py starts in a process of its own (the session's shared QGIS
has no GUI); it reports what they show, and these tests judge it.
"""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conftest import QGIS_PROCESS, TESTS

ALGORITHM = "s2eq:equalize"
COLOURS = ("RED", "GREEN", "BLUE")


@pytest.fixture(scope="module")
def seen(l1c, tmp_path_factory):
    """The probe's report on the dialogs, worked with the test product."""
    report = tmp_path_factory.mktemp("dialog") / "report.json"
    done = subprocess.run(
        [sys.executable, os.path.join(TESTS, "dialog_probe.py"), str(l1c),
         str(report)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=300,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert done.returncode == 0, done.stdout + done.stderr
    with open(str(report), encoding="utf-8") as handle:
        return json.load(handle)


def combinations():
    """Named combination label -> its (red, green, blue) bands."""
    from sentinel2_equalizer.core.product.bands import COMBINATIONS
    return {c.label: list(c.bands) for c in COMBINATIONS}


# -- The colour fields and the band combination ------------------------------

def test_a_named_combination_greys_out_the_colour_fields_showing_its_bands(
        seen):
    shown = seen["standard"]["colours_by_combination"]
    for name, bands in combinations().items():
        assert shown[name] == [[False, band] for band in bands], name
        assert name in seen["standard"]["tooltips"][name]


def test_custom_bands_enables_the_colour_fields(seen):
    shown = seen["standard"]["colours_by_combination"]
    defaults = [[True, "B04"], [True, "B03"], [True, "B02"]]
    assert seen["standard"]["colours_at_start"] == defaults
    assert shown["Custom bands"] == defaults
    # no blank entry: it would be a second name for 'Custom bands'
    assert list(shown) == ["Custom bands"] + list(combinations())


def test_the_users_own_bands_come_back_with_custom_bands(seen):
    assert seen["standard"]["own_choice_kept"] == [
        [True, "B08"], [True, "B03"], [True, "B02"]]


def test_the_dialog_passes_the_bands_it_shows(seen):
    passed = seen["standard"]["parameters_by_combination"]
    for name, bands in combinations().items():
        assert passed[name] == bands, name


def test_each_batch_row_follows_its_own_combination(seen):
    batch = seen["batch"]
    assert batch["rows"] == 2
    first, second = batch["colours_per_row"]
    assert first == [[False, b] for b in
                     combinations()["False colour infrared 8-4-3"]]
    assert second == [[True, "B04"], [True, "B03"], [True, "B02"]]
    assert batch["parameters_row_0"] == ["B08", "B04", "B03"]


def test_the_model_designer_keeps_qgis_widgets_and_stores_every_value(seen):
    modeler = seen["modeler"]
    # a model input or another algorithm's output can feed any parameter
    assert set(modeler["widgets"].values()) == {
        "QgsProcessingModelerParameterWidget"}
    assert set(COLOURS) | {"COMBINATION", "SAMPLE_PERCENT"} <= set(
        modeler["sources"])


# -- Fields ------------------------------------------------------------------

def test_sample_percent_shows_two_decimals(seen):
    assert seen["standard"]["sample"] == {"decimals": 2, "text": "1.00"}


def test_utm_zone_says_what_zero_means(seen):
    wording = "UTM zone (0 = automatic)"
    labels = seen["standard"]["wrapped_labels"]
    assert any(label.startswith(wording) for label in labels), labels
    assert seen["standard"]["zone"] == {"minimum": 0, "maximum": 60,
                                        "value": 0}


def test_output_is_in_view_at_the_default_size(seen):
    standard = seen["standard"]
    assert standard["output_in_view"], standard["size"]
    assert not standard["horizontal_scroll_bar"]


def test_product_field_takes_files_folders_and_typed_paths(seen, l1c):
    field = seen["standard"]["input"]
    assert "*.zip" in field["filter"] and "MTD_MSIL1C.xml" in field["filter"]
    assert ".SAFE" in field["folder_tip"]
    assert field["typed"] == str(l1c)
    assert field["folder_dialog_shown"]
    assert field["browsed"] == str(l1c)
    assert seen["batch"]["input_widgets"] == ["ProductField"] * 2


# -- An empty product ---------------------------------------------------------

def test_empty_product_field_says_what_to_pick_before_run(seen):
    """The dialog checks every field against its parameter before the
    algorithm is asked, so on Run QGIS names the empty field itself; the
    plugin's words are in the empty field."""
    field = seen["standard"]["input"]
    assert field["empty"] is None
    for word in (".zip", "MTD XML", ".SAFE"):
        assert word in field["placeholder"]
    assert seen["standard"]["run_without_product"] == [
        "Wrong or missing parameter value: Sentinel-2 product"]


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("parameters", [{}, {"INPUT": ""},
                                        {"INPUT": "  "}])
def test_processing_run_without_product_gets_the_plugins_message(parameters,
                                                                   tmp_path):
    import processing
    from qgis.core import QgsProcessingException
    with pytest.raises(QgsProcessingException, match="INPUT is missing. "
                       "Point it to a Sentinel-2 .SAFE folder"):
        processing.run(ALGORITHM, dict(parameters,
                                       OUTPUT=str(tmp_path / "x.tif")))


def test_qgis_process_with_empty_product_gets_the_plugins_message(tmp_path):
    done = subprocess.run([QGIS_PROCESS, "run", ALGORITHM, "--", "INPUT=",
                           "OUTPUT={}".format(tmp_path / "x.tif")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=300)
    assert done.returncode != 0
    assert "INPUT is missing. Point it to a Sentinel-2 .SAFE folder" in \
        done.stdout + done.stderr


# -- Help and log ------------------------------------------------------------

def test_help_panel_explains_pixel_size_and_utm_zone(seen):
    text = seen["standard"]["help_panel"]
    for topic in ("Output pixel size", "finest", "UTM zone",
                  "zone with most granules", "greyed out", "Compression",
                  "DEFLATE", "JPEG quality", "0 chooses"):
        assert topic in text, topic


# -- Advanced parameters and the batch panel ---------------------------------

@pytest.mark.parametrize("algorithm", ["s2eq:equalize", "s2eq:curve",
                                       "s2eq:mosaic"])
def test_advanced_parameters_open_fit_the_default_size(seen, algorithm):
    """Every field, its buttons included, in view at the dialog's default
    size with Advanced Parameters expanded: no horizontal scroll bar."""
    shown = seen["advanced"][algorithm]
    assert shown["advanced_expanded"]
    assert not shown["horizontal_scroll_bar"], shown
    assert shown["outside"] == [], shown["outside"]


#: A batch column's header longer than this is cut off.
HEADER = 40


@pytest.mark.parametrize("algorithm", ["s2eq:equalize", "s2eq:curve",
                                       "s2eq:mosaic"])
def test_batch_headers_are_short_enough_to_read(seen, algorithm):
    headers = seen["batch_columns"][algorithm]["headers"]
    assert {n: h for n, h in headers.items() if len(h) > HEADER} == {}


@pytest.mark.parametrize("algorithm", ["s2eq:equalize", "s2eq:mosaic"])
def test_the_curve_column_shows_with_the_advanced_toggle_as_help_says(
        seen, algorithm, qgis_app):
    from qgis.core import QgsApplication
    columns = seen["batch_columns"][algorithm]
    assert columns["headers"]["CURVE"] == "Shared curve"
    assert "CURVE" not in columns["shown"]
    assert "CURVE" in columns["shown_advanced"]
    assert columns["toggle"] == [True, "Toggle advanced mode"]
    registry = QgsApplication.processingRegistry()
    help_text = registry.algorithmById(algorithm).parameterDefinition(
        "CURVE").help()
    assert "gear button (Toggle advanced mode)" in help_text
    assert "gear button (Toggle advanced mode)" in registry.algorithmById(
        "s2eq:curve").shortHelpString()


def test_products_are_picked_with_a_filter_and_shown_by_name(seen, l1c):
    field = seen["products"]
    passed = field["passed"]
    assert len(passed) == 3
    assert field["summary"] == ("3 products: T31UFQ 2023-06-14 L1C; "
                                "T31UGQ 2023-07-04 L2A; T32ULV 2023-06-14 "
                                "L1C")
    assert field["list_shown"]
    # each entry by its product, not by the metadata file inside
    assert [label.split()[:3] for label in field["labels"]] == [
        ["T31UFQ", "2023-06-14", "L1C"], ["T31UGQ", "2023-07-04", "L2A"],
        ["T32ULV", "2023-06-14", "L1C"]]
    assert not any("MTD_" in label for label in field["labels"])
    assert field["labels"][0].endswith(l1c.name)
    assert field["tooltips"] == passed
    first = field["filter"].split(";;")[0]
    for pattern in ("*.zip", "MTD_MSIL1C.xml", "MTD_MSIL2A.xml"):
        assert pattern in first
    assert field["reordered"] == passed[2:] + passed[:2]
    assert field["batch_widget"] == "ProductsField"


def test_products_are_added_by_url_as_typed_and_shown_without_secrets(seen):
    from dialog_probe import TYPED_URLS
    field = seen["products"]
    assert field["urls_button"] == "Add URLs…"
    # passed on exactly as typed, the blank line left out
    assert field["typed_passed"] == field["reordered"] + TYPED_URLS
    assert field["typed_labels"] == [
        "T31UFQ 2023-06-14 L1C   S2B_MSIL1C_20230614T105629_N0509_R094_"
        "T31UFQ_20230614T130000.zip",
        "T31UGQ 2023-07-04 L2A   S2A_MSIL2A_20230704T105631_N0509_R094_"
        "T31UGQ_20230704T150000.SAFE",
        "S2B_T31UFQ_20230614T105629_L2A"]
    assert field["typed_tooltips"][0] == (
        "https://example.org/S2B_MSIL1C_20230614T105629_N0509_R094_T31UFQ_"
        "20230614T130000.zip")
    assert field["typed_summary"].startswith("6 products: ")
    for shown in (field["typed_labels"], field["typed_tooltips"],
                  [field["typed_summary"], field["typed_summary_tip"]]):
        assert not any("SECRET" in text or "pa55" in text for text in shown)


class Page(HTMLParser):
    """A page's headings and table rows, and whether its tags balance."""

    VOID = {"meta", "br", "img", "link", "hr", "input"}

    def __init__(self):
        super().__init__()
        self.open, self.headings, self.rows = [], [], []
        self.balanced = True

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.balanced = False

    def handle_data(self, data):
        if self.open and self.open[-1] in ("h1", "h2", "h3"):
            self.headings.append(data.strip())
        if "td" in self.open or "th" in self.open:
            self.rows[-1][-1] += data


def shown(value):
    """A default as the help page writes it: 1.0 as 1, a list of choices
    comma-separated."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "{:g}".format(value) if isinstance(value, float) else str(value)


@pytest.mark.usefixtures("qgis_app")
def test_help_button_opens_a_page_with_every_parameter_and_default():
    from qgis.core import QgsApplication
    from qgis.PyQt.QtCore import QUrl
    alg = QgsApplication.processingRegistry().algorithmById(ALGORITHM)
    path = QUrl(alg.helpUrl()).toLocalFile()
    assert path.endswith(".html") and os.path.isfile(path)
    page = Page()
    with open(path, encoding="utf-8") as handle:
        page.feed(handle.read())
    assert page.balanced and not page.open
    assert "Parameters" in page.headings
    for parameter in alg.parameterDefinitions():
        # the table's columns: dialog label, script name(s), default, meaning
        rows = [row for row in page.rows if len(row) == 4 and
                parameter.name() in row[1].replace(",", " ").split()]
        assert len(rows) == 1, parameter.name()
        default = parameter.defaultValue()
        if default is not None:
            assert shown(default) in rows[0][2], (parameter.name(), rows[0])


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("choice", ["False colour infrared 8-4-3", None])
def test_log_names_the_bands_the_run_uses(choice, l1c, tmp_path):
    import processing
    from qgis.core import QgsProcessingFeedback

    class Log(QgsProcessingFeedback):
        def pushInfo(self, info):  # noqa: N802 (QGIS API)
            logged.append(info)
            super().pushInfo(info)

    logged = []
    feedback = Log()
    parameters = {"INPUT": str(l1c), "RED": "B04", "GREEN": "B03",
                  "BLUE": "B02", "RESOLUTION": "60",
                  "OUTPUT": str(tmp_path / "log.tif")}
    if choice:
        parameters["COMBINATION"] = choice
    processing.run(ALGORITHM, parameters, feedback=feedback)
    bands = combinations()[choice] if choice else ["B04", "B03", "B02"]
    line = "Bands: {} (red), {} (green), {} (blue)".format(*bands)
    assert any(text.startswith(line) for text in logged), logged
    if choice:
        assert any(choice in text and "do not apply" in text
                   for text in logged), logged


#: How the help page's note on Advanced Parameters names each parameter.
IN_THE_NOTE = {"EXTENT": "extent", "MASK": "mask polygons",
               "METHOD": "method", "COLOUR": "colour mode",
               "CLIP_LIMIT": "clip limit", "TILE_SIZE": "tile size",
               "CURVE": "shared curve", "RESOLUTION": "output pixel size",
               "UTM_ZONE": "UTM zone", "VERIFY": "band files",
               "COMPRESSION": "compression", "JPEG_QUALITY": "JPEG quality",
               "CLOUDS": "the clouds", "CLOUD_BUFFER": "their buffer",
               "CLOUD_CLASSES": "the classes counted as cloud",
               "COMPOSITE": "its composite",
               "ORDER": "the order of its products"}


@pytest.mark.usefixtures("qgis_app")
def test_help_page_names_every_advanced_parameter_and_algorithm():
    import re
    from qgis.core import QgsApplication
    from qgis.PyQt.QtCore import QUrl
    from sentinel2_equalizer.algorithms.compat import FLAG_ADVANCED
    registry = QgsApplication.processingRegistry()
    path = QUrl(registry.algorithmById(ALGORITHM).helpUrl()).toLocalFile()
    with open(path, encoding="utf-8") as handle:
        page = handle.read()
    note = " ".join(re.search(r'<p class="note">(.*?)</p>', page,
                              re.S).group(1).split())
    subtitle = re.search(r"</h1>\s*<p>(.*?)</p>", page, re.S).group(1)
    for algorithm in ("s2eq:equalize", "s2eq:curve", "s2eq:mosaic"):
        assert "<code>{}</code>".format(algorithm) in subtitle
        for parameter in registry.algorithmById(
                algorithm).parameterDefinitions():
            if parameter.flags() & FLAG_ADVANCED:
                assert IN_THE_NOTE[parameter.name()] in note, \
                    parameter.name()
