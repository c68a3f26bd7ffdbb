"""make bench-scale (part of make bench): a season of small products through
`s2eq batch --shared-curve`, to see what grows with the product count.

COUNT products of SIZE pixels a side (copies of BASES real test products
under names of their own, their band files hard links: tests/
many_products.py) go through the batch twice per count:

  embedded   the command's own cluster (the scheduler in the command's
             process, beside the client): wall time, the per-product
             overhead (wall time per product, the slope between the two
             counts, against the same work for one product alone in a
             warm process: measure, curve, write with it), the
             curve-sum time, and the peak memory of the command's process
             (client and scheduler together)
  separate   the same batch on a scheduler and workers started here as
             processes of their own (`dask scheduler`, `dask worker`), so
             that the client's (the command's) and the scheduler's peak
             memory are measured apart

at a small count and at the full count, and the peak memory's growth per
100 products is the slope between the two. Peak memory is the resident
memory sampled every SAMPLE_SECONDS (psutil) over the whole run.

  /usr/bin/python3 scripts/bench_scale.py [--products 1000]
      [--slope-from 250] [--workers N] [--modes embedded,separate]

``--products 50 --slope-from 10`` checks the bench in a minute or two.
The products are made once into .build/bench/scale-*/.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time

from bench_common import BANDS, CACHE, ROOT, made_once

import many_products          # tests/, on the path by bench_common
from dask_processes import DaskProcesses
from sentinel2_equalizer.cli.cluster import TRANSITION_LOG

S2EQ = os.path.join(ROOT, "scripts", "s2eq")
PLUGINS = os.path.join(ROOT, ".build", "plugins")
#: Pixels a side of each product: 1.86 km (the generator takes sides
#: divisible by 6).
SIZE = 186
#: Real products the copies are made of (one tile on as many dates).
BASES = 4
#: How often the memory of the processes is sampled, in seconds.
SAMPLE_SECONDS = 0.05
#: Products timed one after the other in one process, for the work of
#: one product alone (the first, which warms the process up, left out).
ALONE_RUNS = 6
MIB = 2.0 ** 20


def base_products():
    return [made_once(
        os.path.join(CACHE, "scale-base-{}".format(number)),
        ["--size", str(SIZE), "--bands", ",".join(BANDS), "--sensing",
         "202306{:02d}T105629".format(number + 1), "--seed", str(number)],
        "making scale product {} of {} (once)...".format(number + 1, BASES))
        for number in range(BASES)]


def products(count):
    """``count`` copies of the base products, made once."""
    bases = base_products()
    folder = os.path.join(CACHE, "scale-{}".format(count))
    marker = os.path.join(folder, "complete")
    if os.path.exists(marker):
        with open(marker) as handle:
            made = json.load(handle)
        if made["bases"] == bases:
            return made["products"]
    shutil.rmtree(folder, ignore_errors=True)
    print("making {} products (hard links)...".format(count), flush=True)
    made = many_products.many(bases, count, os.path.join(folder, "many"))
    with open(marker, "w") as handle:
        json.dump({"bases": bases, "products": made}, handle)
    return made


class PeakMemory:
    """The peak resident memory (bytes) of processes, sampled in a thread
    while within: ``peaks[name]`` for each name -> pid of ``pids``."""

    def __init__(self, pids):
        import psutil
        self.processes = {name: psutil.Process(pid)
                          for name, pid in pids.items()}
        self.peaks = {name: 0 for name in pids}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        import psutil
        while not self.stop.is_set():
            for name, process in self.processes.items():
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                self.peaks[name] = max(self.peaks[name], rss)
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [PLUGINS] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                     if p])
    return env


def batch(paths, out, extra):
    """Run `s2eq batch --shared-curve` over ``paths``; returns (wall s,
    its JSON report, peak RSS of the command's process in bytes)."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    command = subprocess.Popen(
        [S2EQ, "batch"] + paths + ["--out-dir", out, "--shared-curve",
                                   "--json", "--quiet"] + extra,
        stdout=subprocess.PIPE, universal_newlines=True, env=environment())
    with PeakMemory({"client": command.pid}) as memory:
        stdout = command.communicate()[0]
    wall = time.monotonic() - started
    if command.returncode != 0:
        raise SystemExit("s2eq batch failed ({}): {}".format(
            command.returncode, stdout[-2000:]))
    return wall, json.loads(stdout), memory.peaks["client"]


class Cluster(DaskProcesses):
    """A scheduler and ``workers`` single-threaded workers, each a process
    of its own on 127.0.0.1, started with Dask's command line (the tests'
    DaskProcesses, stopped by its stop())."""

    def __init__(self, workers, folder):
        os.makedirs(folder, exist_ok=True)
        super().__init__(pathlib.Path(folder))
        # The scheduler keeps the logs the embedded one keeps, as the
        # README advises for a running scheduler.
        self.start_process(
            "scheduler", "scheduler", "--host", "127.0.0.1", "--port",
            self.address.rsplit(":", 1)[1], "--no-dashboard",
            env=dict(environment(),
                     DASK_DISTRIBUTED__SCHEDULER__TRANSITION_LOG_LENGTH=str(
                         TRANSITION_LOG),
                     DASK_DISTRIBUTED__SCHEDULER__EVENTS_LOG_LENGTH=str(
                         TRANSITION_LOG)))
        for number in range(workers):
            self.start_process(
                "worker-{}".format(number), "worker", self.address,
                "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                "--local-directory", folder, env=environment())
        from distributed import Client
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)

    @property
    def scheduler_pid(self):
        return self.processes[0].pid


def run_embedded(paths, workers):
    wall, report, peak = batch(
        paths, os.path.join(CACHE, "scale-out"),
        ["--workers", str(workers)])
    return {"wall": wall, "report": report, "client_scheduler": peak}


def run_separate(paths, workers):
    cluster = Cluster(workers, os.path.join(CACHE, "scale-dask"))
    try:
        with PeakMemory({"scheduler": cluster.scheduler_pid}) as memory:
            wall, report, client = batch(
                paths, os.path.join(CACHE, "scale-out"),
                ["--scheduler", cluster.address])
    finally:
        cluster.stop()
    return {"wall": wall, "report": report, "client": client,
            "scheduler": memory.peaks["scheduler"]}


ALONE = """
import os, statistics, sys, tempfile, time
from sentinel2_equalizer import api
times = []
with tempfile.TemporaryDirectory() as folder:
    for number, product in enumerate(sys.argv[1:]):
        started = time.monotonic()
        curve = os.path.join(folder, "curve.json")
        api.build_curve([api.measure(product)], curve)
        api.equalize(product, os.path.join(folder, "{}.tif".format(number)),
                     curve=curve)
        times.append(time.monotonic() - started)
print(statistics.median(times[1:]))
"""


def alone(paths):
    """Seconds the batch's work on one product takes alone, in a process
    that has done it once already (as a worker has): measure it, make its
    curve, write it with the curve; the median over ``paths`` but the
    first."""
    return float(subprocess.run(
        [sys.executable, "-c", ALONE] + list(paths), check=True,
        stdout=subprocess.PIPE, universal_newlines=True,
        env=environment()).stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--slope-from", type=int, default=250)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--modes", default="embedded,separate")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    counts = sorted({args.slope_from, args.products})
    os.makedirs(CACHE, exist_ok=True)
    single = alone(products(ALONE_RUNS))
    print("scale: {} products of {}x{} px, {} workers; one product alone "
          "(measure, curve, write): {:.0f} ms".format(
              args.products, SIZE, SIZE, args.workers, 1000 * single),
          flush=True)
    results = {}
    for count in counts:
        paths = products(count)
        for mode in modes:
            run = {"embedded": run_embedded,
                   "separate": run_separate}[mode](paths, args.workers)
            results[(mode, count)] = run
            report = run["report"]["report"]
            # start-up included; the slope below leaves it out
            overhead = 1000 * (run["wall"] / count - single)
            memory = ("client and scheduler (one process) {:.0f} MiB".format(
                run["client_scheduler"] / MIB) if mode == "embedded" else
                "client {:.0f} MiB, scheduler {:.0f} MiB".format(
                    run["client"] / MIB, run["scheduler"] / MIB))
            print("{:>9} {:>5} products: wall {:.1f} s, {:.0f} ms per "
                  "product ({:+.0f} ms against one product alone); curve "
                  "sum {:.2f} s after the last measurement ({} tasks of at "
                  "most {}); {}".format(
                      mode, count, run["wall"], 1000 * run["wall"] / count,
                      overhead,
                      report["shared_curve_sum"]["seconds"],
                      report["shared_curve_sum"]["tasks"],
                      report["shared_curve_sum"]["widest"], memory),
                  flush=True)
    if len(counts) == 2:
        low, high = counts
        for mode in modes:
            slope = (results[(mode, high)]["wall"]
                     - results[(mode, low)]["wall"]) / (high - low)
            print("{:>9} wall time per product {:.0f} ms (the slope from {} "
                  "to {}): overhead {:+.0f} ms per product against one "
                  "product alone; fixed cost (start-up, first tasks) {:.1f} "
                  "s".format(mode, 1000 * slope, low, high,
                             1000 * (slope - single),
                             results[(mode, low)]["wall"] - low * slope),
                  flush=True)
        for mode, keys in (("embedded", ("client_scheduler",)),
                           ("separate", ("client", "scheduler"))):
            if mode not in modes:
                continue
            for key in keys:
                growth = (results[(mode, high)][key]
                          - results[(mode, low)][key]) / MIB \
                    / (high - low) * 100
                print("{:>9} {} peak memory: {:+.2f} MiB per 100 products "
                      "({} -> {} products)".format(mode, key, growth, low,
                                                   high), flush=True)
    with open(os.path.join(CACHE, "scale.json"), "w") as handle:
        json.dump({"{}-{}".format(m, c): {k: v for k, v in r.items()
                                          if k != "report"}
                   for (m, c), r in results.items()}, handle, indent=1)


if __name__ == "__main__":
    main()
