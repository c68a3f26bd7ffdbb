"""Luminance mode: one curve of the picture's brightness, applied to the
three bands as one gain, so each pixel keeps its colour (core only, real
products and GDAL)."""

import numpy as np
import pytest
import rasterio

from sentinel2_equalizer.core.curves import luminance, mapping, modes, pieces
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.plan import make_plan

BANDS = ("B04", "B03", "B02")
#: The test products' radiometric offset (baseline 05.09): DN - 1000 is
#: reflectance x 10000.
OFFSET = -1000
#: Output levels below this are too coarse for a ratio to mean much (one
#: level is 2.5 % of 40).
DIM = 40


def band_dns(product, bands=BANDS):
    planes = []
    for band in bands:
        found = sorted(product.glob(
            "GRANULE/*/IMG_DATA/*_{}.jp2".format(band)))
        with rasterio.open(found[0]) as src:
            planes.append(src.read(1))
    return planes


def log_ratios(rgb):
    """log(red / green) and log(blue / green), per pixel."""
    rgb = np.asarray(rgb, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(rgb[0] / rgb[1]), np.log(rgb[2] / rgb[1])


def ratio_error(a, b, where):
    return np.concatenate([np.abs(x[where] - y[where])
                           for x, y in zip(log_ratios(a), log_ratios(b))])


def test_luminance_keeps_band_ratios_and_per_band_does_not(l1c, tmp_path):
    """On valid pixels where no band saturates, the written image's band
    ratios are the input's (reflectance: DN plus the offset, less its
    haze, this being L1C) as closely as JPEG allows: their gap is the gap
    between the written image and the same pixels mapped in memory, which
    is JPEG's. Per band, the same measure is several times JPEG's
    noise."""
    dns = band_dns(l1c)
    reflectance = np.array(dns, dtype=np.float64) + OFFSET
    usable = np.all([(d != 0) & (d != 65535) for d in dns], axis=0)
    plan = make_plan(str(l1c), BANDS)
    gaps = {}
    for colour in modes.COLOURS:
        out = str(tmp_path / "{}.tif".format(colour))
        result = render.run(render.Options(str(l1c), out, colour=colour,
                                           sample_fraction=1.0))
        with rasterio.open(out) as img:
            written = img.read()
            assert img.tags().get("S2EQ_COLOUR", "per band") == colour
        map_block = mapping.mapper(modes.Method(colour=colour), plan,
                                   result.curve)[0]
        if colour == modes.LUMINANCE_COLOUR:
            haze = luminance.haze_levels(
                [result.curve.counts[b].counts for b in BANDS])
            assert haze[2] > haze[0] > 0        # blue the haziest
            reflectance = np.array([luminance.less_haze(r, h) for r, h in
                                    zip(reflectance, haze)])
        exact, mask = map_block((0, dns[0].shape[0], 0, dns[0].shape[1]),
                                dns)
        np.testing.assert_array_equal(mask > 0, np.all(
            [d != 0 for d in dns], axis=0))
        shown = usable & np.all(exact < 255, axis=0) & np.all(
            exact >= DIM, axis=0) & np.all(written > 0, axis=0)
        assert shown.sum() > 0.3 * shown.size
        jpeg = np.median(ratio_error(written, exact, shown))
        gaps[colour] = (np.median(ratio_error(written, reflectance, shown)),
                        jpeg)
        if colour == modes.LUMINANCE_COLOUR:
            # in memory, the ratios are kept to the levels' rounding
            kept = ratio_error(exact, reflectance, shown)
            assert np.median(kept) < 0.005 and kept.max() < 1.0 / DIM + 0.01
    kept, jpeg = gaps[modes.LUMINANCE_COLOUR]
    assert kept <= jpeg + 0.003, gaps
    shifted, jpeg = gaps[modes.PER_BAND]
    assert shifted > 3 * jpeg, gaps


def mapper_for(levels, offsets=(0, 0, 0), saturated=65535):
    return luminance.LuminanceMapper(list(offsets), [0], saturated,
                                     levels=levels)


def test_a_gain_past_255_scales_the_three_bands_together():
    """A curve that maps every luminance to 250: a saturated red pixel
    would need red far above 255; its three bands are scaled down
    together, so the brightest is 255 and the ratios stay."""
    levels = np.full(luminance.LEVELS_IN, 250, np.uint8)
    red, green, blue = (np.array([[6000, 3000]], np.uint16),
                        np.array([[600, 3000]], np.uint16),
                        np.array([[300, 3000]], np.uint16))
    rgb, mask = mapper_for(levels)((0, 1, 0, 2), [red, green, blue])
    assert rgb[:, 0, 0].max() == 255
    assert rgb[0, 0, 0] / rgb[1, 0, 0] == pytest.approx(10, rel=0.1)
    assert rgb[1, 0, 0] / rgb[2, 0, 0] == pytest.approx(2, rel=0.15)
    # a grey pixel gets the curve's level in every band
    assert list(rgb[:, 0, 1]) == [250, 250, 250]
    assert list(mask[0]) == [255, 255]


def test_saturated_is_white_and_no_data_black_and_masked():
    levels = np.arange(luminance.LEVELS_IN) // 256
    planes = [np.array([[65535, 0, 2000]], np.uint16),
              np.array([[2000, 2000, 2000]], np.uint16),
              np.array([[2000, 2000, 0]], np.uint16)]
    rgb, mask = mapper_for(levels.astype(np.uint8))((0, 1, 0, 3), planes)
    assert list(rgb[:, 0, 0]) == [255, 255, 255]
    assert list(rgb[:, 0, 1]) == [0, 0, 0] and list(rgb[:, 0, 2]) == [0] * 3
    assert list(mask[0]) == [255, 0, 0]


def test_pieces_with_and_without_saturated_or_missing_pixels_agree(
        monkeypatch):
    """Pieces with no saturated and no missing pixel take a shorter way;
    one-row pieces (most of them clean) give what one piece for the whole
    block gives, with the saturated pixel white and the missing one
    black."""
    rng = np.random.default_rng(3)
    planes = [rng.integers(500, 9000, (40, 50), dtype=np.uint16)
              for _ in range(3)]
    planes[1][7, 11] = 65535
    planes[2][23, 4] = 0
    levels = (np.arange(luminance.LEVELS_IN) // 40).clip(0, 255)
    mapper = mapper_for(levels.astype(np.uint8), offsets=(-1000,) * 3)
    monkeypatch.setattr(pieces, "CHUNK_PIXELS", 40 * 50)
    whole_rgb, whole_mask = mapper((0, 40, 0, 50), planes)
    monkeypatch.setattr(pieces, "CHUNK_PIXELS", 50)
    rgb, mask = mapper((0, 40, 0, 50), planes)
    np.testing.assert_array_equal(rgb, whole_rgb)
    np.testing.assert_array_equal(mask, whole_mask)
    assert list(rgb[:, 7, 11]) == [255] * 3 and list(rgb[:, 23, 4]) == [0] * 3
    assert mask[23, 4] == 0 and (mask > 0).sum() == 40 * 50 - 1


def test_the_same_band_three_times_is_its_own_grey_curve(l1c, tmp_path):
    """Y of one band shown in all three channels is that band: the image
    is grey, each level the band's luminance curve."""
    out = str(tmp_path / "grey.tif")
    result = render.run(render.Options(str(l1c), out, bands=("B08",) * 3,
                                       colour="luminance"))
    with rasterio.open(out) as img:
        rgb = img.read().astype(int)
        mask = img.dataset_mask() > 0
    assert np.abs(rgb[0] - rgb[1])[mask].max() <= 2
    assert np.abs(rgb[2] - rgb[1])[mask].max() <= 2
    assert result.curve.luminance_of == ("B08",) * 3


def test_luminance_weights_are_rec709_of_the_display_channels():
    assert luminance.WEIGHTS == (0.2126, 0.7152, 0.0722)
    tables = luminance.weighted_tables([OFFSET] * 3)
    dn = np.array([[11000]], np.uint16)          # reflectance 1.0
    assert int(luminance.luminance_of([dn, dn, dn], tables)[0, 0]) == \
        pytest.approx(10000, abs=2)
    only_green = luminance.luminance_of(
        [np.array([[1000]], np.uint16), dn, np.array([[1000]], np.uint16)],
        tables)
    assert int(only_green[0, 0]) == pytest.approx(7152, abs=2)


def test_haze_is_the_dark_object_level_and_fades_on_bright_values():
    """A band's haze is its 1 % quantile less 1 % reflectance; it is taken
    off dark values in full, half of it at half of HAZE_FADE, none from
    HAZE_FADE up (clouds stand above most of the haze)."""
    counts = np.zeros(65536)
    counts[800:1800] = 1.0                    # 1 % quantile: 809
    assert luminance.haze_levels([counts, np.zeros(65536)]) == (709, 0)
    values = np.array([1000.0, luminance.HAZE_FADE / 2,
                       luminance.HAZE_FADE, 9000.0])
    np.testing.assert_allclose(luminance.less_haze(values, 500.0), [
        1000.0 - 500.0 * 0.8, luminance.HAZE_FADE / 2 - 250.0,
        luminance.HAZE_FADE, 9000.0])


@pytest.mark.parametrize("level,hazy", [("L1C", True), ("L2A", False)])
def test_only_top_of_atmosphere_bands_lose_their_haze(l1c, level, hazy):
    """The luminance mapper takes the haze off L1C bands; surface
    reflectance (L2A) is mapped as it is."""
    from types import SimpleNamespace
    plan = make_plan(str(l1c), BANDS)
    plan.product.level = level
    curve = SimpleNamespace(counts={b: SimpleNamespace(counts=np.bincount(
        [300, 1500, 2000] * 100, minlength=65536)) for b in BANDS})
    brightness = np.zeros(65536)
    brightness[1:3000] = 1.0                # the pixel below near mid-grey
    curve.counts[luminance.LUMINANCE] = SimpleNamespace(counts=brightness)
    map_block = mapping.mapper(modes.Method(colour="luminance"), plan,
                               curve)[0]
    dns = [np.full((1, 4), dn, np.uint16) for dn in (1700, 1900, 2500)]
    rgb = map_block((0, 1, 0, 4), dns)[0][:, 0, 0].astype(float)
    assert rgb.min() > 40
    # Each band has a haze of 200 here, taken off all three: the blue
    # to red ratio grows from the input's when the haze goes.
    given = (2500.0 + OFFSET) / (1700.0 + OFFSET)
    assert (rgb[2] / rgb[0] > given * 1.05) == hazy
