"""STAC items for the tests (a helper, not tests): the band files of a
tests/s2products product as assets, in the item layouts of the catalogues
users search, their structure as those catalogues publish it:

* Earth Search ``sentinel-2-c1-l2a``: COG assets under common-name keys
  (``red``, ``nir08`` ...) with ``bands`` (name B04, eo:common_name red),
  ``raster:bands`` (scale 0.0001, offset -0.1: the pixels keep the +1000
  DN of baselines 04.00 on) and ``file:checksum``;
* Earth Search ``sentinel-2-l2a``: the same keys with ``eo:bands`` named
  by common name, COG assets whose pixels have had the offset taken out
  (``earthsearch:boa_offset_applied``), and the JPEG2000 originals under
  ``red-jp2`` ...;
* Earth Search ``sentinel-2-l1c``: JPEG2000 assets only;
* Planetary Computer ``sentinel-2-l2a``: COG assets under band keys
  (``B04``) with ``eo:bands``, no ``raster:bands``, signed URLs.

``cog_assets(safe, folder)`` writes the COGs; the ``*_item`` functions
give the item (a dict) whose hrefs are ``base + file name``.
"""

import hashlib
import json
import pathlib
import re

import numpy as np
from osgeo import gdal

from s2files import write_cog

#: COG block size: small (the smallest GDAL's COG driver takes), so that
#: the small test products get overviews several levels down, as a full
#: tile's COG (of 1024-pixel blocks at Earth Search) does.
COG_BLOCK = 128
#: Band -> (Earth Search's key and common name, description, centre
#: wavelength in micrometres).
BANDS = {
    "B01": ("coastal", "Coastal aerosol (band 1)", 0.443),
    "B02": ("blue", "Blue (band 2)", 0.49),
    "B03": ("green", "Green (band 3)", 0.56),
    "B04": ("red", "Red (band 4)", 0.665),
    "B05": ("rededge1", "Red edge 1 (band 5)", 0.704),
    "B06": ("rededge2", "Red edge 2 (band 6)", 0.74),
    "B07": ("rededge3", "Red edge 3 (band 7)", 0.783),
    "B08": ("nir", "NIR 1 (band 8)", 0.842),
    "B8A": ("nir08", "NIR 2 (band 8A)", 0.865),
    "B09": ("nir09", "NIR 3 (band 9)", 0.945),
    "B10": ("cirrus", "SWIR - Cirrus (band 10)", 1.3735),
    "B11": ("swir16", "SWIR 1 (band 11)", 1.61),
    "B12": ("swir22", "SWIR 2 (band 12)", 2.19),
}
COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
JP2_TYPE = "image/jp2"
#: The file's band, and resolution if named, in a SAFE band file's name.
BAND_FILE = re.compile(r"_(B\d[\dA]|SCL)(?:_(\d\d)m)?\.jp2$")


def band_files(safe):
    """{band: (resolution in m, the .jp2's path)} of the SAFE product
    ``safe``: each band's finest file, SCL included where there is one."""
    found = {}
    for path in sorted(pathlib.Path(safe).glob("GRANULE/*/IMG_DATA/**/*.jp2")):
        match = BAND_FILE.search(path.name)
        if not match:
            continue
        band = match.group(1)
        resolution = int(match.group(2) or _native(path))
        if band not in found or resolution < found[band][0]:
            found[band] = (resolution, path)
    return found


def _native(path):
    dataset = gdal.Open(str(path))
    return int(round(dataset.GetGeoTransform()[1]))


def cog_assets(safe, folder, remove_offset=False, block=COG_BLOCK):
    """Write each band of ``safe`` (and its SCL) as ``folder/B04.tif``
    ... , a COG with the JPEG2000's pixels; ``remove_offset``: take the
    1000 DN offset out of the pixels, as Earth Search's sentinel-2-l2a
    did (0 stays no-data, 65535 saturated, the darkest pixels 1);
    ``block``: the COGs' block size in pixels. Returns {band: facts}:
    its resolution, COG path, JPEG2000 path, transform, shape and EPSG
    code."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for band, (resolution, path) in band_files(safe).items():
        dataset = gdal.Open(str(path))
        array = dataset.ReadAsArray()
        if remove_offset and band != "SCL":
            valid = (array > 0) & (array < 65535)
            shifted = np.maximum(array.astype(np.int32) - 1000, 1)
            array = np.where(valid, shifted, array).astype(np.uint16)
        transform = dataset.GetGeoTransform()
        epsg = int(dataset.GetSpatialRef().GetAuthorityCode(None))
        target = folder / "{}.tif".format(band)
        write_cog(target, array.astype(np.uint8 if band == "SCL"
                                       else np.uint16),
                  transform, epsg, block)
        written[band] = {"resolution": resolution, "path": target,
                         "jp2": path, "transform": transform,
                         "shape": list(array.shape), "epsg": epsg}
    return written


def multihash(path):
    """The file's SHA2-256 as a file:checksum multihash in hexadecimal."""
    digest = hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
    return "1220" + digest


def _projection(facts):
    t = facts["transform"]
    return {"proj:shape": facts["shape"],
            "proj:transform": [t[1], t[2], t[0], t[4], t[5], t[3], 0, 0, 1]}


def _common(safe, facts, collection, item_id, level):
    """The parts every Earth Search item shares."""
    safe = pathlib.Path(safe)
    tile = re.search(r"_T(\d\d)([A-Z])([A-Z]{2})_", safe.name)
    sensing = re.search(r"_(\d{8}T\d{6})_", safe.name).group(1)
    baseline = re.search(r"_N(\d\d)(\d\d)_", safe.name)
    any_band = next(iter(facts.values()))
    when = "{}-{}-{}T{}:{}:{}.024000Z".format(
        sensing[:4], sensing[4:6], sensing[6:8], sensing[9:11],
        sensing[11:13], sensing[13:15])
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
            "https://stac-extensions.github.io/file/v2.1.0/schema.json",
            "https://stac-extensions.github.io/grid/v1.0.0/schema.json",
            "https://stac-extensions.github.io/mgrs/v1.0.0/schema.json",
            "https://stac-extensions.github.io/processing/v1.1.0/schema.json",
            "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
            "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
            "https://stac-extensions.github.io/view/v1.0.0/schema.json",
        ],
        "id": item_id,
        "collection": collection,
        "bbox": [2.9, 50.4, 3.0, 50.5],
        "geometry": {"type": "Polygon", "coordinates": [[
            [2.9, 50.4], [3.0, 50.4], [3.0, 50.5], [2.9, 50.5],
            [2.9, 50.4]]]},
        "properties": {
            "created": "2023-06-14T16:00:00.000Z",
            "platform": "sentinel-2" + safe.name[2].lower(),
            "constellation": "sentinel-2",
            "instruments": ["msi"],
            "eo:cloud_cover": 12.5,
            "proj:epsg": any_band["epsg"],
            "mgrs:utm_zone": int(tile.group(1)),
            "mgrs:latitude_band": tile.group(2),
            "mgrs:grid_square": tile.group(3),
            "grid:code": "MGRS-" + "".join(tile.groups()),
            "view:sun_azimuth": 160.1,
            "view:sun_elevation": 58.3,
            "s2:product_type": "S2MSI2A" if level == "L2A" else "S2MSI1C",
            "s2:processing_baseline": "{}.{}".format(*baseline.groups()),
            "s2:product_uri": safe.name,
            "s2:datatake_type": "INS-NOBS",
            "datetime": when,
            "updated": "2023-06-14T16:00:00.000Z",
        },
        "links": [
            {"rel": "self", "type": "application/geo+json",
             "href": "https://earth-search.aws.element84.com/v1/collections/"
                     "{}/items/{}".format(collection, item_id)},
            {"rel": "parent", "type": "application/json",
             "href": "https://earth-search.aws.element84.com/v1/collections/"
                     + collection},
            {"rel": "collection", "type": "application/json",
             "href": "https://earth-search.aws.element84.com/v1/collections/"
                     + collection},
            {"rel": "root", "type": "application/json",
             "href": "https://earth-search.aws.element84.com/v1"},
        ],
        "assets": {},
    }


def _raster(facts, offset=True):
    entry = {"nodata": 0, "data_type": "uint16", "bits_per_sample": 15,
             "spatial_resolution": facts["resolution"], "scale": 0.0001,
             "offset": -0.1 if offset else 0}
    return [entry]


def c1_l2a_item(safe, facts, base):
    """Earth Search ``sentinel-2-c1-l2a``: COG assets at ``base`` +
    ``B04.tif`` ..., ``bands`` and ``raster:bands`` (offset -0.1), and
    file:checksum."""
    tile = re.search(r"_T(\d\d[A-Z]{3})_", pathlib.Path(safe).name).group(1)
    sensing = re.search(r"_(\d{8}T\d{6})_", pathlib.Path(safe).name).group(1)
    item_id = "{}_T{}_{}_L2A".format(pathlib.Path(safe).name[:3], tile,
                                    sensing)
    item = _common(safe, facts, "sentinel-2-c1-l2a", item_id, "L2A")
    item["stac_version"] = "1.1.0"
    for band, f in sorted(facts.items()):
        key = "scl" if band == "SCL" else BANDS[band][0]
        asset = {"href": base + f["path"].name, "type": COG_TYPE,
                 "roles": ["data"] if band == "SCL"
                 else ["data", "reflectance"],
                 "gsd": f["resolution"],
                 "file:checksum": multihash(f["path"]),
                 "file:size": f["path"].stat().st_size}
        asset.update(_projection(f))
        if band == "SCL":
            asset["title"] = "Scene classification map"
            asset["raster:bands"] = [{"nodata": 0, "data_type": "uint8",
                                      "spatial_resolution":
                                      f["resolution"]}]
        else:
            common, description, wavelength = BANDS[band]
            asset["title"] = "{} - {}m".format(description, f["resolution"])
            asset["bands"] = [{"name": band, "description": description,
                               "eo:common_name": common,
                               "eo:center_wavelength": wavelength}]
            asset["raster:bands"] = _raster(f)
        item["assets"][key] = asset
    item["assets"]["thumbnail"] = {"href": base + "thumbnail.jpg",
                                   "type": "image/jpeg",
                                   "roles": ["thumbnail"]}
    return item


def l2a_item(safe, facts, base, jp2_base=None):
    """Earth Search ``sentinel-2-l2a``: COG assets (offset taken out of
    their pixels, earthsearch:boa_offset_applied) under common-name keys
    with ``eo:bands``, and, where ``jp2_base`` is given, the JPEG2000
    originals (paths inside the SAFE folder under it) as ``red-jp2`` ...
    """
    name = pathlib.Path(safe).name
    tile = re.search(r"_T(\d\d[A-Z]{3})_", name).group(1)
    item_id = "{}_{}_{}_0_L2A".format(name[:3], tile, name[11:19])
    item = _common(safe, facts, "sentinel-2-l2a", item_id, "L2A")
    item["properties"]["earthsearch:boa_offset_applied"] = True
    for band, f in sorted(facts.items()):
        for jp2 in (False, True):
            if jp2 and jp2_base is None:
                continue
            key = ("scl" if band == "SCL" else BANDS[band][0]) + (
                "-jp2" if jp2 else "")
            href = (jp2_base + f["jp2"].relative_to(safe).as_posix()
                    if jp2 else base + f["path"].name)
            asset = {"href": href, "type": JP2_TYPE if jp2 else COG_TYPE,
                     "roles": ["data"], "gsd": f["resolution"]}
            asset.update(_projection(f))
            if band != "SCL":
                common, description, wavelength = BANDS[band]
                asset["title"] = "{} - {}m".format(description,
                                                   f["resolution"])
                asset["eo:bands"] = [{
                    "name": common, "common_name": common,
                    "description": description,
                    "center_wavelength": wavelength}]
                asset["raster:bands"] = _raster(f)
                asset["roles"] = ["data", "reflectance"]
            item["assets"][key] = asset
    return item


def l1c_jp2_item(safe, facts, jp2_base):
    """Earth Search ``sentinel-2-l1c``: JPEG2000 assets (paths inside the
    SAFE folder under ``jp2_base``), common-name keys, ``eo:bands``."""
    name = pathlib.Path(safe).name
    tile = re.search(r"_T(\d\d[A-Z]{3})_", name).group(1)
    item_id = "{}_{}_{}_0_L1C".format(name[:3], tile, name[11:19])
    item = _common(safe, facts, "sentinel-2-l1c", item_id, "L1C")
    for band, f in sorted(facts.items()):
        if band == "SCL":
            continue
        common, description, wavelength = BANDS[band]
        asset = {"href": jp2_base + f["jp2"].relative_to(safe).as_posix(),
                 "type": JP2_TYPE, "roles": ["data", "reflectance"],
                 "title": "{} - {}m".format(description, f["resolution"]),
                 "gsd": f["resolution"],
                 "eo:bands": [{"name": common, "common_name": common,
                               "description": description,
                               "center_wavelength": wavelength}],
                 "raster:bands": _raster(f)}
        asset.update(_projection(f))
        item["assets"][common] = asset
    return item


def planetary_item(safe, facts, base, query):
    """Planetary Computer ``sentinel-2-l2a``: COG assets under band keys
    (B04 ...; SCL), ``eo:bands`` named B04 with a common name, no
    ``raster:bands``; hrefs signed with ``query`` (``?st=...&sig=...``)."""
    name = pathlib.Path(safe).name
    item_id = name.replace(".SAFE", "")
    item = _common(safe, facts, "sentinel-2-l2a", item_id, "L2A")
    for band, f in sorted(facts.items()):
        asset = {"href": base + f["path"].name + query,
                 "type": COG_TYPE, "roles": ["data"],
                 "gsd": f["resolution"]}
        asset.update(_projection(f))
        if band != "SCL":
            common, description, wavelength = BANDS[band]
            asset["title"] = "Band {} - {}m".format(band[1:].lstrip("0"),
                                                     f["resolution"])
            asset["eo:bands"] = [{"name": band, "common_name": common,
                                  "description": description,
                                  "center_wavelength": wavelength}]
        else:
            asset["title"] = "Scene classfication map (SCL)"
        item["assets"][band] = asset
    return item


def item_collection(items):
    """An ItemCollection of ``items``, as pystac-client saves a search."""
    return {"type": "FeatureCollection", "features": list(items),
            "links": []}


def write_json(path, document):
    """Write ``document`` to ``path`` as JSON; returns the path."""
    path = pathlib.Path(path)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path
