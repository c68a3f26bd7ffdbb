"""Reading a product's metadata XML: level, baseline, special values,
radiometric offsets, granules, their grids and their band files. No path
read from a product may point outside it, and every value is checked
where it is read: a number that is none, or out of the range Sentinel-2
products use, is named with the file it is in."""

import math
import posixpath
import re
import xml.etree.ElementTree as ElementTree

from ..errors import ProductError
from .bands import BAND_NAMES, NATIVE_RESOLUTION
from .masks import granule_masks
from .model import REDOWNLOAD, Granule, Product
from .sources import MAX_XML_BYTES

BAND_SUFFIX = re.compile(r"_(B0[1-9]|B1[0-2]|B8A)(?:_(10|20|60)m)?$")
TILE_IN_NAME = re.compile(r"_T(\d{2}[A-Z]{3})_")
#: A granule's imageFormat -> the extension of its band files, which the
#: metadata names without one. ESA's products are JPEG2000; some archives
#: redistribute Sen2Cor L2A products with GeoTIFF (COG) bands and say so
#: here. Products that do not say are JPEG2000.
IMAGE_EXTENSIONS = {"JPEG2000": ".jp2", "GEOTIFF": ".tif", "COG": ".tif",
                    "TIFF": ".tif"}
#: A processing baseline as products write it: "05.09".
BASELINE = re.compile(r"\A\d\d\.\d\d\Z")
#: The EPSG codes of the coordinate systems Sentinel-2 tiles are in: the
#: UTM zones of WGS 84, north (326zz) and south (327zz).
UTM_CODES = frozenset(range(32601, 32661)) | frozenset(range(32701, 32761))
#: Pixel sizes a granule's grid may have, in metres.
GRID_RESOLUTIONS = (10, 20, 60)
#: A side of a granule's grid, in pixels, at most (a tile is 10980 at
#: 10 m).
MAX_GRID_PIXELS = 100000
#: Coordinates of a granule's corner, in metres from the zone's origin,
#: at most: UTM coordinates stay within ten thousand kilometres.
MAX_COORDINATE = 1e8
#: A radiometric offset, in DN, at most (ESA's is -1000).
MAX_OFFSET = 65535
#: The quantification value (DN per unit of reflectance), at most (ESA's
#: is 10000).
MAX_QUANTIFICATION = 1e9
#: The MASK_FILENAME types of a granule's cloud masks (masks.py).
CLOUD_MASK_TYPES = ("MSK_CLASSI", "MSK_CLOUDS")
#: Characters of a value quoted in a message, at most.
QUOTED = 40


def parse_xml(data, label):
    """Parse metadata bytes safely.

    Sentinel-2 metadata never carries a DTD, so any document that declares
    one is refused, in whatever encoding: that shuts out external entities
    and entity expansion bombs without relying on the parser's own limits.
    """
    if len(data) > MAX_XML_BYTES:
        raise XmlError(label, "is larger than any Sentinel-2 metadata",
                       REDOWNLOAD)
    head = data[:4096].upper()
    refused = XmlError(
        label, "declares a DTD or entities, which Sentinel-2 metadata never "
        "does; it was not read", "Use the product as delivered by ESA.")
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise refused
    parser = ElementTree.XMLParser(target=_NoDoctype())
    try:
        parser.feed(data)
        return parser.close()
    except _Doctype:
        raise refused
    except ElementTree.ParseError as exc:
        raise XmlError(label, "is not valid XML ({})".format(exc),
                       REDOWNLOAD)


class XmlError(ProductError):
    """A metadata file that cannot be parsed; ``reason`` says why ("is not
    valid XML (...)")."""

    def __init__(self, label, reason, remedy):
        super().__init__("Metadata file {} {}. {}".format(label, reason,
                                                          remedy))
        self.reason = reason


class _Doctype(Exception):
    """A document declared a DTD."""


class _NoDoctype(ElementTree.TreeBuilder):
    """Builds the tree; stops at a DTD, in any encoding, before anything
    in it is read."""

    def doctype(self, name, pubid, system):
        raise _Doctype()


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _iter(element, tag):
    return (e for e in element.iter() if _local(e.tag) == tag)


def _text(element, tag, default=None):
    for e in _iter(element, tag):
        if e.text and e.text.strip():
            return e.text.strip()
    return default


def quoted(text):
    """A value read from metadata, as a message quotes it: on one line,
    cut to QUOTED characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= QUOTED else text[:QUOTED - 1] + "\u2026"


def _number(text, what, label, convert=float, low=-math.inf, high=math.inf):
    """``text`` (from the metadata file ``label``) as a ``convert`` number
    from ``low`` to ``high``; ProductError naming ``what`` (the value's
    meaning and tag) otherwise."""
    try:
        value = convert(text)
    except (TypeError, ValueError, OverflowError):
        value = None
    if value is None or not low <= value <= high:    # NaN included
        raise ProductError(
            "Metadata file {} gives {} as {}, which is not {}. {}".format(
                label, "'{}'".format(quoted(text)) if text is not None
                else "nothing", what,
                ("a whole number" if convert is int else "a number")
                + ("" if value is None else " from {:g} to {:g}".format(
                    low, high)), REDOWNLOAD))
    return value


def _baseline(text, label):
    """The processing baseline ``text`` ("05.09"), checked; "" where the
    metadata gives none (some older products)."""
    if not text:
        return ""
    if not BASELINE.match(text):
        raise ProductError(
            "Metadata file {} gives '{}' as its processing baseline, which "
            "is not one: baselines read NN.NN, such as 05.09. {}".format(
                label, quoted(text), REDOWNLOAD))
    return text


def _safe_relpath(relpath, label):
    """Normalise a path read from metadata; refuse one leaving the product."""
    clean = posixpath.normpath(relpath.replace("\\", "/").strip())
    if (clean.startswith("/") or clean == ".." or clean.startswith("../")
            or ":" in clean):
        raise ProductError("Metadata file {} names a file outside the product "
                           "('{}'); it was not read. {}".format(
                               label, relpath, REDOWNLOAD))
    return clean


def read_product(source, root_xml):
    label = source.shown(root_xml)
    root = parse_xml(source.read(root_xml), label)
    product_type = _text(root, "PRODUCT_TYPE", "")
    if product_type.startswith("S2MSI1C"):
        level = "L1C"
    elif product_type.startswith("S2MSI2A"):
        level = "L2A"
    else:
        raise ProductError(
            "{} describes a '{}' product; this tool reads Sentinel-2 L1C "
            "(S2MSI1C) and L2A (S2MSI2A) products.".format(
                label, product_type or "unknown"))

    special = {}
    for e in _iter(root, "Special_Values"):
        kind = _text(e, "SPECIAL_VALUE_TEXT")
        index = _text(e, "SPECIAL_VALUE_INDEX")
        if kind and index is not None:
            special[kind.upper()] = _number(
                index, "the DN of its {} pixels (SPECIAL_VALUE_INDEX)".format(
                    quoted(kind)), label, int, 0, 65535)

    offset_tag = "RADIO_ADD_OFFSET" if level == "L1C" else "BOA_ADD_OFFSET"
    offsets = {}
    for e in _iter(root, offset_tag):
        band_id = e.get("band_id")
        if band_id is not None and e.text:
            number = _number(band_id, "a band's number ({} band_id)".format(
                offset_tag), label, int, 0, len(BAND_NAMES) - 1)
            offsets[BAND_NAMES[number]] = int(_number(
                e.text, "the radiometric offset of {} ({})".format(
                    BAND_NAMES[number], offset_tag), label, float,
                -MAX_OFFSET, MAX_OFFSET))
    quantification = _text(root, "QUANTIFICATION_VALUE") or _text(
        root, "BOA_QUANTIFICATION_VALUE")

    granules = [_read_granule(source, g, level, label)
                for g in _granule_entries(root, label)]
    if not granules:
        raise ProductError("{} lists no granule. {}".format(label, REDOWNLOAD))

    name = _text(root, "PRODUCT_URI") or _text(root, "PRODUCT_URI_1C") or ""
    if not name:
        name = posixpath.basename(source.label.rstrip("/\\"))
    for suffix in (".SAFE", ".zip"):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
    return Product(
        source=source, name=name, level=level,
        baseline=_baseline(_text(root, "PROCESSING_BASELINE", ""), label),
        spacecraft=_text(root, "SPACECRAFT_NAME", ""),
        sensing=_text(root, "PRODUCT_START_TIME")
        or _text(root, "DATATAKE_SENSING_START", ""),
        nodata=special.get("NODATA", 0),
        saturated=special.get("SATURATED"),
        offsets=offsets,
        quantification=_number(
            quantification, "the quantification value", label, float, 1,
            MAX_QUANTIFICATION) if quantification else None,
        granules=granules, metadata_path=source.gdal_path(root_xml),
        metadata_label=label)


def _image_extension(granule, label):
    """The extension of a granule element's band files, from its
    imageFormat attribute."""
    image_format = (granule.get("imageFormat") or "JPEG2000").strip()
    try:
        return IMAGE_EXTENSIONS[image_format.upper()]
    except KeyError:
        raise ProductError(
            "{} says its images are in the format '{}'; this tool reads "
            "JPEG2000 and GeoTIFF band files.".format(label, image_format))


def _granule_entries(root, label):
    """Yield (granule folder, [image file paths without extension], the
    band files' extension) per granule."""
    for e in root.iter():
        tag = _local(e.tag)
        if tag == "Granule":              # compact naming, Dec 2016 onwards
            files = [_safe_relpath(i.text, label)
                     for i in _iter(e, "IMAGE_FILE") if i.text]
            if files:
                parts = files[0].split("/")
                if len(parts) < 4 or parts[0] != "GRANULE":
                    raise ProductError(
                        "{} lists an image outside the GRANULE folder ('{}'). "
                        "{}".format(label, files[0], REDOWNLOAD))
                yield parts[1], files, _image_extension(e, label)
        elif tag == "Granules":           # 2015-2016 OPER naming
            folder = _safe_relpath(e.get("granuleIdentifier", ""), label)
            if "/" in folder or not folder or folder == ".":
                raise ProductError("{} names an invalid granule '{}'. {}"
                                   .format(label, folder, REDOWNLOAD))
            files = ["GRANULE/{}/IMG_DATA/{}".format(
                folder, _safe_relpath(i.text, label))
                for i in _iter(e, "IMAGE_ID") if i.text]
            yield folder, files, _image_extension(e, label)


def _read_granule(source, entry, level, label):
    folder, image_files, extension = entry
    band_files = {}
    for stem in image_files:
        match = BAND_SUFFIX.search(stem)
        if not match:
            continue                       # TCI, SCL, AOT, WVP, masks
        band = match.group(1)
        resolution = (int(match.group(2)) if match.group(2)
                      else NATIVE_RESOLUTION[band])
        band_files.setdefault(band, {})[resolution] = stem + extension

    granule_dir = "GRANULE/" + folder
    names = source.listdir(granule_dir)
    tl_names = [n for n in names
                if n == "MTD_TL.xml" or ("_MTD_" in n and n.endswith(".xml"))]
    if not names:
        raise ProductError(
            "Granule folder {} listed in {} is missing. {}".format(
                granule_dir, posixpath.basename(label), REDOWNLOAD))
    if not tl_names:
        raise ProductError("Granule {} has no MTD_TL.xml metadata. {}".format(
            granule_dir, REDOWNLOAD))
    tl_path = granule_dir + "/" + tl_names[0]
    tl_label = source.shown(tl_path)
    tl = parse_xml(source.read(tl_path), tl_label)

    code = _text(tl, "HORIZONTAL_CS_CODE", "")
    if not code.upper().startswith("EPSG:"):
        raise ProductError("Granule metadata {} has no EPSG code. {}".format(
            tl_path, REDOWNLOAD))
    epsg = _number(code.split(":", 1)[1], "its EPSG code", tl_label, int)
    if epsg not in UTM_CODES:
        raise ProductError(
            "Granule metadata {} gives EPSG:{}, which is not a UTM zone of "
            "WGS 84 (EPSG:32601 to 32660, 32701 to 32760), the only "
            "coordinate systems Sentinel-2 tiles are in. {}".format(
                tl_label, epsg, REDOWNLOAD))

    sizes = {}
    for e in _iter(tl, "Size"):
        resolution = _resolution(e, tl_label)
        sizes[resolution] = tuple(
            _number(_text(e, tag), "the grid's {} at {} m ({})".format(
                what, resolution, tag), tl_label, int, 1, MAX_GRID_PIXELS)
            for tag, what in (("NCOLS", "width"), ("NROWS", "height")))
    grids = {}
    for e in _iter(tl, "Geoposition"):
        resolution = _resolution(e, tl_label)
        if resolution in sizes:
            grids[resolution] = tuple(
                _number(_text(e, tag), "the grid's corner at {} m ({})".format(
                    resolution, tag), tl_label, float, -MAX_COORDINATE,
                    MAX_COORDINATE) for tag in ("ULX", "ULY")
            ) + sizes[resolution]
    if not grids:
        raise ProductError(
            "Granule metadata {} gives no grid (a size and a corner at one "
            "pixel size). {}".format(tl_label, REDOWNLOAD))
    tile_id = _text(tl, "TILE_ID", "") or folder
    match = TILE_IN_NAME.search(tile_id + "_") or TILE_IN_NAME.search(
        folder + "_")
    tile = match.group(1) if match else folder
    entries = [(e.get("type"), _safe_relpath(e.text, tl_label))
               for e in _iter(tl, "MASK_FILENAME")
               if e.get("type") in CLOUD_MASK_TYPES and e.text
               and _inside_product(e.text)]
    qi_names = (source.listdir(granule_dir + "/QI_DATA")
                if "QI_DATA" in names else ())
    masks = granule_masks(image_files, extension, entries, qi_names,
                          granule_dir)
    return Granule(folder, tile, epsg, grids, band_files, masks)


def _inside_product(relpath):
    """Whether a path read from metadata stays inside the product (a
    cloud mask's that leaves it is not read, as if it were not listed)."""
    try:
        _safe_relpath(relpath, "")
    except ProductError:
        return False
    return True


def _resolution(element, label):
    """The pixel size (m) a Size or Geoposition element is of: 10, 20 or
    60."""
    text = element.get("resolution")
    value = _number(text, "a grid's pixel size (resolution)", label, int,
                    min(GRID_RESOLUTIONS), max(GRID_RESOLUTIONS))
    if value not in GRID_RESOLUTIONS:
        raise ProductError(
            "Metadata file {} gives {} m as a grid's pixel size; Sentinel-2 "
            "grids are of {} m. {}".format(label, value, ", ".join(
                str(r) for r in GRID_RESOLUTIONS), REDOWNLOAD))
    return value
