"""s2eq:equalize through processing.run inside a real QGIS application."""

import os

import numpy as np
import pytest
import rasterio

import s2products

pytestmark = pytest.mark.usefixtures("qgis_app")


def run(parameters, context=None, feedback=None):
    import processing
    return processing.run("s2eq:equalize", parameters, context=context,
                          feedback=feedback)


def band_file(product, band):
    """The band's JP2 inside a compact L1C product."""
    found = sorted(product.glob("GRANULE/*/IMG_DATA/*_{}.jp2".format(band)))
    assert len(found) == 1, found
    return found[0]


def test_safe_folder_gives_masked_jpeg_rgb_on_the_product_grid(l1c, tmp_path):
    out = str(tmp_path / "rgb.tif")
    result = run({"INPUT": str(l1c), "OUTPUT": out})
    assert result["OUTPUT"] == out
    with rasterio.open(band_file(l1c, "B04")) as red, rasterio.open(out) as img:
        assert (img.count, img.dtypes) == (3, ("uint8",) * 3)
        assert img.crs == red.crs and img.transform == red.transform
        assert (img.width, img.height) == (red.width, red.height)
        # rasterio versions spell compression differently: ask GDAL
        structure = img.tags(ns="IMAGE_STRUCTURE")
        assert structure["COMPRESSION"] == "YCbCr JPEG"
        assert structure["SOURCE_COLOR_SPACE"] == "YCbCr"
        assert [c.name for c in img.colorinterp] == ["red", "green", "blue"]
        assert img.block_shapes[0] == (512, 512) or img.width < 512
        assert img.tags()["S2EQ_BANDS"] == "B04,B03,B02"
        mask = img.dataset_mask()
        nodata = red.read(1) == 0
        assert nodata.any() and (~nodata).any()
        assert np.array_equal(mask == 0, nodata)
        rgb = img.read()
    valid = rgb[:, mask > 0]
    # equalized: every band spreads over the whole range where there is data
    assert valid.min(axis=1).max() < 20 and valid.max(axis=1).min() > 235
    assert not any(name.endswith(".partial")
                   for name in os.listdir(tmp_path))


def test_metadata_file_as_input_gives_the_same_image(l1c, tmp_path):
    from_folder = str(tmp_path / "folder.tif")
    from_xml = str(tmp_path / "xml.tif")
    run({"INPUT": str(l1c), "OUTPUT": from_folder})
    run({"INPUT": str(l1c / "MTD_MSIL1C.xml"), "OUTPUT": from_xml})
    with rasterio.open(from_folder) as a, rasterio.open(from_xml) as b:
        assert np.array_equal(a.read(), b.read())


def test_chosen_bands_are_the_ones_written(l1c, tmp_path):
    out = str(tmp_path / "nir.tif")
    run({"INPUT": str(l1c), "RED": "B08", "GREEN": "B04", "BLUE": "B03",
         "SAMPLE_PERCENT": 100, "OUTPUT": out})
    with rasterio.open(out) as img:
        assert img.tags()["S2EQ_BANDS"] == "B08,B04,B03"
        assert img.tags()["S2EQ_SAMPLE_PERCENT"] == "100"
        red_out = img.read(1).astype(int)
        mask = img.dataset_mask() > 0
    with rasterio.open(band_file(l1c, "B08")) as nir:
        dn = nir.read(1)
    # the red channel is B08 ranked: mean output level rises with B08's DN
    # decile (per pixel, JPEG's chroma subsampling blurs exact ranks)
    deciles = np.percentile(dn[mask], np.arange(10, 100, 10))
    groups = np.digitize(dn[mask], deciles)
    means = [red_out[mask][groups == g].mean() for g in range(10)]
    assert np.all(np.diff(means) > 0), means
    assert means[0] < 40 and means[-1] > 215, means


def test_progress_is_reported(l1c, tmp_path):
    from qgis.core import QgsProcessingFeedback

    class Recorder(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.seen = []
            self.progressChanged.connect(self.seen.append)

    feedback = Recorder()
    run({"INPUT": str(l1c), "OUTPUT": str(tmp_path / "p.tif")},
        feedback=feedback)
    assert len(feedback.seen) > 5
    assert feedback.seen == sorted(feedback.seen)
    assert feedback.seen[-1] == pytest.approx(100.0)


def test_result_is_loaded_as_a_styled_layer(l1c, tmp_path):
    import processing
    from qgis.core import (QgsContrastEnhancement, QgsProject,
                           QgsRasterMinMaxOrigin, QgsRectangle)
    project = QgsProject.instance()
    project.removeAllMapLayers()
    processing.runAndLoadResults(
        "s2eq:equalize", {"INPUT": str(l1c), "OUTPUT": str(tmp_path / "m.tif")})
    layers = list(project.mapLayers().values())
    assert len(layers) == 1
    layer = layers[0]
    assert layer.name() == "T31UFQ 2023-06-14 B04-B03-B02 equalized"
    renderer = layer.renderer()
    assert renderer.type() == "multibandcolor"
    assert (renderer.redBand(), renderer.greenBand(), renderer.blueBand()) \
        == (1, 2, 3)
    # no enhancement, over 0-255: the Symbology page's minimum and maximum
    for enhancement in (renderer.redContrastEnhancement(),
                        renderer.greenContrastEnhancement(),
                        renderer.blueContrastEnhancement()):
        assert (enhancement.minimumValue(), enhancement.maximumValue()) == \
            (0, 255)
        assert enhancement.contrastEnhancementAlgorithm() == \
            QgsContrastEnhancement.ContrastEnhancementAlgorithm.NoEnhancement
    assert renderer.minMaxOrigin().limits() == \
        QgsRasterMinMaxOrigin.Limits.None_
    # QGIS shows the file's no-data mask as a fourth, alpha band
    assert layer.bandCount() == 4 and renderer.alphaBand() == 4
    # drawn as the values are: a corner of the image, pixel for pixel
    extent, size = layer.extent(), 64
    corner = QgsRectangle(
        extent.xMinimum(), extent.yMaximum() -
        size * layer.rasterUnitsPerPixelY(),
        extent.xMinimum() + size * layer.rasterUnitsPerPixelX(),
        extent.yMaximum())
    drawn = renderer.block(1, corner, size, size).image()
    with rasterio.open(str(tmp_path / "m.tif")) as image:
        values = image.read(window=((0, size), (0, size)))
        mask = image.dataset_mask(window=((0, size), (0, size)))
    rows, cols = np.nonzero(mask)
    assert len(rows) > 100
    for row, col in list(zip(rows, cols))[::37]:
        colour = drawn.pixelColor(int(col), int(row))
        assert [colour.red(), colour.green(), colour.blue()] == \
            values[:, row, col].tolist()
    project.removeAllMapLayers()


def test_saturated_pixels_are_drawn_white(l1c, tmp_path):
    out = str(tmp_path / "sat.tif")
    run({"INPUT": str(l1c), "OUTPUT": out})
    with rasterio.open(band_file(l1c, "B04")) as red:
        saturated = red.read(1) == 65535
    assert saturated.sum() > 20       # cloud cores in the test product
    with rasterio.open(out) as img:
        rgb = img.read()
        assert np.all(img.dataset_mask()[saturated] == 255)
    # white, give or take JPEG's rounding at the edges of small patches
    assert np.median(rgb[:, saturated]) >= 250


def test_input_accepts_folders_files_and_zips_by_name():
    """The file parameter's filter must not turn folders away (a filter
    of extensions alone rejects an extension-less folder name)."""
    from qgis.core import QgsApplication
    alg = QgsApplication.processingRegistry().algorithmById("s2eq:equalize")
    parameter = alg.parameterDefinition("INPUT")
    for value in ("/data/S2B_MSIL1C_X.SAFE", "/data/S2B_MSIL1C_X.SAFE/",
                  "/data/downloads", "/data/S2B_MSIL1C_X.zip",
                  "/data/X.SAFE/MTD_MSIL1C.xml"):
        assert parameter.checkValueIsAcceptable(value), value
