"""A local HTTP server with Range requests that counts what it sends, for
the tests' remote reads (a helper, not tests): ``served(folder)`` serves
the folder's files on 127.0.0.1 while a test reads them through GDAL's
/vsicurl/ (cog_check.read_remote), and says how much of a file was read.
"""

import contextlib
import http.server
import os
import re
import socket
import threading
import urllib.parse
from collections import namedtuple

from osgeo import gdal

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
    # Headers and body leave in separate writes: without TCP_NODELAY the
    # body waits for the client's delayed acknowledgement (about 40 ms a
    # request on Linux), as no production server makes a client wait.
    disable_nagle_algorithm = True
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
    # Named for the COG checks it serves: test_cog looks for threads of
    # that name left behind.
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
