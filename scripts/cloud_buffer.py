#!/usr/bin/env python3
"""How far cloud edges reach beyond the scene classification's clouds, on
the real L2A scene of ../shared/realdata (T29UNU, 60 m): the median blue
(B02) reflectance of clear land (SCL 4, 5, 7) by its distance to the
nearest cloud or cloud shadow (SCL 3, 8, 9, 10), against clear land far
from any cloud. Land near a cloud that is brighter in blue than far land
is the haze and thin edge the mask missed; the distance where the excess
fades is the buffer worth having. Prints one line per distance.

    scripts/cloud_buffer.py
"""

import glob
import os
import sys

import numpy as np
import rasterio
from scipy.ndimage import distance_transform_edt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests"))
import real_scenes  # noqa: E402

#: Clear land, and what is masked by default, in SCL classes.
LAND, MASKED = (4, 5, 7), (3, 8, 9, 10)
#: Distances looked at, in 60 m pixels, and "far".
RINGS, FAR = range(1, 9), 15


def main():
    safe = os.path.join(real_scenes.REALDATA, real_scenes.L2A_SAFE)
    folder = glob.glob(os.path.join(safe, "GRANULE", "*", "IMG_DATA",
                                    "R60m"))[0]

    def band(name):
        with rasterio.open(glob.glob(os.path.join(
                folder, "*_{}_60m.jp2".format(name)))[0]) as src:
            return src.read(1)

    scl = band("SCL")
    blue = (band("B02").astype(float) - 1000.0) / 10000.0
    land = np.isin(scl, LAND)
    distance = distance_transform_edt(~np.isin(scl, MASKED)) * 60.0
    far = np.median(blue[land & (distance >= FAR * 60)])
    print("clear land far from clouds (>= {} m): median B02 {:.4f}".format(
        FAR * 60, far))
    total, before = int(land.sum()), None
    for ring in RINGS:
        where = land & (distance > (ring - 1) * 60) & (distance <= ring * 60)
        excess = 100.0 * (np.median(blue[where]) - far) / far
        lost = 100.0 * (land & (distance <= ring * 60)).sum() / total
        print("{:4.0f} m from a cloud: {:6d} px, median B02 {:+6.1f} % of "
              "far land's{}; a {:.0f} m buffer takes {:4.1f} % of the clear "
              "land".format(ring * 60, int(where.sum()), excess,
                            "" if before is None else
                            " ({:+.1f} points)".format(excess - before),
                            ring * 60, lost))
        before = excess


if __name__ == "__main__":
    main()
