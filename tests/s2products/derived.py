"""Band arrays made from other bands: the block mean of the coarser L2A
bands, resampling between resolutions, and the true colour image (TCI).
"""

import numpy as np

from .constants import NODATA_DN, SATURATED_DN


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


def _resample(arr, src_res, dst_res):
    if dst_res == src_res:
        return arr
    if dst_res > src_res:
        return block_mean(arr, dst_res // src_res)
    k = src_res // dst_res
    return np.repeat(np.repeat(arr, k, axis=0), k, axis=1)


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
