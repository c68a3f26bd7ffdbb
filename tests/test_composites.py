"""Composites of a season: three L2A dates of one tile, the same ground
under clouds in different places. first clear shows a clear date wherever
there is one, median of clear is numpy's median of the clear observations,
and both are seamless across the dates' boundaries with their one curve;
the composite's histogram is its own pixels'; clearest first orders the
products by their clear share."""

import warnings

import numpy as np
import pytest
import rasterio

from s2eq_runner import pixels
from s2products import make_product, scene_classification
from sentinel2_equalizer import api
from test_cloud_masks import (DEFAULT_SCL, RGB, known_layers, repeated,
                              widened)

SKIES = ((11, "20230604T105629"), (12, "20230614T105629"),
         (13, "20230624T105629"))


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """The three dates, in order, with their bands and known clouds at
    10 m."""
    base = tmp_path_factory.mktemp("season")
    dates = []
    for sky, sensing in SKIES:
        folder = base / str(sky)
        folder.mkdir()
        product = make_product(folder, level="L2A", size=366, jp2_block=128,
                               bands=RGB + ("SCL",), sky_seed=sky,
                               sensing=sensing)
        classes = scene_classification(known_layers(product, 20, sky))
        cloudy = repeated(np.isin(classes, DEFAULT_SCL), 2)
        dates.append((product, read_bands(product), cloudy))
    return dates


def read_bands(product):
    from sentinel2_equalizer.core.product.discovery import open_product
    opened = open_product(str(product))
    granule = opened.granules[0]
    planes = []
    for name in RGB:
        with rasterio.open(opened.band_source(granule, name, 10)[0]) as src:
            planes.append(src.read(1))
    return np.stack(planes)


def composite(season, tmp_path, name, **more):
    output = tmp_path / (name + ".tif")
    more.setdefault("cloud_buffer", 0)
    result = api.mosaic([str(p) for p, _, _ in season], str(output),
                        composite=name, **more)
    return result, output


def through_tables(result, dns):
    return np.stack([result.tables[b][dns[i]] for i, b in enumerate(RGB)])


def test_the_dates_have_clouds_in_different_places(season):
    clouds = [c for _, _, c in season]
    valid = season[0][1][0] != 0
    some_clear = np.logical_or.reduce([~c for c in clouds]) & valid
    assert all(c[valid].mean() > 0.1 for c in clouds)
    assert some_clear.mean() > np.mean([(~c & valid).mean() for c in clouds])


def test_first_clear_shows_a_clear_date_wherever_there_is_one(
        season, tmp_path):
    result, output = composite(season, tmp_path, "first-clear",
                               compression="DEFLATE")
    stack = np.stack([bands for _, bands, _ in season])      # date, band
    clear = np.stack([~c & (b[0] != 0) for _, b, c in season])
    any_clear = clear.any(axis=0)
    first = np.argmax(clear, axis=0)
    chosen = np.take_along_axis(stack, first[None, None], 0)[0]
    valid = stack[:, 0] != 0
    fallback = np.take_along_axis(
        stack, np.argmax(valid, axis=0)[None, None], 0)[0]
    expected = np.where(any_clear, chosen, fallback)
    rgb, mask = pixels(output)
    assert np.array_equal(rgb, through_tables(result, expected))
    # No cloud where a date is clear: the pixel shown is that date's.
    cloud_shown = np.zeros(any_clear.shape, bool)
    for number, (_, bands, cloudy) in enumerate(season):
        cloud_shown |= (first == number) & cloudy & any_clear
    assert not cloud_shown.any()
    assert (mask > 0).sum() == int(valid.any(axis=0).sum())


def test_median_of_clear_is_numpys_median(season, tmp_path):
    result, output = composite(season, tmp_path, "median",
                               compression="DEFLATE")
    stack = np.stack([bands for _, bands, _ in season]).astype(float)
    clear = np.stack([~c & (b[0] != 0) for _, b, c in season])
    values = np.where(clear[:, None], stack, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # none clear
        median = np.nanmedian(values, axis=0)
    valid = stack[:, 0] != 0
    fallback = np.take_along_axis(
        stack, np.argmax(valid, axis=0)[None, None], 0)[0]
    any_clear = clear.any(axis=0)
    # Half a DN up, as the composite rounds the mean of two middles.
    expected = np.where(any_clear, np.floor(median + 0.5), fallback)
    rgb, _ = pixels(output)
    assert np.array_equal(rgb, through_tables(result,
                                              expected.astype(np.uint16)))
    two = clear.sum(axis=0) == 2
    assert two.any()              # even counts were rounded, not averaged


def test_the_composites_histogram_is_its_own_pixels(season, tmp_path):
    result, output = composite(season, tmp_path, "median",
                               compression="DEFLATE", sample_percent=100)
    rgb, mask = pixels(output)
    # Every pixel with data once, not once per date.
    valid = season[0][1][0] != 0
    red = result.curve.counts["B04"]
    assert red.valid_pixels <= int(valid.sum())
    assert red.valid_pixels > 0.95 * valid.sum()
    first_valid = api.mosaic([str(p) for p, _, _ in season],
                             str(tmp_path / "fv.tif"), sample_percent=100)
    assert first_valid.curve.counts["B04"].valid_pixels > \
        2.5 * red.valid_pixels


@pytest.mark.parametrize("name", ["first-clear", "median"])
def test_composites_are_seamless_across_the_dates(season, tmp_path, name):
    """The mean step across a boundary between dates is within JPEG's
    noise of the mean step elsewhere, with the buffer's default taking
    the hazy edges of the clouds."""
    result, output = composite(season, tmp_path, name, cloud_buffer=None)
    rgb, mask = pixels(output)
    grey = rgb.astype(float).mean(axis=0)
    # JPEG's noise: how far its grey strays from the lossless picture's.
    folder = tmp_path / "lossless"
    folder.mkdir()
    _, lossless = composite(season, folder, name, cloud_buffer=None,
                            compression="DEFLATE")
    exact = pixels(lossless)[0].astype(float).mean(axis=0)
    noise = float(np.abs(grey - exact)[mask > 0].mean())
    clear = np.stack([~repeated(widened(c[::2, ::2], 120, 20), 2)
                      & (b[0] != 0) for _, b, c in season])
    # Which dates a pixel is made of: the first clear, or the set of clear
    # dates for the median.
    source = (np.argmax(clear, axis=0) if name == "first-clear"
              else np.packbits(clear, axis=0)[0])
    usable = clear.any(axis=0) & (mask > 0)
    pairs = usable[:, 1:] & usable[:, :-1]
    across = pairs & (source[:, 1:] != source[:, :-1])
    within = pairs & ~across
    step = np.abs(np.diff(grey, axis=1))
    print("{}: mean step across boundaries {:.2f} ({} pairs), elsewhere "
          "{:.2f}; JPEG's mean error {:.2f}".format(
              name, step[across].mean(), int(across.sum()),
              step[within].mean(), noise))
    assert across.sum() > 1000
    # A step is the difference of two pixels, each off by JPEG's noise.
    assert step[across].mean() <= step[within].mean() + 2 * noise


def test_clearest_first_orders_by_clear_share(season, tmp_path):
    result, _ = composite(season, tmp_path, "first-valid",
                          order="clearest")
    shares = result.clear_shares
    names = [p.name for p in result.products]
    assert [shares[n] for n in names] == sorted(shares.values(),
                                                reverse=True)
    with rasterio.open(tmp_path / "first-valid.tif") as image:
        tags = image.tags()
    assert tags["S2EQ_PRODUCT"].split(",") == names
    assert '"order": "clearest"' in tags["S2EQ_COMPOSITE"]


def test_masked_composite_is_no_data_where_no_date_is_clear(
        season, tmp_path):
    result, output = composite(season, tmp_path, "median", clouds="mask",
                               compression="DEFLATE")
    clear = np.stack([~c & (b[0] != 0) for _, b, c in season])
    _, mask = pixels(output)
    assert np.array_equal(mask > 0, clear.any(axis=0))


def test_excluded_clouds_stay_out_of_a_composites_luminance(season,
                                                             tmp_path):
    """Luminance is measured from the mosaic's pixels after the decode:
    with clouds excluded, from those that show a clear observation."""
    clear = np.stack([~c & (b[0] != 0) for _, b, c in season])
    # The dates share their no-data: the first valid is the first date.
    for name, shown_clear in (("median", clear.any(axis=0)),
                              ("first-valid", clear[0])):
        result, _ = composite(season, tmp_path, name, colour="luminance",
                              clouds="exclude", sample_percent=100)
        sampled = result.curve.counts["LUMINANCE"].sampled_pixels
        print("{}: luminance of {} pixels, {} show a clear observation"
              .format(name, sampled, int(shown_clear.sum())))
        assert abs(sampled - shown_clear.sum()) < 0.01 * shown_clear.sum()
