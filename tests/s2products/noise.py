"""Procedural noise evaluated at map coordinates: a well-mixed hash of lattice
points, smooth value noise and its fractal sum. Values depend only on the
key and the position, so neighbouring granules agree where they overlap.
"""

import zlib

import numpy as np


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
