"""What the make bench cases share, below all of them (scripts/bench.py
drives them; this module imports none of them):

* where the bench keeps its products and outputs (.build/bench/), and the
  products themselves, made once by the tests' generator in a child
  process and made again when the generator changes;
* the runners every case module calls: qgis_process on s2eq:equalize;
* the timing: one case in a fresh process (wall time, peak memory,
  processor time), the rounds that interleave the cases, and the ratios of
  one case's times to another's.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, ".build", "bench")
#: The driver, which runs each case in a fresh process (``--case``).
DRIVER = os.path.join(ROOT, "scripts", "bench.py")
BANDS = ("B04", "B03", "B02")
#: The tiles of the mosaic case, two by two that overlap as real
#: neighbours do; every bench product is placed among them, the size's own
#: product at the first.
MOSAIC_TILES = ("31UFQ", "31UGQ", "31UFP", "31UGP")
#: The tests' product generator: the package tests/s2products, run as a
#: folder, or the one module tests/s2products.py it was before.
GENERATOR = os.path.join(ROOT, "tests", "s2products")
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))


# ---------------------------------------------------------------------------
# Products.

def generator_script():
    """What Python runs to make a product: the generator's folder, or its
    one module."""
    return GENERATOR if os.path.isdir(GENERATOR) else GENERATOR + ".py"


def generator_version():
    """Fingerprint of the product generator, all of its files: products
    made by another version of it are made again."""
    import glob
    import hashlib
    script = generator_script()
    digest = hashlib.sha256()
    for name in (sorted(glob.glob(os.path.join(script, "*.py")))
                 if os.path.isdir(script) else [script]):
        with open(name, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]


def made_once(folder, arguments, making, timed=False):
    """The path of the product the generator writes into ``folder``
    given ``arguments``, made (in a child process, after saying
    ``making``) where it is missing or was made by another version of the
    generator; ``timed``: also say how long the making took.

    Made in a child process, like everything heavy: a child's peak RSS
    counts the parent's memory at the moment it was started, so the
    driver stays small.
    """
    done = os.path.join(folder, "complete")
    version = generator_version()
    made = None
    if os.path.exists(done):
        with open(done) as marker:
            made = marker.read().splitlines()
    if not made or made[1:] != [version]:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        started = time.time()
        print(making, flush=True)
        path = subprocess.run(
            [sys.executable, generator_script(), folder] + list(arguments),
            check=True, stdout=subprocess.PIPE,
            universal_newlines=True).stdout.strip().splitlines()[-1]
        with open(done, "w") as marker:
            marker.write("{}\n{}\n".format(path, version))
        if timed:
            print("  made in {:.0f} s".format(time.time() - started),
                  flush=True)
        made = [path, version]
    return made[0]


def product(size, tile=MOSAIC_TILES[0]):
    """The cached bench product of ``size`` pixels a side, of ``tile``
    placed among MOSAIC_TILES (the first is where it always was)."""
    return made_once(
        os.path.join(CACHE, "product-{}{}".format(
            size, "" if tile == MOSAIC_TILES[0] else "-" + tile)),
        ["--size", str(size), "--bands", ",".join(BANDS), "--tiles", tile,
         "--tile-grid", ",".join(MOSAIC_TILES)],
        "making the {0}x{0} product of {1} (once)...".format(size, tile),
        timed=True)


def band_paths(path):
    """The JPEG2000 files of BANDS in the product at ``path``."""
    import glob
    return [glob.glob(os.path.join(path, "GRANULE", "*", "IMG_DATA",
                                   "*_{}.jp2".format(b)))[0] for b in BANDS]


# ---------------------------------------------------------------------------
# Where the cases write.

def output(name):
    """Where case ``name`` writes its output."""
    return os.path.join(CACHE, "out-{}.tif".format(name))


def tables_file(path):
    """Where the core's run on the product at ``path`` leaves its tables."""
    return os.path.join(CACHE, "tables-{}.npy".format(
        os.path.basename(os.path.dirname(path))))


def curve_file(tables):
    """Where the core's run leaves its curve, beside its tables."""
    return os.path.splitext(tables)[0] + ".json"


# ---------------------------------------------------------------------------
# Runners.

def qgis_process(path, out, extra=()):
    """The whole job through qgis_process (s2eq:equalize at a 1 % sample),
    with the parameters ``extra`` added."""
    subprocess.run([os.path.join(ROOT, "scripts", "qgis-process"), "run",
                    "s2eq:equalize", "--", "INPUT={}".format(path),
                    "SAMPLE_PERCENT=1", "OUTPUT={}".format(out)]
                   + list(extra), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def in_child(*arguments):
    """What the driver run with ``arguments`` in a child process prints,
    stripped."""
    return subprocess.run([sys.executable, DRIVER] + list(arguments),
                          check=True, stdout=subprocess.PIPE,
                          universal_newlines=True).stdout.strip()


# ---------------------------------------------------------------------------
# Timing.

def measure_once(name, path):
    """Wall seconds, peak RSS (MiB) and processor seconds (user + system)
    of one fresh process running case ``name``."""
    started = time.time()
    child = subprocess.Popen([sys.executable, DRIVER, "--case", name,
                              "--product", path, "--out", output(name),
                              "--tables", tables_file(path)])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.time() - started
    if status != 0:
        raise SystemExit("case {} failed".format(name))
    return (wall, usage.ru_maxrss / 1024.0,          # KiB on Linux
            usage.ru_utime + usage.ru_stime)


def interleaved(cases, runs, path):
    """{case: [measure_once's figures]} of ``runs`` rounds, each running
    every case once: a drift in the machine's speed (shared hosts have
    them) hits every case alike."""
    samples = {name: [] for name in cases}
    for _ in range(runs):
        for name in cases:
            samples[name].append(measure_once(name, path))
    return samples


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
