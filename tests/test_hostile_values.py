"""Hostile and broken inputs, third: verification that fails closed, and
metadata and pixel values that are no numbers, out of range or of no use.

A manifest.safe that is there but cannot be read, or that lists a
checksum that cannot be computed, stops a verified run and names the way
to go on unchecked (--no-verify, VERIFY); a missing one runs unchecked, as
before. Metadata values are checked where they are read and named with
their file; a band without a valid pixel is refused, with a curve too,
and says whether it is all no-data or all saturated."""

import json
import os
import re

import numpy as np
import pytest

from hostile import (band, edit, fingerprint, qgis_refused, refused,
                     succeeds, tile_metadata, zipped)
from s2eq_runner import run_s2eq
from test_errors import rewrite_band

#: The command line's way round a check that cannot be made.
UNCHECKED = "Download the product again, or give --no-verify to run " \
            "without the check.$"


# ---------------------------------------------------------------------------
# Verification.

@pytest.mark.parametrize("spoil, message", [
    (lambda text: text[:len(text) // 2],
     r"^The product's manifest.safe is not valid XML \(.*\), so its band "
     "files cannot be checked against it. "),
    (lambda text: text.replace("?>", "?><!DOCTYPE x SYSTEM 'file:///etc/"
                               "shadow'>", 1),
     "^The product's manifest.safe declares a DTD or entities, .*, so its "
     "band files cannot be checked against it. "),
    (lambda text: text.replace('checksumName="SHA3-256"',
                               'checksumName="WHIRLPOOL-9000"'),
     "^The product's manifest.safe lists band B04 file GRANULE/.*_B04.jp2 "
     r"with a checksum of a kind that cannot be computed \('WHIRLPOOL-9000'"
     r"\), so the file cannot be checked. "),
    (lambda text: re.sub(r"(_B03.jp2\"/>\s*<checksum[^>]*>)\w+", r"\1ZZZ",
                         text),
     "^The product's manifest.safe lists band B03 file .* with a SHA3-256 "
     r"checksum that is not one \(not 64 hexadecimal digits\), so the file "
     "cannot be checked. "),
], ids=["truncated", "dtd", "unknown-algorithm", "not-a-digest"])
def test_a_damaged_manifest_stops_a_verified_run(product, out, spoil,
                                                 message):
    manifest = product / "manifest.safe"
    manifest.write_text(spoil(manifest.read_text(encoding="utf-8")),
                        encoding="utf-8")
    before = fingerprint(product)
    refused("equalize", product, "-o", out / "rgb.tif",
            message=message + UNCHECKED)
    refused("curve", product, "-o", out / "c.json",
            message=message + UNCHECKED)
    assert os.listdir(out) == [] and fingerprint(product) == before
    assert succeeds("equalize", product, "-o", out / "rgb.tif",
                    "--no-verify")["ok"]


def test_a_missing_manifest_runs_unchecked_and_says_so(product, out):
    (product / "manifest.safe").unlink()
    done = run_s2eq("equalize", product, "-o", out / "rgb.tif")
    assert done.returncode == 0, done.stderr
    assert "Band files not verified: the product has no manifest.safe." \
        in done.stderr.splitlines()


def test_a_size_off_by_one_with_a_matching_checksum_blames_the_manifest(
        product, out):
    edit(product / "manifest.safe",
         r'size="(\d+)"(>\s*<fileLocation [^>]*_B04.jp2")',
         lambda match: 'size="{}"{}'.format(int(match.group(1)) + 1,
                                            match.group(2)))
    done = run_s2eq("equalize", product, "-o", out / "rgb.tif")
    assert done.returncode == 0, done.stderr
    (said,) = [line for line in done.stderr.splitlines() if "size" in line]
    assert re.match(r"manifest.safe lists (\d+) bytes for band B04 file "
                    r"GRANULE/.*_B04.jp2, which has \d+ and matches its "
                    "SHA3-256 checksum: the manifest's size is wrong, the "
                    "file is whole.$", said), said


def test_qgis_names_verify_as_the_way_to_go_on(qgis_app, product, out):
    manifest = product / "manifest.safe"
    manifest.write_bytes(manifest.read_bytes()[:1000])
    qgis_refused({"INPUT": str(product), "OUTPUT": str(out / "rgb.tif")},
                 "^The product's manifest.safe is not valid XML .* Download "
                 "the product again, or switch VERIFY off to run without "
                 "the check.$")
    qgis_refused({"INPUTS": [str(product)], "OUTPUT": str(out / "c.json")},
                 "or switch VERIFY off to run without the check.$",
                 algorithm="s2eq:curve")
    assert os.listdir(out) == []


# ---------------------------------------------------------------------------
# Metadata values.

TILE, ROOT = "MTD_TL", "MTD_MSIL1C"
#: (file, what to replace, by what, the message)
VALUES = [
    (TILE, "<NROWS>366</NROWS>", "<NROWS>abc</NROWS>",
     "gives 'abc' as the grid's height at 10 m \\(NROWS\\), which is not a "
     "whole number. "),
    (TILE, "<NROWS>366</NROWS>", "<NROWS>-1098</NROWS>",
     "gives '-1098' as the grid's height at 10 m \\(NROWS\\), which is not "
     "a whole number from 1 to 100000. "),
    (TILE, "<ULX>600000</ULX>", "<ULX>abc</ULX>",
     "gives 'abc' as the grid's corner at 10 m \\(ULX\\), which is not a "
     "number. "),
    (ROOT, '(<RADIO_ADD_OFFSET band_id="3">)-1000', r"\1abc",
     "gives 'abc' as the radiometric offset of B04 \\(RADIO_ADD_OFFSET\\), "
     "which is not a number. "),
    (ROOT, '(<RADIO_ADD_OFFSET band_id="3">)-1000', r"\1nan",
     "gives 'nan' as the radiometric offset of B04"),
    (ROOT, '(<RADIO_ADD_OFFSET band_id="3">)-1000', r"\g<1>1e308",
     "gives '1e308' as the radiometric offset of B04 \\(RADIO_ADD_OFFSET\\), "
     "which is not a number from -65535 to 65535. "),
    (TILE, "EPSG:32631", "EPSG:99999",
     "gives EPSG:99999, which is not a UTM zone of WGS 84"),
    (ROOT, "<PROCESSING_BASELINE>05.09", "<PROCESSING_BASELINE>banana",
     "gives 'banana' as its processing baseline, which is not one: "
     "baselines read NN.NN, such as 05.09. "),
]


@pytest.mark.parametrize("where, old, new, message", VALUES,
                         ids=["nrows-abc", "nrows-negative", "ulx-abc",
                              "offset-abc", "offset-nan", "offset-1e308",
                              "epsg-unknown", "baseline-banana"])
def test_a_metadata_value_out_of_range_is_named_with_its_file(
        product, out, where, old, new, message):
    path = tile_metadata(product) if where == TILE \
        else product / "MTD_MSIL1C.xml"
    edit(path, old, new)
    refused("equalize", product, "-o", out / "rgb.tif",
            message="{} {}".format(re.escape(str(path)), message))
    # Nothing of the run was said before: no grid of 0 x -1098 pixels.
    done = run_s2eq("equalize", product, "-o", out / "rgb.tif")
    assert "Output grid" not in done.stderr and "Traceback" not in \
        done.stderr
    assert os.listdir(out) == []


def test_a_product_made_by_its_user_with_sen2cor_is_read(product, out):
    edit(product / "MTD_MSIL1C.xml", "<PROCESSING_BASELINE>05.09",
         "<PROCESSING_BASELINE>99.99")
    done = run_s2eq("equalize", product, "-o", out / "rgb.tif", "--json")
    assert done.returncode == 0, done.stderr
    assert "(baseline 99.99, made by its user with Sen2Cor, 1 granule)" in \
        done.stderr


def test_a_utf16_document_with_a_dtd_is_refused_as_such(product, out):
    path = tile_metadata(product)
    text = path.read_text(encoding="utf-8").replace(
        'encoding="UTF-8"', 'encoding="UTF-16"').replace(
        "?>", "?><!DOCTYPE x [<!ENTITY leak SYSTEM 'file:///etc/shadow'>]>",
        1)
    path.write_bytes(text.encode("utf-16"))
    refused("equalize", product, "-o", out / "rgb.tif",
            message="^Metadata file {} declares a DTD or entities, which "
            "Sentinel-2 metadata never does; it was not read.".format(
                re.escape(str(path))))


# ---------------------------------------------------------------------------
# Pixels.

@pytest.fixture
def curve_file(hostile, tmp_path):
    """A curve made of the sound product."""
    path = tmp_path / "curve" / "c.json"
    path.parent.mkdir()
    succeeds("curve", hostile, "-o", path)
    return path


@pytest.mark.parametrize("value, what", [
    (0, "it is all no-data, so the image would be empty"),
    (65535, r"it is all saturated \(brighter than its sensor measures\), so "
     "the image would be white")], ids=["all-zero", "all-65535"])
def test_a_band_without_a_valid_pixel_is_refused_with_a_curve_too(
        product, out, curve_file, value, what):
    rewrite_band(str(band(product, "B02")),
                 lambda pixels: np.full_like(pixels, value))
    for curve in ([], ["--curve", curve_file]):
        refused("equalize", product, "-o", out / "rgb.tif", *curve,
                message="^Band B02 holds no valid pixel: {}. Choose another "
                "band or product.$".format(what))
    assert os.listdir(out) == []


def test_messages_name_a_zip_s_files_as_users_know_them(product, tmp_path,
                                                        out):
    band(product, "B03").write_bytes(b"\x00" * 4096)
    archive = zipped(product, tmp_path / "zip")
    member = "{}/{}".format(product.name, band(product, "B03").relative_to(
        product).as_posix())
    refused("equalize", archive, "-o", out / "rgb.tif", "--no-verify",
            message="^Band B03 file {} cannot be read".format(
                re.escape("{}/{}".format(archive, member))))
    assert os.listdir(out) == []


def test_a_wrong_flag_is_answered_in_json_too(product, out):
    refused("equalize", product, "-o", out / "rgb.tif", "--sample", "abc",
            status=2, usage=True, message="^argument --sample: 'abc' is not "
            "a number")
    assert os.listdir(out) == []


def test_an_unforeseen_failure_is_one_line_and_json_too(monkeypatch, capsys):
    from sentinel2_equalizer.cli import main as cli

    def broken(args, feedback):
        raise RuntimeError("the disk went away\nand more")
    monkeypatch.setitem(cli.COMMANDS, "equalize", broken)
    monkeypatch.delenv(cli.DEBUG, raising=False)
    assert cli.main(["equalize", "p.zip", "-o", "rgb.tif", "-q",
                     "--json"]) == 1
    printed, said = capsys.readouterr()
    assert said.splitlines() == [
        "s2eq equalize: An unexpected failure stopped it (the disk went "
        "away). This is a fault of s2eq: please report it, with the output "
        "of the same command run with S2EQ_DEBUG=1."]
    assert json.loads(printed)["ok"] is False
    monkeypatch.setenv(cli.DEBUG, "1")
    with pytest.raises(RuntimeError):
        cli.main(["equalize", "p.zip", "-o", "rgb.tif", "-q"])
