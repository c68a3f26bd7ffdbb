"""A product's cloud mask on the run's grid: which pixels are clear.

The mask is read at its own pixels (SCL at 20 or 60 m, MSK_CLASSI at 60
m, the GML polygons rasterized at GML_RESOLUTION), only the part under
the grid (with the buffer's margin), and never resampled to the grid: a
grid pixel takes the state of the mask pixel its centre falls in, so a
20 m or 60 m mask under a 10 m grid is repeated, never smoothed (the
edge rule). A granule of another UTM zone has its mask taken onto the
grid's zone by GDAL's warper with nearest neighbour, at the mask's own
pixel size.

The buffer widens the clouds: a mask pixel whose centre lies within the
buffer's distance (metres) of a cloudy pixel's centre is cloudy too.

Memory: one byte per mask pixel under the grid (a full tile's 20 m SCL
is 30 MB), and while the buffer is made, as much again and a distance map
of a strip of BUFFER_ROWS rows.
"""

import collections
import math
import threading
from dataclasses import dataclass

import numpy as np

from ..errors import CloudError, first_line
from ..gdal.env import GDAL_ERRORS
from ..gdal.thread import ExceptionsOn
from ..product.cloud_polygons import gml_polygons
from .area import BlockMask
from ..product.masks import (CLASSI_LAYERS, CLOUD_WORDS, DEFAULT_BUFFER,
                             DEFAULT_CATEGORIES, KIND_NAMES, SCL_CLASSES,
                             check_categories, choose_mask, mask_name)

#: What a run may do with clouds: nothing (today's picture), leave them
#: out of the histogram, or also make them no-data.
KEEP, EXCLUDE, MASK = "keep", "exclude", "mask"
MODES = (KEEP, EXCLUDE, MASK)
#: The modes by the words of the CLOUDS parameter.
BY_WORDS = dict(zip(CLOUD_WORDS, MODES))
#: The widest buffer taken, in metres.
MAX_BUFFER = 5000.0
#: Pixel size at which GML polygons are rasterized, in metres (a finer
#: grid's pixels repeat it, as they repeat a 20 m SCL).
GML_RESOLUTION = 20
#: The states of a mask pixel.
NO_DATA, CLEAR, CLOUD = 0, 1, 2
#: Rows of a mask widened at a time by the buffer.
BUFFER_ROWS = 512
#: Blocks a ClearMask remembers: the bands of a run are decoded in the
#: same windows one after the other, so each block is looked up once.
REMEMBERED_BLOCKS = 16


@dataclass(frozen=True)
class Clouds:
    """What a run does with clouds. ``mode``: KEEP, EXCLUDE or MASK;
    ``buffer``: metres, 0 to MAX_BUFFER; ``categories``: the groups of
    masks.CATEGORIES counted as cloud."""

    mode: str = KEEP
    buffer: float = DEFAULT_BUFFER
    categories: tuple = DEFAULT_CATEGORIES

    @property
    def acts(self):
        """Whether the clouds change the run (not KEEP)."""
        return self.mode != KEEP

    def record(self):
        """The options as plain values, for the output's tags."""
        return {"mode": self.mode, "buffer_m": float(self.buffer),
                "classes": list(self.categories)}


def make_clouds(mode=KEEP, buffer=None, categories=None):
    """A checked Clouds. ``mode``: one of MODES; ``buffer``: metres or
    None for DEFAULT_BUFFER; ``categories``: as masks.check_categories
    takes them. Raises CloudError naming what is wrong."""
    mode = (mode or KEEP).strip().lower()
    mode = BY_WORDS.get(mode, mode)
    if mode not in MODES:
        raise CloudError("'{}' is not a way to treat clouds; choose {}."
                         .format(mode, ", ".join(MODES)))
    buffer = DEFAULT_BUFFER if buffer in (None, "") else buffer
    try:
        buffer = float(buffer)
    except (TypeError, ValueError):
        raise CloudError("The cloud buffer '{}' is not a number of metres."
                         .format(buffer))
    if not 0.0 <= buffer <= MAX_BUFFER:
        raise CloudError("The cloud buffer must be 0 to {:g} m (it was {:g})."
                         .format(MAX_BUFFER, buffer))
    try:
        categories = check_categories(categories)
    except ValueError as exc:
        raise CloudError(str(exc))
    return Clouds(mode, buffer, categories)


def clear_mask(product, granules, grid, clouds, band=None):
    """The ClearMask of ``product``'s ``granules`` on ``grid`` (a
    grid.Grid), with the buffer and the groups of ``clouds``. ``band``:
    a band whose no-data marks where a mask without its own (MSK_CLASSI,
    GML) has no data, read at the mask's pixel size (a reduced JPEG2000
    level), or None: such a mask then has data all over its granule.
    Raises CloudError for a granule without a mask, or one that cannot be
    read."""
    parts = []
    for granule in granules:
        chosen = choose_mask(granule.masks, grid.resolution)
        if chosen is None:
            raise CloudError(
                "{} has no cloud mask: granule {} carries no scene "
                "classification (SCL), no MSK_CLASSI_B00.jp2 and no "
                "MSK_CLOUDS_B00.gml. Keep the clouds for it, or use a "
                "product that carries its mask.".format(product.name,
                                                        granule.name))
        part = _read_part(product, granule, chosen, grid, clouds, band)
        if part is not None:
            parts.append(part)
    return ClearMask(grid, parts)


class ClearMask(BlockMask):
    """Which pixels of a grid are clear, read by blocks as area.GridMask
    is (block, clear), and by points (at). A pixel no granule's mask
    covers is clear."""

    def __init__(self, grid, parts):
        self.grid, self.parts = grid, parts
        self.remembered = collections.OrderedDict()
        self.guard = threading.Lock()     # blocks may be asked by threads

    def states(self, ys, xs):
        """The state (NO_DATA, CLEAR, CLOUD) of each pixel (y, x) of the
        grid rows ``ys`` by columns ``xs`` (int arrays, may fall off the
        grid): the cloudiest any part gives it."""
        if len(self.parts) == 1:
            return self.parts[0].states(ys, xs)
        out = np.zeros((len(ys), len(xs)), np.uint8)
        for part in self.parts:
            np.maximum(out, part.states(ys, xs), out=out)
        return out

    def block(self, row, col, rows, cols, step=1):
        """A bool array (rows, cols), True where clear, for a block whose
        pixels are ``step`` grid pixels a side, upper-left at grid (row,
        col) (as area.GridMask.block)."""
        key = (row, col, rows, cols, step)
        with self.guard:
            found = self.remembered.get(key)
        if found is None:
            offset = step // 2
            found = self.states(row + np.arange(rows) * step + offset,
                                col + np.arange(cols) * step + offset
                                ) != CLOUD
            found.flags.writeable = False     # shared by its askers
            with self.guard:
                self.remembered[key] = found
                if len(self.remembered) > REMEMBERED_BLOCKS:
                    self.remembered.popitem(last=False)
        return found

    def at(self, rows, cols):
        """Bool per point: whether grid pixel (rows[i], cols[i]) is
        clear."""
        return self.states_at(rows, cols) != CLOUD

    def states_at(self, rows, cols):
        """The state (NO_DATA, CLEAR, CLOUD) of each grid pixel (rows[i],
        cols[i])."""
        state = np.zeros(len(rows), np.uint8)
        for part in self.parts:
            np.maximum(state, part.points(rows, cols), out=state)
        return state

    def clear_share(self, inside=None):
        """The share (0-1) of the pixels with a mask state (data) that are
        clear, over the grid, or over the pixels where the area.GridMask
        ``inside`` holds; None where no pixel has data. Looked at every
        mask pixel (the finest part's pixel size)."""
        step = max(1, min([p.step for p in self.parts] or [1]))
        rows = -(-self.grid.height // step)
        clear = seen = 0
        for top in range(0, rows, 256):
            count = min(256, rows - top)
            cols = -(-self.grid.width // step)
            state = self.states(top * step + np.arange(count) * step
                                + step // 2,
                                np.arange(cols) * step + step // 2)
            if inside is not None:
                state = np.where(inside.block(top * step, 0, count, cols,
                                              step), state, NO_DATA)
            seen += int(np.count_nonzero(state))
            clear += int(np.count_nonzero(state == CLEAR))
        return clear / float(seen) if seen else None


def both(first, second):
    """A mask that keeps what both keep (either may be None)."""
    if first is None:
        return second
    if second is None:
        return first
    return _Both(first, second)


class _Both(BlockMask):
    """Two masks with area.GridMask's block and clear: kept where both
    keep."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def block(self, row, col, rows, cols, step=1):
        return (self.first.block(row, col, rows, cols, step)
                & self.second.block(row, col, rows, cols, step))

    def at(self, rows, cols):
        return self.first.at(rows, cols) & self.second.at(rows, cols)


class _Part:
    """One granule's mask states on a lattice of ``size``-metre pixels
    whose corner is (``left``, ``top``) in the grid's CRS, looked up from
    the grid's pixels by where their centres fall."""

    def __init__(self, grid, states, left, top, size):
        height, width = states.shape
        # One row and column of no data after the last, for index -1.
        self.padded = np.pad(states, ((0, 1), (0, 1)))
        res = grid.resolution
        centres_x = grid.ulx + (np.arange(grid.width) + 0.5) * res
        centres_y = grid.uly - (np.arange(grid.height) + 0.5) * res
        cols = np.floor((centres_x - left) / size).astype(np.int64)
        rows = np.floor((top - centres_y) / size).astype(np.int64)
        cols[(cols < 0) | (cols >= width)] = -1
        rows[(rows < 0) | (rows >= height)] = -1
        self.col_of, self.row_of = cols, rows
        self.step = max(1, int(round(size / float(res))))

    def _lookup(self, index, table):
        """The lattice indexes of grid indexes ``index`` by ``table``
        (-1 off the lattice, or off the grid)."""
        index = np.asarray(index, np.int64)
        out = np.full(index.shape, -1, np.int64)
        good = (index >= 0) & (index < table.size)
        out[good] = table[index[good]]
        return out

    def states(self, ys, xs):
        """The states of the grid pixels rows ``ys`` by columns ``xs``.
        Neighbouring grid pixels mostly share a lattice pixel, so each run
        of them is looked up once and repeated: a block costs about what
        writing it does."""
        rows, row_counts = _runs(self._lookup(ys, self.row_of))
        cols, col_counts = _runs(self._lookup(xs, self.col_of))
        # -1 (off the lattice) takes the padding's row and column: no data.
        coarse = self.padded[np.ix_(rows, cols)]
        return np.repeat(np.repeat(coarse, row_counts, axis=0), col_counts,
                         axis=1)

    def points(self, ys, xs):
        rows, cols = self._lookup(ys, self.row_of), self._lookup(
            xs, self.col_of)
        return self.padded[rows, cols]      # -1: the padding, no data


def _runs(indexes):
    """(the value of each run of equal ``indexes``, its length)."""
    if indexes.size == 0:
        return indexes, indexes
    starts = np.concatenate(([0], np.flatnonzero(np.diff(indexes)) + 1))
    return indexes[starts], np.diff(np.append(starts, indexes.size))


def _read_part(product, granule, chosen, grid, clouds, band=None):
    """The _Part of ``granule``'s mask file ``chosen`` under ``grid``, or
    None where the granule does not reach the grid."""
    size = chosen.resolution or max(GML_RESOLUTION, grid.resolution)
    res0 = min(granule.grids)
    ulx, uly, width0, height0 = granule.grids[res0]
    width = int(math.ceil(width0 * res0 / float(size)))
    height = int(math.ceil(height0 * res0 / float(size)))
    margin = int(math.ceil(clouds.buffer / size)) + 1
    if granule.epsg == grid.epsg:
        col0 = int(math.floor((grid.ulx - ulx) / size)) - margin
        col1 = int(math.ceil((grid.ulx + grid.width * grid.resolution
                              - ulx) / size)) + margin
        row0 = int(math.floor((uly - grid.uly) / size)) - margin
        row1 = int(math.ceil((uly - grid.uly + grid.height
                              * grid.resolution) / size)) + margin
        col0, row0 = max(col0, 0), max(row0, 0)
        col1, row1 = min(col1, width), min(row1, height)
        if col1 <= col0 or row1 <= row0:
            return None
    else:
        col0, row0, col1, row1 = 0, 0, width, height
    left, top = ulx + col0 * size, uly - row0 * size
    window = (left, top, col1 - col0, row1 - row0)
    states = _states(product, granule, chosen, clouds, size, window)
    if band is not None and chosen.kind != "SCL":
        states[_no_data(product, granule, band, size, window)] = NO_DATA
    states = _buffered(states, clouds.buffer, size)
    if granule.epsg != grid.epsg:
        states, left, top = _warped(states, granule.epsg, left, top, size,
                                    grid)
    return _Part(grid, states, left, top, size)


def _states(product, granule, chosen, clouds, size, window):
    """The uint8 states (NO_DATA, CLEAR, CLOUD) of the mask's pixels in
    ``window`` (left, top in metres, width, height in mask pixels)."""
    left, top, width, height = window
    label = "{} of {}".format(mask_name(chosen), product.name)
    if not product.source.exists(chosen.relpath):
        raise CloudError(
            "The cloud mask {} ({}) is listed but missing from {}. Download "
            "the product again, or keep the clouds.".format(
                chosen.relpath, KIND_NAMES[chosen.kind], product.name))
    if chosen.kind == "GML":
        return _gml_states(product, chosen, clouds, label, window, size,
                           granule.epsg)
    import rasterio
    path = product.source.gdal_path(chosen.relpath)
    try:
        with rasterio.Env(), rasterio.open(path) as src:
            if src.crs is not None and not src.transform.is_identity:
                col = int(round((left - src.transform.c) / size))
                row = int(round((src.transform.f - top) / size))
            else:
                col = row = 0
            if chosen.kind == "SCL":
                classes = _read_within(src, 1, col, row, (width, height), 1,
                                       0)
                codes = [c for g in clouds.categories
                         for c in SCL_CLASSES.get(g, ())]
                states = np.where(classes == 0, NO_DATA, CLEAR).astype(
                    np.uint8)
                states[np.isin(classes, codes) & (classes != 0)] = CLOUD
                return states
            states = np.full((height, width), CLEAR, np.uint8)
            for group in clouds.categories:
                layer = CLASSI_LAYERS.get(group)
                if layer is None or layer > src.count:
                    continue
                flags = _read_within(src, layer, col, row, (width, height),
                                     1, 0)
                states[flags > 0] = CLOUD
            return states
    except GDAL_ERRORS as exc:
        raise CloudError("The cloud mask {} cannot be read ({}). Download "
                         "the product again, or keep the clouds.".format(
                             label, first_line(exc)))


def _no_data(product, granule, band, size, window):
    """Bool: where ``band`` of ``granule`` is no-data, on the mask pixels
    of ``window`` (as _states takes it), read by nearest neighbour from a
    reduced JPEG2000 level."""
    import rasterio
    left, top, width, height = window
    path, native = product.band_source(granule, band, size)
    ulx, uly = granule.grids.get(native, granule.grids[min(
        granule.grids)])[:2]
    try:
        with rasterio.Env(), rasterio.open(path) as src:
            values = _read_within(
                src, 1, (left - ulx) / native, (uly - top) / native,
                (width, height), size / float(native), product.nodata)
    except GDAL_ERRORS as exc:
        raise CloudError("Band {} of {} cannot be read where its cloud mask "
                         "lies ({}).".format(band, product.name,
                                             first_line(exc)))
    return values == product.nodata


def _read_within(src, layer, col, row, shape, factor, fill):
    """``layer`` of the open dataset ``src`` on ``shape`` (width, height)
    pixels of ``factor`` file pixels each, the first at file pixel (col,
    row), by nearest neighbour; ``fill`` where the file ends. Only the
    file's own pixels are read (a read beyond them would go through a
    virtual dataset that decodes the full resolution)."""
    from rasterio.enums import Resampling
    from rasterio.windows import Window
    width, height = shape
    out = np.full((height, width), fill, np.uint16)
    skip_x = max(0, int(math.ceil(-col / factor - 1e-9)))
    skip_y = max(0, int(math.ceil(-row / factor - 1e-9)))
    inside_x = min(width, int((src.width - col) / factor + 1e-9)) - skip_x
    inside_y = min(height, int((src.height - row) / factor + 1e-9)) - skip_y
    if inside_x > 0 and inside_y > 0:
        out[skip_y:skip_y + inside_y, skip_x:skip_x + inside_x] = src.read(
            layer, window=Window(col + skip_x * factor,
                                 row + skip_y * factor, inside_x * factor,
                                 inside_y * factor),
            out_shape=(inside_y, inside_x), resampling=Resampling.nearest)
    return out


def _gml_states(product, chosen, clouds, label, window, size, epsg):
    """The states of a GML mask's polygons rasterized on ``window``."""
    from osgeo import gdal, ogr, osr
    left, top, width, height = window
    polygons = [rings for group, rings in gml_polygons(
        product.source.read(chosen.relpath), label)
        if group in clouds.categories]
    states = np.full((height, width), CLEAR, np.uint8)
    if not polygons:
        return states                    # an empty GML: no clouds
    with ExceptionsOn():
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(int(epsg))
        raster = gdal.GetDriverByName("MEM").Create("", width, height, 1,
                                                    gdal.GDT_Byte)
        raster.SetGeoTransform((left, size, 0.0, top, 0.0, -size))
        raster.SetProjection(srs.ExportToWkt())
        vector = ogr.GetDriverByName("Memory").CreateDataSource("")
        layer = vector.CreateLayer("clouds", srs, ogr.wkbPolygon)
        for rings in polygons:
            polygon = ogr.Geometry(ogr.wkbPolygon)
            for ring in rings:
                line = ogr.Geometry(ogr.wkbLinearRing)
                for x, y in ring:
                    line.AddPoint_2D(x, y)
                polygon.AddGeometry(line)
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetGeometry(polygon)
            layer.CreateFeature(feature)
        gdal.RasterizeLayer(raster, [1], layer, burn_values=[1])
        inside = raster.GetRasterBand(1).ReadAsArray() > 0
    states[inside] = CLOUD
    return states


def _buffered(states, buffer, size):
    """``states`` with every pixel whose centre lies within ``buffer``
    metres of a CLOUD pixel's centre made CLOUD (no-data stays). GDAL's
    proximity map gives the distances, in strips of BUFFER_ROWS rows with
    the buffer's reach above and below, so its float distances take a
    strip's memory, not the mask's."""
    reach = buffer / float(size)
    cloudy = states == CLOUD
    if reach < 1.0 or not cloudy.any():
        return states
    margin = int(math.ceil(reach)) + 1
    height = states.shape[0]
    widened = cloudy.copy()
    for top in range(0, height, BUFFER_ROWS):
        first, last = max(top - margin, 0), min(top + BUFFER_ROWS + margin,
                                                height)
        if not cloudy[first:last].any():
            continue
        near = _distances(cloudy[first:last], margin)
        bottom = min(top + BUFFER_ROWS, height)
        widened[top:bottom] |= near[top - first:bottom - first] <= reach
    out = states.copy()
    out[widened & (states != NO_DATA)] = CLOUD
    return out


def _distances(cloudy, reach):
    """Float32 distances, in pixels between centres, of each pixel to the
    nearest True of ``cloudy``; beyond ``reach`` pixels, more than it."""
    from osgeo import gdal
    height, width = cloudy.shape
    with ExceptionsOn():
        driver = gdal.GetDriverByName("MEM")
        source = driver.Create("", width, height, 1, gdal.GDT_Byte)
        source.GetRasterBand(1).WriteArray(cloudy.astype(np.uint8))
        distance = driver.Create("", width, height, 1, gdal.GDT_Float32)
        gdal.ComputeProximity(
            source.GetRasterBand(1), distance.GetRasterBand(1),
            ["VALUES=1", "DISTUNITS=PIXEL", "MAXDIST={}".format(reach),
             "NODATA={}".format(reach + 1), "USE_INPUT_NODATA=NO"])
        return distance.GetRasterBand(1).ReadAsArray()


def _warped(states, epsg, left, top, size, grid):
    """(``states`` taken onto ``grid``'s CRS by nearest neighbour, on a
    lattice of ``size`` metres from the grid's corner, its left, top)."""
    from rasterio.crs import CRS
    from rasterio.enums import Resampling
    from rasterio.transform import Affine
    from rasterio.warp import reproject
    width = int(math.ceil(grid.width * grid.resolution / float(size)))
    height = int(math.ceil(grid.height * grid.resolution / float(size)))
    out = np.zeros((height, width), np.uint8)
    source = Affine(size, 0, left, 0, -size, top)
    reproject(states, out, src_transform=source,
              src_crs=CRS.from_epsg(epsg), src_nodata=None,
              dst_transform=Affine(size, 0, grid.ulx, 0, -size, grid.uly),
              dst_crs=CRS.from_epsg(grid.epsg), dst_nodata=None,
              resampling=Resampling.nearest)
    return out, grid.ulx, grid.uly


def cloud_tags(clouds, plans, composite=None):
    """The output's tags that record the cloud options and, for each plan
    (a plan.Plan, or anything with ``product`` and ``clear_share``) whose
    clouds were read, its clear share of the area; none where the clouds
    did not act and no composite was asked (``composite``: a dict of the
    composite's options, or None)."""
    import json
    tags = {}
    if clouds is not None and clouds.acts:
        tags["S2EQ_CLOUDS"] = json.dumps(clouds.record(), sort_keys=True)
    if composite:
        tags["S2EQ_COMPOSITE"] = json.dumps(composite, sort_keys=True)
    read = [p for p in plans if getattr(p, "clear", None) is not None]
    if read and tags:
        tags["S2EQ_CLEAR"] = "; ".join(
            "{}: {}".format(p.product.name, "no data" if p.clear_share is None
                            else "{:.1f} %".format(100.0 * p.clear_share))
            for p in read)
    return tags
