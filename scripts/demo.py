"""make demo: equalize a generated sample product through qgis_process.

Writes into the folder given on the command line (default ``demo``):

* ``product/``: a realistic Sentinel-2 L1C sample product, made by the test
  suite's own generator (bright clouds, a no-data swath edge);
* ``equalized.tif``: the plugin's output, made by ``qgis_process``;
* ``comparison.png``: QGIS's default linear stretch (2-98 % cumulative cut)
  of the same bands on the left, the equalized image on the right;
* ``equalized-cli.tif``: the same run through the ``s2eq`` command line,
  without QGIS: the very same pixels.
"""

import os
import subprocess
import sys
import time
import warnings

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import s2products  # noqa: E402  (the tests' generator)

SIZE = 1830          # a sixth of a real tile's width, in 10 m pixels
BANDS = ("B04", "B03", "B02")
PANEL = 640          # width of each half of the picture, in pixels
GAP = 12


def linear_stretch(band, valid):
    """QGIS's default for multiband rasters: 2-98 % cumulative cut."""
    low, high = np.percentile(band[valid], (2, 98))
    scaled = (band.astype(np.float64) - low) / max(high - low, 1.0)
    return np.clip(scaled * 255.0 + 0.5, 0, 255).astype(np.uint8)


def read_small(path, shape, bands=None):
    with rasterio.open(path) as src:
        return src.read(bands, out_shape=shape,
                        resampling=Resampling.nearest)


def same_pixels(first, second):
    """Whether two RGB GeoTIFFs hold the same pixels and mask."""
    with rasterio.open(first) as a, rasterio.open(second) as b:
        return (np.array_equal(a.read(), b.read())
                and np.array_equal(a.dataset_mask(), b.dataset_mask()))


def comparison(product, equalized, png):
    granule = sorted(product.glob("GRANULE/*/IMG_DATA"))[0]
    with rasterio.open(equalized) as src:
        scale = PANEL / float(src.width)
        shape = (max(1, int(src.height * scale)), PANEL)
        right = src.read(out_shape=(3,) + shape,
                         resampling=Resampling.nearest)
        mask = src.read_masks(1, out_shape=shape,
                              resampling=Resampling.nearest) > 0
    left = np.empty_like(right)
    for index, band in enumerate(BANDS):
        path = sorted(granule.glob("*_{}.jp2".format(band)))[0]
        left[index] = linear_stretch(read_small(path, shape, 1), mask)
    canvas = np.full((3, shape[0], 2 * PANEL + GAP), 255, dtype=np.uint8)
    for image, start in ((left, 0), (right, PANEL + GAP)):
        image[:, ~mask] = 235            # no-data drawn light grey
        canvas[:, :, start:start + PANEL] = image
    write_png(png, canvas)


def write_png(png, canvas):
    """Write ``canvas`` (3, rows, cols) uint8 as a PNG."""
    with warnings.catch_warnings():      # a PNG has no georeferencing
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(png, "w", driver="PNG", width=canvas.shape[2],
                           height=canvas.shape[1], count=3, dtype="uint8",
                           zlevel=9) as dst:
            dst.write(canvas)


def main(folder):
    started = time.time()
    os.makedirs(folder, exist_ok=True)
    product_dir = os.path.join(folder, "product")
    existing = sorted(p for p in os.listdir(product_dir)
                      if p.endswith(".SAFE")) if os.path.isdir(
        product_dir) else []
    if existing:
        import pathlib
        product = pathlib.Path(product_dir, existing[0])
        print("Sample product (already made): {}".format(product))
    else:
        os.makedirs(product_dir, exist_ok=True)
        product = s2products.make_product(product_dir, size=SIZE)
        print("Sample product: {}".format(product))
    made = time.time()

    output = os.path.abspath(os.path.join(folder, "equalized.tif"))
    command = [os.path.join(ROOT, "scripts", "qgis-process"), "run",
               "s2eq:equalize", "--", "INPUT={}".format(product),
               "RED={}".format(BANDS[0]), "GREEN={}".format(BANDS[1]),
               "BLUE={}".format(BANDS[2]), "SAMPLE_PERCENT=1",
               "OUTPUT={}".format(output)]
    print("$ " + " ".join(command[:1] + ["'{}'".format(c) if " " in c else c
                                         for c in command[1:]]))
    subprocess.run(command, check=True)
    ran = time.time()

    cli_output = os.path.abspath(os.path.join(folder, "equalized-cli.tif"))
    command = [os.path.join(ROOT, "scripts", "s2eq"), "equalize",
               str(product), "-o", cli_output, "--bands", ",".join(BANDS),
               "--sample", "1"]
    print("\n$ " + " ".join(command))
    subprocess.run(command, check=True)
    print("Same pixels as qgis_process: {}".format(
        "yes" if same_pixels(output, cli_output) else "NO"))
    cli_ran = time.time()

    png = os.path.join(folder, "comparison.png")
    comparison(product, output, png)
    print("\nEqualized GeoTIFF: {} ({:.1f} MiB)".format(
        output, os.path.getsize(output) / 2.0 ** 20))
    print("Comparison (linear stretch | equalized): {}".format(png))
    print("Wall time: {:.1f} s (product {:.1f} s, qgis_process {:.1f} s, "
          "s2eq {:.1f} s, picture {:.1f} s)".format(
              time.time() - started, made - started, ran - made,
              cli_ran - ran, time.time() - cli_ran))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo")
