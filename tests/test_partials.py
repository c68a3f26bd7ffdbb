"""What runs leave behind, and runs side by side: a killed run's partial
file is removed by the next run for the same output, never one a live run
is writing; two runs in one process, one of them on a full disk, both
report as they should."""

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import rasterio
from rasterio.env import get_gdal_config

from conftest import PLUGINS
from sentinel2_equalizer.core import render
from sentinel2_equalizer.core.errors import OutputError
from sentinel2_equalizer.core.output.partials import (partial_pattern,
                                                      remove_abandoned)

#: A run, in a process of its own, that stops for good once its partial
#: file exists: as if it were killed while writing.
STOPS_WHILE_WRITING = """
import os, sys, time
sys.path.insert(0, {plugins!r})
from sentinel2_equalizer.core import render
product, output, marker, scratch = sys.argv[1:5]
folder = os.path.dirname(output)

def report(percent):
    if any(name.endswith(".partial") for name in os.listdir(folder)):
        open(marker, "w").close()
        time.sleep(3600)

render.run(render.Options(product, output, scratch_dir=scratch),
           report=report)
"""
#: Longest wait for a child run to reach its write stage, in seconds: a
#: limit for a hung test, not a measurement.
PATIENCE = 300


def partials(folder):
    return sorted(n for n in os.listdir(str(folder)) if n.endswith(".partial"))


@contextlib.contextmanager
def stopped_while_writing(product, output, marker, scratch=None):
    """A child process running the core (its scratch files in
    ``scratch``), stopped while writing ``output``; killed with SIGKILL on
    leaving."""
    if scratch is None:
        scratch = marker.parent / "scratch"
        scratch.mkdir(exist_ok=True)
    child = subprocess.Popen(
        [sys.executable, "-c", STOPS_WHILE_WRITING.format(plugins=PLUGINS),
         str(product), str(output), str(marker), str(scratch)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + PATIENCE
        while not marker.exists():
            assert child.poll() is None, child.stdout.read().decode()
            assert time.monotonic() < deadline, "the child never wrote"
            time.sleep(0.05)
        yield child
    finally:
        child.kill()                                   # SIGKILL
        child.wait()
        child.stdout.close()


def test_a_killed_runs_partial_file_goes_at_the_next_run(l1c, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    output = out / "rgb.tif"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with stopped_while_writing(l1c, output, tmp_path / "writing",
                               scratch) as child:
        left = partials(out)
        assert len(left) == 1 and partial_pattern(output).match(left[0])
        # The spools and the staging file have no name while in use.
        assert os.listdir(str(scratch)) == []
    assert child.returncode == -signal.SIGKILL
    assert partials(out) == left                      # left behind
    assert os.listdir(str(scratch)) == []
    render.run(render.Options(str(l1c), str(output)))
    assert os.listdir(str(out)) == ["rgb.tif"]


def test_a_partial_file_a_live_run_writes_is_left_alone(l1c, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    output = out / "rgb.tif"
    with stopped_while_writing(l1c, output, tmp_path / "writing"):
        writing = partials(out)
        render.run(render.Options(str(l1c), str(output)))
        assert partials(out) == writing          # still the other run's
        assert os.path.isfile(str(output))
    # Now that its run is gone, the next run takes it away.
    render.run(render.Options(str(l1c), str(output)))
    assert os.listdir(str(out)) == ["rgb.tif"]


def test_only_the_outputs_own_partial_files_are_removed(tmp_path):
    output = tmp_path / "rgb.tif"
    ours = [".rgb.tif.0123abcd.partial", ".rgb.tif.deadbeef.partial"]
    others = [".rgb.tif.partial", ".rgb.tif.0123abc.partial",
              ".rgb.tif.0123abcg.partial", ".rgb.tif.0123ABCD.partial",
              "rgb.tif.0123abcd.partial", ".other.tif.0123abcd.partial",
              ".rgb.tif.0123abcd.partial.bak", ".xrgb.tif.0123abcd.partial"]
    for name in ours + others:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".rgb.tif.00000000.partial").mkdir()            # a folder
    (tmp_path / "elsewhere").write_bytes(b"kept")
    (tmp_path / ".rgb.tif.11111111.partial").symlink_to(
        tmp_path / "elsewhere")                                 # a link
    assert sorted(remove_abandoned(str(output))) == ours
    assert sorted(os.listdir(str(tmp_path))) == sorted(
        others + [".rgb.tif.00000000.partial", ".rgb.tif.11111111.partial",
                  "elsewhere"])


@contextlib.contextmanager
def small_disk(folder, size):
    """A tmpfs of ``size`` at ``folder``, unmounted on leaving."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a full disk) needs root")
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs",
                    str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


class PausedRun(threading.Thread):
    """render.run in a thread that stops once it writes, until ``resume``
    is set; its result or error is kept."""

    def __init__(self, product, output, resume):
        super().__init__(daemon=True)
        self.product, self.output = product, output
        self.writing, self.resume = threading.Event(), resume
        self.result = self.error = None

    def report(self, percent):
        if percent >= 100 * render.READ_SHARE and not self.writing.is_set():
            self.writing.set()
            assert self.resume.wait(PATIENCE)

    def run(self):
        try:
            self.result = render.run(render.Options(
                str(self.product), str(self.output), sample_fraction=1.0),
                report=self.report)
        except Exception as exc:             # kept for the test to judge
            self.error = exc
        finally:
            self.writing.set()


@pytest.mark.parametrize("paused", ["full disk", "room"])
def test_two_overlapping_runs_one_on_a_full_disk(products, tmp_path,
                                                 paused):
    """One run stops while writing; the other runs from start to end
    meanwhile; then the first goes on. Whichever is on the full disk fails
    with OutputError and leaves nothing; the other succeeds. The process's
    shared GDAL state is back as it was."""
    product = products("big_for_disk_full", size=1098)
    loggers = [logging.getLogger(name)
               for name in ("rasterio._env", "rasterio._err")]
    before = ([g.level for g in loggers], get_gdal_config("GDAL_CACHEMAX"))
    with small_disk(tmp_path / "small", "128k") as full:
        roomy = tmp_path / "roomy"
        roomy.mkdir()
        outputs = {"full disk": full / "rgb.tif", "room": roomy / "rgb.tif"}
        other = "room" if paused == "full disk" else "full disk"
        resume = threading.Event()
        first = PausedRun(product, outputs[paused], resume)
        second = PausedRun(product, outputs[other], threading.Event())
        second.resume.set()
        first.start()
        assert first.writing.wait(PATIENCE)
        second.start()
        second.join(PATIENCE)
        resume.set()
        first.join(PATIENCE)
        runs = {paused: first, other: second}
        assert isinstance(runs["full disk"].error, OutputError), \
            runs["full disk"].error
        assert "Check that the disk has room" in str(runs["full disk"].error)
        assert os.listdir(str(full)) == []
        assert runs["room"].error is None
        with rasterio.open(str(outputs["room"])) as image:
            assert image.count == 3
        assert os.listdir(str(roomy)) == ["rgb.tif"]
    assert ([g.level for g in loggers],
            get_gdal_config("GDAL_CACHEMAX")) == before
