"""Every product layout and every class of band combination, through
processing.run and qgis_process."""

import glob
import os
import zipfile

import numpy as np
import pytest
import rasterio

from sentinel2_equalizer.core.product import discovery

LAYOUTS = {
    # name: make_product arguments
    "l1c_folder": dict(size=366),
    "l1c_old_baseline": dict(size=366, baseline="03.01"),
    "l1c_zip": dict(size=366, zipped=True),
    "l1c_oper_two_tiles": dict(size=366, layout="oper",
                               tiles=("31UFQ", "31UGQ")),
    "l1c_oper_two_zones": dict(size=366, layout="oper",
                               tiles=("32ULV", "31UFQ", "31UGQ")),
    "l2a_folder": dict(size=366, level="L2A"),
    "l2a_zip": dict(size=366, level="L2A", zipped=True),
}


def input_forms(path):
    """The ways a user can point at one product."""
    forms = {"given": str(path)}
    if path.is_dir():
        xml = [n for n in os.listdir(path) if discovery.ROOT_XML.match(n)]
        forms["metadata"] = str(path / xml[0])
        forms["parent folder"] = str(path.parent)
    else:
        forms["parent folder"] = str(path.parent)
    return forms


def run(parameters):
    import processing
    return processing.run("s2eq:equalize", parameters)


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def layout(request, products):
    return request.param, products(request.param, **LAYOUTS[request.param])


@pytest.mark.usefixtures("qgis_app")
def test_every_way_of_pointing_at_a_layout_gives_one_image(layout, tmp_path):
    name, path = layout
    images = {}
    for form, value in input_forms(path).items():
        out = str(tmp_path / "{}.tif".format(form.replace(" ", "_")))
        assert run({"INPUT": value, "OUTPUT": out})["OUTPUT"] == out
        with rasterio.open(out) as img:
            images[form] = img.read()
            assert img.count == 3 and img.res == (10.0, 10.0)
            assert img.tags()["S2EQ_PRODUCT_LEVEL"] == (
                "L2A" if name.startswith("l2a") else "L1C")
    first = images.pop("given")
    for form, image in images.items():
        assert np.array_equal(first, image), form


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("bands,resolution", [
    (("B04", "B03", "B02"), 10),          # all 10 m
    (("B12", "B8A", "B04"), 10),          # mixed 10/20 m
    (("B12", "B11", "B8A"), 20),          # all 20 m
    (("B01", "B09", "B05"), 20),          # 60 m bands with a 20 m one
    (("B01", "B09", "B01"), 60),          # 60 m only
])
def test_band_classes_land_on_the_finest_grid(layout, bands, resolution,
                                              tmp_path):
    name, path = layout
    out = str(tmp_path / "bands.tif")
    run({"INPUT": str(path), "RED": bands[0], "GREEN": bands[1],
         "BLUE": bands[2], "OUTPUT": out})
    if name.startswith("l2a") and "B01" in bands:
        resolution = 20       # L2A ships B01 in R20m, its finest folder
    with rasterio.open(out) as img:
        assert img.res == (resolution, resolution)
        assert img.tags()["S2EQ_BANDS"] == ",".join(bands)
        mask = img.dataset_mask() > 0
        assert 0.5 < mask.mean() < 1.0
        rgb = img.read()
    for channel in rgb:
        values = channel[mask]
        assert values.min() < 25 and values.max() > 230


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("resolution", [20, 60])
def test_coarser_output_grid_on_request(layout, resolution, tmp_path):
    name, path = layout
    out = str(tmp_path / "coarse.tif")
    run({"INPUT": str(path), "RESOLUTION": str(resolution), "OUTPUT": out})
    with rasterio.open(out) as img:
        assert img.res == (resolution, resolution)
        assert img.width in (366 * 10 // resolution,
                             702 * 10 // resolution)


def test_command_line_reads_every_layout(layout, run_qgis_process, tmp_path):
    name, path = layout
    out = tmp_path / "cli.tif"
    run_qgis_process("run", "s2eq:equalize", "--", "INPUT={}".format(path),
                     "COMBINATION=False colour infrared 8-4-3",
                     "OUTPUT={}".format(out))
    with rasterio.open(out) as img:
        assert img.tags()["S2EQ_BANDS"] == "B08,B04,B03"


# ---------------------------------------------------------------------------
# What each layout must give, beyond "an image".

@pytest.mark.usefixtures("qgis_app")
def test_oper_granules_are_mosaicked_seamlessly(products, tmp_path):
    path = products("l1c_oper_two_tiles", **LAYOUTS["l1c_oper_two_tiles"])
    out = str(tmp_path / "mosaic.tif")
    run({"INPUT": str(path), "SAMPLE_PERCENT": 100, "OUTPUT": out})
    granules = sorted(glob.glob(str(path / "GRANULE" / "*" / "IMG_DATA" /
                                    "*_B04.jp2")))
    assert len(granules) == 2
    with rasterio.open(granules[0]) as a, rasterio.open(granules[1]) as b:
        left = min(a.bounds.left, b.bounds.left)
        right = max(a.bounds.right, b.bounds.right)
        covered = np.zeros((a.height, int((right - left) / 10)), bool)
        for src in (a, b):
            col = int((src.bounds.left - left) / 10)
            covered[:, col:col + src.width] |= src.read(1) != 0
    with rasterio.open(out) as img:
        assert img.bounds.left == left and img.bounds.right == right
        assert img.crs.to_epsg() == 32631
        mask = img.dataset_mask() > 0
        assert np.array_equal(mask, covered)


@pytest.mark.usefixtures("qgis_app")
def test_zone_spanning_product_writes_the_chosen_zone(products, tmp_path):
    path = products("l1c_oper_two_zones", **LAYOUTS["l1c_oper_two_zones"])
    default = str(tmp_path / "default.tif")
    chosen = str(tmp_path / "zone32.tif")
    run({"INPUT": str(path), "OUTPUT": default})
    run({"INPUT": str(path), "UTM_ZONE": 32, "OUTPUT": chosen})
    with rasterio.open(default) as img:
        assert img.crs.to_epsg() == 32631        # two granules of three
        assert img.width == 702
    with rasterio.open(chosen) as img:
        assert img.crs.to_epsg() == 32632
        assert img.width == 366
    from qgis.core import QgsProcessingException
    with pytest.raises(QgsProcessingException, match="no granule in UTM "
                       "zone 33.*31, 32"):
        run({"INPUT": str(path), "UTM_ZONE": 33,
             "OUTPUT": str(tmp_path / "none.tif")})


def test_l2a_takes_each_band_from_its_finest_folder(products):
    path = products("l2a_folder", **LAYOUTS["l2a_folder"])
    product = discovery.open_product(str(path))
    granule = product.granules[0]
    assert product.band_resolution("B04") == 10
    assert product.band_resolution("B8A") == 20
    assert product.band_resolution("B09") == 60
    assert granule.band_files["B04"][10].endswith("R10m/T31UFQ_20230614T105629"
                                                 "_B04_10m.jp2")
    assert product.offsets["B04"] == -1000
    assert (product.nodata, product.saturated) == (0, 65535)


@pytest.mark.usefixtures("qgis_app")
def test_b10_on_l2a_is_a_clear_error(products, tmp_path):
    from qgis.core import QgsProcessingException
    path = products("l2a_folder", **LAYOUTS["l2a_folder"])
    with pytest.raises(QgsProcessingException,
                       match=r"^L2A products have no B10 .*L1C product\.$"):
        run({"INPUT": str(path), "RED": "B10",
             "OUTPUT": str(tmp_path / "b10.tif")})


def test_metadata_facts_come_from_the_xml(products):
    new = discovery.open_product(str(products("l1c_folder",
                                              **LAYOUTS["l1c_folder"])))
    old = discovery.open_product(str(products(
        "l1c_old_baseline", **LAYOUTS["l1c_old_baseline"])))
    oper = discovery.open_product(str(products(
        "l1c_oper_two_tiles", **LAYOUTS["l1c_oper_two_tiles"])))
    assert new.baseline == "05.09" and new.offsets["B02"] == -1000
    assert old.baseline == "03.01" and old.offsets == {}
    assert oper.baseline.startswith("02.") and oper.offsets == {}
    assert oper.tiles == ["31UFQ", "31UGQ"]
    assert new.sensing_date == "2023-06-14"


def test_zip_is_read_in_place(products, tmp_path):
    path = products("l1c_zip", **LAYOUTS["l1c_zip"])
    before = sorted(os.listdir(path.parent))
    product = discovery.open_product(str(path))
    granule = product.granules[0]
    band = product.band_file(granule, "B04", 10)
    assert band.startswith("/vsizip/{}/".format(path))
    with zipfile.ZipFile(path) as archive:
        assert band.split(".zip/", 1)[1] in archive.namelist()
    assert sorted(os.listdir(path.parent)) == before
