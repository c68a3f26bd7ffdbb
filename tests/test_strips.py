"""The one-pass strips (core/pixels/strips.py) against a straightforward
reference, on made-up bands: granules that overlap at offsets that are not
whole strips, coarser bands repeated onto the grid, reduced reads, a grid
whose height is not a whole number of strips, readers fast and slow."""

import itertools
import time
from types import SimpleNamespace

import numpy as np
import pytest
from rasterio.windows import Window

from sentinel2_equalizer.core.pixels import strips


class FakeBand:
    """Stands in for reading.GranuleBand: ``product[(granule, band)]``
    holds the band's DNs and where and how they go on the grid."""

    def __init__(self, product, granule, band, grid):
        spec = product[(granule, band)]
        self.dns = spec["dns"]
        self.row0, self.col0 = spec["corner"]
        self.repeat, self.shrink = spec.get("repeat", 1), spec.get("shrink", 1)
        self.height, self.width = self.dns.shape
        tile = spec["tile"]                # a whole number of shrinks
        self.windows = [
            Window(left, top, min(tile, self.width - left),
                   min(tile, self.height - top))
            for top in range(0, self.height, tile)
            for left in range(0, self.width, tile)]
        self.delay = spec.get("delay", 0.0)

    def decode(self, window):
        if self.delay:
            time.sleep(self.delay)
        rows = slice(window.row_off, window.row_off + window.height,
                     self.shrink)
        cols = slice(window.col_off, window.col_off + window.width,
                     self.shrink)
        return self.dns[rows, cols].copy()


def reference(product, granules, bands, grid):
    """Each band whole on the grid, granule after granule, an earlier
    granule's data kept where they overlap."""
    planes = []
    for band in bands:
        plane = np.zeros((grid.height, grid.width), dtype=np.uint16)
        for granule in granules:
            spec = product[(granule, band)]
            shrink, repeat = spec.get("shrink", 1), spec.get("repeat", 1)
            dns = spec["dns"][::shrink, ::shrink]
            dns = np.repeat(np.repeat(dns, repeat, axis=0), repeat, axis=1)
            row, col = spec["corner"]
            dns = dns[:grid.height - row, :grid.width - col]
            region = plane[row:row + dns.shape[0], col:col + dns.shape[1]]
            np.copyto(region, dns, where=region == 0)
        planes.append(plane)
    return planes


def dns(rng, shape, holes=False):
    values = rng.integers(1, 60000, size=shape, dtype=np.uint16)
    if holes:                              # no-data here and there
        values[rng.random(shape) < 0.2] = 0
        values[:, :shape[1] // 5] = 0
    return values


def collected(product, granules, bands, grid, reader_delay=0.0):
    """The strips band_strips yields, copied as they come (the planes are
    reused), checked to follow each other without gaps."""
    got = [np.zeros((grid.height, grid.width), dtype=np.uint16)
           for _ in bands]
    expected_top = 0
    for top, planes in strips.band_strips(product, granules, bands, grid):
        assert top == expected_top
        rows = planes[0].shape[0]
        assert rows == min(strips.STRIP_ROWS, grid.height - top)
        for whole, plane in zip(got, planes):
            assert plane.dtype == np.uint16
            assert plane.shape == (rows, grid.width)
            whole[top:top + rows] = plane
        expected_top += rows
        if reader_delay:
            time.sleep(reader_delay)
    assert expected_top == grid.height
    return got


@pytest.mark.parametrize("strip_rows,reader_delay,decode_delay", [
    (40, 0.0, 0.0), (40, 0.02, 0.0), (40, 0.0, 0.002), (16, 0.01, 0.0),
    (512, 0.0, 0.0)])
def test_overlapping_granules_and_coarser_bands_match_the_reference(
        monkeypatch, strip_rows, reader_delay, decode_delay):
    """Strips of 40 rows in blocks of two (the tallest tile row is 48),
    of 16 in blocks of three, and one strip over the whole grid."""
    monkeypatch.setattr(strips, "GranuleBand", FakeBand)
    monkeypatch.setattr(strips, "STRIP_ROWS", strip_rows)
    rng = np.random.default_rng(7)
    grid = SimpleNamespace(width=130, height=197)    # 4.9 strips
    product = {
        # a 10 m band: the second granule lower and to the right, over
        # the first's lower right corner, its tiles not on strip edges
        ("a", "B04"): dict(dns=dns(rng, (150, 100), holes=True),
                           corner=(0, 0), tile=32),
        ("b", "B04"): dict(dns=dns(rng, (130, 110)), corner=(67, 20),
                           tile=48),
        # a 20 m band, repeated twice: tiles of 25 rows, 50 output rows
        ("a", "B8A"): dict(dns=dns(rng, (75, 50), holes=True),
                           corner=(0, 0), tile=25, repeat=2),
        ("b", "B8A"): dict(dns=dns(rng, (65, 55)), corner=(67, 20),
                           tile=21, repeat=2),
        # a 60 m band, six times: strip edges fall inside its pixels
        ("a", "B01"): dict(dns=dns(rng, (25, 17), holes=True),
                           corner=(0, 0), tile=7, repeat=6),
        ("b", "B01"): dict(dns=dns(rng, (22, 19)), corner=(67, 20),
                           tile=9, repeat=6),
    }
    for spec in product.values():
        spec["delay"] = decode_delay
    bands = ("B04", "B8A", "B01")
    for granules in (("a", "b"), ("b", "a"), ("a",)):
        got = collected(product, granules, bands, grid, reader_delay)
        for band, plane, expected in zip(
                bands, got, reference(product, granules, bands, grid)):
            np.testing.assert_array_equal(plane, expected, err_msg=band)


def test_reduced_reads_and_a_grid_lower_than_a_strip(monkeypatch):
    monkeypatch.setattr(strips, "GranuleBand", FakeBand)
    rng = np.random.default_rng(3)
    product = {("a", band): dict(dns=dns(rng, (300, 240)), corner=(0, 0),
                                 tile=72, shrink=6)
               for band in ("B04", "B03")}
    grid = SimpleNamespace(width=40, height=50)
    for rows in (strips.STRIP_ROWS, 16):
        monkeypatch.setattr(strips, "STRIP_ROWS", rows)
        got = collected(product, ("a",), ("B04", "B03"), grid)
        for plane, expected in zip(got, reference(product, ("a",),
                                                  ("B04", "B03"), grid)):
            np.testing.assert_array_equal(plane, expected)


def test_runs_cover_a_line_once_in_order():
    for offset, length, repeat in itertools.product(range(8), range(1, 20),
                                                    (1, 2, 3, 6)):
        line = []
        for start, pixel, count, times in strips._runs(offset, length,
                                                       repeat):
            assert start == len(line)
            line.extend(np.repeat(np.arange(pixel, pixel + count), times))
        assert line == [(offset + i) // repeat for i in range(length)]


def test_leaving_early_stops_the_decoding(monkeypatch):
    monkeypatch.setattr(strips, "GranuleBand", FakeBand)
    monkeypatch.setattr(strips, "STRIP_ROWS", 16)
    rng = np.random.default_rng(1)
    product = {("a", "B04"): dict(dns=dns(rng, (160, 64)), corner=(0, 0),
                                  tile=16, delay=0.01)}
    grid = SimpleNamespace(width=64, height=160)
    made = strips.band_strips(product, ("a",), ("B04",), grid)
    top, planes = next(made)
    assert top == 0
    started = time.time()
    made.close()
    assert time.time() - started < 1.0


def test_a_decoding_error_reaches_the_reader(monkeypatch):
    class Damaged(FakeBand):
        def decode(self, window):
            if window.row_off >= 48:
                raise ValueError("damaged tile")
            return super().decode(window)

    monkeypatch.setattr(strips, "GranuleBand", Damaged)
    monkeypatch.setattr(strips, "STRIP_ROWS", 16)
    rng = np.random.default_rng(2)
    product = {("a", "B04"): dict(dns=dns(rng, (96, 32)), corner=(0, 0),
                                  tile=16)}
    grid = SimpleNamespace(width=32, height=96)
    tops = []
    with pytest.raises(ValueError, match="damaged tile"):
        for top, _ in strips.band_strips(product, ("a",), ("B04",), grid):
            tops.append(top)
    assert tops == [0, 16, 32]
