"""Clouds excluded from the curve on the real L2A scene T29UNU (36 %
cloud, its real scene classification): the clear land gets more output
levels and more local contrast than when the clouds are kept. Skipped,
with the reason, where the real scenes are not beside the checkout (in
CI they must be)."""

import os

import numpy as np
import pytest

import real_scenes

if not real_scenes.available():
    if os.environ.get("CI"):
        raise RuntimeError("The real scenes are missing from {}".format(
            real_scenes.REALDATA))
    pytest.skip("the real scenes are not at {} (set S2EQ_REALDATA)".format(
        real_scenes.REALDATA), allow_module_level=True)


def test_exclude_gives_clear_land_more_levels_than_keep(tmp_path):
    scene = real_scenes.t29unu()
    land = scene.classes["clear land"]
    found = {}
    for mode in ("keep", "exclude"):
        output = tmp_path / "{}.tif".format(mode)
        scene.run("equalize", "per band", output, clouds=mode)
        rgb, valid = real_scenes.read_output(output)
        where = land & valid
        grey = rgb.mean(axis=0)
        contrast = real_scenes.local_contrast(grey, valid)
        found[mode] = {
            "levels": [len(np.unique(rgb[c][where])) for c in range(3)],
            "contrast": float(np.median(contrast[where])),
            "median": float(np.median(grey[where]))}
    for mode, measured in found.items():
        print("{}: clear land's output levels (R, G, B) {}, local contrast "
              "{:.2f}, median level {:.1f}".format(
                  mode, measured["levels"], measured["contrast"],
                  measured["median"]))
    assert all(e > k for e, k in zip(found["exclude"]["levels"],
                                     found["keep"]["levels"]))
    assert found["exclude"]["contrast"] > found["keep"]["contrast"]
