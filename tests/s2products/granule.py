"""The files of one granule: its band files in IMG_DATA (JPEG2000, or GeoTIFF
for L2A on request), and in QI_DATA the masks, whose names carry band codes
like the band files do, and the browse image.
"""

import numpy as np

from s2files import write_cog

from .constants import ALL_BANDS, BAND_RESOLUTION, L2A_FOLDER_BANDS
from .derived import _resample, _tci
from .files import _write_jp2, _write_text
from .quality import _gml_clouds, _gml_mask
from .radiometry import _reflectance, _to_dn
from .render import _detector_mask, _render


def _write_granule_rasters(g, scene, n, level, spectral, extras, add, block,
                           img, qi, band_format="JPEG2000"):
    """Render and write the band files of one granule; returns scene stats."""
    natives = {}
    stats = None
    need = set(spectral)
    if "TCI" in extras:
        need |= {"B02", "B03", "B04"}
    want_scl = level == "L2A" and ("SCL" in extras or "CLD" in extras)
    for res in (10, 20, 60):
        here = [b for b in ALL_BANDS
                if b in need and BAND_RESOLUTION[b] == res]
        side = ()
        if want_scl and res == 20:
            side = ("SCL", "CLD")
        if not here and res != 60 and not side:
            continue
        arrays, st, scl, cld = _render(g, scene, res, here, level, add, side)
        natives.update(arrays)
        if res == 60:
            stats = st
        if scl is not None:
            natives["SCL_20"], natives["CLD_20"] = scl, cld
    gt = g.geotransform

    if level == "L1C":
        for b in spectral:
            _write_jp2(img / f"{g.band_prefix}{b}.jp2", natives[b],
                       gt(BAND_RESOLUTION[b]), g.epsg, block)
        if "TCI" in extras:
            _write_jp2(img / f"{g.band_prefix}TCI.jp2",
                       _tci(natives["B04"], natives["B03"], natives["B02"],
                            add), gt(10), g.epsg, block, reversible=False)
        return stats

    def write_band(name, arr, res, reversible=True):
        """An IMG_DATA file in the product's band format."""
        if band_format == "GeoTIFF":
            write_cog(img / f"R{res}m" / f"{name}.tif", arr, gt(res), g.epsg,
                      block)
        else:
            _write_jp2(img / f"R{res}m" / f"{name}.jp2", arr, gt(res),
                       g.epsg, block, reversible)

    for res in (10, 20, 60):
        folder = img / f"R{res}m"
        folder.mkdir()
        for b in L2A_FOLDER_BANDS[res]:
            if b in spectral:
                arr = _resample(natives[b], BAND_RESOLUTION[b], res)
                write_band(f"{g.band_prefix}{b}_{res}m", arr, res)
        if "TCI" in extras:
            tci = _tci(*(_resample(natives[b], 10, res)
                         for b in ("B04", "B03", "B02")), add)
            write_band(f"{g.band_prefix}TCI_{res}m", tci, res,
                       reversible=False)
        for name, cell, scale, low in (("AOT", 8000.0, 60.0, 110.0),
                                       ("WVP", 10000.0, 900.0, 1500.0)):
            if name in extras:
                h, w = g.shape(res)
                x = g.ulx + (np.arange(w) + 0.5) * res
                y = g.uly - (np.arange(h) + 0.5) * res
                v = low + scale * scene.smooth_field(x, y, name.lower(), cell)
                v = np.floor(v + 0.5).astype(np.uint16)
                v[scene.nodata(x, y)] = 0
                write_band(f"{g.band_prefix}{name}_{res}m", v, res)
        if "SCL" in extras and res in (20, 60):
            scl = natives["SCL_20"]
            if res == 60:
                scl = scl[1::3, 1::3]  # nearest neighbour, like Sen2Cor
            write_band(f"{g.band_prefix}SCL_{res}m",
                       np.ascontiguousarray(scl), res)
    if "SCL" in extras:
        for res in (20, 60):
            cld = natives["CLD_20"]
            if res == 60:
                cld = np.ascontiguousarray(cld[1::3, 1::3])
            _write_jp2(qi / f"MSK_CLDPRB_{res}m.jp2", cld, gt(res), g.epsg,
                       block)
            _write_jp2(qi / f"MSK_SNWPRB_{res}m.jp2",
                       np.zeros_like(cld), gt(res), g.epsg, block)
    return stats


def _write_masks(g, scene, level, layout, qi, block, new_masks,
                 cloud_polygons=True, cloud_mask=True):
    """QI_DATA masks: decoys whose names contain band codes, and the cloud
    mask: MSK_CLASSI_B00.jp2 from baseline 04.00 on, MSK_CLOUDS_B00.gml
    before (its polygons the runs of 60 m pixels whose centre is cloud,
    or none unless ``cloud_polygons``); no cloud mask at all unless
    ``cloud_mask``."""
    entries = []
    gt60 = g.geotransform(60)
    rel_qi = f"GRANULE/{g.name}/QI_DATA/"
    if new_masks:
        det = _detector_mask(g, scene)
        zeros = np.zeros((8,) + det.shape, np.uint8)
        for i, b in enumerate(ALL_BANDS):
            for kind, arr in (("DETFOO", det), ("QUALIT", zeros)):
                name = f"MSK_{kind}_{b}.jp2"
                _write_jp2(qi / name, arr, gt60, g.epsg, block)
                entries.append(f'\n      <MASK_FILENAME bandId="{i}" '
                               f'type="MSK_{kind}">{rel_qi}{name}'
                               f"</MASK_FILENAME>")
        if cloud_mask:
            classi = np.zeros((3,) + det.shape, np.uint8)
            classi[0] = _cloudy_60m(g, scene)
            _write_jp2(qi / "MSK_CLASSI_B00.jp2", classi, gt60, g.epsg,
                       block)
            entries.append(f'\n      <MASK_FILENAME type="MSK_CLASSI">'
                           f"{rel_qi}MSK_CLASSI_B00.jp2</MASK_FILENAME>")
    else:
        kinds = ("DEFECT", "DETFOO", "NODATA", "SATURA", "TECQUA")
        for i, b in enumerate(ALL_BANDS):
            for kind in kinds:
                if layout == "oper":
                    name = g.qi_stem.format(kind=kind, band=b) + ".gml"
                    ref = name
                else:
                    name = f"MSK_{kind}_{b}.gml"
                    ref = rel_qi + name
                _write_text(qi / name, _gml_mask(kind, b, g.epsg))
                entries.append(f'\n      <MASK_FILENAME bandId="{i}" '
                               f'type="MSK_{kind}">{ref}</MASK_FILENAME>')
        if layout == "oper":
            name = g.qi_stem.format(kind="CLOUDS", band="B00") + ".gml"
            ref = name
        else:
            name = "MSK_CLOUDS_B00.gml"
            ref = rel_qi + name
        if cloud_mask:
            _write_text(qi / name, _gml_clouds(
                _cloudy_60m(g, scene) if cloud_polygons else None,
                g.geotransform(60), g.epsg))
            entries.append(f'\n      <MASK_FILENAME type="MSK_CLOUDS">'
                           f"{ref}</MASK_FILENAME>")

    # Browse image at 320 m, as in real products (343 pixels for a tile).
    step = 320
    n_pvi = max(1, g.size * 10 // step)
    xs = g.ulx + (np.arange(n_pvi) + 0.5) * step
    ys = g.uly - (np.arange(n_pvi) + 0.5) * step
    lay = scene.layers(xs, ys)
    rgb = [_to_dn(_reflectance(lay, b, level), lay, 0)
           for b in ("B04", "B03", "B02")]
    pvi = _tci(rgb[0], rgb[1], rgb[2], 0)
    pvi_name = g.pvi if layout == "oper" else f"{g.band_prefix}PVI.jp2"
    _write_jp2(qi / pvi_name, pvi, (g.ulx, float(step), 0.0, g.uly, 0.0,
                                    -float(step)), g.epsg, block,
               reversible=False)
    pvi_ref = pvi_name.replace(".jp2", "") if layout == "oper" else \
        rel_qi + pvi_name
    return "".join(entries), pvi_ref


def _cloudy_60m(g, scene):
    """The 60 m pixels of granule ``g`` whose centre is cloud (the cloud
    layer above one half, no-data excluded): the known clouds of its
    MSK_CLASSI and MSK_CLOUDS masks."""
    h, w = g.shape(60)
    x = g.ulx + (np.arange(w) + 0.5) * 60
    y = g.uly - (np.arange(h) + 0.5) * 60
    lay = scene.layers(x, y)
    return (lay["cloud"] > 0.5) & ~lay["nodata"]
