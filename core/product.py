"""Product discovery: from whatever the user points at to band files and grids.

Accepted inputs: a ``.SAFE`` folder, its downloaded ``.zip`` (read in place,
never extracted), the product's root metadata file (``MTD_MSIL1C.xml``,
``MTD_MSIL2A.xml`` or the 2015-2016 ``S2?_OPER_MTD_SAFL1C_*.xml``), or a
folder holding exactly one of those.

Everything is taken from the product's own XML: band file names, processing
baseline, radiometric offsets, special values and each granule's grid. No
path read from a product may point outside it.
"""

import os
import posixpath
import re
import struct
import zipfile
import xml.etree.ElementTree as ElementTree

from .bands import BAND_NAMES, NATIVE_RESOLUTION, check_band
from .errors import BandError, ProductError

ROOT_XML = re.compile(
    r"^(MTD_MSIL1C|MTD_MSIL2A|S2[A-D]_OPER_MTD_SAFL1C_.*)\.xml$", re.I)
OTHER_ROOT_XML = re.compile(r"^(MTD_MSI\w+|S2[A-D]_\w+_MTD_SAF\w+)\.xml$",
                            re.I)
BAND_SUFFIX = re.compile(r"_(B0[1-9]|B1[0-2]|B8A)(?:_(10|20|60)m)?$")
TILE_IN_NAME = re.compile(r"_T(\d{2}[A-Z]{3})_")
HOW_TO_POINT = ("Point INPUT to a Sentinel-2 .SAFE folder, its .zip, or its "
                "MTD_MSIL1C.xml / MTD_MSIL2A.xml file.")
#: Metadata files are well under a megabyte; refuse anything absurdly large.
MAX_XML_BYTES = 64 * 1024 * 1024
REDOWNLOAD = "The download is probably incomplete: download the product again."


# --------------------------------------------------------------------------
# Where the files are: a folder, or a zip read in place.

class _FolderSource:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.label = self.root

    def read(self, relpath):
        with open(os.path.join(self.root, *relpath.split("/")), "rb") as f:
            return f.read(MAX_XML_BYTES + 1)

    def exists(self, relpath):
        return os.path.isfile(os.path.join(self.root, *relpath.split("/")))

    def size(self, relpath):
        return os.path.getsize(os.path.join(self.root, *relpath.split("/")))

    def listdir(self, reldir):
        try:
            return sorted(os.listdir(os.path.join(self.root,
                                                  *reldir.split("/"))))
        except OSError:
            return []

    def gdal_path(self, relpath):
        return os.path.join(self.root, *relpath.split("/"))

    def damage(self, relpath):
        """Why the JPEG2000 file at ``relpath`` is incomplete, or None."""
        path = self.gdal_path(relpath)
        with open(path, "rb") as handle:
            return jpeg2000_damage(handle, os.path.getsize(path))


class _ZipSource:
    def __init__(self, zip_path, archive, prefix):
        self.zip_path = os.path.abspath(zip_path)
        self.archive = archive
        self.prefix = prefix          # "NAME.SAFE/" or "" for a flat zip
        self.label = self.zip_path
        self.members = {i.filename: i for i in archive.infolist()}

    def _member(self, relpath):
        return self.members.get(self.prefix + relpath)

    def read(self, relpath):
        with self.archive.open(self.prefix + relpath) as f:
            return f.read(MAX_XML_BYTES + 1)

    def exists(self, relpath):
        return self._member(relpath) is not None

    def size(self, relpath):
        return self._member(relpath).file_size

    def listdir(self, reldir):
        start = self.prefix + reldir.rstrip("/") + "/"
        names = {n[len(start):].split("/")[0] for n in self.members
                 if n.startswith(start) and len(n) > len(start)}
        return sorted(names)

    def gdal_path(self, relpath):
        return "/vsizip/{}/{}".format(self.zip_path, self.prefix + relpath)

    def damage(self, relpath):
        # A cut zip fails to open at all (its directory is at the end), and
        # checking a member would mean inflating it: trust the archive.
        return None


# --------------------------------------------------------------------------
# What the product holds.

class Granule:
    """One tile of a product: its grid per resolution and its band files."""

    def __init__(self, name, tile, epsg, grids, band_files):
        self.name = name              # folder name under GRANULE/
        self.tile = tile              # MGRS tile id, e.g. "31UFQ"
        self.epsg = epsg              # EPSG code of its UTM zone
        #: resolution (m) -> (ulx, uly, width, height) in pixels
        self.grids = grids
        #: band -> {resolution (m): relative path of the .jp2}
        self.band_files = band_files


class Product:
    """A Sentinel-2 product as read from its metadata."""

    def __init__(self, source, name, level, baseline, spacecraft, sensing,
                 nodata, saturated, offsets, quantification, granules,
                 metadata_path):
        self.source = source
        self.name = name                  # product name without .SAFE
        self.level = level                # "L1C" or "L2A"
        self.baseline = baseline          # e.g. "05.09"
        self.spacecraft = spacecraft      # e.g. "Sentinel-2B"
        self.sensing = sensing            # ISO time, e.g. "2023-06-14T10:56:29.024Z"
        self.nodata = nodata              # DN of no-data pixels
        self.saturated = saturated        # DN of saturated pixels, or None
        self.offsets = offsets            # band -> additive offset (DN), may be {}
        self.quantification = quantification
        self.granules = granules
        self.metadata_path = metadata_path

    @property
    def epsg_codes(self):
        return sorted({g.epsg for g in self.granules})

    @property
    def tiles(self):
        return [g.tile for g in self.granules]

    @property
    def sensing_date(self):
        return self.sensing[:10]

    def band_resolution(self, band):
        """Finest resolution (m) at which ``band`` has files in this product."""
        band = check_band(band)
        found = {r for g in self.granules for r in g.band_files.get(band, {})}
        if not found:
            if self.level == "L2A" and band == "B10":
                raise BandError(
                    "L2A products have no B10 (the cirrus band is dropped by "
                    "atmospheric correction). Choose another band, or use the "
                    "L1C product.")
            raise BandError(
                "Band {} is not listed in {}. Choose one of {}.".format(
                    band, posixpath.basename(self.metadata_path),
                    ", ".join(self.bands)))
        return min(found)

    @property
    def bands(self):
        present = {b for g in self.granules for b in g.band_files}
        return [b for b in BAND_NAMES if b in present]

    def files(self):
        """Paths of the files this product is read from: its metadata, its
        zip if it is one, and every band file it lists (GDAL paths, so
        members of a zip start with /vsizip/)."""
        paths = [self.metadata_path]
        zip_path = getattr(self.source, "zip_path", None)
        if zip_path:
            paths.append(zip_path)
        for granule in self.granules:
            for files in granule.band_files.values():
                paths.extend(self.source.gdal_path(p) for p in files.values())
        return paths

    def band_source(self, granule, band, resolution):
        """Which file of ``band`` in ``granule`` to read for a grid of
        ``resolution`` m, as (GDAL path, the file's resolution in m): the
        file at exactly that resolution where the product has one (L2A ships
        20 and 60 m versions), else the finest. The file is checked to exist
        and to be whole."""
        available = granule.band_files.get(band, {})
        if not available:
            raise BandError("Band {} has no file in granule {}.".format(
                band, granule.name))
        native = resolution if resolution in available else min(available)
        return self.band_file(granule, band, native), native

    def band_file(self, granule, band, resolution):
        """GDAL path of ``band``'s file at ``resolution`` in ``granule``,
        checked to exist and to be non-empty."""
        relpath = granule.band_files[band][resolution]
        if not self.source.exists(relpath):
            raise BandError(
                "Band {} file {} is listed in the metadata but missing from "
                "the product. {}".format(band, relpath, REDOWNLOAD))
        if self.source.size(relpath) == 0:
            raise BandError("Band {} file {} is empty (0 bytes). {}".format(
                band, relpath, REDOWNLOAD))
        damage = self.source.damage(relpath)
        if damage:
            raise BandError("Band {} file {} is incomplete ({}). {}".format(
                band, relpath, damage, REDOWNLOAD))
        return self.source.gdal_path(relpath)

    def describe(self):
        return "{} {} {} (baseline {}, {} granule{})".format(
            self.spacecraft or "Sentinel-2", self.level, self.sensing_date,
            self.baseline or "?", len(self.granules),
            "" if len(self.granules) == 1 else "s")


# --------------------------------------------------------------------------
# JPEG2000 files cut short.

def jpeg2000_damage(handle, size):
    """Why a JPEG2000 file is incomplete, or None if it looks whole.

    A cut file can decode without error, its missing tiles silently left
    black, so the structure is checked first: the JP2 boxes must fill the
    file exactly and the codestream must end with its end-of-codestream
    marker (FFD9). Reads a few bytes per box, never the image.
    """
    handle.seek(0)
    head = handle.read(4)
    if head[:2] == b"\xff\x4f":          # a bare codestream, no boxes
        end = size
    else:
        end, position = None, 0
        while position < size:
            handle.seek(position)
            header = handle.read(16)
            if len(header) < 8:
                return "cut inside a box header"
            length, kind = struct.unpack(">I4s", header[:8])
            if length == 1 and len(header) == 16:
                length = struct.unpack(">Q", header[8:16])[0]
            elif length == 0:                 # the last box runs to the end
                length = size - position
            if length < 8 or position + length > size:
                return "cut short: {} of {} bytes".format(size, position +
                                                          length)
            if kind == b"jp2c":
                end = position + length
            position += length
        if end is None:
            return "no image codestream"
    handle.seek(end - 2)
    if handle.read(2) != b"\xff\xd9":
        return "the image codestream has no end marker"
    return None


# --------------------------------------------------------------------------
# Opening.

def open_product(path):
    """Read the product at ``path`` and return a Product.

    Raises ProductError with a message naming the problem and the fix.
    """
    if not path or not str(path).strip():
        raise ProductError("No input product given. " + HOW_TO_POINT)
    path = os.path.abspath(os.path.expanduser(str(path).strip()))
    if not os.path.exists(path):
        raise ProductError("'{}' does not exist. {}".format(path,
                                                            HOW_TO_POINT))
    if os.path.isdir(path):
        return _open_folder(path)
    name = os.path.basename(path)
    if name.lower().endswith(".zip") or zipfile.is_zipfile(path):
        return _open_zip(path)
    if name.lower().endswith(".xml"):
        if ROOT_XML.match(name):
            return _read_product(_FolderSource(os.path.dirname(path)), name)
        _refuse_other_xml(path, name)
    raise ProductError("'{}' is not a Sentinel-2 product. {}".format(
        path, HOW_TO_POINT))


def _refuse_other_xml(path, name):
    if name.upper() == "MTD_TL.XML" or "_MTD_L1C_TL_" in name.upper():
        raise ProductError(
            "'{}' is a granule's metadata. Point INPUT to the product's root "
            "MTD_MSIL1C.xml / MTD_MSIL2A.xml, two folders up, or to the .SAFE "
            "folder.".format(path))
    if OTHER_ROOT_XML.match(name):
        raise ProductError(
            "'{}' is a product level this tool does not read. It equalizes "
            "Sentinel-2 L1C and L2A products.".format(path))
    raise ProductError("'{}' is not a Sentinel-2 product's metadata. {}"
                       .format(path, HOW_TO_POINT))


def _root_xml_in(names):
    found = [n for n in names if ROOT_XML.match(n)]
    return found[0] if len(found) == 1 else None


def _open_folder(path):
    names = os.listdir(path)
    root_xml = _root_xml_in(names)
    if root_xml:
        return _read_product(_FolderSource(path), root_xml)
    _refuse_other_product(path, names)
    candidates = sorted(
        n for n in names
        if (n.upper().endswith(".SAFE")
            and os.path.isdir(os.path.join(path, n)))
        or (n.lower().endswith(".zip") and n.upper().startswith("S2")))
    if len(candidates) == 1:
        return open_product(os.path.join(path, candidates[0]))
    if candidates:
        raise ProductError(
            "Folder '{}' holds {} products ({}). Point INPUT to one of "
            "them.".format(path, len(candidates), ", ".join(candidates)))
    if not names:
        raise ProductError("Folder '{}' is empty. {}".format(path,
                                                             HOW_TO_POINT))
    raise ProductError(
        "Folder '{}' is not a Sentinel-2 product: it has no MTD_MSIL1C.xml "
        "or MTD_MSIL2A.xml. {}".format(path, HOW_TO_POINT))


def _refuse_other_product(label, names):
    others = [n for n in names if OTHER_ROOT_XML.match(n)]
    if others:
        raise ProductError(
            "'{}' is a product level this tool does not read ({}). It "
            "equalizes Sentinel-2 L1C and L2A products.".format(
                label, others[0]))
    if "manifest.safe" in names and not any(
            n.lower().endswith(".xml") and n.upper().startswith("MTD_")
            for n in names):
        raise ProductError(
            "'{}' is a SAFE product but not a Sentinel-2 L1C/L2A one (a "
            "Sentinel-1 product?). This tool reads Sentinel-2 L1C and L2A "
            "products.".format(label))


def _open_zip(path):
    try:
        archive = zipfile.ZipFile(path)
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProductError(
            "'{}' is not a readable zip ({}). {}".format(path, exc, REDOWNLOAD))
    top = sorted({n.split("/")[0] + "/" for n in names if "/" in n})
    for prefix in top + [""]:
        level = [n[len(prefix):] for n in names
                 if n.startswith(prefix) and "/" not in n[len(prefix):]]
        root_xml = _root_xml_in(level)
        if root_xml:
            return _read_product(_ZipSource(path, archive, prefix), root_xml)
    for prefix in top + [""]:
        level = [n[len(prefix):] for n in names
                 if n.startswith(prefix) and "/" not in n[len(prefix):]]
        _refuse_other_product(path, level)
    archive.close()
    raise ProductError(
        "Zip '{}' holds no Sentinel-2 product (no MTD_MSIL1C.xml or "
        "MTD_MSIL2A.xml inside its top folder). {}".format(path,
                                                           HOW_TO_POINT))


# --------------------------------------------------------------------------
# Metadata.

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


def _read_product(source, root_xml):
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


def _granule_entries(root, label):
    """Yield (granule folder, [image file paths without .jp2]) per granule."""
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
                yield parts[1], files
        elif tag == "Granules":           # 2015-2016 OPER naming
            folder = _safe_relpath(e.get("granuleIdentifier", ""), label)
            if "/" in folder or not folder or folder == ".":
                raise ProductError("{} names an invalid granule '{}'. {}"
                                   .format(label, folder, REDOWNLOAD))
            files = ["GRANULE/{}/IMG_DATA/{}".format(
                folder, _safe_relpath(i.text, label))
                for i in _iter(e, "IMAGE_ID") if i.text]
            yield folder, files


def _read_granule(source, entry, level, label):
    folder, image_files = entry
    band_files = {}
    for stem in image_files:
        match = BAND_SUFFIX.search(stem)
        if not match:
            continue                       # TCI, SCL, AOT, WVP, masks
        band = match.group(1)
        resolution = (int(match.group(2)) if match.group(2)
                      else NATIVE_RESOLUTION[band])
        band_files.setdefault(band, {})[resolution] = stem + ".jp2"

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
