"""The synthetic landscape and sky as functions of map coordinates: field
parcels, forest, water, clouds with saturated cores and their shadows, and
the no-data wedge at the swath edge.
"""

import math

import numpy as np

from .noise import _fbm, _hash, _key, _smoothstep, _unit, _value_noise

# Cloud field thresholds, calibrated so that roughly a quarter of a large
# area is cloudy with a small fraction of saturated cores.
_CLOUD_CELL = 800.0
_CLOUD_LOW = 0.555
_CLOUD_SOFT = 0.07
_CLOUD_CORE = 0.23
_CLOUD_SATURATION = 0.80

# The orientations a block of fields may take (see _Scene.layers).
_BLOCK_ANGLES = [(i / 255.0 - 0.5) * 0.9 for i in range(256)]
_BLOCK_COS = np.array([math.cos(a) for a in _BLOCK_ANGLES])
_BLOCK_SIN = np.array([math.sin(a) for a in _BLOCK_ANGLES])


class _Scene:
    """The synthetic landscape and sky, as a function of map coordinates.

    ``anchor`` is the upper-left corner of the westernmost granule of the
    product in this CRS and ``span`` the fixture tile width in metres; the
    no-data wedge (the swath edge) is placed relative to them.
    """

    def __init__(self, seed, anchor, span, sky_seed=None):
        self.seed = int(seed)
        self.ax, self.ay = anchor
        self.span = float(span)
        self.k = {n: _key(seed, n) for n in (
            "warp_x", "warp_y", "block", "field", "texture", "brightness",
            "forest", "water", "river", "cloud", "aot", "wvp", "veg_noise")}
        if sky_seed is not None:     # other clouds over the same ground
            self.k["cloud"] = _key(sky_seed, "cloud")

    def layers(self, x, y):
        """Scene components on the grid of column centres x, row centres y."""
        k = self.k
        h, w = len(y), len(x)
        xx = np.broadcast_to(x[None, :], (h, w))
        yy = np.broadcast_to(y[:, None], (h, w))

        # Field parcels: blocks (farms) of differently oriented rectangular
        # fields, with boundaries gently warped like hedgerows and lanes.
        wx = xx + 160.0 * (_value_noise(x, y, 900.0, k["warp_x"]) - 0.5)
        wy = yy + 160.0 * (_value_noise(x, y, 900.0, k["warp_y"]) - 0.5)
        bx = np.floor(wx / 1500.0).astype(np.int64)
        by = np.floor(wy / 1500.0).astype(np.int64)
        hb = _hash(bx, by, k["block"])
        # Orientation from a table rather than np.cos on each pixel: SIMD and
        # scalar code paths may round differently, and overlapping granules
        # must reproduce the very same field boundaries.
        ca = _BLOCK_COS[hb >> np.uint32(24)]
        sa = _BLOCK_SIN[hb >> np.uint32(24)]
        lx = wx * ca + wy * sa
        ly = wy * ca - wx * sa
        fw = 180.0 + 260.0 * _unit(hb * np.uint32(0x9E3779B1))
        fh = 110.0 + 160.0 * _unit(hb * np.uint32(0x85EBCA77))
        fx = np.floor(lx / fw).astype(np.int64)
        fy = np.floor(ly / fh).astype(np.int64)
        hf = _hash(fx + bx * 7919, fy + by * 104729, k["field"])
        kind = _unit(hf)
        vig = _unit(hf * np.uint32(0xC2B2AE35))
        crop = kind < 0.55
        bare = (kind >= 0.55) & (kind < 0.80)
        veg = np.where(crop, 0.55 + 0.40 * vig,
                       np.where(bare, 0.10 * vig, 0.40 + 0.30 * vig))
        veg = veg + 0.16 * (_value_noise(x, y, 60.0, k["veg_noise"]) - 0.5)
        veg = np.clip(veg, 0.0, 1.0).astype(np.float32)
        soil = (0.80 + 0.40 * _unit(hf * np.uint32(0x27D4EB2F))).astype(
            np.float32)

        # Smooth large-scale gradients (topography, soil moisture).
        bright = 0.85 + 0.30 * _fbm(x, y, 6000.0, 2, k["brightness"])
        texture = 1.0 + 0.10 * (_fbm(x, y, 80.0, 2, k["texture"]) - 0.5)

        forest = _fbm(x, y, 2500.0, 4, k["forest"]) > 0.63
        lakes = _fbm(x, y, 1800.0, 4, k["water"]) < 0.27
        river = np.abs(_fbm(x, y, 5000.0, 3, k["river"]) - 0.5) < 0.006
        water = lakes | river

        cloud_field = _fbm(x, y, _CLOUD_CELL, 5, k["cloud"])
        cloud = _smoothstep((cloud_field - _CLOUD_LOW) / _CLOUD_SOFT)
        depth = np.clip((cloud_field - _CLOUD_LOW) / _CLOUD_CORE, 0.0, 1.0)
        cloud_refl = 0.45 + 0.45 * depth
        saturated = cloud_field > _CLOUD_SATURATION
        # Shadows fall on the side away from the (southern) sun.
        x_sun, y_sun = x + 420.0, y - 650.0
        shadow_field = _fbm(x_sun, y_sun, _CLOUD_CELL, 5, k["cloud"])
        shadow = _smoothstep((shadow_field - _CLOUD_LOW) / _CLOUD_SOFT)

        return {
            "veg": veg, "soil": soil * bright, "bright": bright,
            "texture": texture, "forest": forest, "water": water,
            "cloud": cloud,
            "cloud_refl": cloud_refl, "saturated": saturated,
            "shadow": shadow * (1.0 - cloud), "nodata": self.nodata(x, y),
        }

    def nodata(self, x, y):
        """Swath-edge wedge in the south-west, snapped to the 60 m lattice.

        Snapping to whole 60 m cells makes the wedge cover exactly the same
        ground in every band, whatever its resolution.
        """
        cx = self.ax + (np.floor((x - self.ax) / 60.0) + 0.5) * 60.0
        cy = self.ay - (np.floor((self.ay - y) / 60.0) + 0.5) * 60.0
        u = (cx - self.ax) / self.span
        v = (self.ay - cy) / self.span
        return u[None, :] < 0.5 * (v[:, None] - 0.4)

    def smooth_field(self, x, y, name, cell):
        return _fbm(x, y, cell, 2, self.k[name])


def scene_layers(ulx, uly, res, width, height, *, seed=0, anchor=None,
                 span=None, sky_seed=None):
    """Scene components for an arbitrary grid (used by tests to know where
    clouds, water and the no-data wedge are).

    ``anchor`` defaults to (ulx, uly) and ``span`` to width*res, which is what
    a single-granule (compact) product uses. For multi-granule products pass
    the upper-left corner of the westernmost granule of the same zone and
    size*10. ``sky_seed``: as make_product takes it.
    """
    anchor = (ulx, uly) if anchor is None else anchor
    span = width * res if span is None else span
    scene = _Scene(seed, anchor, span, sky_seed)
    x = ulx + (np.arange(width) + 0.5) * res
    y = uly - (np.arange(height) + 0.5) * res
    return scene.layers(x, y)
