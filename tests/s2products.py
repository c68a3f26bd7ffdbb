"""Synthetic but structurally faithful Sentinel-2 products.

Real products cannot be downloaded in the test environment, so this module
writes small look-alikes: the real SAFE folder layouts and file names, root and
granule metadata XML carrying the elements GDAL's SENTINEL2 driver (and any
careful consumer) relies on, and georeferenced uint16 JPEG2000 bands with a
plausible scene (fields, forest, water, clouds with saturated cores, cloud
shadows and a no-data wedge at the swath edge).

Values are a pure function of (seed, band, map coordinates), so neighbouring
granules of a multi-granule product agree wherever they overlap.

Only numpy and the GDAL Python bindings are needed. Command line use::

    python3 tests/s2products.py OUTDIR [--size N] [--level L1C|L2A]
        [--layout compact|oper] [--bands B04,B03,B02] [--tiles 31UFQ,31UGQ]
        [--tile-grid 31UFQ,31UGQ] [--zip] [--jp2-block N] [--seed N]
        [--baseline NN.NN] [--sensing YYYYMMDDTHHMMSS]
        [--band-format JPEG2000|GeoTIFF]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import pathlib
import re
import shutil
import sys
import tempfile
import zipfile
import zlib

import numpy as np
from osgeo import gdal, gdal_array, osr

from s2files import checksum_kind, file_checksum, write_cog

__all__ = [
    "ALL_BANDS", "BANDS_10M", "BANDS_20M", "BANDS_60M", "L2A_BANDS",
    "L2A_FOLDER_BANDS", "BAND_RESOLUTION", "TILES", "make_product",
    "scene_layers", "granule_grid", "block_mean",
]

BANDS_10M = ("B02", "B03", "B04", "B08")
BANDS_20M = ("B05", "B06", "B07", "B8A", "B11", "B12")
BANDS_60M = ("B01", "B09", "B10")
ALL_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A",
             "B09", "B10", "B11", "B12")
# Level-2A drops the cirrus band (it only feeds the atmospheric correction).
L2A_BANDS = tuple(b for b in ALL_BANDS if b != "B10")
BAND_RESOLUTION = {b: 10 for b in BANDS_10M}
BAND_RESOLUTION.update({b: 20 for b in BANDS_20M})
BAND_RESOLUTION.update({b: 60 for b in BANDS_60M})
# Which spectral bands Sen2Cor writes into each IMG_DATA/Rxxm folder.
L2A_FOLDER_BANDS = {
    10: ("B02", "B03", "B04", "B08"),
    20: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B11", "B12"),
    60: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B11",
         "B12"),
}
# Non-spectral rasters, written when the whole product is requested or when
# named in ``bands``.
L1C_EXTRAS = ("TCI",)
TCI_FROM_BASELINE = (2, 4)
L2A_EXTRAS = ("TCI", "SCL", "AOT", "WVP")
L2A_EXTRA_RESOLUTIONS = {"TCI": (10, 20, 60), "SCL": (20, 60),
                         "AOT": (10, 20, 60), "WVP": (10, 20, 60)}

# Real MGRS tiles of the Sentinel-2 grid: EPSG code and upper-left corner of
# the 10980 x 10980 (10 m) tile. 31UFQ/31UGQ are east-west neighbours (their
# real overlap is 984 columns) and 32ULV is the overlapping tile of the next
# UTM zone, imaged by the same orbits. 31UFP/31UGP are the tiles south of
# 31UFQ/31UGQ.
TILES = {
    "31UFQ": (32631, 600000.0, 5500020.0),
    "31UGQ": (32631, 699960.0, 5500020.0),
    "31UFP": (32631, 600000.0, 5400000.0),
    "31UGP": (32631, 699960.0, 5400000.0),
    "32ULV": (32632, 300000.0, 5500020.0),
    "34UCF": (32634, 300000.0, 6100020.0),
}
TILE_PITCH = 99960.0      # distance between neighbouring tile origins (m)
FULL_TILE_PX = 10980      # 10 m pixels per side of a real tile
FULL_OVERLAP_PX = 984     # 10 m columns shared by real neighbours

QUANTIFICATION = 10000
OFFSET_FROM_BASELINE = (4, 0)  # first baseline with the radiometric offset
RADIO_OFFSET = -1000      # value written in the XML; DN = refl*1e4 - offset
NODATA_DN = 0
SATURATED_DN = 65535

DEFAULT_SENSING = "20230614T105629"
DEFAULT_OPER_SENSING = "20160315T105625"

_TIME_FMT = "%Y%m%dT%H%M%S"

_WAVELENGTHS = {  # band: (min, max, central) in nm, Sentinel-2B MSI
    "B01": (411, 456, 442.3), "B02": (456, 532, 492.3),
    "B03": (536, 582, 559.0), "B04": (646, 685, 665.0),
    "B05": (694, 714, 703.8), "B06": (730, 748, 739.1),
    "B07": (766, 794, 779.7), "B08": (774, 907, 833.0),
    "B8A": (848, 880, 864.0), "B09": (930, 957, 943.2),
    "B10": (1339, 1415, 1376.9), "B11": (1538, 1679, 1610.4),
    "B12": (2065, 2303, 2185.7),
}
_SOLAR_IRRADIANCE = {  # W/m2/um per band id
    "S2A": (1884.69, 1959.66, 1823.24, 1512.06, 1424.64, 1287.61, 1162.08,
            1041.63, 955.32, 812.92, 367.15, 245.59, 85.25),
    "S2B": (1874.30, 1959.75, 1824.93, 1512.79, 1425.78, 1291.13, 1175.57,
            1041.28, 953.93, 817.58, 365.41, 247.08, 87.75),
}

# Surface reflectance spectra (band order of ALL_BANDS).
_SPEC_VEG = np.array([0.025, 0.030, 0.060, 0.030, 0.100, 0.300, 0.380, 0.420,
                      0.440, 0.140, 0.004, 0.200, 0.090], np.float32)
_SPEC_SOIL = np.array([0.070, 0.080, 0.110, 0.140, 0.170, 0.190, 0.210, 0.230,
                       0.240, 0.090, 0.005, 0.300, 0.240], np.float32)
_SPEC_FOREST = np.array([0.020, 0.025, 0.045, 0.025, 0.070, 0.200, 0.260,
                         0.280, 0.300, 0.100, 0.003, 0.140, 0.060], np.float32)
_SPEC_WATER = np.array([0.060, 0.050, 0.050, 0.030, 0.025, 0.020, 0.018, 0.015,
                        0.014, 0.006, 0.001, 0.008, 0.005], np.float32)
# Clouds are nearly white; water and ice absorption darkens SWIR, and the
# cirrus band only sees the upper part of thick clouds.
_SPEC_CLOUD = np.array([1.00, 1.00, 1.00, 1.00, 1.00, 0.99, 0.98, 0.97, 0.97,
                        0.85, 0.55, 0.75, 0.55], np.float32)
# Top-of-atmosphere: path radiance added and surface signal attenuated. B10
# lies in a water-vapour absorption band, so the ground is nearly invisible.
_ATM_PATH = np.array([0.090, 0.060, 0.045, 0.025, 0.020, 0.015, 0.012, 0.010,
                      0.010, 0.005, 0.001, 0.003, 0.002], np.float32)
_ATM_TRANS = np.array([0.80, 0.85, 0.90, 0.93, 0.94, 0.95, 0.95, 0.96, 0.96,
                       0.70, 0.05, 0.97, 0.97], np.float32)

# Cloud field thresholds, calibrated so that roughly a quarter of a large
# area is cloudy with a small fraction of saturated cores.
_CLOUD_CELL = 800.0
_CLOUD_LOW = 0.555
_CLOUD_SOFT = 0.07
_CLOUD_CORE = 0.23
_CLOUD_SATURATION = 0.80


# --------------------------------------------------------------------------
# Procedural noise evaluated at map coordinates
# --------------------------------------------------------------------------

_BLOCK_ANGLES = [(i / 255.0 - 0.5) * 0.9 for i in range(256)]
_BLOCK_COS = np.array([math.cos(a) for a in _BLOCK_ANGLES])
_BLOCK_SIN = np.array([math.sin(a) for a in _BLOCK_ANGLES])


def _key(seed, name):
    return zlib.crc32(f"{int(seed)}:{name}".encode()) & 0xFFFFFFFF


def _hash(ix, iy, key):
    """Well-mixed uint32 hash of integer lattice coordinates."""
    h = (np.asarray(ix).astype(np.uint32) * np.uint32(0x8DA6B343)) ^ \
        (np.asarray(iy).astype(np.uint32) * np.uint32(0xD8163841)) ^ \
        np.uint32(key)
    h ^= h >> np.uint32(15)
    h *= np.uint32(0x2C1B3C6D)
    h ^= h >> np.uint32(12)
    h *= np.uint32(0x297A2D39)
    h ^= h >> np.uint32(15)
    return h


def _unit(h):
    return (h >> np.uint32(8)).astype(np.float32) * np.float32(1.0 / (1 << 24))


def _axis(coord, cell):
    g = coord / cell
    i = np.floor(g)
    f = (g - i).astype(np.float32)
    return i.astype(np.int64), f * f * (3.0 - 2.0 * f)


def _value_noise(x, y, cell, key, out=None, amp=1.0):
    """Smooth noise in [0, amp) on an axis-aligned lattice of ``cell`` metres.

    x is the (W,) vector of column centres and y the (H,) vector of row
    centres; the lattice is interpolated along x once per lattice row, then
    along y, which keeps the per-pixel cost to two row gathers and a few
    in-place operations. With ``out`` the noise is added to that array.
    """
    ix, sx = _axis(x, cell)
    iy, sy = _axis(y, cell)
    x0, y0 = ix.min(), iy.min()
    lat = _unit(_hash(np.arange(x0, ix.max() + 2)[None, :],
                      np.arange(y0, iy.max() + 2)[:, None], key))
    cx = ix - x0
    left, right = lat[:, cx], lat[:, cx + 1]
    rows = left + (right - left) * sx[None, :]
    if amp != 1.0:
        rows *= np.float32(amp)
    step = rows[1:] - rows[:-1]
    cy = iy - y0
    if out is None:
        out = rows[cy]
    else:
        out += rows[cy]
    ramp = step[cy]
    ramp *= sy[:, None]
    out += ramp
    return out


def _fbm(x, y, cell, octaves, key):
    total = None
    norm = 0.0
    for o in range(octaves):
        amp = 0.5 ** o
        total = _value_noise(x, y, cell / (2 ** o),
                             (key + 7919 * o) & 0xFFFFFFFF, total, amp)
        norm += amp
    total /= np.float32(norm)
    return total


def _smoothstep(t):
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


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


def _reflectance(lay, band, level):
    """Reflectance (TOA for L1C, BOA for L2A) of one band, float32."""
    i = ALL_BANDS.index(band)
    veg = lay["veg"]
    land = (_SPEC_SOIL[i] * lay["soil"] * (1.0 - veg) + _SPEC_VEG[i] * veg)
    land = np.where(lay["forest"], _SPEC_FOREST[i] * lay["bright"], land)
    land = land * lay["texture"]
    land = np.where(lay["water"], _SPEC_WATER[i], land)
    land = land * (1.0 - 0.55 * lay["shadow"])
    if level == "L1C":
        land = land * _ATM_TRANS[i] + _ATM_PATH[i]
    cloud = lay["cloud"]
    return land * (1.0 - cloud) + (_SPEC_CLOUD[i] * lay["cloud_refl"]) * cloud


#: Sensor noise (standard deviation, in reflectance) of a pixel at
#: reflectance 0.1: 8 DN, in line with the MSI's signal-to-noise ratios of
#: about 100 to 170 at its reference radiances. It grows as the square root
#: of the signal (photon noise). It is what keeps real bands
#: from compressing as well as smooth synthetic fields do, and so what makes
#: their JPEG2000 decoding cost what it does.
SENSOR_NOISE = 0.0008


def _add_sensor_noise(refl, x, y, res, key):
    """Add white noise to ``refl`` in place, drawn from the pixel's map
    position, so overlapping granules carry the very same noise."""
    h = _hash(np.floor(x / res).astype(np.int64)[None, :],
              np.floor(y / res).astype(np.int64)[:, None], key)
    # Two 16-bit uniforms summed: a triangular draw on (-1, 1), sd 1/sqrt(6).
    tri = ((h & np.uint32(0xFFFF)).astype(np.float32)
           + (h >> np.uint32(16)).astype(np.float32)) * np.float32(1 / 65536.0)
    tri -= np.float32(1.0)
    scale = np.sqrt(np.maximum(refl, 0.0) * np.float32(10.0))
    scale *= np.float32(SENSOR_NOISE * math.sqrt(6.0))
    refl += tri * scale
    return refl


def _to_dn(refl, lay, add):
    dn = np.floor(refl * QUANTIFICATION + 0.5) + add
    dn = np.clip(dn, 1, SATURATED_DN - 1).astype(np.uint16)
    dn[lay["saturated"]] = SATURATED_DN
    dn[lay["nodata"]] = NODATA_DN
    return dn


def block_mean(arr, factor):
    """Aggregate a DN raster by ``factor`` the way the coarse L2A bands are.

    Each output pixel is the rounded mean of the valid input pixels it covers;
    if none is valid it is SATURATED when any input is saturated, else NODATA.
    """
    arr = np.asarray(arr)
    if factor == 1:
        return arr.copy()
    h, w = arr.shape[0] // factor, arr.shape[1] // factor
    out = np.empty((h, w), np.uint16)
    step = max(1, 2_000_000 // max(1, w * factor * factor))
    for r0 in range(0, h, step):
        r1 = min(h, r0 + step)
        blk = arr[r0 * factor:r1 * factor].reshape(r1 - r0, factor, w, factor)
        valid = (blk != NODATA_DN) & (blk != SATURATED_DN)
        total = np.where(valid, blk, 0).sum(axis=(1, 3), dtype=np.int64)
        count = valid.sum(axis=(1, 3))
        mean = np.floor(total / np.maximum(count, 1) + 0.5).astype(np.uint16)
        sat = (blk == SATURATED_DN).any(axis=(1, 3))
        out[r0:r1] = np.where(count > 0, mean,
                              np.where(sat, SATURATED_DN, NODATA_DN))
    return out


# --------------------------------------------------------------------------
# Product geometry and naming
# --------------------------------------------------------------------------

class _Granule:
    def __init__(self, tile, epsg, ulx, uly, size):
        self.tile = tile
        self.epsg = epsg
        self.ulx = ulx
        self.uly = uly
        self.size = size
        self.name = self.mtd_name = self.identifier = None
        self.band_prefix = self.qi_stem = self.pvi = None

    def shape(self, res):
        n = self.size * 10 // res
        return n, n

    def geotransform(self, res):
        return (self.ulx, float(res), 0.0, self.uly, 0.0, -float(res))

    def corners(self):
        e = self.size * 10.0
        return [(self.ulx, self.uly), (self.ulx + e, self.uly),
                (self.ulx + e, self.uly - e), (self.ulx, self.uly - e)]


def _overlap_px(size):
    ov = 6 * max(1, int(round(size * FULL_OVERLAP_PX / FULL_TILE_PX / 6.0)))
    return max(0, min(ov, size - 6))


def granule_grid(tiles, size):
    """Fixture placement of ``tiles``: list of (tile, epsg, ulx, uly).

    The first tile of each UTM zone sits at its real upper-left corner; other
    tiles of that zone keep their real position in the tile grid, but with the
    grid pitch shrunk to the fixture size so that neighbours overlap by a
    strip of whole 60 m cells, the way real neighbours overlap by 9840 m.
    """
    step = (size - _overlap_px(size)) * 10.0
    first = {}
    out = []
    for tile in tiles:
        if tile not in TILES:
            raise ValueError(f"unknown tile {tile!r}; known: {sorted(TILES)}")
        epsg, ulx, uly = TILES[tile]
        if epsg not in first:
            first[epsg] = (ulx, uly)
            out.append((tile, epsg, ulx, uly))
            continue
        fx, fy = first[epsg]
        di = round((ulx - fx) / TILE_PITCH)
        dj = round((fy - uly) / TILE_PITCH)
        out.append((tile, epsg, fx + di * step, fy - dj * step))
    return out


def scene_layers(ulx, uly, res, width, height, *, seed=0, anchor=None,
                 span=None):
    """Scene components for an arbitrary grid (used by tests to know where
    clouds, water and the no-data wedge are).

    ``anchor`` defaults to (ulx, uly) and ``span`` to width*res, which is what
    a single-granule (compact) product uses. For multi-granule products pass
    the upper-left corner of the westernmost granule of the same zone and
    size*10.
    """
    anchor = (ulx, uly) if anchor is None else anchor
    span = width * res if span is None else span
    scene = _Scene(seed, anchor, span)
    x = ulx + (np.arange(width) + 0.5) * res
    y = uly - (np.arange(height) + 0.5) * res
    return scene.layers(x, y)


def _utc(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def _tile_grid(tiles, tile_grid):
    """The tiles to place: ``tile_grid`` (which must hold ``tiles``),
    else ``tiles``."""
    if tile_grid is None:
        return tiles
    if isinstance(tile_grid, str):
        tile_grid = [t for t in tile_grid.split(",") if t]
    tile_grid = [t.upper().lstrip("T") for t in tile_grid]
    if not set(tiles) <= set(tile_grid):
        raise ValueError(f"tile_grid {tile_grid} must hold the tiles {tiles}")
    return tile_grid


def _baseline_tuple(baseline):
    return tuple(int(p) for p in baseline.split("."))


def _absolute_orbit(spacecraft, when):
    # 143 orbits per 10-day repeat cycle, counted from a known acquisition.
    ref_time, ref_orbit = {
        "S2A": (dt.datetime(2016, 3, 15, 10, 56, 25), 3826),
        "S2B": (dt.datetime(2023, 6, 14, 10, 56, 29), 32733),
    }[spacecraft]
    days = (when - ref_time).total_seconds() / 86400.0
    return max(1, ref_orbit + int(round(days * 14.3)))


class _Names:
    """Every name and time stamp of one product, following the PSD."""

    def __init__(self, level, layout, baseline, sensing, granules):
        self.level, self.layout, self.baseline = level, layout, baseline
        self.t = sensing
        self.lv = "L1C" if level == "L1C" else "L2A"
        if layout == "oper" or sensing < dt.datetime(2017, 7, 1):
            self.sc = "S2A"
        else:
            self.sc = "S2B"
        self.spacecraft_name = "Sentinel-2" + self.sc[-1]
        self.orbit_rel = 94
        self.orbit_abs = _absolute_orbit(self.sc, sensing)
        self.ts = sensing.strftime(_TIME_FMT)
        self.ds_start = sensing - dt.timedelta(seconds=6)
        self.nbase = "N" + baseline.replace(".", "")
        self.base_dotted = "N" + baseline
        hours = 2 if level == "L1C" else 3
        self.generation = sensing + dt.timedelta(hours=hours, minutes=3,
                                                 seconds=31)
        gen = self.generation.strftime(_TIME_FMT)
        if layout == "compact":
            self.station = (f"{self.sc[1:]}PS" if _baseline_tuple(baseline)
                            >= OFFSET_FROM_BASELINE else "SGS_")
            self.safe = (f"{self.sc}_MSI{self.lv}_{self.ts}_{self.nbase}_"
                         f"R{self.orbit_rel:03d}_T{granules[0].tile}_{gen}")
            self.root_mtd = f"MTD_MSI{self.lv}.xml"
            self.datastrip_dir = (f"DS_{self.station}_{gen}_S"
                                  f"{self.ds_start.strftime(_TIME_FMT)}")
            self.datastrip_mtd = "MTD_DS.xml"
            self.datastrip_id = (
                f"{self.sc}_OPER_MSI_{self.lv}_DS_{self.station}_{gen}_S"
                f"{self.ds_start.strftime(_TIME_FMT)}_{self.base_dotted}")
            for g in granules:
                g.name = (f"{self.lv}_T{g.tile}_A{self.orbit_abs:06d}_"
                          f"{self.ds_start.strftime(_TIME_FMT)}")
                g.mtd_name = "MTD_TL.xml"
                g.identifier = (
                    f"{self.sc}_OPER_MSI_{self.lv}_TL_{self.station}_{gen}_"
                    f"A{self.orbit_abs:06d}_T{g.tile}_{self.base_dotted}")
                g.band_prefix = f"T{g.tile}_{self.ts}_"
        else:
            self.station = "SGS_"
            pdmc = (sensing + dt.timedelta(hours=4, minutes=44,
                                           seconds=55)).strftime(_TIME_FMT)
            proc = (sensing + dt.timedelta(hours=2, minutes=44,
                                           seconds=53)).strftime(_TIME_FMT)
            tail = f"R{self.orbit_rel:03d}_V{self.ts}_{self.ts}"
            self.safe = f"{self.sc}_OPER_PRD_MSIL1C_PDMC_{pdmc}_{tail}"
            self.root_mtd = f"{self.sc}_OPER_MTD_SAFL1C_PDMC_{pdmc}_{tail}.xml"
            self.datastrip_dir = (f"{self.sc}_OPER_MSI_L1C_DS_SGS__{proc}_S"
                                  f"{self.ts}_{self.base_dotted}")
            self.datastrip_mtd = (f"{self.sc}_OPER_MTD_L1C_DS_SGS__{proc}_S"
                                  f"{self.ts}.xml")
            self.datastrip_id = self.datastrip_dir
            for g in granules:
                stem = (f"{self.sc}_OPER_MSI_L1C_TL_SGS__{proc}_"
                        f"A{self.orbit_abs:06d}_T{g.tile}")
                g.name = f"{stem}_{self.base_dotted}"
                g.identifier = g.name
                g.mtd_name = stem.replace("_MSI_", "_MTD_", 1) + ".xml"
                g.band_prefix = stem + "_"
                g.qi_stem = (f"{self.sc}_OPER_MSK_{{kind}}_SGS__{proc}_A"
                             f"{self.orbit_abs:06d}_T{g.tile}_{{band}}_MSIL1C")
                g.pvi = (f"{self.sc}_OPER_PVI_L1C_TL_SGS__{proc}_"
                         f"A{self.orbit_abs:06d}_T{g.tile}.jp2")


# --------------------------------------------------------------------------
# Raster writing
# --------------------------------------------------------------------------

def _srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(int(epsg))
    return s


def _write_jp2(path, array, geotransform, epsg, block, reversible=True):
    """Write a (bands, rows, cols) or (rows, cols) array as georeferenced JP2.

    The in-memory dataset wraps the numpy buffer, so no second copy of a
    full-size band is made before encoding.
    """
    array = np.ascontiguousarray(array)
    src = gdal_array.OpenArray(array)
    if src is None:
        raise RuntimeError(gdal.GetLastErrorMsg())
    src.SetGeoTransform(geotransform)
    src.SetProjection(_srs(epsg).ExportToWkt())
    # The driver clamps the tile size to the image size by itself.
    options = [f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}"]
    if reversible:
        options += ["REVERSIBLE=YES", "QUALITY=100"]
    else:
        options += ["QUALITY=50"]
    if src.RasterCount == 3:
        options.append("YCC=NO")
    out = gdal.GetDriverByName("JP2OpenJPEG").CreateCopy(
        str(path), src, 0, options)
    if out is None:
        raise RuntimeError(f"cannot write {path}: {gdal.GetLastErrorMsg()}")
    out = None
    src = None
    aux = pathlib.Path(str(path) + ".aux.xml")
    if aux.exists():
        aux.unlink()


def _tci(b04, b03, b02, add):
    """True colour composite: reflectance 0..0.2 mapped to 1..255."""
    out = np.empty((3,) + b04.shape, np.uint8)
    for i, arr in enumerate((b04, b03, b02)):
        scaled = arr.astype(np.float32) - add  # reflectance * 10000
        v = np.clip(np.floor(scaled * (255.0 / 2000.0) + 0.5), 1, 255)
        v[arr == NODATA_DN] = 0
        v[arr == SATURATED_DN] = 255
        out[i] = v.astype(np.uint8)
    return out


def _resample(arr, src_res, dst_res):
    if dst_res == src_res:
        return arr
    if dst_res > src_res:
        return block_mean(arr, dst_res // src_res)
    k = src_res // dst_res
    return np.repeat(np.repeat(arr, k, axis=0), k, axis=1)


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
            scl[r0:r1] = _scene_classification(lay)
        if cld is not None:
            c = np.floor(lay["cloud"] * 100.0 + 0.5).astype(np.uint8)
            c[lay["nodata"]] = 0
            cld[r0:r1] = c
    return out, stats, scl, cld


def _scene_classification(lay):
    """Sen2Cor-like SCL classes derived from the scene components."""
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


# --------------------------------------------------------------------------
# Metadata XML
# --------------------------------------------------------------------------

def _lonlat(epsg, pts):
    src = _srs(epsg)
    dst = _srs(4326)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(src, dst)
    return [tuple(tr.TransformPoint(float(x), float(y))[:2]) for x, y in pts]


def _clip_halfplane(poly, inside):
    """Sutherland-Hodgman clip of a polygon by the half plane f(p) >= 0."""
    out = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        fp, fq = inside(p), inside(q)
        if fp >= 0:
            out.append(p)
        if (fp >= 0) != (fq >= 0):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _convex_hull(points):
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _footprint(granules, scenes):
    """Product data footprint (lon, lat), the valid area of all granules."""
    pts = []
    for g in granules:
        sc = scenes[g.epsg]

        def valid_side(p, sc=sc):
            u = (p[0] - sc.ax) / sc.span
            v = (sc.ay - p[1]) / sc.span
            return u - 0.5 * (v - 0.4)

        poly = _clip_halfplane(g.corners(), valid_side)
        pts += _lonlat(g.epsg, poly)
    hull = _convex_hull(pts)
    # Counter-clockwise hull; the PSD lists the ring clockwise and closed.
    ring = list(reversed(hull))
    return ring + ring[:1]


def _granule_list(granules, image_files, datastrip_id, element, child,
                  image_format="JPEG2000"):
    """The root metadata's Granule_List entries: compact products name each
    granule <Granule> with IMAGE_FILE paths, OPER ones <Granules> with
    IMAGE_ID names; ``image_format`` says what the band files are."""
    xml = ""
    for g in granules:
        files = "".join(f"\n            <{child}>{f}</{child}>"
                        for f in image_files[g.tile])
        xml += f"""
        <Granule_List>
          <{element} datastripIdentifier="{datastrip_id}" granuleIdentifier="{g.identifier}" imageFormat="{image_format}">{files}
          </{element}>
        </Granule_List>"""
    return xml


def _pos_list(ring):
    return " ".join(f"{lat:.12g} {lon:.12g}" for lon, lat in ring)


def _sun_angles(lon, lat, when):
    """Solar zenith and azimuth (degrees) from a low-precision ephemeris."""
    doy = when.timetuple().tm_yday
    hour = when.hour + when.minute / 60.0 + when.second / 3600.0
    g = 2.0 * math.pi / 365.0 * (doy - 1 + (hour - 12) / 24.0)
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
            - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
            - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))
    eqt = 229.18 * (0.000075 + 0.001868 * math.cos(g)
                    - 0.032077 * math.sin(g) - 0.014615 * math.cos(2 * g)
                    - 0.040849 * math.sin(2 * g))
    tst = hour * 60.0 + eqt + 4.0 * lon
    ha = math.radians(tst / 4.0 - 180.0)
    phi = math.radians(lat)
    cos_z = (math.sin(phi) * math.sin(decl)
             + math.cos(phi) * math.cos(decl) * math.cos(ha))
    zen = math.acos(max(-1.0, min(1.0, cos_z)))
    az = math.degrees(math.atan2(
        math.sin(ha), math.cos(ha) * math.sin(phi)
        - math.tan(decl) * math.cos(phi))) + 180.0
    return math.degrees(zen), az % 360.0


def _earth_sun_u(when):
    doy = when.timetuple().tm_yday
    return 1.0 / (1.0 - 0.01673 * math.cos(0.0172 * (doy - 4))) ** 2


def _special_values():
    return """
      <Special_Values>
        <SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>
        <SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX>
      </Special_Values>
      <Special_Values>
        <SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT>
        <SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX>
      </Special_Values>
      <Image_Display_Order>
        <RED_CHANNEL>3</RED_CHANNEL>
        <GREEN_CHANNEL>2</GREEN_CHANNEL>
        <BLUE_CHANNEL>1</BLUE_CHANNEL>
      </Image_Display_Order>"""


def _spectral_information(sc):
    lines = []
    for i, b in enumerate(ALL_BANDS):
        lo, hi, centre = _WAVELENGTHS[b]
        phys = "B8A" if b == "B8A" else f"B{int(b[1:])}"
        lines.append(f"""
        <Spectral_Information bandId="{i}" physicalBand="{phys}">
          <RESOLUTION>{BAND_RESOLUTION[b]}</RESOLUTION>
          <Wavelength>
            <MIN unit="nm">{lo}</MIN>
            <MAX unit="nm">{hi}</MAX>
            <CENTRAL unit="nm">{centre}</CENTRAL>
          </Wavelength>
        </Spectral_Information>""")
    irr = "".join(
        f'\n          <SOLAR_IRRADIANCE bandId="{i}" unit="W/m²/µm">{v}'
        f"</SOLAR_IRRADIANCE>"
        for i, v in enumerate(_SOLAR_IRRADIANCE[sc]))
    return irr, "".join(lines)


def _offset_list(level, with_offset):
    if not with_offset:
        return ""
    tag = "RADIO_ADD_OFFSET" if level == "L1C" else "BOA_ADD_OFFSET"
    wrap = ("Radiometric_Offset_List" if level == "L1C"
            else "BOA_ADD_OFFSET_VALUES_LIST")
    items = "".join(f'\n        <{tag} band_id="{i}">{RADIO_OFFSET}</{tag}>'
                    for i in range(len(ALL_BANDS)))
    return f"\n      <{wrap}>{items}\n      </{wrap}>"


_SCL_CLASSES = (
    (0, "SC_NODATA"), (1, "SC_SATURATED_DEFECTIVE"),
    (2, "SC_DARK_FEATURE_SHADOW"),
    (3, "SC_CLOUD_SHADOW"), (4, "SC_VEGETATION"), (5, "SC_NOT_VEGETATED"),
    (6, "SC_WATER"), (7, "SC_UNCLASSIFIED"), (8, "SC_CLOUD_MEDIUM_PROBA"),
    (9, "SC_CLOUD_HIGH_PROBA"), (10, "SC_THIN_CIRRUS"), (11, "SC_SNOW_ICE"),
)


def _root_mtd(n, granules, image_files, footprint, cloud_pct, with_offset,
              image_format="JPEG2000"):
    lv = n.lv
    level_word = "Level-1C" if lv == "L1C" else "Level-2A"
    psd = "psd-14" if n.layout == "compact" else "psd-12"
    ns = (f"https://{psd}.sentinel2.eo.esa.int/PSD/"
          f"User_Product_{level_word}.xsd")
    start = _utc(n.t) + ".024Z"
    irr, spectral = _spectral_information(n.sc)
    doi = ""
    if _baseline_tuple(n.baseline) >= OFFSET_FROM_BASELINE:
        doi = ("\n      <PRODUCT_DOI>https://doi.org/10.5270/S2_-"
               + ("742ikth" if lv == "L1C" else "znk9xsj") + "</PRODUCT_DOI>")
    if n.layout == "compact":
        query = """
      <Query_Options completeSingleTile="true">
        <PRODUCT_FORMAT>SAFE_COMPACT</PRODUCT_FORMAT>
      </Query_Options>"""
        granule_xml = _granule_list(granules, image_files, n.datastrip_id,
                                    "Granule", "IMAGE_FILE", image_format)
    else:
        band_list = "".join(
            f"\n          <BAND_NAME>{'B8A' if b == 'B8A' else 'B' + str(int(b[1:]))}</BAND_NAME>"
            for b in ALL_BANDS)
        query = f"""
      <Query_Options>
        <Aux_List/>
        <Band_List>{band_list}
        </Band_List>
        <METADATA_LEVEL>Standard</METADATA_LEVEL>
        <PRODUCT_FORMAT>SAFE</PRODUCT_FORMAT>
        <AGGREGATION_FLAG>true</AGGREGATION_FLAG>
      </Query_Options>"""
        granule_xml = _granule_list(granules, image_files, n.datastrip_id,
                                    "Granules", "IMAGE_ID")
    if lv == "L1C":
        quant = ('\n      <QUANTIFICATION_VALUE unit="none">'
                 f"{QUANTIFICATION}</QUANTIFICATION_VALUE>")
        scl = ""
        gains = "".join(
            f'\n      <PHYSICAL_GAINS bandId="{i}">{g:.8f}</PHYSICAL_GAINS>'
            for i, g in enumerate((3.9, 4.0, 4.3, 5.1, 5.3, 5.7, 5.9, 4.3, 6.5,
                                   23.4, 55.8, 31.4, 90.1)))
    else:
        quant = f"""
      <QUANTIFICATION_VALUES_LIST>
        <BOA_QUANTIFICATION_VALUE unit="none">{QUANTIFICATION}</BOA_QUANTIFICATION_VALUE>
        <AOT_QUANTIFICATION_VALUE unit="none">1000.0</AOT_QUANTIFICATION_VALUE>
        <WVP_QUANTIFICATION_VALUE unit="cm">1000.0</WVP_QUANTIFICATION_VALUE>
      </QUANTIFICATION_VALUES_LIST>"""
        scl = "\n      <Scene_Classification_List>" + "".join(f"""
        <Scene_Classification_ID>
          <SCENE_CLASSIFICATION_TEXT>{t}</SCENE_CLASSIFICATION_TEXT>
          <SCENE_CLASSIFICATION_INDEX>{i}</SCENE_CLASSIFICATION_INDEX>
        </Scene_Classification_ID>""" for i, t in _SCL_CLASSES) + \
            "\n      </Scene_Classification_List>"
        gains = ""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:{level_word}_User_Product xmlns:n1="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{ns}">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{start}</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>{start}</PRODUCT_STOP_TIME>
      <PRODUCT_URI>{n.safe}.SAFE</PRODUCT_URI>
      <PROCESSING_LEVEL>{level_word}</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI{lv[1:]}</PRODUCT_TYPE>
      <PROCESSING_BASELINE>{n.baseline}</PROCESSING_BASELINE>{doi}
      <GENERATION_TIME>{_utc(n.generation)}.000000Z</GENERATION_TIME>
      <PREVIEW_IMAGE_URL>Not applicable</PREVIEW_IMAGE_URL>
      <PREVIEW_GEO_INFO>Not applicable</PREVIEW_GEO_INFO>
      <Datatake datatakeIdentifier="G{n.sc}_{n.ts}_{n.orbit_abs:06d}_{n.base_dotted}">
        <SPACECRAFT_NAME>{n.spacecraft_name}</SPACECRAFT_NAME>
        <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
        <DATATAKE_SENSING_START>{start}</DATATAKE_SENSING_START>
        <SENSING_ORBIT_NUMBER>{n.orbit_rel}</SENSING_ORBIT_NUMBER>
        <SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
      </Datatake>{query}
      <Product_Organisation>{granule_xml}
      </Product_Organisation>
    </Product_Info>
    <Product_Image_Characteristics>{_special_values()}{quant}{_offset_list(lv, with_offset)}
      <Reflectance_Conversion>
        <U>{_earth_sun_u(n.t):.14f}</U>
        <Solar_Irradiance_List>{irr}
        </Solar_Irradiance_List>
      </Reflectance_Conversion>
      <Spectral_Information_List>{spectral}
      </Spectral_Information_List>{gains}{scl}
      <REFERENCE_BAND>1</REFERENCE_BAND>
    </Product_Image_Characteristics>
  </n1:General_Info>
  <n1:Geometric_Info>
    <Product_Footprint>
      <Product_Footprint>
        <Global_Footprint>
          <EXT_POS_LIST>{_pos_list(footprint)}</EXT_POS_LIST>
        </Global_Footprint>
      </Product_Footprint>
      <RASTER_CS_TYPE>POINT</RASTER_CS_TYPE>
      <PIXEL_ORIGIN>1</PIXEL_ORIGIN>
    </Product_Footprint>
    <Coordinate_Reference_System>
      <GEO_TABLES version="1">EPSG</GEO_TABLES>
      <HORIZONTAL_CS_TYPE>GEOGRAPHIC</HORIZONTAL_CS_TYPE>
    </Coordinate_Reference_System>
  </n1:Geometric_Info>
  <n1:Auxiliary_Data_Info>
    <PRODUCTION_DEM_TYPE>S2__OPER_DEM_GLOBEF_PDMC_19800101T000000_S19800101T000000</PRODUCTION_DEM_TYPE>
    <IERS_BULLETIN_FILENAME>S2__OPER_AUX_UT1UTC_PDMC_{n.t.strftime('%Y%m%d')}T000000_V{n.t.strftime('%Y%m%d')}T000000_{n.t.year + 1}{n.t.strftime('%m%d')}T000000</IERS_BULLETIN_FILENAME>
  </n1:Auxiliary_Data_Info>
  <n1:Quality_Indicators_Info>
    <Cloud_Coverage_Assessment>{cloud_pct:.4f}</Cloud_Coverage_Assessment>
    <Technical_Quality_Assessment>
      <DEGRADED_ANC_DATA_PERCENTAGE>0.0</DEGRADED_ANC_DATA_PERCENTAGE>
      <DEGRADED_MSI_DATA_PERCENTAGE>0</DEGRADED_MSI_DATA_PERCENTAGE>
    </Technical_Quality_Assessment>
    <Quality_Control_Checks>
      <Quality_Inspections>
        <quality_check checkType="SENSOR_QUALITY">PASSED</quality_check>
        <quality_check checkType="GEOMETRIC_QUALITY">PASSED</quality_check>
        <quality_check checkType="GENERAL_QUALITY">PASSED</quality_check>
        <quality_check checkType="FORMAT_CORRECTNESS">PASSED</quality_check>
        <quality_check checkType="RADIOMETRIC_QUALITY">PASSED</quality_check>
      </Quality_Inspections>
    </Quality_Control_Checks>
  </n1:Quality_Indicators_Info>
</n1:{level_word}_User_Product>
"""


def _angles_grid(value_fn):
    rows = []
    for j in range(23):
        rows.append(" ".join(f"{value_fn(i, j):.6g}" for i in range(23)))
    return "".join(f"\n              <VALUES>{r}</VALUES>" for r in rows)


def _tile_mtd(n, g, stats, masks_xml, pvi_name):
    lv = n.lv
    level_word = "Level-1C" if lv == "L1C" else "Level-2A"
    psd = "psd-14" if n.layout == "compact" else "psd-12"
    ns = (f"https://{psd}.sentinel2.eo.esa.int/PSD/"
          f"S2_PDI_{level_word}_Tile_Metadata.xsd")
    zone = g.epsg - 32600
    size_xml = "".join(f"""
      <Size resolution="{r}">
        <NROWS>{g.shape(r)[0]}</NROWS>
        <NCOLS>{g.shape(r)[1]}</NCOLS>
      </Size>""" for r in (10, 20, 60))
    geo_xml = "".join(f"""
      <Geoposition resolution="{r}">
        <ULX>{g.ulx:.0f}</ULX>
        <ULY>{g.uly:.0f}</ULY>
        <XDIM>{r}</XDIM>
        <YDIM>-{r}</YDIM>
      </Geoposition>""" for r in (10, 20, 60))
    cx = g.ulx + g.size * 5.0
    cy = g.uly - g.size * 5.0
    lon, lat = _lonlat(g.epsg, [(cx, cy)])[0]
    sensing = n.t + dt.timedelta(seconds=3, microseconds=456000)
    zen, az = _sun_angles(lon, lat, sensing)
    zen_grid = _angles_grid(
        lambda i, j: zen + 0.02 * (j - 11) - 0.01 * (i - 11))
    az_grid = _angles_grid(lambda i, j: az + 0.03 * (i - 11))
    view = "".join(f"""
        <Mean_Viewing_Incidence_Angle bandId="{i}">
          <ZENITH_ANGLE unit="deg">{4.2 + 0.05 * i:.4f}</ZENITH_ANGLE>
          <AZIMUTH_ANGLE unit="deg">{104.1 + 0.3 * i:.4f}</AZIMUTH_ANGLE>
        </Mean_Viewing_Incidence_Angle>""" for i in range(len(ALL_BANDS)))
    valid = max(1, stats["valid"])
    total = max(1, stats["valid"] + stats["nodata"])
    cloud_pct = 100.0 * stats["cloud"] / valid
    qi = f"""
      <CLOUDY_PIXEL_PERCENTAGE>{cloud_pct:.4f}</CLOUDY_PIXEL_PERCENTAGE>
      <DEGRADED_MSI_DATA_PERCENTAGE>0</DEGRADED_MSI_DATA_PERCENTAGE>
      <SNOW_PIXEL_PERCENTAGE>0.000000</SNOW_PIXEL_PERCENTAGE>"""
    if lv == "L2A":
        qi += f"""
      <NODATA_PIXEL_PERCENTAGE>{100.0 * stats['nodata'] / total:.6f}</NODATA_PIXEL_PERCENTAGE>
      <SATURATED_DEFECTIVE_PIXEL_PERCENTAGE>{100.0 * stats['saturated'] / valid:.6f}</SATURATED_DEFECTIVE_PIXEL_PERCENTAGE>
      <CLOUD_SHADOW_PERCENTAGE>{100.0 * stats['shadow'] / valid:.6f}</CLOUD_SHADOW_PERCENTAGE>
      <VEGETATION_PERCENTAGE>{100.0 * stats['veg'] / valid:.6f}</VEGETATION_PERCENTAGE>
      <WATER_PERCENTAGE>{100.0 * stats['water'] / valid:.6f}</WATER_PERCENTAGE>
      <HIGH_PROBA_CLOUDS_PERCENTAGE>{cloud_pct:.6f}</HIGH_PROBA_CLOUDS_PERCENTAGE>
      <THIN_CIRRUS_PERCENTAGE>0.000000</THIN_CIRRUS_PERCENTAGE>"""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:{level_word}_Tile_ID xmlns:n1="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{ns}">
  <n1:General_Info>
    <TILE_ID metadataLevel="Brief">{g.identifier}</TILE_ID>
    <DATASTRIP_ID metadataLevel="Standard">{n.datastrip_id}</DATASTRIP_ID>
    <DOWNLINK_PRIORITY metadataLevel="Standard">NOMINAL</DOWNLINK_PRIORITY>
    <SENSING_TIME metadataLevel="Standard">{_utc(sensing)}.456000Z</SENSING_TIME>
    <Archiving_Info metadataLevel="Expertise">
      <ARCHIVING_CENTRE>{n.station}</ARCHIVING_CENTRE>
      <ARCHIVING_TIME>{_utc(n.generation)}.000000Z</ARCHIVING_TIME>
    </Archiving_Info>
  </n1:General_Info>
  <n1:Geometric_Info>
    <Tile_Geocoding metadataLevel="Brief">
      <HORIZONTAL_CS_NAME>WGS84 / UTM zone {zone}N</HORIZONTAL_CS_NAME>
      <HORIZONTAL_CS_CODE>EPSG:{g.epsg}</HORIZONTAL_CS_CODE>{size_xml}{geo_xml}
    </Tile_Geocoding>
    <Tile_Angles metadataLevel="Standard">
      <Sun_Angles_Grid>
        <Zenith>
          <COL_STEP unit="m">5000</COL_STEP>
          <ROW_STEP unit="m">5000</ROW_STEP>
          <Values_List>{zen_grid}
          </Values_List>
        </Zenith>
        <Azimuth>
          <COL_STEP unit="m">5000</COL_STEP>
          <ROW_STEP unit="m">5000</ROW_STEP>
          <Values_List>{az_grid}
          </Values_List>
        </Azimuth>
      </Sun_Angles_Grid>
      <Mean_Sun_Angle>
        <ZENITH_ANGLE unit="deg">{zen:.10f}</ZENITH_ANGLE>
        <AZIMUTH_ANGLE unit="deg">{az:.10f}</AZIMUTH_ANGLE>
      </Mean_Sun_Angle>
      <Mean_Viewing_Incidence_Angle_List>{view}
      </Mean_Viewing_Incidence_Angle_List>
    </Tile_Angles>
  </n1:Geometric_Info>
  <n1:Quality_Indicators_Info metadataLevel="Standard">
    <Image_Content_QI>{qi}
    </Image_Content_QI>
    <Pixel_Level_QI geometry="FULL_RESOLUTION">{masks_xml}
    </Pixel_Level_QI>
    <PVI_FILENAME>{pvi_name}</PVI_FILENAME>
  </n1:Quality_Indicators_Info>
</n1:{level_word}_Tile_ID>
"""


def _datastrip_mtd(n, granules):
    level_word = "Level-1C" if n.lv == "L1C" else "Level-2A"
    psd = "psd-14" if n.layout == "compact" else "psd-12"
    ns = (f"https://{psd}.sentinel2.eo.esa.int/PSD/"
          f"S2_PDI_{level_word}_Datastrip_Metadata.xsd")
    start = _utc(n.ds_start) + ".000000Z"
    stop = _utc(n.t + dt.timedelta(seconds=40)) + ".000000Z"
    tiles = "".join(f"\n        <TILE_ID>{g.identifier}</TILE_ID>"
                    for g in granules)
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:{level_word}_DataStrip_ID xmlns:n1="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{ns}">
  <n1:General_Info>
    <Datastrip_Time_Info>
      <DATASTRIP_SENSING_START>{start}</DATASTRIP_SENSING_START>
      <DATASTRIP_SENSING_STOP>{stop}</DATASTRIP_SENSING_STOP>
    </Datastrip_Time_Info>
    <Datatake_Info datatakeIdentifier="G{n.sc}_{n.ts}_{n.orbit_abs:06d}_{n.base_dotted}">
      <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
      <SPACECRAFT_NAME>{n.spacecraft_name}</SPACECRAFT_NAME>
      <DATATAKE_SENSING_START>{_utc(n.t)}.024Z</DATATAKE_SENSING_START>
      <SENSING_ORBIT_NUMBER>{n.orbit_rel}</SENSING_ORBIT_NUMBER>
      <SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
    </Datatake_Info>
    <Processing_Info>
      <PROCESSING_CENTER>{n.station.rstrip('_')}</PROCESSING_CENTER>
      <UTC_DATE_TIME>{_utc(n.generation)}.000000Z</UTC_DATE_TIME>
      <PROCESSING_BASELINE>{n.baseline}</PROCESSING_BASELINE>
    </Processing_Info>
  </n1:General_Info>
  <n1:Image_Data_Info>
    <Tiles_Information>
      <Tile_List>{tiles}
      </Tile_List>
    </Tiles_Information>
  </n1:Image_Data_Info>
</n1:{level_word}_DataStrip_ID>
"""


def _qi_report(kind, name):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Earth_Explorer_File>
  <Earth_Explorer_Header>
    <Fixed_Header>
      <File_Name>{name}</File_Name>
      <File_Description>Report produced by OLQC-SC</File_Description>
      <File_Type>REP_OLQCPA</File_Type>
    </Fixed_Header>
  </Earth_Explorer_Header>
  <Data_Block type="xml">
    <report date="" gippVersion="" globalStatus="PASSED">
      <checkList>
        <parentID>{kind}</parentID>
        <check>
          <inspection creation="" duration="0" execution="" id="{kind}" item="{name}" name="{kind}" priority="1" processingStatus="done" status="PASSED"/>
          <message contentType="Text">Checks are OK</message>
        </check>
      </checkList>
    </report>
  </Data_Block>
</Earth_Explorer_File>
"""


def _gml_mask(kind, band, epsg):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<eop:Mask xmlns:eop="http://www.opengis.net/eop/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="{kind}_{band}">
  <gml:boundedBy>
    <gml:Null>Empty</gml:Null>
  </gml:boundedBy>
  <eop:maskType>{kind}</eop:maskType>
  <eop:extentOf srsName="urn:ogc:def:crs:EPSG::{epsg}"/>
  <eop:maskMembers/>
</eop:Mask>
"""


def _inspire(n, footprint):
    lons = [p[0] for p in footprint]
    lats = [p[1] for p in footprint]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gml="http://www.opengis.net/gml">
  <gmd:fileIdentifier><gco:CharacterString>{n.safe}</gco:CharacterString></gmd:fileIdentifier>
  <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="eng">eng</gmd:LanguageCode></gmd:language>
  <gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="http://standards.iso.org/ittf/PubliclyAvailableStandards/ISO_19139_Schemas/resources/Codelist/ML_gmxCodelists.xml#MD_ScopeCode" codeListValue="dataset">dataset</gmd:MD_ScopeCode></gmd:hierarchyLevel>
  <gmd:dateStamp><gco:Date>{n.generation.strftime('%Y-%m-%d')}</gco:Date></gmd:dateStamp>
  <gmd:identificationInfo>
    <gmd:MD_DataIdentification>
      <gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>{n.safe}</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>
      <gmd:abstract><gco:CharacterString>Sentinel-2 MSI {n.lv} product</gco:CharacterString></gmd:abstract>
      <gmd:extent>
        <gmd:EX_Extent>
          <gmd:geographicElement>
            <gmd:EX_GeographicBoundingBox>
              <gmd:westBoundLongitude><gco:Decimal>{min(lons):.6f}</gco:Decimal></gmd:westBoundLongitude>
              <gmd:eastBoundLongitude><gco:Decimal>{max(lons):.6f}</gco:Decimal></gmd:eastBoundLongitude>
              <gmd:southBoundLatitude><gco:Decimal>{min(lats):.6f}</gco:Decimal></gmd:southBoundLatitude>
              <gmd:northBoundLatitude><gco:Decimal>{max(lats):.6f}</gco:Decimal></gmd:northBoundLatitude>
            </gmd:EX_GeographicBoundingBox>
          </gmd:geographicElement>
          <gmd:temporalElement>
            <gmd:EX_TemporalExtent>
              <gmd:extent><gml:TimePeriod gml:id="acquisition"><gml:beginPosition>{_utc(n.t)}</gml:beginPosition><gml:endPosition>{_utc(n.t)}</gml:endPosition></gml:TimePeriod></gmd:extent>
            </gmd:EX_TemporalExtent>
          </gmd:temporalElement>
        </gmd:EX_Extent>
      </gmd:extent>
    </gmd:MD_DataIdentification>
  </gmd:identificationInfo>
</gmd:MD_Metadata>
"""


def _manifest(n, safe_dir, footprint):
    """XFDU manifest listing every file of the product with its size and
    checksum: MD5 before baseline 03.01, SHA3-256 from then on."""
    objects = []
    checksum = checksum_kind(n.baseline)
    for path in sorted(p for p in safe_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(safe_dir).as_posix()
        if rel == "manifest.safe":
            continue
        ident = re.sub(r"[^A-Za-z0-9_]", "_", rel)
        mime = ("text/xml" if rel.endswith((".xml", ".xsd", ".gml"))
                else "application/octet-stream")
        objects.append(f"""
    <dataObject ID="{ident}">
      <byteStream mimeType="{mime}" size="{path.stat().st_size}">
        <fileLocation locatorType="URL" href="./{rel}"/>
        <checksum checksumName="{checksum}">{file_checksum(path, checksum)}</checksum>
      </byteStream>
    </dataObject>""")
    coords = " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in footprint)
    kind = "Level-1C" if n.lv == "L1C" else "Level-2A"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:safe="http://www.esa.int/safe/sentinel/1.1" xmlns:gml="http://www.opengis.net/gml" version="esa/safe/sentinel/1.1/sentinel-2/msi/archive_{n.lv.lower()}_user_product">
  <informationPackageMap>
    <xfdu:contentUnit unitType="Product_{kind}" ID="{n.safe}" dmdID="acquisitionPeriod platform measurementFrameSet">
      <xfdu:contentUnit unitType="Metadata" ID="Product_Metadata" dmdID="S2_{kind}_Product_Metadata"/>
    </xfdu:contentUnit>
  </informationPackageMap>
  <metadataSection>
    <metadataObject ID="acquisitionPeriod" classification="DESCRIPTION" category="DMD">
      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Acquisition Period">
        <xmlData>
          <safe:acquisitionPeriod>
            <safe:startTime>{_utc(n.t)}.024Z</safe:startTime>
          </safe:acquisitionPeriod>
        </xmlData>
      </metadataWrap>
    </metadataObject>
    <metadataObject ID="platform" classification="DESCRIPTION" category="DMD">
      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Platform Description">
        <xmlData>
          <safe:platform>
            <safe:nssdcIdentifier>{'2015-028A' if n.sc == 'S2A' else '2017-013A'}</safe:nssdcIdentifier>
            <safe:familyName>SENTINEL</safe:familyName>
            <safe:number>{n.sc[-1]}</safe:number>
            <safe:instrument><safe:familyName abbreviation="MSI">Multi-Spectral Instrument</safe:familyName></safe:instrument>
          </safe:platform>
        </xmlData>
      </metadataWrap>
    </metadataObject>
    <metadataObject ID="measurementFrameSet" classification="DESCRIPTION" category="DMD">
      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Frame Set">
        <xmlData>
          <safe:frameSet><safe:footPrint srsName="http://www.opengis.net/gml/srs/epsg.xml#4326"><gml:coordinates>{coords}</gml:coordinates></safe:footPrint></safe:frameSet>
        </xmlData>
      </metadataWrap>
    </metadataObject>
  </metadataSection>
  <dataObjectSection>{''.join(objects)}
  </dataObjectSection>
</xfdu:XFDU>
"""


def _xsd(name):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="unqualified" version="14.9">
  <xs:annotation><xs:documentation>{name}</xs:documentation></xs:annotation>
</xs:schema>
"""


def _html(n):
    return f"""<!DOCTYPE html>
<html>
<head><meta charset="UTF-8"><title>{n.safe}</title></head>
<body>
<h1>Sentinel-2 {n.lv} User Product</h1>
<p>{n.safe}</p>
</body>
</html>
"""


# --------------------------------------------------------------------------
# Product assembly
# --------------------------------------------------------------------------

def _write_text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _aux_blob(kind):
    # Placeholder GRIB message (header and end marker) for ECMWF/CAMS files.
    body = kind.encode().ljust(64, b"\0")
    return b"GRIB" + len(body).to_bytes(4, "big") + body + b"7777"


def _select_bands(level, bands):
    spectral = ALL_BANDS if level == "L1C" else L2A_BANDS
    extras = L1C_EXTRAS if level == "L1C" else L2A_EXTRAS
    if bands is None:
        return list(spectral), list(extras)
    if isinstance(bands, str):
        bands = [b for b in bands.split(",") if b]
    chosen, chosen_extras = [], []
    for b in bands:
        b = b.strip().upper()
        if re.fullmatch(r"B\d", b):
            b = "B0" + b[1]
        if b in spectral:
            if b not in chosen:
                chosen.append(b)
        elif b in extras:
            if b not in chosen_extras:
                chosen_extras.append(b)
        else:
            raise ValueError(f"band {b!r} does not exist in {level} products")
    return chosen, chosen_extras


def make_product(parent, *, level="L1C", layout="compact", size=366,
                 bands=None, baseline=None, tiles=("31UFQ",), jp2_block=None,
                 zipped=False, seed=0, sensing=None, sky_seed=None,
                 tile_grid=None, band_format="JPEG2000"):
    """Write a synthetic Sentinel-2 product into the existing ``parent``.

    level: "L1C" or "L2A" (L2A only with layout="compact").
    layout: "compact" (naming used since December 2016, one granule, only
        ``tiles[0]`` is used) or "oper" (2015-2016 naming, one granule per
        tile, neighbouring granules overlapping by a strip of columns).
    size: width = height of the 10 m grid, divisible by 6.
    bands: spectral bands to write (default all of the level, plus the
        non-spectral rasters TCI, and SCL/AOT/WVP for L2A). The metadata
        always lists every band. Names like "TCI" or "SCL" may be included.
    baseline: processing baseline "NN.NN"; "05.09" for compact, "02.01" for
        oper by default. From 04.00 on, DN = reflectance * 10000 + 1000 and
        the offset is declared in the root metadata.
    tiles: MGRS tiles from ``TILES``.
    tile_grid: tiles whose fixture placement (``granule_grid``) the
        product's tiles take, default ``tiles``. Compact products of
        31UFQ and of 31UGQ, both made with tile_grid=("31UFQ", "31UGQ"),
        overlap as the granules of an oper product of both tiles do, and
        agree where they overlap (their no-data wedge included).
    jp2_block: JPEG2000 tile size (default 1024, clamped to the image).
    zipped: return a deflate .zip holding the .SAFE folder instead.
    band_format: "JPEG2000" (as ESA delivers) or, for L2A, "GeoTIFF": the
        band files of IMG_DATA as Cloud Optimized GeoTIFFs (.tif) with
        averaged overviews, imageFormat="GeoTIFF" on each Granule of the
        metadata, as some archives redistribute Sen2Cor products. The
        pixels are those of the JPEG2000 product of the same arguments.
    seed: scene variant; values depend only on (seed, band, map position).
    sky_seed: if given, the clouds (and their shadows) come from this seed
        instead: the same ground and sensor noise under another sky, as on
        another date of the same tile.
    sensing: datatake sensing start "YYYYMMDDTHHMMSS" (default 20230614T105629
        for compact, 20160315T105625 for oper).

    Returns the path of the .SAFE folder, or of the .zip when zipped.
    """
    parent = pathlib.Path(parent)
    if not parent.is_dir():
        raise ValueError(f"{parent} is not an existing folder")
    if level not in ("L1C", "L2A"):
        raise ValueError("level must be 'L1C' or 'L2A'")
    if layout not in ("compact", "oper"):
        raise ValueError("layout must be 'compact' or 'oper'")
    if level == "L2A" and layout != "compact":
        raise ValueError("L2A products only exist with the compact layout")
    if (not isinstance(size, (int, np.integer)) or isinstance(size, bool)
            or size <= 0 or size % 6):
        raise ValueError(
            f"size must be a positive multiple of 6, got {size!r}")
    size = int(size)
    if isinstance(tiles, str):
        tiles = [t for t in tiles.split(",") if t]
    tiles = [t.upper().lstrip("T") for t in tiles]
    if not tiles:
        raise ValueError("at least one tile is needed")
    if layout == "compact":
        tiles = tiles[:1]
    if len(set(tiles)) != len(tiles):
        raise ValueError("tiles must be distinct")
    if baseline is None:
        baseline = "05.09" if layout == "compact" else "02.01"
    if not re.fullmatch(r"\d\d\.\d\d", baseline):
        raise ValueError(f"baseline must look like '05.09', got {baseline!r}")
    if sensing is None:
        sensing = DEFAULT_SENSING if layout == "compact" else \
            DEFAULT_OPER_SENSING
    try:
        when = dt.datetime.strptime(sensing, _TIME_FMT)
    except (TypeError, ValueError):
        raise ValueError(f"sensing must be YYYYMMDDTHHMMSS, got {sensing!r}")
    block = 1024 if jp2_block is None else int(jp2_block)
    if block < 32:
        raise ValueError("jp2_block must be at least 32")
    if band_format not in ("JPEG2000", "GeoTIFF"):
        raise ValueError("band_format must be 'JPEG2000' or 'GeoTIFF'")
    if band_format == "GeoTIFF" and level != "L2A":
        raise ValueError("GeoTIFF bands exist only in L2A products")
    spectral, extras = _select_bands(level, bands)
    if level == "L1C" and _baseline_tuple(baseline) < TCI_FROM_BASELINE:
        if bands is not None and "TCI" in extras:
            raise ValueError("L1C products only carry a TCI image from "
                             "processing baseline 02.04 on")
        extras = [e for e in extras if e != "TCI"]

    placed = granule_grid(_tile_grid(tiles, tile_grid), size)
    granules = [_Granule(t, e, x, y, size) for t, e, x, y in placed
                if t in tiles]
    scenes = {}
    for g in granules:
        zone = [_Granule(t, e, x, y, size) for t, e, x, y in placed
                if e == g.epsg]
        anchor = (min(h.ulx for h in zone), max(h.uly for h in zone))
        if g.epsg not in scenes:
            scenes[g.epsg] = _Scene(seed, anchor, size * 10.0, sky_seed)
    names = _Names(level, layout, baseline, when, granules)
    with_offset = _baseline_tuple(baseline) >= OFFSET_FROM_BASELINE
    add = -RADIO_OFFSET if with_offset else 0

    target = parent / (f"{names.safe}.zip" if zipped else f"{names.safe}.SAFE")
    if target.exists():
        raise FileExistsError(f"a product with this name already exists: "
                              f"{target}")
    # A zipped product is assembled in a scratch folder next to the target so
    # that no unzipped .SAFE is left behind; a failed build leaves nothing.
    work = (pathlib.Path(tempfile.mkdtemp(prefix=".s2build-", dir=parent))
            if zipped else None)
    safe = (work or parent) / f"{names.safe}.SAFE"
    try:
        _assemble(safe, names, granules, scenes, level, layout, spectral,
                  extras, add, with_offset, block, band_format)
        if zipped:
            _zip_product(safe, target, names.generation)
    except BaseException:
        if not zipped:
            shutil.rmtree(safe, ignore_errors=True)
        raise
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _assemble(safe, n, granules, scenes, level, layout, spectral, extras,
              add, with_offset, block, band_format="JPEG2000"):
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
                                      new_masks)
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


def _write_masks(g, scene, level, layout, qi, block, new_masks):
    """QI_DATA masks: decoys whose names contain band codes."""
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
        h, w = det.shape
        x = g.ulx + (np.arange(w) + 0.5) * 60
        y = g.uly - (np.arange(h) + 0.5) * 60
        lay = scene.layers(x, y)
        classi = np.zeros((3, h, w), np.uint8)
        classi[0] = lay["cloud"] > 0.5
        _write_jp2(qi / "MSK_CLASSI_B00.jp2", classi, gt60, g.epsg, block)
        entries.append(f'\n      <MASK_FILENAME type="MSK_CLASSI">{rel_qi}'
                       f"MSK_CLASSI_B00.jp2</MASK_FILENAME>")
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
        _write_text(qi / name, _gml_mask("CLOUDS", "B00", g.epsg))
        entries.append(f'\n      <MASK_FILENAME type="MSK_CLOUDS">{ref}'
                       f"</MASK_FILENAME>")

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


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(
        description="Write a synthetic Sentinel-2 product and print its path.")
    p.add_argument("outdir", help="existing folder to write into")
    p.add_argument("--size", type=int, default=366,
                   help="10 m grid width/height, multiple of 6 (10980 = "
                        "full tile)")
    p.add_argument("--level", choices=("L1C", "L2A"), default="L1C")
    p.add_argument("--layout", choices=("compact", "oper"), default="compact")
    p.add_argument("--bands", help="comma-separated bands, e.g. B04,B03,B02")
    p.add_argument("--tiles", default="31UFQ",
                   help=f"comma-separated tiles among {','.join(TILES)}")
    p.add_argument("--tile-grid",
                   help="comma-separated tiles whose fixture placement the "
                        "tiles take (compact neighbours that overlap)")
    p.add_argument("--baseline", help="processing baseline, e.g. 05.09")
    p.add_argument("--sensing", help="sensing start YYYYMMDDTHHMMSS")
    p.add_argument("--zip", action="store_true", help="write a .zip")
    p.add_argument("--jp2-block", type=int, default=None,
                   help="JPEG2000 tile size (default 1024)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--band-format", choices=("JPEG2000", "GeoTIFF"),
                   default="JPEG2000",
                   help="band files of L2A products: JPEG2000 as ESA "
                        "delivers them, or GeoTIFF (COG)")
    a = p.parse_args(argv)
    out = pathlib.Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    try:
        path = make_product(
            out, level=a.level, layout=a.layout, size=a.size,
            bands=a.bands.split(",") if a.bands else None,
            baseline=a.baseline, tiles=a.tiles.split(","),
            jp2_block=a.jp2_block, zipped=a.zip, seed=a.seed,
            sensing=a.sensing, tile_grid=a.tile_grid,
            band_format=a.band_format)
    except (ValueError, FileExistsError) as exc:
        p.error(str(exc))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
