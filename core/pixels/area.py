"""The area of interest: an extent with its coordinate reference system,
polygons from a vector file, the output grid they crop, and the mask of
the polygons on that grid.

The cropped grid is the extent taken into the output grid's CRS and
snapped outward to whole pixels of the product's own grid, so pixels stay
where they are (nothing is resampled) and a run over an area gives the
very pixels of the full tile there. A part of the extent beyond the
product is no-data. Polygons are read with GDAL/OGR from any file it
reads (GeoPackage, GeoJSON, Shapefile ...), in any CRS; pixels whose
centre lies outside them, or in a hole, are no-data in the output and
left out of the histogram.
"""

import hashlib
import math
import os
from dataclasses import dataclass

import numpy as np
from rasterio.crs import CRS
from rasterio.errors import CRSError
from rasterio.warp import transform_bounds

from ..errors import AreaError, first_line
from ..gdal.thread import ExceptionsOn
from .grid import Grid

#: Points per edge where an extent is taken to another CRS: enough to
#: follow the curvature of a UTM zone's lines of longitude.
DENSIFY_POINTS = 21
#: What floating point may put beside a pixel edge, in pixels.
EDGE_TOLERANCE = 1e-6
#: The CRS of --bbox: longitude and latitude on WGS 84.
LONLAT = "EPSG:4326"
#: How a vector file names one of its layers (QGIS's own spelling).
LAYER_SUFFIX = "|layername="


@dataclass(frozen=True)
class Area:
    """An area of interest, in plain values.

    ``extent``: (xmin, ymin, xmax, ymax) in ``crs``, or None for the
    polygons' bounding box. ``crs``: "EPSG:4326", a WKT or anything
    rasterio's CRS.from_user_input takes; None for the output grid's.
    ``mask``: a vector file of polygons GDAL reads (optionally
    "path|layername=NAME"), or None.
    """

    extent: tuple = None
    crs: str = None
    mask: str = None

    def describe(self):
        """The area in a few words, for the log and the output's tags."""
        parts = []
        if self.extent:
            parts.append("extent {}{}".format(
                _bounds_text(self.extent),
                " ({})".format(self.crs) if self.crs else ""))
        if self.mask:
            parts.append("mask {}".format(os.path.basename(
                mask_file(self.mask))))
        return ", ".join(parts)


def make_area(extent=None, mask=None, bbox=None):
    """The Area of an extent (a text "XMIN,YMIN,XMAX,YMAX[,CRS]" or a
    sequence of four numbers and an optional CRS), a bounding box in
    degrees (WEST,SOUTH,EAST,NORTH, as text or a sequence) and a mask
    file; None where all are empty. Raises AreaError for a malformed
    extent or both an extent and a bounding box."""
    if extent not in (None, "") and bbox not in (None, ""):
        raise AreaError("Give an extent or a bounding box in degrees, not "
                        "both.")
    bounds, crs = None, None
    if bbox not in (None, ""):
        bounds, crs = parse_extent(bbox, "bounding box")
        if crs:
            raise AreaError("A bounding box is in degrees (WEST,SOUTH,EAST,"
                            "NORTH) and takes no CRS; give an extent for "
                            "another CRS.")
        crs = LONLAT
    elif extent not in (None, ""):
        bounds, crs = parse_extent(extent)
    mask = str(mask) if mask not in (None, "") else None
    if bounds is None and mask is None:
        return None
    return Area(bounds, crs, mask)


def parse_extent(value, what="extent"):
    """((xmin, ymin, xmax, ymax), crs or None) of ``value``: text
    "XMIN,YMIN,XMAX,YMAX[,CRS]" or a sequence of the same. Raises
    AreaError for anything else."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    parts = [p.strip() if isinstance(p, str) else p for p in parts]
    if len(parts) not in (4, 5):
        raise AreaError(
            "The {} '{}' is not XMIN,YMIN,XMAX,YMAX with an optional CRS "
            "(for example 500000,5790000,510000,5800000,EPSG:32631)."
            .format(what, value))
    try:
        bounds = tuple(float(p) for p in parts[:4])
    except (TypeError, ValueError):
        raise AreaError("The {} '{}' has a corner that is not a number; "
                        "give XMIN,YMIN,XMAX,YMAX.".format(what, value))
    crs = parts[4] if len(parts) == 5 and parts[4] else None
    if not all(math.isfinite(b) for b in bounds):
        raise AreaError("The {} '{}' has a corner that is not a finite "
                        "number.".format(what, value))
    if bounds[0] >= bounds[2] or bounds[1] >= bounds[3]:
        raise AreaError(
            "The {} {} is empty: XMIN must be below XMAX and YMIN below "
            "YMAX (the order is XMIN,YMIN,XMAX,YMAX).".format(
                what, _bounds_text(bounds)))
    if crs:
        _crs(crs)
    return bounds, crs


def _crs(text):
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise AreaError("'{}' is not a coordinate reference system GDAL "
                        "knows ({}); give one like EPSG:4326.".format(
                            text, first_line(exc)))


def _bounds_text(bounds):
    """Corners as people write them: metres whole, degrees to 1e-6."""
    return "({})".format(", ".join(
        "{:.6f}".format(v).rstrip("0").rstrip(".") for v in bounds))


def mask_file(mask):
    """The file of a mask given as "path" or "path|layername=NAME"."""
    return str(mask).split(LAYER_SUFFIX)[0]


def mask_digest(mask):
    """The SHA-256 (hex) of a mask's file, for the output's tags."""
    digest = hashlib.sha256()
    with open(mask_file(mask), "rb") as stream:
        for chunk in iter(lambda: stream.read(2 ** 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def area_tags(area):
    """The output's tags that record ``area`` (none for None)."""
    if area is None:
        return {}
    tags = {"S2EQ_AREA": area.describe()}
    if area.extent:
        tags["S2EQ_EXTENT"] = ",".join("{:.17g}".format(b)
                                       for b in area.extent)
        tags["S2EQ_EXTENT_CRS"] = area.crs or "output grid"
    if area.mask:
        tags["S2EQ_MASK"] = os.path.basename(mask_file(area.mask))
        tags["S2EQ_MASK_SHA256"] = mask_digest(area.mask)
    return tags


def area_record(area):
    """What decides the pixels of ``area`` as plain values (the extent,
    its CRS, the mask's file name and digest), for the options tag; None
    for no area."""
    if area is None:
        return None
    record = {"extent": list(area.extent) if area.extent else None,
              "crs": area.crs}
    if area.mask:
        record["mask"] = os.path.basename(mask_file(area.mask))
        record["mask_sha256"] = mask_digest(area.mask)
    return record


class Polygons:
    """The polygons of a mask file, taken into one CRS (an EPSG code), as
    OGR geometries."""

    def __init__(self, mask, epsg):
        from osgeo import ogr, osr
        self.mask, self.epsg = mask, epsg
        path = mask_file(mask)
        name = os.path.basename(path)
        layer_name = (str(mask).split(LAYER_SUFFIX, 1)[1]
                      if LAYER_SUFFIX in str(mask) else None)
        if not os.path.exists(path):
            raise AreaError("The mask file {} does not exist.".format(path))
        self.geometries = []
        with ExceptionsOn():
            target = osr.SpatialReference()
            target.ImportFromEPSG(int(epsg))
            target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            try:
                source = ogr.Open(path)
            except RuntimeError as exc:
                source = None
                reason = first_line(exc)
            else:
                reason = "not a vector file GDAL reads"
            if source is None or source.GetLayerCount() == 0:
                raise AreaError(
                    "The mask {} cannot be read as polygons ({}). Give a "
                    "GeoPackage, GeoJSON or Shapefile of polygons.".format(
                        path, reason))
            layer = (source.GetLayerByName(layer_name) if layer_name
                     else source.GetLayer(0))
            if layer is None:
                raise AreaError("The mask {} has no layer named '{}'."
                                .format(path, layer_name))
            own = layer.GetSpatialRef()
            if own is None:
                raise AreaError(
                    "The mask {} has no coordinate reference system: save "
                    "it with one (a .prj beside a Shapefile).".format(path))
            own.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            to_grid = osr.CoordinateTransformation(own, target)
            for feature in layer:
                geometry = feature.GetGeometryRef()
                if geometry is None or geometry.IsEmpty():
                    continue
                kind = ogr.GT_Flatten(geometry.GetGeometryType())
                if kind not in (ogr.wkbPolygon, ogr.wkbMultiPolygon,
                                ogr.wkbCurvePolygon, ogr.wkbMultiSurface):
                    continue
                geometry = geometry.Clone()
                if not geometry.IsValid():
                    raise AreaError(
                        "Feature {} of the mask {} is not a valid polygon "
                        "(it crosses itself or its rings touch). Repair it "
                        "(QGIS: Fix geometries) and try again.".format(
                            feature.GetFID(), name))
                geometry.Transform(to_grid)
                self.geometries.append(geometry)
        if not self.geometries:
            raise AreaError(
                "The mask {} holds no polygon: give a layer of polygons "
                "(points and lines do not enclose an area).".format(path))

    def bounds(self):
        """(xmin, ymin, xmax, ymax) of all the polygons, in the grid's
        CRS."""
        envelopes = [g.GetEnvelope() for g in self.geometries]
        return (min(e[0] for e in envelopes), min(e[2] for e in envelopes),
                max(e[1] for e in envelopes), max(e[3] for e in envelopes))

    def rasterize(self, grid):
        """A bool array (grid.height, grid.width): True where a pixel's
        centre lies inside a polygon (not in a hole)."""
        from osgeo import gdal, ogr, osr
        with ExceptionsOn():
            srs = osr.SpatialReference()
            srs.ImportFromEPSG(int(grid.epsg))
            raster = gdal.GetDriverByName("MEM").Create(
                "", grid.width, grid.height, 1, gdal.GDT_Byte)
            raster.SetGeoTransform(grid.transform.to_gdal())
            raster.SetProjection(srs.ExportToWkt())
            vector = ogr.GetDriverByName("Memory").CreateDataSource("")
            layer = vector.CreateLayer("mask", srs, ogr.wkbUnknown)
            for geometry in self.geometries:
                feature = ogr.Feature(layer.GetLayerDefn())
                feature.SetGeometry(geometry)
                layer.CreateFeature(feature)
            gdal.RasterizeLayer(raster, [1], layer, burn_values=[1])
            inside = raster.GetRasterBand(1).ReadAsArray() > 0
        return inside


class BlockMask:
    """What a mask with a block() (a bool array of a block's pixels, True
    where kept) does to a block of pixels."""

    def clear(self, block, row, col, nodata, step=1):
        """``block`` (a copy where needed) with the pixels the mask does
        not keep set to ``nodata``; ``row``, ``col``, ``step`` as for
        block()."""
        keep = self.block(row, col, block.shape[0], block.shape[1], step)
        if keep.all():
            return block
        block = block.copy()
        block[~keep] = nodata
        return block


class GridMask(BlockMask):
    """Which pixels of a grid lie in the area: a bool array of the grid's
    shape, read by blocks that may reach beyond the grid (outside is
    False)."""

    def __init__(self, inside):
        self.inside = inside

    def block(self, row, col, rows, cols, step=1):
        """A bool array (rows, cols): for each pixel of a block whose
        pixels are ``step`` grid pixels a side, with its upper-left pixel
        at grid (row, col), whether its centre is in the area."""
        height, width = self.inside.shape
        offset = step // 2
        ys = row + np.arange(rows) * step + offset
        xs = col + np.arange(cols) * step + offset
        good_y, good_x = (ys >= 0) & (ys < height), (xs >= 0) & (xs < width)
        out = np.zeros((rows, cols), dtype=bool)
        if good_y.any() and good_x.any():
            out[np.ix_(good_y, good_x)] = self.inside[np.ix_(
                ys[good_y], xs[good_x])]
        return out

    def at(self, rows, cols):
        """Bool per point: whether grid pixel (rows[i], cols[i]) is in
        the area (False off the grid)."""
        height, width = self.inside.shape
        rows, cols = np.asarray(rows), np.asarray(cols)
        good = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        out = np.zeros(rows.shape, bool)
        out[good] = self.inside[rows[good], cols[good]]
        return out


def crop_grid(grid, area, what="the product", polygons=None):
    """The part of ``grid`` (a Grid) that ``area`` covers, snapped outward
    to whole pixels of ``grid``; it may reach beyond ``grid`` (no-data
    there). ``polygons``: the area's Polygons on ``grid``'s CRS, whose
    bounding box is the extent where the area has none. Raises AreaError
    for an area under a pixel or one that misses ``grid``."""
    res = grid.resolution
    if area.extent:
        xmin, ymin, xmax, ymax = area.extent
        if area.crs and _crs(area.crs) != CRS.from_epsg(grid.epsg):
            try:
                xmin, ymin, xmax, ymax = transform_bounds(
                    _crs(area.crs), CRS.from_epsg(grid.epsg), xmin, ymin,
                    xmax, ymax, densify_pts=DENSIFY_POINTS)
            except Exception as exc:        # PROJ's own failures
                raise AreaError(
                    "The extent {} ({}) cannot be taken into EPSG:{} ({})."
                    .format(_bounds_text(area.extent), area.crs, grid.epsg,
                            first_line(exc)))
        given = area.describe()
    else:
        xmin, ymin, xmax, ymax = polygons.bounds()
        given = "the mask's polygons, bounding box {} in EPSG:{}".format(
            _bounds_text((xmin, ymin, xmax, ymax)), grid.epsg)
    own = _bounds_text((grid.ulx, grid.uly - grid.height * res,
                        grid.ulx + grid.width * res, grid.uly))
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        raise AreaError("The area ({}) cannot be placed on EPSG:{}: it lies "
                        "beyond the zone's projection.".format(
                            given, grid.epsg))
    if xmax - xmin < res or ymax - ymin < res:
        raise AreaError(
            "The area ({}) is {:.3g} x {:.3g} m in EPSG:{}, under one {} m "
            "pixel of {} ({} in EPSG:{}). Give an extent at least a pixel "
            "wide and high.".format(given, xmax - xmin, ymax - ymin,
                                    grid.epsg, res, what, own, grid.epsg))
    col0 = int(math.floor((xmin - grid.ulx) / res + EDGE_TOLERANCE))
    col1 = int(math.ceil((xmax - grid.ulx) / res - EDGE_TOLERANCE))
    row0 = int(math.floor((grid.uly - ymax) / res + EDGE_TOLERANCE))
    row1 = int(math.ceil((grid.uly - ymin) / res - EDGE_TOLERANCE))
    if col1 <= 0 or row1 <= 0 or col0 >= grid.width or row0 >= grid.height:
        raise AreaError(
            "The area ({}; {} in EPSG:{}) does not touch {}, whose extent "
            "is {} in EPSG:{}. Give an extent over the product.".format(
                given, _bounds_text((xmin, ymin, xmax, ymax)), grid.epsg,
                what, own, grid.epsg))
    return Grid(grid.epsg, res, grid.ulx + col0 * res, grid.uly - row0 * res,
                col1 - col0, row1 - row0)


def touches(grid, area_grid):
    """Whether two grids of one CRS share some ground."""
    def box(g):
        return (g.ulx, g.uly - g.height * g.resolution,
                g.ulx + g.width * g.resolution, g.uly)
    a, b = box(grid), box(area_grid)
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class AreaOnGrid:
    """An area made ready for one grid: the cropped grid and the mask of
    its polygons there (None without polygons). ``required``: raise
    AreaError where no pixel of the grid lies in the polygons."""

    def __init__(self, area, grid, what="the product", required=True):
        polygons = (Polygons(area.mask, grid.epsg) if area.mask else None)
        self.area = area
        self.grid = crop_grid(grid, area, what, polygons)
        self.mask = None
        if polygons is not None:
            inside = polygons.rasterize(self.grid)
            if required and not inside.any():
                raise AreaError(
                    "No pixel centre of the {} m grid lies inside the "
                    "polygons of the mask {} within the extent: give "
                    "polygons over {}.".format(
                        grid.resolution, os.path.basename(
                            mask_file(area.mask)), what))
            self.mask = GridMask(inside)
