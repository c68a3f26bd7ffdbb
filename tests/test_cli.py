"""The s2eq command line against QGIS: the same options give the same
pixels and the same messages; its JSON, its progress on a terminal and off
it, its help, Ctrl-C."""

import json

import pytest

import s2products
from s2eq_runner import run_json, run_s2eq, same_pixels, tags
from sentinel2_equalizer.cli.flags import FLAGS, flag_of
from sentinel2_equalizer.core.product.bands import DEFAULT_BANDS

#: Parameters the command line takes as arguments, not flags.
ARGUMENTS = {"INPUT": "PRODUCT", "OUTPUT": "--output"}


@pytest.fixture(scope="module")
def dates(tmp_path_factory):
    """Two dates of one tile, for curves and mosaics."""
    base = tmp_path_factory.mktemp("cli-dates")
    made = []
    for sky, sensing in ((1, "20230614T105629"), (2, "20230704T105629")):
        (base / str(sky)).mkdir()
        made.append(s2products.make_product(
            base / str(sky), size=366, jp2_block=128, sky_seed=sky,
            sensing=sensing, bands=DEFAULT_BANDS))
    return made


def qgis_run(algorithm, parameters):
    import processing
    return processing.run(algorithm, parameters)


# ---------------------------------------------------------------------------
# Flags mirror the parameters.

def test_every_equalize_parameter_is_a_flag_with_its_default(qgis_app):
    from qgis.core import QgsApplication
    algorithm = QgsApplication.processingRegistry().algorithmById(
        "s2eq:equalize")
    defaults = {f.keyword: f.default for f in FLAGS}
    for parameter in algorithm.parameterDefinitions():
        name = parameter.name()
        if name in ARGUMENTS:
            continue
        flag = flag_of(name)
        assert flag, "s2eq:equalize's {} has no flag".format(name)
        keyword = [f.keyword for f in FLAGS if f.flag == flag][0]
        default = parameter.defaultValue()
        if name in ("RED", "GREEN", "BLUE"):
            position = ("RED", "GREEN", "BLUE").index(name)
            assert defaults[keyword].split(",")[position] == default
        elif name in ("COMBINATION", "CURVE", "EXTENT", "MASK"):
            # QGIS's "Custom bands" and "" mean none: the flag's absence.
            assert default in ("Custom bands", "") and defaults[keyword] is None
        else:
            assert defaults[keyword] == default, name
        if hasattr(parameter, "options") and name != "COMBINATION" and \
                name not in ("RED", "GREEN", "BLUE"):
            choices = [f.choices for f in FLAGS if f.flag == flag][0]
            if parameter.allowMultiple():
                # A list of choices, comma-separated: the help names each.
                text = [f.help for f in FLAGS if f.flag == flag][0]
                assert all(o in text for o in parameter.options()), name
                continue
            assert list(choices) == parameter.options(), name


def test_every_named_combination_is_taken_by_its_key_and_its_label():
    from sentinel2_equalizer import api
    from sentinel2_equalizer.core.product.bands import COMBINATIONS
    for combo in COMBINATIONS:
        assert api.choose_bands(combination=combo.key) == combo.bands
        assert api.choose_bands(combination=combo.label) == combo.bands


def test_help_explains_each_command_and_flag():
    overall = run_s2eq("--help").stdout
    for name in ("equalize", "curve", "mosaic", "batch"):
        assert name in overall
    text = " ".join(run_s2eq("equalize", "--help").stdout.split())
    for flag in FLAGS:
        if "equalize" in flag.commands:
            assert flag.flag in text
            assert " ".join(flag.help.split()[:6]) in text, flag.flag
    for flag in ("--output", "--json", "--quiet", "PRODUCT"):
        assert flag in text


# ---------------------------------------------------------------------------
# The same pixels.

@pytest.mark.parametrize("parameters, flags", [
    ({}, []),
    ({"COMBINATION": "SWIR 12-8A-4", "RESOLUTION": "20"},
     ["--combination", "swir", "--resolution", "20"]),
    ({"RED": "B08", "GREEN": "B04", "BLUE": "B03", "SAMPLE_PERCENT": 5},
     ["--bands", "B08,B04,B03", "--sample", "5"]),
    ({"VERIFY": False, "UTM_ZONE": 31}, ["--no-verify", "--utm-zone", "31"]),
    ({"METHOD": "contrast-limited", "CLIP_LIMIT": 3},
     ["--method", "contrast-limited", "--clip-limit", "3"]),
    ({"METHOD": "adaptive", "COLOUR": "luminance", "TILE_SIZE": 1000},
     ["--method", "adaptive", "--colour", "luminance", "--tile-size",
      "1000"]),
], ids=["defaults", "combination-20m", "bands-sample", "verify-zone",
        "contrast-limited", "adaptive-luminance"])
def test_same_pixels_as_processing_run(qgis_app, l1c, tmp_path, parameters,
                                       flags):
    by_qgis, by_cli = tmp_path / "qgis.tif", tmp_path / "cli.tif"
    qgis_run("s2eq:equalize", dict(parameters, INPUT=str(l1c),
                                   OUTPUT=str(by_qgis)))
    run_json("equalize", l1c, "-o", by_cli, *flags)
    assert same_pixels(by_qgis, by_cli)
    # Every option the core was given was the same.
    for tag in ("S2EQ_OPTIONS", "S2EQ_BANDS", "S2EQ_RESOLUTION"):
        assert tags(by_qgis)[tag] == tags(by_cli)[tag]


def test_curve_and_equalize_with_it_as_in_qgis(qgis_app, dates, tmp_path):
    qgis_curve, cli_curve = tmp_path / "qgis.json", tmp_path / "cli.json"
    qgis_run("s2eq:curve", {"INPUTS": [str(p) for p in dates],
                            "OUTPUT": str(qgis_curve)})
    result = run_json("curve", *dates, "-o", cli_curve, "--report",
                      tmp_path / "curve.html")
    assert result["output"] == str(cli_curve) and len(result["products"]) == 2
    with open(qgis_curve) as a, open(cli_curve) as b:
        by_qgis, by_cli = json.load(a), json.load(b)
    assert by_qgis["bands"] == by_cli["bands"]
    # The page draws each band of the curve.
    assert (tmp_path / "curve.html").read_text().count("<svg") == len(
        by_cli["bands"])
    by_qgis, by_cli = tmp_path / "qgis.tif", tmp_path / "cli.tif"
    qgis_run("s2eq:equalize", {"INPUT": str(dates[1]), "CURVE": str(
        cli_curve), "OUTPUT": str(by_qgis)})
    run_json("equalize", dates[1], "-o", by_cli, "--curve", cli_curve)
    assert same_pixels(by_qgis, by_cli)
    assert tags(by_cli)["S2EQ_CURVE_SHA256"] == tags(by_qgis)[
        "S2EQ_CURVE_SHA256"]


def test_mosaic_as_in_qgis(qgis_app, dates, tmp_path):
    by_qgis, by_cli = tmp_path / "qgis.tif", tmp_path / "cli.tif"
    qgis_run("s2eq:mosaic", {"INPUTS": [str(p) for p in dates],
                             "OUTPUT": str(by_qgis)})
    result = run_json("mosaic", *dates, "-o", by_cli)
    assert len(result["products"]) == 2
    assert same_pixels(by_qgis, by_cli)


def test_json_reports_the_result_alone_on_standard_output(l1c, tmp_path):
    out = tmp_path / "rgb.tif"
    result = run_json("equalize", l1c, "-o", tmp_path / "rgb")  # .tif added
    assert result["ok"] and result["command"] == "equalize"
    assert result["output"] == str(out)
    found = tags(out)
    assert result["product"] == found["S2EQ_PRODUCT"]
    assert result["bands"] == found["S2EQ_BANDS"].split(",")
    assert result["grid"]["width"] == result["grid"]["height"] == 366
    assert all(result["sampled"][b] > 0 for b in result["bands"])
    failure = run_json("equalize", tmp_path / "nowhere.SAFE", "-o", out,
                       status=1)
    assert not failure["ok"] and "does not exist" in failure["error"]


@pytest.mark.parametrize("warnings", ["", "default"])
def test_standard_error_holds_only_progress_and_messages(dates, tmp_path,
                                                         warnings):
    """No FutureWarning from GDAL's bindings (which newer GDAL prints
    unless the caller chooses how it uses exceptions), and, with Python's
    warnings all shown ("default"), no warning raised in this package."""
    from s2eq_runner import environment
    env = environment(PYTHONWARNINGS=warnings)
    runs = [("equalize", dates[0], "-o", tmp_path / "a.tif"),
            ("curve", *dates, "-o", tmp_path / "c.json"),
            ("mosaic", *dates, "-o", tmp_path / "m.tif", "--curve",
             tmp_path / "c.json")]
    for args in runs:
        done = run_s2eq(*args, env=env)
        assert done.returncode == 0, done.stderr
        shown = [line for line in done.stderr.splitlines()
                 if "Warning" in line or "warnings.warn" in line]
        if warnings:
            shown = [line for line in shown if "sentinel2_equalizer" in line]
        assert not shown, done.stderr
