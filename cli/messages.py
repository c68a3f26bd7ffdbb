"""The core's errors as the command line words them: where the core
speaks of a setting (a clip limit, verification, the scratch folder), the
message names the flag that sets it."""

from ..core.errors import ScratchError, SettingError, UnverifiedError
from .flags import FLAGS

#: How the command line says to go on without the band files' check, and
#: to choose another scratch folder.
SKIP_CHECK = "give --no-verify"
OTHER_SCRATCH = ("choose another with --scratch-dir (or the TMPDIR "
                 "environment variable)")


def worded(exc):
    """The message of ``exc`` (an exception, or a message) for the
    command line."""
    if isinstance(exc, UnverifiedError):
        return exc.worded(SKIP_CHECK)
    if isinstance(exc, ScratchError):
        return exc.worded(OTHER_SCRATCH)
    if isinstance(exc, SettingError):
        for flag in FLAGS:
            if flag.keyword.replace("_", " ") == exc.setting:
                return "{}: {}".format(flag.flag, exc)
    return str(exc)
