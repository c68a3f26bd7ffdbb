"""What the tests of the synthetic products (test_s2products_*.py) share:
the products they look at, built once per test module that asks for them,
and what they look with (GDAL, its SENTINEL2 driver, the metadata's XML).

conftest.py loads this module as a plugin, so that its fixtures are
there for every test module; the helpers are imported by name.
"""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from osgeo import gdal

import s2products as s2

COMPACT_SIZE = 366

OPER_SIZE = 96

SMALL_SIZE = 48


class GdalMessages:
    """Collect GDAL warnings and errors instead of printing them."""

    def __enter__(self):
        self.messages = []

        def handler(level, _code, msg):
            if level >= gdal.CE_Warning:
                self.messages.append(msg)

        gdal.PushErrorHandler(handler)
        return self

    def __exit__(self, *exc):
        gdal.PopErrorHandler()
        return False


def local(tag):
    return tag.rsplit("}", 1)[-1]


def xml_find_all(source, name):
    """Elements called ``name`` (any namespace) in a file or an XML string."""
    if isinstance(source, str):
        root = ET.fromstring(source)
    else:
        root = ET.parse(source).getroot()
    return [e for e in root.iter() if local(e.tag) == name]


def tile_geocoding(mtd_tl):
    """{res: (ulx, uly, ncols, nrows)} and EPSG code from a granule MTD."""
    code = xml_find_all(mtd_tl, "HORIZONTAL_CS_CODE")[0].text
    sizes = {int(e.get("resolution")): e for e in xml_find_all(mtd_tl, "Size")}
    geo = {int(e.get("resolution")): e
           for e in xml_find_all(mtd_tl, "Geoposition")}
    out = {}
    for res, e in geo.items():
        val = {local(c.tag): float(c.text) for c in e}
        size = {local(c.tag): int(c.text) for c in sizes[res]}
        assert val["XDIM"] == res and val["YDIM"] == -res
        out[res] = (val["ULX"], val["ULY"], size["NCOLS"], size["NROWS"])
    return int(code.split(":")[1]), out


def read(path):
    ds = gdal.Open(str(path))
    assert ds is not None, path
    return ds.ReadAsArray()


def driver_band_name(band):
    return "B8A" if band == "B8A" else f"B{int(band[1:])}"


def subdatasets(ds):
    md = ds.GetMetadata("SUBDATASETS")
    return [(md[f"SUBDATASET_{i}_NAME"], md[f"SUBDATASET_{i}_DESC"])
            for i in range(1, len(md) // 2 + 1)]


def driver_arrays(subdataset_name):
    """{band code: array} read through the SENTINEL2 driver."""
    sd = gdal.Open(subdataset_name)
    assert sd is not None, subdataset_name
    out = {}
    for i in range(1, sd.RasterCount + 1):
        b = sd.GetRasterBand(i)
        out[b.GetMetadataItem("BANDNAME")] = b.ReadAsArray()
    return sd, out


def granule_dirs(safe):
    return sorted(p for p in (safe / "GRANULE").iterdir() if p.is_dir())


def band_of(path):
    m = re.search(r"_(B\d\d|B8A|TCI|SCL|AOT|WVP)(?:_\d\dm)?\.jp2$", path.name)
    return m.group(1) if m else None


def reflectance(dn, offset):
    return (dn.astype(np.float64) - offset) / 10000.0


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    cache = {}

    def make(key, **kw):
        if key not in cache:
            parent = tmp_path_factory.mktemp(key)
            cache[key] = s2.make_product(parent, **kw)
        return cache[key]

    return make


@pytest.fixture(scope="module")
def l1c_0509(build):
    return build("l1c_0509", size=COMPACT_SIZE, jp2_block=128)


@pytest.fixture(scope="module")
def l1c_0301(build):
    return build("l1c_0301", size=COMPACT_SIZE, baseline="03.01")


@pytest.fixture(scope="module")
def oper_pair(build):
    return build("oper_pair", layout="oper", size=OPER_SIZE,
                 tiles=("31UFQ", "31UGQ"))


@pytest.fixture(scope="module")
def oper_zones(build):
    return build("oper_zones", layout="oper", size=OPER_SIZE,
                 tiles=("31UGQ", "32ULV"))


@pytest.fixture(scope="module")
def l2a(build):
    return build("l2a", level="L2A", size=COMPACT_SIZE)


@pytest.fixture(scope="module")
def l1c_zip(build):
    return build("l1c_zip", size=OPER_SIZE, zipped=True,
                 bands=("B04", "B8A", "B09"))


@pytest.fixture(scope="module")
def l2a_zip(build):
    return build("l2a_zip", level="L2A", size=OPER_SIZE, zipped=True,
                 bands=("B04", "B05"))
