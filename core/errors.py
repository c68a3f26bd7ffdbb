"""Errors the core raises.

Every message names the problem and what the user can do about it, so the
Processing algorithm can show it as it is.
"""


class EqualizerError(Exception):
    """Base class of every error the core raises on purpose."""


class ProductError(EqualizerError):
    """The input is not a readable Sentinel-2 product of a supported kind."""


class BandError(EqualizerError):
    """A band was asked for that the product lacks, or its file is unusable."""


class ChecksumError(BandError):
    """A band file differs from the checksum its product's manifest lists:
    it was damaged on the way (download, copy, storage)."""


class DecodeError(BandError):
    """GDAL could not open or decode a band file that looked whole."""


class DataError(EqualizerError):
    """The pixel values cannot be equalized (for example, all no-data)."""


class OutputError(EqualizerError):
    """The output file cannot be written where it was asked for."""


class Cancelled(EqualizerError):
    """The caller asked to stop; nothing was written at the output path."""

    def __init__(self, message="Cancelled: no output was written."):
        super().__init__(message)


def first_line(exc):
    """The first line of an exception's message (GDAL's can run long)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
