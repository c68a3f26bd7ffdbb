"""s2eq:mosaic: many products, one GeoTIFF, one curve.

The core on small products of neighbouring tiles (overlapping as real tiles
do, and agreeing where they overlap) and of two UTM zones;
test_mosaic_qgis.py runs the algorithm through processing.run and
qgis_process.
"""

import os

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling
from rasterio.warp import reproject

from mosaic_products import BANDS, read
from sentinel2_equalizer.core.curves import curve as curves
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.errors import Cancelled, CurveError, ProductError
from sentinel2_equalizer.core.measure import measure
from sentinel2_equalizer.core.mosaic import mosaic

#: Mean gap (output levels) two JPEG encodings of the same pixels stay
#: under; per-product curves put neighbours several levels apart.
JPEG_NOISE = 2.0


def placed(image, on):
    """``image`` (a read() result on the same CRS, whole pixels) put on the
    grid of ``on``: its pixels and mask, zero and False elsewhere."""
    res = on["transform"].a
    col = int(round((image["transform"].c - on["transform"].c) / res))
    row = int(round((on["transform"].f - image["transform"].f) / res))
    rgb = np.zeros_like(on["rgb"])
    mask = np.zeros_like(on["mask"])
    rows, cols = image["mask"].shape
    assert row >= 0 and col >= 0
    rgb[:, row:row + rows, col:col + cols] = image["rgb"]
    mask[row:row + rows, col:col + cols] = image["mask"]
    return {"rgb": rgb, "mask": mask}


def alone(product, out, curve=None, resolution=None):
    """``product`` equalized on its own (with ``curve`` if given)."""
    render.run(render.Options(str(product), str(out), bands=BANDS,
                              curve=curve, resolution=resolution))
    return read(out)


def gap(a, b, where):
    """Mean absolute difference of two images' pixels ``where`` (a mask)."""
    assert where.sum() > 1000
    return np.abs(a["rgb"] - b["rgb"])[:, where].mean()


def test_neighbouring_tiles_meet_without_a_seam(west, east, tmp_path):
    result = mosaic([west, east], str(tmp_path / "m.tif"), BANDS)
    image = read(tmp_path / "m.tif")
    assert image["crs"].to_epsg() == 32631 and result.reprojected == []
    shared = [placed(alone(p, tmp_path / (n + ".tif"), result.curve), image)
              for n, p in (("w", west), ("e", east))]
    own = [placed(alone(p, tmp_path / (n + "-own.tif")), image)
           for n, p in (("w", west), ("e", east))]
    # The mosaic covers the union of both footprints, and nothing else.
    assert np.array_equal(image["mask"], shared[0]["mask"] | shared[1]["mask"])
    # Where both tiles have data, equalized alone through the shared curve
    # they agree within JPEG noise; through their own curves they do not.
    overlap = shared[0]["mask"] & shared[1]["mask"]
    assert gap(shared[0], shared[1], overlap) < JPEG_NOISE
    assert gap(own[0], own[1], overlap) > 3 * JPEG_NOISE
    # The mosaic is each tile through the shared curve: the first where it
    # has data, the second beyond it, so nothing changes where one ends.
    assert gap(image, shared[0], shared[0]["mask"]) < JPEG_NOISE
    beyond = shared[1]["mask"] & ~shared[0]["mask"]
    assert gap(image, shared[1], beyond) < JPEG_NOISE
    tags = image["tags"]
    assert tags["S2EQ_PRODUCT"].split(",") == [
        p.name[:-len(".SAFE")] for p in (west, east)]
    assert tags["S2EQ_BANDS"] == "B04,B03,B02"
    assert result.layer_name == "T31UFQ+T31UGQ 2023-06-14 B04-B03-B02 mosaic"


def test_overlaps_take_the_first_product_with_data(west, tile, tmp_path):
    cloudier = tile("east-sky", "31UGQ", sky_seed=7)
    first = mosaic([west, cloudier], str(tmp_path / "we.tif"), BANDS)
    mosaic([cloudier, west], str(tmp_path / "ew.tif"), BANDS)
    images = [read(tmp_path / "we.tif"), read(tmp_path / "ew.tif")]
    # The curve is a sum, so the order changes only the overlap.
    solo = [placed(alone(p, tmp_path / (n + ".tif"), first.curve), images[0])
            for n, p in (("w", west), ("e", cloudier))]
    overlap = solo[0]["mask"] & solo[1]["mask"]
    assert gap(solo[0], solo[1], overlap) > 3 * JPEG_NOISE   # other clouds
    assert gap(images[0], solo[0], overlap) < JPEG_NOISE
    assert gap(images[1], solo[1], overlap) < JPEG_NOISE


def band_dns(product, band):
    """The DNs of ``band`` of a compact product, its CRS and transform."""
    path, = product.glob("GRANULE/*/IMG_DATA/*_{}.jp2".format(band))
    with rasterio.open(path) as src:
        return src.read(1), src.crs, src.transform


def test_products_in_another_zone_are_reprojected(west, east, tile, tmp_path):
    other_zone = tile("zone32", "32ULV")
    # Zone 31 holds two of the three granules, whatever the order.
    result = mosaic([other_zone, west, east], str(tmp_path / "z.tif"), BANDS)
    image = read(tmp_path / "z.tif")
    assert image["crs"].to_epsg() == 32631
    assert result.reprojected == [other_zone.name[:-len(".SAFE")]]
    # The zone-32 product's pixels are where GDAL's nearest neighbour puts
    # them, mapped through the shared curve: off by no more than the JPEG
    # noise the product shows equalized alone on its own grid.
    solo = alone(other_zone, tmp_path / "z32.tif", result.curve)
    for index, band in enumerate(BANDS):
        dns, crs, transform = band_dns(other_zone, band)
        jpeg_noise = np.abs(solo["rgb"][index]
                            - result.tables[band][dns])[solo["mask"]].mean()
        warped = np.zeros(image["mask"].shape, dtype=np.uint16)
        reproject(dns, warped, src_transform=transform, src_crs=crs,
                  src_nodata=0, dst_transform=image["transform"],
                  dst_crs=image["crs"], dst_nodata=0,
                  resampling=Resampling.nearest)
        there = warped > 0
        assert there.sum() > 0.9 * solo["mask"].sum()
        # The same footprint, but for a few pixels on its edges, where the
        # warper's approximate transformer (strip by strip in the mosaic,
        # whole here) rounds the other way.
        east_part = there.any(axis=0)
        differ = image["mask"][:, east_part] != there[:, east_part]
        assert differ.sum() <= 0.001 * there.sum()
        expected = {"rgb": result.tables[band][warped][None].astype(int)}
        assert gap({"rgb": image["rgb"][index:index + 1]}, expected,
                   there) < 1.5 * jpeg_noise
    # ... and the zone-31 products are there too, on whole pixels.
    for product in (west, east):
        mine = placed(alone(product, tmp_path / "z31.tif", result.curve),
                      image)
        assert (image["mask"] & mine["mask"]).sum() > 0.9 * mine[
            "mask"].sum()


def test_a_curve_file_gives_the_very_same_mosaic(west, east, tile,
                                                 tmp_path):
    """The curve built inside equals the sum of the products' own measures
    (a reprojected one measured on its native grid), so a curve file made
    of the same products writes the very same pixels."""
    inputs = [tile("zone32", "32ULV"), west, east]
    built = mosaic(inputs, str(tmp_path / "built.tif"), BANDS, resolution=60)
    measured = curves.combine([measure(str(p), BANDS, resolution=60)
                               for p in inputs])
    path = str(tmp_path / "shared.json")
    curves.save(measured, path)
    mosaic(inputs, str(tmp_path / "given.tif"), BANDS, resolution=60,
           curve=path)
    for band in BANDS:
        assert np.array_equal(built.curve.counts[band].counts,
                              measured.counts[band].counts)
    a, b = read(tmp_path / "built.tif"), read(tmp_path / "given.tif")
    assert np.array_equal(a["rgb"], b["rgb"])
    assert np.array_equal(a["mask"], b["mask"])
    assert b["tags"]["S2EQ_CURVE"] == "shared.json"
    assert "S2EQ_CURVE" not in a["tags"]


def test_products_of_other_baselines_are_put_on_one_scale(west, east, tile,
                                                          tmp_path):
    """A product from before the radiometric offset (DN lower by 1000 for
    the same reflectance) gives the mosaic its twin gives."""
    old = tile("west-old", "31UFQ", baseline="02.14")
    mosaic([old, east], str(tmp_path / "old.tif"), BANDS)
    mosaic([west, east], str(tmp_path / "new.tif"), BANDS)
    a, b = read(tmp_path / "old.tif"), read(tmp_path / "new.tif")
    assert np.array_equal(a["mask"], b["mask"])
    assert gap(a, b, a["mask"]) < 0.1
    assert a["tags"]["S2EQ_PROCESSING_BASELINE"] == "02.14,05.09"


def test_errors_name_the_problem_and_leave_nothing(west, tile, tmp_path):
    out = tmp_path / "bad.tif"
    with pytest.raises(ProductError, match="No products"):
        mosaic([], str(out))
    missing = tmp_path / "nowhere.SAFE"
    with pytest.raises(ProductError, match=r"Product 2 of 2 .*nowhere\.SAFE"):
        mosaic([west, missing], str(out))
    surface = tile("l2a", "31UGQ", level="L2A")
    with pytest.raises(ProductError, match="mix levels") as error:
        mosaic([west, surface], str(out))
    assert "L2A: " + surface.name[:-len(".SAFE")] in str(error.value)
    l2a_curve = curves.combine([measure(str(surface), BANDS)])
    with pytest.raises(CurveError, match="L2A products"):
        mosaic([west], str(out), curve=l2a_curve)
    with pytest.raises(Cancelled):
        mosaic([west, west], str(out), is_cancelled=lambda: True)
    assert os.listdir(tmp_path) == []


def test_a_product_given_twice_is_used_once(west, tmp_path):
    notes = []
    result = mosaic([west, west / "MTD_MSIL1C.xml"], str(tmp_path / "t.tif"),
                    log=notes.append)
    assert len(result.products) == 1
    assert any("given before" in note for note in notes)


def test_a_product_the_sample_misses_still_shows(west, east, tmp_path):
    """A product may add nothing to a band's sum (a sliver at the swath's
    edge that the sample misses): the mosaic shows it all the same."""
    from sentinel2_equalizer.core.errors import DataError
    fraction = 2.0 / (366 * 366)          # about two pixels of a product
    for seed in range(100):
        try:
            measure(str(west), BANDS, fraction, seed=seed)
            continue
        except DataError:
            pass                         # alone, it could not be equalized
        try:
            result = mosaic([west, east], str(tmp_path / "s.tif"), BANDS,
                            fraction, seed=seed)
        except DataError:
            continue                     # nor could the pair
        break
    else:
        pytest.fail("no seed where the sample misses one product only")
    image = read(tmp_path / "s.tif")
    assert min(result.sampled.values()) > 0
    assert image["mask"].sum() > 1.5 * 366 * 366 * 0.8


def test_progress_rises_to_the_end(west, east, tmp_path):
    seen = []
    mosaic([west, east], str(tmp_path / "p.tif"), BANDS, report=seen.append)
    assert len(seen) > 10 and seen == sorted(seen)
    assert seen[-1] == pytest.approx(100.0)
