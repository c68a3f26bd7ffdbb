"""GDAL 3.7 and later print a FutureWarning, once per process, at the first
call of its Python bindings made while neither exceptions nor their
absence was chosen: on a user's terminal, in the middle of a run's
output. The core chooses them, thread by thread (core/gdal/thread.py);
here `s2eq` runs in a fresh process with FutureWarnings made errors,
through the paths that call GDAL's bindings directly: the staging file
(spatial reference), a polygon mask (OGR, reprojection, rasterizing) and
an extent in degrees. On GDAL 3.6 there is no such warning, and the runs
show only that the same commands work.
"""

import json

import rasterio
from rasterio.crs import CRS
from rasterio.warp import transform_bounds, transform_geom

from s2eq_runner import environment, run_s2eq


def middle_square(band_file, half=400.0):
    """(CRS, a square of ``half`` metres around the middle of
    ``band_file``, as a GeoJSON polygon in that CRS)."""
    with rasterio.open(band_file) as band:
        bounds, crs = band.bounds, band.crs
    x = (bounds.left + bounds.right) / 2
    y = (bounds.bottom + bounds.top) / 2
    return crs, {"type": "Polygon", "coordinates": [[
        (x - half, y - half), (x + half, y - half), (x + half, y + half),
        (x - half, y + half), (x - half, y - half)]]}


def test_runs_print_no_future_warning_of_gdal(l1c, tmp_path):
    crs, square = middle_square(next(l1c.glob("GRANULE/*/IMG_DATA/*_B04.jp2")))
    mask = tmp_path / "field.geojson"
    with open(mask, "w") as stream:
        json.dump({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {},
            "geometry": transform_geom(crs, CRS.from_epsg(4326), square)}]},
            stream)
    ring = square["coordinates"][0]
    west, south, east, north = transform_bounds(
        crs, CRS.from_epsg(4326), ring[0][0], ring[0][1], ring[2][0],
        ring[2][1])
    bbox = "{:.6f},{:.6f},{:.6f},{:.6f}".format(west, south, east, north)
    env = environment(PYTHONWARNINGS="error::FutureWarning")
    for name, extra in (("whole", ()), ("mask", ("--mask", mask)),
                        ("bbox", ("--bbox", bbox))):
        output = tmp_path / (name + ".tif")
        done = run_s2eq("equalize", l1c, "-o", output, *extra, env=env)
        assert "FutureWarning" not in done.stderr, done.stderr
        assert done.returncode == 0, done.stderr
        assert output.exists()
