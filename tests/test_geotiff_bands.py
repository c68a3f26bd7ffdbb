"""SAFE products whose band files are GeoTIFFs (COG), as some archives
redistribute Sen2Cor L2A products: read at every resolution, verified like
any other, and equalized like their JPEG2000 twin.

The tolerance, where there is one. An L2A product has a file of each band
at 10, 20 and 60 m except B08 (10 m only), so B04/B03/B02 are read from
their own files at every resolution and the twins must agree exactly. B08
on a 20 or 60 m grid is read at reduced resolution: the JPEG2000 twin from
its wavelet resolution levels, the GeoTIFF from its overviews (pixel
averages). Those are two different low-pass filters of the same pixels, so
the reduced B08 grids differ, by about the local detail. The test holds
each product to what it can be held to: every pixel of the reduced grid is
exactly what GDAL reads from the overview, and each product's B08 curve
differs from its twin's by no more than the two reduced grids'
distributions do (their largest gap, in output levels, plus one level of
rounding).
"""

import os
import re
import shutil
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling

from sentinel2_equalizer.core.curves import equalize as eq
from sentinel2_equalizer.core.pixels import grid as grids
from sentinel2_equalizer.core.pixels import reading
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.product.discovery import open_product
from sentinel2_equalizer.core.errors import ChecksumError
from sentinel2_equalizer.core.pixels.spool import Spool

BANDS = ("B02", "B03", "B04", "B08")
#: A size whose 20 and 60 m grids and overviews all come out whole.
SIZE = 384


@pytest.fixture(scope="module")
def twins(products):
    """(JPEG2000 product, GeoTIFF product) of the same scene."""
    return tuple(products("twin_" + band_format, level="L2A", size=SIZE,
                          jp2_block=128, bands=BANDS,
                          band_format=band_format)
                 for band_format in ("JPEG2000", "GeoTIFF"))


def run(product, out, **options):
    logs = []
    result = render.run(render.Options(str(product), str(out), **options),
                        log=logs.append)
    with rasterio.open(str(out)) as image:
        return result, image.read(), image.dataset_mask(), logs


def reduced(product, band, resolution):
    """``band`` of ``product`` decoded onto its ``resolution`` grid by the
    core, as a run reads it."""
    opened = open_product(str(product))
    grid, granules = grids.output_grid(opened, resolution,
                                       grids.choose_zone(opened))
    spool = Spool(grid.width, grid.height)
    try:
        reading.spool_bands(opened, granules, [band], grid, [spool],
                            [eq.BandHistogram(1.0)])
        return spool.read(0, grid.height, 0, grid.width)
    finally:
        spool.close()


def shares(plane):
    """Each DN's share as lookup_table computes it (valid pixels only)."""
    counts = eq.histogram(plane, (0, 65535)).astype(np.float64)
    cdf = np.cumsum(counts)
    below = cdf[np.flatnonzero(counts)[0]]
    return np.clip((cdf - below) / (cdf[-1] - below), 0.0, 1.0)


def test_layout_metadata_and_manifest_name_tif_files(twins):
    _, product = twins
    root = ElementTree.parse(str(product / "MTD_MSIL2A.xml")).getroot()
    granules = [e for e in root.iter() if e.tag.endswith("Granule")]
    assert granules and all(g.get("imageFormat") == "GeoTIFF"
                            for g in granules)
    manifest = (product / "manifest.safe").read_text()
    assert re.search(r'href="\./GRANULE/[^"]+/R10m/[^"]+_B08_10m\.tif"',
                     manifest)
    opened = open_product(str(product))
    granule = opened.granules[0]
    for band in BANDS:
        path = opened.band_file(granule, band, opened.band_resolution(band))
        assert path.endswith(".tif")
        with rasterio.open(path) as band_file:
            assert band_file.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            assert len(band_file.overviews(1)) >= 2


@pytest.mark.parametrize("resolution", [10, 20, 60])
def test_equalizes_exactly_like_its_jpeg2000_twin(twins, resolution,
                                                  tmp_path):
    jpeg2000, geotiff = (run(product, tmp_path / "{}.tif".format(i),
                             resolution=resolution, sample_fraction=0.05)
                         for i, product in enumerate(twins))
    for band in ("B04", "B03", "B02"):
        np.testing.assert_array_equal(jpeg2000[0].tables[band],
                                      geotiff[0].tables[band])
    np.testing.assert_array_equal(jpeg2000[1], geotiff[1])
    np.testing.assert_array_equal(jpeg2000[2], geotiff[2])
    assert ("Band files verified against manifest.safe: 3 (SHA3-256)."
            in geotiff[3])


@pytest.mark.parametrize("resolution", [20, 60])
def test_a_band_without_a_file_at_that_resolution_reads_the_overviews(
        twins, resolution, tmp_path):
    jpeg2000, geotiff = (run(product, tmp_path / "{}.tif".format(i),
                             bands=("B08", "B04", "B03"),
                             resolution=resolution, sample_fraction=1.0)
                         for i, product in enumerate(twins))
    for band in ("B04", "B03"):
        np.testing.assert_array_equal(jpeg2000[0].tables[band],
                                      geotiff[0].tables[band])
    np.testing.assert_array_equal(jpeg2000[2], geotiff[2])       # masks

    # The GeoTIFF's reduced B08 is what GDAL reads from its overviews.
    planes = [reduced(product, "B08", resolution) for product in twins]
    opened = open_product(str(twins[1]))
    path = opened.band_file(opened.granules[0], "B08", 10)
    shape = planes[1].shape
    with rasterio.open(path) as band_file:
        read = band_file.read(1, out_shape=shape,
                              resampling=Resampling.nearest)
    np.testing.assert_array_equal(planes[1], read)
    if resolution == 20:                 # the first overview, as it is
        with rasterio.open(path, overview_level=0) as overview:
            np.testing.assert_array_equal(planes[1], overview.read(1))

    # Each curve is its own grid's; they differ as the grids' do.
    gap = np.abs(shares(planes[0]) - shares(planes[1])).max()
    tables = [result.tables["B08"].astype(int)
              for result in (jpeg2000[0], geotiff[0])]
    used = np.unique(np.concatenate([p[p > 0] for p in planes]))
    used = used[used < 65535]
    assert np.abs(tables[0] - tables[1])[used].max() <= 255 * gap + 1
    valid = planes[0] > 0
    pixels = np.abs(tables[0][planes[0]] - tables[1][planes[1]])[valid]
    print("B08 at {} m: equalized twins differ by {:.2f} levels on average, "
          "{} at the 99th percentile; the curves by {:.1f} levels at most"
          .format(resolution, pixels.mean(), np.percentile(pixels, 99),
                  255 * gap))


def test_checksums_are_verified_like_any_other(twins, tmp_path):
    product = tmp_path / twins[1].name
    shutil.copytree(twins[1], product)
    opened = open_product(str(product))
    path = opened.band_file(opened.granules[0], "B04", 10)
    data = bytearray(open(path, "rb").read())
    for position in range(len(data) // 2, len(data) // 2 + 4096, 512):
        data[position] ^= 0x10
    open(path, "wb").write(bytes(data))
    out = tmp_path / "out" / "rgb.tif"
    out.parent.mkdir()
    with pytest.raises(ChecksumError, match=r"Band B04 file GRANULE/.*"
                       r"_B04_10m\.tif does not match its SHA3-256 checksum"):
        render.run(render.Options(str(product), str(out)))
    assert os.listdir(str(out.parent)) == []


def test_a_cut_tiff_is_found_by_its_structure(twins, tmp_path):
    product = tmp_path / twins[1].name
    shutil.copytree(twins[1], product)
    opened = open_product(str(product))
    path = opened.band_file(opened.granules[0], "B03", 10)
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) * 6 // 10])
    with pytest.raises(Exception, match=r"Band B03 file .*_B03_10m\.tif is "
                       r"incomplete \(cut short: its .* runs past its \d+ "
                       r"bytes\)"):
        render.run(render.Options(str(product), str(tmp_path / "rgb.tif"),
                                  verify=False))


def test_a_zipped_geotiff_product_reads_too(twins, tmp_path):
    archive = shutil.make_archive(str(tmp_path / twins[1].name[:-5]), "zip",
                                  root_dir=twins[1].parent,
                                  base_dir=twins[1].name)
    zipped = run(archive, tmp_path / "zip.tif")
    folder = run(twins[1], tmp_path / "folder.tif")
    np.testing.assert_array_equal(zipped[1], folder[1])
    assert ("Band files verified against manifest.safe: 3 (SHA3-256)."
            in zipped[3])
