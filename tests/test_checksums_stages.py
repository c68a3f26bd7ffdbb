"""Every way of running checks the band files against manifest.safe: the
measure stage, a run with a given curve in its one pass, and s2eq:equalize
with its VERIFY parameter; and GDAL's messages while decoding reach the
warnings."""

import os

import pytest

from checksum_damage import BANDS, band_file, copy_of, damage, run
from sentinel2_equalizer.core import measure
from sentinel2_equalizer.core.errors import ChecksumError


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


def recording_feedback():
    """A QgsProcessingFeedback that keeps the notes (``infos``) and the
    warnings it is given."""
    from qgis.core import QgsProcessingFeedback

    class Feedback(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.infos, self.warnings = [], []

        def pushInfo(self, text):  # noqa: N802 (QGIS API)
            self.infos.append(text)
            super().pushInfo(text)

        def pushWarning(self, text):  # noqa: N802 (QGIS API)
            self.warnings.append(text)
            super().pushWarning(text)
    return Feedback()


@pytest.mark.usefixtures("qgis_app")
def test_the_algorithm_takes_verify_and_shows_gdal_warnings(current,
                                                            tmp_path):
    import processing
    from qgis.core import QgsProcessingException
    product = copy_of(current, tmp_path)
    mct_flag_set(band_file(product, "B04"))
    out = tmp_path / "rgb.tif"
    with pytest.raises(QgsProcessingException, match="Band B04 file .* "
                       "does not match its SHA3-256 checksum"):
        processing.run("s2eq:equalize", {"INPUT": str(product),
                                         "OUTPUT": str(out)})
    assert not out.exists()
    feedback = recording_feedback()
    processing.run("s2eq:equalize", {"INPUT": str(product), "VERIFY": False,
                                     "OUTPUT": str(out)}, feedback=feedback)
    assert out.exists()
    assert any("MCT" in w for w in feedback.warnings), feedback.warnings


@pytest.mark.usefixtures("qgis_app")
def test_the_mosaic_verifies_each_product_and_names_a_damaged_one(
        current, older, tmp_path):
    import processing
    from qgis.core import QgsProcessingException
    damaged = copy_of(older, tmp_path)
    damage(band_file(damaged, "B03"), "bit flips")
    out = tmp_path / "mosaic.tif"
    feedback = recording_feedback()
    processing.run("s2eq:mosaic", {"INPUTS": [str(current), str(older)],
                                   "OUTPUT": str(out)}, feedback=feedback)
    verified = [i for i in feedback.infos
                if i.startswith("Band files verified against manifest.safe")]
    assert len(verified) == 2, feedback.infos
    out.unlink()
    with pytest.raises(QgsProcessingException) as raised:
        processing.run("s2eq:mosaic", {
            "INPUTS": [str(current), str(damaged)], "OUTPUT": str(out)})
    assert str(raised.value).startswith(
        "{}: Band B03 file ".format(damaged.stem))
    assert "does not match its MD5 checksum" in str(raised.value)
    assert not out.exists()
    processing.run("s2eq:mosaic", {"INPUTS": [str(current), str(damaged)],
                                   "VERIFY": False, "OUTPUT": str(out)})
    assert out.exists()
