"""The shared curve's sum is the same however it is grouped and in whatever
order the measurements come: a flat sum of 1, 2, 7 or 64 measurements
(with luminance and adaptive tile histograms) equals their sum as a tree
of any shape, and the batch's own tree (cli/tree.py) fed in any order of
completion."""

import copy

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel2_equalizer.cli.inflight import in_flight_limit
from sentinel2_equalizer.cli.tree import GROUP, Tree, level_widths, per_leaf
from sentinel2_equalizer.core.curves import curve as curves
from sentinel2_equalizer.core.curves import tiles, totals
from sentinel2_equalizer.core.curves.equalize import LEVELS_IN
from sentinel2_equalizer.core.curves.luminance import LUMINANCE
from sentinel2_equalizer.core.errors import CurveError

COUNTS = (1, 2, 7, 64)
BANDS = ("B04", "B03", "B02")
#: Tile histograms of the test: few bins, so 64 measurements stay small.
BINS = 16
ZONES = (32631, 32632)


def measurement(rng, number):
    """A Measurement of random histograms of three bands and their
    luminance, and random tile histograms in one or two UTM zones, each
    over tiles of its own extent (valid shares: any float in [0, 1])."""
    bands = {}
    for band in BANDS + (LUMINANCE,):
        counts = np.zeros(LEVELS_IN, np.int64)
        where = rng.integers(0, LEVELS_IN, 200)
        np.add.at(counts, where, rng.integers(1, 10 ** 6, where.size))
        sampled = int(counts.sum())
        bands[band] = curves.BandCounts(counts, sampled * 100 + int(
            rng.integers(0, 100)), sampled)
    zones = {}
    for epsg in ZONES[:int(rng.integers(1, len(ZONES) + 1))]:
        shape = tuple(int(v) for v in rng.integers(1, 5, 2))
        origin = tuple(int(v) for v in rng.integers(-3, 3, 2))
        zone = tiles.TileCounts.empty(epsg, 5000.0, BINS, origin, shape,
                                      BANDS + (LUMINANCE,))
        zone.valid = rng.random(shape)
        zone.products[...] = 1
        for key in zone.counts:
            zone.counts[key] = rng.integers(0, 5000, shape + (BINS,)).astype(
                np.uint32)
        zones[epsg] = zone
    return curves.Measurement(
        product={"name": "S2B_MSIL1C_{:04d}".format(number), "level": "L1C",
                 "baseline": "05.09", "sensing": "2023-06-14"},
        bands=bands, sample_fraction=0.01, seed=7, resolution=10,
        luminance_of=BANDS, tiles=zones)


def made(count, seed):
    rng = np.random.default_rng(seed)
    return [measurement(rng, n) for n in range(count)]


def flat(parts):
    """The flat sum: every part in one add."""
    return totals.add(parts)


def tree_sum(parts, sizes):
    """``parts`` added as a tree: each level cuts the level below into
    adjacent groups whose sizes come from ``sizes`` (1 to 8), until one
    sum is left."""
    level = list(parts)
    sizes = iter(sizes)
    while len(level) > 1:
        groups, start = [], 0
        while start < len(level):
            size = next(sizes, 2)
            groups.append(level[start:start + size])
            start += size
        if len(groups) == len(level):       # all of one: join the first two
            groups = [level[:2]] + [[p] for p in level[2:]]
        level = [totals.add(group) for group in groups]
    return totals.total_of(level[0])


def assert_same_sums(a, b, same_order=True):
    """``a`` and ``b`` (Totals) hold exactly the same sums."""
    assert sorted(a.bands) == sorted(b.bands)
    for band in a.bands:
        assert np.array_equal(a.bands[band].counts, b.bands[band].counts)
        assert a.bands[band].counts.dtype == np.int64
        assert a.bands[band].valid_pixels == b.bands[band].valid_pixels
        assert a.bands[band].sampled_pixels == b.bands[band].sampled_pixels
    assert sorted(a.tiles) == sorted(b.tiles)
    for epsg in a.tiles:
        x, y = a.tiles[epsg], b.tiles[epsg]
        assert (x.origin, x.shape) == (y.origin, y.shape)
        assert np.array_equal(x.valid, y.valid)          # bit for bit
        assert np.array_equal(x.products, y.products)
        assert sorted(x.counts) == sorted(y.counts)
        for key in x.counts:
            assert np.array_equal(x.counts[key], y.counts[key])
    assert (a.level, a.luminance_of, a.sample_fraction, a.seed,
            a.resolution) == (b.level, b.luminance_of, b.sample_fraction,
                              b.seed, b.resolution)
    if same_order:
        assert a.products == b.products
    else:
        assert sorted(p["name"] for p in a.products) == sorted(
            p["name"] for p in b.products)


def expected_sums(parts):
    """The sums computed here by hand, one part after the other: integer
    counts, and the tiles' valid shares on totals' grid (exact)."""
    step = totals.VALID_STEP
    band_totals = {b: sum(p.bands[b].counts for p in parts)
                   for b in parts[0].bands}
    valid = {}
    for part in parts:
        for epsg, zone in part.tiles.items():
            on_grid = np.round(zone.valid / step) * step if len(parts) > 1 \
                else zone.valid
            valid.setdefault(epsg, 0.0)
            valid[epsg] += on_grid.sum()
    return band_totals, valid


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(COUNTS), st.integers(0, 2 ** 32 - 1), st.data())
def test_a_tree_of_any_shape_in_any_order_equals_the_flat_sum(count, seed,
                                                              data):
    parts = made(count, seed)
    kept = copy.deepcopy(parts)
    order = data.draw(st.permutations(range(count)), label="order")
    sizes = data.draw(st.lists(st.integers(1, 8), max_size=3 * count),
                      label="group sizes")
    shuffled = [parts[i] for i in order]
    reference = totals.total_of(flat(parts))
    # the same order: the very same sum, products listed alike
    assert_same_sums(tree_sum(parts, sizes), reference)
    # any order, any tree: the same sums
    assert_same_sums(tree_sum(shuffled, sizes), reference, same_order=False)
    assert_same_sums(totals.total_of(flat(shuffled)), reference,
                     same_order=False)
    # the sums are those of the parts, and nothing given was changed
    bands, valid = expected_sums(parts)
    for band, counts in bands.items():
        assert np.array_equal(reference.bands[band].counts, counts)
    for epsg, share in valid.items():
        assert reference.tiles[epsg].valid.sum() == share
    for before, after in zip(kept, parts):
        for band in before.bands:
            assert np.array_equal(before.bands[band].counts,
                                  after.bands[band].counts)
        for epsg in before.tiles:
            assert np.array_equal(before.tiles[epsg].valid,
                                  after.tiles[epsg].valid)
    # and so the same curve: its tables and its file's histograms
    one = curves.combine(parts)
    other = curves.combine([tree_sum(shuffled, sizes)])
    for band in one.tables:
        assert np.array_equal(one.tables[band], other.tables[band])
        assert np.array_equal(one.counts[band].counts,
                              other.counts[band].counts)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(COUNTS), st.integers(2, 8), st.integers(0, 2 ** 32 - 1),
       st.randoms(use_true_random=False))
def test_the_batch_tree_in_any_completion_order_equals_the_flat_sum(
        count, group, seed, random):
    """cli/tree.py's Tree, its nodes finishing in a random order: every
    task gets at most ``group`` parts, the last one every product once,
    in the order given, and the sum is the flat one."""
    parts = made(count, seed)
    tree = Tree(count, group)
    finished = [(0, index, part) for index, part in enumerate(parts)]
    widest, result = 0, None
    while finished:
        level, index, part = finished.pop(random.randrange(len(finished)))
        ready = tree.done(level, index, part)
        if ready is None:
            continue
        up, parent, group_parts = ready
        widest = max(widest, len(group_parts))
        if up == tree.top:
            assert result is None and not finished
            result = totals.add(group_parts)
        else:
            finished.append((up, parent, totals.add(group_parts)))
    assert result is not None and widest <= group
    assert_same_sums(totals.total_of(result), totals.total_of(flat(parts)))
    assert len(level_widths(count, group)) == tree.top


def test_parts_that_cannot_be_added_are_refused_with_a_message():
    first, second = made(2, 3)
    second.product = dict(second.product, level="L2A")
    try:
        totals.add([first, second])
    except CurveError as exc:
        assert "mix levels (L1C, L2A)" in str(exc)
    else:
        raise AssertionError("L1C and L2A added up")
    first, second = made(2, 3)
    del second.bands["B03"]
    try:
        totals.add([totals.add([first]), second])
    except CurveError as exc:
        assert str(exc) == "Product S2B_MSIL1C_0001 has no measure of band " \
            "B03."
    else:
        raise AssertionError("a missing band added up")


def test_measuring_tasks_keep_every_worker_busy():
    """A measuring task takes up to GROUP products, fewer where there would
    not be a few tasks in flight per worker thread."""
    assert per_leaf(4, 2) == 1
    assert per_leaf(12, 2) == 2
    assert per_leaf(1000, 2) == GROUP
    assert per_leaf(20000, 256) == GROUP
    assert per_leaf(1, 0) == 1
    for count, threads in ((5, 1), (200, 2), (20000, 100)):
        leaves = -(-count // per_leaf(count, threads))
        assert leaves >= min(count, in_flight_limit(threads))
    assert level_widths(2000) == [2000, 500, 125, 32, 8, 2]
