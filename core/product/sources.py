"""Where a product's files are: a folder, or a zip read in place (never
extracted); and a check that a JPEG2000 file is whole.

Nothing outside the product is read: in a folder, a file reached through a
symbolic link that leads out of the product's folder is refused, as is
anything but a regular file; in a zip, a member stored as a symbolic link
is refused, as is an encrypted one. Refusals name the file as the user
knows it (the link, never what it points at) and read nothing from it.
"""

import contextlib
import errno
import os
import posixpath
import stat
import struct
import zipfile
import zlib

from ..errors import ProductError
from .tiff_structure import tiff_damage

#: Metadata files are well under a megabyte; refuse anything absurdly large.
MAX_XML_BYTES = 64 * 1024 * 1024
#: What to do about a product whose files cannot be used as they are.
AS_DELIVERED = "Use the product as it was delivered, with its own files."
#: How a zip archive fails to give a member: damaged (BadZipFile, zlib,
#: EOFError), encrypted (RuntimeError) or compressed by a method Python
#: does not know (NotImplementedError).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError,
              NotImplementedError, OSError)


def _unreadable(shown, exc):
    """The ProductError for a file of the product the system would not
    give (``exc``: an OSError)."""
    if exc.errno == errno.ELOOP:
        return ProductError(
            "'{}' is a symbolic link in a loop (it leads back to itself); it "
            "was not read. {}".format(shown, AS_DELIVERED))
    return ProductError("Cannot read '{}' ({}).".format(
        shown, exc.strerror or exc))


class FolderSource:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(self.root)
        self.label = self.root

    def shown(self, relpath):
        """The file at ``relpath`` as the user knows it: its path."""
        return os.path.join(self.root, *relpath.split("/"))

    def _path(self, relpath):
        """The path of the file at ``relpath``, once checked to lie inside
        the product's folder with every link on the way followed."""
        path = self.shown(relpath)
        if not _inside(os.path.realpath(path), self.real_root):
            raise ProductError(
                "'{}' is a symbolic link to a file outside the product (or "
                "lies in a folder that is one); it was not read. {}".format(
                    path, AS_DELIVERED))
        return path

    def _open(self, relpath):
        """The regular file at ``relpath``, open for reading bytes."""
        path = self._path(relpath)
        try:
            # Not blocking: a named pipe would otherwise wait for a writer.
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK",
                                                         0))
        except OSError as exc:
            raise _unreadable(path, exc)
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            os.close(handle)
            raise _not_regular(path)
        return os.fdopen(handle, "rb")

    def read(self, relpath):
        with self._open(relpath) as f:
            try:
                return f.read(MAX_XML_BYTES + 1)
            except OSError as exc:
                raise _unreadable(self.shown(relpath), exc)

    def exists(self, relpath):
        path = self._path(relpath)
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise _unreadable(path, exc)
        if stat.S_ISDIR(mode):
            return False
        if not stat.S_ISREG(mode):
            raise _not_regular(path)
        return True

    def size(self, relpath):
        path = self._path(relpath)
        try:
            return os.path.getsize(path)
        except OSError as exc:
            raise _unreadable(path, exc)

    def listdir(self, reldir):
        try:
            return sorted(os.listdir(self._path(reldir)))
        except OSError:
            return []

    def gdal_path(self, relpath):
        return self._path(relpath)

    def stream(self, relpath):
        """The file at ``relpath``, open for reading bytes (use in a with
        block)."""
        return self._open(relpath)

    def damage(self, relpath):
        """Why the band file at ``relpath`` is incomplete, or None."""
        check = structure_check(relpath)
        if check is None:
            return None
        with self._open(relpath) as handle:
            return check(handle, os.fstat(handle.fileno()).st_size)


def _inside(path, folder):
    """Whether ``path`` is ``folder`` or lies in it (both real paths)."""
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:                  # another drive (Windows)
        return False


def _not_regular(shown):
    return ProductError(
        "'{}' is not a regular file (a device, a named pipe or a socket); "
        "it was not read. {}".format(shown, AS_DELIVERED))


class ZipSource:
    def __init__(self, zip_path, archive, prefix):
        self.zip_path = os.path.abspath(zip_path)
        self.archive = archive
        self.prefix = prefix          # "NAME.SAFE/" or "" for a flat zip
        self.label = self.zip_path
        self.members = {i.filename: i for i in archive.infolist()}

    def shown(self, relpath):
        """The member at ``relpath`` as the user knows it: the zip's path,
        then the member's inside it."""
        return "{}/{}".format(self.zip_path, self.prefix + relpath)

    def _member(self, relpath):
        """The zip's entry for ``relpath`` (None if it has none), refused
        if it is a link or encrypted."""
        info = self.members.get(self.prefix + relpath)
        if info is not None:
            refuse_member(info, self.shown(relpath))
        return info

    def read(self, relpath):
        self._member(relpath)
        try:
            with self.archive.open(self.prefix + relpath) as f:
                return f.read(MAX_XML_BYTES + 1)
        except ZIP_ERRORS as exc:
            raise ProductError(
                "'{}' cannot be read from the zip ({}). The download is "
                "probably incomplete: download the product again.".format(
                    self.shown(relpath), exc))

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
        self._member(relpath)
        return "/vsizip/{}/{}".format(self.zip_path, self.prefix + relpath)

    @contextlib.contextmanager
    def stream(self, relpath):
        """The member at ``relpath``, inflated as it is read (use in a with
        block). Through an archive handle of its own, so that it can be read
        in another thread; reading it to the end checks its CRC-32."""
        self._member(relpath)
        with zipfile.ZipFile(self.zip_path) as archive:
            with archive.open(self.prefix + relpath) as member:
                yield member

    def damage(self, relpath):
        # A cut zip fails to open at all (its directory is at the end), and
        # checking a member would mean inflating it: trust the archive.
        return None


def is_link(info):
    """Whether the zip entry ``info`` is a symbolic link (as Unix zip
    tools store one: its target as its content)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def refuse_member(info, shown):
    """Raise ProductError if the zip entry ``info`` (``shown`` as the user
    knows it) is a symbolic link or encrypted."""
    if is_link(info):
        raise ProductError(
            "'{}' is a symbolic link stored in the zip; links are no part "
            "of a product, so it was not read. {}".format(shown,
                                                          AS_DELIVERED))
    if info.flag_bits & 0x1:
        raise ProductError(
            "'{}' is encrypted (the zip is password-protected); it was not "
            "read. Use the product's zip as it was downloaded, without a "
            "password.".format(shown))


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
                # The box's length comes from the file: not repeated.
                return "cut short: its boxes run past its {} bytes".format(
                    size)
            if kind == b"jp2c":
                end = position + length
            position += length
        if end is None:
            return "no image codestream"
    handle.seek(end - 2)
    if handle.read(2) != b"\xff\xd9":
        return "the image codestream has no end marker"
    return None
