"""Where the result goes: checking the output path, and writing it
atomically.

The result is written under a hidden temporary name beside the output and
renamed into place only when complete, so a failed or cancelled run leaves
no file at the output path and never damages a file that was there before;
what a killed run leaves, the next run for that output removes (see
partials).

Nothing the user has is written over unless it is the output they named,
and that output is a regular file they may write: a folder, a device or a
named pipe, a read-only file, a file of an input product (through links
too) or another output of the same run is refused before anything is
written.

An output may also be an object in a store (``s3://bucket/key``): it is
written in a local file of the scratch folder and uploaded once complete
(object_store), so it too appears only whole.
"""

import contextlib
import errno
import os
import stat
import tempfile

from ..errors import OutputError, ScratchError
from . import object_store
from .partials import create_partial, release, remove_abandoned


def check_output_path(output, inputs=(), folders=(), name="output",
                      extension=".tif"):
    """Raise OutputError if ``output`` cannot or must not be written.

    ``inputs``: paths of the files the run reads (GDAL ``/vsi`` paths are
    skipped); ``folders``: folders whose files the run reads (a product's
    folder): the output may be none of them, nor a file already in them.
    ``name``: what the file is, for messages ("output", "curve file");
    ``extension``: the one it takes.
    """
    another = name if name.endswith(" file") else name + " file"
    if not output:
        raise OutputError("No {} given. Choose where to save it.".format(
            another))
    if object_store.is_object_url(output):
        object_store.check_destination(output, name, extension)
        return
    folder = os.path.dirname(os.path.abspath(output)) or "."
    if not os.path.isdir(folder):
        raise OutputError("The {} folder '{}' does not exist. Create it or "
                          "choose another {}.".format(name.split()[0], folder,
                                                      another))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError("The {} folder '{}' is not writable. Choose "
                          "another {}.".format(name.split()[0], folder,
                                               another))
    if os.path.isdir(output):
        raise OutputError("The {} '{}' is a folder. Give a file name ending "
                          "in {}.".format(name, output, extension))
    if _is_input(output, inputs, folders):
        raise OutputError("The {} '{}' is a file of the input product. "
                          "Choose another {}.".format(name, output, another))
    try:
        mode = os.stat(output).st_mode
    except OSError:
        return                      # nothing there (or a link to nothing)
    if not stat.S_ISREG(mode):
        raise OutputError(
            "The {} '{}' is not a regular file (a device, a named pipe or a "
            "socket); it was left as it is. Choose another {}.".format(
                name, output, another))
    if not _may_write(output, mode):
        raise OutputError(
            "The {} '{}' is read-only; it was left as it is. Make it "
            "writable, or choose another {}.".format(name, output, another))


def check_apart(named):
    """Raise OutputError if two of ``named`` ((what, path) pairs: the
    outputs of one run) are the same file."""
    seen = {}
    for what, path in named:
        real = os.path.normcase(os.path.realpath(path))
        if real in seen:
            raise OutputError(
                "The {} '{}' and the {} '{}' are the same file. Give each "
                "its own name.".format(seen[real][0], seen[real][1], what,
                                       path))
        seen[real] = (what, path)


def _is_input(output, inputs, folders):
    """Whether ``output`` is one of ``inputs``, or an existing file in one
    of ``folders`` (links followed)."""
    target = os.path.realpath(output)
    if any(os.path.realpath(p) == target for p in inputs
           if not p.startswith("/vsi")):
        return True
    if not os.path.lexists(output):
        return False
    for folder in folders:
        real = os.path.realpath(folder)
        try:
            if os.path.commonpath([target, real]) == real:
                return True
        except ValueError:          # another drive (Windows)
            continue
    return False


def _may_write(path, mode):
    """Whether the user may write the existing file at ``path`` (of
    ``mode``), as cp or GDAL would ask: the system's answer, and for the
    superuser, whom the system lets write anything, the file's own
    permissions."""
    if not os.access(path, os.W_OK):
        return False
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return True


def scratch_failed(folder, exc):
    """The ScratchError of a scratch ``folder`` (None: the system's
    temporary folder) that refused a temporary file with ``exc`` (an
    OSError)."""
    folder = folder or tempfile.gettempdir()
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ScratchError(
            "The scratch folder '{}' is full: it has no room left for the "
            "run's temporary files (a full tile needs about 700 MB); "
            "nothing was written at the output.".format(folder), full=True)
    why = {errno.ENOENT: "does not exist", errno.ENOTDIR: "is not a folder",
           errno.EACCES: "is not writable", errno.EPERM: "is not writable",
           errno.EROFS: "is on a read-only disk"}.get(
               exc.errno, "cannot take the run's temporary files ({})"
               .format(exc.strerror or exc))
    return ScratchError("The scratch folder '{}' {}; nothing was written "
                        "at the output.".format(folder, why))


def write_failed(output, reason):
    """The OutputError of an output that could not be written (``reason``:
    the system's or GDAL's words)."""
    return OutputError(
        "Writing '{}' failed ({}). Check that the disk has room and the "
        "folder is writable; nothing was written there.".format(output,
                                                               reason))


def write_text(output, text):
    """Write ``text`` to ``output`` in UTF-8, whole or not at all: on a
    failure (a full disk) nothing is left and a file that was there stays
    as it was (OutputError)."""
    write_texts([(output, text)])


def write_texts(named):
    """Write each text of ``named`` ((path, text) pairs) to its path in
    UTF-8, all or none: every one is written in full beside its path before
    any is renamed into place, so a failure (a full disk) leaves nothing
    and every file that was there as it was (OutputError)."""
    path = None
    try:
        with contextlib.ExitStack() as stack:
            targets = []
            for path, text in named:
                target = stack.enter_context(AtomicOutput(path))
                with open(target.partial, "w", encoding="utf-8") as handle:
                    handle.write(text)
                targets.append(target)
            for target in targets:
                path = target.output
                target.commit()
    except OSError as exc:
        raise write_failed(path, exc.strerror or exc)


class AtomicOutput:
    """A temporary file beside ``output`` (``self.partial``, for the writer
    to open by name) that becomes ``output`` on ``commit()``; removed on
    leaving the block if not committed. Entering first removes the partial
    files of ``output`` that killed runs left.

    The temporary file is created with the process's usual permissions (the
    kernel applies the umask), so the result gets them too.

    For an object in a store (``s3://...``) the temporary file is in
    ``scratch_dir`` (None: the system's temporary folder), and
    ``commit()`` uploads it (OutputError where the store does not take
    it, with no object left), telling ``log(message)`` of it and of each
    retry.
    """

    def __init__(self, output, scratch_dir=None, log=None):
        self.output = output
        self.scratch_dir = scratch_dir
        self.log = log or (lambda message: None)
        self.partial = None
        self.handle = None

    def __enter__(self):
        local = self.output
        if object_store.is_object_url(self.output):
            local = object_store.stand_in(self.output, self.scratch_dir)
        remove_abandoned(local)
        try:
            self.partial, self.handle = create_partial(local)
        except OSError as exc:
            if local == self.output:
                raise
            raise scratch_failed(self.scratch_dir, exc)
        return self

    def commit(self):
        if object_store.is_object_url(self.output):
            self.log("Uploading to {}".format(
                object_store.shown(self.output)))
            object_store.upload(self.partial, self.output, self.log)
            self._remove()
            return
        if os.name == "nt":        # Windows renames no file that is open
            self._release()
        os.replace(self.partial, self.output)
        self.partial = None
        self._release()

    def _release(self):
        release(self.handle)
        self.handle = None

    def __exit__(self, *exc_info):
        self._remove()

    def _remove(self):
        self._release()            # first: Windows deletes no open file
        if self.partial is not None:
            try:
                os.remove(self.partial)
            except OSError:
                pass
            self.partial = None
