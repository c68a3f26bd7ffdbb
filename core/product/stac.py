"""A STAC Item as a product: its band assets (Cloud Optimized GeoTIFF or
JPEG2000, on disk, at https:// URLs or s3:// paths), their grids and their
radiometric facts, taken from the item's own JSON, as catalogues write
it:

* Element 84's Earth Search: ``sentinel-2-l2a`` (asset keys ``red``,
  ``green``, ``nir08`` ..., ``eo:bands``; COG assets, and JPEG2000 ones
  under ``red-jp2`` ...), ``sentinel-2-c1-l2a`` (the same keys, ``bands``
  and ``raster:bands``), ``sentinel-2-l1c`` (JPEG2000 assets);
* Microsoft's Planetary Computer: ``sentinel-2-l2a`` (keys ``B04`` ...,
  signed URLs used as given).

A band is found by its asset's band name (``eo:bands`` / ``bands``: B04,
or a common name: red), else by the asset's key. Reflectance is
``DN * scale + offset`` (``raster:bands``); the offset becomes the same
offset in DN as a SAFE product's metadata gives (-0.1 at a scale of
0.0001 is -1000 DN), so an item and its SAFE twin give the same picture.
Earth Search's ``sentinel-2-l2a`` items that say
``earthsearch:boa_offset_applied`` have had that offset taken out of
their pixels already (their ``raster:bands`` still list it): their offset
is 0. An item without ``raster:bands`` offsets gets the one its
processing baseline implies (-1000 DN from 04.00 on), as in a SAFE
product.

An ItemCollection (a GeoJSON FeatureCollection, as ``pystac-client`` and
``stac-client`` save a search) is several products: ``FILE#item-id``
names one of its items.
"""

import json
import os
import posixpath
import re
import urllib.parse

from ..errors import ProductError
from ..gdal.network import (RemoteFileError, is_remote, open_remote,
                            remote_size, shown, vsi_path)
from .bands import BAND_NAMES, NATIVE_RESOLUTION
from .manifest import ALGORITHMS, HEX, Checksum
from .masks import MaskFile
from .model import Granule, Product
from .remote import problem
from .sources import MAX_XML_BYTES, structure_check

#: How an item's file is named when it ends so.
ITEM_SUFFIXES = (".json", ".geojson")
#: Remote products that are not items: a zip, a .SAFE folder, metadata.
NOT_ITEM_SUFFIXES = (".zip", ".safe", ".safe/", ".xml")
#: Common band names (STAC's eo extension, and Earth Search's asset keys)
#: -> Sentinel-2 band.
COMMON_NAMES = {
    "coastal": "B01", "blue": "B02", "green": "B03", "red": "B04",
    "rededge1": "B05", "rededge2": "B06", "rededge3": "B07", "nir": "B08",
    "nir08": "B8A", "nir09": "B09", "cirrus": "B10", "swir16": "B11",
    "swir22": "B12",
}
#: A band's own name, with or without its leading zero: B4, B04, B8A.
BAND_ID = re.compile(r"\AB0?(\d{1,2}|8A)\Z", re.I)
#: Asset keys and band names of the scene classification (L2A).
SCL_NAMES = ("scl",)
#: The DN of saturated pixels in Sentinel-2 products (their metadata's
#: SATURATED special value); items do not repeat it.
SATURATED_DN = 65535
#: The DN offset of products from processing baseline 04.00 on.
BASELINE_OFFSET_DN = -1000
#: Multihash codes (``file:checksum``) -> the checksum's name in
#: manifest.ALGORITHMS.
MULTIHASH = {0x12: "SHA-256", 0x13: "SHA-512", 0x16: "SHA3-256",
             0xd5: "MD5"}
#: Where checksums of an item's assets come from, as messages say it.
CHECKSUM_LIST = "the STAC item's file:checksum"
#: Pixel sizes a band's asset may have, in metres.
RESOLUTIONS = (10, 20, 60)


def _base(path):
    """``path`` without its #fragment."""
    return str(path).strip().split("#", 1)[0]


def is_item_path(path):
    """Whether ``path`` names a STAC item or ItemCollection: a file
    ending in .json or .geojson (on disk or remote, with a #item-id or
    not), or a remote path that names no zip, .SAFE folder or metadata
    file (a STAC API's item URL ends in the item's id)."""
    text = str(path).strip()
    bare = urllib.parse.urlsplit(_base(text)).path if is_remote(text) \
        else _base(text)
    lowered = bare.lower()
    if lowered.endswith(ITEM_SUFFIXES):
        return True
    return (is_remote(text) and not lowered.startswith("/vsi")
            and not lowered.rstrip("/").endswith(NOT_ITEM_SUFFIXES)
            and not lowered.endswith("/"))


def read_document(path):
    """The JSON document at ``path`` (a file or a URL, no fragment), as a
    dict; ProductError naming it where it cannot be read or is not a
    JSON object."""
    label = shown(path)
    try:
        if is_remote(path):
            with open_remote(vsi_path(path)) as handle:
                data = handle.read(MAX_XML_BYTES + 1)
        else:
            with open(os.path.expanduser(path), "rb") as handle:
                data = handle.read(MAX_XML_BYTES + 1)
    except RemoteFileError as error:
        raise ProductError(problem("The STAC item " + label, error))
    except OSError as exc:
        raise ProductError("Cannot read the STAC item '{}' ({}).".format(
            label, exc.strerror or exc))
    if len(data) > MAX_XML_BYTES:
        raise ProductError("'{}' is far larger than a STAC item.".format(
            label))
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProductError(
            "'{}' is not a STAC item: it is not JSON. Give a STAC item's "
            "JSON (a file or its URL), or a Sentinel-2 product's .SAFE "
            "folder or .zip.".format(label))
    if not isinstance(document, dict):
        raise ProductError("'{}' is not a STAC item (not a JSON object)."
                           .format(label))
    return document


def collection_items(path):
    """``[FILE#item-id]`` for each item of the ItemCollection at ``path``
    (a FeatureCollection file or URL); None for anything else (a single
    item, a product, a path with a #fragment already)."""
    text = str(path).strip()
    if "#" in text or not is_item_path(text):
        return None
    try:
        document = read_document(text)
    except ProductError:
        return None                     # open_product will say why
    if document.get("type") != "FeatureCollection":
        return None
    return ["{}#{}".format(text, feature.get("id"))
            for feature in _features(document, text)]


def _features(document, label):
    features = document.get("features")
    if not isinstance(features, list) or not all(
            isinstance(f, dict) and f.get("id") for f in features):
        raise ProductError(
            "'{}' is a FeatureCollection whose features are not STAC items "
            "with ids.".format(shown(label)))
    return features


def open_item(path):
    """The Product of the STAC item at ``path``: an Item file or URL, or
    ``FILE#item-id`` for one item of an ItemCollection (a collection of
    one item needs no id). Raises ProductError naming the problem."""
    text = str(path).strip()
    base, _, wanted = text.partition("#")
    document = read_document(base)
    if document.get("type") == "FeatureCollection":
        features = _features(document, base)
        chosen = [f for f in features if not wanted or f["id"] == wanted]
        if wanted and not chosen:
            raise ProductError("The ItemCollection '{}' has no item '{}'."
                               .format(shown(base), wanted))
        if len(chosen) != 1:
            raise ProductError(
                "'{}' is an ItemCollection of {} items: give it where "
                "several products are taken (a curve, a mosaic, a batch), "
                "or one item as FILE#item-id.".format(shown(base),
                                                       len(chosen)))
        document = chosen[0]
    if document.get("type") != "Feature" or not isinstance(
            document.get("assets"), dict):
        raise ProductError(
            "'{}' is not a STAC item (a GeoJSON Feature with assets). Give a "
            "Sentinel-2 item from a STAC catalogue.".format(shown(base)))
    return item_product(document, base)


def item_product(item, location):
    """The Product of the STAC ``item`` (a dict) read from ``location``
    (its file or URL, against which relative asset hrefs resolve)."""
    props = item.get("properties") or {}
    label = shown(location)
    item_id = str(item.get("id") or posixpath.basename(label))
    hrefs, checksums, band_files, scl_files, grids = {}, {}, {}, {}, {}
    scales, offsets, nodata = {}, {}, None
    chosen = {}                          # (band, resolution) -> asset key
    for key, asset in sorted(item["assets"].items()):
        if not isinstance(asset, dict) or not asset.get("href"):
            continue
        if not _is_image(asset):
            continue
        band = _band_of(key, asset)
        is_scl = key.lower() in SCL_NAMES or band == "SCL"
        if band is None and not is_scl:
            continue
        resolution = _resolution(asset, props, band)
        if band is not None and (band, resolution) in chosen and \
                not _better(asset, item["assets"][chosen[band, resolution]]):
            continue
        hrefs[key] = _resolve(asset["href"], location)
        checksum = _checksum(asset)
        if checksum is not None:
            checksums[key] = checksum
        if is_scl:
            scl_files[resolution] = key
            continue
        chosen[band, resolution] = key
        raster = _raster_band(asset)
        if raster.get("scale"):
            scales[band] = float(raster["scale"])
        if raster.get("offset") is not None:
            offsets[band] = float(raster["offset"])
        if nodata is None and raster.get("nodata") is not None:
            nodata = raster["nodata"]
        grid = _grid(asset, props, resolution)
        if grid:
            grids.setdefault(resolution, grid)
    for (band, resolution), key in chosen.items():
        band_files.setdefault(band, {})[resolution] = key
    if not band_files:
        raise ProductError(
            "The STAC item '{}' has no Sentinel-2 band assets (GeoTIFF or "
            "JPEG2000 images named B01 ... B12 or red, green, nir ...)."
            .format(label))
    level = _level(item, props, label)
    baseline = _baseline(props.get("s2:processing_baseline"))
    epsg = _epsg(item, props, label)
    source = StacSource(location, hrefs, checksums)
    if not grids:
        grids = _grids_from_files(source, band_files)
    # The scene classification is the item's cloud mask (clouds.py reads
    # it through the source, as a SAFE's SCL file).
    granule = Granule(item_id, _tile(props, item_id), epsg, grids,
                      band_files, masks=[MaskFile("SCL", resolution, key)
                                         for resolution, key in sorted(
                                             scl_files.items())],
                      scl_files=scl_files)
    quantification, dn_offsets = _radiometry(props, scales, offsets,
                                             baseline, band_files)
    name = str(props.get("s2:product_uri") or item_id)
    if name.endswith(".SAFE"):
        name = name[:-len(".SAFE")]
    return Product(
        source=source, name=name, level=level, baseline=baseline,
        spacecraft=_spacecraft(props.get("platform")),
        sensing=str(props.get("datetime") or props.get("start_datetime")
                    or ""),
        nodata=_nodata(nodata, label), saturated=SATURATED_DN,
        offsets=dn_offsets, quantification=quantification,
        granules=[granule], metadata_path=vsi_path(location),
        metadata_label=label)


def _is_image(asset):
    kind = str(asset.get("type") or "").lower()
    path = urllib.parse.urlsplit(str(asset["href"])).path.lower()
    roles = asset.get("roles") or []
    if "thumbnail" in roles or "overview" in roles or "visual" in roles:
        return False
    return ("image/tiff" in kind or "image/jp2" in kind
            or path.endswith((".tif", ".tiff", ".jp2")))


def _band_name(text):
    """The Sentinel-2 band ``text`` names (B04, B4, red, nir08 ...), or
    None; "SCL" for the scene classification."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if text.lower() in SCL_NAMES:
        return "SCL"
    found = BAND_ID.match(text)
    if found:
        number = found.group(1).upper()
        band = "B8A" if number == "8A" else "B{:02d}".format(int(number))
        return band if band in BAND_NAMES else None
    return COMMON_NAMES.get(text.lower())


def _band_of(key, asset):
    """The band of the asset ``key``: from its one band's name in
    eo:bands or bands, else its common name, else the key (without a
    -jp2 suffix)."""
    described = asset.get("eo:bands") or asset.get("bands") or []
    names = []
    if isinstance(described, list) and len(described) == 1 and isinstance(
            described[0], dict):
        entry = described[0]
        names = [entry.get("name"), entry.get("common_name"),
                 entry.get("eo:common_name")]
    names += [key, re.sub(r"[-_](jp2|cog|tif)\Z", "", key, flags=re.I)]
    for name in names:
        band = _band_name(name)
        if band:
            return band
    return None


def _better(asset, other):
    """Whether ``asset`` is read rather than ``other`` for the same band
    and resolution: a GeoTIFF (range requests reach its overviews) before
    a JPEG2000."""
    def tiff(a):
        return ("tiff" in str(a.get("type") or "").lower()
                or str(a["href"]).lower().split("?")[0].endswith(
                    (".tif", ".tiff")))
    return tiff(asset) and not tiff(other)


def _raster_band(asset):
    bands = asset.get("raster:bands") or []
    if isinstance(bands, list) and bands and isinstance(bands[0], dict):
        return bands[0]
    described = asset.get("bands") or []
    if isinstance(described, list) and described and isinstance(
            described[0], dict):
        # STAC 1.1 writes raster facts in ``bands`` (raster:scale ...).
        entry = described[0]
        return {"scale": entry.get("raster:scale", entry.get("scale")),
                "offset": entry.get("raster:offset", entry.get("offset")),
                "nodata": entry.get("nodata")}
    return {}


def _resolution(asset, props, band):
    """The asset's pixel size in metres (10, 20 or 60)."""
    candidates = [asset.get("gsd"), _raster_band(asset).get(
        "spatial_resolution")]
    transform = asset.get("proj:transform")
    if isinstance(transform, list) and transform:
        candidates.append(transform[0])
    for value in candidates:
        try:
            metres = int(round(float(value)))
        except (TypeError, ValueError):
            continue
        if metres in RESOLUTIONS:
            return metres
    return NATIVE_RESOLUTION.get(band, 20)


def _grid(asset, props, resolution):
    """(ulx, uly, width, height) of the asset's grid from its
    proj:transform and proj:shape, or None where it gives none."""
    transform = asset.get("proj:transform")
    shape = asset.get("proj:shape")
    try:
        if transform and shape and abs(float(transform[0]) - resolution) \
                < 1e-6:
            return (float(transform[2]), float(transform[5]),
                    int(shape[1]), int(shape[0]))
    except (TypeError, ValueError, IndexError):
        pass
    return None


def _grids_from_files(source, band_files):
    """The grids read from one band file per resolution (a header read
    each), for an item without proj:transform and proj:shape."""
    import rasterio

    grids = {}
    for files in band_files.values():
        for resolution, key in files.items():
            if resolution in grids:
                continue
            try:
                with rasterio.open(source.gdal_path(key)) as dataset:
                    t = dataset.transform
                    grids[resolution] = (t.c, t.f, dataset.width,
                                         dataset.height)
            except Exception as exc:        # rasterio's and GDAL's errors
                raise ProductError("The STAC item's asset {} cannot be read "
                                   "({}).".format(source.shown(key),
                                                  shown(str(exc))))
    return grids


def _level(item, props, label):
    clues = " ".join(str(x) for x in (
        props.get("s2:product_type"), props.get("processing:level"),
        item.get("collection"), item.get("id"))).upper()
    if "L2A" in clues or "MSI2A" in clues:
        return "L2A"
    if "L1C" in clues or "MSI1C" in clues:
        return "L1C"
    raise ProductError(
        "The STAC item '{}' does not say its processing level (L1C or L2A: "
        "s2:product_type, processing:level or its collection).".format(label))


def _baseline(value):
    """The processing baseline as SAFE products write it ("05.09"), or
    ""."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return "{:05.2f}".format(number) if 0 <= number < 100 else ""


def _epsg(item, props, label):
    for value in (props.get("proj:epsg"), props.get("proj:code")):
        if value is None:
            continue
        text = str(value).upper().replace("EPSG:", "")
        if text.isdigit():
            return int(text)
    for asset in item["assets"].values():
        if isinstance(asset, dict) and asset.get("proj:epsg"):
            return int(asset["proj:epsg"])
    raise ProductError("The STAC item '{}' gives no coordinate system "
                       "(proj:epsg or proj:code).".format(label))


def _tile(props, item_id):
    if props.get("s2:mgrs_tile"):
        return str(props["s2:mgrs_tile"]).lstrip("T")
    parts = [props.get(k) for k in ("mgrs:utm_zone", "mgrs:latitude_band",
                                    "mgrs:grid_square")]
    if all(parts):
        return "{:02d}{}{}".format(int(parts[0]), parts[1], parts[2])
    code = str(props.get("grid:code") or "")
    if code.startswith("MGRS-"):
        return code[len("MGRS-"):]
    found = re.search(r"_T?(\d{2}[A-Z]{3})_", "_" + item_id + "_")
    return found.group(1) if found else item_id


def _spacecraft(platform):
    text = str(platform or "")
    found = re.match(r"\Asentinel-?2([a-d])\Z", text, re.I)
    return "Sentinel-2" + found.group(1).upper() if found else text


def _nodata(value, label):
    try:
        number = int(value) if value is not None else 0
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 65535:
        raise ProductError("The STAC item '{}' gives '{}' as its no-data "
                           "value, which is not a DN from 0 to 65535."
                           .format(label, value))
    return number


def _radiometry(props, scales, offsets, baseline, band_files):
    """(quantification, {band: offset in DN}) from the assets'
    raster:bands scales and offsets (reflectance units), else from the
    processing baseline."""
    scale = next(iter(scales.values()), None)
    quantification = round(1.0 / scale) if scale else None
    applied = bool(props.get("earthsearch:boa_offset_applied"))
    dn_offsets = {}
    for band in band_files:
        if applied:
            continue
        if band in offsets and scales.get(band):
            dn = int(round(offsets[band] / scales[band]))
            if dn:
                dn_offsets[band] = dn
        elif band not in offsets and baseline >= "04.00":
            dn_offsets[band] = BASELINE_OFFSET_DN
    return quantification, dn_offsets


def _resolve(href, location):
    """GDAL's name of an asset's ``href``, resolved against the item's
    ``location`` where it is relative."""
    href = str(href).strip()
    if is_remote(href) or href.startswith("/vsi"):
        return vsi_path(href)
    if href.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlsplit(href).path)
    if os.path.isabs(href):
        return href
    if is_remote(location):
        return vsi_path(urllib.parse.urljoin(location, href))
    return os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(os.path.expanduser(location))),
        href))


def _checksum(asset):
    """The asset's file:checksum (a multihash in hexadecimal) as a
    manifest.Checksum, with file:size; None where it has none."""
    text = asset.get("file:checksum")
    if not text:
        return None
    size = asset.get("file:size")
    size = size if isinstance(size, int) and size >= 0 else None
    text = str(text).strip().lower()
    try:
        raw = bytes.fromhex(text)
        code, rest = _varint(raw)
        length, rest = _varint(rest)
    except (ValueError, IndexError):
        return Checksum("multihash", text, size, "a file:checksum that is "
                        "not a multihash in hexadecimal")
    kind = MULTIHASH.get(code)
    if kind is None or kind not in ALGORITHMS:
        return Checksum("multihash", text, size, "a file:checksum of a kind "
                        "that cannot be computed (multihash code 0x{:x})"
                        .format(code))
    digest = rest.hex()
    if len(rest) != length or not HEX.match(digest or "x"):
        return Checksum(kind, digest, size, "a file:checksum whose length "
                        "does not match its digest")
    return Checksum(kind, digest, size)


def _varint(data):
    """(the unsigned varint at the start of ``data``, the bytes after)."""
    value, shift = 0, 0
    for position, byte in enumerate(data):
        value |= (byte & 0x7f) << shift
        if not byte & 0x80:
            return value, data[position + 1:]
        shift += 7
    raise ValueError("cut varint")


class StacSource:
    """The assets of a STAC item, by key: GDAL's name of each
    (``hrefs``), and its file:checksum where the item lists one."""

    checksum_list = CHECKSUM_LIST

    def __init__(self, location, hrefs, checksums):
        self.location = location
        self.label = shown(location)
        self.hrefs = hrefs
        self._checksums = checksums
        self.remote = any(is_remote(h) for h in hrefs.values())
        self._sizes = {}

    def checksums(self):
        """(key -> manifest.Checksum, why none) as checksums.read_checksums
        gives them for a SAFE product."""
        if not self._checksums:
            return {}, "the STAC item lists no file:checksum"
        return dict(self._checksums), None

    def shown(self, key):
        return shown(self.hrefs.get(key, key))

    def gdal_path(self, key):
        return self.hrefs[key]

    def size(self, key):
        """The asset's size in bytes, None where it does not exist."""
        if key not in self._sizes:
            path = self.hrefs[key]
            if is_remote(path):
                try:
                    self._sizes[key] = remote_size(path)
                except RemoteFileError as error:
                    raise ProductError(problem(
                        "The asset " + self.shown(key), error))
            else:
                self._sizes[key] = (os.path.getsize(path)
                                    if os.path.isfile(path) else None)
        return self._sizes[key]

    def exists(self, key):
        if key not in self.hrefs:
            return False
        size = self.size(key)
        if size is None and is_remote(self.hrefs[key]):
            raise ProductError(problem(
                "The asset {} ({})".format(key, self.shown(key)),
                RemoteFileError(self.hrefs[key], "", 404)))
        return size is not None

    def listdir(self, reldir):
        return []

    def read(self, key):
        with self.stream(key) as handle:
            return handle.read(MAX_XML_BYTES + 1)

    def stream(self, key):
        path = self.hrefs[key]
        try:
            return open_remote(path) if is_remote(path) else open(path, "rb")
        except RemoteFileError as error:
            raise ProductError(problem("The asset " + self.shown(key), error))

    def damage(self, key):
        """Why the asset is incomplete, or None; reads a few bytes of its
        structure, never its image."""
        path = self.hrefs[key]
        check = structure_check(urllib.parse.urlsplit(path).path
                                if is_remote(path) else path)
        if check is None:
            return None
        with self.stream(key) as handle:
            return check(handle, self.size(key))
