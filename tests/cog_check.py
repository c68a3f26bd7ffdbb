"""Checks of Cloud Optimized GeoTIFFs for the tests (a helper, not tests).

``cog_report``/``cog_errors``: GDAL's own validator on a file. ``served``:
a local HTTP server with Range requests that counts what it sends.
``read_parts``/``read_remote``: what a viewer reads first (the smallest
overview with its mask, one full-resolution block with its mask), from a
file or through GDAL's /vsicurl/, so a test can compare the two and see how
much of the file a remote reader fetched.
"""

import contextlib
import http.server
import os
import re
import socket
import threading
import urllib.parse
from collections import namedtuple

import numpy as np
from osgeo import gdal
from osgeo_utils.samples import validate_cloud_optimized_geotiff

#: What GDAL's validator says of a file: lists of warning and error
#: messages, and the offsets of its IFDs and first blocks.
CogReport = namedtuple("CogReport", "warnings errors details")

#: What read_parts reads. ``overview``: (bands, rows, cols) of the smallest
#: overview, ``overview_mask`` its mask (0 no data, 255 data), both None
#: without overviews; ``block``, ``block_mask``: the same of one block of
#: the full resolution, at ``window`` (xoff, yoff, cols, rows).
Parts = namedtuple("Parts", "overview overview_mask block block_mask window")

#: GDAL settings of a remote read: no listing of the server's folder and no
#: probe for side-car files (.aux.xml, .msk, .ovr), no cache of whole
#: files on top of /vsicurl/'s own, which VSICurlClearCache empties.
REMOTE_OPTIONS = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
                  "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif",
                  "VSI_CACHE": "FALSE",
                  "GDAL_PAM_ENABLED": "NO",
                  "GDAL_HTTP_TIMEOUT": "30"}


def cog_report(path):
    """GDAL's validator on ``path``, with the full check of block leaders,
    trailers and of masks interleaved with the imagery."""
    return CogReport(*validate_cloud_optimized_geotiff.validate(
        str(path), full_check=True))


def cog_errors(path):
    """The errors GDAL's validator finds in ``path`` ([] for a valid
    Cloud Optimized GeoTIFF); cog_report(path).warnings has its warnings."""
    return cog_report(path).errors


# -- A local HTTP server with Range requests ---------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header, size):
    """The (first, last) bytes a Range ``header`` asks of ``size`` bytes;
    None to send the whole file (no header, or one this server ignores, as
    RFC 9110 lets it: several ranges, bad syntax); "unsatisfiable" for a
    range wholly past the end."""
    if not header:
        return None
    found = _RANGE.match(header.strip())
    if not found or found.groups() == ("", ""):
        return None
    first, last = found.groups()
    if first == "":                      # bytes=-N: the last N bytes
        if int(last) == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - int(last)), size - 1
    first = int(first)
    last = size - 1 if last == "" else min(int(last), size - 1)
    if first >= size:
        return "unsatisfiable"
    if last < first:
        return None
    return first, last


Request = namedtuple("Request", "method name range status sent")


class Served:
    """A running server(): ``url(name)``, and what it was asked and sent:
    ``requests`` (count), ``bytes_sent`` (body bytes), ``log`` (a Request
    each). ``reset()`` zeroes them."""

    def __init__(self, folder):
        self.folder = os.path.abspath(str(folder))
        self.port = None
        self.log = []
        self._lock = threading.Lock()
        self._connections = set()

    def url(self, name):
        return "http://127.0.0.1:{}/{}".format(self.port,
                                              urllib.parse.quote(name))

    @property
    def requests(self):
        with self._lock:
            return len(self.log)

    @property
    def bytes_sent(self):
        with self._lock:
            return sum(r.sent for r in self.log)

    def reset(self):
        with self._lock:
            del self.log[:]

    def file(self, request_path):
        """The served file a request path names, or None: only files right
        in the folder."""
        name = urllib.parse.unquote(urllib.parse.urlsplit(request_path).path)
        name = name.lstrip("/")
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            return None
        path = os.path.join(self.folder, name)
        return path if os.path.isfile(path) else None

    def record(self, request):
        with self._lock:
            self.log.append(request)


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """GET and HEAD of the served folder's files, with single byte ranges
    (206 and Content-Range), keep-alive, no logging."""

    protocol_version = "HTTP/1.1"
    timeout = 30                         # seconds a silent connection lives

    def setup(self):
        super().setup()
        self.server.served._connections.add(self.connection)

    def finish(self):
        self.server.served._connections.discard(self.connection)
        super().finish()

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)

    def _answer(self, body):
        served = self.server.served
        path = served.file(self.path)
        asked = self.headers.get("Range")
        if path is None:
            return self._empty(404, served, asked)
        size = os.path.getsize(path)
        span = byte_range(asked, size)
        if span == "unsatisfiable":
            return self._empty(416, served, asked,
                               {"Content-Range": "bytes */{}".format(size)})
        first, last = span or (0, size - 1)
        length = last - first + 1
        self.send_response(206 if span else 200)
        self.send_header("Content-Type", "image/tiff")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        if span:
            self.send_header("Content-Range", "bytes {}-{}/{}".format(
                first, last, size))
        self.end_headers()
        data = b""
        if body and length > 0:
            with open(path, "rb") as f:
                f.seek(first)
                data = f.read(length)
        # Counted before it is written, so a reader that has it back has
        # it counted.
        served.record(Request(self.command, os.path.basename(path), asked,
                              206 if span else 200, len(data)))
        if data:
            self.wfile.write(data)

    def _empty(self, status, served, asked, headers=()):
        served.record(Request(self.command, self.path, asked, status, 0))
        self.send_response(status)
        for key, value in dict(headers).items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def served(folder):
    """Serve the files of ``folder`` over HTTP on 127.0.0.1 (a free port),
    a thread per connection; yields a Served. On leaving, /vsicurl/'s
    cache and connections are dropped, the open connections closed and
    every server thread joined."""
    state = Served(folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    server.daemon_threads = False        # so server_close joins them
    server.block_on_close = True
    server.served = state
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.05},
                              name="cog_check.served", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        gdal.VSICurlClearCache()
        server.shutdown()
        for connection in list(state._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        thread.join()


# -- Reads --------------------------------------------------------------------

@contextlib.contextmanager
def config_options(options):
    """GDAL configuration ``options`` for this thread only, restored on
    leaving (gdal.config_options from GDAL 3.7 on, by hand before)."""
    if hasattr(gdal, "config_options"):
        with gdal.config_options(options, thread_local=True):
            yield
        return
    was = {key: gdal.GetThreadLocalConfigOption(key, None)
           for key in options}
    try:
        for key, value in options.items():
            gdal.SetThreadLocalConfigOption(key, value)
        yield
    finally:
        for key, value in was.items():
            gdal.SetThreadLocalConfigOption(key, value)


def block_pieces(path, block=(0, 0)):
    """The (offset, byte count) of every TIFF block read_parts(path, block)
    decodes: all blocks of the smallest overview and the full-resolution
    block ``block``, of every band and of the mask, each piece once."""
    dataset = _open(path)
    try:
        bands = [dataset.GetRasterBand(i + 1)
                 for i in range(dataset.RasterCount)]
        first = bands[0]
        wanted = [(bands, [tuple(block)])]
        count = first.GetOverviewCount()
        if count:
            smallest = [band.GetOverview(count - 1) for band in bands]
            cols, rows = smallest[0].GetBlockSize()
            wanted.append((smallest, [
                (x, y) for y in range(-(-smallest[0].YSize // rows))
                for x in range(-(-smallest[0].XSize // cols))]))
        pieces = set()
        for level, blocks in wanted:
            for band in level + [level[0].GetMaskBand()]:
                for x, y in blocks:
                    offset = band.GetMetadataItem(
                        "BLOCK_OFFSET_{}_{}".format(x, y), "TIFF")
                    size = band.GetMetadataItem(
                        "BLOCK_SIZE_{}_{}".format(x, y), "TIFF")
                    if offset and size and int(size):
                        pieces.add((int(offset), int(size)))
        return sorted(pieces)
    finally:
        dataset = None


def _open(path):
    dataset = gdal.Open(str(path))
    if dataset is None:                  # without gdal.UseExceptions()
        raise RuntimeError("GDAL cannot open {}: {}".format(
            path, gdal.GetLastErrorMsg()))
    return dataset


def read_parts(path, block=(0, 0)):
    """The Parts of the GeoTIFF at ``path`` (any GDAL path): the smallest
    overview of every band and its mask, and the full-resolution block
    ``block`` = (column, row) of the block grid with its mask."""
    dataset = _open(path)
    try:
        bands = [dataset.GetRasterBand(i + 1)
                 for i in range(dataset.RasterCount)]
        first = bands[0]
        overview = overview_mask = None
        count = first.GetOverviewCount()
        if count:
            smallest = [band.GetOverview(count - 1) for band in bands]
            overview = np.stack([band.ReadAsArray() for band in smallest])
            overview_mask = smallest[0].GetMaskBand().ReadAsArray()
        cols, rows = first.GetBlockSize()
        xoff, yoff = block[0] * cols, block[1] * rows
        if not (0 <= xoff < dataset.RasterXSize
                and 0 <= yoff < dataset.RasterYSize):
            raise ValueError("block {} is outside the {} x {} image".format(
                block, dataset.RasterXSize, dataset.RasterYSize))
        window = (xoff, yoff, min(cols, dataset.RasterXSize - xoff),
                  min(rows, dataset.RasterYSize - yoff))
        pixels = np.stack([band.ReadAsArray(*window) for band in bands])
        mask = first.GetMaskBand().ReadAsArray(*window)
        return Parts(overview, overview_mask, pixels, mask, window)
    finally:
        dataset = None


def read_remote(url, block=(0, 0), options=None):
    """read_parts of ``url`` through /vsicurl/, with REMOTE_OPTIONS (and
    ``options`` on top) set for this thread; /vsicurl/'s cache is emptied
    first, so a server's counts are those of this read alone."""
    gdal.VSICurlClearCache()
    with config_options(dict(REMOTE_OPTIONS, **(options or {}))):
        return read_parts("/vsicurl/" + url, block)
