"""An area of interest: an extent (in any CRS) and polygons crop the output
grid to whole pixels of the product's own grid, the histogram comes from
the area alone, pixels outside the polygons are no-data, and only the
band tiles the area touches are decoded.

The core through api (as scripts and the command line call it);
test_area_interfaces.py runs the same areas through processing.run,
qgis_process and the command line.
"""

import json
import math
import os

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.features import rasterize
from rasterio.warp import transform, transform_bounds, transform_geom
from rasterio.windows import from_bounds

from sentinel2_equalizer import api
from sentinel2_equalizer.core.curves import curve as curves
from sentinel2_equalizer.core.errors import AreaError
from sentinel2_equalizer.core.pixels import reading
from sentinel2_equalizer.core.pixels.area import make_area
from sentinel2_equalizer.core.render import OPTIONS_TAG

BANDS = "B04,B03,B02"
#: Lossless outputs, so pixels compare exactly.
EXACT = {"compression": "DEFLATE", "sample_percent": 100}


def image(path):
    """Pixels (3, rows, cols), mask, transform and tags of a GeoTIFF."""
    with rasterio.open(path) as img:
        return {"rgb": img.read(), "mask": img.dataset_mask() > 0,
                "transform": img.transform, "bounds": img.bounds,
                "crs": img.crs, "tags": img.tags()}


def crop_of(full, area):
    """The pixels and mask of the image ``full`` (an image()) over the
    bounds of ``area`` (another), no-data beyond ``full``."""
    window = from_bounds(*area["bounds"], transform=full["transform"])
    row, col = int(round(window.row_off)), int(round(window.col_off))
    rows, cols = area["mask"].shape
    rgb = np.zeros((3, rows, cols), dtype=full["rgb"].dtype)
    mask = np.zeros((rows, cols), dtype=bool)
    top, left = max(row, 0), max(col, 0)
    bottom = min(row + rows, full["mask"].shape[0])
    right = min(col + cols, full["mask"].shape[1])
    rgb[:, top - row:bottom - row, left - col:right - col] = \
        full["rgb"][:, top:bottom, left:right]
    mask[top - row:bottom - row, left - col:right - col] = \
        full["mask"][top:bottom, left:right]
    return rgb, mask


@pytest.fixture(scope="module")
def full(l1c, tmp_path_factory):
    """The whole tile, its curve file, and the tile with that curve."""
    folder = tmp_path_factory.mktemp("area-full")
    result = api.equalize(str(l1c), str(folder / "own.tif"), bands=BANDS,
                          **EXACT)
    curve = str(folder / "tile.json")
    curves.save(result.curve, curve)
    api.equalize(str(l1c), str(folder / "full.tif"), bands=BANDS,
                 curve=curve, **EXACT)
    return {"grid": result.grid, "curve": curve,
            "own": image(folder / "own.tif"),
            "image": image(folder / "full.tif")}


def box(grid, left, top, right, bottom):
    """Metres in the grid's CRS, from pixel positions (floats) of it."""
    res = grid.resolution
    return (grid.ulx + left * res, grid.uly - bottom * res,
            grid.ulx + right * res, grid.uly - top * res)


# ---------------------------------------------------------------------------
# The grid: the extent snapped outward to whole pixels, pixels in place.

def snapped(grid, bounds):
    res = grid.resolution
    xmin, ymin, xmax, ymax = bounds
    return (grid.ulx + math.floor((xmin - grid.ulx) / res) * res,
            grid.uly - math.ceil((grid.uly - ymin) / res) * res,
            grid.ulx + math.ceil((xmax - grid.ulx) / res) * res,
            grid.uly - math.floor((grid.uly - ymax) / res) * res)


@pytest.mark.parametrize("crs", [None, "EPSG:32631", "EPSG:4326",
                                 "EPSG:32632"])
def test_the_grid_is_the_extent_snapped_outward_to_whole_pixels(
        crs, l1c, full, tmp_path):
    grid = full["grid"]
    wanted = box(grid, 40.3, 61.7, 171.2, 150.5)     # in the output CRS
    extent = wanted
    if crs not in (None, "EPSG:32631"):
        # The area given in another CRS covers at least ``wanted``.
        extent = transform_bounds(CRS.from_epsg(32631), crs, *wanted,
                                  densify_pts=21)
    given = list(extent) + ([crs] if crs else [])
    out = tmp_path / "area.tif"
    result = api.equalize(str(l1c), str(out), bands=BANDS,
                          curve=full["curve"], extent=given, **EXACT)
    expected = snapped(grid, wanted if crs in (None, "EPSG:32631") else
                       transform_bounds(crs, CRS.from_epsg(32631), *extent,
                                        densify_pts=21))
    area = image(out)
    assert area["crs"].to_epsg() == 32631
    assert tuple(area["bounds"]) == pytest.approx(expected, abs=1e-6)
    assert result.grid.width == round((expected[2] - expected[0]) / 10)
    # Pixels stay where they are: the same as the whole tile's there.
    rgb, mask = crop_of(full["image"], area)
    assert (area["mask"] == mask).all() and area["mask"].any()
    assert (area["rgb"][:, mask] == rgb[:, mask]).all()


@pytest.mark.parametrize("bands, resolution", [
    ("B05,B04,B8A", None),      # 20 m bands repeated on a 10 m grid
    ("B04,B03,B02", 20),        # 10 m bands read at a reduced level
    ("B04,B03,B02", 60)])
def test_every_pixel_is_the_whole_tiles_with_the_same_curve(
        bands, resolution, l1c, tmp_path):
    own = api.equalize(str(l1c), str(tmp_path / "own.tif"), bands=bands,
                       resolution=resolution, **EXACT)
    curve = str(tmp_path / "curve.json")
    curves.save(own.curve, curve)
    api.equalize(str(l1c), str(tmp_path / "full.tif"), bands=bands,
                 resolution=resolution, curve=curve, **EXACT)
    # An odd 10 m pixel: a 20 m band's pixel is cut at the edge.
    extent = box(own.grid, 13.1, 7.3, 29.9, 23.2) if resolution else box(
        own.grid, 51.1, 27.3, 219.9, 103.2)
    out = tmp_path / "area.tif"
    api.equalize(str(l1c), str(out), bands=bands, resolution=resolution,
                 curve=curve, extent=extent, **EXACT)
    area = image(out)
    rgb, mask = crop_of(image(tmp_path / "full.tif"), area)
    assert (area["mask"] == mask).all()
    assert (area["rgb"] == rgb).all()


# ---------------------------------------------------------------------------
# The histogram comes from the area.

def tenths(values):
    """Shares of ``values`` (0-255) in each tenth of the range."""
    counts, _ = np.histogram(values, bins=10, range=(0, 256))
    return counts / float(len(values))


def test_the_area_gets_the_whole_output_range(l1c, full, tmp_path):
    grid = full["grid"]
    # A corner of the tile, darker than the rest.
    extent = box(grid, 0, 0, 120, 120)
    out = tmp_path / "area.tif"
    result = api.equalize(str(l1c), str(out), bands=BANDS, extent=extent,
                          **EXACT)
    area = image(out)
    _, mask = crop_of(full["image"], area)
    tile_rgb = crop_of(full["own"], area)[0]
    uneven = False
    for band in range(3):
        shares = tenths(area["rgb"][band][area["mask"]])
        assert ((shares >= 0.05) & (shares <= 0.15)).all(), shares
        tile_shares = tenths(tile_rgb[band][mask])
        uneven |= not ((tile_shares >= 0.05) & (tile_shares <= 0.15)).all()
    # The whole tile's curve does not spread the area over the range.
    assert uneven
    # Every valid pixel of the area, and no other, fed the histogram.
    for band in BANDS.split(","):
        assert result.curve.counts[band].valid_pixels == area["mask"].sum()


# ---------------------------------------------------------------------------
# A polygon mask, in another CRS, with a hole.

def write_geojson(path, rings_utm, epsg=32631):
    """A GeoJSON file (EPSG:4326) of one polygon whose rings are given in
    ``epsg`` metres; returns the polygon in ``epsg``."""
    polygon = {"type": "Polygon", "coordinates": rings_utm}
    lonlat = transform_geom(CRS.from_epsg(epsg), CRS.from_epsg(4326),
                            polygon)
    with open(path, "w") as stream:
        json.dump({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": lonlat}]},
            stream)
    return polygon


def ring(grid, points):
    res = grid.resolution
    coords = [(grid.ulx + c * res, grid.uly - r * res) for c, r in points]
    return coords + [coords[0]]


@pytest.fixture(scope="module")
def holed(full, tmp_path_factory):
    """A GeoJSON (in degrees) of a quadrilateral with a square hole."""
    grid = full["grid"]
    path = str(tmp_path_factory.mktemp("mask") / "field.geojson")
    polygon = write_geojson(path, [
        ring(grid, [(60.5, 40.2), (250.3, 70.7), (230.1, 300.4),
                    (50.6, 280.9)]),
        ring(grid, [(120.2, 120.2), (180.7, 120.2), (180.7, 180.3),
                    (120.2, 180.3)])])
    return path, polygon


def test_pixels_outside_the_polygons_and_in_holes_are_masked(
        l1c, full, holed, tmp_path):
    path, polygon = holed
    out = tmp_path / "masked.tif"
    result = api.equalize(str(l1c), str(out), bands=BANDS, mask=path,
                          **EXACT)
    area = image(out)
    # The extent is the polygons' bounding box (as OGR takes it to UTM).
    assert result.grid.width * 10 <= (250.3 - 50.6 + 2) * 10
    inside = rasterize([(transform_geom(CRS.from_epsg(4326),
                                        CRS.from_epsg(32631),
                                        transform_geom(
                                            CRS.from_epsg(32631),
                                            CRS.from_epsg(4326), polygon)),
                         1)], out_shape=area["mask"].shape,
                       transform=area["transform"], fill=0,
                       dtype="uint8") > 0
    _, valid = crop_of(full["image"], area)
    expected = inside & valid
    # A pixel whose centre is within a hair of an edge may fall either way.
    assert (area["mask"] != expected).sum() <= 0.002 * expected.sum()
    hole = box(full["grid"], 125, 125, 175, 175)
    hole_window = from_bounds(*hole, transform=area["transform"])
    r0, c0 = int(hole_window.row_off), int(hole_window.col_off)
    assert not area["mask"][r0:r0 + 50, c0:c0 + 50].any()
    # The histogram counts the pixels inside alone (saturated ones, drawn
    # white, never count).
    inside = area["mask"].sum()
    for index, band in enumerate(BANDS.split(",")):
        white = (area["rgb"][index][area["mask"]] == 255).sum()
        assert (inside - white <= result.curve.counts[band].valid_pixels
                <= inside)
    # And with the whole tile's curve, the pixels inside are the tile's.
    api.equalize(str(l1c), str(tmp_path / "c.tif"), bands=BANDS,
                 mask=path, curve=full["curve"], **EXACT)
    cut = image(tmp_path / "c.tif")
    assert (cut["mask"] == area["mask"]).all()
    rgb, _ = crop_of(full["image"], cut)
    assert (cut["rgb"][:, cut["mask"]] == rgb[:, cut["mask"]]).all()


# ---------------------------------------------------------------------------
# Edges.

def test_an_extent_partly_outside_is_no_data_there(l1c, full, tmp_path):
    grid = full["grid"]
    extent = box(grid, -50, 300, 100, 420)       # beyond left and bottom
    out = tmp_path / "edge.tif"
    api.equalize(str(l1c), str(out), bands=BANDS, curve=full["curve"],
                 extent=extent, **EXACT)
    area = image(out)
    assert area["mask"].shape == (120, 150)
    assert not area["mask"][:, :50].any() and not area["mask"][66:].any()
    rgb, mask = crop_of(full["image"], area)
    assert (area["mask"] == mask).all()
    assert (area["rgb"][:, mask] == rgb[:, mask]).all()


def test_an_extent_that_misses_the_product_names_both(l1c, full, tmp_path):
    out = tmp_path / "miss.tif"
    with pytest.raises(AreaError) as raised:
        api.equalize(str(l1c), str(out), bands=BANDS,
                     extent="2.0,45.0,2.1,45.1,EPSG:4326")
    message = str(raised.value)
    assert "does not touch" in message
    assert "(2, 45, 2.1, 45.1)" in message and "(600000," in message
    assert not os.listdir(tmp_path)


def test_an_extent_under_a_pixel_is_refused(l1c, full, tmp_path):
    extent = box(full["grid"], 10.1, 10.1, 10.6, 10.6)
    with pytest.raises(AreaError, match="under one 10 m pixel"):
        api.equalize(str(l1c), str(tmp_path / "tiny.tif"), bands=BANDS,
                     extent=extent)
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("text, message", [
    ("1,2,3", "is not XMIN,YMIN,XMAX,YMAX"),
    ("5,2,3,4", "is empty"),
    ("1,2,a,4", "not a number"),
    ("1,2,3,4,EPSG:99999999", "not a coordinate reference system")])
def test_a_malformed_extent_is_explained(text, message):
    with pytest.raises(AreaError, match=message):
        make_area(text)


def features(path, geometries, epsg=4326):
    with open(path, "w") as stream:
        json.dump({"type": "FeatureCollection",
                   "crs": {"type": "name", "properties": {
                       "name": "urn:ogc:def:crs:EPSG::{}".format(epsg)}},
                   "features": [{"type": "Feature", "properties": {},
                                 "geometry": g} for g in geometries]},
                  stream)
    return str(path)


@pytest.mark.parametrize("geometries, message", [
    ([], "holds no polygon"),
    ([{"type": "Point", "coordinates": [4.4, 49.62]}], "holds no polygon"),
    ([{"type": "Polygon", "coordinates": [[[4.40, 49.62], [4.42, 49.63],
                                           [4.42, 49.62], [4.40, 49.63],
                                           [4.40, 49.62]]]}],
     "not a valid polygon")])
def test_an_empty_or_invalid_polygon_layer_is_explained(
        geometries, message, l1c, tmp_path):
    path = features(tmp_path / "bad.geojson", geometries)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(AreaError, match=message):
        api.equalize(str(l1c), str(out / "bad.tif"), bands=BANDS, mask=path)
    assert not os.listdir(out)


def test_a_missing_or_unreadable_mask_file_is_explained(l1c, tmp_path):
    with pytest.raises(AreaError, match="does not exist"):
        api.equalize(str(l1c), str(tmp_path / "a.tif"), bands=BANDS,
                     mask=str(tmp_path / "none.gpkg"))
    junk = tmp_path / "junk.geojson"
    junk.write_text("not a vector file")
    with pytest.raises(AreaError, match="cannot be read as polygons"):
        api.equalize(str(l1c), str(tmp_path / "a.tif"), bands=BANDS,
                     mask=str(junk))
    assert sorted(os.listdir(tmp_path)) == ["junk.geojson"]


# ---------------------------------------------------------------------------
# The cost follows the area: JPEG2000 tiles decoded are counted.

@pytest.fixture(scope="module", params=["JPEG2000", "GeoTIFF"])
def many_tiles(products, request):
    """A product of 1098 x 1098 10 m pixels in 64-pixel tiles: 18 x 18
    tiles per 10 m band, JPEG2000 (L1C) or Cloud Optimized GeoTIFF
    (L2A)."""
    if request.param == "GeoTIFF":
        return products("area-many-tiles-tif", size=1098, jp2_block=64,
                        level="L2A", band_format="GeoTIFF",
                        bands=("B04", "B03", "B02"))
    return products("area-many-tiles", size=1098, jp2_block=64,
                    bands=("B04", "B03", "B02"))


def counting_decodes(monkeypatch):
    """{band: set of (tile row, tile col) decoded} as runs decode."""
    decoded = {}
    real = reading.GranuleBand.decode

    def decode(self, window):
        tiles = decoded.setdefault(self.band, set())
        size = 64
        for row in range(window.row_off // size,
                         -(-(window.row_off + window.height) // size)):
            for col in range(window.col_off // size,
                             -(-(window.col_off + window.width) // size)):
                tiles.add((row, col))
        return real(self, window)
    monkeypatch.setattr(reading.GranuleBand, "decode", decode)
    return decoded


@pytest.mark.parametrize("given_curve", [False, True])
def test_a_hundredth_of_the_tile_decodes_a_tenth_of_its_tiles(
        given_curve, many_tiles, tmp_path, monkeypatch):
    whole = counting_decodes(monkeypatch)
    result = api.equalize(str(many_tiles), str(tmp_path / "whole.tif"),
                          bands=BANDS)
    assert all(len(tiles) == 18 * 18 for tiles in whole.values())
    curve = None
    if given_curve:
        curve = str(tmp_path / "c.json")
        curves.save(result.curve, curve)
    part = counting_decodes(monkeypatch)
    # A hundredth of the tile's area, across tile edges.
    extent = box(result.grid, 500, 300, 610, 410)
    api.equalize(str(many_tiles), str(tmp_path / "part.tif"), bands=BANDS,
                 extent=extent, curve=curve)
    assert sorted(part) == ["B02", "B03", "B04"]
    for band, tiles in part.items():
        assert 0 < len(tiles) <= 18 * 18 / 10, band
        assert len(tiles) == 9, band        # 3 x 3 tiles under the area


# ---------------------------------------------------------------------------
# Provenance: the tags record the area, so a later run can tell.

def test_the_tags_record_the_extent_and_the_mask(l1c, holed, tmp_path):
    path, _ = holed
    out = str(tmp_path / "tagged.tif")
    arguments = dict(bands=BANDS, extent="600500,5497000,602000,5499000",
                     mask=path)
    api.equalize(str(l1c), out, **arguments)
    tags = image(out)["tags"]
    assert tags["S2EQ_EXTENT"] == "600500,5497000,602000,5499000"
    assert tags["S2EQ_EXTENT_CRS"] == "output grid"
    assert tags["S2EQ_MASK"] == "field.geojson"
    with open(path, "rb") as stream:
        import hashlib
        assert tags["S2EQ_MASK_SHA256"] == hashlib.sha256(
            stream.read()).hexdigest()
    options = json.loads(tags[OPTIONS_TAG])
    assert options["area"]["mask_sha256"] == tags["S2EQ_MASK_SHA256"]
    assert api.is_current(str(l1c), out, **arguments)
    assert not api.is_current(str(l1c), out, **dict(
        arguments, extent="600500,5497000,602010,5499000"))
    assert not api.is_current(str(l1c), out, bands=BANDS)


def test_without_an_area_the_options_tag_is_as_before(l1c, tmp_path):
    out = str(tmp_path / "plain.tif")
    api.equalize(str(l1c), out, bands=BANDS)
    assert "area" not in json.loads(image(out)["tags"][OPTIONS_TAG])
    assert "S2EQ_EXTENT" not in image(out)["tags"]


def test_a_bounding_box_is_in_degrees(l1c, full, tmp_path):
    grid = full["grid"]
    wanted = box(grid, 40, 60, 170, 150)
    west, south, east, north = transform_bounds(
        CRS.from_epsg(32631), CRS.from_epsg(4326), *wanted, densify_pts=21)
    api.equalize(str(l1c), str(tmp_path / "b.tif"), bands=BANDS,
                 bbox="{},{},{},{}".format(west, south, east, north),
                 curve=full["curve"], **EXACT)
    api.equalize(str(l1c), str(tmp_path / "e.tif"), bands=BANDS,
                 extent=[west, south, east, north, "EPSG:4326"],
                 curve=full["curve"], **EXACT)
    assert (image(tmp_path / "b.tif")["rgb"] ==
            image(tmp_path / "e.tif")["rgb"]).all()
    with pytest.raises(AreaError, match="not both"):
        make_area("1,2,3,4", bbox="1,2,3,4")
    lon, lat = transform(CRS.from_epsg(32631), CRS.from_epsg(4326),
                         [wanted[0]], [wanted[1]])
    assert west <= lon[0] and south <= lat[0]


# ---------------------------------------------------------------------------
# The curve file records the area it was measured over.

def test_a_curve_of_an_area_records_it(l1c, full, holed, tmp_path):
    grid = full["grid"]
    extent = box(grid, 10, 10, 200, 150)
    given = "{},{},{},{},EPSG:32631".format(*extent)
    measured = api.measure(str(l1c), bands=BANDS, extent=given,
                           sample_percent=100)
    path = str(tmp_path / "area.json")
    api.build_curve([measured], path)
    with open(path) as stream:
        recorded = json.load(stream)["area"]
    assert recorded == {"extent": list(extent), "crs": "EPSG:32631"}
    curve = curves.load(path)
    assert curve.area == recorded
    # A run with that curve says where it was measured.
    notes = []
    api.equalize(str(l1c), str(tmp_path / "out.tif"), bands=BANDS,
                 curve=path, log=notes.append)
    said = [n for n in notes if n.startswith("Curve: ")]
    assert len(said) == 1
    assert "measured over extent {},{},{},{} (EPSG:32631)".format(
        *("{:.10g}".format(v) for v in extent)) in said[0]
    # The mask's file name and digest go with it; a whole product's curve
    # records no area.
    masked = api.measure(str(l1c), bands=BANDS, mask=holed[0])
    assert masked.area["mask"] == "field.geojson"
    assert len(masked.area["mask_sha256"]) == 64
    whole = api.measure(str(l1c), bands=BANDS)
    assert whole.area is None
    api.build_curve([whole], str(tmp_path / "whole.json"))
    with open(tmp_path / "whole.json") as stream:
        assert "area" not in json.load(stream)
    # Measurements of different areas make no one curve.
    with pytest.raises(curves.CurveError, match="different areas"):
        curves.combine([measured, whole])


@pytest.mark.parametrize("area, message", [
    ([1, 2, 3], "area must be an object"),
    ({"extent": [0, 0, 1]}, "four finite numbers"),
    ({"extent": [0, 0, 1, "x"]}, "four finite numbers"),
    ({"extent": None, "crs": 4326}, "area: crs must be text"),
    ({"extent": None, "mask": "m.gpkg", "mask_sha256": "z" * 64},
     "64 hexadecimal"),
])
def test_a_damaged_area_in_a_curve_file_is_refused(
        l1c, full, tmp_path, area, message):
    with open(full["curve"]) as stream:
        doc = json.load(stream)
    doc["area"] = area
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(curves.CurveError, match=message):
        curves.load(str(path))
