"""Writing one file of a product: a georeferenced JPEG2000 raster through
GDAL's JP2OpenJPEG driver, or a UTF-8 text file.
"""

import pathlib

import numpy as np
from osgeo import gdal, gdal_array, osr


def _srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(int(epsg))
    return s


def _write_jp2(path, array, geotransform, epsg, block, reversible=True):
    """Write a (bands, rows, cols) or (rows, cols) array as georeferenced JP2.

    The in-memory dataset wraps the numpy buffer, so no second copy of a
    full-size band is made before encoding.
    """
    array = np.ascontiguousarray(array)
    src = gdal_array.OpenArray(array)
    if src is None:
        raise RuntimeError(gdal.GetLastErrorMsg())
    src.SetGeoTransform(geotransform)
    src.SetProjection(_srs(epsg).ExportToWkt())
    # The driver clamps the tile size to the image size by itself.
    options = [f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}"]
    if reversible:
        options += ["REVERSIBLE=YES", "QUALITY=100"]
    else:
        options += ["QUALITY=50"]
    if src.RasterCount == 3:
        options.append("YCC=NO")
    out = gdal.GetDriverByName("JP2OpenJPEG").CreateCopy(
        str(path), src, 0, options)
    if out is None:
        raise RuntimeError(f"cannot write {path}: {gdal.GetLastErrorMsg()}")
    out = None
    src = None
    aux = pathlib.Path(str(path) + ".aux.xml")
    if aux.exists():
        aux.unlink()


def _write_text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
