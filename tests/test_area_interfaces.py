"""One area through every interface: processing.run (with EXTENT and
MASK, a layer in another CRS), qgis_process (with QGIS's extent string),
the command line (--extent, --bbox, --mask) and the Python API give the
same pixels, on s2eq:equalize, s2eq:curve and s2eq:mosaic."""

import json

import pytest
from rasterio.crs import CRS
from rasterio.warp import transform_bounds, transform_geom

from s2eq_runner import run_json, run_s2eq, same_pixels, tags
from sentinel2_equalizer import api

#: In the product's UTM zone (EPSG:32631), metres.
EXTENT = (600503.0, 5497025.0, 601497.0, 5499015.0)
EXTENT_TEXT = ",".join("{:g}".format(v) for v in EXTENT)
#: QGIS's own extent string: xmin,xmax,ymin,ymax [CRS].
QGIS_EXTENT = "{:g},{:g},{:g},{:g} [EPSG:32631]".format(
    EXTENT[0], EXTENT[2], EXTENT[1], EXTENT[3])


def qgis_run(algorithm, parameters):
    import processing
    return processing.run(algorithm, parameters)


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    """A GeoJSON polygon with a hole, in degrees."""
    path = tmp_path_factory.mktemp("interfaces") / "field.geojson"
    x, y = 600000.0, 5500020.0
    outer = [(x + 600, y - 500), (x + 2400, y - 800), (x + 2200, y - 3000),
             (x + 500, y - 2800), (x + 600, y - 500)]
    hole = [(x + 1200, y - 1200), (x + 1800, y - 1200), (x + 1800, y - 1800),
            (x + 1200, y - 1800), (x + 1200, y - 1200)]
    geometry = transform_geom(CRS.from_epsg(32631), CRS.from_epsg(4326), {
        "type": "Polygon", "coordinates": [outer, hole]})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": geometry}]}))
    return str(path)


def test_an_extent_gives_the_same_pixels_everywhere(
        qgis_app, run_qgis_process, l1c, tmp_path):
    by_qgis, by_process = tmp_path / "qgis.tif", tmp_path / "process.tif"
    by_cli, by_api = tmp_path / "cli.tif", tmp_path / "api.tif"
    qgis_run("s2eq:equalize", {"INPUT": str(l1c), "EXTENT": QGIS_EXTENT,
                               "OUTPUT": str(by_qgis)})
    run_qgis_process("run", "s2eq:equalize", "--",
                     "INPUT={}".format(l1c),
                     "EXTENT={}".format(QGIS_EXTENT),
                     "OUTPUT={}".format(by_process))
    result = run_json("equalize", l1c, "-o", by_cli, "--extent",
                      EXTENT_TEXT + ",EPSG:32631")
    assert result["grid"]["width"] == 100 and result["grid"]["height"] == 200
    api.equalize(str(l1c), str(by_api), extent=EXTENT_TEXT)
    for other in (by_process, by_cli, by_api):
        assert same_pixels(by_qgis, other), other
    assert tags(by_qgis)["S2EQ_EXTENT"] == tags(by_api)["S2EQ_EXTENT"]


def test_a_bounding_box_in_degrees_is_the_extent_in_degrees(
        qgis_app, l1c, tmp_path):
    west, south, east, north = transform_bounds(
        CRS.from_epsg(32631), CRS.from_epsg(4326), *EXTENT, densify_pts=21)
    by_qgis, by_cli = tmp_path / "qgis.tif", tmp_path / "cli.tif"
    qgis_run("s2eq:equalize", {
        "INPUT": str(l1c), "EXTENT": "{!r},{!r},{!r},{!r} [EPSG:4326]".format(
            west, east, south, north), "OUTPUT": str(by_qgis)})
    run_json("equalize", l1c, "-o", by_cli, "--bbox",
             "{!r},{!r},{!r},{!r}".format(west, south, east, north))
    assert same_pixels(by_qgis, by_cli)


def test_a_mask_layer_gives_the_same_pixels_everywhere(
        qgis_app, l1c, field, tmp_path):
    from qgis.core import QgsFeatureRequest, QgsVectorLayer
    layer = QgsVectorLayer(field, "field", "ogr")
    assert layer.isValid()
    by_path, by_layer = tmp_path / "path.tif", tmp_path / "layer.tif"
    by_cli = tmp_path / "cli.tif"
    qgis_run("s2eq:equalize", {"INPUT": str(l1c), "MASK": field,
                               "OUTPUT": str(by_path)})
    # A layer that is no file of its own goes to the core as a GeoPackage.
    memory = layer.materialize(QgsFeatureRequest())
    qgis_run("s2eq:equalize", {"INPUT": str(l1c), "MASK": memory,
                               "OUTPUT": str(by_layer)})
    run_json("equalize", l1c, "-o", by_cli, "--mask", field)
    assert same_pixels(by_path, by_layer)
    assert same_pixels(by_path, by_cli)
    assert tags(by_path)["S2EQ_MASK"] == "field.geojson"


def test_curve_and_mosaic_take_the_area_as_in_qgis(qgis_app, l1c, field,
                                                   tmp_path):
    qgis_curve, cli_curve = tmp_path / "qgis.json", tmp_path / "cli.json"
    qgis_run("s2eq:curve", {"INPUTS": [str(l1c)], "EXTENT": QGIS_EXTENT,
                            "OUTPUT": str(qgis_curve)})
    run_json("curve", l1c, "-o", cli_curve, "--extent", EXTENT_TEXT)
    with open(qgis_curve) as a, open(cli_curve) as b:
        assert json.load(a)["bands"] == json.load(b)["bands"]
    # The area's own curve is the one equalize draws over the area.
    own, given = tmp_path / "own.tif", tmp_path / "given.tif"
    api.equalize(str(l1c), str(own), extent=EXTENT_TEXT,
                 compression="DEFLATE")
    api.equalize(str(l1c), str(given), extent=EXTENT_TEXT,
                 curve=str(cli_curve), compression="DEFLATE")
    assert same_pixels(own, given)
    by_qgis, by_cli = tmp_path / "mq.tif", tmp_path / "mc.tif"
    qgis_run("s2eq:mosaic", {"INPUTS": [str(l1c)], "MASK": field,
                             "OUTPUT": str(by_qgis)})
    run_json("mosaic", l1c, "-o", by_cli, "--mask", field)
    assert same_pixels(by_qgis, by_cli)


def test_the_command_line_explains_a_bad_area(l1c, tmp_path):
    done = run_s2eq("equalize", l1c, "-o", tmp_path / "x.tif", "--extent",
                    "1,2,3")
    assert done.returncode != 0
    assert "XMIN,YMIN,XMAX,YMAX" in done.stderr
    done = run_s2eq("equalize", l1c, "-o", tmp_path / "x.tif", "--bbox",
                    "2.0,45.0,2.1,45.1")
    assert done.returncode != 0 and "does not touch" in done.stderr
    assert not list(tmp_path.iterdir())


def test_a_batch_over_an_area_is_current_only_for_that_area(l1c, tmp_path):
    out = tmp_path / "out"
    first = run_json("batch", l1c, "--out-dir", out, "--workers", "1",
                     "--shared-curve", "--extent", EXTENT_TEXT)
    assert first["written"] == 1
    curve = (out / "shared-curve.json").read_bytes()
    again = run_json("batch", l1c, "--out-dir", out, "--workers", "1",
                     "--shared-curve", "--extent", EXTENT_TEXT)
    assert again["current"] == 1 and again["written"] == 0
    assert (out / "shared-curve.json").read_bytes() == curve
    # Another area: its own curve, and the output is made again.
    moved = EXTENT_TEXT.replace("600503", "600203")
    other = run_json("batch", l1c, "--out-dir", out, "--workers", "1",
                     "--shared-curve", "--extent", moved)
    assert other["written"] == 1
    assert (out / "shared-curve.json").read_bytes() != curve
