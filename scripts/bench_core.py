"""make bench cases of the plugin's core and of what it is measured
against (scripts/bench.py runs them, each in a fresh process, interleaved
with the others):

  core, q20, q60, noverify, q60nv   the core's whole job: on the 10 m
           grid, the 20 m and 60 m quick-looks, and both without the
           checksum check (VERIFY off)
  floor    the I/O floor: the core's decodes and write in one pass with
           the core's own lookup tables, nothing equalized
  numpy    whole-array np.histogram and np.interp, written the same way
  qgis     the whole job through qgis_process
  decode   the three bands decoded with the core's windows and threads,
           nothing else
  curve, qcurve   the core given its own run's curve: in one process, and
           through qgis_process
  mosaic   the core's mosaic of the MOSAIC_TILES products with one curve,
           only at MOSAIC_SIZE

then the ratios core/floor, core/numpy, q20|q60/core, core/noverify,
q60/q60nv, core|curve|qgis|qcurve/decode and the mosaic's time per product.
bench.py's docstring says what each case stands for.
"""

import functools
import os

from bench_common import (BANDS, MOSAIC_TILES, band_paths, curve_file,
                          measure_once, product, qgis_process, tables_file)

CASES = ("core", "floor", "numpy", "q20", "q60", "qgis", "decode", "curve",
         "qcurve", "mosaic", "noverify", "q60nv")
#: The size of the mosaic case's four products; the size's own product is
#: the first.
MOSAIC_SIZE = 5490


def applies(case, size):
    """Whether ``case`` runs at ``size``: the mosaic only at MOSAIC_SIZE."""
    return case != "mosaic" or size == MOSAIC_SIZE


def prepare(cases, size, path):
    """Forget the tables of an earlier bench, make the mosaic's other
    products, and run the core once ahead where a case needs its tables
    and no core run comes before it."""
    if os.path.exists(tables_file(path)):
        os.remove(tables_file(path))
    if "mosaic" in cases:
        for tile in MOSAIC_TILES:
            product(size, tile)
    needs_core = [c for c in ("floor", "curve", "qcurve") if c in cases]
    if needs_core and "core" not in cases[:cases.index(needs_core[0])]:
        measure_once("core", path)      # these need its tables


def run(name, path, out, tables):
    """Run case ``name`` on the product at ``path``, writing ``out``;
    ``tables``: where the core's run leaves its lookup tables."""
    if name == "core":
        case_core(path, out, tables=tables)
    elif name == "q20":
        case_core(path, out, 20)
    elif name == "q60":
        case_core(path, out, 60)
    elif name == "noverify":
        case_core(path, out, verify=False)
    elif name == "q60nv":
        case_core(path, out, 60, verify=False)
    elif name == "floor":
        case_floor(path, out, tables)
    elif name == "curve":
        case_curve(path, out, tables)
    elif name == "qcurve":
        qgis_process(path, out, ["CURVE={}".format(curve_file(tables))])
    elif name == "qgis":
        qgis_process(path, out)
    elif name == "decode":
        case_decode(path, out)
    elif name == "numpy":
        case_numpy(path, out)
    elif name == "mosaic":
        case_mosaic(path, out)


# ---------------------------------------------------------------------------
# The cases.

def write_like_the_core(out, src, blocks, count):
    """Write ``count`` (rgb, mask, window) blocks through the core's own
    writer (staging file, overviews from the blocks, Cloud Optimized copy,
    natural colour's encoding)."""
    from sentinel2_equalizer.core.output import geotiff
    from sentinel2_equalizer.core import progress
    from sentinel2_equalizer.core.pixels.grid import Grid

    class Sized:
        def __iter__(self):
            for rgb, mask, window in blocks:
                yield ((window.row_off, window.height, window.col_off,
                        window.width), rgb, mask)

        def __len__(self):
            return count

    grid = Grid(src.crs.to_epsg(), src.res[0], src.transform.c,
                src.transform.f, src.width, src.height)
    geotiff.write_geotiff(out, grid, Sized(), {}, ["red", "green", "blue"],
                          progress.Progress())


def case_core(path, out, resolution=None, tables=None, verify=True):
    """The core's whole job (band files checked against the manifest's
    checksums unless ``verify`` is false); its lookup tables go to
    ``tables`` (.npy)."""
    from sentinel2_equalizer.core import render
    result = render.run(render.Options(path, out, bands=BANDS,
                                       sample_fraction=0.01,
                                       resolution=resolution, verify=verify))
    if tables:
        import numpy as np
        from sentinel2_equalizer.core.curves import curve
        np.save(tables, np.stack([result.tables[b] for b in BANDS]))
        curve.save(result.curve, curve_file(tables))


def case_curve(path, out, tables):
    """The core's one pass, given the curve of the core's own run."""
    from sentinel2_equalizer.core import render
    render.run(render.Options(path, out, bands=BANDS,
                              curve=curve_file(tables)))


def _decode(band, window):
    """One window of a band file, decoded."""
    import rasterio
    with rasterio.open(band) as one:
        return one.read(1, window=window)


def _windows(src):
    """The core's decode windows over the band file open as ``src``."""
    from sentinel2_equalizer.core.pixels import reading
    return reading.decode_windows(src.width, src.height,
                                  *src.block_shapes[0])


def case_decode(path, out):
    """The three bands decoded at full resolution, tile by tile, with the
    core's windows and worker threads; nothing is kept or written."""
    import rasterio
    from sentinel2_equalizer.core.gdal import env as gdal_env
    from sentinel2_equalizer.core.pixels import reading
    paths = band_paths(path)
    with gdal_env.BoundedGdalCache(), rasterio.open(paths[0]) as src:
        windows = _windows(src)
    jobs = [functools.partial(_decode, band, window)
            for band in paths for window in windows]
    for _ in reading.prefetched(jobs, reading.DECODE_WORKERS):
        pass


def case_floor(path, out, tables):
    """Every band decoded once, tile by tile with the core's windows and
    worker threads, mapped through the core's own tables (read from
    ``tables``) and written the core's way (same GDAL cache bound) as soon
    as a tile's three bands are in."""
    import numpy as np
    import rasterio
    from sentinel2_equalizer.core.curves import equalize
    from sentinel2_equalizer.core.gdal import env as gdal_env
    from sentinel2_equalizer.core.pixels import reading
    paths = band_paths(path)
    luts = np.load(tables)
    with gdal_env.BoundedGdalCache(), rasterio.open(paths[0]) as src:
        windows = _windows(src)
        jobs = [functools.partial(_decode, band, window)
                for window in windows for band in paths]
        planes = reading.prefetched(jobs, reading.DECODE_WORKERS)

        def blocks():
            for window in windows:
                rgb, mask = equalize.map_planes(
                    [next(planes) for _ in paths], luts)
                yield rgb, mask, window
        write_like_the_core(out, src, blocks(), len(windows))


def case_numpy(path, out):
    """Whole bands in memory, np.histogram + np.interp."""
    import numpy as np
    import rasterio
    from rasterio.windows import Window
    paths = band_paths(path)
    planes = []
    for band in paths:
        with rasterio.open(band) as src:
            dn = src.read(1)
        valid = dn != 0
        counts, edges = np.histogram(dn[valid], bins=65535,
                                     range=(1, 65536))
        cdf = np.cumsum(counts) / float(counts.sum())
        planes.append(np.interp(dn, edges[1:], cdf * 255.0).astype(
            np.uint8))
    with rasterio.open(paths[0]) as src:
        rgb = np.stack(planes)
        mask = valid.astype(np.uint8) * 255
        write_like_the_core(out, src, [(rgb, mask, Window(
            0, 0, src.width, src.height))], 1)


def case_mosaic(path, out):
    """The core's mosaic of the four MOSAIC_TILES products, the one at
    ``path`` first, with one curve at a 1 % sample."""
    from sentinel2_equalizer.core import mosaic
    size = int(os.path.basename(os.path.dirname(path)).split("-")[1])
    mosaic.mosaic([product(size, tile) for tile in MOSAIC_TILES], out,
                  BANDS, 0.01)


# ---------------------------------------------------------------------------
# The figures.

def report(size, row, ratios):
    """Print the core cases' ratios from ``row`` (case -> (wall s, peak
    MiB)) and ``ratios`` (bench_common.Ratios)."""
    if "core" in row:
        for other in ("floor", "numpy"):
            if other in row:
                print("{:>6} core/{:<6} {:5.3f}".format(
                    size, other, row["core"][0] / row[other][0]))
        for quick in ("q20", "q60"):
            if quick in row:
                print("{:>6} {}/core    {:5.3f}".format(
                    size, quick, row[quick][0] / row["core"][0]))
    # What checking the band files against their checksums costs.
    for checked, unchecked in (("core", "noverify"), ("q60", "q60nv")):
        if checked in row and unchecked in row:
            print("{:>6} {}/{} {:5.3f}".format(
                size, checked, unchecked,
                row[checked][0] / row[unchecked][0]))
    if "decode" in row:
        for job in ("core", "curve", "qgis", "qcurve"):
            if job in row:
                print("{:>6} {}/decode {}".format(
                    size, job, ratios.text(job, "decode")))
    if "mosaic" in row:
        per_product = row["mosaic"][0] / len(MOSAIC_TILES)
        print("{:>6} mosaic: {:.2f} s per product{}".format(
            size, per_product, ", {:5.3f} x core's one product".format(
                per_product / row["core"][0]) if "core" in row else ""))
