"""s2eq:curve and the CURVE parameter of s2eq:equalize, as QGIS users run
them: processing.run, qgis_process, a batch of dates, and a model that
chains them."""

import json
import os

import numpy as np
import pytest
import rasterio

from conftest import TESTS
from sentinel2_equalizer.core import render

BANDS = ("B04", "B03", "B02")
MODEL = os.path.join(TESTS, "data", "workflows", "curve_then_equalize.model3")

pytestmark = pytest.mark.usefixtures("qgis_app")


def pixels(path):
    with rasterio.open(path) as img:
        return img.read(), img.tags()


def test_curve_algorithm_writes_a_curve_file_and_a_report(dates, tmp_path):
    import processing
    out = str(tmp_path / "shared.json")
    result = processing.run("s2eq:curve", {
        "INPUTS": [str(p) for p in dates], "OUTPUT": out})
    assert result["OUTPUT"] == out
    with open(out) as handle:
        doc = json.load(handle)
    assert doc["format"] == "s2eq-curve/1" and sorted(doc["bands"]) == sorted(
        BANDS + ("LUMINANCE",))
    # what luminance mode and the adaptive method need
    assert doc["luminance"]["bands"] == list(BANDS)
    assert doc["tiles"]["size"] == 5000
    assert len(doc["products"]) == 2
    with open(result["REPORT"]) as handle:
        page = handle.read()
    assert page.count("<svg") == 4


def test_equalize_with_curve_uses_it_and_says_so(dates, tmp_path):
    import processing
    curve = str(tmp_path / "shared.json")
    processing.run("s2eq:curve", {"INPUTS": [str(p) for p in dates],
                                  "OUTPUT": curve})
    out = str(tmp_path / "date1.tif")
    processing.run("s2eq:equalize", {"INPUT": str(dates[0]), "CURVE": curve,
                                     "OUTPUT": out})
    image, tags = pixels(out)
    assert tags["S2EQ_CURVE"] == "shared.json"
    core = str(tmp_path / "core.tif")
    render.run(render.Options(str(dates[0]), core, curve=curve))
    np.testing.assert_array_equal(image, pixels(core)[0])


def test_a_batch_of_dates_with_one_curve_gives_consistent_pictures(
        dates, tmp_path):
    """The time-series workflow: the batch panel runs s2eq:equalize once per
    row; every row given the same CURVE is mapped through the same tables."""
    import processing
    curve = str(tmp_path / "shared.json")
    processing.run("s2eq:curve", {"INPUTS": [str(p) for p in dates],
                                  "OUTPUT": curve})
    images = []
    for number, product in enumerate(dates):
        out = str(tmp_path / "row{}.tif".format(number))
        processing.run("s2eq:equalize", {"INPUT": str(product),
                                         "CURVE": curve, "OUTPUT": out})
        images.append(pixels(out)[0].astype(int))
    with rasterio.open(sorted(dates[0].glob(
            "GRANULE/*/IMG_DATA/*_B04.jp2"))[0]) as a, rasterio.open(sorted(
            dates[1].glob("GRANULE/*/IMG_DATA/*_B04.jp2"))[0]) as b:
        same = (a.read(1) == b.read(1)) & (a.read(1) > 0)
    assert np.abs(images[0] - images[1])[:, same].mean() <= 2.0


def test_curve_errors_reach_the_user_as_one_line(dates, tmp_path):
    import processing
    from qgis.core import QgsProcessingException
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    out = tmp_path / "rgb.tif"
    with pytest.raises(QgsProcessingException,
                       match="is not a curve file: it is not JSON"):
        processing.run("s2eq:equalize", {"INPUT": str(dates[0]),
                                         "CURVE": str(bad),
                                         "OUTPUT": str(out)})
    assert not out.exists()
    with pytest.raises(QgsProcessingException, match="INPUTS is empty"):
        processing.run("s2eq:curve", {"INPUTS": [],
                                      "OUTPUT": str(tmp_path / "c.json")})


def test_curve_and_equalize_through_qgis_process(dates, tmp_path,
                                                 run_qgis_process):
    curve = tmp_path / "shared.json"
    run_qgis_process("run", "s2eq:curve", "--",
                     "INPUTS={}".format(dates[0]),
                     "INPUTS={}".format(dates[1]), "SAMPLE_PERCENT=2",
                     "OUTPUT={}".format(curve))
    doc = json.loads(curve.read_text())
    assert len(doc["products"]) == 2 and doc["sample_percent"] == 2
    out = tmp_path / "date2.tif"
    run_qgis_process("run", "s2eq:equalize", "--",
                     "INPUT={}".format(dates[1]), "CURVE={}".format(curve),
                     "OUTPUT={}".format(out))
    core = str(tmp_path / "core.tif")
    render.run(render.Options(str(dates[1]), core, curve=str(curve)))
    np.testing.assert_array_equal(pixels(str(out))[0], pixels(core)[0])


def test_a_model_builds_the_curve_then_equalizes_with_it(
        dates, tmp_path, run_qgis_process):
    from qgis.core import QgsProcessingModelAlgorithm
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(MODEL)
    assert model.validate()[0], model.validate()[1]
    out = tmp_path / "model.tif"
    run_qgis_process("run", MODEL, "--",
                     "products={}".format(dates[0]),
                     "products={}".format(dates[1]),
                     "date={}".format(dates[0]),
                     "s2eq:equalize_1:equalized={}".format(out))
    image, tags = pixels(str(out))
    assert tags["S2EQ_CURVE"].endswith(".json")
    curve = str(tmp_path / "direct.json")
    import processing
    processing.run("s2eq:curve", {"INPUTS": [str(p) for p in dates],
                                  "OUTPUT": curve})
    direct = str(tmp_path / "direct.tif")
    render.run(render.Options(str(dates[0]), direct, curve=curve))
    np.testing.assert_array_equal(image, pixels(direct)[0])
