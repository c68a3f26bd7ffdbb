"""STAC items as products, in the layouts of the catalogues users search
(tests/stac_fixtures.py): Earth Search's sentinel-2-c1-l2a (COG assets,
``bands``, ``raster:bands`` offset -0.1), sentinel-2-l2a (COG assets
with the offset taken out, and JPEG2000 ones), sentinel-2-l1c (JPEG2000
assets), and the Planetary Computer's sentinel-2-l2a (band keys, signed
URLs). Each gives the picture its SAFE twin gives from disk; a 60 m
quick-look reads the COGs' overviews, under 10 % of their bytes, as the
HTTP server on 127.0.0.1 counts them; an ItemCollection is its items."""

import json
import os

import numpy as np
import pytest
import rasterio

import stac_fixtures as fixtures
from http_server import serving
from s2products import make_product
from sentinel2_equalizer import api
from sentinel2_equalizer.core.errors import ChecksumError, ProductError
from sentinel2_equalizer.core.product.discovery import (expand_products,
                                                        open_product)

SIZE = 366
BANDS = ["B04", "B03", "B02", "B8A", "SCL"]
#: Every pixel in the histograms: a sample is drawn block by block, and
#: a COG's blocks are not its JPEG2000 twin's, so only the whole
#: histogram is the same from both.
ALL = {"sample_percent": 100}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """Products, their COG assets and twins made from disk, in a folder the
    server serves."""
    folder = tmp_path_factory.mktemp("stac")
    l2a = make_product(folder, level="L2A", size=SIZE, bands=BANDS)
    l1c = make_product(folder, level="L1C", size=SIZE,
                       bands=["B04", "B03", "B02"])
    twins = {}
    for name, safe in (("l2a", l2a), ("l1c", l1c)):
        twins[name] = folder / "{}.tif".format(name)
        api.equalize(str(safe), str(twins[name]), **ALL)
    return {
        "folder": folder, "l2a": l2a, "l1c": l1c, "twins": twins,
        "cogs": fixtures.cog_assets(l2a, folder / "cogs"),
        "cogs_offset_out": fixtures.cog_assets(l2a, folder / "cogs0",
                                               remove_offset=True),
        "l1c_facts": fixtures.cog_assets(l1c, folder / "l1c_cogs"),
    }


@pytest.fixture(scope="module")
def server(catalogue):
    with serving(catalogue["folder"]) as running:
        yield running


def pixels(path):
    with rasterio.open(path) as dataset:
        return dataset.read(), dataset.transform, dataset.crs


def same_picture(output, twin):
    made, expected = pixels(output), pixels(twin)
    return np.array_equal(made[0], expected[0]) and made[1:] == expected[1:]


def write_item(catalogue, name, item):
    return fixtures.write_json(catalogue["folder"] / name, item)


def test_c1_item_on_disk_gives_its_safe_twin(catalogue, tmp_path):
    item = fixtures.c1_l2a_item(catalogue["l2a"], catalogue["cogs"],
                                "cogs/")
    path = write_item(catalogue, "c1.json", item)
    output = tmp_path / "c1.tif"
    messages = []
    api.equalize(str(path), str(output), log=messages.append, **ALL)
    assert same_picture(output, catalogue["twins"]["l2a"])
    assert ("Band files verified against the STAC item's file:checksum: 3 "
            "(SHA-256).") in messages
    # Nothing came over the network.
    assert not any(m.startswith("Read ") for m in messages)


def test_c1_item_over_http_gives_its_safe_twin(catalogue, server, tmp_path):
    item = fixtures.c1_l2a_item(catalogue["l2a"], catalogue["cogs"],
                                server.url("cogs/"))
    write_item(catalogue, "c1_http.json", item)
    output = tmp_path / "c1.tif"
    messages = []
    api.equalize(server.url("c1_http.json"), str(output),
                 log=messages.append, **ALL)
    assert same_picture(output, catalogue["twins"]["l2a"])
    assert any(m.startswith("Read ") and m.endswith(
        " MB over the network.") for m in messages)


def test_relative_hrefs_resolve_against_the_item_url(catalogue, server):
    item = fixtures.c1_l2a_item(catalogue["l2a"], catalogue["cogs"],
                                "cogs/")
    write_item(catalogue, "c1_relative.json", item)
    product = open_product(server.url("c1_relative.json"))
    assert product.source.shown(product.granules[0].band_files["B04"][
        10]) == server.url("cogs/B04.tif")


def test_l2a_item_with_offset_taken_out_gives_its_safe_twin(
        catalogue, server, tmp_path):
    item = fixtures.l2a_item(catalogue["l2a"], catalogue["cogs_offset_out"],
                             server.url("cogs0/"),
                             server.url(catalogue["l2a"].name + "/"))
    write_item(catalogue, "l2a.json", item)
    product = open_product(server.url("l2a.json"))
    assert product.offsets == {}
    # The COG, not the JPEG2000 of the same band, is read.
    assert product.source.gdal_path(
        product.granules[0].band_files["B04"][10]).endswith("cogs0/B04.tif")
    output = tmp_path / "l2a.tif"
    api.equalize(server.url("l2a.json"), str(output), **ALL)
    assert same_picture(output, catalogue["twins"]["l2a"])


def test_l1c_item_with_jpeg2000_assets_gives_its_safe_twin(
        catalogue, server, tmp_path):
    item = fixtures.l1c_jp2_item(catalogue["l1c"], catalogue["l1c_facts"],
                                 server.url(catalogue["l1c"].name + "/"))
    write_item(catalogue, "l1c.json", item)
    product = open_product(server.url("l1c.json"))
    assert product.level == "L1C"
    assert product.source.gdal_path(product.granules[0].band_files["B04"][
        10]).endswith(".jp2")
    output = tmp_path / "l1c.tif"
    api.equalize(server.url("l1c.json"), str(output), **ALL)
    assert same_picture(output, catalogue["twins"]["l1c"])


def test_the_item_is_read_as_the_safe_metadata_is(catalogue, server):
    item = fixtures.c1_l2a_item(catalogue["l2a"], catalogue["cogs"],
                                server.url("cogs/"))
    write_item(catalogue, "c1_http.json", item)
    stac = open_product(server.url("c1_http.json"))
    safe = open_product(str(catalogue["l2a"]))
    assert stac.name == safe.name
    assert (stac.level, stac.baseline, stac.nodata, stac.saturated) == (
        safe.level, safe.baseline, safe.nodata, safe.saturated)
    assert stac.spacecraft == safe.spacecraft
    assert stac.tiles == safe.tiles
    assert stac.quantification == safe.quantification
    for band in ("B04", "B03", "B02", "B8A"):
        assert stac.offsets[band] == safe.offsets[band]
        assert stac.band_resolution(band) == safe.band_resolution(band)
    granule, twin = stac.granules[0], safe.granules[0]
    assert granule.epsg == twin.epsg
    for resolution in (10, 20):
        assert granule.grids[resolution] == twin.grids[resolution]
    # The scene classification, for the cloud options.
    assert stac.source.gdal_path(granule.scl_files[20]).endswith(
        "cogs/SCL.tif")


#: 10 m pixels a side of the quick-look's product: large enough that the
#: COGs' headers (GDAL fetches 16 kB at a time) are a small part of them.
QUICK_LOOK_SIZE = 1098


def test_quick_look_reads_the_overviews(catalogue, server, tmp_path):
    folder = catalogue["folder"] / "large"
    folder.mkdir()
    safe = make_product(folder, level="L2A", size=QUICK_LOOK_SIZE,
                        bands=["B04", "B03", "B02"])
    facts = fixtures.cog_assets(safe, folder / "cogs")
    item = fixtures.c1_l2a_item(safe, facts, server.url("large/cogs/"))
    write_item(catalogue, "large.json", item)
    server.reset_log()
    messages = []
    api.equalize(server.url("large.json"), str(tmp_path / "q.tif"),
                 resolution=60, log=messages.append)
    files = ("B04.tif", "B03.tif", "B02.tif")
    total = sum(os.path.getsize(folder / "cogs" / name) for name in files)
    sent = sum(server.bytes_sent("large/cogs/" + name) for name in files)
    assert 0 < sent < 0.1 * total
    assert any(m.startswith("Not verified, as the run reads only part of "
                            "them over the network") for m in messages)


def test_item_collection_is_its_items(catalogue, server, tmp_path):
    c1 = fixtures.c1_l2a_item(catalogue["l2a"], catalogue["cogs"],
                              server.url("cogs/"))
    l1c = fixtures.l1c_jp2_item(catalogue["l1c"], catalogue["l1c_facts"],
                                server.url(catalogue["l1c"].name + "/"))
    path = write_item(catalogue, "search.geojson",
                      fixtures.item_collection([c1, l1c]))
    assert expand_products([str(path), "other.SAFE"]) == [
        "{}#{}".format(path, c1["id"]), "{}#{}".format(path, l1c["id"]),
        "other.SAFE"]
    remote = expand_products([server.url("search.geojson")])
    assert [open_product(p).level for p in remote] == ["L2A", "L1C"]
    with pytest.raises(ProductError, match="ItemCollection of 2 items"):
        open_product(str(path))
    # A mosaic over a collection of one level: both of its items.
    two = write_item(catalogue, "two.json", fixtures.item_collection([
        c1, dict(c1, id=c1["id"] + "-again", properties=dict(
            c1["properties"], **{"s2:product_uri": "S2B_OTHER.SAFE"}))]))
    messages = []
    api.mosaic([str(two)], str(tmp_path / "m.tif"), log=messages.append)
    assert any("Product 2 of 2" in m for m in messages)


def test_checksum_mismatch_names_the_band(catalogue, server, tmp_path):
    item = fixtures.c1_l2a_item(catalogue["l2a"], catalogue["cogs"],
                                server.url("cogs/"))
    item["assets"]["green"]["file:checksum"] = "1220" + "ab" * 32
    write_item(catalogue, "bad_checksum.json", item)
    output = tmp_path / "out.tif"
    with pytest.raises(ChecksumError, match="Band B03") as caught:
        api.equalize(server.url("bad_checksum.json"), str(output))
    assert "file:checksum" in str(caught.value)
    assert not output.exists()


def test_bands_are_matched_by_names_and_keys(catalogue, server):
    item = fixtures.planetary_item(catalogue["l2a"], catalogue["cogs"],
                                   server.url("cogs/"), "")
    write_item(catalogue, "pc.json", item)
    product = open_product(server.url("pc.json"))
    assert set(product.bands) == {"B02", "B03", "B04", "B8A"}
    # No raster:bands: the offset its baseline (05.09) implies.
    assert product.offsets["B04"] == -1000
    assert product.granules[0].scl_files == {20: "SCL"}


def test_not_an_item_is_named(catalogue, server):
    fixtures.write_json(catalogue["folder"] / "collection.json",
                        {"type": "Collection", "id": "sentinel-2-l2a"})
    with pytest.raises(ProductError, match="is not a STAC item"):
        open_product(server.url("collection.json"))
    (catalogue["folder"] / "page.json").write_text("<html>")
    with pytest.raises(ProductError, match="it is not JSON"):
        open_product(str(catalogue["folder"] / "page.json"))
    no_bands = {"type": "Feature", "id": "x", "properties": {},
                "assets": {"thumbnail": {"href": "t.jpg"}}}
    fixtures.write_json(catalogue["folder"] / "no_bands.json", no_bands)
    with pytest.raises(ProductError, match="no Sentinel-2 band assets"):
        open_product(str(catalogue["folder"] / "no_bands.json"))
    with pytest.raises(ProductError, match="HTTP 404"):
        open_product(server.url("missing-item.json"))
    assert json.loads((catalogue["folder"] / "collection.json").read_text())


@pytest.mark.parametrize("clouds", ["exclude", "mask"])
def test_the_items_scl_asset_is_its_cloud_mask(catalogue, server, tmp_path,
                                               clouds):
    # The SCL asset serves the cloud options as the SAFE's SCL file does:
    # the same clouds left out, the same picture.
    item = fixtures.c1_l2a_item(catalogue["l2a"], catalogue["cogs"],
                                server.url("cogs/"))
    write_item(catalogue, "c1_clouds.json", item)
    twin = tmp_path / "twin.tif"
    api.equalize(str(catalogue["l2a"]), str(twin), clouds=clouds, **ALL)
    output = tmp_path / "item.tif"
    messages = []
    api.equalize(server.url("c1_clouds.json"), str(output), clouds=clouds,
                 log=messages.append, **ALL)
    assert same_picture(output, twin)
    assert any(m.endswith("% clear") for m in messages)
    # And it is not the picture with the clouds kept.
    assert not same_picture(output, catalogue["twins"]["l2a"])
