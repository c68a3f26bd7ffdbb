"""Shared curves: measuring, adding histograms, the curve file, offsets, and
the one-pass run given a curve (core only, real products and GDAL)."""

import json

import numpy as np
import pytest
import rasterio

import s2products
from sentinel2_equalizer.core.curves import curve as curves
from sentinel2_equalizer.core.curves import equalize as eq
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.errors import CurveError
from sentinel2_equalizer.core.measure import measure

BANDS = ("B04", "B03", "B02")


def pixels(path):
    with rasterio.open(path) as img:
        return img.read(), img.dataset_mask(), img.tags()


def whole_band(product, band):
    found = sorted(product.glob("GRANULE/*/IMG_DATA/*_{}.jp2".format(band)))
    with rasterio.open(found[0]) as src:
        return src.read(1)


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """One scene at baseline 02.14 (no offset) and at 05.09 (DN + 1000)."""
    base = tmp_path_factory.mktemp("twins")
    made = []
    for baseline in ("02.14", "05.09"):
        folder = base / baseline
        folder.mkdir()
        made.append(s2products.make_product(
            folder, size=366, jp2_block=128, bands=BANDS, baseline=baseline))
    return made


def test_histograms_add_up_to_the_histogram_of_all_pixels(dates):
    parts = [measure(str(p), BANDS, sample_fraction=1.0) for p in dates]
    shared = curves.combine(parts)
    for band in BANDS:
        together = np.concatenate([whole_band(p, band).ravel()
                                   for p in dates])
        # These products have no offset below DN 1001, so DN - 1000 is the
        # reflectance scale exactly.
        exact = eq.histogram(together - np.uint16(1000) * (together > 1000),
                             excluded=(0, 65535 - 1000))
        exact[0] = 0
        np.testing.assert_array_equal(shared.counts[band].counts, exact)
        np.testing.assert_array_equal(shared.tables[band],
                                      eq.lookup_table(exact))


def test_curve_file_round_trip_keeps_every_table_and_count(dates, tmp_path):
    shared = curves.combine([measure(str(p), BANDS) for p in dates],
                            software="test")
    path = str(tmp_path / "shared.json")
    curves.save(shared, path)
    doc = json.loads(open(path).read())
    assert doc["format"] == "s2eq-curve/1" and doc["level"] == "L1C"
    assert [p["sensing"][:10] for p in doc["products"]] == [
        "2023-06-14", "2023-07-04"]
    loaded = curves.load(path)
    assert len(loaded.digest) == 64
    for band in BANDS:
        np.testing.assert_array_equal(loaded.tables[band],
                                      shared.tables[band])
        np.testing.assert_array_equal(loaded.counts[band].counts,
                                      shared.counts[band].counts)
        assert (loaded.counts[band].sampled_pixels
                == shared.counts[band].sampled_pixels > 0)


def test_one_pass_with_a_curve_writes_what_the_two_stage_run_wrote(
        l1c, tmp_path):
    two_stage = str(tmp_path / "own.tif")
    result = render.run(render.Options(str(l1c), two_stage))
    path = str(tmp_path / "own.json")
    curves.save(result.curve, path)
    one_pass = str(tmp_path / "curve.tif")
    render.run(render.Options(str(l1c), one_pass, curve=path))
    a, mask_a, _ = pixels(two_stage)
    b, mask_b, tags = pixels(one_pass)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(mask_a, mask_b)
    assert tags["S2EQ_CURVE"] == "own.json"
    assert len(tags["S2EQ_CURVE_SHA256"]) == 64


@pytest.mark.parametrize("resolution,bands", [
    (None, ("B12", "B8A", "B04")),       # mixed 20/10 m on a 10 m grid
    (60, ("B04", "B03", "B02")),         # reduced reads
])
def test_one_pass_matches_two_stage_at_any_grid(l1c, tmp_path, resolution,
                                                bands):
    two_stage = str(tmp_path / "own.tif")
    result = render.run(render.Options(str(l1c), two_stage, bands=bands,
                                       resolution=resolution))
    one_pass = str(tmp_path / "curve.tif")
    render.run(render.Options(str(l1c), one_pass, bands=bands,
                              resolution=resolution, curve=result.curve))
    np.testing.assert_array_equal(pixels(two_stage)[0], pixels(one_pass)[0])


def test_a_multi_granule_product_in_one_pass(products, tmp_path):
    oper = products("oper-pair", layout="oper", size=366,
                    tiles=("31UFQ", "31UGQ"), jp2_block=128, bands=BANDS)
    two_stage = str(tmp_path / "own.tif")
    result = render.run(render.Options(str(oper), two_stage))
    one_pass = str(tmp_path / "curve.tif")
    render.run(render.Options(str(oper), one_pass, curve=result.curve))
    np.testing.assert_array_equal(pixels(two_stage)[0], pixels(one_pass)[0])
    np.testing.assert_array_equal(pixels(two_stage)[1], pixels(one_pass)[1])


def test_baseline_twins_give_the_same_picture(twins, tmp_path):
    old, new = twins
    dn_old, dn_new = whole_band(old, "B04"), whole_band(new, "B04")
    measured = (dn_old > 0) & (dn_old < 65535)
    assert np.all(dn_new[measured].astype(int) - dn_old[measured] == 1000)
    alone = []
    for product in twins:
        out = str(tmp_path / (product.name + ".tif"))
        render.run(render.Options(str(product), out))
        alone.append(pixels(out)[0])
    assert np.abs(alone[0].astype(int) - alone[1]).mean() < 1.0
    shared = curves.combine([measure(str(p), BANDS) for p in twins])
    together = []
    for product in twins:
        out = str(tmp_path / (product.name + "-shared.tif"))
        render.run(render.Options(str(product), out, curve=shared))
        together.append(pixels(out)[0])
    np.testing.assert_array_equal(together[0], together[1])


def test_a_shared_curve_keeps_the_ground_alike_across_dates(dates, tmp_path):
    clear = np.ones(whole_band(dates[0], "B04").shape, bool)
    for band in BANDS:
        first, second = (whole_band(p, band) for p in dates)
        clear &= (first == second) & (first != 0)
    assert 0.2 < clear.mean() < 0.9      # clouds differ over part of it
    shared = curves.combine([measure(str(p), BANDS) for p in dates])

    def difference(curve):
        images = []
        for index, product in enumerate(dates):
            out = str(tmp_path / "{}-{}.tif".format(index, curve is None))
            render.run(render.Options(str(product), out, curve=curve))
            images.append(pixels(out)[0].astype(int))
        return np.abs(images[0] - images[1])[:, clear].mean()

    with_shared, alone = difference(shared), difference(None)
    print("mean difference on unchanged ground: shared curve {:.2f}, "
          "per-product curves {:.2f} levels".format(with_shared, alone))
    assert with_shared <= 2.0
    assert alone > 2 * with_shared


def test_levels_are_not_mixed_in_one_curve(l1c, products):
    l2a = products("l2a-curve", level="L2A", size=366, jp2_block=128,
                   bands=BANDS)
    parts = [measure(str(p), BANDS) for p in (l1c, l2a)]
    with pytest.raises(CurveError, match="mix levels .*L1C, L2A"):
        curves.combine(parts)


def test_curve_for_the_other_level_or_missing_band_is_refused(
        l1c, products, tmp_path):
    l2a = products("l2a-curve", level="L2A", size=366, jp2_block=128,
                   bands=BANDS)
    path = str(tmp_path / "l2a.json")
    curves.save(curves.combine([measure(str(l2a), BANDS)]), path)
    out = tmp_path / "rgb.tif"
    with pytest.raises(CurveError, match="made from L2A products and cannot "
                                         "equalize an L1C product"):
        render.run(render.Options(str(l1c), str(out), curve=path))
    with pytest.raises(CurveError, match="no curve for band B08"):
        render.run(render.Options(str(l2a), str(out),
                                  bands=("B08", "B04", "B03"), curve=path))
    assert not out.exists()


@pytest.mark.parametrize("content,message", [
    (None, "does not exist"),
    (b"\x89PNG not json", "not a curve file: it is not JSON"),
    (b'{"hello": 1}', "not a curve file \\(it has no \"format\"\\)"),
    (b'{"format": "s2eq-curve/9"}', "format 's2eq-curve/9'; this version "
                                    "reads 's2eq-curve/1'"),
    (b'{"format": "s2eq-curve/1", "level": "L1C", "bands": {"B04": {}}}',
     "is damaged \\(it has no \"lut\" entry\\)"),
])
def test_bad_curve_files_are_named_and_nothing_is_written(
        l1c, tmp_path, content, message):
    path = tmp_path / "curve.json"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "rgb.tif"
    with pytest.raises(CurveError, match=message):
        render.run(render.Options(str(l1c), str(out), curve=str(path)))
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        [] if content is None else ["curve.json"])


def test_table_levels_round_trip_any_non_decreasing_table():
    rng = np.random.default_rng(3)
    for _ in range(20):
        steps = np.sort(rng.integers(0, eq.LEVELS_IN, rng.integers(1, 300)))
        table = np.searchsorted(steps, np.arange(eq.LEVELS_IN), side="right")
        table = np.minimum(table, 255).astype(np.uint8)
        np.testing.assert_array_equal(curves._table(curves._levels(table)),
                                      table)


def test_reflectance_scale_moves_counts_and_clamps_at_the_valid_minimum():
    counts = np.zeros(eq.LEVELS_IN, np.int64)
    counts[[500, 1000, 1001, 3000]] = [2, 3, 5, 7]
    moved = eq.to_reflectance_scale(counts, -1000)
    assert moved[eq.FIRST_VALID] == 2 + 3 + 5 and moved[2000] == 7
    assert moved.sum() == counts.sum()
    table = eq.dn_table(np.arange(eq.LEVELS_IN) % 256, -1000, 65535)
    assert table[3000] == 2000 % 256 and table[500] == 1
    assert table[65535] == 255


def test_curve_page_draws_each_band_and_lists_the_products(dates):
    from sentinel2_equalizer.core.curves.report import curve_html
    shared = curves.combine([measure(str(p), BANDS) for p in dates])
    page = curve_html(shared)
    # the three bands and the luminance of the three
    assert page.count("<svg") == 4 and page.count("<polyline") == 4
    for band in BANDS:
        assert "<b>{}</b>".format(band) in page
    assert "<b>Luminance of B04/B03/B02</b>" in page
    for product in dates:
        assert product.name[:-len(".SAFE")] in page
    assert "L1C curve from 2 products, 1 % sample" in page


def test_curve_page_draws_each_curve_rising_inside_its_chart(dates):
    """Each lookup table drawn from the chart's foot to its top, never
    falling back: a level multiplied in 8 bits would wrap."""
    import re
    from sentinel2_equalizer.core.curves.report import HEIGHT, curve_html
    page = curve_html(curves.combine([measure(str(p), BANDS)
                                      for p in dates]))
    for points in re.findall(r'<polyline points="([^"]+)"', page):
        heights = [float(p.split(",")[1]) for p in points.split()]
        assert all(0.0 <= h <= HEIGHT for h in heights)
        assert all(b <= a for a, b in zip(heights, heights[1:]))
        assert heights[0] > HEIGHT / 2 > heights[-1]


def test_curve_page_charts_have_axes_with_ticks_and_titles(dates):
    """The values counted below (round ticks within the caption's range),
    the output level on the left, the pixels per bar on the right."""
    import re
    from sentinel2_equalizer.core.curves.report import curve_html
    page = curve_html(curves.combine([measure(str(p), BANDS)
                                      for p in dates]))
    figures = re.findall(r"<figure>(.*?)</figure>", page)
    assert len(figures) == 4
    for figure in figures:
        texts = re.findall(r">([^<>]+)</text>", figure)
        for title in ("reflectance x 10000", "output level",
                      "pixels per bar"):
            assert title in texts, figure
        assert {"0", "64", "128", "192", "255"} <= set(texts)
        low, high = map(int, re.search(r"from (\d+) to (\d+)",
                                       figure).groups())
        ticks = [int(t) for t in re.findall(
            r'text-anchor="middle" font-size="10" fill="#333">(\d+)<',
            figure)]
        assert len(ticks) >= 3 and all(low <= t <= high for t in ticks)
        assert len({b - a for a, b in zip(ticks, ticks[1:])}) == 1
