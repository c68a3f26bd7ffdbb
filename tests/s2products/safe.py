"""The SAFE folder tree of a product: its folders, each granule with its
metadata, auxiliary and quality files, the datastrip, the root metadata,
INSPIRE, HTML and schema files, and the manifest last; and the zip that
holds the whole folder.
"""

import os
import shutil
import zipfile

from .constants import (ALL_BANDS, L2A_EXTRA_RESOLUTIONS, L2A_FOLDER_BANDS,
                        TCI_FROM_BASELINE)
from .datastrip import _datastrip_mtd
from .files import _write_text
from .footprint import _footprint
from .granule import _write_granule_rasters, _write_masks
from .manifest import _manifest
from .names import _baseline_tuple
from .quality import _qi_report
from .root_metadata import _root_mtd
from .stubs import _html, _inspire, _xsd
from .tile_metadata import _tile_mtd


def _assemble(safe, n, granules, scenes, level, layout, spectral, extras,
              add, with_offset, block, band_format="JPEG2000",
              cloud_polygons=True, cloud_mask=True):
    safe.mkdir()
    for d in ("AUX_DATA", "HTML", "rep_info", "GRANULE", "DATASTRIP"):
        (safe / d).mkdir()
    image_files = {}
    cloud_total, valid_total = 0.0, 0
    new_masks = with_offset  # JP2 masks replaced the GML ones in PB 04.00
    for g in granules:
        scene = scenes[g.epsg]
        gdir = safe / "GRANULE" / g.name
        img = gdir / "IMG_DATA"
        qi = gdir / "QI_DATA"
        for d in (img, qi, gdir / "AUX_DATA"):
            d.mkdir(parents=True)
        stats = _write_granule_rasters(g, scene, n, level, spectral, extras,
                                       add, block, img, qi, band_format)
        cloud_total += stats["cloud"]
        valid_total += stats["valid"]
        image_files[g.tile] = _image_file_list(n, g, level, layout)
        masks_xml, pvi = _write_masks(g, scene, level, layout, qi, block,
                                      new_masks, cloud_polygons, cloud_mask)
        _write_text(gdir / g.mtd_name, _tile_mtd(n, g, stats, masks_xml, pvi))
        if layout == "compact":
            (gdir / "AUX_DATA" / "AUX_ECMWFT").write_bytes(_aux_blob("ECMWFT"))
            if with_offset:
                (gdir / "AUX_DATA" / "AUX_CAMSFO").write_bytes(
                    _aux_blob("CAMSFO"))
            for kind in ("FORMAT_CORRECTNESS", "GENERAL_QUALITY",
                         "GEOMETRIC_QUALITY", "SENSOR_QUALITY"):
                _write_text(qi / f"{kind}.xml", _qi_report(kind, g.identifier))
            if level == "L2A":
                _write_text(qi / "L2A_QUALITY.xml",
                            _qi_report("L2A_QUALITY", g.identifier))
        else:
            (gdir / "AUX_DATA" / g.mtd_name.replace(
                "_MTD_L1C_TL_", "_AUX_ECMWFT_").replace(".xml", "")
             ).write_bytes(_aux_blob("ECMWFT"))
    ds_dir = safe / "DATASTRIP" / n.datastrip_dir
    (ds_dir / "QI_DATA").mkdir(parents=True)
    _write_text(ds_dir / n.datastrip_mtd, _datastrip_mtd(n, granules))
    for kind in ("FORMAT_CORRECTNESS", "GENERAL_QUALITY", "GEOMETRIC_QUALITY",
                 "RADIOMETRIC_QUALITY", "SENSOR_QUALITY"):
        _write_text(ds_dir / "QI_DATA" / f"{kind}.xml",
                    _qi_report(kind, n.datastrip_id))

    footprint = _footprint(granules, scenes)
    cloud_pct = 100.0 * cloud_total / max(1, valid_total)
    _write_text(safe / n.root_mtd,
                _root_mtd(n, granules, image_files, footprint, cloud_pct,
                          with_offset, band_format))
    _write_text(safe / "INSPIRE.xml", _inspire(n, footprint))
    _write_text(safe / "HTML" / "UserProduct_index.html", _html(n))
    _write_text(safe / "HTML" / "UserProduct_index.xsl", _xsd("index"))
    level_word = "Level-1C" if n.lv == "L1C" else "Level-2A"
    for stem in (f"S2_User_Product_{level_word}_Metadata",
                 f"S2_PDI_{level_word}_Tile_Metadata",
                 f"S2_PDI_{level_word}_Datastrip_Metadata"):
        _write_text(safe / "rep_info" / f"{stem}.xsd", _xsd(stem))
    _write_text(safe / "manifest.safe", _manifest(n, safe, footprint))


def _image_file_list(n, g, level, layout):
    if level == "L1C":
        base = ("" if layout == "oper" else
                f"GRANULE/{g.name}/IMG_DATA/")
        files = [f"{base}{g.band_prefix}{b}" for b in ALL_BANDS]
        if _baseline_tuple(n.baseline) >= TCI_FROM_BASELINE:
            files.append(f"{base}{g.band_prefix}TCI")
        return files
    files = []
    for res in (10, 20, 60):
        names = list(L2A_FOLDER_BANDS[res])
        names += [e for e in ("TCI", "AOT", "WVP", "SCL")
                  if res in L2A_EXTRA_RESOLUTIONS[e]]
        folder = f"GRANULE/{g.name}/IMG_DATA/R{res}m"
        files += [f"{folder}/{g.band_prefix}{b}_{res}m" for b in names]
    return files


def _aux_blob(kind):
    # Placeholder GRIB message (header and end marker) for ECMWF/CAMS files.
    body = kind.encode().ljust(64, b"\0")
    return b"GRIB" + len(body).to_bytes(4, "big") + body + b"7777"


def _zip_product(safe, target, when):
    """Zip the .SAFE folder as the single top-level entry, folders first."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour,
             when.minute, when.second)
    root = safe.parent
    paths = [safe] + sorted(safe.rglob("*"))
    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in paths:
            arc = p.relative_to(root).as_posix()
            if p.is_dir():
                info = zipfile.ZipInfo(arc + "/", stamp)
                info.external_attr = (0o40755 << 16) | 0x10
                zf.writestr(info, b"")
                continue
            info = zipfile.ZipInfo(arc, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(p, "rb") as src, zf.open(info, "w", force_zip64=True) \
                    as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
    os.replace(tmp, target)
