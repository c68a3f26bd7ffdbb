"""The synthetic Sentinel-2 products must pass for real ones.

The reference is GDAL's own SENTINEL2 driver: it has to open every product
(folder or zip), expose the usual subdatasets and return exactly the pixels
stored in the band files. The scene itself is checked for the properties the
plugin relies on: exact no-data wedge, bright clouds, saturated cores,
processing-baseline offset, seamless overlap between neighbouring granules.
"""

import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
from osgeo import gdal

try:
    from . import s2products as s2
except ImportError:
    import s2products as s2

COMPACT_SIZE = 366
OPER_SIZE = 96
SMALL_SIZE = 48


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# products, built once per module
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# layout and names
# --------------------------------------------------------------------------

def test_compact_l1c_layout(l1c_0509):
    safe = l1c_0509
    assert re.fullmatch(r"S2B_MSIL1C_20230614T105629_N0509_R094_T31UFQ_"
                        r"\d{8}T\d{6}\.SAFE", safe.name)
    for name in ("MTD_MSIL1C.xml", "manifest.safe", "INSPIRE.xml"):
        assert (safe / name).is_file(), name
    for name in ("AUX_DATA", "HTML", "rep_info", "DATASTRIP"):
        assert (safe / name).is_dir(), name
    assert len(list((safe / "DATASTRIP").glob("DS_*/MTD_DS.xml"))) == 1

    (granule,) = granule_dirs(safe)
    assert re.fullmatch(r"L1C_T31UFQ_A\d{6}_\d{8}T\d{6}", granule.name)
    assert (granule / "MTD_TL.xml").is_file()
    assert (granule / "AUX_DATA").is_dir()
    img = sorted(p.name for p in (granule / "IMG_DATA").iterdir())
    expected = sorted([f"T31UFQ_20230614T105629_{b}.jp2" for b in s2.ALL_BANDS]
                      + ["T31UFQ_20230614T105629_TCI.jp2"])
    assert img == expected

    # Decoys a sloppy band search would pick up: mask files named after bands.
    decoy = granule / "QI_DATA" / "MSK_DETFOO_B04.jp2"
    ds = gdal.Open(str(decoy))
    assert ds.GetRasterBand(1).DataType == gdal.GDT_Byte

    # The root metadata points at every band file, without extension.
    files = [e.text for e in xml_find_all(safe / "MTD_MSIL1C.xml",
                                          "IMAGE_FILE")]
    assert [f + ".jp2" for f in files] == [
        f"GRANULE/{granule.name}/IMG_DATA/{n}" for n in
        [f"T31UFQ_20230614T105629_{b}.jp2" for b in s2.ALL_BANDS]
        + ["T31UFQ_20230614T105629_TCI.jp2"]]

    # The manifest lists every other file with its size.
    listed = {}
    for stream in xml_find_all(safe / "manifest.safe", "byteStream"):
        (loc,) = [c for c in stream if local(c.tag) == "fileLocation"]
        listed[loc.get("href")[2:]] = int(stream.get("size"))
    on_disk = {p.relative_to(safe).as_posix(): p.stat().st_size
               for p in safe.rglob("*")
               if p.is_file() and p.name != "manifest.safe"}
    assert listed == on_disk


def test_oper_layout(oper_pair):
    safe = oper_pair
    stem = "S2A_OPER_PRD_MSIL1C_PDMC_20160315T154120_R094_V20160315T105625_" \
           "20160315T105625"
    assert safe.name == stem + ".SAFE"
    root = safe / ("S2A_OPER_MTD_SAFL1C_PDMC_20160315T154120_R094_"
                   "V20160315T105625_20160315T105625.xml")
    assert root.is_file()
    granules = granule_dirs(safe)
    assert [g.name for g in granules] == [
        f"S2A_OPER_MSI_L1C_TL_SGS__20160315T134118_A003826_T{t}_N02.01"
        for t in ("31UFQ", "31UGQ")]
    for g, tile in zip(granules, ("31UFQ", "31UGQ")):
        stem = f"S2A_OPER_MSI_L1C_TL_SGS__20160315T134118_A003826_T{tile}"
        mtd = g / (stem.replace("_MSI_", "_MTD_") + ".xml")
        assert mtd.is_file()
        img = sorted(p.name for p in (g / "IMG_DATA").iterdir())
        # Baseline 02.01 predates the TCI image.
        assert img == sorted(f"{stem}_{b}.jp2" for b in s2.ALL_BANDS)
        assert any(p.name.endswith(f"T{tile}_B04_MSIL1C.gml")
                   for p in (g / "QI_DATA").iterdir())
    ids = [e.text for e in xml_find_all(root, "IMAGE_ID")]
    assert len(ids) == 2 * len(s2.ALL_BANDS)
    assert xml_find_all(root, "PRODUCT_FORMAT")[0].text == "SAFE"
    assert [e.text for e in xml_find_all(root, "BAND_NAME")] == [
        driver_band_name(b) for b in s2.ALL_BANDS]


def test_l2a_layout(l2a):
    safe = l2a
    assert re.fullmatch(r"S2B_MSIL2A_20230614T105629_N0509_R094_T31UFQ_"
                        r"\d{8}T\d{6}\.SAFE", safe.name)
    assert (safe / "MTD_MSIL2A.xml").is_file()
    (granule,) = granule_dirs(safe)
    assert granule.name.startswith("L2A_T31UFQ_A")
    for res, bands in s2.L2A_FOLDER_BANDS.items():
        folder = granule / "IMG_DATA" / f"R{res}m"
        got = sorted(band_of(p) for p in folder.glob("*_B*.jp2"))
        assert got == sorted(bands)
        for b in bands:
            name = f"T31UFQ_20230614T105629_{b}_{res}m.jp2"
            assert (folder / name).is_file()
    assert not list(safe.rglob("*B10_*m.jp2"))
    assert (granule / "IMG_DATA" / "R20m" /
            "T31UFQ_20230614T105629_SCL_20m.jp2").is_file()
    assert (granule / "QI_DATA" / "MSK_CLDPRB_20m.jp2").is_file()
    files = [e.text for e in xml_find_all(safe / "MTD_MSIL2A.xml",
                                          "IMAGE_FILE")]
    assert f"GRANULE/{granule.name}/IMG_DATA/R10m/" \
           "T31UFQ_20230614T105629_B04_10m" in files


# --------------------------------------------------------------------------
# GDAL's SENTINEL2 driver
# --------------------------------------------------------------------------

def check_driver_matches_files(root_xml, img_dirs, expect_epsg, level="L1C"):
    """Open through the driver and compare every band to its JP2 file."""
    with GdalMessages() as log:
        ds = gdal.Open(str(root_xml))
        assert ds is not None and ds.GetDriver().ShortName == "SENTINEL2"
        subs = subdatasets(ds)
        names = [n for n, _ in subs]
        for res in (10, 20, 60):
            for epsg in expect_epsg:
                assert any(n.endswith(f":{res}m:EPSG_{epsg}") for n in names)
        assert len({n.rsplit(":", 1)[1] for n in names}) == len(expect_epsg)
        for name, _ in subs:
            res = name.split(":")[-2]
            if not res.endswith("m"):
                continue
            res = int(res[:-1])
            epsg = int(name.rsplit("_", 1)[1])
            sd, arrays = driver_arrays(name)
            assert sd.GetSpatialRef().GetAuthorityCode(None) == str(epsg)
            gt = sd.GetGeoTransform()
            for img in img_dirs:
                for path in sorted(img.glob("*.jp2")):
                    band = band_of(path)
                    if level == "L2A":
                        if not path.name.endswith(f"_{res}m.jp2") or \
                                s2.BAND_RESOLUTION.get(band) != res:
                            continue
                    elif s2.BAND_RESOLUTION.get(band) != res:
                        continue
                    f = gdal.Open(str(path))
                    if int(f.GetSpatialRef().GetAuthorityCode(None)) != epsg:
                        continue
                    fgt = f.GetGeoTransform()
                    x0 = round((fgt[0] - gt[0]) / res)
                    y0 = round((gt[3] - fgt[3]) / res)
                    want = f.ReadAsArray()
                    got = arrays[driver_band_name(band)]
                    h, w = want.shape
                    np.testing.assert_array_equal(
                        got[y0:y0 + h, x0:x0 + w], want, err_msg=str(path))
    assert not log.messages, log.messages
    return ds


@pytest.mark.parametrize("fixture", ["l1c_0509", "l1c_0301"])
def test_driver_reads_compact_l1c(fixture, request):
    safe = request.getfixturevalue(fixture)
    (granule,) = granule_dirs(safe)
    ds = check_driver_matches_files(safe / "MTD_MSIL1C.xml",
                                    [granule / "IMG_DATA"], [32631])
    md = ds.GetMetadata()
    assert md["SPECIAL_VALUE_NODATA"] == "0"
    assert md["SPECIAL_VALUE_SATURATED"] == "65535"
    assert md["QUANTIFICATION_VALUE"] == "10000"
    assert md["PRODUCT_TYPE"] == "S2MSI1C"
    assert md["PROCESSING_BASELINE"] == ("05.09" if fixture == "l1c_0509"
                                         else "03.01")
    assert md["DATATAKE_1_SPACECRAFT_NAME"] == "Sentinel-2B"
    assert md["FOOTPRINT"].startswith("POLYGON((")
    assert any(n.endswith(":TCI:EPSG_32631") for n, _ in subdatasets(ds))


def test_driver_reads_oper_granules_of_one_zone(oper_pair):
    root = next(oper_pair.glob("S2A_OPER_MTD_SAFL1C_*.xml"))
    imgs = [g / "IMG_DATA" for g in granule_dirs(oper_pair)]
    ds = check_driver_matches_files(root, imgs, [32631])
    sd = gdal.Open(subdatasets(ds)[0][0])
    overlap = 2 * OPER_SIZE - sd.RasterXSize
    assert 0 < overlap < OPER_SIZE and overlap % 6 == 0
    assert sd.RasterYSize == OPER_SIZE


def test_driver_reads_oper_across_utm_zones(oper_zones):
    root = next(oper_zones.glob("S2A_OPER_MTD_SAFL1C_*.xml"))
    imgs = [g / "IMG_DATA" for g in granule_dirs(oper_zones)]
    ds = check_driver_matches_files(root, imgs, [32631, 32632])
    descs = [d for _, d in subdatasets(ds)]
    assert any("UTM 31N" in d for d in descs)
    assert any("UTM 32N" in d for d in descs)


def test_driver_reads_l2a(l2a):
    (granule,) = granule_dirs(l2a)
    imgs = [granule / "IMG_DATA" / f"R{r}m" for r in (10, 20, 60)]
    ds = check_driver_matches_files(l2a / "MTD_MSIL2A.xml", imgs, [32631],
                                    level="L2A")
    md = ds.GetMetadata()
    assert md["PRODUCT_TYPE"] == "S2MSI2A"
    assert md["BOA_QUANTIFICATION_VALUE"] == "10000"
    # Scene classification is exposed with its class names.
    sd = gdal.Open(next(n for n, _ in subdatasets(ds) if ":20m:" in n))
    scl = next(sd.GetRasterBand(i) for i in range(1, sd.RasterCount + 1)
               if sd.GetRasterBand(i).GetMetadataItem("BANDNAME") == "SCL")
    assert "CLOUD_HIGH_PROBA" in scl.GetCategoryNames()
    assert set(np.unique(scl.ReadAsArray())) >= {0, 4, 9}


@pytest.mark.parametrize("fixture, mtd", [("l1c_zip", "MTD_MSIL1C.xml"),
                                          ("l2a_zip", "MTD_MSIL2A.xml")])
def test_zipped_product(fixture, mtd, request):
    path = request.getfixturevalue(fixture)
    assert path.suffix == ".zip"
    # Only the zip is left in the parent folder.
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    safe_name = path.stem + ".SAFE"
    assert infos[0].filename == safe_name + "/"
    assert {i.filename.split("/")[0] for i in infos} == {safe_name}
    assert all(i.compress_type == zipfile.ZIP_DEFLATED
               for i in infos if not i.is_dir())
    jp2s = [i.filename for i in infos if i.filename.endswith(".jp2")
            and "/IMG_DATA/" in i.filename and "_B" in i.filename]
    assert jp2s

    inner = f"/vsizip/{path}/{safe_name}/{mtd}"
    with GdalMessages():
        for opened in (gdal.Open(str(path)), gdal.Open(inner)):
            assert opened is not None
            assert opened.GetDriver().ShortName == "SENTINEL2"
            names = [n for n, _ in subdatasets(opened)]
            for res in (10, 20, 60):
                assert any(f":{res}m:EPSG_32631" in n for n in names)
        # Pixels through the driver equal those of the zipped band files.
        for member in jp2s:
            band = band_of(pathlib.PurePosixPath(member))
            res = (int(re.search(r"_(\d\d)m\.jp2$", member).group(1))
                   if fixture == "l2a_zip" else s2.BAND_RESOLUTION[band])
            if s2.BAND_RESOLUTION[band] != res:
                continue
            sub = next(n for n in names if f":{res}m:" in n)
            _, arrays = driver_arrays(sub)
            want = read(f"/vsizip/{path}/{member}")
            np.testing.assert_array_equal(arrays[driver_band_name(band)],
                                          want)
            assert want.max() > 0


def test_metadata_lists_all_bands_when_some_are_missing(l1c_zip):
    names = zipfile.ZipFile(l1c_zip).namelist()
    img = sorted(n.rsplit("/", 1)[1] for n in names
                 if "/IMG_DATA/" in n and n.endswith(".jp2"))
    assert img == [f"T31UFQ_20230614T105629_{b}.jp2"
                   for b in ("B04", "B09", "B8A")]
    mtd = zipfile.ZipFile(l1c_zip).read(
        f"{l1c_zip.stem}.SAFE/MTD_MSIL1C.xml").decode()
    assert len(xml_find_all(mtd, "IMAGE_FILE")) == len(s2.ALL_BANDS) + 1


# --------------------------------------------------------------------------
# every band file
# --------------------------------------------------------------------------

ALL_FIXTURES = ["l1c_0509", "l1c_0301", "oper_pair", "oper_zones", "l2a"]


@pytest.mark.parametrize("fixture", ALL_FIXTURES)
def test_band_files_match_tile_metadata(fixture, request):
    safe = request.getfixturevalue(fixture)
    checked = 0
    for granule in granule_dirs(safe):
        mtd = next(p for p in granule.glob("*.xml"))
        epsg, geo = tile_geocoding(mtd)
        for path in sorted(granule.glob("IMG_DATA/**/*.jp2")):
            band = band_of(path)
            m = re.search(r"_(\d\d)m\.jp2$", path.name)
            res = int(m.group(1)) if m else s2.BAND_RESOLUTION.get(band, 10)
            ulx, uly, ncols, nrows = geo[res]
            ds = gdal.Open(str(path))
            assert ds.GetDriver().ShortName == "JP2OpenJPEG"
            assert (ds.RasterXSize, ds.RasterYSize) == (ncols, nrows)
            assert ds.GetGeoTransform() == (ulx, res, 0.0, uly, 0.0, -res)
            srs = ds.GetSpatialRef()
            assert srs.GetAuthorityName(None) == "EPSG"
            assert int(srs.GetAuthorityCode(None)) == epsg
            dtype = ds.GetRasterBand(1).DataType
            if band in s2.ALL_BANDS or band in ("AOT", "WVP"):
                assert dtype == gdal.GDT_UInt16 and ds.RasterCount == 1
            else:
                assert dtype == gdal.GDT_Byte
            assert ds.GetRasterBand(1).GetBlockSize() == [
                min(128 if fixture == "l1c_0509" else 1024, ncols),
                min(128 if fixture == "l1c_0509" else 1024, nrows)]
            checked += 1
    assert checked >= len(s2.ALL_BANDS)
    assert not list(safe.rglob("*.aux.xml"))


def test_rasterio_reads_georeferencing(l1c_0509):
    import rasterio
    path = next(l1c_0509.glob("GRANULE/*/IMG_DATA/*_B8A.jp2"))
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32631
        assert tuple(src.transform)[:6] == (20.0, 0.0, 600000.0,
                                            0.0, -20.0, 5500020.0)
        assert src.dtypes[0] == "uint16"
        assert src.read(1).shape == (COMPACT_SIZE // 2, COMPACT_SIZE // 2)


# --------------------------------------------------------------------------
# scene content
# --------------------------------------------------------------------------

def granule_scene(granule, res, anchor=None, seed=0):
    mtd = next(p for p in granule.glob("*.xml"))
    _, geo = tile_geocoding(mtd)
    ulx, uly, ncols, nrows = geo[res]
    span = geo[10][2] * 10
    return s2.scene_layers(ulx, uly, res, ncols, nrows, seed=seed,
                           anchor=anchor or (ulx, uly), span=span)


@pytest.mark.parametrize("fixture", ["l1c_0509", "l1c_0301", "l2a"])
def test_nodata_wedge_is_exact_in_every_band(fixture, request):
    safe = request.getfixturevalue(fixture)
    (granule,) = granule_dirs(safe)
    wedges = {}
    for path in sorted(granule.glob("IMG_DATA/**/*_B*.jp2")):
        band = band_of(path)
        m = re.search(r"_(\d\d)m\.jp2$", path.name)
        res = int(m.group(1)) if m else s2.BAND_RESOLUTION[band]
        if res not in wedges:
            wedges[res] = granule_scene(granule, res)["nodata"]
        dn = read(path)
        np.testing.assert_array_equal(dn == 0, wedges[res], err_msg=path.name)
    # A real corner wedge, covering the same ground at every resolution.
    w10, w20, w60 = wedges[10], wedges[20], wedges[60]
    assert 0.03 < w10.mean() < 0.2
    assert w10[-1, 0] and not w10[0, -1]
    np.testing.assert_array_equal(w10, np.repeat(np.repeat(w60, 6, 0), 6, 1))
    np.testing.assert_array_equal(w20, np.repeat(np.repeat(w60, 3, 0), 3, 1))


def test_oper_granules_agree_where_they_overlap(oper_pair):
    west, east = granule_dirs(oper_pair)
    _, geo_w = tile_geocoding(next(west.glob("*.xml")))
    _, geo_e = tile_geocoding(next(east.glob("*.xml")))
    assert geo_e[10][1] == geo_w[10][1]
    shift = geo_e[10][0] - geo_w[10][0]
    assert 0 < shift < OPER_SIZE * 10 and shift % 60 == 0
    anchor = geo_w[10][:2]
    for band in s2.ALL_BANDS:
        res = s2.BAND_RESOLUTION[band]
        a = read(next(west.glob(f"IMG_DATA/*_{band}.jp2")))
        b = read(next(east.glob(f"IMG_DATA/*_{band}.jp2")))
        k = int(shift // res)
        overlap = a.shape[1] - k
        assert overlap > 0
        np.testing.assert_array_equal(a[:, k:], b[:, :overlap], err_msg=band)
        # Baseline 02.01: no offset, the wedge still follows the scene.
        wedge = granule_scene(east, res, anchor=anchor)["nodata"]
        np.testing.assert_array_equal(b == 0, wedge)


def test_clouds_are_bright_and_land_is_vegetated(l1c_0509):
    (granule,) = granule_dirs(l1c_0509)
    lay = granule_scene(granule, 10)
    cloud = (lay["cloud"] > 0.9) & ~lay["saturated"] & ~lay["nodata"]
    clear = ((lay["cloud"] == 0) & (lay["shadow"] < 0.01) & ~lay["water"]
             & ~lay["nodata"])
    valid = ~lay["nodata"]
    assert 0.1 < (lay["cloud"] > 0.5)[valid].mean() < 0.5
    assert cloud.sum() > 100 and clear.sum() > 1000
    refl = {}
    for band in s2.BANDS_10M:
        dn = read(next(granule.glob(f"IMG_DATA/*_{band}.jp2")))
        refl[band] = reflectance(dn, 1000)
        assert refl[band][cloud].mean() > refl[band][clear].mean() + 0.15
        if band != "B08":
            assert refl[band][cloud].mean() > 3 * refl[band][clear].mean()
        assert 0.4 <= np.percentile(refl[band][cloud], 5)
        assert np.percentile(refl[band][cloud], 95) <= 1.0
        # Saturated pixels only in cloud cores.
        sat = dn == 65535
        assert sat.any()
        assert np.array_equal(sat, lay["saturated"] & valid)
        assert (lay["cloud"][sat] > 0.99).all()
        assert (dn[valid] > 0).all()
    # Vegetation: dark in the visible, bright in the near infrared.
    ndvi = (refl["B08"] - refl["B04"]) / (refl["B08"] + refl["B04"])
    assert np.median(ndvi[clear]) > 0.3
    assert np.median(refl["B04"][clear]) < 0.15
    water = lay["water"] & (lay["cloud"] == 0) & valid
    if water.any():
        assert np.median(refl["B08"][water]) < 0.06


def test_offset_follows_processing_baseline(l1c_0509, l1c_0301, l2a, build):
    def offsets(path, tag):
        return [(int(e.get("band_id")), int(e.text))
                for e in xml_find_all(path, tag)]

    assert offsets(l1c_0509 / "MTD_MSIL1C.xml", "RADIO_ADD_OFFSET") == [
        (i, -1000) for i in range(13)]
    assert offsets(l1c_0301 / "MTD_MSIL1C.xml", "RADIO_ADD_OFFSET") == []
    assert offsets(l2a / "MTD_MSIL2A.xml", "BOA_ADD_OFFSET") == [
        (i, -1000) for i in range(13)]
    old_l2a = build("l2a_0214", level="L2A", size=SMALL_SIZE,
                    baseline="02.14", bands=("B04",))
    assert "_N0214_" in old_l2a.name
    assert offsets(old_l2a / "MTD_MSIL2A.xml", "BOA_ADD_OFFSET") == []
    assert "_N0301_" in l1c_0301.name

    # Same scene, DN shifted by exactly the offset.
    for band in ("B04", "B10", "B12"):
        new = read(next(l1c_0509.glob(f"GRANULE/*/IMG_DATA/*_{band}.jp2")))
        old = read(next(l1c_0301.glob(f"GRANULE/*/IMG_DATA/*_{band}.jp2")))
        normal = (new != 0) & (new != 65535)
        assert np.array_equal(normal, (old != 0) & (old != 65535))
        diff = new[normal].astype(np.int32) - old[normal]
        assert (diff == 1000).all(), band
    dark = read(next(l1c_0301.glob("GRANULE/*/IMG_DATA/*_B10.jp2")))
    assert dark[dark > 0].min() < 1000
    bright = read(next(l1c_0509.glob("GRANULE/*/IMG_DATA/*_B10.jp2")))
    assert bright[bright > 0].min() > 1000


def test_l2a_coarse_bands_average_the_fine_ones(l2a):
    (granule,) = granule_dirs(l2a)
    img = granule / "IMG_DATA"

    def band(name, res):
        return read(next(img.glob(f"R{res}m/T31UFQ_*_{name}_{res}m.jp2")))

    b04 = band("B04", 10)
    np.testing.assert_array_equal(band("B04", 20), s2.block_mean(b04, 2))
    np.testing.assert_array_equal(band("B04", 60), s2.block_mean(b04, 6))
    np.testing.assert_array_equal(band("B05", 60),
                                  s2.block_mean(band("B05", 20), 3))
    b01 = band("B01", 60)
    np.testing.assert_array_equal(band("B01", 20),
                                  np.repeat(np.repeat(b01, 3, 0), 3, 1))
    # Bottom-of-atmosphere: no path radiance, so vegetation is dark in red.
    lay = granule_scene(granule, 10)
    clear = (lay["cloud"] == 0) & ~lay["water"] & ~lay["nodata"] & \
        (lay["shadow"] < 0.01)
    assert np.median(reflectance(b04, 1000)[clear]) < 0.1


def test_values_depend_only_on_seed_band_and_place(build, l1c_0509):
    a = build("seed_a", size=SMALL_SIZE, bands=("B03",), seed=3)
    b = build("seed_b", size=SMALL_SIZE, bands=("B03",), seed=3)
    c = build("seed_c", size=SMALL_SIZE, bands=("B03",), seed=4)

    def b03(p):
        return read(next(p.glob("GRANULE/*/IMG_DATA/*_B03.jp2")))

    np.testing.assert_array_equal(b03(a), b03(b))
    assert (b03(a) != b03(c)).mean() > 0.5
    # A smaller product is the upper-left corner of a bigger one.
    big = read(next(l1c_0509.glob("GRANULE/*/IMG_DATA/*_B03.jp2")))
    small = read(next(build("seed_0", size=SMALL_SIZE, bands=("B03",),
                            seed=0).glob("GRANULE/*/IMG_DATA/*_B03.jp2")))
    same = small != 0
    np.testing.assert_array_equal(small[same],
                                  big[:SMALL_SIZE, :SMALL_SIZE][same])


# --------------------------------------------------------------------------
# API and command line
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(size=100), dict(size=0), dict(size=-6), dict(size=36.0),
    dict(level="L2A", layout="oper"), dict(level="L3"),
    dict(level="L2A", bands=("B10",)), dict(bands=("B13",)),
    dict(tiles=("99XYZ",)), dict(baseline="5.9"), dict(sensing="2023-06-14"),
])
def test_invalid_arguments(kwargs, tmp_path):
    with pytest.raises(ValueError):
        s2.make_product(tmp_path, **kwargs)
    assert not list(tmp_path.iterdir())


def test_command_line(tmp_path):
    script = pathlib.Path(s2.__file__).parent
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path), "--size", "24",
         "--bands", "B04,B8A", "--jp2-block", "32", "--seed", "2"],
        check=True, capture_output=True, text=True).stdout.strip()
    path = pathlib.Path(out)
    assert path.is_dir() and path.parent == tmp_path
    assert path.name.startswith("S2B_MSIL1C_")
    bands = sorted(band_of(p) for p in path.glob("GRANULE/*/IMG_DATA/*.jp2"))
    assert bands == ["B04", "B8A"]
