"""The scene of the synthetic products has the properties the plugin
relies on: an exact no-data wedge, bright clouds with saturated cores,
vegetated land, the processing baseline's offset, coarse L2A bands that
average the fine ones, and values that depend only on seed, band and
place, so that neighbouring granules agree where they overlap.
"""

import re

import numpy as np
import pytest

import s2products as s2
from s2products_checks import (OPER_SIZE, SMALL_SIZE, band_of,
                               granule_dirs, read, reflectance,
                               tile_geocoding, xml_find_all)


def granule_scene(granule, res, anchor=None, seed=0):
    mtd = next(p for p in granule.glob("*.xml"))
    _, geo = tile_geocoding(mtd)
    ulx, uly, ncols, nrows = geo[res]
    span = geo[10][2] * 10
    return s2.scene_layers(ulx, uly, res, ncols, nrows, seed=seed,
                           anchor=anchor or (ulx, uly), span=span)


@pytest.mark.parametrize("fixture", ["l1c_0509", "l1c_0301", "l2a"])
def test_nodata_wedge_is_exact_in_every_band(fixture, request):
    safe = request.getfixturevalue(fixture)
    (granule,) = granule_dirs(safe)
    wedges = {}
    for path in sorted(granule.glob("IMG_DATA/**/*_B*.jp2")):
        band = band_of(path)
        m = re.search(r"_(\d\d)m\.jp2$", path.name)
        res = int(m.group(1)) if m else s2.BAND_RESOLUTION[band]
        if res not in wedges:
            wedges[res] = granule_scene(granule, res)["nodata"]
        dn = read(path)
        np.testing.assert_array_equal(dn == 0, wedges[res], err_msg=path.name)
    # A real corner wedge, covering the same ground at every resolution.
    w10, w20, w60 = wedges[10], wedges[20], wedges[60]
    assert 0.03 < w10.mean() < 0.2
    assert w10[-1, 0] and not w10[0, -1]
    np.testing.assert_array_equal(w10, np.repeat(np.repeat(w60, 6, 0), 6, 1))
    np.testing.assert_array_equal(w20, np.repeat(np.repeat(w60, 3, 0), 3, 1))


def test_oper_granules_agree_where_they_overlap(oper_pair):
    west, east = granule_dirs(oper_pair)
    _, geo_w = tile_geocoding(next(west.glob("*.xml")))
    _, geo_e = tile_geocoding(next(east.glob("*.xml")))
    assert geo_e[10][1] == geo_w[10][1]
    shift = geo_e[10][0] - geo_w[10][0]
    assert 0 < shift < OPER_SIZE * 10 and shift % 60 == 0
    anchor = geo_w[10][:2]
    for band in s2.ALL_BANDS:
        res = s2.BAND_RESOLUTION[band]
        a = read(next(west.glob(f"IMG_DATA/*_{band}.jp2")))
        b = read(next(east.glob(f"IMG_DATA/*_{band}.jp2")))
        k = int(shift // res)
        overlap = a.shape[1] - k
        assert overlap > 0
        np.testing.assert_array_equal(a[:, k:], b[:, :overlap], err_msg=band)
        # Baseline 02.01: no offset, the wedge still follows the scene.
        wedge = granule_scene(east, res, anchor=anchor)["nodata"]
        np.testing.assert_array_equal(b == 0, wedge)


def test_clouds_are_bright_and_land_is_vegetated(l1c_0509):
    (granule,) = granule_dirs(l1c_0509)
    lay = granule_scene(granule, 10)
    cloud = (lay["cloud"] > 0.9) & ~lay["saturated"] & ~lay["nodata"]
    clear = ((lay["cloud"] == 0) & (lay["shadow"] < 0.01) & ~lay["water"]
             & ~lay["nodata"])
    valid = ~lay["nodata"]
    assert 0.1 < (lay["cloud"] > 0.5)[valid].mean() < 0.5
    assert cloud.sum() > 100 and clear.sum() > 1000
    refl = {}
    for band in s2.BANDS_10M:
        dn = read(next(granule.glob(f"IMG_DATA/*_{band}.jp2")))
        refl[band] = reflectance(dn, 1000)
        assert refl[band][cloud].mean() > refl[band][clear].mean() + 0.15
        if band != "B08":
            assert refl[band][cloud].mean() > 3 * refl[band][clear].mean()
        assert 0.4 <= np.percentile(refl[band][cloud], 5)
        assert np.percentile(refl[band][cloud], 95) <= 1.0
        # Saturated pixels only in cloud cores.
        sat = dn == 65535
        assert sat.any()
        assert np.array_equal(sat, lay["saturated"] & valid)
        assert (lay["cloud"][sat] > 0.99).all()
        assert (dn[valid] > 0).all()
    # Vegetation: dark in the visible, bright in the near infrared.
    ndvi = (refl["B08"] - refl["B04"]) / (refl["B08"] + refl["B04"])
    assert np.median(ndvi[clear]) > 0.3
    assert np.median(refl["B04"][clear]) < 0.15
    water = lay["water"] & (lay["cloud"] == 0) & valid
    if water.any():
        assert np.median(refl["B08"][water]) < 0.06


def test_offset_follows_processing_baseline(l1c_0509, l1c_0301, l2a, build):
    def offsets(path, tag):
        return [(int(e.get("band_id")), int(e.text))
                for e in xml_find_all(path, tag)]

    assert offsets(l1c_0509 / "MTD_MSIL1C.xml", "RADIO_ADD_OFFSET") == [
        (i, -1000) for i in range(13)]
    assert offsets(l1c_0301 / "MTD_MSIL1C.xml", "RADIO_ADD_OFFSET") == []
    assert offsets(l2a / "MTD_MSIL2A.xml", "BOA_ADD_OFFSET") == [
        (i, -1000) for i in range(13)]
    old_l2a = build("l2a_0214", level="L2A", size=SMALL_SIZE,
                    baseline="02.14", bands=("B04",))
    assert "_N0214_" in old_l2a.name
    assert offsets(old_l2a / "MTD_MSIL2A.xml", "BOA_ADD_OFFSET") == []
    assert "_N0301_" in l1c_0301.name

    # Same scene, DN shifted by exactly the offset.
    for band in ("B04", "B10", "B12"):
        new = read(next(l1c_0509.glob(f"GRANULE/*/IMG_DATA/*_{band}.jp2")))
        old = read(next(l1c_0301.glob(f"GRANULE/*/IMG_DATA/*_{band}.jp2")))
        normal = (new != 0) & (new != 65535)
        assert np.array_equal(normal, (old != 0) & (old != 65535))
        diff = new[normal].astype(np.int32) - old[normal]
        assert (diff == 1000).all(), band
    dark = read(next(l1c_0301.glob("GRANULE/*/IMG_DATA/*_B10.jp2")))
    assert dark[dark > 0].min() < 1000
    bright = read(next(l1c_0509.glob("GRANULE/*/IMG_DATA/*_B10.jp2")))
    assert bright[bright > 0].min() > 1000


def test_l2a_coarse_bands_average_the_fine_ones(l2a):
    (granule,) = granule_dirs(l2a)
    img = granule / "IMG_DATA"

    def band(name, res):
        return read(next(img.glob(f"R{res}m/T31UFQ_*_{name}_{res}m.jp2")))

    b04 = band("B04", 10)
    np.testing.assert_array_equal(band("B04", 20), s2.block_mean(b04, 2))
    np.testing.assert_array_equal(band("B04", 60), s2.block_mean(b04, 6))
    np.testing.assert_array_equal(band("B05", 60),
                                  s2.block_mean(band("B05", 20), 3))
    b01 = band("B01", 60)
    np.testing.assert_array_equal(band("B01", 20),
                                  np.repeat(np.repeat(b01, 3, 0), 3, 1))
    # Bottom-of-atmosphere: no path radiance, so vegetation is dark in red.
    lay = granule_scene(granule, 10)
    clear = (lay["cloud"] == 0) & ~lay["water"] & ~lay["nodata"] & \
        (lay["shadow"] < 0.01)
    assert np.median(reflectance(b04, 1000)[clear]) < 0.1


def test_values_depend_only_on_seed_band_and_place(build, l1c_0509):
    a = build("seed_a", size=SMALL_SIZE, bands=("B03",), seed=3)
    b = build("seed_b", size=SMALL_SIZE, bands=("B03",), seed=3)
    c = build("seed_c", size=SMALL_SIZE, bands=("B03",), seed=4)

    def b03(p):
        return read(next(p.glob("GRANULE/*/IMG_DATA/*_B03.jp2")))

    np.testing.assert_array_equal(b03(a), b03(b))
    assert (b03(a) != b03(c)).mean() > 0.5
    # A smaller product is the upper-left corner of a bigger one.
    big = read(next(l1c_0509.glob("GRANULE/*/IMG_DATA/*_B03.jp2")))
    small = read(next(build("seed_0", size=SMALL_SIZE, bands=("B03",),
                            seed=0).glob("GRANULE/*/IMG_DATA/*_B03.jp2")))
    same = small != 0
    np.testing.assert_array_equal(small[same],
                                  big[:SMALL_SIZE, :SMALL_SIZE][same])
