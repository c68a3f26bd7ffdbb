"""The synthetic Sentinel-2 products must pass for real ones, as GDAL's
own SENTINEL2 driver sees them: it has to open every product (folder or
zip), expose the usual subdatasets and return exactly the pixels stored in
the band files; and every band file agrees with its granule's metadata.
"""

import pathlib
import re
import zipfile

import numpy as np
import pytest
from osgeo import gdal

import s2products as s2
from s2products_checks import (COMPACT_SIZE, OPER_SIZE, GdalMessages,
                               band_of, driver_arrays, driver_band_name,
                               granule_dirs, read, subdatasets,
                               tile_geocoding, xml_find_all)


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
