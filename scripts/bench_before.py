"""The ``before`` bench case: the core as it was at BEFORE_REVISION (its
last version that wrote a plain tiled GeoTIFF, overviews rebuilt from the
written file), with the band files left unchecked, on the same product in
the same run as today's default (``core``: checksums verified, Cloud
Optimized layout, overviews made from the blocks). Their ratio is what
verification and the COG layout cost together.

The old core is taken from git (``git archive``) into .build/bench/, once.
"""

import os
import subprocess
import sys

from bench_common import BANDS, CACHE, ROOT

CASES = ("before",)
#: The revision whose writer ``before`` times.
BEFORE_REVISION = "342723e"
PACKAGE = "sentinel2_equalizer"


def applies(case, size):
    return True


def old_core():
    """The folder holding the package as of BEFORE_REVISION."""
    folder = os.path.join(CACHE, "before-" + BEFORE_REVISION)
    package = os.path.join(folder, PACKAGE)
    if not os.path.isdir(package):
        os.makedirs(package)
        archive = subprocess.run(
            ["git", "-C", ROOT, "archive", BEFORE_REVISION],
            check=True, stdout=subprocess.PIPE).stdout
        subprocess.run(["tar", "-x", "-C", package], input=archive,
                       check=True)
    return folder


def prepare(cases, size, path):
    if "before" in cases:
        old_core()


def run(name, path, out, tables):
    """Run the ``before`` case on the product at ``path``, writing
    ``out``."""
    case_before(path, out)


def case_before(path, out):
    """The old core's whole default job, checksums unchecked, in a child
    process that imports nothing of today's code."""
    script = ("import sys; sys.path.insert(0, {folder!r}); "
              "from {package}.core import render; "
              "render.run(render.Options({path!r}, {out!r}, bands={bands!r}, "
              "sample_fraction=0.01, verify=False))").format(
                  folder=old_core(), package=PACKAGE, path=path,
                  out=out, bands=tuple(BANDS))
    subprocess.run([sys.executable, "-c", script], check=True)


def report(size, row, ratios):
    """Print the default run against the old one (``ratios``:
    bench_common.Ratios)."""
    if "core" in row and "before" in row:
        print("{:>6} core/before {}; verification and COG layout "
              "together; below 1 is faster".format(
                  size, ratios.text("core", "before")))
