"""The GeoTIFF writer on synthetic blocks: the same file whichever GDAL
binding writes it, and failures or cancels while the overviews are built
leave nothing behind."""

import contextlib
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import rasterio

from sentinel2_equalizer.core import geotiff, native, overviews
from sentinel2_equalizer.core.errors import Cancelled, OutputError
from sentinel2_equalizer.core.grid import Grid
from sentinel2_equalizer.core.progress import Progress

WIDTH, HEIGHT = 1300, 1100          # not whole tiles; overviews x2 and x4
TAGS = {"S2EQ_BANDS": "B04,B03,B02", "TIFFTAG_SOFTWARE": "test",
        "TIFFTAG_DATETIME": "2023:06:14 10:56:29"}
DESCRIPTIONS = ["B04 equalized", "B03 equalized", "B02 equalized"]


def blocks(width=WIDTH, height=HEIGHT):
    """Smooth RGB with noise and a no-data corner, in writer blocks."""
    rows, cols = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(1).integers(0, 40, (3, height, width))
    rgb = ((np.stack([rows * 0.2, cols * 0.15, (rows + cols) * 0.1])
            + noise) % 256).astype(np.uint8)
    mask = np.where(rows + cols > 300, 255, 0).astype(np.uint8)
    rgb *= (mask > 0)
    out = []
    for top in range(0, height, 512):
        for left in range(0, width, 1024):
            part = (slice(top, top + 512), slice(left, left + 1024))
            out.append(((top, min(512, height - top), left,
                         min(1024, width - left)),
                        rgb[(slice(None),) + part], mask[part]))
    return out


def write(path, overviews=True, progress=None):
    grid = Grid(32631, 10, 600000.0, 5500020.0, WIDTH, HEIGHT)
    geotiff.write_geotiff(str(path), grid, blocks(), TAGS, DESCRIPTIONS,
                          progress or Progress(), overviews)


def test_both_gdal_bindings_write_the_same_file(tmp_path, monkeypatch):
    write(tmp_path / "osgeo.tif")
    with monkeypatch.context() as without:
        without.setitem(sys.modules, "osgeo", None)   # rasterio alone
        write(tmp_path / "rasterio.tif")
    first = (tmp_path / "osgeo.tif").read_bytes()
    assert first == (tmp_path / "rasterio.tif").read_bytes()
    with rasterio.open(tmp_path / "osgeo.tif") as img:
        assert img.overviews(1) == [2, 4]
        assert img.block_shapes[0] == (512, 512)
        assert img.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "YCbCr JPEG"
        assert img.tags()["S2EQ_BANDS"] == "B04,B03,B02"
        assert img.descriptions == tuple(DESCRIPTIONS)
        assert img.crs.to_epsg() == 32631
        assert np.array_equal(img.dataset_mask() > 0, blocks_mask() > 0)
    assert sorted(os.listdir(tmp_path)) == ["osgeo.tif", "rasterio.tif"]


def blocks_mask():
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    for (top, rows, left, cols), _, part in blocks():
        mask[top:top + rows, left:left + cols] = part
    return mask


@contextlib.contextmanager
def tmpfs(folder, size):
    """A tmpfs of ``size`` bytes at ``folder`` (the tests run as root in
    CI)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size={}".format(size),
                    "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture(params=[False, True], ids=["gdal-codes", "gdal-exceptions"])
def gdal_exceptions(request):
    """osgeo.gdal's failure codes, or its exceptions, which anything in
    QGIS's process may turn on for everyone."""
    from osgeo import gdal
    was = gdal.GetUseExceptions()
    (gdal.UseExceptions if request.param else gdal.DontUseExceptions)()
    yield request.param
    (gdal.UseExceptions if was else gdal.DontUseExceptions)()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_disk_that_fills_during_the_overviews_leaves_nothing(
        tmp_path, gdal_exceptions):
    # (With exceptions on, GDAL's complaint as the file closes can only be
    # printed.) The tmpfs unmounts only if no file on it is still open.
    write(tmp_path / "base.tif", overviews=False)
    write(tmp_path / "full.tif")
    base = os.path.getsize(tmp_path / "base.tif")
    full = os.path.getsize(tmp_path / "full.tif")
    assert full - base > 64 * 1024        # room to fail in between
    room = (base + full) // 2 // 4096 * 4096
    with tmpfs(tmp_path / "small", room) as folder:
        with pytest.raises(OutputError, match="Check that the disk has room"):
            write(folder / "rgb.tif")
        assert os.listdir(folder) == []


def test_a_cancel_during_the_overviews_leaves_nothing(tmp_path):
    logged = []
    progress = Progress(is_cancelled=lambda: bool(logged), log=logged.append)
    with pytest.raises(Cancelled):
        write(tmp_path / "rgb.tif", progress=progress)
    assert logged == ["Building overviews"]
    assert os.listdir(tmp_path) == []


def test_a_cancelled_build_returns_at_once_and_tidies_up(tmp_path,
                                                          monkeypatch):
    """The caller leaves a build that does not stop in time; the build
    deletes its file when GDAL lets go of it."""
    path = tmp_path / "base.tif"
    write(path, overviews=False)
    # Asked to stop at once, and not waited for.
    monkeypatch.setattr(native, "POLL_SECONDS", 0.001)
    monkeypatch.setattr(native, "STOP_GRACE_SECONDS", 0.0)
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        overviews.build_overviews(str(path), [2, 4], geotiff.GDAL_WRITE_OPTIONS,
                                  cancelled=lambda: True)
    assert time.perf_counter() - started < 0.5
    for thread in threading.enumerate():
        if thread.name == "s2eq-overviews":
            thread.join(10)
    assert os.listdir(tmp_path) == []
