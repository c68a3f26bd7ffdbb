"""The README's mosaic picture: two neighbouring tiles equalized alone, and
the same two as one mosaic with one curve.

  /usr/bin/python3 scripts/mosaic_picture.py [FOLDER]     (default demo/mosaic)

Makes two overlapping sample products of neighbouring tiles (31UFQ and
31UGQ, with the test suite's generator), runs ``s2eq:equalize`` on each and
``s2eq:mosaic`` on both through qgis_process, and writes
``FOLDER/mosaic.png``: on top the two tiles equalized alone, put side by
side where they lie (the western one over the overlap), below the mosaic.
Copy it to docs/mosaic.png to update the README.
"""

import os
import pathlib
import subprocess
import sys

import numpy as np
import rasterio
from rasterio.enums import Resampling

from demo import ROOT, s2products, write_png  # the demo's picture tools

SIZE = 732           # a fifteenth of a real tile's width, in 10 m pixels
TILES = ("31UFQ", "31UGQ")
#: A scene in which the eastern tile holds more cloud than the western
#: one, as neighbouring tiles often do: their own histograms then differ.
SEED = 3
BANDS = ("B04", "B03", "B02")
WIDTH = 960          # width of the picture, in pixels
GAP = 12
NODATA_GREY = 235


def product(folder, tile):
    """The sample product of ``tile`` in ``folder``, made once."""
    folder = pathlib.Path(folder, tile)
    made = sorted(folder.glob("*.SAFE")) if folder.is_dir() else []
    if made:
        return made[0]
    folder.mkdir(parents=True, exist_ok=True)
    return s2products.make_product(folder, size=SIZE, tiles=(tile,),
                                   tile_grid=TILES, bands=BANDS, seed=SEED)


def qgis_process(algorithm, *arguments):
    command = [os.path.join(ROOT, "scripts", "qgis-process"), "run",
               algorithm, "--"] + list(arguments)
    print("$ " + " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def on_grid(path, grid, shape):
    """The RGB and mask of the GeoTIFF at ``path`` on the mosaic's grid
    (``grid``: its transform), reduced to ``shape`` by nearest neighbour."""
    with rasterio.open(path) as src:
        res = src.transform.a
        col = int(round((src.transform.c - grid.c) / res))
        row = int(round((grid.f - src.transform.f) / res))
        rgb, mask = src.read(), src.dataset_mask() > 0
    full_rgb = np.zeros((3, shape[0], shape[1]), dtype=np.uint8)
    full_mask = np.zeros(shape, dtype=bool)
    full_rgb[:, row:row + rgb.shape[1], col:col + rgb.shape[2]] = rgb
    full_mask[row:row + rgb.shape[1], col:col + rgb.shape[2]] = mask
    return full_rgb, full_mask


def reduced(rgb, mask, size):
    """Nearest-neighbour reduction to ``size`` (rows, cols), no-data
    drawn light grey."""
    rows = (np.arange(size[0]) * rgb.shape[1] // size[0])[:, None]
    cols = (np.arange(size[1]) * rgb.shape[2] // size[1])[None, :]
    small, valid = rgb[:, rows, cols], mask[rows, cols]
    small[:, ~valid] = NODATA_GREY
    return small


def main(folder):
    os.makedirs(folder, exist_ok=True)
    products = [product(folder, tile) for tile in TILES]
    alone = [os.path.abspath(os.path.join(folder, "{}.tif".format(tile)))
             for tile in TILES]
    for path, output in zip(products, alone):
        qgis_process("s2eq:equalize", "INPUT={}".format(path),
                     "OUTPUT={}".format(output))
    mosaic = os.path.abspath(os.path.join(folder, "mosaic.tif"))
    qgis_process("s2eq:mosaic", *["INPUTS={}".format(p) for p in products]
                 + ["OUTPUT={}".format(mosaic)])

    with rasterio.open(mosaic) as src:
        grid, shape = src.transform, (src.height, src.width)
        together = src.read(out_shape=(3,) + shape,
                            resampling=Resampling.nearest)
        together_mask = src.dataset_mask() > 0
    # Alone: the eastern tile first, then the western one over it, as the
    # mosaic takes the first product's pixels where they overlap.
    apart = np.zeros_like(together)
    apart_mask = np.zeros(shape, dtype=bool)
    for path in reversed(alone):
        rgb, mask = on_grid(path, grid, shape)
        apart[:, mask] = rgb[:, mask]
        apart_mask |= mask
    size = (int(round(shape[0] * WIDTH / float(shape[1]))), WIDTH)
    canvas = np.full((3, 2 * size[0] + GAP, WIDTH), 255, dtype=np.uint8)
    canvas[:, :size[0]] = reduced(apart, apart_mask, size)
    canvas[:, size[0] + GAP:] = reduced(together, together_mask, size)
    png = os.path.join(folder, "mosaic.png")
    write_png(png, canvas)
    print("Alone (top) and as one mosaic (bottom): {}".format(png))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join("demo",
                                                             "mosaic"))
