"""The methods and colour modes as users reach them: METHOD, COLOUR,
CLIP_LIMIT and TILE_SIZE through processing.run and qgis_process, their
provenance tags, and the messages for values out of range."""

import numpy as np
import pytest
import rasterio

from sentinel2_equalizer.core.curves.modes import AUTO_CLIP_LIMITS

#: Every method and colour mode, with the settings a run names for it on
#: the 366-pixel (3660 m) test product: tiles of 1000 m, 4 x 4 of them.
MODES = [
    ("equalize", "per band", {}),
    ("equalize", "luminance", {}),
    ("contrast-limited", "per band", {"CLIP_LIMIT": 3}),
    ("contrast-limited", "luminance", {}),
    ("adaptive", "per band", {"TILE_SIZE": 1000}),
    ("adaptive", "luminance", {"TILE_SIZE": 1000, "CLIP_LIMIT": 6}),
]


def written(path):
    with rasterio.open(path) as img:
        return img.read(), img.dataset_mask(), img.tags()


def expected_tags(method, colour, settings):
    """The provenance tags a run of this mode writes: none for the
    default, else method and colour, the clip limit where it applies and
    the tile size of the adaptive method."""
    if (method, colour) == ("equalize", "per band"):
        return {}
    tags = {"S2EQ_METHOD": method, "S2EQ_COLOUR": colour}
    if method != "equalize":
        tags["S2EQ_CLIP_LIMIT"] = "{:g}".format(settings.get(
            "CLIP_LIMIT", AUTO_CLIP_LIMITS[method]))
    if method == "adaptive":
        tags["S2EQ_TILE_SIZE"] = "{:g}".format(settings["TILE_SIZE"])
    return tags


def mode_tags(tags):
    return {k: v for k, v in tags.items() if k in (
        "S2EQ_METHOD", "S2EQ_COLOUR", "S2EQ_CLIP_LIMIT", "S2EQ_TILE_SIZE")}


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("method,colour,settings", MODES)
def test_each_mode_through_processing_run(l1c, tmp_path, method, colour,
                                          settings):
    import processing
    out = str(tmp_path / "mode.tif")
    processing.run("s2eq:equalize", dict(
        settings, INPUT=str(l1c), METHOD=method, COLOUR=colour, OUTPUT=out))
    rgb, mask, tags = written(out)
    assert mode_tags(tags) == expected_tags(method, colour, settings)
    valid = rgb[:, mask > 0]
    assert valid.min() < 30 and valid.max() > 225


@pytest.mark.parametrize("method,colour,settings", MODES[1:])
def test_each_mode_through_qgis_process(run_qgis_process, l1c, tmp_path,
                                        method, colour, settings):
    out = tmp_path / "cli.tif"
    run_qgis_process("run", "s2eq:equalize", "--", "INPUT={}".format(l1c),
                     "METHOD={}".format(method), "COLOUR={}".format(colour),
                     *["{}={}".format(k, v) for k, v in settings.items()],
                     "OUTPUT={}".format(out))
    assert mode_tags(written(out)[2]) == expected_tags(method, colour,
                                                       settings)


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("settings,words", [
    ({"METHOD": "contrast-limited", "CLIP_LIMIT": 0.9},
     "CLIP_LIMIT: The clip limit must be 0 (each method's own: 2 for "
     "contrast-limited, 4 for adaptive) or from 1 to 1000"),
    ({"METHOD": "adaptive", "CLIP_LIMIT": 0.5},
     "CLIP_LIMIT: The clip limit must be 0"),
    ({"METHOD": "contrast-limited", "CLIP_LIMIT": 5000},
     "CLIP_LIMIT: The clip limit must be 0 (each method's own: 2 for "
     "contrast-limited, 4 for adaptive) or from 1 to 1000"),
    ({"METHOD": "adaptive", "TILE_SIZE": 5},
     "TILE_SIZE: The tile size must be at least 160 m"),
    ({"METHOD": "adaptive", "TILE_SIZE": 50000},
     "TILE_SIZE: The tile size (50000 m) is larger than the image"),
    ({"METHOD": "adaptive", "TILE_SIZE": 0},
     "TILE_SIZE: The tile size must be a positive number"),
    ({"METHOD": "sharpen"}, "METHOD: 'sharpen' is not one of equalize"),
    ({"COLOUR": "hue"}, "COLOUR: 'hue' is not one of per band, luminance"),
])
def test_values_out_of_range_say_which_parameter_and_what_works(
        l1c, tmp_path, settings, words):
    import processing
    from qgis.core import QgsProcessingException
    out = tmp_path / "none.tif"
    with pytest.raises(QgsProcessingException) as error:
        processing.run("s2eq:equalize", dict(settings, INPUT=str(l1c),
                                             OUTPUT=str(out)))
    assert words in str(error.value)
    assert not out.exists()


def test_bad_values_through_qgis_process(run_qgis_process, l1c, tmp_path):
    out = tmp_path / "none.tif"
    for settings, words in (
            (("METHOD=contrast-limited", "CLIP_LIMIT=0.9"),
             "CLIP_LIMIT: The clip limit must be 0"),
            (("METHOD=adaptive", "TILE_SIZE=8000"),
             "TILE_SIZE: The tile size (8000 m) is larger than the image")):
        done = run_qgis_process("run", "s2eq:equalize", "--",
                                "INPUT={}".format(l1c), *settings,
                                "OUTPUT={}".format(out), check=False)
        assert done.returncode != 0
        assert words in done.stdout + done.stderr
        assert not out.exists()


@pytest.mark.usefixtures("qgis_app")
def test_clip_limit_and_tile_size_do_nothing_to_plain_equalization(
        l1c, tmp_path):
    """The settings only the other methods use change nothing, not even a
    tag, while METHOD is equalize."""
    import processing
    plain, tuned = str(tmp_path / "plain.tif"), str(tmp_path / "tuned.tif")
    processing.run("s2eq:equalize", {"INPUT": str(l1c), "OUTPUT": plain})
    processing.run("s2eq:equalize", {"INPUT": str(l1c), "CLIP_LIMIT": 2,
                                     "TILE_SIZE": 7, "OUTPUT": tuned})
    a, b = written(plain), written(tuned)
    np.testing.assert_array_equal(a[0], b[0])
    assert mode_tags(b[2]) == {}


@pytest.mark.usefixtures("qgis_app")
def test_shared_curve_serves_luminance_and_adaptive(l1c, tmp_path):
    """s2eq:curve keeps the luminance and the tiles (of its TILE_SIZE),
    so s2eq:equalize can use them with a shared curve."""
    import processing
    path = str(tmp_path / "shared.json")
    processing.run("s2eq:curve", {"INPUTS": [str(l1c)], "TILE_SIZE": 1000,
                                  "OUTPUT": path})
    for method, colour in (("adaptive", "luminance"),
                           ("contrast-limited", "luminance"),
                           ("adaptive", "per band")):
        out = str(tmp_path / "{}-{}.tif".format(method, colour))
        processing.run("s2eq:equalize", {
            "INPUT": str(l1c), "CURVE": path, "METHOD": method,
            "COLOUR": colour, "TILE_SIZE": 1000, "OUTPUT": out})
        tags = written(out)[2]
        assert tags["S2EQ_CURVE"] == "shared.json"
        assert tags["S2EQ_METHOD"] == method


@pytest.mark.usefixtures("qgis_app")
def test_method_parameters_use_names_and_are_documented():
    from qgis.core import QgsApplication
    for algorithm in ("s2eq:equalize",):
        alg = QgsApplication.processingRegistry().algorithmById(algorithm)
        method = alg.parameterDefinition("METHOD")
        colour = alg.parameterDefinition("COLOUR")
        assert method.usesStaticStrings() and colour.usesStaticStrings()
        assert method.options() == ["equalize", "contrast-limited",
                                    "adaptive"]
        assert colour.options() == ["per band", "luminance"]
        for name in ("METHOD", "COLOUR", "CLIP_LIMIT", "TILE_SIZE"):
            assert len(alg.parameterDefinition(name).help()) > 40, name


def neighbours(products):
    """The two neighbouring products test_mosaic.py mosaics."""
    return [products("mosaic-" + name, size=366, tiles=(tile,),
                     tile_grid=("31UFQ", "31UGQ"),
                     bands=("B04", "B03", "B02"), jp2_block=128)
            for name, tile in (("west", "31UFQ"), ("east", "31UGQ"))]


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("method,colour,settings", [
    ("contrast-limited", "luminance", {}),
    ("adaptive", "per band", {"TILE_SIZE": 1000}),
    ("adaptive", "luminance", {"TILE_SIZE": 1000}),
])
def test_mosaic_takes_every_mode(products, tmp_path, method, colour,
                                 settings):
    import processing
    out = str(tmp_path / "mosaic.tif")
    processing.run("s2eq:mosaic", dict(
        settings, INPUTS=[str(p) for p in neighbours(products)],
        METHOD=method, COLOUR=colour, OUTPUT=out))
    rgb, mask, tags = written(out)
    assert mode_tags(tags) == expected_tags(method, colour, settings)
    assert rgb[:, mask > 0].max() > 225


def test_mosaic_adaptive_with_a_shared_curve_of_its_products(products,
                                                             tmp_path):
    """A curve file of the two products carries their tiles, summed where
    they overlap; the adaptive mosaic maps through them."""
    from sentinel2_equalizer.core.curves import curve
    from sentinel2_equalizer.core import measure, mosaic
    parts = [measure.measure(str(p), ("B04", "B03", "B02"), tile_size=1000)
             for p in neighbours(products)]
    path = str(tmp_path / "both.json")
    curve.save(curve.combine(parts), path)
    out = str(tmp_path / "mosaic.tif")
    mosaic.mosaic([str(p) for p in neighbours(products)], out, curve=path,
                  method="adaptive", tile_size=1000)
    tags = written(out)[2]
    assert tags["S2EQ_CURVE"] == "both.json"
    assert tags["S2EQ_TILE_SIZE"] == "1000"
