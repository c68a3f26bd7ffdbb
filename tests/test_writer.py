"""The GeoTIFF writer on synthetic blocks: the same pixels whichever GDAL
binding writes them, overviews made from the blocks as GDAL would average
them, and failures or cancels while the output is copied into place leave
nothing behind, in the output folder or the scratch folder."""

import contextlib
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import rasterio

from sentinel2_equalizer.core.output import (cog, geotiff,
                                             staging as tiff_writer)
from sentinel2_equalizer.core.gdal import native
from sentinel2_equalizer.core.output.encoding import Encoding
from sentinel2_equalizer.core.errors import Cancelled, OutputError
from sentinel2_equalizer.core.pixels.grid import Grid
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


GRID = Grid(32631, 10, 600000.0, 5500020.0, WIDTH, HEIGHT)


def write(path, overviews=True, progress=None, encoding=None, scratch=None):
    geotiff.write_geotiff(str(path), GRID, blocks(), TAGS, DESCRIPTIONS,
                          progress or Progress(), overviews,
                          encoding=encoding, scratch_dir=scratch)


def test_both_gdal_bindings_write_the_same_pixels(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    write(tmp_path / "osgeo.tif", scratch=scratch)
    with monkeypatch.context() as without:
        without.setitem(sys.modules, "osgeo", None)   # rasterio alone
        write(tmp_path / "rasterio.tif", scratch=scratch)
    with rasterio.open(tmp_path / "osgeo.tif") as img, \
            rasterio.open(tmp_path / "rasterio.tif") as other:
        assert img.overviews(1) == other.overviews(1) == [2, 4]
        assert np.array_equal(img.read(), other.read())
        assert np.array_equal(img.dataset_mask(), other.dataset_mask())
        # GDAL's overviews (rasterio alone) against those made from the
        # blocks: both average the exact pixels, GDAL counting no-data
        # pixels differently at the edge of the mask.
        for level in range(2):
            shape = (3,) + tuple(-(-n // (2 << level))
                                 for n in (HEIGHT, WIDTH))
            diff = np.abs(img.read(out_shape=shape).astype(int)
                          - other.read(out_shape=shape))
            print("overview", level, "mean difference", diff.mean())
            assert diff.mean() < 1.5
        assert img.block_shapes[0] == (512, 512)
        assert img.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "YCbCr JPEG"
        assert img.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert img.tags()["S2EQ_BANDS"] == "B04,B03,B02"
        assert img.descriptions == other.descriptions == tuple(DESCRIPTIONS)
        assert img.crs.to_epsg() == other.crs.to_epsg() == 32631
        assert np.array_equal(img.dataset_mask() > 0, blocks_mask() > 0)
    assert sorted(os.listdir(tmp_path)) == ["osgeo.tif", "rasterio.tif",
                                            "scratch"]
    assert os.listdir(scratch) == []


def reference_overview(rgb, mask, factor):
    """The mean of the valid pixels in each factor x factor cell, rounded
    to nearest, halving one level at a time; valid where any pixel is."""
    valid = mask > 0
    for _ in range(factor.bit_length() - 1):
        rows, cols = valid.shape
        rgb = np.pad(rgb * valid, ((0, 0), (0, rows % 2), (0, cols % 2)))
        valid = np.pad(valid, ((0, rows % 2), (0, cols % 2)))
        cells = rgb.reshape(3, rgb.shape[1] // 2, 2, rgb.shape[2] // 2, 2)
        counts = valid.reshape(valid.shape[0] // 2, 2,
                               valid.shape[1] // 2, 2).sum(axis=(1, 3))
        totals = cells.astype(np.int64).sum(axis=(2, 4))
        rgb = np.where(counts > 0, np.floor(totals / np.maximum(counts, 1)
                                            + 0.5), 0).astype(np.uint8)
        valid = counts > 0
    return rgb, valid


def test_overviews_are_the_means_of_the_valid_pixels(tmp_path):
    write(tmp_path / "rgb.tif", encoding=Encoding("DEFLATE", "RGB", 0))
    rgb = np.zeros((3, HEIGHT, WIDTH), np.uint8)
    for (top, rows, left, cols), part, _ in blocks():
        rgb[:, top:top + rows, left:left + cols] = part
    with rasterio.open(tmp_path / "rgb.tif") as img:
        assert np.array_equal(img.read(), rgb)            # lossless
        for level, factor in enumerate(img.overviews(1)):
            expected, valid = reference_overview(rgb, blocks_mask(), factor)
            shape = expected.shape[1:]
            got = img.read(out_shape=(3,) + shape)
            assert np.array_equal(got, expected), factor
            with rasterio.open(tmp_path / "rgb.tif",
                               overview_level=level) as small:
                assert np.array_equal(small.dataset_mask() > 0, valid)


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
def test_a_disk_that_fills_during_the_copy_leaves_nothing(
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


# A close that fails on the full disk must not reach the user as an
# "Exception ignored" traceback (GDAL 3.7+ with its exceptions on).
@pytest.mark.filterwarnings(
    "error::pytest.PytestUnraisableExceptionWarning")
def test_a_full_scratch_folder_leaves_nothing(tmp_path):
    with tmpfs(tmp_path / "scratch", 256 * 1024) as scratch:
        with pytest.raises(OutputError, match="Check that the disk has room"):
            write(tmp_path / "rgb.tif", scratch=scratch)
        assert os.listdir(scratch) == []
    assert os.listdir(tmp_path) == ["scratch"]


def test_a_cancel_during_the_copy_leaves_nothing(tmp_path):
    logged = []
    progress = Progress(is_cancelled=lambda: bool(logged), log=logged.append)
    with pytest.raises(Cancelled):
        write(tmp_path / "rgb.tif", progress=progress)
    assert logged == [geotiff.COPY_MESSAGE]
    assert os.listdir(tmp_path) == []


def test_a_cancelled_copy_returns_at_once_and_tidies_up(tmp_path,
                                                         monkeypatch):
    """The caller leaves a copy that does not stop in time; the copy
    deletes its file when GDAL lets go of it."""
    path = tmp_path / "rgb.tif"
    # Asked to stop at once, and not waited for.
    monkeypatch.setattr(native, "POLL_SECONDS", 0.001)
    monkeypatch.setattr(native, "STOP_GRACE_SECONDS", 0.0)
    where = {"width": WIDTH, "height": HEIGHT, "crs": "EPSG:32631",
             "transform": GRID.transform}
    with tiff_writer.open_staging(str(tmp_path), where, [2, 4], TAGS,
                                  DESCRIPTIONS,
                                  geotiff.GDAL_WRITE_OPTIONS) as staging:
        for (top, _, left, _), rgb, mask in blocks():
            staging.write(top, left, rgb, mask)
        started = time.perf_counter()
        with pytest.raises(Cancelled):
            cog.write_cog(staging, str(path),
                          Encoding().creation_options(),
                          geotiff.GDAL_WRITE_OPTIONS, cancelled=lambda: True)
        assert time.perf_counter() - started < 0.5
    for thread in threading.enumerate():
        if thread.name == "s2eq-cog":
            thread.join(10)
    assert os.listdir(tmp_path) == []


def test_a_cancelled_write_closes_its_staging_file_in_the_background(
        tmp_path):
    """Cancel ends the run at once; the staging file (no name in the
    scratch folder) is closed by a thread the plugin waits for before
    QGIS shuts GDAL down."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    written = []
    progress = Progress(is_cancelled=lambda: bool(written))
    with pytest.raises(Cancelled):
        geotiff.write_geotiff(str(tmp_path / "rgb.tif"), GRID, blocks(),
                              TAGS, DESCRIPTIONS, progress,
                              advance=written.append, scratch_dir=scratch)
    assert written and os.listdir(scratch) == []
    native.wait_for_detached()
    assert not [t for t in threading.enumerate()
                if t.name == "s2eq-staging"]
    assert os.listdir(tmp_path) == ["scratch"]
