"""The README's picture of the methods and colour modes: one product, each
method (equalize, contrast-limited, adaptive) in each colour mode (per
band, luminance), side by side.

  /usr/bin/python3 scripts/modes_picture.py [FOLDER]   (default demo/modes)

Makes a sample product with the test suite's generator (fields, forest,
lakes and a river, clouds with saturated cores and their shadows, the
no-data swath edge), equalizes it six ways with the core at the default
settings, and writes ``FOLDER/modes.png``: a part of the product (about 8
km a side, two adaptive tiles) at half resolution, three rows (equalize,
contrast-limited, adaptive) of two columns (per band, luminance). Copy it
to docs/modes.png to update the README.
"""

import os
import pathlib
import sys

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.windows import Window

from demo import ROOT, s2products, write_png  # the demo's picture tools

#: The checkout as the package sentinel2_equalizer, as the tests and
#: scripts/qgis-process link it.
PLUGINS = os.path.join(ROOT, ".build", "plugins")

SIZE = 1830          # a sixth of a real tile's width, in 10 m pixels
BANDS = ("B04", "B03", "B02")
#: The part shown: a lake, the river, fields, forest, clouds and the
#: swath edge, in output pixels (column, row, width, height).
PART = Window(200, 560, 840, 840)
PANEL = 420          # its side in the picture, in pixels: half resolution
GAP = 10
NODATA_GREY = 235
METHODS = ("equalize", "contrast-limited", "adaptive")
COLOURS = ("per band", "luminance")


def product(folder):
    """The sample product in ``folder``, made once."""
    folder = pathlib.Path(folder, "product")
    made = sorted(folder.glob("*.SAFE")) if folder.is_dir() else []
    if made:
        return made[0]
    folder.mkdir(parents=True, exist_ok=True)
    return s2products.make_product(folder, size=SIZE, bands=BANDS)


def panel(path):
    """The shown part of the GeoTIFF at ``path``, PANEL pixels a side."""
    with rasterio.open(path) as src:
        rgb = src.read(window=PART, out_shape=(3, PANEL, PANEL),
                       resampling=Resampling.average)
        mask = src.read_masks(1, window=PART, out_shape=(PANEL, PANEL),
                              resampling=Resampling.nearest) > 0
    rgb[:, ~mask] = NODATA_GREY
    return rgb


def main(folder):
    os.makedirs(PLUGINS, exist_ok=True)
    if not os.path.exists(os.path.join(PLUGINS, "sentinel2_equalizer")):
        os.symlink(os.path.join("..", ".."),
                   os.path.join(PLUGINS, "sentinel2_equalizer"))
    sys.path.insert(0, PLUGINS)
    from sentinel2_equalizer.core import render
    os.makedirs(folder, exist_ok=True)
    source = product(folder)
    canvas = np.full((3, len(METHODS) * (PANEL + GAP) - GAP,
                      len(COLOURS) * (PANEL + GAP) - GAP), 255, np.uint8)
    for row, method in enumerate(METHODS):
        for col, colour in enumerate(COLOURS):
            out = os.path.join(folder, "{}-{}.tif".format(
                method, colour.replace(" ", "-")))
            render.run(render.Options(str(source), out, bands=BANDS,
                                      method=method, colour=colour))
            top, left = row * (PANEL + GAP), col * (PANEL + GAP)
            canvas[:, top:top + PANEL, left:left + PANEL] = panel(out)
            print("{}, {}: {}".format(method, colour, out), flush=True)
    png = os.path.join(folder, "modes.png")
    write_png(png, canvas)
    print("Picture: {}".format(png))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join("demo",
                                                            "modes"))
