"""The methods on real scenes (tests/real_scenes.py): the targets the
pictures are held to, measured against the scenes' own classification.

T29UNU is a real cloudy L2A product (36 % cloud) with its scene
classification; T19UDP real L1C bands under cumulus, with haze. The
measures are those ``make quality`` prints. Where the real scenes are not
beside the checkout (../shared/realdata, or S2EQ_REALDATA), the tests
are skipped with that reason; in CI (CI set) they must be there.
"""

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


def run_every_mode(scene, folder):
    found = {}
    for method, colour in real_scenes.MODES:
        output = folder / "{}-{}.tif".format(method, colour.replace(" ",
                                                                    "-"))
        scene.run(method, colour, output)
        found[(method, colour)] = real_scenes.measures(scene, output)
    return found


@pytest.fixture(scope="module")
def t29unu(tmp_path_factory):
    return run_every_mode(real_scenes.t29unu(),
                          tmp_path_factory.mktemp("t29unu"))


@pytest.fixture(scope="module")
def t19udp(tmp_path_factory):
    folder = tmp_path_factory.mktemp("t19udp")
    scene = real_scenes.t19udp(folder / "product")
    outputs = {}
    for method, colour in real_scenes.MODES:
        output = folder / "{}-{}.tif".format(method, colour.replace(" ",
                                                                    "-"))
        scene.run(method, colour, output)
        outputs[(method, colour)] = real_scenes.read_output(output)
    return scene, outputs


@pytest.mark.parametrize("colour", ["per band", "luminance"])
def test_adaptive_gives_clear_land_its_own_contrast(t29unu, colour):
    """Land beside bright clouds gets at least 1.3 times the local contrast
    of plain equalization, drawn neither dark nor washed out (median level
    60-195), and the clouds keep at least plain equalization's."""
    plain = t29unu[("equalize", colour)]
    adaptive = t29unu[("adaptive", colour)]
    print("clear land local contrast: equalize {:.1f}, adaptive {:.1f}; "
          "cloud: {:.1f}, {:.1f}".format(
              plain["clear land"]["contrast"],
              adaptive["clear land"]["contrast"],
              plain["cloud"]["contrast"], adaptive["cloud"]["contrast"]))
    assert adaptive["clear land"]["contrast"] >= \
        1.3 * plain["clear land"]["contrast"]
    assert 60 <= adaptive["clear land"]["median"] <= 195
    assert adaptive["cloud"]["contrast"] >= plain["cloud"]["contrast"]


@pytest.mark.parametrize("colour", ["per band", "luminance"])
def test_contrast_limited_keeps_the_land_readable(t29unu, colour):
    """Contrast-limited gentles plain equalization: clear land keeps at
    least 80 % of its local contrast and is not drawn dark: median level
    50-205 per band; in luminance mode, where plain equalization itself
    draws this land at 50, no more than 5 % darker than that."""
    plain = t29unu[("equalize", colour)]
    limited = t29unu[("contrast-limited", colour)]
    assert limited["clear land"]["contrast"] >= \
        0.8 * plain["clear land"]["contrast"]
    assert limited["clear land"]["median"] <= 205
    assert limited["clear land"]["median"] >= (
        50 if colour == "per band" else 0.95 * plain["clear land"]["median"])


def test_contrast_limited_per_band_calms_water(t29unu):
    """Per band, the water's local contrast (its noise and shores) is
    below plain equalization's. (Not by 30 %: on this scene water shares
    its values with cloud shadows and dark fields, so no curve of the
    histogram alone can calm it much more without taking the land's
    contrast too; the README says so.)"""
    plain = t29unu[("equalize", "per band")]["water"]["contrast"]
    limited = t29unu[("contrast-limited", "per band")]["water"]["contrast"]
    assert limited <= 0.9 * plain


@pytest.mark.parametrize("method", ["equalize", "contrast-limited",
                                    "adaptive"])
def test_luminance_keeps_the_colours_of_the_land(t29unu, method):
    """On surface reflectance (L2A), luminance mode's chromaticity on
    clear land stays within a third of the per-band mode's error."""
    per_band = t29unu[(method, "per band")]["clear land"]["chroma"]
    luminance = t29unu[(method, "luminance")]["clear land"]["chroma"]
    assert luminance <= per_band / 3


@pytest.mark.parametrize("method", ["equalize", "contrast-limited",
                                    "adaptive"])
def test_luminance_takes_the_haze_off_top_of_atmosphere_colours(t19udp,
                                                                method):
    """On L1C bands the blue haze made vegetation teal (blue its largest
    share, as in the input): luminance mode takes each band's haze off
    before the ratios, so vegetation is green (green its largest share,
    blue well below it), and bright clouds stay white."""
    scene, outputs = t19udp
    rgb, valid = outputs[(method, "luminance")]
    shares = real_scenes.chromaticity(rgb)
    vegetation = scene.classes["clear vegetation"] & valid
    red, green, blue = np.nanmedian(shares[:, vegetation], axis=1)
    before = np.nanmedian(real_scenes.chromaticity(np.clip(
        scene.reflectance, 0, None))[:, vegetation], axis=1)
    assert before[2] == before.max()          # the input: teal
    assert green == max(red, green, blue) and blue < green - 0.05
    clouds = (scene.reflectance > 0.3).all(axis=0) & valid
    cloud = np.nanmedian(shares[:, clouds], axis=1)
    assert cloud.max() - cloud.min() < 0.03


def test_exclude_gives_clear_land_more_levels_than_keep(tmp_path):
    """Clouds excluded from the curve (T29UNU, 36 % cloud, its real scene
    classification): the clear land gets more output levels and more
    local contrast than with the clouds kept."""
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
