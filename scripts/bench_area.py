"""make bench cases of an area of interest and of the reader's open
datasets (scripts/bench.py runs them, each in a fresh process, interleaved
with its own):

  carea   a 10 km x 10 km area of the size's product through `s2eq
          equalize --extent`, band files verified: beside `cli` (the whole
          tile the same way)
  qarea   the same area through qgis_process (EXTENT): beside `qgis`
  perblock  the core's default run with a dataset opened for every block
          decoded, as the reader did before it kept one per band file and
          thread: beside `core`
  dfloor  the decode floor with one dataset per band file and thread: the
          three bands decoded at full resolution, tile by tile, a tile per
          core in flight (../shared/bench/decode_floor.py's way), nothing
          else

then carea/cli and qarea/qgis, core/perblock, qgis/dfloor and core/dfloor,
and the JPEG2000 tiles the area decodes against the whole tile's (counted
from the reader's windows, not timed).
"""

import functools
import os
import subprocess
import threading

from bench_common import BANDS, ROOT, band_paths, qgis_process

CASES = ("carea", "qarea", "perblock", "dfloor")
S2EQ = os.path.join(ROOT, "scripts", "s2eq")
#: The area's side, in metres.
AREA_METRES = 10000.0


def applies(case, size):
    """Whether ``case`` runs at ``size``: the area needs a product wider
    than it."""
    return case not in ("carea", "qarea") or size * 10.0 > AREA_METRES


def prepare(cases, size, path):
    """Nothing to make beforehand."""


def area_extent(path):
    """(xmin, ymin, xmax, ymax) of a square of AREA_METRES in the middle
    of the product at ``path``, in its UTM zone."""
    import rasterio
    with rasterio.open(band_paths(path)[0]) as src:
        left, bottom, right, top = src.bounds
    x, y = (left + right) / 2.0, (bottom + top) / 2.0
    half = AREA_METRES / 2.0
    return x - half, y - half, x + half, y + half


def run(name, path, out, tables):
    """Run case ``name`` on the product at ``path``, writing ``out``."""
    {"carea": case_carea, "qarea": case_qarea, "perblock": case_perblock,
     "dfloor": case_dfloor}[name](path, out)


def case_carea(path, out):
    subprocess.run([S2EQ, "equalize", path, "-o", out, "--quiet",
                    "--extent", ",".join("{:.0f}".format(v)
                                         for v in area_extent(path))],
                   check=True)


def case_qarea(path, out):
    xmin, ymin, xmax, ymax = area_extent(path)
    qgis_process(path, out, ["EXTENT={:.0f},{:.0f},{:.0f},{:.0f}".format(
        xmin, xmax, ymin, ymax)])


def case_perblock(path, out):
    """The core's default run, each block decoded from a dataset of its
    own, opened and closed around it."""
    import rasterio
    from sentinel2_equalizer.core import render
    from sentinel2_equalizer.core.pixels import reading

    def read(self, how):
        with rasterio.open(self.path) as dataset:
            return how(dataset)
    reading.ThreadDatasets.read = read
    render.run(render.Options(path, out, bands=BANDS))


def case_dfloor(path, out):
    """The three bands decoded tile by tile, a dataset per band file and
    thread, a tile per core in flight."""
    import rasterio
    from concurrent.futures import ThreadPoolExecutor
    from rasterio.windows import Window
    local = threading.local()
    opened = []

    def tiles(band):
        with rasterio.open(band) as src:
            rows, cols = src.block_shapes[0]
            return [Window(c, r, min(cols, src.width - c),
                           min(rows, src.height - r))
                    for r in range(0, src.height, rows)
                    for c in range(0, src.width, cols)]

    def decode(band, window):
        handles = local.__dict__.setdefault("handles", {})
        if band not in handles:
            handles[band] = rasterio.open(band)
            opened.append(handles[band])
        handles[band].read(1, window=window)

    jobs = [functools.partial(decode, band, window)
            for band in band_paths(path) for window in tiles(band)]
    with rasterio.Env(GDAL_NUM_THREADS="1", OPJ_NUM_THREADS="1"):
        with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            list(pool.map(lambda job: job(), jobs))
    for dataset in opened:
        dataset.close()


def tiles_decoded(path, extent=None):
    """{band: JPEG2000 tiles the reader decodes} for the product at
    ``path`` over ``extent`` (None: the whole tile), from its windows."""
    import rasterio
    from sentinel2_equalizer.core.pixels.area import make_area
    from sentinel2_equalizer.core.pixels.reading import GranuleBand
    from sentinel2_equalizer.core.plan import make_plan
    plan = make_plan(path, BANDS, area=make_area(extent))
    counts = {}
    for band in plan.unique_bands:
        tiles = set()
        for granule in plan.granules:
            target = GranuleBand(plan.product, granule, band, plan.grid)
            with rasterio.open(target.path) as src:
                rows, cols = src.block_shapes[0]
            for w in target.windows:
                tiles.update((r, c)
                             for r in range(w.row_off // rows,
                                            -(-(w.row_off + w.height) // rows))
                             for c in range(w.col_off // cols,
                                            -(-(w.col_off + w.width) // cols)))
        counts[band] = len(tiles)
    return counts


def report(size, row, ratios, path):
    """Print the area's and the reader's figures of ``row`` (case -> (wall
    s, peak MiB)) and ``ratios`` (bench_common.Ratios)."""
    for case, whole in (("carea", "cli"), ("qarea", "qgis"),
                        ("core", "perblock")):
        if case in row and whole in row:
            print("{:>6} {}/{} {}".format(size, case, whole,
                                          ratios.text(case, whole)),
                  flush=True)
    for job in ("qgis", "core", "perblock"):
        if job in row and "dfloor" in row:
            print("{:>6} {}/dfloor {}".format(size, job,
                                              ratios.text(job, "dfloor")),
                  flush=True)
    if "carea" in row or "qarea" in row:
        whole, area = tiles_decoded(path), tiles_decoded(
            path, area_extent(path))
        print("{:>6} JPEG2000 tiles decoded, {:.0f} km area / whole tile: "
              "{}".format(size, AREA_METRES / 1000.0, ", ".join(
                  "{} {}/{}".format(band, area[band], whole[band])
                  for band in sorted(whole))), flush=True)
