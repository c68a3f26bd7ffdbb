"""The per-tile histograms of adaptive equalization in a curve file.

They are an optional ``"tiles"`` entry of the curve file (format
``s2eq-curve/1``; readers that do not know it ignore it)::

    "tiles": {"size": 5000.0, "bins": 4096,
              "encoding": "zlib+base64, little-endian, row-major",
              "zones": [{"epsg": 32631, "origin": [i0, k0],
                         "shape": [rows, cols], "first_bin": b0,
                         "last_bin": b1,
                         "valid": <float64 (rows, cols)>,
                         "products": <int32 (rows, cols)>,
                         "counts": {"B04": <uint32 (rows, cols, b1-b0+1)>,
                                    ..., "LUMINANCE": ...}}]}

Arrays are packed: their little-endian bytes, zlib-compressed, in
base64. A full product's 506 tiles take 0.8 MB this way (measured at a
1 % sample), against tens of megabytes as JSON numbers. Counts are kept
from the first to the last bin any tile counted.

Read from a file, every number is checked, and the arrays the entry asks
for may take at most MAX_TILE_BYTES of memory: a few bytes of a hostile
file cannot ask for gigabytes.
"""

import base64
import math
import zlib

import numpy as np

from .tiles import TileCounts

ENCODING = "zlib+base64, little-endian, row-major"
#: Memory the tile histograms of a curve file may take once unpacked, in
#: bytes: a full product's take 35 MB (4 keys of 506 tiles of 4096
#: uint32 bins), so this holds a zone of some fifty product tiles.
MAX_TILE_BYTES = 2 * 2 ** 30
#: A tile index, at most: UTM coordinates stay within ten thousand
#: kilometres, and a tile is at least a few hundred metres.
MAX_TILE_INDEX = 10 ** 9


def whole(value, what, low, high):
    """``value`` if it is a whole number (not a bool) from ``low`` to
    ``high``; else ValueError naming ``what``."""
    if (isinstance(value, bool) or not isinstance(value, int)
            or not low <= value <= high):
        raise ValueError("{} must be a whole number from {} to {}".format(
            what, low, high))
    return value


def _pack(array, dtype):
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder(
        "<")).tobytes()
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def _unpack(text, dtype, shape):
    """The array packed in ``text``; ValueError unless it holds exactly
    ``shape`` values (a damaged or hostile file cannot make it inflate
    past that)."""
    dtype = np.dtype(dtype).newbyteorder("<")
    expected = int(np.prod(shape)) * dtype.itemsize
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(base64.b64decode(text.encode("ascii"),
                                                    validate=True),
                                   expected + 1)
    except (zlib.error, ValueError) as exc:
        raise ValueError("tile data cannot be unpacked ({})".format(exc))
    if len(data) != expected or not inflater.eof:
        raise ValueError("tile data holds {} bytes, not {}".format(
            len(data), expected))
    return np.frombuffer(data, dtype).reshape(shape).astype(
        dtype.newbyteorder("="))


def to_doc(zones):
    """The ``"tiles"`` entry for ``zones`` (epsg -> tiles.TileCounts, all
    of one tile size and bin count)."""
    zones = [zones[epsg] for epsg in sorted(zones)]
    first = zones[0]
    entries = []
    for tiles in zones:
        total = sum(c.sum(axis=(0, 1)) for c in tiles.counts.values())
        counted = np.flatnonzero(total)
        low, high = (int(counted[0]), int(counted[-1])) if counted.size \
            else (0, 0)
        entries.append({
            "epsg": tiles.epsg, "origin": list(tiles.origin),
            "shape": list(tiles.shape), "first_bin": low, "last_bin": high,
            "valid": _pack(tiles.valid, np.float64),
            "products": _pack(tiles.products, np.int32),
            "counts": {key: _pack(counts[:, :, low:high + 1], np.uint32)
                       for key, counts in tiles.counts.items()}})
    return {"size": first.size, "bins": first.bins, "encoding": ENCODING,
            "zones": entries}


def from_doc(doc):
    """epsg -> tiles.TileCounts from a ``"tiles"`` entry; ValueError or
    KeyError for a damaged one (TypeError or AttributeError for values
    of the wrong kind)."""
    size = doc["size"]
    if (isinstance(size, bool) or not isinstance(size, (int, float))
            or not 0 < size < math.inf):
        raise ValueError("tiles: the size must be a positive number")
    size = float(size)
    bins = whole(doc["bins"], "tiles: bins", 1, 65536)
    zones, budget = {}, MAX_TILE_BYTES
    for entry in doc["zones"]:
        rows, cols = (whole(v, "tiles: a shape", 1, MAX_TILE_INDEX)
                      for v in entry["shape"])
        low = whole(entry["first_bin"], "tiles: first_bin", 0, bins - 1)
        high = whole(entry["last_bin"], "tiles: last_bin", low, bins - 1)
        keys = list(entry["counts"])
        # valid (float64) and products (int32) per tile, then the counts.
        budget -= rows * cols * (12 + 4 * bins * len(keys))
        if budget < 0:
            raise ValueError(
                "tiles: {} x {} tiles would take more memory than a curve "
                "file may ask ({} GiB)".format(rows, cols,
                                               MAX_TILE_BYTES // 2 ** 30))
        origin = [whole(v, "tiles: an origin", -MAX_TILE_INDEX,
                        MAX_TILE_INDEX) for v in entry["origin"]]
        if len(origin) != 2:
            raise ValueError("tiles: an origin must be two numbers")
        tiles = TileCounts.empty(whole(entry["epsg"], "tiles: epsg", 1,
                                       99999), size, bins, origin,
                                 (rows, cols))
        tiles.valid = _unpack(entry["valid"], np.float64, (rows, cols))
        tiles.products = _unpack(entry["products"], np.int32, (rows, cols))
        if not (np.isfinite(tiles.valid).all() and (tiles.valid >= 0).all()
                and (tiles.products >= 0).all()):
            raise ValueError("tiles: shares and product counts must be "
                             "finite and not negative")
        for key, text in entry["counts"].items():
            counts = np.zeros((rows, cols, bins), np.uint32)
            counts[:, :, low:high + 1] = _unpack(
                text, np.uint32, (rows, cols, high - low + 1))
            tiles.counts[str(key)] = counts
        zones[tiles.epsg] = tiles
    return zones


def combined(measured):
    """epsg -> the sum of the tiles.TileCounts in ``measured`` (a list of
    epsg -> TileCounts dicts), or None unless every one has tiles of one
    size."""
    if not measured or any(not zones for zones in measured):
        return None
    sizes = {(t.size, t.bins) for zones in measured for t in zones.values()}
    if len(sizes) != 1:
        return None
    total = {}
    for zones in measured:
        for epsg, tiles in zones.items():
            total[epsg] = total[epsg] + tiles if epsg in total else tiles
    return total
