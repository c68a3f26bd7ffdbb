"""A granule of another UTM zone onto the output grid, by GDAL's warper with
nearest neighbour, fed from the decode stream.

The granule's band is decoded like any other (reading.GranuleBand: JPEG2000
tile by tile, its histogram drawn from its own pixels as decoded), and its
decoded rows are kept only until the output rows they cover are warped:
the output is warped in strips of WARP_ROWS rows, each as soon as the
source rows it needs are decoded. Nearest neighbour, so every output pixel
is one measured pixel of the band: nothing is invented and the no-data edge
stays crisp.

Memory: between neighbouring zones the grids turn by a few degrees against
each other, so one output strip needs its own height plus about a tenth of
the granule's width in source rows; with the row of JPEG2000 tiles being
decoded that is three to four tile rows of one band (about 70 MB at 10 m),
one band at a time.
"""

import math

import numpy as np
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.transform import Affine
from rasterio.warp import reproject, transform, transform_bounds

from ..errors import BandError, first_line
from ..gdal.env import GDAL_ERRORS
from .area import Area, AreaOnGrid
from .clouds import MASK, both, clear_mask
from .grid import Grid
from .reading import GranuleBand

#: Output rows warped at a time.
WARP_ROWS = 512
#: Points per edge where an output strip's outline is taken to the source
#: grid to find the source rows it needs; the zones' mapping is smooth, so a
#: few dozen points follow its curvature to well under a pixel.
EDGE_POINTS = 33
#: GDAL's working memory for one strip's warp, in MB (its default, 64, is
#: many times what a strip needs).
WARP_MEMORY_MB = 16
#: Extra source rows on either side of those, for nearest neighbour's
#: rounding and the warper's approximate transformer.
MARGIN_ROWS = 2


class WarpedBand:
    """One band of a granule outside ``grid``'s zone, decoded on its own
    grid and warped into ``spool`` (merged: pixels already holding data
    keep it). Has what reading.decode_into needs: ``windows``, ``shrink``,
    ``decode`` and ``put``.

    With an ``area`` (a grid's area.Area), only the part of the granule
    under ``grid`` is decoded (a rectangle of its own grid around it),
    and its pixels outside the area's polygons are neither counted nor
    warped. With ``clouds`` (a clouds.Clouds that acts), the granule's
    cloudy pixels are not counted either (and, masked, not warped:
    ``mask`` then holds the clouds on ``grid``)."""

    def __init__(self, product, granule, band, grid, spool, counter=None,
                 area=None, mask=None, clouds=None):
        self.band = band
        ulx, uly, width, height = granule.grids[min(granule.grids)]
        res = min(granule.grids)
        own = Grid(granule.epsg, grid.resolution, ulx, uly,
                   -(-width * res // grid.resolution),
                   -(-height * res // grid.resolution))
        own_mask = None
        if area is not None:
            own, own_mask = _under(own, grid, area)
        counted = None
        if clouds is not None and clouds.acts:
            # Counted as decoded, on the granule's own grid: its clouds
            # there too.
            counted = both(own_mask, clear_mask(product, [granule], own,
                                                clouds))
            if clouds.mode == MASK:
                own_mask = counted
        self.source = GranuleBand(product, granule, band, own, None, counter,
                                  mask=own_mask, count_mask=counted)
        self.mask = mask
        self.windows = self.source.windows
        self.shrink = self.source.shrink
        self.decode = self.source.decode
        self.grid, self.spool = grid, spool
        self.nodata = product.nodata
        self.name = "{} of granule {}".format(band, granule.name)
        source = self.source
        self.pixel = source.native * source.shrink   # decoded pixel (m)
        self.src_crs = CRS.from_epsg(granule.epsg)
        self.dst_crs = CRS.from_epsg(grid.epsg)
        within = source.within               # the file's pixels decoded
        self.first_col = within.col_off // source.shrink
        self.end_col = within.col_off + within.width   # in file pixels
        self.first_row = within.row_off // source.shrink
        self.src_height = -(-(within.row_off + within.height)
                            // source.shrink)
        self.strips = self._strips()
        self.rows = []            # [(first source row, decoded rows)]
        self.pieces = []          # decoded blocks of the tile row under way
        self.decoded = self.first_row   # source rows decoded so far

    @property
    def counter(self):
        """The band's equalize.BandHistogram, or None."""
        return self.source.counter

    @counter.setter
    def counter(self, counter):
        self.source.counter = counter

    def _strips(self):
        """(top, rows, left, cols, first source row, end source row) of
        each output strip the granule touches, top to bottom."""
        grid, source = self.grid, self.source
        left, top = source.corner
        right = left + source.width * source.native
        bottom = top - source.height * source.native
        west, south, east, north = transform_bounds(
            self.src_crs, self.dst_crs, left, bottom, right, top,
            densify_pts=EDGE_POINTS)
        res = grid.resolution
        col0 = max(int(math.floor((west - grid.ulx) / res)), 0)
        col1 = min(int(math.ceil((east - grid.ulx) / res)), grid.width)
        row0 = max(int(math.floor((grid.uly - north) / res)), 0)
        row1 = min(int(math.ceil((grid.uly - south) / res)), grid.height)
        strips = []
        for first in range(row0, row1, WARP_ROWS):
            rows = min(WARP_ROWS, row1 - first)
            start, end = self._source_rows(first, rows, col0, col1)
            if start < end:
                strips.append((first, rows, col0, col1 - col0, start, end))
        return strips

    def _source_rows(self, top, rows, col0, col1):
        """The source rows [start, end) the output rows [top, top + rows)
        by columns [col0, col1) are taken from."""
        grid = self.grid
        xs = np.linspace(grid.ulx + col0 * grid.resolution,
                         grid.ulx + col1 * grid.resolution, EDGE_POINTS)
        ys = np.linspace(grid.uly - top * grid.resolution,
                         grid.uly - (top + rows) * grid.resolution,
                         EDGE_POINTS)
        outline_x = np.concatenate([xs, xs, np.full(EDGE_POINTS, xs[0]),
                                    np.full(EDGE_POINTS, xs[-1])])
        outline_y = np.concatenate([np.full(EDGE_POINTS, ys[0]),
                                    np.full(EDGE_POINTS, ys[-1]), ys, ys])
        _, src_y = transform(self.dst_crs, self.src_crs, outline_x,
                             outline_y)
        src_rows = (self.source.corner[1] - np.asarray(src_y)) / self.pixel
        start = max(int(math.floor(src_rows.min())) - MARGIN_ROWS,
                    self.first_row)
        end = min(int(math.ceil(src_rows.max())) + MARGIN_ROWS,
                  self.src_height)
        return start, end

    def close(self):
        """Close the granule's open files."""
        self.source.close()

    def put(self, window, block):
        """Count ``block`` (decoded from ``window``), keep it, and warp the
        output strips whose source rows are all decoded."""
        self.source.put(window, block)
        self.pieces.append(block)
        if window.col_off + window.width < self.end_col:
            return                                # the tile row goes on
        row = np.concatenate(self.pieces, axis=1)
        self.pieces = []
        self.rows.append((self.decoded, row))
        self.decoded += row.shape[0]
        while self.strips and (self.strips[0][5] <= self.decoded
                               or self.decoded >= self.src_height):
            self._warp(*self.strips.pop(0))
        keep_from = self.strips[0][4] if self.strips else self.decoded
        self.rows = [(first, rows) for first, rows in self.rows
                     if first + rows.shape[0] > keep_from]

    def _warp(self, top, rows, left, cols, start, end):
        source = np.concatenate([
            block[max(start - first, 0):end - first]
            for first, block in self.rows
            if first < end and first + block.shape[0] > start])
        left_m, top_m = self.source.corner
        left_m += self.first_col * self.pixel
        out = np.full((rows, cols), self.nodata, dtype=np.uint16)
        grid = self.grid
        try:
            reproject(
                source, out,
                src_transform=Affine(self.pixel, 0.0, left_m, 0.0,
                                     -self.pixel,
                                     top_m - start * self.pixel),
                src_crs=self.src_crs, src_nodata=self.nodata,
                dst_transform=grid.transform * Affine.translation(left, top),
                dst_crs=self.dst_crs, dst_nodata=self.nodata,
                resampling=Resampling.nearest,
                warp_mem_limit=WARP_MEMORY_MB)
        except GDAL_ERRORS as exc:
            raise BandError(
                "Band {} could not be reprojected to EPSG:{} ({}).".format(
                    self.name, grid.epsg, first_line(exc)))
        if self.mask is not None:
            out = self.mask.clear(out, top, left, self.nodata)
        if (out != self.nodata).any():
            self.spool.write(top, left, out, merge=True)


def _under(own, grid, area):
    """(the part of ``own``, a granule's grid in its zone, under ``grid``
    with a margin for nearest neighbour, the mask of ``area``'s polygons
    on it or None)."""
    margin = (MARGIN_ROWS + 1) * grid.resolution
    bounds = (grid.ulx - margin,
              grid.uly - grid.height * grid.resolution - margin,
              grid.ulx + grid.width * grid.resolution + margin,
              grid.uly + margin)
    on_own = AreaOnGrid(Area(bounds, "EPSG:{}".format(grid.epsg),
                             area.mask), own, "the granule", required=False)
    return on_own.grid, on_own.mask
