"""Bad input and faults, with real files in a real QGIS: every case ends in
a QgsProcessingException naming the problem and the fix, QGIS carries on,
and nothing is left at (or taken from) OUTPUT.

Here the input, the product, its values and SAMPLE_PERCENT;
test_errors_output.py has OUTPUT, cancelling and the paths users have."""

import os
import shutil
import zipfile

import numpy as np
import pytest
import rasterio
from error_checks import band_path, fails
from osgeo import gdal
from s2files import refresh_manifest

pytestmark = pytest.mark.usefixtures("qgis_app")

HOW_TO_POINT = "Give a Sentinel-2 product.s .SAFE folder, its .zip, or its " \
               "MTD_MSIL1C.xml / MTD_MSIL2A.xml"
REDOWNLOAD = "download the product again"


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
