"""CLOUDS, CLOUD_BUFFER, CLOUD_CLASSES, COMPOSITE and ORDER through every
interface: processing.run, qgis_process, the command line (and its batch
with --mosaic), a .model3 run headless and the Python API give the same
pixels; a product without a mask gets one clear message everywhere."""

import json

import pytest

from s2eq_runner import run_json, run_s2eq, same_pixels, tags
from sentinel2_equalizer import api

RGB = ("B04", "B03", "B02")


def qgis_run(algorithm, parameters):
    import processing
    return processing.run(algorithm, parameters)


@pytest.fixture(scope="module")
def bare(products):
    return products("clouds-none", size=366, jp2_block=128, bands=RGB,
                    cloud_mask=False)


def test_equalize_takes_the_clouds_everywhere(qgis_app, run_qgis_process,
                                              l1c, tmp_path):
    by_qgis, by_process = tmp_path / "qgis.tif", tmp_path / "process.tif"
    by_cli, by_api = tmp_path / "cli.tif", tmp_path / "api.tif"
    qgis_run("s2eq:equalize", {
        "INPUT": str(l1c), "CLOUDS": "exclude from curve",
        "CLOUD_BUFFER": 120, "CLOUD_CLASSES": ["cloud", "cirrus"],
        "OUTPUT": str(by_qgis)})
    run_qgis_process("run", "s2eq:equalize", "--", "INPUT={}".format(l1c),
                     "CLOUDS=exclude from curve", "CLOUD_BUFFER=120",
                     "CLOUD_CLASSES=cloud", "CLOUD_CLASSES=cirrus",
                     "OUTPUT={}".format(by_process))
    run_json("equalize", l1c, "-o", by_cli, "--clouds", "exclude",
             "--cloud-buffer", "120", "--cloud-classes", "cloud,cirrus")
    api.equalize(str(l1c), str(by_api), clouds="exclude", cloud_buffer=120,
                 cloud_classes=["cloud", "cirrus"])
    for other in (by_process, by_cli, by_api):
        assert same_pixels(by_qgis, other), other
    recorded = json.loads(tags(by_qgis)["S2EQ_CLOUDS"])
    assert recorded == {"mode": "exclude", "buffer_m": 120.0,
                        "classes": ["cloud", "cirrus"]}
    plain = tmp_path / "plain.tif"
    api.equalize(str(l1c), str(plain))
    assert not same_pixels(plain, by_api)


def test_mask_through_qgis_process_and_the_command_line(
        qgis_app, run_qgis_process, l1c, tmp_path):
    by_process, by_cli = tmp_path / "process.tif", tmp_path / "cli.tif"
    run_qgis_process("run", "s2eq:equalize", "--", "INPUT={}".format(l1c),
                     "CLOUDS=mask", "OUTPUT={}".format(by_process))
    run_json("equalize", l1c, "-o", by_cli, "--clouds", "mask")
    assert same_pixels(by_process, by_cli)
    assert "% clear" in run_s2eq("equalize", l1c, "-o",
                                 tmp_path / "again.tif", "--clouds",
                                 "mask").stderr


def test_curve_takes_the_clouds_as_in_qgis(qgis_app, dates, tmp_path):
    by_qgis, by_cli = tmp_path / "qgis.json", tmp_path / "cli.json"
    qgis_run("s2eq:curve", {"INPUTS": [str(p) for p in dates],
                            "CLOUDS": "exclude from curve",
                            "OUTPUT": str(by_qgis)})
    run_json("curve", *dates, "-o", by_cli, "--clouds", "exclude")
    plain = tmp_path / "plain.json"
    run_json("curve", *dates, "-o", plain)
    with open(by_qgis) as a, open(by_cli) as b, open(plain) as c:
        qgis_bands, cli_bands = json.load(a)["bands"], json.load(b)["bands"]
        plain_bands = json.load(c)["bands"]
    assert qgis_bands == cli_bands
    assert (cli_bands["B04"]["valid_pixels"]
            < plain_bands["B04"]["valid_pixels"])


def mosaic_model(path):
    """A .model3 of one s2eq:mosaic child with a median-of-clear
    composite, the clearest first, clouds excluded: its products and its
    output are the model's inputs."""
    from qgis.core import (QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildAlgorithm,
                           QgsProcessingModelChildParameterSource as Source,
                           QgsProcessingModelOutput,
                           QgsProcessingModelParameter,
                           QgsProcessingParameterMultipleLayers)
    from sentinel2_equalizer.algorithms.compat import SOURCE_FILE
    model = QgsProcessingModelAlgorithm("season", "tests")
    model.addModelParameter(
        QgsProcessingParameterMultipleLayers("products", "products",
                                             layerType=SOURCE_FILE),
        QgsProcessingModelParameter("products"))
    child = QgsProcessingModelChildAlgorithm("s2eq:mosaic")
    child.setChildId("mosaic")
    child.addParameterSources("INPUTS", [
        Source.fromModelParameter("products")])
    for name, value in (("COMPOSITE", "median of clear"),
                        ("ORDER", "clearest first"),
                        ("CLOUDS", "exclude from curve"),
                        ("CLOUD_BUFFER", 60),
                        ("CLOUD_CLASSES", ["cloud", "cirrus"]),
                        ("COMPRESSION", "DEFLATE")):
        child.addParameterSources(name, [Source.fromStaticValue(value)])
    output = QgsProcessingModelOutput("season", "season")
    output.setChildOutputName("OUTPUT")
    child.setModelOutputs({"season": output})
    model.addChildAlgorithm(child)
    assert model.toFile(str(path))
    return path


def model_output(path):
    """The name of the one output of the .model3 at ``path``, as this
    QGIS names it: the child's id and the output's name up to QGIS 3.3x
    ("mosaic:season"), the output's name alone in later ones ("season")."""
    from qgis.core import QgsProcessingModelAlgorithm
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(path))
    names = [p.name() for p in model.destinationParameterDefinitions()]
    assert len(names) == 1 and names[0].endswith("season"), names
    return names[0]


def test_mosaic_takes_composites_everywhere(qgis_app, run_qgis_process,
                                            dates, tmp_path):
    by_qgis, by_cli = tmp_path / "qgis.tif", tmp_path / "cli.tif"
    by_api, by_model = tmp_path / "api.tif", tmp_path / "model.tif"
    by_process = tmp_path / "process.tif"
    products = [str(p) for p in dates]
    qgis_run("s2eq:mosaic", {"INPUTS": products,
                             "COMPOSITE": "median of clear",
                             "ORDER": "clearest first",
                             "CLOUDS": "exclude from curve",
                             "CLOUD_BUFFER": 60,
                             "CLOUD_CLASSES": ["cloud", "cirrus"],
                             "COMPRESSION": "DEFLATE",
                             "OUTPUT": str(by_qgis)})
    run_qgis_process("run", "s2eq:mosaic", "--",
                     *["INPUTS={}".format(p) for p in products],
                     "COMPOSITE=median of clear", "ORDER=clearest first",
                     "CLOUDS=exclude from curve", "CLOUD_BUFFER=60",
                     "CLOUD_CLASSES=cloud", "CLOUD_CLASSES=cirrus",
                     "COMPRESSION=DEFLATE", "OUTPUT={}".format(by_process))
    result = run_json("mosaic", *products, "-o", by_cli, "--composite",
                      "median", "--order", "clearest", "--clouds",
                      "exclude", "--cloud-buffer", "60", "--cloud-classes",
                      "cloud,cirrus", "--compression", "DEFLATE")
    assert set(result["clear_shares"]) == {
        api.product_name(p) for p in products}
    api.mosaic(products, str(by_api), composite="median", order="clearest",
               clouds="exclude", cloud_buffer=60,
               cloud_classes="cloud,cirrus", compression="DEFLATE")
    model = mosaic_model(tmp_path / "season.model3")
    run_qgis_process("run", model, "--",
                     *["products={}".format(p) for p in products],
                     "{}={}".format(model_output(model), by_model))
    for other in (by_process, by_cli, by_api, by_model):
        assert same_pixels(by_qgis, other), other
    recorded = tags(by_qgis)
    assert json.loads(recorded["S2EQ_COMPOSITE"]) == {
        "composite": "median", "order": "clearest"}
    assert recorded["S2EQ_CLEAR"].count("%") == 2
    first_valid = tmp_path / "first-valid.tif"
    api.mosaic(products, str(first_valid), compression="DEFLATE")
    assert not same_pixels(first_valid, by_api)


def test_a_product_without_a_mask_gets_one_clear_message(
        qgis_app, bare, tmp_path):
    from qgis.core import QgsProcessingException
    output = tmp_path / "out.tif"
    with pytest.raises(QgsProcessingException) as raised:
        qgis_run("s2eq:equalize", {"INPUT": str(bare), "CLOUDS": "mask",
                                   "OUTPUT": str(output)})
    assert "has no cloud mask" in str(raised.value)
    done = run_s2eq("equalize", bare, "-o", output, "--clouds", "exclude",
                    "--quiet")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "has no cloud mask" in lines[0], lines
    assert "Traceback" not in done.stderr
    done = run_s2eq("mosaic", bare, "-o", output, "--composite",
                    "first-clear")
    assert done.returncode != 0 and "has no cloud mask" in done.stderr
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_batch_mosaic_takes_the_composite(dates, tmp_path):
    out, mosaic = tmp_path / "out", tmp_path / "season.tif"
    arguments = ("batch", *dates, "--out-dir", out, "--workers", "1",
                 "--mosaic", mosaic, "--composite", "first-clear",
                 "--clouds", "exclude")
    first = run_json(*arguments)
    assert first["mosaic"] == str(mosaic)
    recorded = tags(mosaic)
    assert json.loads(recorded["S2EQ_COMPOSITE"])["composite"] == \
        "first-clear"
    assert json.loads(recorded["S2EQ_CLOUDS"])["mode"] == "exclude"
    again = run_json(*arguments)
    assert again["written"] == 0
    other = run_json(*arguments[:-4], "--composite", "median", "--clouds",
                     "exclude")
    assert json.loads(tags(mosaic)["S2EQ_COMPOSITE"])["composite"] == \
        "median"
    assert other["failed"] == 0
