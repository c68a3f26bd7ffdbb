"""Band file formats and manifest checksums for the synthetic products of
s2products.

* Checksums as real manifests list them: MD5 before processing baseline
  03.01, SHA3-256 from then on (ESA switched in mid-2021, with 03.01), in
  upper-case hexadecimal.
* GeoTIFF bands: some archives redistribute Sen2Cor L2A products in the
  SAFE layout with Cloud Optimized GeoTIFF band files. Written here with
  GDAL's COG driver: lossless (DEFLATE), tiled like the JPEG2000 twin,
  no-data 0, and overviews averaged from the full image, as a conversion
  with GDAL's own tools makes them.
* refresh_manifest: a test that rewrites a band file on purpose (to make a
  product with unusual but valid data) gives the manifest the new
  checksum, as a product made that way would carry.
"""

import hashlib
import pathlib
import re

import numpy as np
from osgeo import gdal, gdal_array, osr

#: The first processing baseline whose manifests list SHA3-256.
SHA3_FROM_BASELINE = (3, 1)
#: Checksum names as manifests write them -> hashlib's names.
HASHES = {"MD5": "md5", "SHA3-256": "sha3_256"}
#: The smallest overview a COG band gets, in pixels a side.
SMALLEST_OVERVIEW = 32


def checksum_kind(baseline):
    """The checksum a product of ``baseline`` ("NN.NN") lists."""
    return ("SHA3-256" if tuple(int(p) for p in baseline.split("."))
            >= SHA3_FROM_BASELINE else "MD5")


def file_checksum(path, kind):
    """The checksum of the file at ``path`` as a manifest writes it."""
    digest = hashlib.new(HASHES[kind])
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest().upper()


def write_cog(path, array, geotransform, epsg, block):
    """Write a (bands, rows, cols) or (rows, cols) array as a Cloud
    Optimized GeoTIFF with averaged overviews down to SMALLEST_OVERVIEW
    pixels (at least two levels, so that 20 and 60 m reads of a 10 m band
    both find one)."""
    array = np.ascontiguousarray(array)
    src = gdal_array.OpenArray(array)
    if src is None:
        raise RuntimeError(gdal.GetLastErrorMsg())
    src.SetGeoTransform(geotransform)
    crs = osr.SpatialReference()
    crs.ImportFromEPSG(int(epsg))
    src.SetProjection(crs.ExportToWkt())
    for index in range(1, src.RasterCount + 1):
        src.GetRasterBand(index).SetNoDataValue(0)
    levels, side = 0, max(array.shape[-2:])
    while side // 2 >= SMALLEST_OVERVIEW:
        side //= 2
        levels += 1
    # The driver wants a power of two as block size.
    size = 1 << max(int(block), 16).bit_length() - 1
    out = gdal.GetDriverByName("COG").CreateCopy(str(path), src, 0, [
        "COMPRESS=DEFLATE", "PREDICTOR=2", "BLOCKSIZE={}".format(size),
        "OVERVIEW_RESAMPLING=AVERAGE", "OVERVIEW_COUNT={}".format(
            max(levels, 2))])
    if out is None:
        raise RuntimeError("cannot write {}: {}".format(
            path, gdal.GetLastErrorMsg()))
    out = None


_STREAM = re.compile(
    r'(<byteStream\b[^>]*\bsize=")(\d+)("[^>]*>\s*<fileLocation\b[^>]*'
    r'\bhref="\./)([^"]+)("[^>]*/>\s*<checksum checksumName=")([^"]+)'
    r'(">)([0-9A-Fa-f]+)(</checksum>)')


def refresh_manifest(safe):
    """Give every file that ``safe``'s manifest.safe lists its current size
    and checksum (of the kind the manifest uses)."""
    safe = pathlib.Path(safe)
    manifest = safe / "manifest.safe"

    def current(match):
        parts = list(match.groups())
        path = safe / parts[3]
        parts[1] = str(path.stat().st_size)
        parts[7] = file_checksum(path, parts[5])
        return "".join(parts)
    manifest.write_text(_STREAM.sub(current, manifest.read_text(
        encoding="utf-8")), encoding="utf-8")
