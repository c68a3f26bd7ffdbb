"""Bad input and faults, with real files in a real QGIS: every case ends in
a QgsProcessingException naming the problem and the fix, QGIS carries on,
and nothing is left at (or taken from) OUTPUT."""

import contextlib
import glob
import os
import re
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
import rasterio
from osgeo import gdal
from s2files import refresh_manifest

pytestmark = pytest.mark.usefixtures("qgis_app")

HOW_TO_POINT = "Point .* to a Sentinel-2 .SAFE folder, its .zip, or its " \
               "MTD_MSIL1C.xml / MTD_MSIL2A.xml"
REDOWNLOAD = "download the product again"
KEEP = b"a file the user already had"


def fails(parameters, message, output=None):
    """Run, expect a one-line QgsProcessingException matching ``message``,
    and check that OUTPUT was left as it was."""
    import processing
    from qgis.core import QgsProcessingException
    output = output or parameters["OUTPUT"]
    before = read_bytes(output)
    with pytest.raises(QgsProcessingException) as raised:
        processing.run("s2eq:equalize", parameters)
    text = str(raised.value).replace("Unable to execute algorithm\n", "")
    assert "\n" not in text.strip(), text
    assert re.search(message, text), text
    after = read_bytes(output)
    assert after == before
    folder = os.path.dirname(output) or "."
    if os.path.isdir(folder):
        assert not [n for n in os.listdir(folder) if n.endswith(".partial")]
    return text


def read_bytes(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read()


def band_path(product, band):
    return glob.glob(str(product / "GRANULE" / "*" / "IMG_DATA" /
                         "*_{}.jp2".format(band)))[0]


def rewrite_band(path, change):
    """Rewrite a band's JPEG2000 file with ``change(array)`` applied, and
    its checksum in the manifest: a product made with such data."""
    src = gdal.Open(path)
    mem = gdal.GetDriverByName("MEM").CreateCopy("", src)
    src = None
    band = mem.GetRasterBand(1)
    band.WriteArray(change(band.ReadAsArray()))
    gdal.GetDriverByName("JP2OpenJPEG").CreateCopy(
        path, mem, options=["REVERSIBLE=YES", "QUALITY=100"])
    refresh_manifest(path[:path.index(".SAFE") + len(".SAFE")])


@pytest.fixture
def copy(l1c, tmp_path):
    """A private copy of the small L1C product, free to damage."""
    target = tmp_path / l1c.name
    shutil.copytree(l1c, target)
    return target


@pytest.fixture
def kept(tmp_path):
    """An OUTPUT path holding a file the user had before the run."""
    path = tmp_path / "kept.tif"
    path.write_bytes(KEEP)
    return str(path)


# ---------------------------------------------------------------------------
# The input.

def test_input_missing(kept):
    fails({"OUTPUT": kept}, "^INPUT is missing. Point it to")


def test_input_does_not_exist(tmp_path, kept):
    fails({"INPUT": str(tmp_path / "nowhere.SAFE"), "OUTPUT": kept},
          "does not exist. " + HOW_TO_POINT)


def test_empty_folder(tmp_path, kept):
    (tmp_path / "empty").mkdir()
    fails({"INPUT": str(tmp_path / "empty"), "OUTPUT": kept},
          "is empty. " + HOW_TO_POINT)


def test_folder_that_is_not_a_product(tmp_path, kept):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "notes.txt").write_text("hello")
    fails({"INPUT": str(tmp_path / "photos"), "OUTPUT": kept},
          "is not a Sentinel-2 product: it has no MTD_MSIL1C.xml")


def test_text_file(tmp_path, kept):
    (tmp_path / "readme.txt").write_text("hello")
    fails({"INPUT": str(tmp_path / "readme.txt"), "OUTPUT": kept},
          "is not a Sentinel-2 product. " + HOW_TO_POINT)


def test_zip_that_is_not_a_product(tmp_path, kept):
    with zipfile.ZipFile(tmp_path / "holiday.zip", "w") as archive:
        archive.writestr("holiday/photo.txt", "sun")
    fails({"INPUT": str(tmp_path / "holiday.zip"), "OUTPUT": kept},
          "holds no Sentinel-2 product")


def test_corrupt_zip(products, tmp_path, kept):
    whole = products("zip_for_damage", size=366, zipped=True)
    data = whole.read_bytes()
    damaged = tmp_path / whole.name
    damaged.write_bytes(data[:len(data) // 2])
    fails({"INPUT": str(damaged), "OUTPUT": kept},
          "is not a readable zip .*" + REDOWNLOAD)


def test_other_mission_or_level_is_refused(tmp_path, kept):
    s1 = tmp_path / "S1A_IW_GRDH_1SDV_20230101T000000_20230101T000025_046000_058000_ABCD.SAFE"
    (s1 / "measurement").mkdir(parents=True)
    (s1 / "manifest.safe").write_text("<xfdu/>")
    fails({"INPUT": str(s1), "OUTPUT": kept}, "Sentinel-1")
    l1b = tmp_path / "l1b"
    l1b.mkdir()
    (l1b / "MTD_MSIL1B.xml").write_text("<x/>")
    fails({"INPUT": str(l1b / "MTD_MSIL1B.xml"), "OUTPUT": kept},
          "product level this tool does not read")


# ---------------------------------------------------------------------------
# The product.

def test_no_granule_folder(copy, kept):
    shutil.rmtree(copy / "GRANULE")
    fails({"INPUT": str(copy), "OUTPUT": kept},
          "Granule folder GRANULE/L1C_T31UFQ_.* is missing. .*" + REDOWNLOAD)


def test_missing_band_file(copy, kept):
    os.remove(band_path(copy, "B03"))
    fails({"INPUT": str(copy), "OUTPUT": kept},
          "Band B03 file .*_B03.jp2 is listed in the metadata but missing")


def test_zero_byte_band(copy, kept):
    open(band_path(copy, "B02"), "wb").close()
    fails({"INPUT": str(copy), "OUTPUT": kept},
          r"Band B02 file .* is empty \(0 bytes\). .*" + REDOWNLOAD)


@pytest.mark.parametrize("verify, message", [
    # the size manifest.safe lists, checked before anything is decoded
    (True, r"is incomplete: \d+ of the \d+ bytes manifest.safe lists\. .*"),
    # without it, the JPEG2000 structure check
    (False, r"is incomplete \(cut short: .*\)\. .*")])
def test_band_truncated_to_half(copy, kept, verify, message):
    path = band_path(copy, "B03")
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])
    fails({"INPUT": str(copy), "VERIFY": verify, "OUTPUT": kept},
          r"Band B03 file .* " + message + REDOWNLOAD)


def test_band_grid_disagrees_with_metadata(copy, kept):
    shutil.copy(band_path(copy, "B05"), band_path(copy, "B04"))
    refresh_manifest(copy)          # as the product was made, wrongly
    fails({"INPUT": str(copy), "OUTPUT": kept},
          "Band B04 file .* has 183 x 183 pixels, but the granule metadata "
          "says 366 x 366 .* damaged")


# ---------------------------------------------------------------------------
# The values.

def test_all_nodata_band(copy, kept):
    rewrite_band(band_path(copy, "B02"), np.zeros_like)
    fails({"INPUT": str(copy), "OUTPUT": kept},
          "Band B02 holds no valid pixel: it is all no-data")


def test_constant_band_gives_a_defined_image(copy, tmp_path):
    import processing
    rewrite_band(band_path(copy, "B02"),
                 lambda a: np.where(a > 0, 4242, 0).astype(a.dtype))
    out = str(tmp_path / "flat.tif")
    processing.run("s2eq:equalize", {"INPUT": str(copy), "OUTPUT": out})
    with rasterio.open(out) as img:
        blue = img.read(3)[img.dataset_mask() > 0].astype(int)
    # mid-grey (128), give or take JPEG's chroma rounding
    assert abs(np.median(blue) - 128) <= 3


# ---------------------------------------------------------------------------
# SAMPLE_PERCENT.

@pytest.mark.parametrize("percent", [0, -5, 100.5, 1000])
def test_sample_percent_out_of_range(l1c, kept, percent):
    fails({"INPUT": str(l1c), "SAMPLE_PERCENT": percent, "OUTPUT": kept},
          "^SAMPLE_PERCENT must be above 0 and at most 100 "
          r"\(got {}\)".format(percent))


def test_sample_too_small_to_hit_a_pixel(l1c, kept):
    fails({"INPUT": str(l1c), "SAMPLE_PERCENT": 1e-6, "OUTPUT": kept},
          "sample of 1e-06 % drew no valid pixel of band B04 .* Raise the "
          "sample share")


# ---------------------------------------------------------------------------
# OUTPUT.

@contextlib.contextmanager
def tmpfs(folder, size, read_only=False):
    """A small tmpfs at ``folder`` (the tests run as root in CI)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir()
    options = "size={}{}".format(size, ",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs",
                    str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_output_folder_does_not_exist(l1c, tmp_path):
    out = str(tmp_path / "no" / "such" / "folder" / "x.tif")
    fails({"INPUT": str(l1c), "OUTPUT": out},
          "output folder .* does not exist. Create it or choose another")
    assert not os.path.exists(os.path.dirname(out))


def test_output_folder_is_read_only(l1c, tmp_path):
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as folder:
        fails({"INPUT": str(l1c), "OUTPUT": str(folder / "x.tif")},
              "output folder .* is not writable")


def test_output_is_an_input_file(copy):
    xml = str(copy / "MTD_MSIL1C.xml")
    fails({"INPUT": xml, "OUTPUT": xml},
          "^OUTPUT is the input product itself. Choose another file")
    fails({"INPUT": str(copy), "OUTPUT": band_path(copy, "B04")},
          "ends in '.jp2', but the image is a GeoTIFF")


def test_core_refuses_to_overwrite_a_product_file(copy):
    from sentinel2_equalizer.core.product import discovery
    from sentinel2_equalizer.core import errors
    from sentinel2_equalizer.core.output import atomic as output
    opened = discovery.open_product(str(copy))
    with pytest.raises(errors.OutputError, match="is a file of the input"):
        output.check_output_path(band_path(copy, "B04"), opened.files())


def test_output_without_extension_gets_tif(l1c, tmp_path):
    import processing
    result = processing.run("s2eq:equalize", {
        "INPUT": str(l1c), "OUTPUT": str(tmp_path / "picture")})
    assert result["OUTPUT"] == str(tmp_path / "picture.tif")
    assert os.listdir(tmp_path) == ["picture.tif"]


def test_output_with_another_extension_is_refused(l1c, tmp_path):
    fails({"INPUT": str(l1c), "OUTPUT": str(tmp_path / "picture.png")},
          "ends in '.png', but the image is a GeoTIFF")


def test_disk_full_during_write(products, tmp_path):
    big = products("big_for_disk_full", size=1098)
    with tmpfs(tmp_path / "small", "128k") as folder:
        kept_file = folder / "kept.tif"
        kept_file.write_bytes(KEEP)
        text = fails({"INPUT": str(big), "SAMPLE_PERCENT": 100,
                      "OUTPUT": str(kept_file)},
                     "Writing .* failed .* Check that the disk has room")
        assert sorted(os.listdir(folder)) == ["kept.tif"], text


# ---------------------------------------------------------------------------
# Cancellation, and paths users really have.

def test_cancel_in_the_block_loop_leaves_nothing(l1c, kept):
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback
    feedback = QgsProcessingFeedback()
    seen = []

    def cancel_early(percent):
        seen.append(percent)
        if percent > 5:
            feedback.cancel()
    feedback.progressChanged.connect(cancel_early)
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        processing.run("s2eq:equalize", {"INPUT": str(l1c), "OUTPUT": kept},
                       feedback=feedback)
    assert 5 < seen[-1] < 80          # stopped inside the band loop
    assert open(kept, "rb").read() == KEEP
    assert not [n for n in os.listdir(os.path.dirname(kept))
                if n.endswith(".partial")]


@pytest.mark.parametrize("zipped", [False, True])
def test_spaces_and_non_ascii_in_paths(products, tmp_path, zipped):
    import processing
    source = products("zip" if zipped else "folder", size=366, zipped=zipped)
    home = tmp_path / "Données été 2023" / "Sentinel 2 ñ"
    home.mkdir(parents=True)
    product = home / source.name
    (shutil.copy if zipped else shutil.copytree)(source, product)
    out = home / "résultat équalisé.tif"
    result = processing.run("s2eq:equalize", {"INPUT": str(product),
                                              "OUTPUT": str(out)})
    assert result["OUTPUT"] == str(out)
    with rasterio.open(out) as img:
        assert img.count == 3
