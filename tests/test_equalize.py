"""The equalization core on arrays: no QGIS, no files."""

import numpy as np
import pytest

from sentinel2_equalizer.core.curves import equalize as eq
from sentinel2_equalizer.core.errors import DataError


def realistic_band(shape=(600, 600), seed=1):
    """Land around DN 1300-2500, bright clouds around 7000-11000 on a third
    of the scene, a no-data wedge (0) in one corner."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices(shape)
    land = 1000 + 300 + 900 * (0.5 + 0.5 * np.sin(rows / 37.0) * np.cos(cols / 23.0))
    land += rng.normal(0, 60, shape)
    clouds = np.hypot(rows - shape[0] * 0.3, cols - shape[1] * 0.6) < shape[0] * 0.33
    band = np.where(clouds, rng.normal(9000, 900, shape), land)
    band = np.clip(np.rint(band), 1, 65534).astype(np.uint16)
    band[rows + cols < shape[0] // 3] = 0
    return band


def test_lookup_table_never_decreases():
    lut = eq.lookup_table(eq.histogram(realistic_band()))
    assert lut.dtype == np.uint8 and lut.shape == (65536,)
    assert np.all(np.diff(lut.astype(int)) >= 0)


def test_output_is_close_to_uniform_over_valid_pixels():
    band = realistic_band()
    image, valid = eq.equalize(band, sample_fraction=0.05)
    values = image[valid]
    tenths = np.histogram(values, bins=10, range=(0, 256))[0] / values.size
    assert np.all(np.abs(tenths - 0.10) <= 0.03), tenths


def test_nodata_stays_nodata_and_never_counts():
    band = realistic_band()
    counts = eq.histogram(band)
    assert counts[0] == 0
    image, valid = eq.equalize(band)
    assert np.array_equal(valid, band != 0)
    assert np.all(image[band == 0] == 0)


def test_same_seed_gives_same_bytes_and_other_seed_other_sample():
    band = realistic_band()
    first = eq.equalize(band, 0.01, seed=7)[0]
    second = eq.equalize(band, 0.01, seed=7)[0]
    assert first.tobytes() == second.tobytes()
    one = eq.PixelSampler(0.01, seed=7).positions(band.size)
    other = eq.PixelSampler(0.01, seed=8).positions(band.size)
    assert not np.array_equal(one[:50], other[:50])


def test_full_sample_uses_the_exact_histogram():
    band = realistic_band()
    counter = eq.BandHistogram(1.0)
    for strip in np.array_split(band, 7):
        counter.add(strip)
    exact = np.bincount(band[band != 0], minlength=65536)
    assert np.array_equal(counter.counts, exact)
    assert counter.valid_pixels == np.count_nonzero(band)


def test_sample_share_is_what_was_asked():
    band = realistic_band((1000, 1000))
    counter = eq.BandHistogram(0.02)
    counter.add(band)
    share = counter.sampled_pixels / counter.valid_pixels
    assert 0.018 < share < 0.022


def test_sample_does_not_depend_on_block_boundaries():
    band = realistic_band()
    whole = eq.BandHistogram(0.03, seed=3)
    whole.add(band)
    blocks = eq.BandHistogram(0.03, seed=3)
    for strip in np.array_split(band, 13):
        blocks.add(strip)
    assert np.array_equal(whole.counts, blocks.counts)


def test_constant_band_is_mid_grey_not_nan():
    band = np.full((50, 50), 4321, dtype=np.uint16)
    band[:5] = 0
    image, valid = eq.equalize(band)
    assert np.all(image[valid] == eq.CONSTANT_LEVEL)
    assert np.all(image[~valid] == 0)


def test_all_nodata_band_is_an_error():
    with pytest.raises(DataError, match="No valid pixel"):
        eq.equalize(np.zeros((20, 20), dtype=np.uint16))


def test_saturated_pixels_are_white_and_not_counted():
    band = realistic_band()
    band[100:110, 100:110] = 65535
    counter = eq.BandHistogram(1.0, saturated=65535)
    counter.add(band)
    assert counter.counts[65535] == 0
    lut = counter.lookup_table()
    assert lut[65535] == 255
    # the brightest real pixel still reaches white on its own
    assert lut[band[(band != 0) & (band != 65535)].max()] == 255


def test_unsampled_values_clamp_to_the_ends():
    counts = np.zeros(65536, dtype=np.int64)
    counts[[2000, 3000, 4000]] = 10
    lut = eq.lookup_table(counts)
    assert lut[1] == 0 and lut[1999] == 0 and lut[2000] == 0
    assert lut[4000] == 255 and lut[60000] == 255
    assert lut[2500] == lut[2000] and 0 < lut[3000] < 255
