"""Band files checked against the checksums of manifest.safe: damaged files
stop the run with a clear message and leave nothing; VERIFY off, or a
product without checksums, runs as before. test_checksums_stages.py checks
the other ways of running."""

import hashlib
import os
import re
import shutil
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import rasterio

from checksum_damage import BANDS, band_file, copy_of, damage, run
from sentinel2_equalizer.core.product.discovery import open_product
from sentinel2_equalizer.core.errors import BandError, ChecksumError
from sentinel2_equalizer.core.product.manifest import read_checksums

#: (fixture name, the checksum its manifest lists): ESA's products list
#: SHA3-256 since baseline 03.01, MD5 before.
KINDS = [("current", "SHA3-256"), ("older", "MD5")]
DAMAGES = ("bit flips", "overwritten run", "zeroed run", "truncated")
REDOWNLOAD = "download the product again"


def local(tag):
    return tag.rsplit("}", 1)[-1]


def zipped(safe, folder):
    """``safe`` zipped as products are delivered: its folder at the top."""
    archive = shutil.make_archive(str(folder / safe.name[:-5]), "zip",
                                  root_dir=safe.parent, base_dir=safe.name)
    return archive


@pytest.mark.parametrize("fixture, kind", KINDS)
def test_generator_lists_checksums_as_real_products_do(fixture, kind,
                                                       request):
    product = request.getfixturevalue(fixture)
    root = ElementTree.parse(str(product / "manifest.safe")).getroot()
    streams = [e for e in root.iter() if local(e.tag) == "byteStream"]
    listed = set()
    for stream in streams:
        (location,) = [e for e in stream if local(e.tag) == "fileLocation"]
        (checksum,) = [e for e in stream if local(e.tag) == "checksum"]
        relpath = location.get("href")[2:]
        data = (product / relpath).read_bytes()
        assert checksum.get("checksumName") == kind
        algorithm = hashlib.sha3_256 if kind == "SHA3-256" else hashlib.md5
        assert checksum.text == algorithm(data).hexdigest().upper()
        assert int(stream.get("size")) == len(data)
        listed.add(relpath)
    on_disk = {p.relative_to(product).as_posix() for p in product.rglob("*")
               if p.is_file() and p.name != "manifest.safe"}
    assert listed == on_disk
    # the core reads every band file's checksum from it
    opened = open_product(str(product))
    checksums, reason = read_checksums(opened.source)
    assert reason is None
    for band in BANDS:
        relpath = opened.band_relpath(opened.granules[0], band, 10)[0]
        assert checksums[relpath].kind == kind


@pytest.mark.parametrize("fixture, kind", KINDS)
def test_a_sound_product_is_verified_once_in_the_log(fixture, kind, request,
                                                     tmp_path):
    _, logs, warnings = run(request.getfixturevalue(fixture), tmp_path)
    said = [line for line in logs if "verif" in line.lower()]
    assert said == ["Band files verified against manifest.safe: 3 ({})."
                    .format(kind)]
    assert warnings == []


@pytest.mark.parametrize("in_zip", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("fixture, kind", KINDS)
def test_a_damaged_band_file_stops_the_run_and_leaves_nothing(
        fixture, kind, how, in_zip, request, tmp_path):
    product = copy_of(request.getfixturevalue(fixture), tmp_path)
    damaged = band_file(product, "B03")
    damage(damaged, how)
    if in_zip:
        archive = zipped(product, tmp_path)
        shutil.rmtree(product)
        product = archive
    with pytest.raises(ChecksumError) as raised:
        run(product, tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("Band B03 file GRANULE/")
    assert damaged.name in message and REDOWNLOAD in message.lower()
    if how == "truncated":        # the manifest's size tells at once
        assert re.search(r"is incomplete: \d+ of the \d+ bytes "
                         r"manifest.safe lists", message)
    else:
        assert "does not match its {} checksum in manifest.safe".format(
            kind) in message
    assert os.listdir(str(tmp_path / "out")) == []


@pytest.mark.parametrize("in_zip", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("how", DAMAGES[:3])
def test_with_verify_off_damage_that_decodes_passes_unseen(
        current, how, in_zip, tmp_path):
    clean, _, _ = run(current, tmp_path / "clean")
    with rasterio.open(clean.output) as image:
        expected = image.read()
    product = copy_of(current, tmp_path)
    damage(band_file(product, "B03"), how)
    if in_zip:
        product = zipped(product, tmp_path)
    result, logs, _ = run(product, tmp_path, verify=False)
    assert ("Band files not checked against the product's checksums "
            "(verification is off).") in logs
    with rasterio.open(result.output) as image:
        # the picture is wrong, and only the checksum could have told
        assert not np.array_equal(image.read(), expected)


def test_a_zip_damaged_in_transit_names_the_band(current, tmp_path):
    archive = zipped(current, tmp_path)
    data = bytearray(open(archive, "rb").read())
    # The B03 member's compressed bytes, past its local header.
    name = band_file(current, "B03").name.encode()
    start = data.index(name) + len(name) + 64
    for offset in range(0, 4096, 512):
        data[start + offset] ^= 0x55
    open(archive, "wb").write(bytes(data))
    with pytest.raises(BandError) as raised:
        run(archive, tmp_path)
    message = str(raised.value)
    # The inflated stream fails its CRC-32 in the checksum thread, or
    # GDAL fails to decode it first: either names the band and the fix.
    assert message.startswith("Band B03 file ")
    assert REDOWNLOAD in message.lower()
    assert os.listdir(str(tmp_path / "out")) == []


def test_a_product_without_a_manifest_runs_and_says_so_once(current,
                                                            tmp_path):
    product = copy_of(current, tmp_path)
    (product / "manifest.safe").unlink()
    result, logs, _ = run(product, tmp_path)
    assert os.path.isfile(result.output)
    said = [line for line in logs if "verif" in line.lower()]
    assert said == ["Band files not verified: the product has no "
                    "manifest.safe."]


def test_a_manifest_without_checksums_runs_and_says_so_once(current,
                                                            tmp_path):
    product = copy_of(current, tmp_path)
    manifest = product / "manifest.safe"
    manifest.write_text(re.sub(r"\s*<checksum [^>]*>[^<]*</checksum>", "",
                               manifest.read_text()))
    damage(band_file(product, "B03"), "zeroed run")     # goes unseen
    result, logs, _ = run(product, tmp_path)
    assert os.path.isfile(result.output)
    said = [line for line in logs if "verif" in line.lower()]
    assert len(said) == 1
    assert said[0].startswith("Not verified, for want of a checksum in "
                              "manifest.safe: B04 (")
    assert all(band in said[0] for band in BANDS)
