"""Band files checked against the checksums of manifest.safe: damaged files
stop the run with a clear message and leave nothing; VERIFY off, or a
product without checksums, runs as before."""

import hashlib
import os
import re
import shutil
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import rasterio

from sentinel2_equalizer.core import measure, render
from sentinel2_equalizer.core.product.discovery import open_product
from sentinel2_equalizer.core.errors import BandError, ChecksumError
from sentinel2_equalizer.core.product.manifest import read_checksums

BANDS = ("B04", "B03", "B02")
#: (fixture name, the checksum its manifest lists): ESA's products list
#: SHA3-256 since baseline 03.01, MD5 before.
KINDS = [("current", "SHA3-256"), ("older", "MD5")]
DAMAGES = ("bit flips", "overwritten run", "zeroed run", "truncated")
REDOWNLOAD = "download the product again"


@pytest.fixture(scope="module")
def current(products):
    return products("sums_current", size=366, jp2_block=128, bands=BANDS)


@pytest.fixture(scope="module")
def older(products):
    return products("sums_older", size=366, jp2_block=128, bands=BANDS,
                    baseline="02.07")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def band_file(product, band):
    (path,) = [p for p in (product / "GRANULE").rglob("*_{}.jp2".format(band))
               if p.parent.name == "IMG_DATA"]
    return path


def tile_bodies(data):
    """``(start, end)`` of each JPEG2000 tile-part's packet data: from
    after its SOD marker to the next tile-part (SOT) or the end."""
    at = data.index(b"\xff\x90", data.index(b"\xff\x4f\xff\x51"))
    bodies = []
    while data[at:at + 2] == b"\xff\x90":
        length = int.from_bytes(data[at + 6:at + 10], "big")      # Psot
        end = at + length if length else len(data) - 2
        bodies.append((data.index(b"\xff\x93", at) + 2, end))
        at = end
    return bodies


def damage(path, how):
    """Damage the file at ``path`` as downloads get damaged. Bit flips and
    runs land in the packet data of its largest tile and never make a
    marker (0xFF), so that the file still looks whole and still decodes,
    into wrong pixels, without a word from GDAL: only the checksum can
    tell. A cut file is cut at 60 %."""
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(13)
    start, end = max(tile_bodies(bytes(data)), key=lambda b: b[1] - b[0])
    middle = (start + end) // 2
    if how == "bit flips":
        for position in rng.integers(start + 16, end - 16, 8):
            bit = 1 << int(rng.integers(8))
            if data[position - 1] != 0xFF and data[position] ^ bit != 0xFF:
                data[position] ^= bit
    elif how == "overwritten run":
        data[middle - 256:middle + 256] = rng.integers(
            0, 0xFF, 512, dtype=np.uint8).tobytes()
    elif how == "zeroed run":
        data[middle - 256:middle + 256] = bytes(512)
    elif how == "truncated":
        del data[len(data) * 6 // 10:]
    path.write_bytes(bytes(data))


def zipped(safe, folder):
    """``safe`` zipped as products are delivered: its folder at the top."""
    archive = shutil.make_archive(str(folder / safe.name[:-5]), "zip",
                                  root_dir=safe.parent, base_dir=safe.name)
    return archive


def copy_of(product, tmp_path):
    target = tmp_path / "product" / product.name
    shutil.copytree(product, target)
    return target


def run(product, tmp_path, **options):
    """render.run into a folder of its own; (result, log lines, warnings)."""
    out = tmp_path / "out"
    out.mkdir(parents=True, exist_ok=True)
    logs, warnings = [], []
    result = render.run(render.Options(str(product), str(out / "rgb.tif"),
                                       bands=BANDS, **options),
                        log=logs.append, warn=warnings.append)
    return result, logs, warnings


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


def test_the_measure_stage_verifies_too(current, tmp_path):
    product = copy_of(current, tmp_path)
    damage(band_file(product, "B02"), "bit flips")
    with pytest.raises(ChecksumError, match="Band B02 file .* does not "
                       "match its SHA3-256 checksum"):
        measure.measure(str(product), BANDS)
    logs = []
    measured = measure.measure(str(product), BANDS, verify=False,
                               log=logs.append)
    assert set(BANDS) <= set(measured.bands)
    assert ("Band files not checked against the product's checksums "
            "(verification is off).") in logs


def test_a_given_curve_run_is_verified_in_its_one_pass(current, tmp_path):
    from sentinel2_equalizer.core.curves import curve as curves
    curve = curves.combine([measure.measure(str(current), BANDS)])
    product = copy_of(current, tmp_path)
    damage(band_file(product, "B04"), "overwritten run")
    with pytest.raises(ChecksumError, match="Band B04 file"):
        run(product, tmp_path, curve=curve)
    assert os.listdir(str(tmp_path / "out")) == []


def mct_flag_set(path):
    """Turn on the multiple component transform in the codestream's COD
    segment: OpenJPEG complains, through GDAL, and decodes on."""
    data = bytearray(path.read_bytes())
    codestream = data.index(b"\xff\x4f\xff\x51")       # SOC, SIZ
    cod = data.index(b"\xff\x52", codestream)
    data[cod + 8] ^= 1        # marker, Lcod, Scod, order, layers, MCT
    path.write_bytes(bytes(data))


def test_gdal_messages_while_decoding_reach_the_warnings(current, tmp_path):
    product = copy_of(current, tmp_path)
    mct_flag_set(band_file(product, "B04"))
    with pytest.raises(ChecksumError, match="Band B04 file"):
        run(product, tmp_path)
    result, logs, warnings = run(product, tmp_path, verify=False)
    assert os.path.isfile(result.output)
    assert warnings and all(w.startswith("GDAL, reading the bands: ")
                            for w in warnings)
    assert any("MCT" in w for w in warnings), warnings


@pytest.mark.usefixtures("qgis_app")
def test_the_algorithm_takes_verify_and_shows_gdal_warnings(current,
                                                            tmp_path):
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    class Feedback(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.warnings = []

        def pushWarning(self, text):  # noqa: N802 (QGIS API)
            self.warnings.append(text)
            super().pushWarning(text)

    product = copy_of(current, tmp_path)
    mct_flag_set(band_file(product, "B04"))
    out = tmp_path / "rgb.tif"
    with pytest.raises(QgsProcessingException, match="Band B04 file .* "
                       "does not match its SHA3-256 checksum"):
        processing.run("s2eq:equalize", {"INPUT": str(product),
                                         "OUTPUT": str(out)})
    assert not out.exists()
    feedback = Feedback()
    processing.run("s2eq:equalize", {"INPUT": str(product), "VERIFY": False,
                                     "OUTPUT": str(out)}, feedback=feedback)
    assert out.exists()
    assert any("MCT" in w for w in feedback.warnings), feedback.warnings
