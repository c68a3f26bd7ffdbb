"""Decoding bands onto the output grid, JPEG2000 tile by tile, and mapping
them through their tables: no QGIS."""

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling

from sentinel2_equalizer.core.curves import equalize as eq
from sentinel2_equalizer.core.pixels import grid as grid_module
from sentinel2_equalizer.core.curves import pieces
from sentinel2_equalizer.core.pixels import reading
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.pixels.spool import Spool
from sentinel2_equalizer.core.product.discovery import open_product
from s2files import refresh_manifest


@pytest.mark.parametrize("width, height, tile, shrink", [
    (366, 366, 128, 1), (10980, 10980, 1024, 1), (5490, 5490, 1024, 1),
    (10980, 10980, 1024, 2), (10980, 10980, 1024, 6), (1830, 1830, 1024, 3),
    (700, 300, 16, 1),               # thin strips, not tiles
])
def test_windows_cover_the_band_once_on_tile_and_pixel_edges(
        width, height, tile, shrink):
    windows = reading.decode_windows(width, height, tile, tile, shrink)
    seen = np.zeros((height, width), dtype=np.uint8)
    for w in windows:
        rows = slice(w.row_off, w.row_off + w.height)
        cols = slice(w.col_off, w.col_off + w.width)
        seen[rows, cols] += 1
        if tile >= reading.MIN_TILE:
            assert w.row_off % tile == 0 and w.col_off % tile == 0
        assert w.row_off % shrink == 0 and w.col_off % shrink == 0
    assert np.all(seen == 1)
    if shrink > 1:      # a reduced read still yields about a tile's pixels
        first = windows[0]
        assert first.width // shrink >= min(tile, width // shrink)


def spool(product_path, band, resolution, fraction=1.0):
    product = open_product(str(product_path))
    epsg = grid_module.choose_zone(product)
    grid, granules = grid_module.output_grid(product, resolution, epsg)
    store = Spool(grid.width, grid.height)
    counter = eq.BandHistogram(fraction, nodata=product.nodata,
                               saturated=product.saturated)
    reading.spool_bands(product, granules, [band], grid, [store], [counter])
    try:
        image = store.read(0, grid.height, 0, grid.width)
    finally:
        store.close()
    path = product.band_file(granules[0], band,
                             product.band_resolution(band))
    return image, counter, path, product


def test_spooled_band_is_the_decoded_band_and_counts_every_pixel(l1c):
    image, counter, path, product = spool(l1c, "B04", 10)
    with rasterio.open(path) as src:
        assert src.block_shapes[0] == (128, 128)     # several tiles a side
        whole = src.read(1)
    np.testing.assert_array_equal(image, whole)
    exact = eq.histogram(whole, (product.nodata, product.saturated))
    np.testing.assert_array_equal(counter.counts, exact)
    assert counter.valid_pixels == int(exact.sum())   # saturated left out
    assert np.count_nonzero(whole == product.saturated) > 0


def test_coarser_band_is_repeated_onto_the_finer_grid(l1c):
    image, _, path, _ = spool(l1c, "B11", 10)
    with rasterio.open(path) as src:
        whole = src.read(1)
    np.testing.assert_array_equal(
        image, np.repeat(np.repeat(whole, 2, axis=0), 2, axis=1))


def test_coarser_grid_reads_the_reduced_resolution_level(l1c):
    image, _, path, _ = spool(l1c, "B04", 20)
    with rasterio.open(path) as src:
        half = src.read(1, out_shape=(src.height // 2, src.width // 2),
                        resampling=Resampling.nearest)
    np.testing.assert_array_equal(image, half)


def test_sampled_counts_come_from_valid_pixels_only(l1c):
    image, counter, _, product = spool(l1c, "B03", 10, fraction=0.05)
    valid = (image != product.nodata) & (image != product.saturated)
    assert 0.04 < counter.sampled_pixels / valid.sum() < 0.06
    assert counter.counts[product.nodata] == 0
    present = eq.histogram(image) > 0
    assert np.all(present[counter.counts > 0])


def test_run_reports_the_tables_it_mapped_the_bands_with(l1c, tmp_path):
    result = render.run(render.Options(str(l1c), str(tmp_path / "rgb.tif"),
                                       sample_fraction=1.0))
    assert sorted(result.tables) == sorted(result.bands)
    for band in result.bands:
        image, _, _, product = spool(l1c, band, 10)
        exact = eq.lookup_table(
            eq.histogram(image, (product.nodata, product.saturated)),
            product.saturated)
        np.testing.assert_array_equal(result.tables[band], exact)


def test_a_pixel_missing_in_any_band_is_black_and_masked():
    planes = [np.array([[0, 2], [3, 4]], np.uint16),
              np.array([[5, 0], [7, 8]], np.uint16),
              np.array([[9, 10], [11, 12]], np.uint16)]
    luts = [(np.arange(eq.LEVELS_IN) * k % 256).astype(np.uint8)
            for k in (3, 5, 7)]
    rgb, mask = eq.map_planes(iter(planes), luts)
    np.testing.assert_array_equal(mask, [[0, 0], [255, 255]])
    assert not rgb[:, 0, :].any()              # first row: a band missing
    for plane, lut, channel in zip(planes, luts, rgb):
        np.testing.assert_array_equal(channel[1], lut[plane[1]])


def test_spool_gives_back_any_block_it_was_given():
    rng = np.random.default_rng(7)
    width, height = 2 * Spool.STRIPE + 300, 90
    band = rng.integers(1, 65535, (height, width), dtype=np.uint16)
    store = Spool(width, height)
    try:
        right = width - 1500
        for top, left in ((0, 0), (0, right), (40, 0), (40, right)):
            store.write(top, left, band[top:top + 50, left:left + 1500])
        stripe = Spool.STRIPE
        for row, rows, col, cols in ((0, 90, 0, stripe),      # whole stripes
                                     (10, 30, stripe, stripe),
                                     (5, 80, 2 * stripe, 300),
                                     (3, 7, 1000, 1100),      # across stripes
                                     (0, 90, 0, width)):
            np.testing.assert_array_equal(
                store.read(row, rows, col, cols),
                band[row:row + rows, col:col + cols])
    finally:
        store.close()


def test_spool_reads_from_several_threads_at_once():
    """The write pass reads each spool from several workers at once
    (render.WRITE_WORKERS): each read gets its own block."""
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(8)
    width, height = 3 * Spool.STRIPE, 200
    band = rng.integers(1, 65535, (height, width), dtype=np.uint16)
    store = Spool(width, height)
    try:
        store.write(0, 0, band)
        blocks = [(int(rng.integers(0, 150)), 50,
                   int(rng.integers(0, 3)) * Spool.STRIPE, Spool.STRIPE)
                  for _ in range(400)]
        with ThreadPoolExecutor(4) as pool:
            read = list(pool.map(lambda b: store.read(*b), blocks))
        for (row, rows, col, cols), got in zip(blocks, read):
            np.testing.assert_array_equal(
                got, band[row:row + rows, col:col + cols])
    finally:
        store.close()


def test_spool_gathers_picked_pixels_across_stripes():
    """gather takes the picked pixels of a strip of whole rows, stripe
    by stripe; rows never written read as 0 (no-data)."""
    rng = np.random.default_rng(9)
    width, height = 2 * Spool.STRIPE + 300, 60
    band = rng.integers(1, 65535, (height, width), dtype=np.uint16)
    store = Spool(width, height)
    try:
        store.write(0, 0, band[:40])                # rows 40.. never written
        for top, rows in ((0, 10), (25, 30), (50, 10)):
            where = np.sort(rng.choice(rows * width, 500, replace=False))
            got = store.gather(top, rows, store.picks(where))
            expected = np.vstack([band[:40], np.zeros((20, width),
                                                      np.uint16)])
            np.testing.assert_array_equal(
                got, expected[top:top + rows].reshape(-1)[where])
    finally:
        store.close()


def test_with_data_is_none_where_every_pixel_has_data():
    full = [np.full((2, 3), 7, np.uint16)] * 3
    assert pieces.with_data(full) is None
    assert pieces.with_data(full, (0, 1)) is None
    gap = [full[0], np.array([[7, 0, 7], [7, 7, 1]], np.uint16), full[0]]
    np.testing.assert_array_equal(pieces.with_data(gap),
                                  [[True, False, True], [True] * 3])
    np.testing.assert_array_equal(pieces.with_data(gap, (0, 1)),
                                  [[True, False, True], [True, True, False]])


def test_a_damaged_last_band_stops_the_run_before_any_decoding(
        l1c, tmp_path):
    import shutil
    from sentinel2_equalizer.core.errors import BandError
    copy = tmp_path / l1c.name
    shutil.copytree(l1c, copy)
    product = open_product(str(copy))
    granule = product.granules[0]
    shutil.copy(product.band_file(granule, "B05", 20),
                product.band_file(granule, "B02", 10))   # wrong grid
    refresh_manifest(copy)          # as the product was made, wrongly
    shares = []
    with pytest.raises(BandError, match="Band B02 file .* has 183 x 183"):
        render.run(render.Options(str(copy), str(tmp_path / "rgb.tif")),
                   report=shares.append)
    assert max(shares, default=0.0) == 0.0
    assert not (tmp_path / "rgb.tif").exists()
