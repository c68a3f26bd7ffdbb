"""A remote product's source whose band files are read from local copies
(core/pixels/fetch.py makes them): GDAL, the checksums and the checks of a
file's structure get the copy; messages name the original."""

import os
import posixpath
import urllib.parse

from .sources import structure_check


def copy_name(gdal_path):
    """The file name of a local copy of the file at GDAL's ``gdal_path``:
    the original's own (its extension chooses the structure check)."""
    return posixpath.basename(urllib.parse.urlsplit(
        gdal_path.split("?", 1)[0]).path) or "band"


class FetchedSource:
    """A remote product source whose files in ``copies`` (relative path ->
    local path) are read from their local copies; anything else as the
    source it wraps says."""

    def __init__(self, source, copies):
        self.wrapped, self.copies = source, dict(copies)

    def __getattr__(self, name):
        return getattr(self.wrapped, name)

    def label_of(self, path):
        """GDAL's name of the original of the local copy at ``path``, or
        ``path``."""
        for relpath, copy in self.copies.items():
            if copy == path:
                return self.wrapped.gdal_path(relpath)
        return path

    def local_copy(self, relpath):
        """The local copy of ``relpath``, or None."""
        return self.copies.get(relpath)

    def gdal_path(self, relpath):
        return self.copies.get(relpath) or self.wrapped.gdal_path(relpath)

    def stream(self, relpath):
        if relpath in self.copies:
            return open(self.copies[relpath], "rb")
        return self.wrapped.stream(relpath)

    def size(self, relpath):
        if relpath in self.copies:
            return os.path.getsize(self.copies[relpath])
        return self.wrapped.size(relpath)

    def exists(self, relpath):
        return relpath in self.copies or self.wrapped.exists(relpath)

    def damage(self, relpath):
        """Why the band file at ``relpath`` is incomplete (its copy checked
        as a file on disk is), or None."""
        if relpath not in self.copies:
            return self.wrapped.damage(relpath)
        copy = self.copies[relpath]
        check = structure_check(copy)
        if check is None:
            return None
        with open(copy, "rb") as handle:
            return check(handle, os.fstat(handle.fileno()).st_size)
