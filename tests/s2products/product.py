"""make_product, the generator's entry point: it checks its arguments, places
the granules, names the product and has its SAFE folder (or zip) written.
"""

import datetime as dt
import pathlib
import re
import shutil
import tempfile

import numpy as np

from .constants import (_TIME_FMT, ALL_BANDS, DEFAULT_OPER_SENSING,
                        DEFAULT_SENSING, L1C_EXTRAS, L2A_BANDS, L2A_EXTRAS,
                        OFFSET_FROM_BASELINE, RADIO_OFFSET,
                        TCI_FROM_BASELINE)
from .grid import _Granule, _tile_grid, granule_grid
from .names import _baseline_tuple, _Names
from .safe import _assemble, _zip_product
from .scene import _Scene


def _select_bands(level, bands):
    spectral = ALL_BANDS if level == "L1C" else L2A_BANDS
    extras = L1C_EXTRAS if level == "L1C" else L2A_EXTRAS
    if bands is None:
        return list(spectral), list(extras)
    if isinstance(bands, str):
        bands = [b for b in bands.split(",") if b]
    chosen, chosen_extras = [], []
    for b in bands:
        b = b.strip().upper()
        if re.fullmatch(r"B\d", b):
            b = "B0" + b[1]
        if b in spectral:
            if b not in chosen:
                chosen.append(b)
        elif b in extras:
            if b not in chosen_extras:
                chosen_extras.append(b)
        else:
            raise ValueError(f"band {b!r} does not exist in {level} products")
    return chosen, chosen_extras


def make_product(parent, *, level="L1C", layout="compact", size=366,
                 bands=None, baseline=None, tiles=("31UFQ",), jp2_block=None,
                 zipped=False, seed=0, sensing=None, sky_seed=None,
                 tile_grid=None, band_format="JPEG2000", shift=(0, 0),
                 cloud_polygons=True, cloud_mask=True):
    """Write a synthetic Sentinel-2 product into the existing ``parent``.

    level: "L1C" or "L2A" (L2A only with layout="compact").
    layout: "compact" (naming used since December 2016, one granule, only
        ``tiles[0]`` is used) or "oper" (2015-2016 naming, one granule per
        tile, neighbouring granules overlapping by a strip of columns).
    size: width = height of the 10 m grid, divisible by 6.
    bands: spectral bands to write (default all of the level, plus the
        non-spectral rasters TCI, and SCL/AOT/WVP for L2A). The metadata
        always lists every band. Names like "TCI" or "SCL" may be included.
    baseline: processing baseline "NN.NN"; "05.09" for compact, "02.01" for
        oper by default. From 04.00 on, DN = reflectance * 10000 + 1000 and
        the offset is declared in the root metadata.
    tiles: MGRS tiles from ``TILES``.
    tile_grid: tiles whose fixture placement (``granule_grid``) the
        product's tiles take, default ``tiles``. Compact products of
        31UFQ and of 31UGQ, both made with tile_grid=("31UFQ", "31UGQ"),
        overlap as the granules of an oper product of both tiles do, and
        agree where they overlap (their no-data wedge included).
    jp2_block: JPEG2000 tile size (default 1024, clamped to the image).
    zipped: return a deflate .zip holding the .SAFE folder instead.
    band_format: "JPEG2000" (as ESA delivers) or, for L2A, "GeoTIFF": the
        band files of IMG_DATA as Cloud Optimized GeoTIFFs (.tif) with
        averaged overviews, imageFormat="GeoTIFF" on each Granule of the
        metadata, as some archives redistribute Sen2Cor products. The
        pixels are those of the JPEG2000 product of the same arguments.
    shift: (east, north) metres, whole 60 m cells, added to the fixture
        placement of every granule: a small product away from its tile's
        corner, where one of another UTM zone overlaps it.
    cloud_polygons: products before baseline 04.00 carry their clouds as
        polygons in MSK_CLOUDS_B00.gml (one per run of 60 m pixels whose
        centre is cloud, as MSK_CLASSI_B00 of later baselines has them);
        False writes the GML without a polygon, as of a clear sky.
    cloud_mask: False leaves out the L1C cloud mask (MSK_CLASSI_B00.jp2,
        or MSK_CLOUDS_B00.gml before 04.00), file and metadata entry, as
        in products stripped of their QI_DATA; an L2A then has none if
        ``bands`` leaves out SCL.
    seed: scene variant; values depend only on (seed, band, map position).
    sky_seed: if given, the clouds (and their shadows) come from this seed
        instead: the same ground and sensor noise under another sky, as on
        another date of the same tile.
    sensing: datatake sensing start "YYYYMMDDTHHMMSS" (default 20230614T105629
        for compact, 20160315T105625 for oper).

    Returns the path of the .SAFE folder, or of the .zip when zipped.
    """
    parent = pathlib.Path(parent)
    if not parent.is_dir():
        raise ValueError(f"{parent} is not an existing folder")
    if level not in ("L1C", "L2A"):
        raise ValueError("level must be 'L1C' or 'L2A'")
    if layout not in ("compact", "oper"):
        raise ValueError("layout must be 'compact' or 'oper'")
    if level == "L2A" and layout != "compact":
        raise ValueError("L2A products only exist with the compact layout")
    if (not isinstance(size, (int, np.integer)) or isinstance(size, bool)
            or size <= 0 or size % 6):
        raise ValueError(
            f"size must be a positive multiple of 6, got {size!r}")
    size = int(size)
    if isinstance(tiles, str):
        tiles = [t for t in tiles.split(",") if t]
    tiles = [t.upper().lstrip("T") for t in tiles]
    if not tiles:
        raise ValueError("at least one tile is needed")
    if layout == "compact":
        tiles = tiles[:1]
    if len(set(tiles)) != len(tiles):
        raise ValueError("tiles must be distinct")
    if baseline is None:
        baseline = "05.09" if layout == "compact" else "02.01"
    if not re.fullmatch(r"\d\d\.\d\d", baseline):
        raise ValueError(f"baseline must look like '05.09', got {baseline!r}")
    if sensing is None:
        sensing = DEFAULT_SENSING if layout == "compact" else \
            DEFAULT_OPER_SENSING
    try:
        when = dt.datetime.strptime(sensing, _TIME_FMT)
    except (TypeError, ValueError):
        raise ValueError(f"sensing must be YYYYMMDDTHHMMSS, got {sensing!r}")
    block = 1024 if jp2_block is None else int(jp2_block)
    if block < 32:
        raise ValueError("jp2_block must be at least 32")
    if band_format not in ("JPEG2000", "GeoTIFF"):
        raise ValueError("band_format must be 'JPEG2000' or 'GeoTIFF'")
    if band_format == "GeoTIFF" and level != "L2A":
        raise ValueError("GeoTIFF bands exist only in L2A products")
    spectral, extras = _select_bands(level, bands)
    if level == "L1C" and _baseline_tuple(baseline) < TCI_FROM_BASELINE:
        if bands is not None and "TCI" in extras:
            raise ValueError("L1C products only carry a TCI image from "
                             "processing baseline 02.04 on")
        extras = [e for e in extras if e != "TCI"]

    east, north = (float(v) for v in shift)
    if east % 60 or north % 60:
        raise ValueError(f"shift must be whole 60 m cells, got {shift!r}")
    placed = [(t, e, x + east, y + north) for t, e, x, y in
              granule_grid(_tile_grid(tiles, tile_grid), size)]
    granules = [_Granule(t, e, x, y, size) for t, e, x, y in placed
                if t in tiles]
    scenes = {}
    for g in granules:
        zone = [_Granule(t, e, x, y, size) for t, e, x, y in placed
                if e == g.epsg]
        anchor = (min(h.ulx for h in zone), max(h.uly for h in zone))
        if g.epsg not in scenes:
            scenes[g.epsg] = _Scene(seed, anchor, size * 10.0, sky_seed)
    names = _Names(level, layout, baseline, when, granules)
    with_offset = _baseline_tuple(baseline) >= OFFSET_FROM_BASELINE
    add = -RADIO_OFFSET if with_offset else 0

    target = parent / (f"{names.safe}.zip" if zipped else f"{names.safe}.SAFE")
    if target.exists():
        raise FileExistsError(f"a product with this name already exists: "
                              f"{target}")
    # A zipped product is assembled in a scratch folder next to the target so
    # that no unzipped .SAFE is left behind; a failed build leaves nothing.
    work = (pathlib.Path(tempfile.mkdtemp(prefix=".s2build-", dir=parent))
            if zipped else None)
    safe = (work or parent) / f"{names.safe}.SAFE"
    try:
        _assemble(safe, names, granules, scenes, level, layout, spectral,
                  extras, add, with_offset, block, band_format,
                  cloud_polygons, cloud_mask)
        if zipped:
            _zip_product(safe, target, names.generation)
    except BaseException:
        if not zipped:
            shutil.rmtree(safe, ignore_errors=True)
        raise
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return target
