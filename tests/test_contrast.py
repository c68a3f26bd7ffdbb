"""Contrast-limited equalization: the clipped histogram, its curve, and the
method on a product (core only, real files)."""

import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sentinel2_equalizer.core.curves import contrast, modes
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.curves import equalize as eq
from sentinel2_equalizer.core.errors import SettingError
from sentinel2_equalizer.core.curves.modes import MAX_CLIP_LIMIT
from test_equalize import realistic_band


def counted_range(counts):
    counted = np.flatnonzero(counts)
    return counted[0], counted[-1]


def steepest_allowed(counts, limit):
    """The largest step, in output levels between neighbouring values,
    that a curve of ``counts`` clipped at ``limit`` may take: 255 x the cap
    over the total the table spreads (all but the lowest value's count),
    plus one level of rounding."""
    clipped = contrast.clip_histogram(counts, limit)
    first, last = counted_range(counts)
    cap = limit * counts.sum() / float(last - first + 1)
    return 255.0 * cap / (clipped.sum() - clipped[first]) + 1.0


@settings(max_examples=150, deadline=None)
@given(arrays(np.uint16, st.integers(50, 3000),
              elements=st.one_of(st.integers(1, 65534),
                                 st.integers(1000, 1040))),
       st.floats(1.01, 50.0))
def test_no_bin_exceeds_the_limit_and_nothing_is_lost(values, limit):
    counts = eq.histogram(values)
    clipped = contrast.clip_histogram(counts, limit)
    first, last = counted_range(counts)
    cap = limit * counts.sum() / float(last - first + 1)
    assert clipped.max() <= cap * (1 + 1e-9)
    assert clipped.sum() == pytest.approx(counts.sum())
    assert np.all(clipped[:first] == 0) and np.all(clipped[last + 1:] == 0)
    # bins below the cap before are never made smaller
    assert np.all(clipped[first:last + 1] >= np.minimum(
        counts[first:last + 1], cap) - 1e-9)


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


@pytest.mark.parametrize("limit", [1.5, 2.0, 4.0, 10.0, 40.0])
def test_the_curves_steepest_step_never_exceeds_what_the_limit_allows(limit):
    for seed in range(4):
        counts = eq.histogram(band_with_lake(seed)[0])
        table = contrast.limited_table(counts, limit).astype(int)
        assert np.diff(table).max() <= steepest_allowed(counts, limit)
        # the plain curve is steeper: the limit did bind
        assert np.diff(eq.lookup_table(counts).astype(int)).max() > \
            steepest_allowed(counts, limit)


def test_a_huge_limit_is_plain_equalization():
    for seed in range(3):
        counts = eq.histogram(realistic_band(seed=seed))
        np.testing.assert_array_equal(
            contrast.limited_table(counts, 1e12), eq.lookup_table(counts))
        np.testing.assert_array_equal(
            contrast.clip_histogram(counts, 1e12), counts)


def test_a_flat_noisy_band_gets_less_amplification_than_with_equalize():
    """A calm lake beside land and a cloud: plain equalization stretches
    the lake's sensor noise over many levels, the clipped curve keeps it
    small. Amplification: output levels per DN of noise."""
    band, lake = band_with_lake(2)
    counts = eq.histogram(band)
    noise = band[lake].astype(float).std()
    plain = eq.lookup_table(counts)[band[lake]].astype(float).std() / noise
    limited = contrast.limited_table(counts, 4.0)[band[lake]].astype(
        float).std() / noise
    assert plain > 1.0                 # equalize amplifies the noise
    assert limited < plain / 3


@pytest.mark.parametrize("limit", [1.0, 0.5, -3, MAX_CLIP_LIMIT * 1.5,
                                   float("nan"), "four"])
def test_a_limit_out_of_range_is_refused_with_its_range(limit):
    with pytest.raises(SettingError) as error:
        modes.check_clip_limit(limit)
    message = str(error.value)
    assert "above 1" in message and "at most 1000" in message
    assert error.value.setting == "clip limit"


def test_huge_limit_on_a_product_writes_the_equalized_pixels(l1c, tmp_path):
    """MAX_CLIP_LIMIT times the mean is above every bin of a 1 % sample:
    the contrast-limited run writes the equalize run's very pixels."""
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
