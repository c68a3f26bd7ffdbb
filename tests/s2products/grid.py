"""Where a product's granules lie: the fixture placement of MGRS tiles
(neighbours overlapping by whole 60 m cells, as real ones overlap by
9840 m) and each granule's grid at 10, 20 and 60 m.
"""

from .constants import FULL_OVERLAP_PX, FULL_TILE_PX, TILE_PITCH, TILES


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
