"""Adaptive equalization (CLAHE) on tiles: against scikit-image, across
tile borders, whatever the blocks, with weak tiles, and with a shared
curve (core only, real products and GDAL)."""

import numpy as np
import pytest
import rasterio
from skimage import exposure

from sentinel2_equalizer.core.curves import (adaptive, curve, gridsample,
                                             pieces, tiles)
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.pixels import spool, strips
from sentinel2_equalizer.core.errors import SettingError
from sentinel2_equalizer.core.pixels.grid import Grid
from sentinel2_equalizer.core.measure import measure

BANDS = ("B04", "B03", "B02")
#: A tile size that gives the 366-pixel test product 7 x 7 tiles.
TILE = 600.0


def band_file(product, band):
    found = sorted(product.glob("GRANULE/*/IMG_DATA/*_{}.jp2".format(band)))
    with rasterio.open(found[0]) as src:
        return src.read(1)


def pixels(path):
    with rasterio.open(path) as img:
        return img.read(), img.dataset_mask(), img.tags()


@pytest.mark.parametrize("tile,mean,p95,correlation", [
    (32, 6.5, 20.0, 0.99), (64, 4.0, 11.5, 0.997), (128, 3.0, 7.5, 0.999)])
def test_matches_scikit_image_on_the_same_band(l1c, tile, mean, p95,
                                               correlation):
    """scikit-image's equalize_adapthist and ours on the same 256 x 256
    uint16 band (part of the test product's B04 without no-data, cloud
    cores set to the brightest other value, stretched over 0..65535 so
    both bin the same range), with the same tile size and 256 bins, where
    the parameters match: unclipped (their clip_limit 1, a whole tile per
    bin; our MAX_CLIP_LIMIT, a thousand times the image's broad share). The
    clip limits themselves are not comparable: theirs caps each bin at a
    share of the tile's pixels, a linear stretch's share over the whole
    range, ours at a multiple of the image's broad histogram.

    What differs on purpose: ours maps a tile's first bin of the range to
    0 as plain equalization does (skimage maps each bin to its cumulative
    share including itself) and rescales nothing after (skimage stretches
    its result over 0..1); skimage requantizes to 14 bits, so its 256 bins
    are 253 of 65 values. Tile centres are the same, half a pixel apart
    (skimage puts them on a pixel), and beyond the outer centres both keep
    the outer tiles' curves. Unclipped, a tile's curve is steep where its
    pixels crowd, so these small differences show more in small tiles.
    Measured when this test was written: mean gap 5.3, 3.1 and 2.3 levels
    for tiles of 32, 64 and 128 pixels; 95 % of pixels within 16.4, 9.1
    and 5.8 levels; correlation 0.993, 0.998 and 0.9992. The bounds keep
    some room."""
    from sentinel2_equalizer.core.curves.modes import MAX_CLIP_LIMIT
    band = band_file(l1c, "B04")[:256, 110:366].astype(np.float64)
    assert not (band == 0).any()
    saturated = band == 65535
    band[saturated] = band[~saturated].max()
    band = np.rint((band - band.min()) / (band.max() - band.min())
                   * 65535).astype(np.uint16)
    ours = adaptive.equalize_band(band, tile, MAX_CLIP_LIMIT, bins=256,
                                  nodata=None).astype(np.float64)
    theirs = exposure.equalize_adapthist(band, kernel_size=tile,
                                         clip_limit=1.0, nbins=256) * 255.0
    gap = np.abs(ours - theirs)
    assert gap.mean() < mean
    assert np.percentile(gap, 95) < p95
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > correlation


def column_steps(rgb, mask):
    """Mean absolute step between each column and the next, over valid
    rows and the three bands (NaN where too few rows are valid)."""
    both = mask[:, 1:] & mask[:, :-1]
    steps = np.abs(np.diff(rgb.astype(np.float64), axis=2)).mean(axis=0)
    return np.array([steps[:, c][both[:, c]].mean()
                     if both[:, c].sum() > 50 else np.nan
                     for c in range(steps.shape[1])])


def looks_seamless(steps, borders):
    """Whether the mean step across ``borders`` is the mean step
    elsewhere, within three standard errors of the columns' spread."""
    known = np.flatnonzero(~np.isnan(steps))
    borders = np.intersect1d(borders, known)
    others = np.setdiff1d(known, borders)
    spread = steps[others].std() / np.sqrt(len(borders))
    return abs(steps[borders].mean() - steps[others].mean()) <= 3 * spread


@pytest.mark.parametrize("colour", ["per band", "luminance"])
def test_no_block_edges_at_tile_borders_or_centres(l1c, tmp_path, colour):
    """Across tile edges, and across the lines through tile centres where
    the interpolation changes its four tiles, the output steps as much as
    anywhere else, in both directions."""
    out = str(tmp_path / "adaptive.tif")
    result = render.run(render.Options(str(l1c), out, method="adaptive",
                                       colour=colour, tile_size=TILE))
    rgb, mask, tags = pixels(out)
    assert tags["S2EQ_METHOD"] == "adaptive"
    assert tags["S2EQ_TILE_SIZE"] == "600"
    layout = tiles.TileLayout(result.grid, TILE)
    mask = mask > 0
    for image, valid, tile_of, before in (
            (rgb, mask, layout.col_tile, layout.col_between[0]),
            (rgb.transpose(0, 2, 1), mask.T, layout.row_tile,
             layout.row_between[0])):
        steps = column_steps(image, valid)
        edges = np.flatnonzero(np.diff(tile_of))
        centres = np.flatnonzero(np.diff(before))
        assert len(edges) >= 5 and len(centres) >= 5
        assert looks_seamless(steps, edges)
        assert looks_seamless(steps, centres)
        # ... and the measure would see an edge of a few levels
        stepped = image.astype(np.int16).copy()
        for first, last in zip(edges[::2] + 1, edges[1::2] + 1):
            stepped[:, :, first:last] += 6
        assert not looks_seamless(column_steps(stepped, valid), edges)


@pytest.mark.parametrize("colour", ["per band", "luminance"])
def test_the_result_does_not_depend_on_how_the_run_is_cut_into_blocks(
        l1c, tmp_path, monkeypatch, colour):
    """The product is larger than one block in both directions once the
    blocks are forced small: spool stripes of 100 columns, write blocks of
    48 rows, grid-measure strips of one row, mapping pieces of 1000
    pixels, one-pass strips of 64 rows. The pixels are those written with
    the usual blocks (one block covers this product)."""
    options = dict(method="adaptive", colour=colour, tile_size=TILE)
    large = str(tmp_path / "large.tif")
    result = render.run(render.Options(str(l1c), large, **options))
    shared = str(tmp_path / "own.json")
    curve.save(result.curve, shared)
    large_one_pass = str(tmp_path / "large-one-pass.tif")
    render.run(render.Options(str(l1c), large_one_pass, curve=shared,
                              **options))

    monkeypatch.setattr(spool.Spool, "STRIPE", 100)
    monkeypatch.setattr(render, "WRITE_ROWS", 48)
    monkeypatch.setattr(gridsample, "GRID_PICKS", 1)
    monkeypatch.setattr(pieces, "CHUNK_PIXELS", 1000)
    monkeypatch.setattr(strips, "STRIP_ROWS", 64)
    assert result.grid.width > 3 * 100 and result.grid.height > 3 * 48
    small = str(tmp_path / "small.tif")
    render.run(render.Options(str(l1c), small, **options))
    small_one_pass = str(tmp_path / "small-one-pass.tif")
    render.run(render.Options(str(l1c), small_one_pass, curve=shared,
                              **options))

    reference, mask, _ = pixels(large)
    for other in (small, large_one_pass, small_one_pass):
        rgb, other_mask, _ = pixels(other)
        np.testing.assert_array_equal(rgb, reference)
        np.testing.assert_array_equal(other_mask, mask)


def weak_tiles(valid_centre):
    """3 x 3 tiles of 8 bins: each strong tile with its pixels on a bin of
    its own, the centre tile with ``valid_centre`` of its area valid."""
    counts = tiles.TileCounts.empty(32631, 1000.0, 8, (0, 0), (3, 3),
                                    ["B04"])
    for k in range(3):
        for i in range(3):
            counts.counts["B04"][k, i, (k * 3 + i) % 6 + 1] = 500
    counts.valid[...] = 1.0
    counts.valid[1, 1] = valid_centre
    counts.products[...] = 1
    return counts


def test_a_tile_mostly_without_data_borrows_its_neighbours_curve():
    strong = adaptive.tile_levels(weak_tiles(1.0), "B04", 4.0)
    weak = adaptive.tile_levels(weak_tiles(0.2), "B04", 4.0)
    neighbours = [(k, i) for k in range(3) for i in range(3)
                  if (k, i) != (1, 1)]
    np.testing.assert_allclose(
        weak[1, 1], np.mean([strong[k, i] for k, i in neighbours], axis=0),
        rtol=1e-5)
    assert not np.allclose(strong[1, 1], weak[1, 1])
    for k, i in neighbours:
        np.testing.assert_array_equal(weak[k, i], strong[k, i])
    # the saturated value's entry is white, no-data's black, in every tile
    assert np.all(weak[:, :, 8] == 255) and np.all(weak[:, :, 9] == 0)


def test_with_no_sound_tile_every_tile_takes_one_curve_of_all():
    counts = weak_tiles(1.0)
    counts.valid[...] = 0.1
    levels = adaptive.tile_levels(counts, "B04", 4.0)
    assert np.all(levels == levels[0, 0])


@pytest.mark.parametrize("size,words", [
    (5.0, "at least 160 m"),                 # under a pixel, and 16 of them
    (100.0, "at least 160 m"),
    (5000.0, "larger than the image"),       # the product is 3660 m wide
    (-600.0, "positive number"),
])
def test_tile_sizes_out_of_range_are_refused_with_a_size_that_works(
        l1c, tmp_path, size, words):
    out = tmp_path / "none.tif"
    with pytest.raises(SettingError) as error:
        render.run(render.Options(str(l1c), str(out), method="adaptive",
                                  tile_size=size))
    assert words in str(error.value)
    assert error.value.setting == "tile size"
    assert not out.exists()


def test_too_many_tiles_are_refused():
    full = Grid(32631, 10, 600000.0, 5500020.0, 10980, 10980)
    with pytest.raises(SettingError, match="Choose 2300 m or more"):
        tiles.check_tile_size(1000.0, full)
    assert tiles.check_tile_size(5000.0, full) == 5000.0


def test_shared_curve_tiles_are_the_sum_of_the_products(tmp_path,
                                                        products):
    """Two dates of one tile share the tiles (laid on the UTM grid): the
    curve file's tile histograms are the sum of theirs, and adaptive
    equalization with it maps both dates."""
    dates = []
    for sky in (1, 2):
        dates.append(products("adaptive-date-{}".format(sky), size=366,
                              jp2_block=128, bands=BANDS, sky_seed=sky,
                              sensing="202306{:02d}T105629".format(sky * 10)))
    parts = [measure(str(p), BANDS, tile_size=TILE) for p in dates]
    shared = curve.combine(parts)
    path = str(tmp_path / "dates.json")
    curve.save(shared, path)
    loaded = curve.load(path)
    (epsg,) = loaded.tiles
    zone = loaded.tiles[epsg]
    assert zone.size == TILE and zone.shape == parts[0].tiles[epsg].shape
    for key in BANDS + ("LUMINANCE",):
        np.testing.assert_array_equal(
            zone.counts[key], sum(p.tiles[epsg].counts[key] for p in parts))
    np.testing.assert_array_equal(zone.products, 2)
    for number, product in enumerate(dates):
        out = str(tmp_path / "date{}.tif".format(number))
        render.run(render.Options(str(product), out, method="adaptive",
                                  tile_size=TILE, curve=path))
        assert pixels(out)[2]["S2EQ_CURVE"] == "dates.json"
    with pytest.raises(SettingError, match="tile size must be 600 m"):
        render.run(render.Options(str(dates[0]), str(tmp_path / "x.tif"),
                                  method="adaptive", tile_size=1200,
                                  curve=path))
