"""Contrast-limited equalization: the clip bins and the broad curve, the
clipped histogram and its curve, a clip limit whose meaning does not move,
and the method on a product (core only, real files)."""

import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.curves import contrast
from sentinel2_equalizer.core.curves import equalize as eq
from sentinel2_equalizer.core.curves import modes
from sentinel2_equalizer.core.curves.modes import MAX_CLIP_LIMIT
from sentinel2_equalizer.core.errors import SettingError
from test_equalize import realistic_band


def shape_of(counts):
    """(clip bins, broad histogram) of one histogram."""
    bins = contrast.clip_bins(counts)
    return bins, contrast.broad_shape(counts, bins)


@settings(max_examples=150, deadline=None)
@given(arrays(np.uint16, st.integers(50, 3000),
              elements=st.one_of(st.integers(1, 65534),
                                 st.integers(1000, 1040))),
       st.floats(1.0, 50.0))
def test_no_clip_bin_exceeds_its_cap_and_nothing_is_lost(values, limit):
    counts = eq.histogram(values)
    bins, broad = shape_of(counts)
    assert broad.sum() == pytest.approx(1.0)
    clipped = contrast.clip_histogram(counts, limit, bins, broad)
    total = counts.sum()
    assert clipped.sum() == pytest.approx(total)
    assert (clipped >= -1e-9).all()
    final = bins.gather(clipped)
    assert (final <= limit * broad * total * (1 + 1e-9) + 1e-9).all()
    if limit == 1.0:                    # the broad histogram itself
        np.testing.assert_allclose(final, broad * total, atol=1e-6 * total)


def test_the_robust_range_and_the_clip_bins():
    counts = np.zeros(eq.LEVELS_IN)
    counts[1000:2000] = 10                     # 10,000 pixels, 1000 values
    counts[30000] = 1                          # a lone outlier
    assert contrast.robust_range(counts) == (1010, 1990)
    bins = contrast.clip_bins(counts)
    # 981 values / 256 is about 3.8: bins of 4 values, laid from 0
    assert bins.width == 4 and bins.span == 981
    assert (bins.first, bins.last) == (1010 // 4, 1990 // 4)
    assert 181 <= bins.robust <= 362
    assert np.array_equal(bins.of_bin, np.arange(eq.LEVELS_IN) // 4)
    # narrow ranges: no clip bin narrower than a histogram bin
    counts = np.zeros(eq.LEVELS_IN)
    counts[500:520] = 5
    bins = contrast.clip_bins(counts)
    assert bins.width == 1 and bins.count == eq.LEVELS_IN


def band_with_lake(seed, noise=8.0):
    """realistic_band with a calm lake: DN 1500 and sensor noise of
    ``noise`` DN on an eighth of the scene, a tall narrow peak in the
    histogram, where plain equalization is steepest."""
    rng = np.random.default_rng(seed)
    band = realistic_band(seed=seed)
    lake = np.zeros(band.shape, bool)
    lake[350:550, 50:300] = True
    band[lake] = np.rint(rng.normal(1500, noise, lake.sum())).astype(
        np.uint16)
    return band, lake


@pytest.mark.parametrize("limit", [1.0, 1.5, 2.0, 4.0])
def test_the_curves_steepest_rise_never_exceeds_what_the_limit_allows(limit):
    """Over each clip bin, the curve rises by at most ``limit`` x the broad
    curve's rise there (255 x the bin's broad share, over the share of
    pixels above the lowest value, as the lookup table spreads them), plus
    one level of rounding; at the lower limits plain equalization rises
    faster over the lake."""
    for seed in range(3):
        counts = eq.histogram(band_with_lake(seed)[0])
        bins, broad = shape_of(counts)
        clipped = contrast.limited_counts(counts, limit)
        lowest = np.flatnonzero(clipped)[0]
        spread = clipped.sum() / (clipped.sum() - clipped[lowest])
        allowed = 255.0 * limit * broad * spread + 1.0
        table = contrast.limited_table(counts, limit).astype(float)
        rises = np.array([np.ptp(table[bins.of_bin == b]) if (
            bins.of_bin == b).any() else 0.0 for b in range(bins.count)])
        assert (rises <= allowed + 1e-9).all()
        if limit <= 2.0:
            plain = eq.lookup_table(counts).astype(float)
            lake = bins.of_bin[1500]
            assert np.ptp(plain[bins.of_bin == lake]) > allowed[lake]


def test_a_huge_limit_is_the_unclipped_curve():
    for seed in range(3):
        counts = eq.histogram(realistic_band(seed=seed))
        np.testing.assert_array_equal(
            contrast.limited_table(counts, 1e12), eq.lookup_table(counts))
        bins, broad = shape_of(counts)
        np.testing.assert_array_equal(
            contrast.clip_histogram(counts, 1e12, bins, broad), counts)


def test_a_calm_lake_gets_less_amplification_than_with_equalize():
    """A calm lake beside land and a cloud: plain equalization stretches
    its sensor noise over many levels; the contrast-limited curve at its
    automatic limit stretches it about half as much, and at 1 (the broad
    curve) a fifth as much or less. Amplification: output levels per DN
    of noise."""
    limit = modes.AUTO_CLIP_LIMITS[modes.CONTRAST_LIMITED]
    band, lake = band_with_lake(2)
    counts = eq.histogram(band)
    noise = band[lake].astype(float).std()

    def amplification(table):
        return table[band[lake]].astype(float).std() / noise

    plain = amplification(eq.lookup_table(counts))
    assert plain > 1.0
    assert amplification(contrast.limited_table(counts, limit)) < plain / 1.8
    assert amplification(contrast.limited_table(counts, 1.0)) < plain / 3.5


@pytest.mark.parametrize("limit", [1.0, 2.0, 4.0])
def test_one_bright_pixel_does_not_move_the_curve(limit):
    counts = eq.histogram(band_with_lake(1)[0])
    with_outlier = counts.copy()
    with_outlier[30000] += 1
    shown = np.flatnonzero(counts)
    a = contrast.limited_table(counts, limit)[shown].astype(int)
    b = contrast.limited_table(with_outlier, limit)[shown].astype(int)
    assert np.abs(a - b).max() <= 1


@pytest.mark.parametrize("method", ["contrast-limited", "adaptive"])
def test_dns_shifted_by_the_products_offset_give_the_same_picture(
        tmp_path, method):
    """The same scene as a product of baseline 03.01 (DN = reflectance x
    10000) and of baseline 05.09 (DN = reflectance x 10000 + 1000, the
    offset in its metadata): the histograms are on the reflectance scale,
    so the clip bins and the curves are the same, and so are the pixels
    (exactly written, DEFLATE)."""
    import s2products
    written = []
    for baseline in ("03.01", "05.09"):
        folder = tmp_path / baseline
        folder.mkdir()
        product = s2products.make_product(
            folder, size=366, baseline=baseline, bands=("B04", "B03", "B02"))
        out = str(tmp_path / "{}.tif".format(baseline))
        render.run(render.Options(str(product), out, method=method,
                                  tile_size=1200, compression="DEFLATE"))
        with rasterio.open(out) as image:
            written.append(image.read().astype(int))
    assert np.abs(written[0] - written[1]).max() <= 1


@pytest.mark.parametrize("limit", [1.0, 2.0, 4.0])
def test_a_one_percent_sample_moves_the_curve_no_more_than_equalization(
        limit):
    """On a band of 3.2 million pixels (the lake scene nine times), the
    curve of a 1 % sample is as close to the curve of every pixel as plain
    equalization's are to each other: within 2 levels, 1 on average or
    less, over the band's pixels. (Clip bins laid from zero keep a narrow
    peak in one bin whatever the sample; bins laid from the range's end
    moved a peak across a bin edge and the curve by up to 15 levels.)"""
    band = np.tile(band_with_lake(3)[0], (3, 3))
    flat = band.ravel()
    full = eq.histogram(flat)
    drawn = eq.histogram(flat[eq.PixelSampler(0.01).positions(flat.size)])
    assert 0.009 < drawn.sum() / full.sum() < 0.011

    def gaps(table_of):
        return np.abs(table_of(full).astype(int)
                      - table_of(drawn).astype(int))[flat]

    plain = gaps(eq.lookup_table)
    limited = gaps(lambda counts: contrast.limited_table(counts, limit))
    assert limited.max() <= max(plain.max(), 2)
    assert limited.mean() <= max(plain.mean() + 0.2, 1.0)


@pytest.mark.parametrize("limit", [0.5, -3, MAX_CLIP_LIMIT * 1.5,
                                   float("nan"), "four"])
def test_a_limit_out_of_range_is_refused_with_its_range(limit):
    with pytest.raises(SettingError) as error:
        modes.check_clip_limit(limit)
    message = str(error.value)
    assert "must be 0" in message and "from 1 to 1000" in message
    assert error.value.setting == "clip limit"


def test_zero_asks_for_each_methods_own_limit():
    assert modes.check_clip_limit(0) == 0.0
    for name, limit in modes.AUTO_CLIP_LIMITS.items():
        method = modes.Method(name, clip_limit=0)
        assert method.limit == limit
        assert method.tags()["S2EQ_CLIP_LIMIT"] == "{:g}".format(limit)
        assert method.tags() == modes.Method(name, clip_limit=limit).tags()


def test_huge_limit_on_a_product_writes_the_equalized_pixels(l1c, tmp_path):
    """At MAX_CLIP_LIMIT no clip bin of a 1 % sample is capped: the
    contrast-limited run writes the equalize run's very pixels."""
    plain = str(tmp_path / "plain.tif")
    limited = str(tmp_path / "limited.tif")
    render.run(render.Options(str(l1c), plain))
    result = render.run(render.Options(
        str(l1c), limited, method="contrast-limited",
        clip_limit=MAX_CLIP_LIMIT))
    with rasterio.open(plain) as a, rasterio.open(limited) as b:
        np.testing.assert_array_equal(a.read(), b.read())
        tags = b.tags()
    assert tags["S2EQ_METHOD"] == "contrast-limited"
    assert tags["S2EQ_COLOUR"] == "per band"
    assert tags["S2EQ_CLIP_LIMIT"] == "1000"
    assert "S2EQ_TILE_SIZE" not in tags
    assert set(result.tables) == {"B04", "B03", "B02"}
