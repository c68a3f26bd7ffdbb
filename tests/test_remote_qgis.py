"""In QGIS: INPUT takes a URL as typed (a .SAFE zip's, a STAC item's),
through processing.run and qgis_process, and INPUTS takes a STAC
ItemCollection file; the server is a real one on 127.0.0.1."""

import numpy as np
import pytest
import rasterio

import stac_fixtures as fixtures
from http_server import serving
from s2products import make_product


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    folder = tmp_path_factory.mktemp("remote_qgis")
    zipped = make_product(folder, level="L2A", size=366,
                          bands=["B04", "B03", "B02"], zipped=True)
    safe = make_product(folder, level="L2A", size=366,
                        bands=["B04", "B03", "B02"])
    facts = fixtures.cog_assets(safe, folder / "cogs")
    with serving(folder) as server:
        item = fixtures.c1_l2a_item(safe, facts, server.url("cogs/"))
        fixtures.write_json(folder / "item.json", item)
        fixtures.write_json(folder / "search.json",
                            fixtures.item_collection([item]))
        yield {"server": server, "zip": zipped, "safe": safe,
               "folder": folder}


def image(path):
    with rasterio.open(path) as dataset:
        return dataset.read()


@pytest.mark.usefixtures("qgis_app")
def test_processing_takes_urls(remote, tmp_path):
    import processing
    server = remote["server"]
    local = processing.run("s2eq:equalize", {
        "INPUT": str(remote["safe"]), "SAMPLE_PERCENT": 100,
        "OUTPUT": str(tmp_path / "local.tif")})["OUTPUT"]
    for name in (remote["zip"].name, "item.json"):
        made = processing.run("s2eq:equalize", {
            "INPUT": server.url(name), "SAMPLE_PERCENT": 100,
            "OUTPUT": str(tmp_path / (name + ".tif"))})["OUTPUT"]
        assert np.array_equal(image(made), image(local))
    curve = processing.run("s2eq:curve", {
        "INPUTS": [str(remote["folder"] / "search.json")],
        "OUTPUT": str(tmp_path / "curve.json")})["OUTPUT"]
    assert (tmp_path / "curve.json").exists() and curve


def test_qgis_process_takes_a_url(remote, run_qgis_process, tmp_path):
    out = tmp_path / "cli.tif"
    run_qgis_process("run", "s2eq:equalize", "--",
                     "INPUT={}".format(remote["server"].url("item.json")),
                     "OUTPUT={}".format(out))
    with rasterio.open(out) as made:
        assert made.count == 3
