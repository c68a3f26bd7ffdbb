"""Reading a product's metadata XML: level, baseline, special values,
radiometric offsets, granules, their grids and their band files. No path
read from a product may point outside it."""

import posixpath
import re
import xml.etree.ElementTree as ElementTree

from ..errors import ProductError
from .bands import BAND_NAMES, NATIVE_RESOLUTION
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


def parse_xml(data, label):
    """Parse metadata bytes safely.

    Sentinel-2 metadata never carries a DTD, so any document that declares
    one is refused: that shuts out external entities and entity expansion
    bombs without relying on the parser's own limits.
    """
    if len(data) > MAX_XML_BYTES:
        raise ProductError("Metadata file {} is larger than any Sentinel-2 "
                           "metadata. {}".format(label, REDOWNLOAD))
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise ProductError(
            "Metadata file {} declares a DTD or entities, which Sentinel-2 "
            "metadata never does; it was not read. Use the product as "
            "delivered by ESA.".format(label))
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ProductError("Metadata file {} is not valid XML ({}). {}"
                           .format(label, exc, REDOWNLOAD))


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _iter(element, tag):
    return (e for e in element.iter() if _local(e.tag) == tag)


def _text(element, tag, default=None):
    for e in _iter(element, tag):
        if e.text and e.text.strip():
            return e.text.strip()
    return default


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
    label = source.gdal_path(root_xml)
    try:
        root = parse_xml(source.read(root_xml), label)
    except OSError as exc:
        raise ProductError("Cannot read {} ({}).".format(label, exc))
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
            special[kind.upper()] = int(index)

    offset_tag = "RADIO_ADD_OFFSET" if level == "L1C" else "BOA_ADD_OFFSET"
    offsets = {}
    for e in _iter(root, offset_tag):
        band_id = e.get("band_id")
        if band_id is not None and e.text:
            offsets[BAND_NAMES[int(band_id)]] = int(float(e.text))
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
        baseline=_text(root, "PROCESSING_BASELINE", ""),
        spacecraft=_text(root, "SPACECRAFT_NAME", ""),
        sensing=_text(root, "PRODUCT_START_TIME")
        or _text(root, "DATATAKE_SENSING_START", ""),
        nodata=special.get("NODATA", 0),
        saturated=special.get("SATURATED"),
        offsets=offsets,
        quantification=float(quantification) if quantification else None,
        granules=granules, metadata_path=label)


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
    tl = parse_xml(source.read(tl_path), source.gdal_path(tl_path))

    code = _text(tl, "HORIZONTAL_CS_CODE", "")
    if not code.upper().startswith("EPSG:"):
        raise ProductError("Granule metadata {} has no EPSG code. {}".format(
            tl_path, REDOWNLOAD))
    epsg = int(code.split(":")[1])

    sizes = {}
    for e in _iter(tl, "Size"):
        sizes[int(e.get("resolution"))] = (int(_text(e, "NCOLS")),
                                           int(_text(e, "NROWS")))
    grids = {}
    for e in _iter(tl, "Geoposition"):
        resolution = int(e.get("resolution"))
        if resolution in sizes:
            grids[resolution] = (float(_text(e, "ULX")), float(_text(e, "ULY"))
                                 ) + sizes[resolution]
    tile_id = _text(tl, "TILE_ID", "") or folder
    match = TILE_IN_NAME.search(tile_id + "_") or TILE_IN_NAME.search(
        folder + "_")
    tile = match.group(1) if match else folder
    return Granule(folder, tile, epsg, grids, band_files)
