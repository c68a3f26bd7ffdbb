"""The README's picture of the methods and colour modes, on a real scene:
the T29UNU L2A product of ../shared/realdata (Ireland, 2022-10-05, 36 %
cloud), each method (equalize, contrast-limited, adaptive) in each colour
mode (per band, luminance), side by side.

  /usr/bin/python3 scripts/modes_picture.py [FOLDER]   (default demo/modes)

Equalizes the product six ways at the default settings (at 60 m, the
resolution of its bands here), and writes ``FOLDER/modes.png``: a part of
the tile (fields, bog, lakes, cumulus and their shadows; about 29 km a
side) at full resolution, three rows (equalize, contrast-limited,
adaptive) of two columns (per band, luminance), with the attribution the
data's licence asks for. Copy it to docs/modes.png to update the README.
"""

import os
import sys

import numpy as np
import rasterio
from rasterio.windows import Window

from demo import ROOT, write_png  # the demo's picture tools

sys.path.insert(0, os.path.join(ROOT, "tests"))
import real_scenes  # noqa: E402  (the tests' real scenes)

#: The part shown, in 60 m output pixels (column, row, width, height).
PART = Window(100, 150, 480, 480)
PANEL = 480          # its side in the picture: full resolution
GAP = 10
LABEL = 16
NODATA_GREY = 235
METHODS = ("equalize", "contrast-limited", "adaptive")
COLOURS = ("per band", "luminance")


def panel(path):
    """The shown part of the GeoTIFF at ``path``."""
    with rasterio.open(path) as src:
        rgb = src.read(window=PART)
        mask = src.read_masks(1, window=PART) > 0
    rgb[:, ~mask] = NODATA_GREY
    return rgb


def label(canvas, rows):
    """Write the labels and the attribution on ``canvas`` (3, h, w)."""
    from PIL import Image, ImageDraw
    picture = Image.fromarray(np.transpose(canvas, (1, 2, 0)))
    draw = ImageDraw.Draw(picture)
    for (top, left), text in rows:
        draw.text((left + 2, top + 2), text, fill=(0, 0, 0))
    return np.transpose(np.asarray(picture), (2, 0, 1)).copy()


def main(folder):
    real_scenes.make_importable()
    os.makedirs(folder, exist_ok=True)
    scene = real_scenes.t29unu()
    cell = PANEL + LABEL + GAP
    canvas = np.full((3, len(METHODS) * cell + LABEL,
                      len(COLOURS) * (PANEL + GAP) - GAP), 255, np.uint8)
    labels = []
    for row, method in enumerate(METHODS):
        for col, colour in enumerate(COLOURS):
            out = os.path.join(folder, "{}-{}.tif".format(
                method, colour.replace(" ", "-")))
            scene.run(method, colour, out)
            top, left = row * cell, col * (PANEL + GAP)
            labels.append(((top, left), "{}, {}".format(method, colour)))
            canvas[:, top + LABEL:top + LABEL + PANEL,
                   left:left + PANEL] = panel(out)
            print("{}, {}: {}".format(method, colour, out), flush=True)
    labels.append(((len(METHODS) * cell, 0), "{}: T29UNU, 2022-10-05, "
                   "60 m.".format(real_scenes.ATTRIBUTION.format(
                       scene.year))))
    png = os.path.join(folder, "modes.png")
    write_png(png, label(canvas, labels))
    print("Picture: {}".format(png))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join("demo",
                                                            "modes"))
