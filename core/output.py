"""Where the result goes: checking the output path, and writing it
atomically.

The result is written under a hidden temporary name beside the output and
renamed into place only when complete, so a failed or cancelled run leaves
no file at the output path and never damages a file that was there before.
"""

import os
import secrets

from .errors import OutputError

#: The temporary name of an output being written: ``.NAME.XXXXXXXX.partial``
#: beside it.
PARTIAL_SUFFIX = ".partial"


def check_output_path(output, inputs=()):
    """Raise OutputError if ``output`` cannot or must not be written.

    ``inputs``: paths of the files the run reads (GDAL ``/vsi`` paths are
    skipped); the output may not be one of them.
    """
    if not output:
        raise OutputError("No output file given. Choose where to save the "
                          "GeoTIFF.")
    folder = os.path.dirname(os.path.abspath(output)) or "."
    if not os.path.isdir(folder):
        raise OutputError("The output folder '{}' does not exist. Create it "
                          "or choose another output file.".format(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError("The output folder '{}' is not writable. Choose "
                          "another output file.".format(folder))
    if os.path.isdir(output):
        raise OutputError("The output '{}' is a folder. Give a file name "
                          "ending in .tif.".format(output))
    target = os.path.realpath(output)
    if any(os.path.realpath(p) == target for p in inputs
           if not p.startswith("/vsi")):
        raise OutputError("The output '{}' is a file of the input product. "
                          "Choose another output file.".format(output))


class AtomicOutput:
    """A temporary file beside ``output`` that becomes ``output`` on
    ``commit()``; removed on leaving the block if not committed.

    The temporary file is created with the process's usual permissions (the
    kernel applies the umask), so the result gets them too.
    """

    def __init__(self, output):
        self.output = output
        self.partial = None

    def __enter__(self):
        folder = os.path.dirname(os.path.abspath(self.output))
        prefix = "." + os.path.basename(self.output) + "."
        while self.partial is None:
            candidate = os.path.join(
                folder, prefix + secrets.token_hex(4) + PARTIAL_SUFFIX)
            try:
                handle = os.open(candidate,
                                 os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            os.close(handle)
            self.partial = candidate
        return self

    def commit(self):
        os.replace(self.partial, self.output)
        self.partial = None

    def __exit__(self, *exc_info):
        if self.partial is not None:
            try:
                os.remove(self.partial)
            except OSError:
                pass
            self.partial = None
