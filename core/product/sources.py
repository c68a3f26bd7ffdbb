"""Where a product's files are: a folder, or a zip read in place (never
extracted); and a check that a JPEG2000 file is whole."""

import contextlib
import os
import posixpath
import struct
import zipfile

from .tiff_structure import tiff_damage

#: Metadata files are well under a megabyte; refuse anything absurdly large.
MAX_XML_BYTES = 64 * 1024 * 1024


class FolderSource:
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

    def stream(self, relpath):
        """The file at ``relpath``, open for reading bytes (use in a with
        block)."""
        return open(self.gdal_path(relpath), "rb")

    def damage(self, relpath):
        """Why the band file at ``relpath`` is incomplete, or None."""
        check = structure_check(relpath)
        if check is None:
            return None
        path = self.gdal_path(relpath)
        with open(path, "rb") as handle:
            return check(handle, os.path.getsize(path))


class ZipSource:
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

    @contextlib.contextmanager
    def stream(self, relpath):
        """The member at ``relpath``, inflated as it is read (use in a with
        block). Through an archive handle of its own, so that it can be read
        in another thread; reading it to the end checks its CRC-32."""
        with zipfile.ZipFile(self.zip_path) as archive:
            with archive.open(self.prefix + relpath) as member:
                yield member

    def damage(self, relpath):
        # A cut zip fails to open at all (its directory is at the end), and
        # checking a member would mean inflating it: trust the archive.
        return None


def structure_check(relpath):
    """The check that a band file at ``relpath`` is whole, chosen by its
    extension: ``check(handle, size)`` gives why it is incomplete, or None.
    None for a kind of file without one."""
    return {".jp2": jpeg2000_damage, ".tif": tiff_damage,
            ".tiff": tiff_damage}.get(posixpath.splitext(relpath)[1].lower())


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
