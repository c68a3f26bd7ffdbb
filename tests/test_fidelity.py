"""How close the default JPEG output stays to the exact equalized image.

For every named combination (core/product/bands.py) and a custom mixed-resolution
trio (scripts/fidelity_product.py's CUSTOM, B11/B08/B05: B08 alone at 10 m, in
green, between two 20 m bands), on a realistic product (tests/s2products:
a 1098-pixel L1C tile with fields, forest, water, clouds with saturated
cores and their shadows, sensor noise and the no-data swath edge), the
core's output with the default encoding is compared with the exact image
(the same run with DEFLATE), over valid (mask) pixels only:

* each output band's mean absolute error is at most FIDELITY_LEVELS (4 of
  255 levels);
* "keeps its detail", where one band is alone at the finest resolution of
  the three (B04 in SWIR 12-8A-4 at 10 m beside two 20 m bands): that
  output band's mean error against its own exact equalized band is
  smaller than its error against (a) the exact equalized image of that
  same band reduced to the next resolution (2x2 block means at 20 m,
  repeated back to 10 m), so the JPEG did not wash its 10 m detail out,
  and (b) the exact equalized images of each of the other two bands;
* the encoding recorded in the output, the S2EQ_ENCODING tag and GDAL's
  IMAGE_STRUCTURE COMPRESSION ("YCbCr JPEG" or "JPEG"), is the rule of
  core/output/encoding.py: natural colour (B04/B03/B02) as JPEG in YCbCr at
  YCBCR_QUALITY, any other combination as JPEG in RGB at RGB_QUALITY.

The file sizes are printed (``pytest -s``). A band held constant in the
product (its DN wherever it has data) beside busy bands comes back nearly
constant in RGB (within 1 level's standard deviation). JPEG in YCbCr
rebuilds each colour from luminance at full resolution and colour
differences at half, so the neighbours' texture comes through (a standard
deviation of about 5 levels on this product at quality 97); natural colour
keeps YCbCr all the same, since no real band is flat beside busy ones
there, and the constant band still stays within the bar.

Quick-looks (20 and 60 m) of natural colour and SWIR are held to the same
bar: coarser pixels carry more detail each, and their encoding (RGB, at a
higher quality) follows core/output/encoding.py's COARSE_QUALITY.

The measures are scripts/fidelity_measures.py's, which scripts/fidelity.py
prints for every encoding and quality. The test product is easier to
compress than a real one (its errors are about 0.6 of those a user
measured on a real product at the same settings), so the bar here is the
requirement's and the margin for real products is in the qualities chosen
(core/output/encoding.py).
"""

import os
import sys

import pytest
import rasterio

from conftest import ROOT
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.output.encoding import (COARSE_QUALITY,
                                                      FIDELITY_LEVELS,
                                                      NATURAL_COLOUR,
                                                      RGB_QUALITY,
                                                      YCBCR_QUALITY, Encoding,
                                                      choose_encoding)

sys.path.insert(0, os.path.join(ROOT, "scripts"))
# The measures scripts/fidelity.py prints, and the product it measures on.
from fidelity_measures import (alone_at_finest, constancy,  # noqa: E402
                               detail, mean_errors, read)
from fidelity_product import (CONSTANT_BAND, CONSTANT_TRIOS,  # noqa: E402
                              CUSTOM, SIZE, constant_product, product_bands,
                              trios)
from sentinel2_equalizer.core.product.bands import (NATIVE_RESOLUTION)  # noqa: E402

#: The trios: (name, bands), every named combination, then the custom one.
TRIOS = trios()
#: A standard deviation of at most this (levels) is "nearly constant".
CONSTANT_SPREAD = 1.0
#: What GDAL's IMAGE_STRUCTURE says of each photometric.
GDAL_COMPRESSION = {"YCBCR": "YCbCr JPEG", "RGB": "JPEG"}


@pytest.fixture(scope="module")
def product(products):
    """A realistic product with every band the trios show."""
    return products("fidelity", size=SIZE, bands=product_bands())


@pytest.fixture(scope="module")
def constant(product, tmp_path_factory):
    """The product with CONSTANT_BAND (B04) held constant."""
    return constant_product(tmp_path_factory.mktemp("constant"), product)


def rule(bands, resolution=10):
    """The default encoding of ``bands`` in pixels of ``resolution``
    metres, as encoding.py states it."""
    if resolution >= 20:
        return Encoding("JPEG", "RGB", COARSE_QUALITY[
            max(r for r in COARSE_QUALITY if r <= resolution)])
    if tuple(bands) == NATURAL_COLOUR:
        return Encoding("JPEG", "YCBCR", YCBCR_QUALITY)
    return Encoding("JPEG", "RGB", RGB_QUALITY)


def exact_and_default(source, bands, folder, **options):
    """The exact (DEFLATE) image and mask of ``bands``, and the path of the
    output with the default encoding."""
    exact_path = str(folder / "exact.tif")
    render.run(render.Options(str(source), exact_path, bands=bands,
                              compression="DEFLATE", **options))
    path = str(folder / "default.tif")
    render.run(render.Options(str(source), path, bands=bands, **options))
    exact, valid = read(exact_path)
    return exact, valid, path, os.path.getsize(exact_path)


#: (name, bands, resolution): every trio on its finest grid, and the
#: quick-looks of natural colour and of SWIR at 20 and 60 m.
CASES = [(name, bands, None) for name, bands in TRIOS] + [
    (name, bands, resolution) for name, bands in TRIOS
    if name in ("true_colour", "swir") for resolution in (20, 60)]


@pytest.mark.parametrize("bands,resolution",
                         [(bands, res) for _, bands, res in CASES],
                         ids=["{}-{}".format(name, res or "finest")
                              for name, _, res in CASES])
def test_every_band_stays_near_the_exact_image(product, bands, resolution,
                                               tmp_path):
    exact, valid, path, exact_size = exact_and_default(
        product, bands, tmp_path, resolution=resolution)
    picture, mask = read(path)
    errors = mean_errors(picture, exact, valid)
    with rasterio.open(path) as image:
        pixel = int(image.res[0])
        tags = image.tags()
        compression = image.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"]
    finest = pixel == min(NATIVE_RESOLUTION[b] for b in bands)
    check = detail(picture, exact, valid, bands) if finest else None
    expected = rule(bands, pixel)
    print("\n{} at {} m: {}, {:.0f} KiB (DEFLATE {:.0f} KiB); mean error "
          "per band {}{}".format(
              "/".join(bands), pixel, expected.describe(),
              os.path.getsize(path) / 1024.0, exact_size / 1024.0,
              "/".join("{:.2f}".format(e) for e in errors),
              "" if check is None else
              "; {}: {:.2f}, at the next resolution {:.2f}, against another "
              "band {:.2f}".format(bands[alone_at_finest(bands)],
                                   check["own"], check["coarse"],
                                   check["other"])))
    assert (mask == valid).all()
    assert max(errors) <= FIDELITY_LEVELS, errors
    if check is not None:
        assert check["own"] < check["coarse"], check
        assert check["own"] < check["other"], check
    assert choose_encoding(bands, resolution=pixel) == expected
    assert tags[render.ENCODING_TAG] == expected.describe()
    assert compression == GDAL_COMPRESSION[expected.photometric]


def test_the_custom_trio_has_a_band_alone_at_10_m():
    assert alone_at_finest(CUSTOM) is not None
    assert tuple(CUSTOM) not in [b for _, b in TRIOS[:-1]]


@pytest.mark.parametrize("bands", CONSTANT_TRIOS,
                         ids=["-".join(b) for b in CONSTANT_TRIOS])
def test_a_constant_band_beside_busy_ones(constant, bands, tmp_path):
    """In RGB (every combination but natural colour) a constant band
    comes back constant. In YCbCr (natural colour, where no real band is
    flat beside busy ones) some of its neighbours' texture comes through,
    as JPEG rebuilds each colour from a full-resolution luminance: that
    band still stays within the fidelity bar, as every band must."""
    exact, valid, path, _ = exact_and_default(constant, bands, tmp_path,
                                              verify=False)
    picture, _ = read(path)
    spread, error = constancy(picture, exact, valid,
                              bands.index(CONSTANT_BAND))
    encoding = rule(bands)
    print("\n{} held constant in {}: std {:.2f}, mean error {:.2f} "
          "({})".format(CONSTANT_BAND, "/".join(bands), spread,
                        error, encoding.describe()))
    if encoding.photometric == "RGB":
        assert spread <= CONSTANT_SPREAD
    else:
        assert spread > CONSTANT_SPREAD        # what YCbCr costs, shown
    assert error <= FIDELITY_LEVELS
