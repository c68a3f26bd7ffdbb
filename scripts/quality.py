"""The pictures judged on real scenes: ``make quality``.

  /usr/bin/python3 scripts/quality.py [FOLDER]      (default .build/quality)

For every real scene of ../shared/realdata (tests/real_scenes.py) and
every method x colour mode at its defaults, it equalizes the scene, prints
per class the local contrast and the median level (and, for luminance,
the chromaticity error against the input) and writes FOLDER/SCENE.png, a
contact sheet of every mode side by side with labels. Run it before and
after any change to a curve, and look at the sheets.
"""

import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import real_scenes  # noqa: E402  (the tests' real scenes and measures)

#: Side of each panel of a contact sheet, in pixels.
PANEL = 600
GAP = 8
NODATA_GREY = 235


def sheet(scene, outputs, png):
    """Write the contact sheet of ``outputs`` ((method, colour) -> GeoTIFF
    path): a row per colour mode, a column per method, labelled."""
    from PIL import Image, ImageDraw
    label = 18
    columns = 3
    rows = (len(outputs) + columns - 1) // columns
    canvas = Image.new("RGB", (columns * (PANEL + GAP) - GAP,
                               rows * (PANEL + label + GAP) + label),
                       (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for index, ((method, colour), path) in enumerate(outputs.items()):
        rgb, valid = real_scenes.read_output(path)
        rgb[:, ~valid] = NODATA_GREY
        picture = Image.fromarray(np.transpose(rgb.astype(np.uint8),
                                               (1, 2, 0)))
        picture = picture.resize((PANEL, PANEL), Image.BILINEAR)
        x = (index % columns) * (PANEL + GAP)
        y = (index // columns) * (PANEL + label + GAP)
        draw.text((x + 2, y + 3), "{}, {}".format(method, colour),
                  fill=(0, 0, 0))
        canvas.paste(picture, (x, y + label))
    draw.text((2, canvas.size[1] - label + 3), "{}. {}.".format(
        scene.name, real_scenes.ATTRIBUTION.format(scene.year)),
              fill=(0, 0, 0))
    canvas.save(png)


def main(folder):
    real_scenes.make_importable()
    if not real_scenes.available():
        print("The real scenes are not at {}: set S2EQ_REALDATA.".format(
            real_scenes.REALDATA))
        return 1
    os.makedirs(folder, exist_ok=True)
    for scene in real_scenes.scenes(folder):
        print("\n{} ({})".format(scene.name, scene.product))
        print("{:<17} {:<10} {}".format("method", "colour", "   ".join(
            "{:>16} contrast median".format(name)
            + (" chroma" if True else "") for name in scene.classes)))
        outputs = {}
        for method, colour in real_scenes.MODES:
            output = os.path.join(folder, "{}-{}-{}.tif".format(
                scene.name.split()[0], method, colour.replace(" ", "-")))
            started = time.time()
            scene.run(method, colour, output)
            outputs[(method, colour)] = output
            found = real_scenes.measures(scene, output)
            print("{:<17} {:<10} {}   ({:.1f} s)".format(
                method, colour, "   ".join(
                    "{:>16} {:8.1f} {:6.0f} {:6.3f}".format(
                        "", found[name]["contrast"], found[name]["median"],
                        found[name]["chroma"])
                    for name in scene.classes if name in found),
                time.time() - started))
        png = os.path.join(folder, "{}.png".format(scene.name.split()[0]))
        sheet(scene, outputs, png)
        print("contact sheet: {}".format(png))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, ".build", "quality")))
