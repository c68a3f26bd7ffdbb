"""Outputs in an object store: ``s3://bucket/key``.

A run writes such an output as it writes any other, whole, in a local
file of its scratch folder, and uploads that file once complete, in one
PUT request. An object store makes the object of a PUT visible only when
its whole body has arrived, so the object at the key exists only once
complete: a failed, cancelled or killed run leaves none there, and an
object that was there stays as it was until the new one has fully
arrived.

The upload goes through GDAL's /vsis3/, so the credentials and the store
come from the standard places only: AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or a profile of
~/.aws/credentials and ~/.aws/config (AWS_PROFILE); AWS_S3_ENDPOINT,
AWS_VIRTUAL_HOSTING and AWS_HTTPS for an S3-compatible store;
AWS_NO_SIGN_REQUEST for a public bucket; AWS_REGION. Nothing of them is
ever put in a message: keys are named by their bucket and path alone.

Transient failures (HTTP 429 or 5xx, a connection reset or timed out)
are tried again, UPLOAD_ATTEMPTS times in all, after a delay that doubles
each time; GDAL also retries a 5xx itself where the user has not set its
GDAL_HTTP_MAX_RETRY. A refusal (403), a bucket that does not exist (404)
or a malformed request (400) is not retried: its message names the likely
cause.
"""

import hashlib
import os
import tempfile
import time

from ..errors import OutputError, first_line, without_secrets
from ..gdal.network import (RemoteFileError, http_status, open_remote,
                             remote_size)
from ..gdal.thread import osgeo_gdal

#: The URL scheme of an object store output.
S3_SCHEME = "s3://"
#: GDAL's virtual file system for it.
S3_PREFIX = "/vsis3/"
#: Uploads tried at most, the first included, on transient failures.
UPLOAD_ATTEMPTS = 4
#: Seconds before the second attempt; doubled before each one after.
FIRST_RETRY_DELAY = 0.5
#: The largest output uploaded, in bytes: GDAL sends in one PUT what fits
#: in one part of at most MAX_PART_MIB, holding it in memory until then
#: (Amazon S3 would take 5 GiB in one PUT).
MAX_PART_MIB = 1000
SINGLE_PUT_LIMIT = (MAX_PART_MIB - 1) * 2 ** 20
#: HTTP statuses worth another attempt.
TRANSIENT = (408, 429, 500, 502, 503, 504)
#: GDAL's own retries of one request (where the user set none), and the
#: delay before the first, in seconds (GDAL doubles it each time).
GDAL_RETRY_OPTIONS = {"GDAL_HTTP_MAX_RETRY": "3",
                      "GDAL_HTTP_RETRY_DELAY": "0.5"}
#: Where a user sets the store's address and credentials, for messages.
CREDENTIALS_HINT = (
    "Check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
    "the profile AWS_PROFILE names in ~/.aws/credentials) and, for a store "
    "other than Amazon's, AWS_S3_ENDPOINT")


def is_object_url(path):
    """Whether ``path`` names an object in a store: ``s3://bucket/key``
    (the scheme in any case)."""
    return isinstance(path, str) and path.strip().lower().startswith(
        S3_SCHEME)


def split_url(url):
    """(bucket, key) of ``s3://bucket/key``; OutputError where either is
    missing."""
    rest = url.strip()[len(S3_SCHEME):]
    bucket, _, key = rest.partition("/")
    if not bucket or not key or key.endswith("/"):
        raise OutputError(
            "'{}' names no object: give s3://BUCKET/PATH/NAME, the bucket "
            "and the object's full path in it.".format(shown(url)))
    return bucket, key


def vsi_path(url):
    """GDAL's name of the object ``url`` (/vsis3/bucket/key)."""
    bucket, key = split_url(url)
    return "{}{}/{}".format(S3_PREFIX, bucket, key)


def join(folder_url, name):
    """The object ``name`` in the "folder" ``folder_url``
    (``s3://bucket`` or ``s3://bucket/prefix``, a / at its end or not)."""
    return folder_url.rstrip("/") + "/" + name


def shown(url):
    """``url`` as it may appear in a message or a log: no user part, no
    query string."""
    return without_secrets(url)


def check_destination(url, name="output", extension=".tif"):
    """Raise OutputError if the object ``url`` cannot be an output: a
    malformed URL, a name that does not end in ``extension``, or a store
    that refuses the credentials or cannot be reached. One small request
    (the object's size), so that a run learns it before its work."""
    split_url(url)
    if not url.lower().endswith(extension):
        raise OutputError("The {} '{}' does not end in {}. Give an object "
                          "name ending in {}.".format(
                              name, shown(url), extension, extension))
    existing_size(url)


def existing_size(url):
    """The size in bytes of the object ``url``, or None where there is
    none; OutputError where the store cannot say (refused, unreachable).
    Asked of the store, not of what this process saw before: another
    process (a worker) may have written it since."""
    forget(url)
    try:
        return remote_size(vsi_path(url))
    except RemoteFileError as exc:
        raise upload_failed(url, exc.reason, exc.status)


def forget(url):
    """Drop what GDAL keeps in this process of the object ``url`` (its
    size, whether it exists, its bytes), so that the next look asks the
    store."""
    gdal = osgeo_gdal()
    if gdal is not None and hasattr(gdal, "VSICurlPartialClearCache"):
        gdal.VSICurlPartialClearCache(vsi_path(url))


def read_bytes(url, limit):
    """The first ``limit`` bytes of the object ``url`` (a small file: a
    curve), or None where there is none; OSError (network.RemoteFileError)
    where the store refuses it or stops answering."""
    path = vsi_path(url)
    forget(url)
    if remote_size(path) is None:
        return None
    with open_remote(path) as handle:
        return handle.read(limit)


def stand_in(url, scratch_dir=None):
    """The local path in ``scratch_dir`` (None: the system's temporary
    folder) whose partial files (see partials) hold the output ``url``
    until it is uploaded: named after the URL, so that the next run for
    the same object removes what a killed one left."""
    _, key = split_url(url)
    # A digest of the whole URL keeps names apart and within the file
    # system's 255 bytes, however deep the key.
    digest = hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]
    name = "s2eq-upload-{}-{}".format(digest, os.path.basename(key)[-80:])
    return os.path.join(scratch_dir or tempfile.gettempdir(), name)


def upload(local_path, url, log=None, sleep=time.sleep):
    """Put the complete local file ``local_path`` at the object ``url``,
    in one PUT, trying again after transient failures (see the module's
    help). Raises OutputError, with no new object at ``url``, when it
    cannot; ``log(message)`` hears of each retry."""
    log = log or (lambda message: None)
    size = os.path.getsize(local_path)
    if size > SINGLE_PUT_LIMIT:
        raise OutputError(
            "The output for '{}' is {:.0f} MiB, more than the {:.0f} MiB one "
            "upload takes; nothing was written there. Write it to a local "
            "file and copy it with the store's own tools.".format(
                shown(url), size / 2.0 ** 20, SINGLE_PUT_LIMIT / 2.0 ** 20))
    delay = FIRST_RETRY_DELAY
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        reason, status = _put(local_path, url, size)
        if reason is None:
            return
        if status is None:
            status = _diagnose(url)
        if not _transient(status) or attempt == UPLOAD_ATTEMPTS:
            raise upload_failed(url, reason, status, attempt)
        log("Uploading {} failed ({}); trying again in {:g} s".format(
            shown(url), reason, delay))
        sleep(delay)
        delay *= 2


def _diagnose(url):
    """The HTTP status that explains a failed upload to ``url`` (GDAL's
    message for a PUT names none): 403 where the store refuses the
    credentials, 404 where the bucket does not exist; None where neither
    (then the store could not be reached, or it failed: transient)."""
    bucket, _ = split_url(url)
    try:
        remote_size(vsi_path(url))
    except RemoteFileError as exc:
        if exc.status in (401, 403):
            return exc.status
    gdal = osgeo_gdal()
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        try:
            found = gdal.VSIStatL(S3_PREFIX + bucket)
        except RuntimeError:
            found = None
    finally:
        gdal.PopErrorHandler()
    return None if found is not None else 404


def _transient(status):
    """Whether a failure with HTTP ``status`` (None: no answer, a reset
    or timed-out connection) is worth another attempt."""
    return status is None or status in TRANSIENT


def _put(local_path, url, size):
    """One upload of ``local_path`` to ``url``: (None, None) once the
    store took it, else (GDAL's reason without secrets, HTTP status or
    None)."""
    gdal = osgeo_gdal()
    with open(local_path, "rb") as source:
        body = source.read()
    # One part holding the whole file: a single PUT when GDAL closes it.
    part_mib = str(min(MAX_PART_MIB, -(-size // 2 ** 20) + 1))
    options = dict(GDAL_RETRY_OPTIONS, VSIS3_CHUNK_SIZE=part_mib)
    saved = {}
    for key, value in options.items():
        if key == "VSIS3_CHUNK_SIZE" or not (
                key in os.environ or gdal.GetConfigOption(key)):
            saved[key] = gdal.GetThreadLocalConfigOption(key, None)
            gdal.SetThreadLocalConfigOption(key, value)
    gdal.ErrorReset()
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        try:
            handle = gdal.VSIFOpenL(vsi_path(url), "wb")
            if handle is None:
                return _failure(gdal, "the object cannot be created")
            written = gdal.VSIFWriteL(body, 1, size, handle) if size else 0
            del body
            if written != size:
                # GDAL holds the body until it is closed; a short write
                # stays in memory and is dropped with the handle below.
                return _failure(gdal, "GDAL took {} of {} bytes".format(
                    written, size))
            closing, handle = handle, None
            if gdal.VSIFCloseL(closing) != 0:
                return _failure(gdal, "the store did not take it")
        except RuntimeError as exc:          # GDAL's exceptions switched on
            return _from_text(str(exc))
        # A handle still open here did not take the whole body: it is not
        # closed, since GDAL would send what it holds on closing.
        return None, None
    finally:
        gdal.PopErrorHandler()
        for key, value in saved.items():
            gdal.SetThreadLocalConfigOption(key, value)


def _failure(gdal, fallback):
    return _from_text(gdal.GetLastErrorMsg() or fallback)


def _from_text(text):
    text = shown(first_line(text) if text else "no reason given")
    return text, http_status(text)


def upload_failed(url, reason, status=None, attempts=1):
    """The OutputError of an object ``url`` the store would not take
    (``reason``: GDAL's words; ``status``: the HTTP status, if any)."""
    bucket, _ = split_url(url)
    where = shown(url)
    if status in (401, 403):
        return OutputError(
            "The object store refused to write '{}' (HTTP {}): the "
            "credentials are wrong or lack the right to write to the "
            "bucket '{}'. {}. Nothing was written there.".format(
                where, status, bucket, CREDENTIALS_HINT))
    if status == 404:
        return OutputError(
            "The bucket '{}' of '{}' does not exist (HTTP 404). Create it, "
            "or check the bucket's name and AWS_S3_ENDPOINT. Nothing was "
            "written there.".format(bucket, where))
    tries = " after {} attempts".format(attempts) if attempts > 1 else ""
    return OutputError(
        "Uploading '{}' failed{} ({}). Check that the store is reachable "
        "(AWS_S3_ENDPOINT, AWS_HTTPS, the network); nothing was written "
        "there.".format(where, tries, reason))
