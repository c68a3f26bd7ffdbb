"""The name QGIS gives the loaded layer (and the command line its result):
runs that differ in method, colour mode, curve or level get names that
differ; a run with the defaults keeps the name it always had."""

from sentinel2_equalizer import api

#: Quick-looks: the names do not depend on the pixel size.
QUICK = {"resolution": 60}


def test_names_differ_with_method_colour_and_curve(l1c, tmp_path):
    curve = tmp_path / "summer.json"
    api.build_curve([api.measure(str(l1c), **QUICK)], str(curve))
    runs = {
        "defaults": {},
        "contrast-limited": {"method": "contrast-limited"},
        "adaptive": {"method": "adaptive", "tile_size": 1000},
        "luminance": {"colour": "luminance"},
        "adaptive luminance": {"method": "adaptive", "tile_size": 1000,
                               "colour": "luminance"},
        "curve": {"curve": str(curve)},
        "curve luminance": {"curve": str(curve), "colour": "luminance"},
    }
    names = {run: api.equalize(str(l1c), str(tmp_path / "{}.tif".format(
        number)), **dict(QUICK, **arguments)).layer_name
        for number, (run, arguments) in enumerate(runs.items())}
    assert names["defaults"] == "T31UFQ 2023-06-14 B04-B03-B02 equalized"
    assert len(set(names.values())) == len(names), names
    assert names["adaptive luminance"] == \
        "T31UFQ 2023-06-14 B04-B03-B02 equalized, adaptive, luminance"
    assert names["curve"] == \
        "T31UFQ 2023-06-14 B04-B03-B02 equalized, shared curve summer"


def test_mosaic_names_differ_with_method_and_curve(dates, tmp_path):
    curve = tmp_path / "summer.json"
    api.build_curve([api.measure(str(p), **QUICK) for p in dates],
                    str(curve))
    own = api.mosaic(dates, str(tmp_path / "own.tif"), **QUICK).layer_name
    shared = api.mosaic(dates, str(tmp_path / "shared.tif"), curve=str(curve),
                        **QUICK).layer_name
    limited = api.mosaic(dates, str(tmp_path / "limited.tif"),
                         method="contrast-limited", **QUICK).layer_name
    assert own == "T31UFQ 2023-06-14 to 2023-07-04 B04-B03-B02 mosaic"
    assert shared == own + ", shared curve summer"
    assert limited == own + ", contrast-limited"


def test_an_l2a_name_says_l2a(products, tmp_path):
    l2a = products("l2a", size=366, level="L2A", jp2_block=128)
    name = api.equalize(str(l2a), str(tmp_path / "l2a.tif"),
                        **QUICK).layer_name
    assert name == "T31UFQ 2023-06-14 L2A B04-B03-B02 equalized"
