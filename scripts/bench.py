"""make bench: wall time and peak memory of full-size runs.

Builds realistic 3-band L1C products of 1830, 5490 and 10980 pixels a side
once (cached in .build/bench/), then runs every case in a fresh process,
five times by default (timings on a shared machine drift by several
percent from run to run), and prints medians:

  core     this plugin's core doing the whole job on the 10 m grid
  floor    the I/O floor: the same tile-by-tile decodes and the same
           GeoTIFF write (tiled JPEG, mask, overviews) in one pass, with
           the lookup tables handed over from the core's run instead of
           equalized (no sample, no histogram, no spool), so it writes the
           very same picture: what the job would cost if the tables were
           known before the first pixel was decoded
  numpy    a straightforward whole-array equalization (np.histogram and
           np.interp on whole bands), written the same way
  q20/q60  the 20 m and 60 m quick-looks through the core
  before   the core of the last version that wrote a plain tiled GeoTIFF
           (scripts/bench_before.py), band files unchecked: today's
           default (core) against it is what checksums and the Cloud
           Optimized layout cost together
  noverify, q60nv   core and q60 with the band files left unchecked
           against the manifest's checksums (VERIFY off): what the check,
           on by default, costs
  qgis     the whole job through qgis_process
  decode   the pure decode: the three bands decoded at full resolution,
           tile by tile with the core's windows and worker threads, and
           nothing else
  curve    the core given the curve of its own run (CURVE): decode, map
           and write in one pass, no sample, no spool
  qcurve   the same through qgis_process
  mosaic   the core's mosaic of four overlapping products (two by two
           tiles, the size's product one of them) with one curve: only at
           MOSAIC_SIZE, beside the core on that size's product alone
  seq, batch, cli   the command line (scripts/bench_batch.py): many
           products one after the other against `s2eq batch` on its own
           Dask cluster, and `s2eq equalize` beside qgis_process
  qlum, qcl, qad, qadlum, otb, skimage   the methods and colour modes
           through qgis_process, Orfeo ToolBox's local luminance
           equalization and scikit-image's CLAHE (scripts/bench_modes.py)

then the ratios core/floor, core/numpy, q20|q60/core, qgis|qcurve/decode
(of the medians; the median of each round's own ratio, whose two runs were
minutes apart; and of each case's fastest run),
core/noverify, q60/q60nv and the mosaic's time per product against core
from the same run, whether floor and core wrote the same pixels, and how
far the 1 % sample's lookup table strays from the exact one.

  /usr/bin/python3 scripts/bench.py [--sizes 1830,5490] [--runs 5]
      [--cases core,floor,...]

``--cases mosaic --sizes 5490 --runs 1`` times the mosaic alone.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, ".build", "bench")
BANDS = ("B04", "B03", "B02")
CASES = ("core", "floor", "numpy", "q20", "q60", "qgis", "decode", "curve",
         "qcurve", "mosaic", "seq", "batch", "cli", "qlum", "qcl", "qad",
         "qadlum", "otb", "skimage", "noverify", "q60nv", "before")
#: The mosaic case: four products of this size, two by two tiles that
#: overlap as real neighbours do; the size's own product is the first.
MOSAIC_SIZE = 5490
MOSAIC_TILES = ("31UFQ", "31UGQ", "31UFP", "31UGP")
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

import bench_batch  # noqa: E402 (beside this file)
import bench_before  # noqa: E402 (beside this file)
import bench_modes  # noqa: E402 (beside this file)
from bench_batch import case_batch, case_cli, case_seq  # noqa: E402,F401
from bench_modes import (case_otb, case_qad, case_qadlum,  # noqa: E402,F401
                         case_qcl, case_qlum, case_skimage)


def generator_version():
    """Fingerprint of the product generator: products made by another
    version of it are made again."""
    import hashlib
    with open(os.path.join(ROOT, "tests", "s2products.py"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def product(size, tile=MOSAIC_TILES[0]):
    """The cached bench product of ``size`` pixels a side, of ``tile``
    placed among MOSAIC_TILES (the first is where it always was).

    Made in a child process, like everything heavy: a child's peak RSS
    counts the parent's memory at the moment it was started, so this
    process stays small.
    """
    folder = os.path.join(CACHE, "product-{}{}".format(
        size, "" if tile == MOSAIC_TILES[0] else "-" + tile))
    done = os.path.join(folder, "complete")
    version = generator_version()
    made = None
    if os.path.exists(done):
        with open(done) as marker:
            made = marker.read().splitlines()
    if not made or made[1:] != [version]:
        if os.path.isdir(folder):
            import shutil
            shutil.rmtree(folder)
        os.makedirs(folder)
        started = time.time()
        print("making the {0}x{0} product of {1} (once)...".format(
            size, tile), flush=True)
        path = subprocess.run(
            [sys.executable, os.path.join(ROOT, "tests", "s2products.py"),
             folder, "--size", str(size), "--bands", ",".join(BANDS),
             "--tiles", tile, "--tile-grid", ",".join(MOSAIC_TILES)],
            check=True, stdout=subprocess.PIPE,
            universal_newlines=True).stdout.strip().splitlines()[-1]
        with open(done, "w") as marker:
            marker.write("{}\n{}\n".format(path, version))
        print("  made in {:.0f} s".format(time.time() - started), flush=True)
        made = [path, version]
    return made[0]


# ---------------------------------------------------------------------------
# The cases, each run in a child process (``--case``).

def band_paths(path):
    import glob
    return [glob.glob(os.path.join(path, "GRANULE", "*", "IMG_DATA",
                                   "*_{}.jp2".format(b)))[0] for b in BANDS]


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


def curve_file(tables):
    """Where the core's run leaves its curve, beside its tables."""
    return os.path.splitext(tables)[0] + ".json"


def case_curve(path, out, tables):
    """The core's one pass, given the curve of the core's own run."""
    from sentinel2_equalizer.core import render
    render.run(render.Options(path, out, bands=BANDS,
                              curve=curve_file(tables)))


def case_decode(path, out):
    """The three bands decoded at full resolution, tile by tile, with the
    core's windows and worker threads; nothing is kept or written."""
    import functools
    import rasterio
    from sentinel2_equalizer.core.gdal import env as gdal_env
    from sentinel2_equalizer.core.pixels import reading

    def decode(band, window):
        with rasterio.open(band) as one:
            return one.read(1, window=window)

    paths = band_paths(path)
    with gdal_env.BoundedGdalCache(), rasterio.open(paths[0]) as src:
        windows = reading.decode_windows(src.width, src.height,
                                         *src.block_shapes[0])
    jobs = [functools.partial(decode, band, window)
            for band in paths for window in windows]
    for _ in reading.prefetched(jobs, reading.DECODE_WORKERS):
        pass


def case_floor(path, out, tables):
    """Every band decoded once, tile by tile with the core's windows and
    worker threads, mapped through the core's own tables (read from
    ``tables``) and written the core's way (same GDAL cache bound) as soon
    as a tile's three bands are in."""
    import functools
    import numpy as np
    import rasterio
    from sentinel2_equalizer.core.curves import equalize
    from sentinel2_equalizer.core.gdal import env as gdal_env
    from sentinel2_equalizer.core.pixels import reading
    paths = band_paths(path)
    luts = np.load(tables)

    def decode(band, window):
        with rasterio.open(band) as one:
            return one.read(1, window=window)

    with gdal_env.BoundedGdalCache(), rasterio.open(paths[0]) as src:
        windows = reading.decode_windows(src.width, src.height,
                                         *src.block_shapes[0])
        jobs = [functools.partial(decode, band, window)
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


def case_qgis(path, out, *extra):
    subprocess.run([os.path.join(ROOT, "scripts", "qgis-process"), "run",
                    "s2eq:equalize", "--", "INPUT={}".format(path),
                    "SAMPLE_PERCENT=1", "OUTPUT={}".format(out)]
                   + list(extra), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def case_mosaic(path, out):
    """The core's mosaic of the four MOSAIC_TILES products, the one at
    ``path`` first, with one curve at a 1 % sample."""
    from sentinel2_equalizer.core import mosaic
    size = int(os.path.basename(os.path.dirname(path)).split("-")[1])
    mosaic.mosaic([product(size, tile) for tile in MOSAIC_TILES], out,
                  BANDS, 0.01)


def run_case(name, path, out, tables):
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
    elif name == "before":
        bench_before.case_before(path, out, CACHE, BANDS)
    elif name == "qcurve":
        case_qgis(path, out, "CURVE={}".format(curve_file(tables)))
    else:
        globals()["case_" + name](path, out)


# ---------------------------------------------------------------------------
# Measuring.

class Ratios:
    """One case's wall time over another's, from the runs of one bench,
    three ways: of the medians; the median of each round's ratio (its two
    runs minutes apart, so a slow drift of the machine's speed cancels);
    and of each case's fastest run (a shared machine only slows a run).
    Beside them, the ratio of the median processor times (user + system
    seconds), which time stolen by other machines barely touches."""

    def __init__(self, samples):
        self.samples = samples      # case -> [(wall s, peak MiB, CPU s)]

    def of(self, case, other):
        walls = [run[0] for run in self.samples[case]]
        bases = [run[0] for run in self.samples[other]]
        return (statistics.median(walls) / statistics.median(bases),
                statistics.median(w / b for w, b in zip(walls, bases)),
                min(walls) / min(bases),
                statistics.median(run[2] for run in self.samples[case])
                / statistics.median(run[2] for run in self.samples[other]))

    def text(self, case, other):
        return ("{:5.3f}   (rounds: {:5.3f}, fastest runs: {:5.3f}; "
                "CPU: {:5.3f})".format(*self.of(case, other)))


def output(name):
    return os.path.join(CACHE, "out-{}.tif".format(name))


def tables_file(path):
    """Where the core's run on the product at ``path`` leaves its tables."""
    return os.path.join(CACHE, "tables-{}.npy".format(
        os.path.basename(os.path.dirname(path))))


def measure_once(name, path):
    """Wall seconds, peak RSS (MiB) and processor seconds (user + system)
    of one fresh process running case ``name``."""
    started = time.time()
    child = subprocess.Popen([sys.executable, __file__, "--case", name,
                              "--product", path, "--out", output(name),
                              "--tables", tables_file(path)])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.time() - started
    if status != 0:
        raise SystemExit("case {} failed".format(name))
    return (wall, usage.ru_maxrss / 1024.0,          # KiB on Linux
            usage.ru_utime + usage.ru_stime)


def same_pixels(first, second):
    """Whether two RGB GeoTIFFs hold the same pixels and mask."""
    import numpy as np
    import rasterio
    with rasterio.open(first) as a, rasterio.open(second) as b:
        if (a.width, a.height, a.count) != (b.width, b.height, b.count):
            return False
        for _, window in a.block_windows(1):
            if not (np.array_equal(a.read(window=window),
                                   b.read(window=window))
                    and np.array_equal(a.read_masks(1, window=window),
                                       b.read_masks(1, window=window))):
                return False
    return True


def lut_error(path, fraction=0.01):
    """Largest gap, in output levels, between the sampled and the exact
    lookup table over the DNs that occur in each band."""
    import numpy as np
    import rasterio
    from sentinel2_equalizer.core.curves import equalize
    worst = 0
    for number, band in enumerate(band_paths(path)):
        with rasterio.open(band) as src:
            dn = src.read(1)
        exact = equalize.BandHistogram(1.0)
        exact.add(dn)
        sampled = equalize.BandHistogram(fraction, stream=number)
        sampled.add(dn)
        present = exact.counts > 0
        gap = np.abs(exact.lookup_table()[present].astype(int)
                     - sampled.lookup_table()[present].astype(int))
        worst = max(worst, int(gap.max()))
    return worst


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1830,5490,10980")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--case")
    parser.add_argument("--product")
    parser.add_argument("--out")
    parser.add_argument("--tables")
    parser.add_argument("--lut-error", action="store_true")
    parser.add_argument("--same-pixels", nargs=2)
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.product, args.out, args.tables)
        return
    if args.lut_error:
        print(lut_error(args.product))
        return
    if args.same_pixels:
        print("yes" if same_pixels(*args.same_pixels) else "NO")
        return

    os.makedirs(CACHE, exist_ok=True)
    all_cases = [c for c in args.cases.split(",") if c]
    results = {}
    print("{} runs per case; medians of wall time and peak RSS; {} cores"
          .format(args.runs, os.cpu_count()), flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        path = product(size)
        if os.path.exists(tables_file(path)):
            os.remove(tables_file(path))
        cases = [c for c in all_cases if (c != "mosaic" or size == MOSAIC_SIZE)
                 and bench_batch.applies(c, size)
                 and bench_modes.applies(c, size)]
        bench_batch.prepare(cases, size)
        bench_modes.prepare(cases, size, path)
        bench_before.prepare(cases, CACHE)
        bench_batch.forget_peaks(path)
        if "mosaic" in cases:
            for tile in MOSAIC_TILES:
                product(size, tile)
        needs_core = [c for c in ("floor", "curve", "qcurve") if c in cases]
        if needs_core and "core" not in cases[:cases.index(needs_core[0])]:
            measure_once("core", path)      # these need its tables
        # Rounds interleave the cases, so a drift in the machine's speed
        # (shared hosts have them) hits every case alike.
        samples = {name: [] for name in cases}
        for round_number in range(args.runs):
            for name in cases:
                samples[name].append(measure_once(name, path))
        row = results[size] = {}
        ratios = Ratios(samples)
        for name in cases:
            row[name] = (statistics.median(r[0] for r in samples[name]),
                         statistics.median(r[1] for r in samples[name]))
            print("{:>6} {:<6} {:7.2f} s {:7.0f} MiB   (walls: {}; CPU "
                  "{:.1f} s)".format(
                      size, name, row[name][0], row[name][1], ", ".join(
                          "{:.1f}".format(r[0]) for r in samples[name]),
                      statistics.median(r[2] for r in samples[name])),
                  flush=True)
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
        bench_batch.report(size, row, path)
        bench_modes.report(size, row, output, ratios)
        bench_before.report(size, row, ratios)
        if "core" in row and "curve" in row:
            same = subprocess.run(
                [sys.executable, __file__, "--same-pixels", output("core"),
                 output("curve")], check=True, stdout=subprocess.PIPE,
                universal_newlines=True).stdout.strip()
            print("{:>6} one pass with the curve wrote the core's pixels: {}"
                  .format(size, same), flush=True)
        if "core" in row and "floor" in row:
            same = subprocess.run(
                [sys.executable, __file__, "--same-pixels", output("core"),
                 output("floor")], check=True, stdout=subprocess.PIPE,
                universal_newlines=True).stdout.strip()
            print("{:>6} floor wrote the core's very pixels: {}".format(
                size, same), flush=True)
        gap = subprocess.run([sys.executable, __file__, "--lut-error",
                              "--product", path], check=True,
                             stdout=subprocess.PIPE,
                             universal_newlines=True).stdout.strip()
        print("{:>6} 1 % LUT vs exact: at most {} output levels apart"
              .format(size, gap), flush=True)

    sizes = sorted(results)
    print("\n| size | " + " | ".join(all_cases) + " |")
    print("|---|" + "---|" * len(all_cases))
    for size in sizes:
        print("| {} | ".format(size) + " | ".join(
            "{:.1f} s, {:.0f} MiB".format(*results[size][c])
            if c in results[size] else "" for c in all_cases) + " |")
    if len(sizes) >= 2 and all("core" in results[s] for s in sizes[-2:]):
        small, large = (results[s]["core"][1] for s in sizes[-2:])
        print("core peak memory {} -> {}: {:+.1f} %".format(
            sizes[-2], sizes[-1], 100.0 * (large / small - 1.0)))
    with open(os.path.join(CACHE, "last.json"), "w") as f:
        json.dump({str(k): v for k, v in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
