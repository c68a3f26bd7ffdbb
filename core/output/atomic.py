"""Where the result goes: checking the output path, and writing it
atomically.

The result is written under a hidden temporary name beside the output and
renamed into place only when complete, so a failed or cancelled run leaves
no file at the output path and never damages a file that was there before;
what a killed run leaves, the next run for that output removes (see
partials).
"""

import os

from ..errors import OutputError
from .partials import create_partial, release, remove_abandoned


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
    """A temporary file beside ``output`` (``self.partial``, for the writer
    to open by name) that becomes ``output`` on ``commit()``; removed on
    leaving the block if not committed. Entering first removes the partial
    files of ``output`` that killed runs left.

    The temporary file is created with the process's usual permissions (the
    kernel applies the umask), so the result gets them too.
    """

    def __init__(self, output):
        self.output = output
        self.partial = None
        self.handle = None

    def __enter__(self):
        remove_abandoned(self.output)
        self.partial, self.handle = create_partial(self.output)
        return self

    def commit(self):
        if os.name == "nt":        # Windows renames no file that is open
            self._release()
        os.replace(self.partial, self.output)
        self.partial = None
        self._release()

    def _release(self):
        release(self.handle)
        self.handle = None

    def __exit__(self, *exc_info):
        self._release()            # first: Windows deletes no open file
        if self.partial is not None:
            try:
                os.remove(self.partial)
            except OSError:
                pass
            self.partial = None
