"""The README's area picture: a whole tile equalized, and an area of it
equalized on its own.

  /usr/bin/python3 scripts/area_picture.py [FOLDER]     (default demo/area)

Makes a sample product (the test suite's generator), runs
``s2eq:equalize`` on the whole tile and on an area of it (EXTENT, in
QGIS's extent string) through qgis_process, and writes ``FOLDER/area.png``:
on the left the whole tile with the area outlined, in the middle the area
as the whole tile's curve draws it, on the right the area equalized on its
own. Copy it to docs/area.png to update the README.
"""

import os
import pathlib
import sys

import numpy as np
import rasterio
from rasterio.windows import from_bounds

from demo import s2products, write_png  # the demo's picture tools
from mosaic_picture import GAP, NODATA_GREY, qgis_process, reduced

SIZE = 1098          # a tenth of a real tile's width, in 10 m pixels
SEED = 3
BANDS = ("B04", "B03", "B02")
#: The area, in pixels of the tile from its upper-left corner: (left, top,
#: right, bottom), a twentieth of the tile's area.
AREA = (430, 590, 675, 835)
HEIGHT = 360         # height of each panel, in pixels
OUTLINE = (255, 255, 0)


def product(folder):
    """The sample product in ``folder``, made once."""
    folder = pathlib.Path(folder, "tile")
    made = sorted(folder.glob("*.SAFE")) if folder.is_dir() else []
    if made:
        return made[0]
    folder.mkdir(parents=True, exist_ok=True)
    return s2products.make_product(folder, size=SIZE, bands=BANDS, seed=SEED)


def read(path, window=None):
    with rasterio.open(path) as src:
        return (src.read(window=window), src.dataset_mask(window=window) > 0,
                src.transform, src.bounds)


def main(folder):
    os.makedirs(folder, exist_ok=True)
    source = product(folder)
    whole = os.path.abspath(os.path.join(folder, "whole.tif"))
    qgis_process("s2eq:equalize", "INPUT={}".format(source),
                 "OUTPUT={}".format(whole))
    rgb, mask, transform, _ = read(whole)
    left, top, right, bottom = AREA
    xmin, ymax = transform * (left, top)
    xmax, ymin = transform * (right, bottom)
    area = os.path.abspath(os.path.join(folder, "area.tif"))
    qgis_process("s2eq:equalize", "INPUT={}".format(source),
                 "EXTENT={:.0f},{:.0f},{:.0f},{:.0f} [EPSG:32631]".format(
                     xmin, xmax, ymin, ymax),
                 "OUTPUT={}".format(area))
    own, own_mask, _, bounds = read(area)
    window = from_bounds(*bounds, transform=transform)
    cut, cut_mask, _, _ = read(whole, window)

    tile_panel = reduced(rgb.copy(), mask, (HEIGHT, HEIGHT))
    scale = HEIGHT / float(rgb.shape[1])
    box = [int(round(v * scale)) for v in AREA]
    for channel, value in enumerate(OUTLINE):
        plane = tile_panel[channel]
        plane[box[1]:box[3], [box[0], box[2] - 1]] = value
        plane[[box[1], box[3] - 1], box[0]:box[2]] = value
    panels = [tile_panel, reduced(cut, cut_mask, (HEIGHT, HEIGHT)),
              reduced(own, own_mask, (HEIGHT, HEIGHT))]
    canvas = np.full((3, HEIGHT, 3 * HEIGHT + 2 * GAP), 255, dtype=np.uint8)
    for number, panel in enumerate(panels):
        start = number * (HEIGHT + GAP)
        canvas[:, :, start:start + HEIGHT] = panel
    png = os.path.join(folder, "area.png")
    write_png(png, canvas)
    print("The tile, the area by the tile's curve, the area on its own: "
          "{} ({:.0f} % of the area's pixels valid; grey: no-data {})"
          .format(png, 100.0 * own_mask.mean(), NODATA_GREY))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join("demo", "area"))
