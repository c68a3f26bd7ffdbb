"""Band files checked against the checksums in their product's manifest,
while the bands decode.

A damaged band file (a flipped bit, a run of bytes overwritten or zeroed
on the way) often decodes without a word from GDAL or OpenJPEG, into a
wrong picture. The manifest lists a checksum for every file, so each band
file a run reads is hashed in worker threads (a file each, one per core at
most) while the bands decode, and the run checks the result before its
output is committed. A file is read twice (once by the decoder, once
here), mostly from the page cache; the hash itself runs in C without
Python's GIL.

The hashing threads lower their own CPU priority where the system allows
a thread to (Linux): they take the cycles the decode leaves idle (OpenJPEG
keeps about 1.7 of 2 cores busy) rather than slowing the decode, and
catch up in the write stage if need be.
"""

import contextlib
import os
import posixpath
import sys
import threading
import zipfile
import zlib

from ..errors import (BandError, Cancelled, ChecksumError, DecodeError,
                      EqualizerError, UnverifiedError)
from .manifest import MANIFEST, read_checksums
from .model import REDOWNLOAD
from .sources import ZIP_ERRORS

#: Bytes hashed at a time: large enough that hashlib releases the GIL and
#: that the thread, of low priority, seldom has to take it back (a thread
#: waiting for the GIL holds up the one handing it over), small enough to
#: stop within a few hundredths of a second when asked.
CHUNK_BYTES = 4 << 20
#: How often a caller waiting for the hashes checks for cancel, in seconds.
POLL_SECONDS = 0.05
#: The nice value of the hashing threads: the lowest priority.
HASHING_NICE = 19
#: Files hashed at the same time, at most: one per core, so that a quick
#: look (which decodes a fraction of each file, but must hash all of it)
#: can use every idle core.
HASHING_THREADS = max(os.cpu_count() or 1, 1)


def band_files(plan):
    """``[(band, relative path)]`` of every band file ``plan`` reads, each
    once, in the order the decode reads them."""
    found = {}
    for band in plan.unique_bands:
        for granule in plan.granules:
            relpath = plan.product.band_relpath(granule, band,
                                                plan.grid.resolution)[0]
            found.setdefault(relpath, band)
    return [(band, relpath) for relpath, band in found.items()]


def start_verification(plan, enabled=True, log=None):
    """A running Verification of the band files ``plan`` reads (use it in a
    with block). Says once in ``log`` which files cannot be verified, and
    why: verification off, no manifest, or no checksum for them. Raises
    UnverifiedError at once for a manifest that cannot be read or a
    checksum that cannot be computed, and ChecksumError for a file whose
    size is not the one the manifest lists (a cut download, in a zip
    too) and whose checksum does not match either."""
    log = log or (lambda message: None)
    files = []
    source = plan.product.source
    listing = checksum_list(source)
    if not enabled:
        log("Band files not checked against the product's checksums "
            "(verification is off).")
    else:
        checksums, reason = read_checksums(source)
        unlisted, in_part = [], []
        for band, relpath in band_files(plan):
            if relpath in checksums and _over_network(source, relpath) \
                    and reads_part(plan, band):
                # Hashing would fetch the whole file for a run that needs
                # a part of it; a cut file still fails to decode.
                in_part.append("{} ({})".format(band,
                                                posixpath.basename(relpath)))
            elif relpath in checksums:
                _check_usable(band, relpath, checksums[relpath], listing)
                files.append((band, relpath, checksums[relpath]))
            else:
                unlisted.append("{} ({})".format(band,
                                                 posixpath.basename(relpath)))
        if reason:
            log("Band files not verified: {}.".format(reason))
        elif unlisted:
            log("Not verified, for want of a checksum in {}: {}.".format(
                listing, ", ".join(unlisted)))
        if in_part:
            log("Not verified, as the run reads only part of them over the "
                "network: {}.".format(", ".join(in_part)))
        for band, relpath, checksum in files:
            _check_size(source, band, relpath, checksum, log)
    return Verification(source, files, log).start()


def _over_network(source, relpath):
    """Whether the run reads ``source``'s file at ``relpath`` over the
    network (not from a local copy of it)."""
    copy = getattr(source, "local_copy", None)
    return getattr(source, "remote", False) and not (copy and copy(relpath))


def checksum_list(source):
    """Where the checksums of ``source``'s files are listed, as messages
    name it: manifest.safe, or a STAC item's file:checksum."""
    return getattr(source, "checksum_list", MANIFEST)


def reads_part(plan, band):
    """Whether ``plan`` reads only part of ``band``'s files: at a coarser
    resolution than theirs (reduced levels, overviews), or over an area
    smaller than their granule."""
    return _coarser(plan, band) or _cropped(plan, band)


def reads_all(plan, band, relpath):
    """Whether ``plan`` reads (about) every byte of ``band``'s file at
    ``relpath``: the whole granule, at the file's own resolution, or at
    any resolution from JPEG2000, whose reduced levels are spread through
    every tile of the file."""
    if _cropped(plan, band):
        return False
    return not _coarser(plan, band) or relpath.lower().endswith(".jp2")


def _coarser(plan, band):
    grid = plan.grid
    return any(grid.resolution > plan.product.band_relpath(
        granule, band, grid.resolution)[1] for granule in plan.granules)


def _cropped(plan, band):
    grid = plan.grid
    for granule in plan.granules:
        if granule.epsg != grid.epsg:
            return True       # warped from another zone: taken as a part
        native = plan.product.band_relpath(granule, band,
                                           grid.resolution)[1]
        corner = granule.grids.get(native)
        if corner is None:
            continue
        ulx, uly, width, height = corner
        if (grid.ulx > ulx + 1e-6 or grid.uly < uly - 1e-6
                or grid.ulx + grid.width * grid.resolution
                < ulx + width * native - 1e-6
                or grid.uly - grid.height * grid.resolution
                > uly - height * native + 1e-6):
            return True
    return False


def _check_usable(band, relpath, checksum, listing=MANIFEST):
    """Raise UnverifiedError if ``checksum`` cannot be computed."""
    if checksum.unusable:
        raise UnverifiedError(
            "The product's {} lists band {} file {} with {}, so the file "
            "cannot be checked.".format(listing, band, relpath,
                                        checksum.unusable))


def _check_size(source, band, relpath, checksum, log):
    """Raise ChecksumError if the file's size is not the manifest's and its
    checksum does not match either; where the checksum matches, the
    manifest's size is wrong, not the file: say so in ``log``. (A missing
    or empty file is left to Product.band_file, which says so.)"""
    if checksum.size is None or not source.exists(relpath):
        return
    size = source.size(relpath)
    if size == 0 or size == checksum.size:
        return
    # A file of the wrong size is nearly always cut short; hashing it now
    # (a cut file takes less) tells a wrong size in the manifest apart.
    if _digest(source, band, relpath, checksum) == checksum.digest:
        log("{} lists {} bytes for band {} file {}, which has {} and "
            "matches its {} checksum: the manifest's size is wrong, the file "
            "is whole.".format(checksum_list(source), checksum.size, band,
                               relpath, size,
                               checksum.kind))
        return
    if size < checksum.size:
        raise ChecksumError(
            "Band {} file {} is incomplete: {} of the {} bytes {} lists. {}"
            .format(band, relpath, size, checksum.size, checksum_list(source),
                    REDOWNLOAD))
    if size > checksum.size:
        raise ChecksumError(
            "Band {} file {} has {} bytes, not the {} {} lists: the file "
            "is damaged. Download the product again.".format(
                band, relpath, size, checksum.size, checksum_list(source)))


class Verification:
    """Hashes ``files`` (``[(band, relative path, manifest.Checksum)]``) of
    ``source`` in threads of their own; ``check`` waits for them and
    raises for the first file found not to match."""

    def __init__(self, source, files, log):
        self.source = source
        self.files = files
        self.log = log
        self.problems = []
        self.reported = False
        self.halt = threading.Event()
        self.queue = iter(files)
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._hash_all, daemon=True,
                             name="s2eq-checksums")
            for _ in range(min(len(files), HASHING_THREADS))]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def raise_if_failed(self):
        """Raise the first problem found so far, without waiting (cheap
        enough to call for every decoded block)."""
        if self.problems:
            raise self.problems[0]

    def stopping(self, cancelled=None):
        """A check for a decode loop: raises the first problem found so
        far, else returns ``cancelled()``."""
        def stop():
            self.raise_if_failed()
            return bool(cancelled and cancelled())
        return stop

    def checked(self, items, cancelled=None):
        """Yield ``items``, then check (see check) before the caller goes
        on: a writer fed by it commits its output only if every band file
        matched."""
        yield from items
        self.check(cancelled)

    def check(self, cancelled=None):
        """Wait for every file to be hashed, checking ``cancelled()`` every
        POLL_SECONDS (Cancelled); raise ChecksumError (or BandError) for
        the first file that does not match."""
        self._wait(cancelled)
        if self.files and not self.reported:
            self.reported = True          # said once, even if checked again
            kinds = sorted({checksum.kind for _, _, checksum in self.files})
            self.log("Band files verified against {}: {} ({}).".format(
                checksum_list(self.source), len(self.files),
                ", ".join(kinds)))

    @contextlib.contextmanager
    def explaining(self, cancelled=None):
        """Within, a DecodeError (GDAL could not open or decode a file)
        gives way to the checksum mismatch behind it, where the manifest
        can tell: the user learns the file is damaged, whichever comes
        first, the decoder's failure or the hash's verdict."""
        try:
            yield
        except DecodeError as error:
            self._wait(cancelled, error)
            raise

    def _wait(self, cancelled=None, cause=None):
        while any(thread.is_alive() for thread in self.threads):
            next(t for t in self.threads if t.is_alive()).join(POLL_SECONDS)
            if self.problems:
                raise self.problems[0] from cause
            if cancelled and cancelled():
                raise Cancelled()
        if self.problems:
            raise self.problems[0] from cause

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        # Not waited for: a run that stops early (an error, a cancel)
        # should not wait for threads of the lowest priority, which end
        # within one chunk of their own accord, having only read files.
        self.halt.set()

    def _next_file(self):
        with self.lock:
            return next(self.queue, None)

    def _hash_all(self):
        _lower_priority()
        for band, relpath, checksum in iter(self._next_file, None):
            try:
                digest = _digest(self.source, band, relpath, checksum,
                                 self.halt)
            except EqualizerError as problem:
                self.problems.append(problem)
                continue
            if digest is None:                        # asked to stop
                return
            if digest != checksum.digest:
                self.problems.append(ChecksumError(
                    "Band {} file {} does not match its {} checksum in {}: "
                    "the file is damaged. Download the product again."
                    .format(band, relpath, checksum.kind,
                            checksum_list(self.source))))


def _digest(source, band, relpath, checksum, halt=None):
    """The hexadecimal digest of ``band``'s file at ``relpath`` of
    ``source``, of ``checksum``'s kind; None if ``halt`` (an Event) is set
    first. Raises BandError where the file cannot be read."""
    hasher = checksum.hasher()
    buffer = memoryview(bytearray(CHUNK_BYTES))
    try:
        with source.stream(relpath) as stream:
            while halt is None or not halt.is_set():
                size = stream.readinto(buffer)
                if not size:
                    return hasher.hexdigest()
                hasher.update(buffer[:size])
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BandError("Band {} file {} is damaged inside the zip ({}). {}"
                        .format(band, relpath, exc, REDOWNLOAD))
    except ZIP_ERRORS as exc:
        raise BandError("Band {} file {} cannot be read ({}).".format(
            band, relpath, getattr(exc, "strerror", None) or exc))
    return None


def _lower_priority():
    """Give the calling thread the lowest CPU priority, where a thread has
    a priority of its own (Linux); elsewhere leave it."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           HASHING_NICE)
        except (AttributeError, OSError):
            pass
