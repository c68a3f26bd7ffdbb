"""s2eq:equalize through qgis_process, and a model run headless."""

import json
import os

import rasterio

MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                     "equalize.model3")
PARAMETERS = ("INPUT", "COMBINATION", "RED", "GREEN", "BLUE",
              "SAMPLE_PERCENT", "RESOLUTION", "UTM_ZONE", "OUTPUT")


def test_algorithm_is_listed(run_qgis_process):
    listing = run_qgis_process("list").stdout
    assert "s2eq:equalize" in listing


def test_help_shows_every_parameter(run_qgis_process):
    text = run_qgis_process("help", "s2eq:equalize").stdout
    for name in PARAMETERS:
        assert "\n{}: ".format(name) in text, name
    assert "B8A" in text and "SWIR 12-8A-4" in text


def test_run_with_band_names_writes_the_file(run_qgis_process, l1c, tmp_path):
    out = tmp_path / "cli.tif"
    done = run_qgis_process("run", "s2eq:equalize", "--",
                            "INPUT={}".format(l1c), "RED=B08", "GREEN=B04",
                            "BLUE=B03", "SAMPLE_PERCENT=1",
                            "OUTPUT={}".format(out))
    assert "OUTPUT:\t{}".format(out) in done.stdout
    with rasterio.open(out) as img:
        assert img.count == 3
        assert img.tags()["S2EQ_BANDS"] == "B08,B04,B03"


def test_run_with_json_output(run_qgis_process, l1c, tmp_path):
    out = tmp_path / "json.tif"
    done = run_qgis_process("--json", "run", "s2eq:equalize", "--",
                            "INPUT={}".format(l1c / "MTD_MSIL1C.xml"),
                            "COMBINATION=SWIR 12-8A-4",
                            "OUTPUT={}".format(out))
    report = json.loads(done.stdout)
    assert report["results"]["OUTPUT"] == str(out)
    assert report["algorithm_details"]["id"] == "s2eq:equalize"
    with rasterio.open(out) as img:
        assert img.tags()["S2EQ_BANDS"] == "B12,B8A,B04"
        assert img.res == (10.0, 10.0)   # 20 m bands upsampled to B04's grid


def test_model_feeds_a_product_into_the_algorithm(run_qgis_process, l1c,
                                                  tmp_path):
    out = tmp_path / "model.tif"
    run_qgis_process("run", MODEL, "--", "product={}".format(l1c),
                     "s2eq:equalize_1:result={}".format(out))
    with rasterio.open(out) as img:
        assert img.count == 3
        assert img.tags()["S2EQ_BANDS"] == "B08,B04,B03"
        assert img.tags()["S2EQ_SAMPLE_PERCENT"] == "5"
