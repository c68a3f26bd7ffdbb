"""Properties of the equalization core on random uint16 arrays."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sentinel2_equalizer.core.curves import equalize as eq

NODATA = 0

bands = arrays(
    dtype=np.uint16,
    shape=st.tuples(st.integers(1, 60), st.integers(1, 60)),
    elements=st.one_of(st.just(NODATA), st.integers(0, 65535),
                       st.integers(1000, 1300)))


def with_valid_pixel(band):
    return np.count_nonzero(band != NODATA) > 0


@settings(max_examples=200, deadline=None)
@given(bands.filter(with_valid_pixel), st.floats(0.05, 1.0))
def test_lookup_table_is_monotonic(band, fraction):
    counter = eq.BandHistogram(fraction)
    counter.add(band)
    assume(counter.sampled_pixels > 0)
    lut = counter.lookup_table()
    assert np.all(np.diff(lut.astype(np.int16)) >= 0)


@settings(max_examples=200, deadline=None)
@given(bands.filter(with_valid_pixel))
def test_nodata_never_becomes_data_and_data_never_nodata(band):
    image, valid = eq.equalize(band)
    assert np.array_equal(valid, band != NODATA)
    assert np.all(image[~valid] == 0)


@settings(max_examples=200, deadline=None)
@given(bands.filter(with_valid_pixel), st.integers(0, 2 ** 31))
def test_sampled_histogram_counts_only_valid_pixels(band, seed):
    counter = eq.BandHistogram(0.5, seed=seed)
    counter.add(band)
    assert counter.counts[NODATA] == 0
    assert counter.sampled_pixels <= counter.valid_pixels
    assert counter.valid_pixels == np.count_nonzero(band != NODATA)


@settings(max_examples=100, deadline=None)
@given(st.integers(256, 5000), st.integers(0, 2 ** 31))
def test_full_output_range_with_256_distinct_values(distinct, seed):
    rng = np.random.default_rng(seed)
    values = rng.choice(np.arange(1, 65536), size=distinct, replace=False)
    band = rng.choice(values, size=distinct * 3).astype(np.uint16)
    band[: distinct // 10] = NODATA
    band = np.concatenate([band, values.astype(np.uint16)])  # all present
    image, valid = eq.equalize(band)
    assert image[valid].min() == 0 and image[valid].max() == 255
