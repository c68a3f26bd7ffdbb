"""Hostile and broken conditions, last: a scratch folder that fills up,
and SIGTERM to a batch on its Dask cluster.

A full scratch folder (--scratch-dir, or TMPDIR) is named as such with the
way out; SIGTERM stops s2eq batch as Ctrl-C does, its cluster with it,
exit status 143 and one line; neither leaves anything in the user's
folders: no partial output, no worker folder, no Dask lock file."""

import os
import signal
import subprocess
import time

import pytest

from hostile import BANDS, fingerprint, refused
from s2eq_runner import TIMEOUT, command, environment
from test_partials import small_disk

#: How often the tests look at a folder, in seconds.
POLL = 0.02
FULL = ("^The scratch folder '{}' is full: it has no room left for the "
        "run's temporary files .*; nothing was written at the output. Free "
        "space there, or choose another with --scratch-dir \\(or the TMPDIR "
        "environment variable\\).$")


@pytest.fixture(scope="module")
def two(products):
    """Two products of a 1098-pixel tile on two dates: long enough to stop
    a batch while it writes."""
    return [products("hostile_batch_{}".format(day), size=1098, bands=BANDS,
                     sky_seed=day, sensing="202306{:02d}T105629".format(day))
            for day in (1, 2)]


def folders(tmp_path):
    """The user's folders of a run: where it is started, TMPDIR, the
    scratch folder and the output folder, made empty."""
    made = {}
    for name in ("cwd", "tmpdir", "scratch", "out"):
        made[name] = tmp_path / name
        made[name].mkdir()
    return made


def test_a_full_scratch_folder_is_named_as_such(product, out, tmp_path):
    before = fingerprint(product)
    with small_disk(tmp_path / "scratch", "256k") as scratch:
        refused("equalize", product, "-o", out / "rgb.tif", "--scratch-dir",
                scratch, message=FULL.format(scratch))
        refused("curve", product, "-o", out / "c.json", "--scratch-dir",
                scratch, message=FULL.format(scratch))
        assert os.listdir(scratch) == []
    with small_disk(tmp_path / "tmpdir", "256k") as tmpdir:
        refused("equalize", product, "-o", out / "rgb.tif",
                env=environment(TMPDIR=str(tmpdir)),
                message=FULL.format(tmpdir))
        assert os.listdir(tmpdir) == []
    assert os.listdir(out) == [] and fingerprint(product) == before


def test_a_missing_scratch_folder_is_named_as_such(product, out, tmp_path):
    refused("equalize", product, "-o", out / "rgb.tif", "--scratch-dir",
            tmp_path / "nowhere", message="^The scratch folder '{}' does not "
            "exist; nothing was written at the output. Choose another with "
            "--scratch-dir".format(tmp_path / "nowhere"))
    assert os.listdir(out) == []


def test_sigterm_stops_a_batch_and_its_cluster_leaving_nothing(two,
                                                               tmp_path):
    where = folders(tmp_path)
    batch = subprocess.Popen(
        command("batch", *two, "--out-dir", where["out"], "--workers", "1",
                "--scratch-dir", where["scratch"], "-q"),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, cwd=where["cwd"],
        env=environment(TMPDIR=str(where["tmpdir"])))
    try:
        deadline = time.time() + TIMEOUT
        while not [n for n in os.listdir(where["out"])
                   if n.endswith(".partial")]:
            assert batch.poll() is None and time.time() < deadline
            time.sleep(POLL)
        batch.send_signal(signal.SIGTERM)          # timeout, systemd, docker
        stdout, stderr = batch.communicate(timeout=TIMEOUT)
    finally:
        batch.kill()
    assert batch.returncode == 143, stderr
    assert stderr.strip().splitlines() == [
        "s2eq batch: Stopped by SIGTERM. The outputs complete so far are "
        "kept: the same command writes the rest."], stderr
    assert [n for n in os.listdir(where["out"])
            if not n.endswith(".tif")] == []
    for name in ("cwd", "tmpdir", "scratch"):
        assert os.listdir(where[name]) == [], name


def test_a_batch_leaves_no_dask_folder_or_lock_file(two, tmp_path):
    where = folders(tmp_path)
    done = subprocess.run(
        command("batch", *two, "--out-dir", where["out"], "--workers", "1",
                "-q"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=TIMEOUT,
        cwd=where["cwd"], env=environment(TMPDIR=str(where["tmpdir"])))
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(where["out"])) == sorted(
        p.stem + ".tif" for p in two)
    for name in ("cwd", "tmpdir", "scratch"):
        assert os.listdir(where[name]) == [], name
