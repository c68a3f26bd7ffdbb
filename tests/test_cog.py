"""Every output is a Cloud Optimized GeoTIFF.

The core's outputs (each method, colour mode, resolution and compression,
a mixed-resolution band combination and a mosaic) pass GDAL's own COG
validator, and are tiled with overviews down to one tile, a per-dataset
no-data mask and the compression asked for, at every level. A reader over
HTTP (GDAL's /vsicurl/, from a local server with Range requests) gets the
smallest overview and one full-resolution block, masks included, exactly
as from the file, while fetching a small part of it.
"""

import http.client
import os
import threading

import numpy as np
import pytest
from osgeo import gdal

from cog_check import block_pieces, cog_report, read_parts, read_remote
from range_server import served
from sentinel2_equalizer.core.output.geotiff import TILE
from sentinel2_equalizer.core.mosaic import mosaic
from sentinel2_equalizer.core.render import Options, run

#: 10 m pixels a side of the products: 3 x 3 output tiles at 10 m (two
#: overviews), 2 x 2 at 20 m (one), a single tile at 60 m (183 pixels,
#: which needs none); small enough to write in under a second.
SIZE = 1098
NATURAL = ("B04", "B03", "B02")
#: SWIR, narrow NIR (20 m) and red (10 m): bands of two resolutions on one
#: grid.
MIXED = ("B12", "B8A", "B04")
NEIGHBOURS = ("31UFQ", "31UGQ")
MOSAIC = "mosaic"
#: The core's runs, by name: Options fields besides product and output.
RUNS = {
    "default": {},
    "contrast-limited": {"method": "contrast-limited"},
    "adaptive": {"method": "adaptive", "tile_size": 3000},  # 4 x 4 tiles
    "luminance": {"colour": "luminance"},
    "adaptive-luminance": {"method": "adaptive", "colour": "luminance",
                           "tile_size": 3000},
    "20m": {"resolution": 20},
    "60m": {"resolution": 60},
    "B12-B8A-B04": {"bands": MIXED},
    "B12-B8A-B04-60m": {"bands": MIXED, "resolution": 60},
    "deflate": {"compression": "DEFLATE"},
    "zstd": {"compression": "ZSTD"},
    "jpeg-quality-60": {"jpeg_quality": 60},
}
OUTPUTS = list(RUNS) + [MOSAIC]
#: The compression each output must have, at every level, and IMAGE_STRUCTURE
#: items beyond it. GDAL says "YCbCr JPEG" for JPEG in YCbCr.
COMPRESSION = {"deflate": "DEFLATE", "zstd": "ZSTD"}
STRUCTURE = {"jpeg-quality-60": {"JPEG_QUALITY": "60"}}

#: The full-resolution block read over HTTP, (column, row): the west edge
#: of the middle row, where the products' no-data wedge (s2products: the
#: swath edge, in the south-west) cuts across a whole 512 x 512 block.
NODATA_BLOCK = (0, 1)
#: /vsicurl/ reads whole chunks of this many bytes (CPL_VSIL_CURL_CHUNK_SIZE).
CHUNK = 16384


@pytest.fixture(scope="module")
def outputs(products, tmp_path_factory):
    """``outputs(name)``: the path of the output of RUNS[name] (or of the
    mosaic), written on first use, all in one folder."""
    folder = tmp_path_factory.mktemp("cog")
    made = {}

    def output(name):
        if name not in made:
            path = str(folder / (name + ".tif"))
            if name == MOSAIC:
                mosaic([products("cog-" + tile, size=600, tiles=(tile,),
                                 tile_grid=NEIGHBOURS, bands=NATURAL)
                        for tile in NEIGHBOURS], path, NATURAL)
            else:
                scene = products("cog-scene", size=SIZE,
                                 bands=tuple(sorted(set(NATURAL + MIXED))))
                run(Options(product=str(scene), output=path, **RUNS[name]))
            made[name] = path
        return made[name]
    return output


@pytest.mark.parametrize("name", OUTPUTS)
def test_gdal_finds_a_valid_cloud_optimized_geotiff(outputs, name):
    report = cog_report(outputs(name))
    assert report.errors == [], "\n".join(report.errors)
    assert report.warnings == [], "\n".join(report.warnings)


def levels(path):
    """The full resolution, then each overview, as GDAL datasets."""
    dataset = gdal.Open(path)
    first = dataset.GetRasterBand(1)
    return [dataset] + [first.GetOverview(i).GetDataset()
                        for i in range(first.GetOverviewCount())]


@pytest.mark.parametrize("name", OUTPUTS)
def test_tiles_overviews_mask_and_compression_at_every_level(outputs, name):
    path = outputs(name)
    found = levels(path)
    full = found[0]
    if max(full.RasterXSize, full.RasterYSize) > TILE:
        assert len(found) > 1, "no overviews on a file larger than a tile"
    smallest = found[-1]
    assert max(smallest.RasterXSize, smallest.RasterYSize) <= TILE
    for level, dataset in enumerate(found):
        where = "level {} ({} x {})".format(level, dataset.RasterXSize,
                                            dataset.RasterYSize)
        if level:
            above = found[level - 1]
            assert (dataset.RasterXSize, dataset.RasterYSize) == (
                -(-above.RasterXSize // 2), -(-above.RasterYSize // 2)), where
        assert dataset.RasterCount == 3, where
        for index in range(1, 4):
            band = dataset.GetRasterBand(index)
            assert band.DataType == gdal.GDT_Byte, where
            assert band.GetBlockSize() == [TILE, TILE], where
            assert band.GetMaskFlags() == gdal.GMF_PER_DATASET, where
        structure = dataset.GetMetadata("IMAGE_STRUCTURE")
        compression = structure.get("COMPRESSION")
        if name in COMPRESSION:
            assert compression == COMPRESSION[name], where
        else:
            assert compression in ("JPEG", "YCbCr JPEG"), where
        for key, value in STRUCTURE.get(name, {}).items():
            assert structure.get(key) == value, where
    # The mask is inside the file, not a side-car .msk.
    assert full.GetFileList() == [path]


@pytest.fixture(scope="module")
def remote(outputs):
    """The default output, the Parts of it read from the file and over
    HTTP, and the server's log of that read."""
    path = outputs("default")
    local = read_parts(path, NODATA_BLOCK)
    with served(os.path.dirname(path)) as server:
        parts = read_remote(server.url(os.path.basename(path)), NODATA_BLOCK)
        log = list(server.log)
    return path, local, parts, log


def test_a_remote_reader_gets_what_the_file_holds(remote):
    path, local, parts, log = remote
    for part in ("overview", "overview_mask", "block", "block_mask"):
        np.testing.assert_array_equal(getattr(parts, part),
                                      getattr(local, part), err_msg=part)
    assert parts.window == (0, TILE, TILE, TILE)
    assert parts.overview.shape[0] == 3
    # The masks mark the wedge: no data in the south-west, data in the
    # north-east, at both levels.
    for mask in (parts.block_mask, parts.overview_mask):
        assert set(np.unique(mask)) == {0, 255}
        assert mask[-1, 0] == 0 and mask[0, -1] == 255


def test_a_remote_reader_fetches_an_overview_and_a_block_not_the_file(
        remote):
    path, _, _, log = remote
    fetched = sum(request.sent for request in log)
    # Every byte of the blocks decoded had to come (the counts are honest),
    # and little more: the header (a chunk: a COG keeps every IFD in its
    # first bytes), and for each of the two places read (the overview's
    # block, the full-resolution block, each with its mask) its rounding
    # out to whole chunks, at most two chunks. (Measured: 2.1 chunks more
    # than the blocks, 3.2 before the output was a COG.)
    needed = sum(size for _, size in block_pieces(path, NODATA_BLOCK))
    assert needed <= fetched <= needed + 5 * CHUNK, log
    # Of 14 blocks (9 full-resolution, 4 + 1 of the overviews) two are
    # read; with the header and the chunk rounding that is 20-30 % of the
    # file (measured: 164 of 803 kB; 129 of 473 kB before the output was a
    # COG, with other JPEG settings).
    assert fetched < os.path.getsize(path) / 3, log


def test_a_remote_reader_needs_one_request_a_place(remote):
    """A HEAD for the size, the header with every IFD, then one range a
    block read: the block with its mask right after it. (Before the output
    was a COG the overviews' IFDs came after the full resolution's blocks:
    one more request.)"""
    log = remote[3]
    assert [request.method for request in log] == ["HEAD"] + ["GET"] * 3, log
    assert log[1].range == "bytes=0-{}".format(CHUNK - 1), log


def test_the_test_server_answers_byte_ranges(tmp_path):
    data = bytes(range(256)) * 100
    (tmp_path / "f.tif").write_bytes(data)
    with served(tmp_path) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port,
                                                timeout=10)

        def ask(method, path="/f.tif", byte_range=None):
            headers = {"Range": byte_range} if byte_range else {}
            connection.request(method, path, headers=headers)
            answer = connection.getresponse()
            return answer.status, dict(answer.getheaders()), answer.read()

        status, headers, body = ask("HEAD")
        assert (status, body) == (200, b"")
        assert headers["Content-Length"] == str(len(data))
        assert headers["Accept-Ranges"] == "bytes"
        status, headers, body = ask("GET", byte_range="bytes=10-19")
        assert (status, body) == (206, data[10:20])
        assert headers["Content-Range"] == "bytes 10-19/25600"
        assert headers["Content-Length"] == "10"
        assert ask("GET", byte_range="bytes=25590-")[2] == data[25590:]
        assert ask("GET", byte_range="bytes=-5")[2] == data[-5:]
        assert ask("GET", byte_range="bytes=25000-99999")[2] == data[25000:]
        status, headers, body = ask("GET", byte_range="bytes=30000-")
        assert (status, headers["Content-Range"], body) == (
            416, "bytes */25600", b"")
        assert ask("GET")[:3:2] == (200, data)
        assert ask("GET", "/missing.tif")[0] == 404
        assert ask("GET", "/../f.tif")[0] == 404
        assert server.url("f.tif") == "http://127.0.0.1:{}/f.tif".format(
            server.port)
        assert server.requests == 9
        assert server.bytes_sent == 10 + 10 + 5 + 600 + len(data)
        # Left open: leaving served() closes it.
    assert not [t for t in threading.enumerate()
                if t.name.startswith("cog_check")]
