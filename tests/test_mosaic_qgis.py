"""s2eq:mosaic through QGIS: processing.run and the layer it loads, a curve
from s2eq:curve, core errors as QgsProcessingException, parameters and help
beside s2eq:equalize's, and qgis_process.
"""

import os

import numpy as np
import pytest

from mosaic_products import read


@pytest.mark.usefixtures("qgis_app")
def test_processing_run_mosaics_and_loads_a_named_layer(west, east,
                                                        tmp_path):
    import processing
    from qgis.core import QgsProject
    project = QgsProject.instance()
    project.removeAllMapLayers()
    out = tmp_path / "p.tif"
    result = processing.runAndLoadResults("s2eq:mosaic", {
        "INPUTS": [str(west), str(east / "MTD_MSIL1C.xml")],
        "SAMPLE_PERCENT": 5, "OUTPUT": str(out)})
    assert result["OUTPUT"] == str(out)
    image = read(out)
    assert image["tags"]["S2EQ_SAMPLE_PERCENT"] == "5"
    assert len(image["tags"]["S2EQ_PRODUCT"].split(",")) == 2
    layers = list(project.mapLayers().values())
    assert [layer.name() for layer in layers] == [
        "T31UFQ+T31UGQ 2023-06-14 B04-B03-B02 mosaic"]
    assert layers[0].renderer().type() == "multibandcolor"
    project.removeAllMapLayers()


@pytest.mark.usefixtures("qgis_app")
def test_a_curve_from_s2eq_curve_gives_the_very_same_mosaic(west, east,
                                                           tmp_path):
    import processing
    inputs = [str(west), str(east)]
    curve = processing.run("s2eq:curve", {
        "INPUTS": inputs, "OUTPUT": str(tmp_path / "c.json")})["OUTPUT"]
    for name, extra in (("built", {}), ("given", {"CURVE": curve})):
        processing.run("s2eq:mosaic", dict(
            extra, INPUTS=inputs, OUTPUT=str(tmp_path / (name + ".tif"))))
    built, given = read(tmp_path / "built.tif"), read(tmp_path / "given.tif")
    assert np.array_equal(built["rgb"], given["rgb"])
    assert given["tags"]["S2EQ_CURVE"] == "c.json"


@pytest.mark.usefixtures("qgis_app")
def test_algorithm_refuses_an_empty_list_and_converts_core_errors(west,
                                                                  tmp_path):
    import processing
    from qgis.core import QgsProcessingException
    with pytest.raises(QgsProcessingException):
        processing.run("s2eq:mosaic", {"INPUTS": [],
                                       "OUTPUT": str(tmp_path / "e.tif")})
    with pytest.raises(QgsProcessingException, match="Product 2 of 2"):
        processing.run("s2eq:mosaic", {
            "INPUTS": [str(west), str(tmp_path / "nowhere.zip")],
            "OUTPUT": str(tmp_path / "e.tif")})
    assert not os.path.exists(tmp_path / "e.tif")


@pytest.mark.usefixtures("qgis_app")
def test_help_and_parameters_match_equalize():
    from qgis.core import QgsApplication
    registry = QgsApplication.processingRegistry()
    mosaic_alg = registry.algorithmById("s2eq:mosaic")
    equalize_alg = registry.algorithmById("s2eq:equalize")
    assert mosaic_alg.group() == equalize_alg.group()
    assert not mosaic_alg.icon().isNull()
    assert "one curve" in mosaic_alg.shortHelpString()
    names = [p.name() for p in mosaic_alg.parameterDefinitions()]
    assert names == ["INPUTS", "COMBINATION", "RED", "GREEN", "BLUE",
                     "SAMPLE_PERCENT", "EXTENT", "MASK", "CLOUDS",
                     "CLOUD_BUFFER", "CLOUD_CLASSES", "COMPOSITE", "ORDER",
                     "RESOLUTION", "METHOD", "COLOUR", "CLIP_LIMIT",
                     "TILE_SIZE", "CURVE", "VERIFY", "COMPRESSION",
                     "JPEG_QUALITY", "OUTPUT"]
    for name in ("COMBINATION", "RED", "RESOLUTION", "METHOD", "COLOUR",
                 "COMPRESSION"):
        assert mosaic_alg.parameterDefinition(name).options() == \
            equalize_alg.parameterDefinition(name).options()
    for name in ("VERIFY", "CURVE", "EXTENT", "MASK"):
        mine = mosaic_alg.parameterDefinition(name)
        theirs = equalize_alg.parameterDefinition(name)
        assert (mine.defaultValue(), mine.flags()) == (
            theirs.defaultValue(), theirs.flags()), name
    for parameter in mosaic_alg.parameterDefinitions():
        assert len(parameter.help()) > 20, parameter.name()


def test_qgis_process_takes_inputs_once_per_product(run_qgis_process, west,
                                                    east, tmp_path):
    out = tmp_path / "cli.tif"
    run_qgis_process("run", "s2eq:mosaic", "--", "INPUTS={}".format(west),
                     "INPUTS={}".format(east), "RED=B03", "RESOLUTION=20",
                     "OUTPUT={}".format(out))
    image = read(out)
    assert image["tags"]["S2EQ_BANDS"] == "B03,B03,B02"
    assert len(image["tags"]["S2EQ_PRODUCT"].split(",")) == 2
    assert image["transform"].a == 20.0
