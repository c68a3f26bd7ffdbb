"""The command line speaks its own language: every error names flags and
the PRODUCT argument, never the QGIS parameters they mirror (INPUT,
SAMPLE_PERCENT ...); an unreadable product is the only thing said of a run
it stops; wrong flags exit with 2 and the sub-command's usage."""

import re
import shutil

import pytest

from s2eq_runner import run_s2eq
from sentinel2_equalizer import api

#: The parameters of the s2eq algorithms, as QGIS names them. A name
#: followed by an extension (CURVE.json, a placeholder) is not one.
QGIS_NAMES = re.compile(
    r"\b(INPUTS?|OUTPUT|RED|GREEN|BLUE|COMBINATION|SAMPLE_PERCENT|"
    r"RESOLUTION|UTM_ZONE|CURVE|VERIFY|METHOD|COLOUR|CLIP_LIMIT|TILE_SIZE|"
    r"COMPRESSION|JPEG_QUALITY|EXTENT|MASK|REPORT)\b(?!\.\w)")
USAGE, FAILED = 2, 1


@pytest.fixture(scope="module")
def inputs(products, l1c, tmp_path_factory):
    """What the cases are made of: the session's L1C product, an L2A one,
    another L1C date, curves of each level, spoilt copies."""
    base = tmp_path_factory.mktemp("cli-messages")
    l2a = products("l2a", size=366, level="L2A", jp2_block=128)
    other = products("cli_messages_other", size=366, jp2_block=128,
                     sensing="20230704T105629")
    l1c_curve, l2a_curve = base / "l1c.json", base / "l2a.json"
    api.build_curve([api.measure(str(l1c), resolution=60)], str(l1c_curve))
    api.build_curve([api.measure(str(l2a), resolution=60)], str(l2a_curve))
    (base / "readme.txt").write_text("hello")
    twice = base / "twice"
    for name in ("a", "b"):
        shutil.copytree(l1c, twice / name / l1c.name)
        shutil.move(str(twice / name / l1c.name),
                    str(twice / "{}-{}".format(name, l1c.name)))
        (twice / name).rmdir()
    no_b03 = base / "no-b03" / l1c.name
    shutil.copytree(l1c, no_b03)
    next(no_b03.glob("GRANULE/*/IMG_DATA/*_B03.jp2")).unlink()
    return {"l1c": l1c, "l2a": l2a, "other": other, "base": base,
            "l1c_curve": l1c_curve, "l2a_curve": l2a_curve,
            "text": base / "readme.txt", "twice": twice, "no_b03": no_b03,
            "granule": next(l1c.glob("GRANULE/*/MTD_TL.xml"))}


def out(kind):
    return lambda i: str(i["base"] / ("out" + kind))


#: (id, the arguments given inputs, the exit status, whether the product
#: stops the run before anything is said).
CASES = [
    ("missing", lambda i: ["equalize", "", "-o", out(".tif")(i)], USAGE,
     True),
    ("nowhere", lambda i: ["equalize", i["base"] / "nowhere.SAFE", "-o",
                           out(".tif")(i)], FAILED, True),
    ("text-file", lambda i: ["equalize", i["text"], "-o", out(".tif")(i)],
     FAILED, True),
    ("granule-metadata", lambda i: ["equalize", i["granule"], "-o",
                                    out(".tif")(i)], FAILED, True),
    ("folder-of-two", lambda i: ["equalize", i["twice"], "-o",
                                 out(".tif")(i)], FAILED, True),
    ("band-file-missing", lambda i: ["equalize", i["no_b03"], "-o",
                                     out(".tif")(i)], FAILED, False),
    ("bands", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                         "--bands", "B99,B03,B02"], USAGE, True),
    ("two-bands", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                             "--bands", "B04,B03"], USAGE, True),
    ("combination", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                               "--combination", "swirx"], USAGE, True),
    ("sample", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                          "--sample", "0"], USAGE, True),
    ("zone-out-of-range", lambda i: ["equalize", i["l1c"], "-o",
                                     out(".tif")(i), "--utm-zone", "61"],
     USAGE, True),
    ("zone-not-the-products", lambda i: ["equalize", i["l1c"], "-o",
                                         out(".tif")(i), "--utm-zone",
                                         "40"], USAGE, False),
    ("curve-missing", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                                 "--curve", i["base"] / "nowhere.json"],
     FAILED, True),
    ("curve-of-another-level", lambda i: [
        "equalize", i["l1c"], "-o", out(".tif")(i), "--curve",
        i["l2a_curve"]], FAILED, False),
    ("curve-without-the-bands", lambda i: [
        "equalize", i["l1c"], "-o", out(".tif")(i), "--curve",
        i["l1c_curve"], "--combination", "swir"], FAILED, False),
    ("clip-limit", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                              "--method", "contrast-limited",
                              "--clip-limit", "0.5"], USAGE, True),
    ("tile-size", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                             "--method", "adaptive", "--tile-size",
                             "50000"], USAGE, False),
    ("jpeg-quality", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                                "--jpeg-quality", "101"], USAGE, True),
    ("output-not-a-geotiff", lambda i: ["equalize", i["l1c"], "-o",
                                        out(".png")(i)], USAGE, True),
    ("output-is-the-product", lambda i: [
        "equalize", i["l1c"] / "MTD_MSIL1C.xml", "-o",
        i["l1c"] / "MTD_MSIL1C.xml"], USAGE, True),
    ("band-the-level-lacks", lambda i: ["equalize", i["l2a"], "-o",
                                        out(".tif")(i), "--bands",
                                        "B10,B03,B02"], FAILED, False),
    ("mistyped-flag", lambda i: ["equalize", i["l1c"], "-o", out(".tif")(i),
                                 "--band", "B04,B03,B02"], USAGE, True),
    ("curve-nowhere", lambda i: ["curve", i["base"] / "nowhere.SAFE",
                                 i["l1c"], "-o", out(".json")(i)], FAILED,
     True),
    ("curve-levels", lambda i: ["curve", i["l1c"], i["l2a"], "-o",
                                out(".json")(i)], FAILED, False),
    ("mosaic-nowhere", lambda i: ["mosaic", i["l1c"],
                                  i["base"] / "nowhere.SAFE", "-o",
                                  out(".tif")(i)], FAILED, True),
    ("mosaic-levels", lambda i: ["mosaic", i["l1c"], i["l2a"], "-o",
                                 out(".tif")(i)], FAILED, False),
    ("mosaic-band-file-missing", lambda i: [
        "mosaic", i["other"], i["no_b03"], "-o", out(".tif")(i)], FAILED,
     False),
    ("batch-workers", lambda i: ["batch", i["l1c"], "--out-dir",
                                 out("-dir")(i), "--workers", "0"], USAGE,
     True),
    ("batch-two-curves", lambda i: ["batch", i["l1c"], "--out-dir",
                                    out("-dir")(i), "--shared-curve",
                                    "--curve", i["l1c_curve"]], USAGE, True),
    ("batch-tls-here", lambda i: ["batch", i["l1c"], "--out-dir",
                                  out("-dir")(i), "--tls-ca-file",
                                  i["l1c_curve"]], USAGE, True),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_messages_name_flags_and_product_never_qgis_parameters(inputs,
                                                               case):
    name, arguments, status, alone = case
    done = run_s2eq(*arguments(inputs))
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    said = [line for line in done.stderr.splitlines()
            if line.strip() and not line.startswith(("usage:", " "))]
    assert said and said[-1].startswith("s2eq "), done.stderr
    for line in said:
        assert not QGIS_NAMES.search(line), line
    if alone:
        # nothing said of a run that its product or flags stop
        assert len(said) == 1, said


def test_a_curve_lacking_several_bands_says_bands(inputs):
    done = run_s2eq("equalize", inputs["l1c"], "-o",
                    inputs["base"] / "swir.tif", "--curve",
                    inputs["l1c_curve"], "--combination", "swir")
    assert "has no curve for bands B12, B8A (it has B02, B03, B04)" in \
        done.stderr


def test_a_named_combination_is_taken_in_any_case(inputs, tmp_path):
    done = run_s2eq("equalize", inputs["l1c"], "-o", tmp_path / "swir.tif",
                    "--combination", "SWIR", "--resolution", "60")
    assert done.returncode == 0, done.stderr
    assert "B12-B8A-B04" in done.stdout
