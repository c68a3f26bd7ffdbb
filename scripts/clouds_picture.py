"""The README's picture of a cloudy season: one date, the first-clear
composite and the median-of-clear composite of four dates.

  /usr/bin/python3 scripts/clouds_picture.py [FOLDER]     (default demo/clouds)

Makes four L2A sample products of one tile (the test suite's generator:
the same ground under four skies, with their scene classification), runs
``s2eq equalize`` on the first date and ``s2eq mosaic --composite
first-clear`` and ``--composite median`` on all four, and writes
``FOLDER/clouds.png``, the three side by side. Copy it to docs/clouds.png
to update the README.
"""

import os
import pathlib
import subprocess
import sys

import numpy as np
import rasterio

from demo import ROOT, s2products, write_png  # the demo's picture tools

SIZE = 732           # a fifteenth of a real tile's width, in 10 m pixels
BANDS = ("B04", "B03", "B02")
#: The skies of the four dates, and their days: skies of the generator
#: under which few places are cloudy on all four, the first date cloudy.
DATES = ((24, "20230604T105629"), (22, "20230614T105629"),
         (1, "20230624T105629"), (35, "20230704T105629"))
PANEL = 316          # width of each of the three pictures, in pixels
GAP = 6
NODATA_GREY = 235


def product(folder, sky, sensing):
    """The sample product of one date in ``folder``, made once."""
    folder = pathlib.Path(folder, str(sky))
    made = sorted(folder.glob("*.SAFE")) if folder.is_dir() else []
    if made:
        return made[0]
    folder.mkdir(parents=True, exist_ok=True)
    return s2products.make_product(folder, level="L2A", size=SIZE,
                                   bands=BANDS + ("SCL",), sky_seed=sky,
                                   sensing=sensing)


def s2eq(*arguments):
    command = [os.path.join(ROOT, "scripts", "s2eq")] + [
        str(a) for a in arguments] + ["--quiet"]
    print("$ s2eq " + " ".join(str(a) for a in arguments), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def reduced(path, width):
    """The picture at ``path`` reduced to ``width`` by nearest neighbour,
    no-data drawn light grey."""
    with rasterio.open(path) as src:
        rgb, valid = src.read(), src.dataset_mask() > 0
    height = int(round(rgb.shape[1] * width / float(rgb.shape[2])))
    rows = (np.arange(height) * rgb.shape[1] // height)[:, None]
    cols = (np.arange(width) * rgb.shape[2] // width)[None, :]
    small = rgb[:, rows, cols]
    small[:, ~valid[rows, cols]] = NODATA_GREY
    return small


def main(folder):
    os.makedirs(folder, exist_ok=True)
    dates = [product(folder, sky, sensing) for sky, sensing in DATES]
    one = os.path.abspath(os.path.join(folder, "one-date.tif"))
    s2eq("equalize", dates[0], "-o", one)
    made = [one]
    for composite in ("first-clear", "median"):
        output = os.path.abspath(os.path.join(folder, composite + ".tif"))
        s2eq("mosaic", *dates, "-o", output, "--composite", composite)
        made.append(output)
    panels = [reduced(path, PANEL) for path in made]
    height = panels[0].shape[1]
    canvas = np.full((3, height, 3 * PANEL + 2 * GAP), 255, np.uint8)
    for number, panel in enumerate(panels):
        left = number * (PANEL + GAP)
        canvas[:, :, left:left + PANEL] = panel
    png = os.path.join(folder, "clouds.png")
    write_png(png, canvas)
    print("One date, first clear, median of clear: {}".format(png))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1
         else os.path.join("demo", "clouds"))
