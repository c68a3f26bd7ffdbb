"""make bench cases of the command line (scripts/bench.py runs them, each
in a fresh process, interleaved with its own):

  seq    BATCH_PRODUCTS[size] products of the size, one after the other in
         one process (the api, as a script would)
  batch  the same products through `s2eq batch` on the Dask cluster it
         starts and stops itself: its start is in the time; each worker's
         peak memory comes from the command's JSON report
  cli    the size's product through `s2eq equalize`, start-up included:
         beside `qgis` (qgis_process), what starting QGIS costs

then the throughput of batch against seq and the workers' peak memory.

The products are made once into .build/bench/batch-SIZE/ (one tile on as
many dates), like the other bench products (bench_common.py).
"""

import json
import os
import shutil
import subprocess

from bench_common import BANDS, CACHE, ROOT, made_once

CASES = ("seq", "batch", "cli")
S2EQ = os.path.join(ROOT, "scripts", "s2eq")
#: How many products the batch cases take, by size.
BATCH_PRODUCTS = {1830: 8, 5490: 4}


def applies(case, size):
    """Whether ``case`` runs at ``size``."""
    return case not in ("seq", "batch") or size in BATCH_PRODUCTS


def size_of(path):
    """The size of the bench product at ``path`` (.../product-SIZE/X.SAFE)."""
    return int(os.path.basename(os.path.dirname(path)).split("-")[1])


def batch_products(size):
    """The BATCH_PRODUCTS[size] cached products of ``size``, made (each in
    a child process) if missing or made by another generator."""
    return [made_once(
        os.path.join(CACHE, "batch-{}".format(size), str(number)),
        ["--size", str(size), "--bands", ",".join(BANDS), "--sensing",
         "202306{:02d}T105629".format(number + 1), "--seed", str(number)],
        "making batch product {} of {}x{} (once)...".format(
            number + 1, size, size))
        for number in range(BATCH_PRODUCTS[size])]


def prepare(cases, size, path):
    """Make the batch products where a case takes them; forget the
    workers' peaks of an earlier bench."""
    if "seq" in cases or "batch" in cases:
        batch_products(size)
    forget_peaks(path)


def run(name, path, out, tables):
    """Run case ``name`` on the product at ``path``, writing ``out``."""
    {"seq": case_seq, "batch": case_batch, "cli": case_cli}[name](path, out)


def _fresh(folder):
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def case_seq(path, out):
    from sentinel2_equalizer import api
    folder = _fresh(out + ".d")
    for number, product in enumerate(batch_products(size_of(path))):
        api.equalize(product, os.path.join(folder, "{}.tif".format(number)))


def case_batch(path, out):
    folder = _fresh(out + ".d")
    done = subprocess.run(
        [S2EQ, "batch"] + batch_products(size_of(path)) + [
            "--out-dir", folder, "--json", "--quiet"], check=True,
        stdout=subprocess.PIPE, universal_newlines=True)
    report = json.loads(done.stdout)
    with open(_peaks_file(path), "a") as peaks:
        peaks.write(json.dumps(report["workers"]["peak_memory_mib"]) + "\n")


def case_cli(path, out):
    subprocess.run([S2EQ, "equalize", path, "-o", out, "--quiet"],
                   check=True)


def _peaks_file(path):
    return os.path.join(CACHE, "batch-peaks-{}.jsonl".format(size_of(path)))


def forget_peaks(path):
    if os.path.exists(_peaks_file(path)):
        os.remove(_peaks_file(path))


def report(size, row, path):
    """Print the batch figures of ``row`` (case -> (wall s, peak MiB))."""
    if "seq" in row and "batch" in row:
        count = BATCH_PRODUCTS[size]
        print("{:>6} batch of {}: {:.2f} s ({:.2f} products/min) against "
              "{:.2f} s one after the other: throughput x{:.3f}".format(
                  size, count, row["batch"][0],
                  60.0 * count / row["batch"][0], row["seq"][0],
                  row["seq"][0] / row["batch"][0]), flush=True)
        with open(_peaks_file(path)) as lines:
            runs = [json.loads(line) for line in lines if line.strip()]
        workers = [mib for run in runs for mib in run.values()]
        print("{:>6} batch workers: {} per run, peak memory {:.0f} MiB at "
              "most (median over workers {:.0f} MiB)".format(
                  size, len(runs[-1]), max(workers),
                  sorted(workers)[len(workers) // 2]), flush=True)
    if "cli" in row and "qgis" in row:
        print("{:>6} s2eq {:.2f} s, qgis_process {:.2f} s: QGIS's start "
              "costs {:+.2f} s".format(size, row["cli"][0], row["qgis"][0],
                                       row["qgis"][0] - row["cli"][0]),
              flush=True)

