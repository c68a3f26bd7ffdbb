"""A product over HTTP, read in place: its .SAFE folder (which the server
will not list: the files are found from its manifest) and its .zip give
the pixels the product gives from disk, with the same metadata and the
same checksum checks; a quick-look of the zip reads a part of it. The
server is a real one on 127.0.0.1 (tests/http_server.py), started and
stopped here."""

import os

import numpy as np
import pytest
import rasterio

from http_server import serving
from s2products import make_product
from sentinel2_equalizer import api
from sentinel2_equalizer.core.errors import ChecksumError, ProductError
from sentinel2_equalizer.core.product.discovery import open_product

SIZE = 366
BANDS = ("B04", "B03", "B02")


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    folder = tmp_path_factory.mktemp("remote_safe")
    safe = make_product(folder, level="L2A", size=SIZE, bands=list(BANDS))
    zipped = make_product(folder, level="L2A", size=SIZE, bands=list(BANDS),
                          zipped=True)
    local = folder / "local.tif"
    api.equalize(str(safe), str(local))
    return {"folder": folder, "safe": safe, "zip": zipped, "local": local}


@pytest.fixture(scope="module")
def server(products):
    with serving(products["folder"]) as running:
        yield running


def pixels(path):
    with rasterio.open(path) as dataset:
        return dataset.read(), dataset.transform, dataset.crs


@pytest.mark.parametrize("kind", ["safe", "zip"])
def test_same_pixels_as_from_disk(products, server, kind, tmp_path):
    url = server.url(products[kind].name)
    output = tmp_path / "remote.tif"
    messages = []
    api.equalize(url, str(output), log=messages.append)
    remote, local = pixels(output), pixels(products["local"])
    assert np.array_equal(remote[0], local[0])
    assert remote[1:] == local[1:]
    said = "\n".join(messages)
    assert "Band files verified against manifest.safe: 3" in said
    fetched = [m for m in messages if m.startswith("Read ")]
    assert fetched and fetched[0].endswith("MB over the network.")
    # Nothing was fetched whole by a plain GET: every band read was a
    # range.
    assert all(r.range for r in server.requests(".jp2") if r.sent)


def test_folder_metadata_as_on_disk(products, server):
    remote = open_product(server.url(products["safe"].name))
    local = open_product(str(products["safe"]))
    assert (remote.name, remote.level, remote.baseline, remote.offsets,
            remote.nodata, remote.saturated) == (
        local.name, local.level, local.baseline, local.offsets,
        local.nodata, local.saturated)
    assert [g.band_files for g in remote.granules] == [
        g.band_files for g in local.granules]
    assert remote.metadata_label == server.url(
        products["safe"].name + "/MTD_MSIL2A.xml")
    # Named as the user knows it: the URL, not GDAL's /vsicurl/ name.
    assert "/vsicurl/" not in remote.metadata_label
    assert remote.folders() == []


def test_metadata_file_url_is_a_product(products, server):
    product = open_product(server.url(products["safe"].name
                                      + "/MTD_MSIL2A.xml"))
    assert product.name == products["safe"].name[:-len(".SAFE")]


def test_quick_look_of_zip_reads_part_of_it(products, server, tmp_path):
    # An L2A product has 60 m files of its 10 m bands: a 60 m run reads
    # them (and checks them whole), not the 10 m ones.
    server.reset_log()
    messages = []
    api.equalize(server.url(products["zip"].name), str(tmp_path / "q.tif"),
                 resolution=60, log=messages.append)
    size = os.path.getsize(products["zip"])
    assert server.bytes_sent(products["zip"].name) < size / 2
    assert "Band files verified against manifest.safe: 3 (SHA3-256)." in \
        messages


def test_quick_look_of_l1c_folder_skips_the_hash(products, server,
                                                  tmp_path):
    # L1C has only the 10 m files: a 60 m run decodes a reduced level of
    # each, and hashing would fetch them whole. (A small JPEG2000 file of
    # one tile is fetched whole by its decoder anyway; a tiled one of a
    # full product, or a COG, is not.)
    l1c = products["folder"] / "l1c"
    l1c.mkdir(exist_ok=True)
    safe = next(l1c.glob("*.SAFE"), None) or make_product(
        l1c, level="L1C", size=SIZE, bands=list(BANDS))
    server.reset_log()
    messages = []
    api.equalize(server.url("l1c/" + safe.name), str(tmp_path / "q.tif"),
                 resolution=60, log=messages.append)
    assert any(m.startswith("Not verified, as the run reads only part of "
                            "them over the network: B04") for m in messages)
    assert not any(m.startswith("Band files verified") for m in messages)


def test_damaged_band_over_http_fails_its_checksum(products, server,
                                                   tmp_path):
    # A copy of the folder with one byte of a band changed in place: same
    # size, so only the checksum can tell.
    import shutil
    damaged = products["folder"] / "damaged" / products["safe"].name
    if not damaged.exists():
        shutil.copytree(products["safe"], damaged)
        band = next(damaged.glob("GRANULE/*/IMG_DATA/R10m/*_B03_10m.jp2"))
        data = bytearray(band.read_bytes())
        data[len(data) // 2] ^= 0xFF
        band.write_bytes(bytes(data))
    output = tmp_path / "out.tif"
    with pytest.raises(ChecksumError, match="B03"):
        api.equalize(server.url("damaged/" + damaged.name), str(output))
    assert not output.exists()


def test_missing_product_is_named(server):
    with pytest.raises(ProductError) as caught:
        open_product(server.url("nothing-here.SAFE"))
    assert server.url("nothing-here.SAFE") in str(caught.value)
    with pytest.raises(ProductError, match="HTTP 404"):
        open_product(server.url("nothing-here.zip"))
