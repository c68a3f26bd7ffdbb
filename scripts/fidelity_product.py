"""The product scripts/fidelity.py and tests/test_fidelity.py measure on:
a realistic L1C product from the tests' generator with every band the
trios need, the trios themselves (every named combination, then CUSTOM),
and a copy of the product with CONSTANT_BAND held constant."""

import os
import pathlib
import shutil
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import s2products  # noqa: E402  (the tests' generator)

#: 10 m pixels a side: a tenth of a real tile, as in the user's report.
SIZE = 1098
#: A custom mixed-resolution trio: B08 alone at 10 m, in green (the named
#: ones have it in blue, as B04 in SWIR, or in red), between two 20 m bands.
CUSTOM = ("B11", "B08", "B05")
#: The band held constant (its DN wherever it has data) in the constant
#: product, and the combinations it is looked at in: in red among natural
#: colour, in blue beside SWIR and near infrared.
CONSTANT_BAND, CONSTANT_DN = "B04", 1500
CONSTANT_TRIOS = (("B04", "B03", "B02"), ("B12", "B8A", "B04"))


def trios():
    """(name, bands) of every named combination, then CUSTOM."""
    from sentinel2_equalizer.core.product.bands import COMBINATIONS
    return ([(c.key, c.bands) for c in COMBINATIONS]
            + [("custom " + "-".join(b[1:].lstrip("0") for b in CUSTOM),
                CUSTOM)])


def product_bands():
    """Every band the trios show, in ESA's order."""
    shown = {band for _, bands in trios() for band in bands}
    return tuple(b for b in s2products.ALL_BANDS if b in shown)


def product(folder, size):
    """The product in ``folder``/product-``size``, made once."""
    folder = pathlib.Path(folder, "product-{}".format(size))
    made = sorted(folder.glob("*.SAFE")) if folder.is_dir() else []
    if made:
        return made[0]
    folder.mkdir(parents=True, exist_ok=True)
    return s2products.make_product(folder, size=size, bands=product_bands())



def hold_constant(product, band, value=CONSTANT_DN):
    """Rewrite each file of ``band`` in the product folder ``product`` in
    its own format, ``value`` wherever it has data (no-data stays 0): a
    band with nothing in it, next to busy ones. (Its checksums in
    manifest.safe no longer match: run with verify=False.)"""
    from osgeo import gdal
    from sentinel2_equalizer.core.product.discovery import open_product
    opened = open_product(str(product))
    for granule in opened.granules:
        for resolution in granule.band_files[band]:
            path = opened.band_file(granule, band, resolution)
            source = gdal.Open(path)
            driver = source.GetDriver()
            data = source.ReadAsArray()
            held = gdal.GetDriverByName("MEM").CreateCopy("", source)
            held.GetRasterBand(1).WriteArray(
                np.where(data == 0, 0, value).astype(data.dtype))
            source = None
            os.remove(path)
            options = (["REVERSIBLE=YES", "QUALITY=100"]
                       if driver.ShortName == "JP2OpenJPEG"
                       else ["TILED=YES", "COMPRESS=DEFLATE"])
            gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
            try:
                written = driver.CreateCopy(path, held, 0, options)
            finally:
                gdal.SetConfigOption("GDAL_PAM_ENABLED", None)
            if written is None:
                raise RuntimeError("cannot write {}: {}".format(
                    path, gdal.GetLastErrorMsg()))
            written = None



def constant_product(folder, source):
    """A copy of ``source`` in ``folder`` with CONSTANT_BAND held
    constant, made once."""
    copy = pathlib.Path(folder, source.name)
    if not copy.is_dir():
        making = pathlib.Path(folder, "making")
        shutil.rmtree(str(making), ignore_errors=True)
        shutil.copytree(str(source), str(making / source.name))
        hold_constant(making / source.name, CONSTANT_BAND)
        (making / source.name).rename(copy)
        making.rmdir()
    return copy

