"""Errors the core raises.

Every message names the problem and what the user can do about it, so the
Processing algorithm can show it as it is.
"""

import re

#: GDAL's name for a file inside a zip, /vsizip/ then the zip's path:
#: users know the zip's path alone.
GDAL_ZIP_PREFIX = re.compile(r"/vsizip/(?=/|[A-Za-z]:)")
#: The same, for a zip GDAL reads over the network: /vsizip/ then
#: /vsicurl/ or /vsis3/.
GDAL_REMOTE_ZIP_PREFIX = re.compile(r"/vsizip/(?=/vsi)")


#: GDAL's names of remote files: /vsicurl/ before a URL, /vsis3/ (and
#: its cousins) before a bucket and key.
GDAL_CURL_PREFIX = re.compile(
    r"/vsicurl(?:_streaming)?/(?=[A-Za-z][\w+.-]*://)")
GDAL_BUCKET_PREFIX = re.compile(r"/vsi(s3|gs|az|oss|swift)(?:_streaming)?/")
#: A URL in running text: its scheme, an optional user part (anything up
#: to an @ before the first /), its host and path, then an optional query
#: string or fragment. Quotes, brackets and white space end it.
URL_IN_TEXT = re.compile(
    r"(?P<scheme>\b[A-Za-z][\w+.-]*://)(?P<user>[^/@\s'\"<>()\[\]]*@)?"
    r"(?P<rest>[^?#\s'\"<>()\[\]]*)(?P<query>[?#][^\s'\"<>()\[\]]*)?")


def without_secrets(text):
    """``text`` with every URL in it cut to its scheme, host and path: its
    user part (``user:password@``) and its query string (a signed URL's
    token, ``?sig=...``) are dropped, whatever else the text says. The
    one way a URL is recorded anywhere: tags, logs, messages, curve
    files."""
    def clean(found):
        return found.group("scheme") + found.group("rest")
    return URL_IN_TEXT.sub(clean, str(text))


def as_users_know(text):
    """``text`` with GDAL's names of files as users know them: for a file
    in a zip, the zip's path, then the file's inside it; for a remote
    file, its URL (``s3://bucket/key`` for /vsis3/), without secrets."""
    text = GDAL_ZIP_PREFIX.sub("", str(text))
    text = GDAL_REMOTE_ZIP_PREFIX.sub("", text)
    text = GDAL_CURL_PREFIX.sub("", text)
    text = GDAL_BUCKET_PREFIX.sub(lambda m: m.group(1) + "://", text)
    return without_secrets(text)


class EqualizerError(Exception):
    """Base class of every error the core raises on purpose. Its message
    names files as users know them (as_users_know), wherever it was put
    together."""

    def __init__(self, message="", *args):
        super().__init__(as_users_know(message), *args)


class ProductError(EqualizerError):
    """The input is not a readable Sentinel-2 product of a supported kind."""


class BandError(EqualizerError):
    """A band was asked for that the product lacks, or its file is unusable."""


class ChecksumError(BandError):
    """A band file differs from the checksum its product's manifest lists:
    it was damaged on the way (download, copy, storage)."""


class UnverifiedError(ChecksumError):
    """The band files cannot be checked although the product has a
    manifest: it cannot be read, or it lists a checksum of a kind that
    cannot be computed. The check fails closed: switching it off is the
    user's choice, which a caller names in its own words (a parameter, a
    flag) through ``worded``."""

    #: The setting that runs without the check.
    setting = "verify"

    def __init__(self, problem):
        self.problem = problem
        super().__init__(self.worded("turn verification off"))

    def __reduce__(self):               # made again from its problem
        return type(self), (self.problem,)

    def worded(self, how_to_skip):
        """The message, with ``how_to_skip`` ("turn verification off")
        as the way to go on unchecked."""
        return as_users_know(
            "{} Download the product again, or {} to run without the "
            "check.".format(self.problem, how_to_skip))


class DecodeError(BandError):
    """GDAL could not open or decode a band file that looked whole."""


class DataError(EqualizerError):
    """The pixel values cannot be equalized (for example, all no-data)."""


class OutputError(EqualizerError):
    """The output file cannot be written where it was asked for."""


class ScratchError(OutputError):
    """The scratch folder (where a run keeps its temporary band files)
    cannot take them: it is missing, not a folder, not writable, or full.
    Nothing was written at the output. A caller names the folder's
    setting in its own words through ``worded``."""

    #: The setting that chooses the folder.
    setting = "scratch folder"

    def __init__(self, problem, full=False):
        self.problem, self.full = problem, full
        super().__init__(self.worded("choose another scratch folder"))

    def __reduce__(self):               # made again from its problem
        return type(self), (self.problem, self.full)

    def worded(self, how_to_choose):
        """The message, with ``how_to_choose`` ("choose another scratch
        folder") as the way out (after freeing space, for a full one)."""
        if self.full:
            return as_users_know("{} Free space there, or {}.".format(
                self.problem, how_to_choose))
        return as_users_know("{} {}{}.".format(
            self.problem, how_to_choose[:1].upper(), how_to_choose[1:]))


class Cancelled(EqualizerError):
    """The caller asked to stop; nothing was written at the output path."""

    def __init__(self, message="Cancelled: no output was written."):
        super().__init__(message)


def first_line(exc):
    """The first line of an exception's message (GDAL's can run long),
    with files named as users know them (as_users_know)."""
    text = as_users_know(str(exc).strip())
    return text.splitlines()[0] if text else "no reason given"


class CurveError(EqualizerError):
    """A curve file is missing, unreadable, or does not fit the run."""


class SettingError(EqualizerError):
    """A setting of the run is out of its range (a clip limit, a tile
    size); the message names the range and a value that works, and
    ``setting`` names the setting ("clip limit", "tile size" ...) so
    that a caller can add its own name for it."""

    def __init__(self, message, setting=None):
        super().__init__(message)
        self.setting = setting


class AreaError(EqualizerError):
    """An area of interest (an extent, a mask's polygons) is malformed,
    unreadable, or does not fit the product; the message names the area
    and the product's extent."""


class CloudError(EqualizerError):
    """Clouds were to be treated (left out of the curve, masked, or a
    composite chosen by them) and a product has no cloud mask, or its mask
    cannot be read, or a cloud option is out of its range; the message
    names the product and the mask."""
