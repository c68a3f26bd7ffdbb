"""Files over the network, as GDAL reads them: which paths are remote,
their names in GDAL's virtual file systems, the options a run reads them
with (retries, no folder listings) and the bytes it fetched.

Accepted remote paths: ``http://`` and ``https://`` URLs (read through
/vsicurl/ with range requests) and ``s3://bucket/key`` (/vsis3/, with the
credentials from the standard places: AWS environment variables or
profile, AWS_S3_ENDPOINT for an S3-compatible store, AWS_NO_SIGN_REQUEST
for a public bucket). GDAL's own names (/vsicurl/..., /vsis3/...) are
taken as they are. Names shown to a user go through
``errors.without_secrets``: no user part, no query string.
"""

import io
import json
import os
import re

from ..errors import as_users_know
from .env import _Counted
from .thread import osgeo_gdal

#: URL schemes read through /vsicurl/.
HTTP_SCHEMES = ("http://", "https://")
#: Object store schemes -> GDAL's virtual file system for them.
BUCKET_SCHEMES = {"s3://": "/vsis3/"}
#: GDAL's names of remote files, taken as they are.
GDAL_REMOTE_PREFIXES = ("/vsicurl/", "/vsicurl_streaming/", "/vsis3/",
                        "/vsis3_streaming/", "/vsigs/", "/vsiaz/",
                        "/vsiadls/", "/vsioss/", "/vsiswift/")

#: GDAL's options while a run reads remote files, each set only where the
#: user (environment or GDAL's own settings) has not set it:
#: * retries of transient failures (HTTP 429, 500, 502, 503, 504, a reset
#:   or timed-out connection), four at most, the first after half a
#:   second, GDAL doubling the delay each time;
#: * network statistics on, for the bytes a run reports.
RUN_OPTIONS = {
    "GDAL_HTTP_MAX_RETRY": "4",
    "GDAL_HTTP_RETRY_DELAY": "0.5",
    "CPL_VSIL_NETWORK_STATS_ENABLED": "YES",
}
#: GDAL's options while it opens a remote file, in that thread only: no
#: listing of the file's folder (GDAL looks for side files such as
#: .aux.xml and .ovr there): an HTTP server may not list, and a listing
#: of a bucket costs requests.
OPEN_OPTIONS = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}
#: Bytes in a megabyte, as the log counts them.
MEGABYTE = 1000 * 1000


def is_remote(path):
    """Whether ``path`` (a str) names a file over the network: an
    http(s):// or s3:// URL, or GDAL's /vsicurl/, /vsis3/ ... name of
    one (a zip over the network included: /vsizip//vsicurl/...)."""
    text = str(path).strip()
    lowered = text.lower()
    if lowered.startswith("/vsizip/"):
        lowered = lowered[len("/vsizip/"):]
    return (lowered.startswith(HTTP_SCHEMES)
            or any(lowered.startswith(s) for s in BUCKET_SCHEMES)
            or lowered.startswith(GDAL_REMOTE_PREFIXES))


def vsi_path(path):
    """GDAL's name for ``path``: ``https://host/p`` -> ``/vsicurl/https://
    host/p``, ``s3://bucket/key`` -> ``/vsis3/bucket/key``; any other path
    (local, or already GDAL's) as it is. A signed URL keeps its query
    string here: GDAL needs it; only what is shown drops it."""
    text = str(path).strip()
    lowered = text.lower()
    if lowered.startswith(HTTP_SCHEMES):
        return "/vsicurl/" + text
    for scheme, prefix in BUCKET_SCHEMES.items():
        if lowered.startswith(scheme):
            return prefix + text[len(scheme):]
    return text


def open_options(path):
    """GDAL options (a dict, for rasterio.Env) to open ``path`` with:
    OPEN_OPTIONS for a remote file, none for a local one."""
    return dict(OPEN_OPTIONS) if is_remote(path) else {}


def shown(path):
    """``path`` (a URL or GDAL's name of a file) as a user knows it and as
    it may be recorded: the URL, without its user part and query
    string."""
    return as_users_know(path)


def join(base, relative):
    """The remote path of ``relative`` (a path with / separators, inside
    the product) under the folder ``base`` (GDAL's name, /vsicurl/ or
    /vsis3/ ...). A URL with a query string (a signed one) keeps its
    query after the joined path."""
    head, query = _split_query(base)
    return "{}/{}{}".format(head.rstrip("/"), relative.lstrip("/"), query)


def _split_query(path):
    """(``path`` without its query string, the query string with its ?)
    for a /vsicurl/ URL; (path, "") for anything else."""
    if path.startswith("/vsicurl/") and "?" in path:
        head, _, query = path.partition("?")
        return head, "?" + query
    return path, ""


def network_bytes():
    """Bytes GDAL has downloaded over the network in this process since
    its statistics were switched on (see RemoteReading); 0 where GDAL
    cannot say (no osgeo bindings, a GDAL older than 3.2)."""
    gdal = osgeo_gdal()
    if gdal is None or not hasattr(gdal, "NetworkStatsGetAsSerializedJSON"):
        return 0
    text = gdal.NetworkStatsGetAsSerializedJSON()
    if not text:
        return 0
    try:
        stats = json.loads(text)
    except ValueError:
        return 0
    methods = stats.get("methods", {}) if isinstance(stats, dict) else {}
    return sum(int(counts.get("downloaded_bytes", 0))
               for counts in methods.values() if isinstance(counts, dict))


def describe_bytes(count):
    """``count`` bytes as the log says them: "12.3 MB", or "12 kB" below a
    tenth of a megabyte (a header or two)."""
    if count < MEGABYTE / 10:
        return "{:.0f} kB".format(count / 1000.0)
    return "{:.1f} MB".format(count / MEGABYTE)


class _RemoteOptions(_Counted):
    """Sets RUN_OPTIONS (those the user has not set) while any remote read
    is on, and puts back what it found when the last one ends."""

    _holders = 0
    _saved = None

    def lower(self):
        gdal = osgeo_gdal()
        if gdal is None:
            return None
        saved = {}
        for key, value in RUN_OPTIONS.items():
            if key in os.environ or gdal.GetConfigOption(key) is not None:
                continue
            saved[key] = None
            gdal.SetConfigOption(key, value)
        if "CPL_VSIL_NETWORK_STATS_ENABLED" in saved:
            # GDAL reads the switch when its statistics are reset.
            gdal.NetworkStatsReset()
        return saved or None

    def restore(self, saved):
        gdal = osgeo_gdal()
        for key, value in saved.items():
            gdal.SetConfigOption(key, value)


class RemoteReading:
    """While a run reads remote files (use in a with block): GDAL's
    retries (RUN_OPTIONS), and, at the end,
    ``Read 12.3 MB over the network`` in ``log`` where the run fetched
    anything. The count is the process's: runs at the same time in one
    process count each other's bytes."""

    def __init__(self, log=None):
        self.log = log or (lambda message: None)
        self.options = _RemoteOptions()
        self.start = 0
        self.fetched = 0

    def __enter__(self):
        self.options.__enter__()
        self.start = network_bytes()
        return self

    def __exit__(self, kind, error, traceback):
        self.fetched = max(network_bytes() - self.start, 0)
        self.options.__exit__(kind, error, traceback)
        if self.fetched and kind is None:
            self.log("Read {} over the network.".format(
                describe_bytes(self.fetched)))


#: How GDAL words an HTTP status in its messages.
HTTP_STATUS = re.compile(r"HTTP (?:response )?code(?: on \S+)?:\s*(\d{3})\b",
                         re.I)


class RemoteFileError(OSError):
    """A remote file GDAL could not give: ``status`` is the HTTP status
    where GDAL said it (404, 403 ...), else None; ``reason`` GDAL's own
    words, without secrets."""

    def __init__(self, path, reason, status=None):
        super().__init__(reason)
        self.path, self.reason, self.status = path, reason, status


def _last_error(gdal):
    """GDAL's last error message in this thread, without secrets."""
    text = ""
    if hasattr(gdal, "VSIGetLastErrorMsg"):
        text = gdal.VSIGetLastErrorMsg() or ""
    text = text or gdal.GetLastErrorMsg() or ""
    return shown(text.strip())


def http_status(text):
    """The HTTP status (an int) GDAL names in ``text``, or None."""
    found = HTTP_STATUS.search(str(text))
    return int(found.group(1)) if found else None


def _quietly(gdal, call, *args):
    """``call(*args)`` with GDAL's errors kept from its handler (and so from
    QGIS's log and rasterio's logger); (result, GDAL's message)."""
    if hasattr(gdal, "VSIErrorReset"):
        gdal.VSIErrorReset()
    gdal.ErrorReset()
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        try:
            result = call(*args)
        except RuntimeError as exc:      # GDAL's exceptions switched on
            return None, shown(str(exc))
        return result, _last_error(gdal)
    finally:
        gdal.PopErrorHandler()


def remote_size(path):
    """The size in bytes of the remote file ``path`` (GDAL's name), or
    None where it does not exist (or is a folder); RemoteFileError where
    the server says something else than "not found" (access denied, a
    server error after GDAL's retries, no server at all)."""
    gdal = osgeo_gdal()
    # VSI_STAT_SET_ERROR_FLAG: the HTTP status of a refused stat reaches
    # VSIGetLastErrorMsg (GDAL 3.10 leaves the error message empty
    # without it, and a 403 would look like a 404).
    flags = (gdal.VSI_STAT_EXISTS_FLAG | gdal.VSI_STAT_SIZE_FLAG
             | getattr(gdal, "VSI_STAT_SET_ERROR_FLAG", 0))
    info, message = _quietly(gdal, gdal.VSIStatL, path, flags)
    if info is not None:
        return None if info.IsDirectory() else info.size
    status = http_status(message)
    if status in (404, 410) or not message:    # GDAL says nothing for 404
        return None
    raise RemoteFileError(path, message, status)


def remote_listing(path):
    """The names in the remote folder ``path`` (GDAL's name), or [] where
    it cannot be listed (an HTTP server that does not list)."""
    gdal = osgeo_gdal()
    names, _ = _quietly(gdal, gdal.ReadDir, path)
    return sorted(n for n in (names or []) if n not in (".", ".."))


def open_remote(path):
    """The remote file ``path`` (GDAL's name) open for reading bytes, as a
    buffered, seekable Python file (use in a with block; zipfile and
    hashlib read it as they would a local file); RemoteFileError where
    it cannot be opened."""
    gdal = osgeo_gdal()
    # GDAL may open a missing file and fail at the first read: asked
    # first, a missing file is told apart (its status) from a cut one.
    if remote_size(path) is None:
        raise RemoteFileError(path, "not found", 404)
    handle, message = _quietly(gdal, gdal.VSIFOpenL, path, "rb")
    if handle is None:
        raise RemoteFileError(path, message or "it cannot be opened",
                              http_status(message))
    return io.BufferedReader(_RemoteRaw(gdal, path, handle),
                             buffer_size=REMOTE_BUFFER_BYTES)


#: Bytes Python buffers of a remote file: small, so that a check that
#: reads a few bytes here and there (a TIFF's directories) fetches little;
#: larger reads (a hash's) go to GDAL whole, which joins its own chunks
#: into larger requests as a read goes on.
REMOTE_BUFFER_BYTES = 16 << 10


class _RemoteRaw(io.RawIOBase):
    """A file GDAL opened (VSIFOpenL) as Python's raw, seekable file."""

    def __init__(self, gdal, path, handle):
        super().__init__()
        self.gdal, self.path, self.handle = gdal, path, handle
        self.size = None

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buffer):
        view = memoryview(buffer).cast("B")
        data = self.gdal.VSIFReadL(1, len(view), self.handle)
        if data is None:
            data = b""
        if not data and len(view) and self.tell() < self._size():
            raise RemoteFileError(
                self.path, "the server stopped answering at byte {} of {} ({})"
                .format(self.tell(), self._size(), _last_error(self.gdal)
                        or "no reason given"), None)
        view[:len(data)] = data
        return len(data)

    def _size(self):
        if self.size is None:
            here = self.gdal.VSIFTellL(self.handle)
            self.gdal.VSIFSeekL(self.handle, 0, os.SEEK_END)
            self.size = self.gdal.VSIFTellL(self.handle)
            self.gdal.VSIFSeekL(self.handle, here, os.SEEK_SET)
        return self.size

    def seek(self, offset, whence=os.SEEK_SET):
        if whence == os.SEEK_END:
            offset, whence = self._size() + offset, os.SEEK_SET
        elif whence == os.SEEK_CUR:
            offset, whence = self.tell() + offset, os.SEEK_SET
        self.gdal.VSIFSeekL(self.handle, max(offset, 0), os.SEEK_SET)
        return self.tell()

    def tell(self):
        return self.gdal.VSIFTellL(self.handle)

    def close(self):
        if not self.closed and self.handle is not None:
            self.gdal.VSIFCloseL(self.handle)
            self.handle = None
        super().close()
