"""From the scene to digital numbers: the reflectance of each band (top of
atmosphere for L1C, bottom of atmosphere for L2A), the sensor's noise, and
the uint16 DN of the band files with their offset, no-data and saturation.
"""

import math

import numpy as np

from .constants import ALL_BANDS, NODATA_DN, QUANTIFICATION, SATURATED_DN
from .noise import _hash

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
