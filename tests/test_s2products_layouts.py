"""The synthetic Sentinel-2 products must pass for real ones: their folder
layouts and file names (compact L1C, OPER L1C, L2A), and the generator's
arguments and command line.
"""

import pathlib
import re
import subprocess
import sys

import pytest
from osgeo import gdal

import s2products as s2
from s2products_checks import (band_of, driver_band_name, granule_dirs,
                               local, xml_find_all)


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
