"""A product over HTTP, read in place: its .SAFE folder (which the server
will not list: the files are found from its manifest) and its .zip give
the pixels the product gives from disk, with the same metadata and the
same checksum checks; a quick-look of the zip reads a part of it, and
band files a run reads whole are fetched once. The
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


def l1c_product(products):
    """An L1C product in the served folder: only 10 m files of its 10 m
    bands."""
    l1c = products["folder"] / "l1c"
    l1c.mkdir(exist_ok=True)
    return next(l1c.glob("*.SAFE"), None) or make_product(
        l1c, level="L1C", size=SIZE, bands=list(BANDS))


def band_file_sends(server, safe):
    """{band file's name: [bytes sent by each request]} of ``safe``'s
    JPEG2000 files."""
    sends = {}
    for request in server.requests(".jp2"):
        if request.method == "GET" and safe.name in request.path:
            sends.setdefault(os.path.basename(request.path), []).append(
                request.sent)
    return sends


@pytest.mark.parametrize("resolution", [None, 60])
def test_files_read_whole_are_fetched_once_and_verified(
        products, server, resolution, tmp_path):
    # L1C has only 10 m files: the full run reads them whole, and so does
    # a 60 m run (JPEG2000's reduced levels are spread through every
    # tile): each is fetched once, in a few large requests, into the
    # scratch folder, then decoded and hashed there.
    safe = l1c_product(products)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    server.reset_log()
    messages = []
    api.equalize(server.url("l1c/" + safe.name), str(tmp_path / "q.tif"),
                 resolution=resolution, log=messages.append,
                 scratch_dir=str(scratch))
    sends = band_file_sends(server, safe)
    files = {os.path.basename(p): os.path.getsize(p)
             for p in safe.glob("GRANULE/*/IMG_DATA/*.jp2")}
    assert sorted(sends) == sorted(files)
    for name, sent in sends.items():
        # every byte once (GDAL may ask for its first bytes again)
        assert files[name] <= sum(sent) <= files[name] + (64 << 10), name
        assert len(sent) <= 1 + files[name] // (4 << 20)
    assert any(m.startswith("Fetching B04, B03, B02 whole (")
               for m in messages)
    assert sorted(m.split()[1] for m in messages
                  if m.startswith("Fetched ")) == ["B02", "B03", "B04"]
    assert "Band files verified against manifest.safe: 3 (SHA3-256)." in \
        messages
    assert os.listdir(scratch) == []                   # the copies are gone


def test_a_mosaic_fetches_each_product_s_files_once(products, server,
                                                   tmp_path):
    # two dates of the tile, as a folder and as a zip, each read whole
    later = products["folder"] / "later"
    later.mkdir(exist_ok=True)
    zipped = next(later.glob("*.zip"), None) or make_product(
        later, level="L2A", size=SIZE, bands=list(BANDS), zipped=True,
        sensing="20230704T105631")
    server.reset_log()
    messages = []
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    api.mosaic([server.url(products["safe"].name),
                server.url("later/" + zipped.name)], str(tmp_path / "m.tif"),
               log=messages.append, scratch_dir=str(scratch))
    assert sum(m.startswith("Fetching B04, B03, B02 whole (")
               for m in messages) == 2
    assert sum(m.startswith("Band files verified against manifest.safe")
               for m in messages) == 2
    files = {os.path.basename(p): os.path.getsize(p) for p in
             products["safe"].glob("GRANULE/*/IMG_DATA/R10m/*.jp2")}
    sends = band_file_sends(server, products["safe"])
    assert sorted(sends) == sorted(files)
    for name, sent in sends.items():
        assert files[name] <= sum(sent) <= files[name] + (64 << 10), name
    # the zip read no more than when it is equalized alone
    sent = sum(r.sent for r in server.requests(zipped.name))
    server.reset_log()
    api.equalize(server.url("later/" + zipped.name), str(tmp_path / "z.tif"))
    alone = sum(r.sent for r in server.requests(zipped.name))
    assert sent <= alone + (64 << 10)
    assert os.listdir(scratch) == []


def test_a_run_cancelled_while_fetching_leaves_nothing(products, server,
                                                     tmp_path):
    from sentinel2_equalizer.core.errors import Cancelled
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    output = tmp_path / "q.tif"
    messages = []
    fetching = lambda: any(m.startswith("Fetching") for m in messages)  # noqa
    with pytest.raises(Cancelled):
        api.equalize(server.url("l1c/" + l1c_product(products).name),
                     str(output), log=messages.append,
                     is_cancelled=fetching, scratch_dir=str(scratch))
    assert fetching()
    assert not output.exists()
    assert os.listdir(scratch) == []
    assert os.listdir(tmp_path) == ["scratch"]


def test_an_area_reads_by_range_and_skips_the_hash(products, server,
                                                   tmp_path):
    # An area reads only its tiles of each file: nothing is fetched whole,
    # and hashing would fetch the files whole.
    safe = l1c_product(products)
    with rasterio.open(next(safe.glob("GRANULE/*/IMG_DATA/*_B04.jp2"))) \
            as band:
        bounds = band.bounds
    x = (bounds.left + bounds.right) / 2
    y = (bounds.bottom + bounds.top) / 2
    server.reset_log()
    messages = []
    api.equalize(server.url("l1c/" + safe.name), str(tmp_path / "q.tif"),
                 extent=(x - 300, y - 300, x + 300, y + 300),
                 log=messages.append)
    assert any(m.startswith("Not verified, as the run reads only part of "
                            "them over the network: B04") for m in messages)
    assert not any(m.startswith("Band files verified") or
                   m.startswith("Fetching") for m in messages)
    assert all(request.range for request in server.requests(".jp2")
               if request.method == "GET" and request.sent)


def test_copies_left_by_a_killed_run_are_removed(products, server,
                                                 tmp_path):
    import fcntl
    scratch = tmp_path / "scratch"
    dead = scratch / "s2eq-k1lled00.fetched"        # its run was killed
    dead.mkdir(parents=True)
    (dead / ".lock").write_bytes(b"")
    (dead / "0-T31UFQ_B04.jp2").write_bytes(b"\0" * 1000)
    live = scratch / "s2eq-running1.fetched"        # a run still going
    users = scratch / "s2eq-mine.fetched"           # not a run's name
    users.mkdir()
    (users / ".lock").write_bytes(b"")
    live.mkdir()
    (live / ".lock").write_bytes(b"")
    unrelated = scratch / "s2eq-other.staging"
    unrelated.mkdir()
    with open(live / ".lock", "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        api.equalize(server.url("l1c/" + l1c_product(products).name),
                     str(tmp_path / "q.tif"), scratch_dir=str(scratch))
        assert sorted(os.listdir(scratch)) == [
            "s2eq-mine.fetched", "s2eq-other.staging",
            "s2eq-running1.fetched"]


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
