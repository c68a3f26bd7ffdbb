"""Product discovery: from whatever the user points at to a Product.

Accepted inputs: a ``.SAFE`` folder, its downloaded ``.zip`` (read in place,
never extracted), the product's root metadata file (``MTD_MSIL1C.xml``,
``MTD_MSIL2A.xml`` or the 2015-2016 ``S2?_OPER_MTD_SAFL1C_*.xml``), or a
folder holding exactly one of those; any of these at an ``https://`` URL
or an ``s3://`` path (``remote``); a STAC Item, as a JSON file or its URL,
or one item of an ItemCollection file (``stac``).

Everything is taken from the product's own XML: band file names, processing
baseline, radiometric offsets, special values and each granule's grid. No
path read from a product may point outside it.
"""

import errno
import os
import posixpath
import re
import stat
import zipfile

from ..errors import ProductError
from ..gdal.network import is_remote, shown, vsi_path
from . import stac
from .metadata import read_product
from .model import REDOWNLOAD
from .remote import RemoteZipSource, open_zip, remote_folder
from .sources import FolderSource, ZipSource

ROOT_XML = re.compile(
    r"^(MTD_MSIL1C|MTD_MSIL2A|S2[A-D]_OPER_MTD_SAFL1C_.*)\.xml$", re.I)
OTHER_ROOT_XML = re.compile(r"^(MTD_MSI\w+|S2[A-D]_\w+_MTD_SAF\w+)\.xml$",
                            re.I)
HOW_TO_POINT = ("Give a Sentinel-2 product's .SAFE folder, its .zip, or its "
                "MTD_MSIL1C.xml / MTD_MSIL2A.xml file (on disk, at an "
                "https:// URL or an s3:// path), or a STAC item (its JSON "
                "file or URL).")


def open_product(path):
    """Read the product at ``path`` and return a Product.

    Raises ProductError with a message naming the problem and the fix.
    """
    if not path or not str(path).strip():
        raise ProductError("No input product given. " + HOW_TO_POINT)
    if stac.is_item_path(path):
        return stac.open_item(path)
    if is_remote(path):
        return _open_remote(str(path).strip())
    path = os.path.abspath(os.path.expanduser(str(path).strip()))
    mode = _mode(path)
    if stat.S_ISDIR(mode):
        return _open_folder(path)
    if not stat.S_ISREG(mode):
        raise ProductError(
            "'{}' is not a regular file (a device, a named pipe or a "
            "socket). {}".format(path, HOW_TO_POINT))
    name = os.path.basename(path)
    if name.lower().endswith(".zip") or zipfile.is_zipfile(path):
        return _open_zip(path)
    if name.lower().endswith(".xml"):
        if ROOT_XML.match(name):
            return read_product(FolderSource(os.path.dirname(path)), name)
        _refuse_other_xml(path, name)
    raise ProductError("'{}' is not a Sentinel-2 product. {}".format(
        path, HOW_TO_POINT))


def _mode(path):
    """The file mode of ``path``, links followed; ProductError naming the
    path (never what a link points at) where there is none."""
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ProductError(
                "'{}' is a symbolic link in a loop (it leads back to "
                "itself). {}".format(path, HOW_TO_POINT))
        if os.path.lexists(path):
            raise ProductError(
                "'{}' is a symbolic link to a file that does not exist. {}"
                .format(path, HOW_TO_POINT))
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise ProductError("'{}' does not exist. {}".format(
                path, HOW_TO_POINT))
        raise ProductError("Cannot read '{}' ({}).".format(
            path, exc.strerror or exc))


def _refuse_other_xml(path, name):
    if name.upper() == "MTD_TL.XML" or "_MTD_L1C_TL_" in name.upper():
        raise ProductError(
            "'{}' is a granule's metadata. Give the product's root "
            "MTD_MSIL1C.xml / MTD_MSIL2A.xml, two folders up, or the .SAFE "
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
        return read_product(FolderSource(path), root_xml)
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
            "Folder '{}' holds {} products ({}). Give one of them.".format(
                path, len(candidates), ", ".join(candidates)))
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
    return _product_in_zip(path, archive, names,
                           lambda prefix: ZipSource(path, archive, prefix))


def _product_in_zip(label, archive, names, make_source):
    """The product in the zip ``archive`` (shown as ``label``) whose
    member names are ``names``; ``make_source(prefix)`` gives the source
    of its files under ``prefix``."""
    top = sorted({n.split("/")[0] + "/" for n in names if "/" in n})
    found = []
    for prefix in top + [""]:
        level = [n[len(prefix):] for n in names
                 if n.startswith(prefix) and "/" not in n[len(prefix):]]
        root_xml = _root_xml_in(level)
        if root_xml:
            found.append((prefix, root_xml))
    if len(found) > 1:
        archive.close()
        raise ProductError(
            "Zip '{}' holds {} products ({}). Give a zip of one product, or "
            "unzip it and use one of them.".format(
                label, len(found), ", ".join(
                    prefix.rstrip("/") or root_xml
                    for prefix, root_xml in found)))
    if found:
        prefix, root_xml = found[0]
        return read_product(make_source(prefix), root_xml)
    for prefix in top + [""]:
        level = [n[len(prefix):] for n in names
                 if n.startswith(prefix) and "/" not in n[len(prefix):]]
        _refuse_other_product(label, level)
    archive.close()
    raise ProductError(
        "Zip '{}' holds no Sentinel-2 product (no MTD_MSIL1C.xml or "
        "MTD_MSIL2A.xml inside its top folder). {}".format(label,
                                                           HOW_TO_POINT))


def _open_remote(path):
    """The product at the remote ``path``: a zip (its name ends in .zip),
    else a .SAFE folder or its root metadata file."""
    gdal_path = vsi_path(path)
    name = posixpath.basename(gdal_path.split("?")[0].rstrip("/"))
    if name.lower().endswith(".zip"):
        archive, names = open_zip(gdal_path)
        return _product_in_zip(
            shown(gdal_path), archive, names,
            lambda prefix: RemoteZipSource(gdal_path, archive, prefix))
    source, root_xml = remote_folder(path)
    if root_xml is not None:
        if ROOT_XML.match(root_xml):
            return read_product(source, root_xml)
        _refuse_other_xml(source.label + "/" + root_xml, root_xml)
    names = source.listdir("")
    root_xml = _root_xml_in(names) or next(
        (candidate for candidate in ("MTD_MSIL2A.xml", "MTD_MSIL1C.xml")
         if source.exists(candidate)), None)
    if root_xml:
        return read_product(source, root_xml)
    _refuse_other_product(source.label, names)
    raise ProductError(
        "No Sentinel-2 product found at '{}': it has no manifest.safe "
        "naming its files and no MTD_MSIL1C.xml or MTD_MSIL2A.xml. {}".format(
            source.label, HOW_TO_POINT))


def expand_products(paths):
    """``paths`` with every STAC ItemCollection file among them replaced
    by its items (each as ``FILE#item-id``, which open_product takes), in
    order: for the runs that take several products."""
    expanded = []
    for path in paths:
        expanded.extend(stac.collection_items(path) or [path])
    return expanded
