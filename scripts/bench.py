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
  carea, qarea, perblock, dfloor   a 10 km area through the command line
           and qgis_process, the core opening a dataset for every block,
           and the decode floor with a dataset per band and thread
           (scripts/bench_area.py)
  clear4, median4, median8, cexcl, cmask   first-clear and median-of-clear
           composites of a season of four (and eight) dates of the size's
           tile, and one product with its clouds excluded from the curve
           and masked (scripts/bench_clouds.py)
  lcog, hcog, lcog60, hcog60, lcogarea, hcogarea, lzip, hzip, lzip60,
  hzip60, lziparea, hziparea   the product as a STAC item of COG assets
           and as a SAFE zip, from disk (l) and over loopback HTTP (h):
           whole, 60 m quick-look, 10 km area; with the bytes each HTTP
           run fetched (scripts/bench_remote.py)

then the ratios core/floor, core/numpy, q20|q60/core, qgis|qcurve/decode
(of the medians; the median of each round's own ratio, whose two runs were
minutes apart; and of each case's fastest run),
core/noverify, q60/q60nv and the mosaic's time per product against core
from the same run, whether floor and core wrote the same pixels, and how
far the 1 % sample's lookup table strays from the exact one.

  /usr/bin/python3 scripts/bench.py [--sizes 1830,5490] [--runs 5]
      [--cases core,floor,...]

``--cases mosaic --sizes 5490 --runs 1`` times the mosaic alone.

This file is the driver: the flags, the rounds and the figures of each
size. The cases live in bench_core.py (the core and what it is measured
against), bench_batch.py (the command line), bench_modes.py (methods,
colour modes, OTB, scikit-image), bench_area.py (an area), bench_clouds.py
(clouds and composites) and bench_before.py (the old core), the
checks of pixels and tables in bench_checks.py, and what they all share
(products, runners, timing, ratios) in bench_common.py, which imports none
of them. Nothing imports this file; it runs each case in a fresh process
of its own (``--case``).
"""

import argparse
import json
import os
import statistics

import bench_area
import bench_batch  # beside this file, as are the others
import bench_before
import bench_checks
import bench_clouds
import bench_core
import bench_modes
import bench_remote
from bench_common import CACHE, Ratios, interleaved, product

CASES = ("core", "floor", "numpy", "q20", "q60", "qgis", "decode", "curve",
         "qcurve", "mosaic", "seq", "batch", "cli", "qlum", "qcl", "qad",
         "qadlum", "otb", "skimage", "noverify", "q60nv", "before", "carea",
         "qarea", "perblock", "dfloor", "clear4", "median4", "median8",
         "cexcl", "cmask") + bench_remote.CASES
#: The modules that run the cases, in the order they prepare a size.
CASE_MODULES = (bench_batch, bench_modes, bench_before, bench_area,
                bench_clouds, bench_remote, bench_core)


def run_case(name, path, out, tables):
    """Run case ``name`` (in this process, a child of the bench's)."""
    for module in CASE_MODULES:
        if name in module.CASES:
            module.run(name, path, out, tables)
            return
    raise SystemExit("no case {}".format(name))


def bench_size(size, all_cases, runs):
    """Time ``all_cases`` that apply on the product of ``size``, print
    their figures, and return {case: (median wall s, median peak MiB)}."""
    path = product(size)
    cases = [c for c in all_cases
             if all(module.applies(c, size) for module in CASE_MODULES)]
    for module in CASE_MODULES:
        module.prepare(cases, size, path)
    samples = interleaved(cases, runs, path)
    row = {}
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
    bench_core.report(size, row, ratios)
    bench_batch.report(size, row, path)
    bench_modes.report(size, row, ratios)
    bench_before.report(size, row, ratios)
    bench_area.report(size, row, ratios, path)
    bench_clouds.report(size, row, ratios)
    bench_remote.report(size, row, ratios, path)
    bench_checks.report(size, row, path)
    return row


def summary(all_cases, results):
    """Print the table of every size's medians and the core's memory
    growth, and keep the figures in .build/bench/last.json."""
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
        print(bench_checks.lut_error(args.product))
        return
    if args.same_pixels:
        print("yes" if bench_checks.same_pixels(*args.same_pixels) else "NO")
        return

    os.makedirs(CACHE, exist_ok=True)
    all_cases = [c for c in args.cases.split(",") if c]
    print("{} runs per case; medians of wall time and peak RSS; {} cores"
          .format(args.runs, os.cpu_count()), flush=True)
    results = {size: bench_size(size, all_cases, args.runs)
               for size in (int(s) for s in args.sizes.split(","))}
    summary(all_cases, results)


if __name__ == "__main__":
    main()
