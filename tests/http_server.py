"""A local HTTP server for the remote-input tests (a helper, not tests):
``serving(folder)`` serves a folder tree on 127.0.0.1 with single byte
ranges, counts the body bytes it sends per file, and misbehaves on
request, as servers on the Internet do:

* ``fail(name_part, status, times)``: answer ``status`` (503, 404, 403)
  to requests for files whose path contains ``name_part``, ``times``
  times (None: always);
* ``reset(name_part, times)``: close the connection without an answer;
* ``truncate(name_part, keep)``: serve the file as if it had only its
  first ``keep`` bytes (a cut upload);
* ``require_query(key)``: answer 403 to a request without ``?key=`` in its
  URL (a signed URL's token).

Folders are not listed (403), as on many servers.

The server runs in a process of its own (``python3 http_server.py
FOLDER``): rasterio holds Python's lock while GDAL waits for an answer,
so a server thread in the reading process would never get to answer.
The test's ``Server`` drives it through ``/_control/`` requests.

Standard library only; nothing leaves 127.0.0.1.
"""

import contextlib
import http.server
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections import namedtuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from range_server import byte_range  # noqa: E402

Served = namedtuple("Served", "method path range status sent")
#: Where the test drives the server; never counted as served.
CONTROL = "/_control/"


class State:
    """What the server process was asked and sent, and its faults."""

    def __init__(self, folder):
        self.folder = os.path.realpath(str(folder))
        self.log = []
        self.faults = []                 # [[part, kind, value, times]]
        self.query_key = None
        self.lock = threading.Lock()

    def fault_for(self, path, kind):
        """The value of the first fault of ``kind`` for ``path`` still
        due (counting it down), else False."""
        with self.lock:
            for fault in self.faults:
                part, fault_kind, value, times = fault
                if fault_kind != kind or part not in path:
                    continue
                if times is not None:
                    if times <= 0:
                        continue
                    fault[3] = times - 1
                return True if value is None else value
        return False

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def local(self, path):
        """The served file or folder a request path names (inside the
        folder, links followed), or None."""
        relative = urllib.parse.unquote(path).lstrip("/")
        local = os.path.realpath(os.path.join(self.folder, relative))
        if os.path.commonpath([local, self.folder]) != self.folder:
            return None
        return local if os.path.exists(local) else None

    def control(self, command, argument):
        """Answer a /_control/ request: the log, or a change of faults."""
        with self.lock:
            if command == "log":
                return [list(entry) for entry in self.log]
            if command == "reset_log":
                del self.log[:]
            elif command == "fault":
                self.faults.append([argument["part"], argument["kind"],
                                    argument.get("value"),
                                    argument.get("times")])
            elif command == "clear":
                del self.faults[:]
                self.query_key = None
            elif command == "require_query":
                self.query_key = argument["key"]
        return "ok"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: without TCP_NODELAY the
    # body waits for the client's delayed acknowledgement (about 40 ms a
    # request on Linux), as no production server makes a client wait.
    disable_nagle_algorithm = True
    timeout = 30

    def finish(self):
        with contextlib.suppress(OSError):        # a connection reset here
            super().finish()

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)

    def do_POST(self):
        self._answer(body=True)

    def _control(self, path):
        length = int(self.headers.get("Content-Length") or 0)
        argument = json.loads(self.rfile.read(length) or b"null")
        answer = json.dumps(self.server.state.control(
            path[len(CONTROL):], argument)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _answer(self, body):
        state = self.server.state
        split = urllib.parse.urlsplit(self.path)
        path, query = split.path, urllib.parse.parse_qs(split.query)
        if path.startswith(CONTROL):
            return self._control(path)
        asked = self.headers.get("Range")
        if state.fault_for(path, "reset"):
            state.record(Served(self.command, path, asked, "reset", 0))
            self.close_connection = True
            # Closed with a zero linger, the socket sends a TCP reset
            # ("Connection reset by peer"), not an orderly end.
            with contextlib.suppress(OSError):
                self.connection.setsockopt(socket.SOL_SOCKET,
                                           socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            return
        status = state.fault_for(path, "status")
        if status:
            return self._empty(status, path, asked)
        local = state.local(path)
        if local is None:
            return self._empty(404, path, asked)
        if os.path.isdir(local):            # no folder listings
            return self._empty(403, path, asked)
        if state.query_key and state.query_key not in query:
            return self._empty(403, path, asked)
        size = os.path.getsize(local)
        keep = state.fault_for(path, "truncate")
        if keep is not False:
            size = min(size, keep)
        span = byte_range(asked, size)
        if span == "unsatisfiable":
            return self._empty(416, path, asked,
                               {"Content-Range": "bytes */{}".format(size)})
        first, last = span or (0, size - 1)
        length = max(last - first + 1, 0)
        self.send_response(206 if span else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        if span:
            self.send_header("Content-Range", "bytes {}-{}/{}".format(
                first, last, size))
        self.end_headers()
        data = b""
        if body and length:
            with open(local, "rb") as handle:
                handle.seek(first)
                data = handle.read(length)
        state.record(Served(self.command, path, asked, 206 if span else 200,
                            len(data)))
        if data:
            self.wfile.write(data)

    def _empty(self, status, path, asked, headers=()):
        self.server.state.record(Served(self.command, path, asked, status, 0))
        self.send_response(status)
        for key, value in dict(headers).items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server:
    """The test's handle on a running server process (see serving):
    ``url(relpath)``, what it sent (``log``, ``bytes_sent(part)``,
    ``requests(part)``) and its faults (see the module's help)."""

    def __init__(self, folder, port):
        self.folder = os.path.realpath(str(folder))
        self.port = port

    def url(self, relpath=""):
        return "http://127.0.0.1:{}/{}".format(
            self.port, urllib.parse.quote(str(relpath).replace(os.sep, "/")))

    def _control(self, command, argument=None):
        request = urllib.request.Request(
            self.url() + CONTROL.lstrip("/") + command,
            data=json.dumps(argument).encode(), method="POST")
        # No proxy: the server is on this machine.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as answer:
            return json.loads(answer.read())

    @property
    def log(self):
        return [Served(*entry) for entry in self._control("log")]

    def bytes_sent(self, part=""):
        """Body bytes sent for files whose path contains ``part``."""
        return sum(r.sent for r in self.log if part in r.path)

    def requests(self, part=""):
        return [r for r in self.log if part in r.path]

    def reset_log(self):
        """Forget what was sent, and drop GDAL's /vsicurl/ cache in this
        process, so that what is read next is fetched and counted."""
        from osgeo import gdal
        gdal.VSICurlClearCache()
        self._control("reset_log")

    def fail(self, part, status, times=None):
        self._fault(part, "status", status, times)

    def reset(self, part, times=None):
        self._fault(part, "reset", None, times)

    def truncate(self, part, keep):
        self._fault(part, "truncate", int(keep), None)

    def require_query(self, key):
        self._control("require_query", {"key": key})

    def clear_faults(self):
        self._control("clear")

    def _fault(self, part, kind, value, times):
        self._control("fault", {"part": part, "kind": kind, "value": value,
                                "times": times})


@contextlib.contextmanager
def serving(folder):
    """Serve ``folder``'s tree over HTTP on 127.0.0.1 (a free port), from a
    process of its own; yields a Server. On leaving, GDAL's /vsicurl/
    cache is dropped and the process ended and waited for."""
    from osgeo import gdal

    process = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), str(folder)],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        port = int(process.stdout.readline())
        gdal.VSICurlClearCache()
        yield Server(folder, port)
    finally:
        gdal.VSICurlClearCache()
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def main(folder):
    state = State(folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.state = state
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main(sys.argv[1])
