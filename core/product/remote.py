"""A product over the network: a ``.SAFE`` folder or its ``.zip`` at an
``https://`` URL or an ``s3://`` path, read in place with range requests
through GDAL's virtual file systems (/vsicurl/, /vsis3/, /vsizip/ on top),
never downloaded whole.

A folder over HTTP cannot be listed (servers seldom do), so its files are
found from its ``manifest.safe``, which names every one; a bucket is
listed as GDAL lists it. A zip's directory is read from its end, then
each member as it is needed. Names shown to a user are URLs without their
user part and query string (``errors.without_secrets``).
"""

import posixpath
import zipfile

from ..errors import BandError, ProductError
from ..gdal.network import (RemoteFileError, join, open_remote,
                            remote_listing, remote_size, shown, vsi_path)
from .manifest import MANIFEST, manifest_files
from .model import REDOWNLOAD
from .sources import MAX_XML_BYTES, ZIP_ERRORS, ZipSource, structure_check


def problem(what, error):
    """Why the remote ``what`` (a file as the user knows it) could not be
    read, and what to do, from a network.RemoteFileError: the HTTP
    status says whether it is missing, refused or the server failed."""
    if error.status in (404, 410):
        return ("{} is not on the server (HTTP {}): the object was moved "
                "or deleted, or the address is mistyped. Search the "
                "catalogue again for its current address.".format(
                    what, error.status))
    if error.status in (401, 403):
        return ("{} was refused (HTTP {}): the credentials are missing or "
                "wrong (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                "AWS_PROFILE; AWS_NO_SIGN_REQUEST=YES for a public bucket), "
                "or a signed URL has expired: sign the item again.".format(
                    what, error.status))
    return "{} could not be read over the network ({}).".format(
        what, error.reason or "no reason given")


class RemoteFolderSource:
    """The files of a ``.SAFE`` folder over the network; ``base`` is
    GDAL's name of the folder (/vsicurl/https://..., /vsis3/...)."""

    remote = True

    def __init__(self, base):
        self.base = base.rstrip("/")
        self.label = shown(self.base)
        self._sizes = {}
        self._listed = None

    def shown(self, relpath):
        return shown(self.gdal_path(relpath))

    def gdal_path(self, relpath):
        return join(self.base, relpath)

    def read(self, relpath):
        try:
            with open_remote(self.gdal_path(relpath)) as handle:
                return handle.read(MAX_XML_BYTES + 1)
        except RemoteFileError as error:
            raise ProductError(problem(self.shown(relpath), error))

    def size(self, relpath):
        """The file's size in bytes, None where it does not exist."""
        if relpath not in self._sizes:
            try:
                self._sizes[relpath] = remote_size(self.gdal_path(relpath))
            except RemoteFileError as error:
                raise BandError(problem(self.shown(relpath), error))
        return self._sizes[relpath]

    def exists(self, relpath):
        return self.size(relpath) is not None

    def listdir(self, reldir):
        """The names in the folder ``reldir``: listed where the store
        lists (a bucket), else from the manifest's file names."""
        names = remote_listing(self.gdal_path(reldir))
        if names:
            return names
        start = reldir.rstrip("/") + "/" if reldir else ""
        return sorted({path[len(start):].split("/")[0]
                       for path in self.manifest_paths()
                       if path.startswith(start) and len(path) > len(start)})

    def manifest_paths(self):
        """The paths inside the product that its manifest names ([] where
        it has none or it cannot be read: listing then finds nothing)."""
        if self._listed is None:
            self._listed = []
            if self.exists(MANIFEST):
                try:
                    self._listed = manifest_files(self.read(MANIFEST))
                except ProductError:
                    pass
        return self._listed

    def stream(self, relpath):
        try:
            return open_remote(self.gdal_path(relpath))
        except RemoteFileError as error:
            raise BandError(problem(self.shown(relpath), error))

    def damage(self, relpath):
        """Why the band file at ``relpath`` is incomplete, or None; reads a
        few bytes of its structure, never its image."""
        check = structure_check(relpath)
        if check is None:
            return None
        try:
            with open_remote(self.gdal_path(relpath)) as handle:
                return check(handle, self.size(relpath))
        except RemoteFileError as error:
            raise BandError(problem(self.shown(relpath), error))


class RemoteZipSource(ZipSource):
    """The members of a product's zip over the network, read in place:
    ``zip_path`` is GDAL's name of the zip (/vsicurl/..., /vsis3/...)."""

    remote = True

    def __init__(self, zip_path, archive, prefix):
        self.zip_path = zip_path
        self.archive = archive
        self.prefix = prefix
        self.label = shown(zip_path)
        self.members = {i.filename: i for i in archive.infolist()}

    def shown(self, relpath):
        return "{}/{}".format(self.label, self.prefix + relpath)

    def stream(self, relpath):
        self._member(relpath)
        return _MemberStream(self.zip_path, self.prefix + relpath)

    def damage(self, relpath):
        return None


class _MemberStream:
    """A zip member over the network, inflated as it is read (a context
    manager giving a file), through an archive handle of its own."""

    def __init__(self, zip_path, name):
        self.zip_path, self.name = zip_path, name
        self.handles = []

    def __enter__(self):
        handle = open_remote(self.zip_path)
        self.handles.append(handle)
        archive = zipfile.ZipFile(handle)
        self.handles.append(archive)
        member = archive.open(self.name)
        self.handles.append(member)
        return member

    def __exit__(self, *exc_info):
        for handle in reversed(self.handles):
            handle.close()


def open_zip(path):
    """(a zipfile.ZipFile over the remote zip ``path`` (GDAL's name), its
    names); ProductError naming the zip where it cannot be read."""
    try:
        handle = open_remote(path)
    except RemoteFileError as error:
        raise ProductError(problem("The zip " + shown(path), error))
    try:
        archive = zipfile.ZipFile(handle)
        return archive, archive.namelist()
    except ZIP_ERRORS as exc:
        handle.close()
        raise ProductError("The zip {} is not a readable zip ({}). {}".format(
            shown(path), shown(str(exc)), REDOWNLOAD))


def remote_folder(path):
    """(a RemoteFolderSource, the name of its root metadata file) for the
    remote ``path``: a .SAFE folder, or its root metadata file; ProductError
    where no product is there."""
    base = vsi_path(path).rstrip("/")
    name = posixpath.basename(base.split("?")[0])
    if name.lower().endswith(".xml"):
        source = RemoteFolderSource(posixpath.dirname(base))
        return source, name
    source = RemoteFolderSource(base)
    return source, None
