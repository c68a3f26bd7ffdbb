"""A granule's rasters drawn from the scene, row strip by row strip: the DN
arrays of its bands at one resolution with the statistics its metadata
reports, the Sen2Cor-like scene classification and cloud probability, and
the detector footprint mask.
"""

import math

import numpy as np

from .noise import _key
from .radiometry import _add_sensor_noise, _reflectance, _to_dn


def _render(g, scene, res, bands, level, add, extras=()):
    """Native-resolution DN arrays for ``bands`` on granule ``g``.

    Also returns scene statistics for the metadata and, when ``extras``
    names them, the SCL classes and cloud probability on the same grid.
    The grid is processed in row strips so that a full 10980 x 10980 band
    only ever needs a few hundred MB of temporaries.
    """
    h, w = g.shape(res)
    x = g.ulx + (np.arange(w) + 0.5) * res
    out = {b: np.empty((h, w), np.uint16) for b in bands}
    stats = {"cloud": 0.0, "valid": 0, "nodata": 0, "saturated": 0,
             "water": 0, "veg": 0, "shadow": 0}
    scl = np.empty((h, w), np.uint8) if "SCL" in extras else None
    cld = np.empty((h, w), np.uint8) if "CLD" in extras else None
    step = max(6, (1_500_000 // w) // 6 * 6)
    for r0 in range(0, h, step):
        r1 = min(h, r0 + step)
        y = g.uly - (np.arange(r0, r1) + 0.5) * res
        lay = scene.layers(x, y)
        for b in bands:
            refl = _add_sensor_noise(_reflectance(lay, b, level), x, y, res,
                                     _key(scene.seed, "noise:" + b))
            out[b][r0:r1] = _to_dn(refl, lay, add)
        valid = ~lay["nodata"]
        stats["valid"] += int(valid.sum())
        stats["nodata"] += int(lay["nodata"].sum())
        stats["cloud"] += float((lay["cloud"] > 0.5)[valid].sum())
        stats["saturated"] += int((lay["saturated"] & valid).sum())
        stats["water"] += int((lay["water"] & valid & (lay["cloud"] <= 0.5))
                              .sum())
        stats["shadow"] += int(((lay["shadow"] > 0.5) & valid).sum())
        stats["veg"] += int(((lay["veg"] > 0.45) & valid & ~lay["water"]
                             & (lay["cloud"] <= 0.5)).sum())
        if scl is not None:
            scl[r0:r1] = scene_classification(lay)
        if cld is not None:
            c = np.floor(lay["cloud"] * 100.0 + 0.5).astype(np.uint8)
            c[lay["nodata"]] = 0
            cld[r0:r1] = c
    return out, stats, scl, cld


def scene_classification(lay):
    """Sen2Cor-like SCL classes derived from the scene components (the
    layers of scene_layers): the known classes of an L2A product's SCL."""
    scl = np.full(lay["veg"].shape, 5, np.uint8)          # bare soil
    scl[lay["veg"] > 0.45] = 4                            # vegetation
    scl[lay["forest"]] = 4
    scl[lay["water"]] = 6
    scl[lay["shadow"] > 0.5] = 3
    scl[(lay["cloud"] > 0.1) & (lay["cloud"] <= 0.3)] = 7
    scl[(lay["cloud"] > 0.3) & (lay["cloud"] <= 0.7)] = 8
    scl[lay["cloud"] > 0.7] = 9
    scl[lay["saturated"]] = 1
    scl[lay["nodata"]] = 0
    return scl


def _detector_mask(g, scene, res=60):
    """Detector footprint ids (1..12) in slanted along-track stripes."""
    h, w = g.shape(res)
    x = g.ulx + (np.arange(w) + 0.5) * res
    y = g.uly - (np.arange(h) + 0.5) * res
    across = x[None, :] * math.cos(0.2) + y[:, None] * math.sin(0.2)
    det = (np.floor(across / 24000.0).astype(np.int64) % 12 + 1).astype(
        np.uint8)
    det[scene.nodata(x, y)] = 0
    return det
