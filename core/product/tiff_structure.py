"""A check that a TIFF (GeoTIFF, COG) band file is whole, from its
directories alone.

A cut TIFF can open: its directories come first in a Cloud Optimized
GeoTIFF, so only the tiles past the cut are lost, and some readers leave
them blank. Each image directory (the full image, its overviews, its masks)
lists where every tile or strip starts and how long it is; all of them
must end inside the file. That reads the directories and their offset
tables, a few kilobytes, never the image.
"""

import struct

#: TIFF tags of the tile and strip offset and length tables.
TILE_OFFSETS, TILE_BYTE_COUNTS = 324, 325
STRIP_OFFSETS, STRIP_BYTE_COUNTS = 273, 279
#: Field types the tables use: SHORT, LONG, LONG8 (BigTIFF); size, format.
INTEGER_TYPES = {3: (2, "H"), 4: (4, "I"), 16: (8, "Q")}
#: No band file has more image directories than this (a full image, a
#: dozen overviews, masks of each); a longer chain is damage or a loop.
MAX_DIRECTORIES = 64


class _Cut(Exception):
    pass


class _Reader:
    def __init__(self, handle, size, order, big):
        self.handle, self.size = handle, size
        self.order, self.big = order, big

    def read(self, offset, length):
        if offset + length > self.size:
            # The offset comes from the file: not repeated.
            raise _Cut("cut short: its directories run past its {} bytes"
                       .format(self.size))
        self.handle.seek(offset)
        return self.handle.read(length)

    def unpack(self, fmt, offset):
        fmt = self.order + fmt
        return struct.unpack(fmt, self.read(offset, struct.calcsize(fmt)))


def tiff_damage(handle, size):
    """Why the TIFF file open as ``handle`` (``size`` bytes) is incomplete,
    or None if every tile or strip it lists lies inside it."""
    handle.seek(0)
    head = handle.read(8)
    if len(head) < 8 or head[:2] not in (b"II", b"MM"):
        return "not a TIFF file"
    order = "<" if head[:2] == b"II" else ">"
    version = struct.unpack(order + "H", head[2:4])[0]
    if version not in (42, 43):
        return "not a TIFF file"
    reader = _Reader(handle, size, order, version == 43)
    try:
        offset = (reader.unpack("Q", 8)[0] if reader.big
                  else struct.unpack(order + "I", head[4:8])[0])
        seen = set()
        while offset:
            if offset in seen or len(seen) >= MAX_DIRECTORIES:
                return "its image directories loop"
            seen.add(offset)
            offset = _check_directory(reader, offset)
    except _Cut as cut:
        return str(cut)
    return None


def _check_directory(reader, offset):
    """Check one image directory's tables; return the next one's offset."""
    count_format, entry_size = ("Q", 20) if reader.big else ("H", 12)
    count_size = 8 if reader.big else 2
    entries = reader.unpack(count_format, offset)[0]
    tables = {}
    for index in range(entries):
        at = offset + count_size + index * entry_size
        tag, kind = reader.unpack("HH", at)
        if tag in (TILE_OFFSETS, TILE_BYTE_COUNTS, STRIP_OFFSETS,
                   STRIP_BYTE_COUNTS) and kind in INTEGER_TYPES:
            tables[tag] = _values(reader, at, kind)
    for starts, lengths in ((TILE_OFFSETS, TILE_BYTE_COUNTS),
                            (STRIP_OFFSETS, STRIP_BYTE_COUNTS)):
        ends = [start + length for start, length in zip(
            tables.get(starts, ()), tables.get(lengths, ())) if length]
        if ends and max(ends) > reader.size:
            raise _Cut("cut short: its image data runs past its {} bytes"
                       .format(reader.size))
    next_at = offset + count_size + entries * entry_size
    return reader.unpack("Q" if reader.big else "I", next_at)[0]


def _values(reader, entry, kind):
    """The integers of the directory entry at ``entry``: inline when they
    fit in its value field, else at the offset it holds."""
    width, fmt = INTEGER_TYPES[kind]
    count_format, field = ("Q", 8) if reader.big else ("I", 4)
    count = reader.unpack(count_format, entry + 4)[0]
    value_at = entry + 4 + field
    if count * width > field:
        value_at = reader.unpack(count_format, value_at)[0]
    return reader.unpack("{}{}".format(count, fmt), value_at)
