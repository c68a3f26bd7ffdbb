"""CLOUDS on one product: exclude counts exactly the clear valid pixels
and spreads them evenly over the output range, which keep does not;
mask makes the clouds, widened by the buffer, no-data and nothing else;
keep is today's output; a product without a mask is refused with nothing
left; the tags and the log say what was done."""

import json

import numpy as np
import pytest
import rasterio

from s2eq_runner import pixels
from sentinel2_equalizer import api
from sentinel2_equalizer.core.errors import CloudError
from test_cloud_masks import RGB, known_classi, repeated, widened

#: Output levels in bins of 16.
BINS = 16


@pytest.fixture(scope="module")
def cloudy(products):
    return products("clouds-l1c", size=366, jp2_block=128, bands=RGB)


def band(product, name):
    """The band's DNs as its file holds them."""
    from sentinel2_equalizer.core.product.discovery import open_product
    opened = open_product(str(product))
    granule = opened.granules[0]
    with rasterio.open(opened.band_source(granule, name, 10)[0]) as src:
        return src.read(1), opened


def unevenness(values):
    """The largest gap, over the output's 16 bins of 16 levels, between a
    bin's share of ``values`` and an even 1/16."""
    shares = np.bincount(values // (256 // BINS), minlength=BINS) / float(
        values.size)
    return float(np.abs(shares - 1.0 / BINS).max())


def test_exclude_counts_the_clear_valid_pixels_and_spreads_them(
        cloudy, tmp_path):
    kept, excluded = tmp_path / "keep.tif", tmp_path / "exclude.tif"
    keep = api.equalize(str(cloudy), str(kept), sample_percent=100,
                        compression="DEFLATE")
    exclude = api.equalize(str(cloudy), str(excluded), sample_percent=100,
                           compression="DEFLATE", clouds="exclude",
                           cloud_buffer=0)
    red, product = band(cloudy, "B04")
    valid = (red != product.nodata) & (red != product.saturated)
    clouds = repeated(known_classi(cloudy), 6)
    clear = valid & ~clouds
    assert clouds[valid].any() and clear.any()
    assert exclude.curve.counts["B04"].valid_pixels == int(clear.sum())
    assert exclude.curve.counts["B04"].sampled_pixels == int(clear.sum())
    assert keep.curve.counts["B04"].valid_pixels == int(valid.sum())
    (kept_rgb, kept_mask), (rgb, mask) = pixels(kept), pixels(excluded)
    # Excluded clouds stay in the picture: the same pixels have data.
    assert np.array_equal(mask, kept_mask)
    spread = unevenness(rgb[0][clear])
    spread_kept = unevenness(kept_rgb[0][clear])
    print("clear pixels' largest gap from an even 1/16 per bin: exclude "
          "{:.4f}, keep {:.4f}".format(spread, spread_kept))
    assert spread < 0.012
    assert spread_kept > 2 * spread
    # The clear ground reaches the top of the range only when excluded.
    assert rgb[0][clear].max() >= 250
    assert np.mean(rgb[0][clear] >= 192) > 0.2
    assert np.mean(kept_rgb[0][clear] >= 192) < 0.15
    # Clouds are drawn bright: mostly at or above the clear ground's top.
    assert np.median(rgb[0][clouds & valid]) >= 240


def test_mask_makes_the_buffered_clouds_no_data_and_nothing_else(
        cloudy, tmp_path):
    masked = tmp_path / "mask.tif"
    result = api.equalize(str(cloudy), str(masked), compression="DEFLATE",
                          clouds="mask", cloud_buffer=130)
    red, product = band(cloudy, "B04")
    wide = widened(known_classi(cloudy), 130, 60)
    expected_gone = repeated(wide, 6) | (red == product.nodata)
    rgb, mask = pixels(masked)
    assert np.array_equal(mask == 0, expected_gone)
    assert (rgb[:, expected_gone] == 0).all()
    assert 0.0 < result.clear_share < 1.0


def written_bytes(path):
    """The bytes of the GeoTIFF at ``path``, its DateTime tag's value
    (YYYY:MM:DD HH:MM:SS, as written in the file) blanked out."""
    with rasterio.open(path) as image:
        stamp = image.tags().get("TIFFTAG_DATETIME", "")
    data = path.read_bytes()
    assert stamp and data.count(stamp.encode("ascii")) == 1
    return data.replace(stamp.encode("ascii"), b"#" * len(stamp))


def test_keep_is_todays_output_byte_for_byte(cloudy, tmp_path):
    plain, kept = tmp_path / "plain.tif", tmp_path / "kept.tif"
    api.equalize(str(cloudy), str(plain))
    api.equalize(str(cloudy), str(kept), clouds="keep")
    # Byte for byte but for the time each was written (TIFF's DateTime,
    # to the second), which two runs may straddle.
    assert written_bytes(plain) == written_bytes(kept)
    with rasterio.open(kept) as image:
        assert not [k for k in image.tags() if "CLOUD" in k or "CLEAR" in k]


def test_the_tags_and_the_log_give_the_clear_share(cloudy, tmp_path):
    output, lines = tmp_path / "out.tif", []
    result = api.equalize(str(cloudy), str(output), clouds="exclude",
                          log=lines.append)
    share = "{:.0f} % clear".format(100 * result.clear_share)
    assert "T31UFQ 2023-06-14: " + share in lines
    with rasterio.open(output) as image:
        tags = image.tags()
    assert json.loads(tags["S2EQ_CLOUDS"]) == {
        "mode": "exclude", "buffer_m": 120.0,
        "classes": ["cloud", "cirrus", "shadow"]}
    assert tags["S2EQ_CLEAR"] == "{}: {:.1f} %".format(
        result.product.name, 100 * result.clear_share)
    assert json.loads(tags["S2EQ_OPTIONS"])["clouds"]["mode"] == "exclude"


def test_a_product_without_a_mask_is_refused_with_nothing_left(
        products, tmp_path):
    bare = products("clouds-none", size=366, jp2_block=128, bands=RGB,
                    cloud_mask=False)
    output = tmp_path / "out.tif"
    for mode in ("exclude", "mask"):
        with pytest.raises(CloudError) as raised:
            api.equalize(str(bare), str(output), clouds=mode)
        assert "has no cloud mask" in str(raised.value)
        assert list(tmp_path.iterdir()) == []
    with pytest.raises(CloudError):
        api.mosaic([str(bare)], str(output), composite="first-clear")
    assert list(tmp_path.iterdir()) == []


def test_cloud_options_out_of_range_are_named(cloudy, tmp_path):
    for arguments, words in (({"clouds": "hide"}, "not a way to treat"),
                             ({"clouds": "mask", "cloud_buffer": -5},
                              "0 to 5000 m"),
                             ({"clouds": "mask", "cloud_classes": "fog"},
                              "'fog' is not a cloud class")):
        with pytest.raises(CloudError) as raised:
            api.equalize(str(cloudy), str(tmp_path / "x.tif"), **arguments)
        assert words in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_exclude_with_luminance_leaves_clouds_out_of_its_histogram(
        cloudy, tmp_path):
    plain = api.measure(str(cloudy), sample_percent=100, luminance=True)
    clear = api.measure(str(cloudy), sample_percent=100, luminance=True,
                        clouds="exclude", cloud_buffer=0)
    clouds = repeated(known_classi(cloudy), 6)
    red, _ = band(cloudy, "B04")
    valid = red != 0
    assert clear.bands["LUMINANCE"].sampled_pixels < plain.bands[
        "LUMINANCE"].sampled_pixels
    assert plain.bands["LUMINANCE"].sampled_pixels - clear.bands[
        "LUMINANCE"].sampled_pixels <= int((clouds & valid).sum())


def test_a_mosaic_across_a_zone_masks_each_products_own_clouds(
        west, tile, tmp_path):
    """The product of zone 32 in a mosaic written in zone 31: its clouds,
    warped with its bands, are masked where it is shown, its clear share
    of what it covers as its own mask has it."""
    from mosaic_products import read
    other = tile("zone32", "32ULV")
    kept, masked = tmp_path / "keep.tif", tmp_path / "mask.tif"
    api.mosaic([str(west), str(other)], str(kept), compression="DEFLATE")
    result = api.mosaic([str(west), str(other)], str(masked),
                        compression="DEFLATE", clouds="mask")
    assert result.reprojected == [api.product_name(other)]
    with_data, shown = read(kept)["mask"], read(masked)["mask"]
    assert not (shown & ~with_data).any()
    # Where only the zone-32 product has data: the right half of the
    # mosaic's grid holds it alone (the tiles are far apart).
    right = np.zeros_like(with_data)
    right[:, with_data.shape[1] // 2:] = True
    alone = with_data & right
    share = shown[alone].mean()
    own = result.clear_shares[api.product_name(other)]
    print("zone 32's clear share: shown {:.3f}, its mask {:.3f}".format(
        share, own))
    assert 0.1 < own < 0.95
    assert abs(share - own) < 0.03
