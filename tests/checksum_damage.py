"""What the checksum tests (test_checksums*.py) share: two small products,
``current`` and ``older``, whose manifests list SHA3-256 and MD5
checksums; a copy of one to damage, and damage as downloads get it; and a
run of the core that keeps its log and warnings.

conftest.py loads this module as a plugin, so that its fixtures are there
for every test module; the helpers are imported by name.
"""

import shutil

import numpy as np
import pytest

from sentinel2_equalizer.core import render

BANDS = ("B04", "B03", "B02")


@pytest.fixture(scope="module")
def current(products):
    return products("sums_current", size=366, jp2_block=128, bands=BANDS)


@pytest.fixture(scope="module")
def older(products):
    return products("sums_older", size=366, jp2_block=128, bands=BANDS,
                    baseline="02.07")


def band_file(product, band):
    (path,) = [p for p in (product / "GRANULE").rglob("*_{}.jp2".format(band))
               if p.parent.name == "IMG_DATA"]
    return path


def tile_bodies(data):
    """``(start, end)`` of each JPEG2000 tile-part's packet data: from
    after its SOD marker to the next tile-part (SOT) or the end."""
    at = data.index(b"\xff\x90", data.index(b"\xff\x4f\xff\x51"))
    bodies = []
    while data[at:at + 2] == b"\xff\x90":
        length = int.from_bytes(data[at + 6:at + 10], "big")      # Psot
        end = at + length if length else len(data) - 2
        bodies.append((data.index(b"\xff\x93", at) + 2, end))
        at = end
    return bodies


def damage(path, how):
    """Damage the file at ``path`` as downloads get damaged. Bit flips and
    runs land in the packet data of its largest tile and never make a
    marker (0xFF), so that the file still looks whole and still decodes,
    into wrong pixels, without a word from GDAL: only the checksum can
    tell. A cut file is cut at 60 %."""
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(13)
    start, end = max(tile_bodies(bytes(data)), key=lambda b: b[1] - b[0])
    middle = (start + end) // 2
    if how == "bit flips":
        for position in rng.integers(start + 16, end - 16, 8):
            bit = 1 << int(rng.integers(8))
            if data[position - 1] != 0xFF and data[position] ^ bit != 0xFF:
                data[position] ^= bit
    elif how == "overwritten run":
        data[middle - 256:middle + 256] = rng.integers(
            0, 0xFF, 512, dtype=np.uint8).tobytes()
    elif how == "zeroed run":
        data[middle - 256:middle + 256] = bytes(512)
    elif how == "truncated":
        del data[len(data) * 6 // 10:]
    path.write_bytes(bytes(data))


def copy_of(product, tmp_path):
    target = tmp_path / "product" / product.name
    shutil.copytree(product, target)
    return target


def run(product, tmp_path, **options):
    """render.run into a folder of its own; (result, log lines, warnings)."""
    out = tmp_path / "out"
    out.mkdir(parents=True, exist_ok=True)
    logs, warnings = [], []
    result = render.run(render.Options(str(product), str(out / "rgb.tif"),
                                       bands=BANDS, **options),
                        log=logs.append, warn=warnings.append)
    return result, logs, warnings
