"""The checksums a product's ``manifest.safe`` lists for its files.

Every SAFE product carries a manifest (XFDU) naming each of its files with
its size and a checksum: MD5 in older products, SHA3-256 in current ones::

    <dataObject ID="IMG_DATA_Band_B04_10m_Tile1_Data">
      <byteStream mimeType="application/octet-stream" size="...">
        <fileLocation locatorType="URL" href="./GRANULE/.../B04_10m.jp2"/>
        <checksum checksumName="SHA3-256">D540...</checksum>
      </byteStream>
    </dataObject>

Some manifests (Sen2Cor's baseline 02.08, for one) write the href as the
absolute path the product had on the processing machine; the part from
``GRANULE/`` on is still the file's place in the product.

A manifest that is there but cannot be read, or a checksum that cannot be
computed (of an unknown kind, or not a digest at all), is not a reason to
run unchecked: the product vouches for its files, and a damaged or altered
manifest must not switch its check off (UnverifiedError). A product
without a manifest, or whose manifest lists no checksum for a file, runs
unchecked and says so.
"""

import hashlib
import posixpath
import re
from dataclasses import dataclass

from ..errors import ProductError, UnverifiedError
from .metadata import XmlError, parse_xml, quoted

MANIFEST = "manifest.safe"

#: Checksum names as manifests write them -> hashlib's names, the strongest
#: first: where a file has several, the first of these is used.
ALGORITHMS = {"SHA3-256": "sha3_256", "SHA-512": "sha512",
              "SHA-256": "sha256", "SHA256": "sha256", "MD5": "md5"}


@dataclass(frozen=True)
class Checksum:
    """One file's checksum: ``kind`` as the manifest names it (a key of
    ALGORITHMS), ``digest`` in lower-case hexadecimal, and the file's
    ``size`` in bytes where the manifest gives it (else None). A checksum
    that cannot be computed has ``unusable``, why (and ``kind`` as the
    manifest wrote it)."""

    kind: str
    digest: str
    size: int = None
    unusable: str = None

    def hasher(self):
        return hashlib.new(ALGORITHMS[self.kind])


def read_checksums(source):
    """``(checksums, reason)``: relative path -> Checksum for each file the
    manifest of the product in ``source`` (a sources.FolderSource or
    ZipSource) lists with a checksum, and None; or an empty dict and why
    there is nothing to check against (the product has no manifest).
    Raises UnverifiedError for a manifest that is there but cannot be
    read. A source with checksums of its own (a STAC item's
    file:checksum) gives them itself."""
    if hasattr(source, "checksums"):
        return source.checksums()
    try:
        if not source.exists(MANIFEST):
            return {}, "the product has no {}".format(MANIFEST)
        data = source.read(MANIFEST)
    except ProductError as exc:             # a link out, a pipe, unreadable
        raise UnverifiedError("{} Its band files cannot be checked without "
                              "it.".format(exc))
    try:
        root = parse_xml(data, MANIFEST)
    except XmlError as exc:
        raise UnverifiedError(
            "The product's {} {}, so its band files cannot be checked "
            "against it.".format(MANIFEST, exc.reason))
    checksums = {}
    for stream in _elements(root, "byteStream"):
        relpath = _product_path(_href(stream))
        checksum = _strongest(stream)
        if relpath and checksum:
            checksums[relpath] = Checksum(checksum.kind, checksum.digest,
                                          _size(stream), checksum.unusable)
    return checksums, None


def manifest_files(data):
    """The paths inside the product of every file the manifest ``data``
    (its bytes) names, checksum or not: the file list of a product whose
    folder cannot be listed (over HTTP). ProductError where it cannot be
    parsed."""
    root = parse_xml(data, MANIFEST)
    found = (_product_path(_href(stream))
             for stream in _elements(root, "byteStream"))
    return sorted({path for path in found if path})


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _elements(parent, tag, deep=True):
    found = parent.iter() if deep else iter(parent)
    return [e for e in found if _local(e.tag) == tag]


def _href(stream):
    for location in _elements(stream, "fileLocation", deep=False):
        if location.get("href"):
            return location.get("href")
    return None


def _product_path(href):
    """The file's path inside the product, or None for one outside it."""
    if not href:
        return None
    path = posixpath.normpath(href.replace("\\", "/").strip())
    if path.startswith("/") or path.startswith(".."):
        marker = path.rfind("/GRANULE/")
        if marker < 0:
            return None
        path = path[marker + 1:]
    return path if ".." not in path.split("/") else None


def _size(stream):
    try:
        return int(stream.get("size"))
    except (TypeError, ValueError):
        return None


def _strongest(stream):
    """The strongest checksum of ``stream`` that can be computed; else
    one saying why none can (an unknown kind, or not a digest); None
    where the stream lists none."""
    found, unusable = {}, None
    for element in _elements(stream, "checksum", deep=False):
        kind = (element.get("checksumName") or "").strip().upper()
        digest = (element.text or "").strip().lower()
        if kind not in ALGORITHMS:
            unusable = unusable or Checksum(
                kind, digest, unusable="a checksum of a kind that cannot "
                "be computed ('{}')".format(quoted(kind or 'none')))
        elif not HEX.match(digest) or len(digest) != 2 * hashlib.new(
                ALGORITHMS[kind]).digest_size:
            unusable = unusable or Checksum(
                kind, digest, unusable="a {} checksum that is not one (not "
                "{} hexadecimal digits)".format(kind, 2 * hashlib.new(
                    ALGORITHMS[kind]).digest_size))
        else:
            found[kind] = digest
    for kind in ALGORITHMS:
        if kind in found:
            return Checksum(kind, found[kind])
    return unusable


#: A digest as manifests write it, once in lower case.
HEX = re.compile(r"\A[0-9a-f]+\Z")

