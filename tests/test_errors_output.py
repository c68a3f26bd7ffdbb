"""Bad OUTPUT, faults while writing, cancelling, and the paths users
really have, with real files in a real QGIS: every failure ends in a
QgsProcessingException naming the problem and the fix, and nothing is left
at (or taken from) OUTPUT."""

import contextlib
import os
import shutil
import subprocess

import pytest
import rasterio
from error_checks import KEEP, band_path, fails

pytestmark = pytest.mark.usefixtures("qgis_app")


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


# ---------------------------------------------------------------------------
# OUTPUT.

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
