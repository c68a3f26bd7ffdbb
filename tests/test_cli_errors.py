"""The command line's errors are the algorithm's: each case of bad input
gives s2eq:equalize's message (naming flags where QGIS names parameters),
a non-zero exit status, no traceback, and nothing at the output. And its
progress: a bar on a terminal only, plain lines otherwise; Ctrl-C."""

import fcntl
import glob
import os
import pty
import shutil
import signal
import struct
import subprocess
import termios
import zipfile

import numpy as np
import pytest
from osgeo import gdal

from s2eq_runner import (TIMEOUT, command, environment, partials, run_json,
                         run_s2eq)

#: Where QGIS names a parameter, the command line names its flag.
RENAMED = (("INPUT is missing", "PRODUCT is missing"),
           ("SAMPLE_PERCENT", "--sample"), ("OUTPUT", "--output"),
           ("RED: ", "--bands: "), ("CLIP_LIMIT", "--clip-limit"),
           ("TILE_SIZE", "--tile-size"))


def band_path(product, band):
    return glob.glob(str(product / "GRANULE" / "*" / "IMG_DATA" /
                         "*_{}.jp2".format(band)))[0]


def cut_in_half(path):
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])


def all_nodata(path):
    source = gdal.Open(path)
    memory = gdal.GetDriverByName("MEM").CreateCopy("", source)
    source = None
    band = memory.GetRasterBand(1)
    band.WriteArray(np.zeros_like(band.ReadAsArray()))
    gdal.GetDriverByName("JP2OpenJPEG").CreateCopy(
        path, memory, options=["REVERSIBLE=YES", "QUALITY=100"])


def not_a_zip_product(folder):
    with zipfile.ZipFile(folder / "holiday.zip", "w") as archive:
        archive.writestr("holiday/photo.txt", "sun")
    return folder / "holiday.zip"


def text_file(folder):
    (folder / "readme.txt").write_text("hello")
    return folder / "readme.txt"


#: (id, how to spoil the copy of the product or make the input, QGIS
#: parameters beyond INPUT and OUTPUT, the same as flags)
CASES = [
    ("missing", lambda p, t: "", {}, []),
    ("nowhere", lambda p, t: t / "nowhere.SAFE", {}, []),
    ("text-file", lambda p, t: text_file(t), {}, []),
    ("zip-of-photos", lambda p, t: not_a_zip_product(t), {}, []),
    ("no-granule", lambda p, t: shutil.rmtree(p / "GRANULE"), {}, []),
    ("band-missing", lambda p, t: os.remove(band_path(p, "B03")), {}, []),
    ("band-cut-short", lambda p, t: cut_in_half(band_path(p, "B03")), {},
     []),
    ("all-nodata", lambda p, t: all_nodata(band_path(p, "B02")),
     {"VERIFY": False}, ["--no-verify"]),
    ("sample-zero", None, {"SAMPLE_PERCENT": 0}, ["--sample", "0"]),
    ("sample-above-100", None, {"SAMPLE_PERCENT": 100.5},
     ["--sample", "100.5"]),
    ("sample-too-small", None, {"SAMPLE_PERCENT": 1e-6}, ["--sample",
                                                          "1e-06"]),
    ("band-name", None, {"RED": "B99"}, ["--bands", "B99,B03,B02"]),
    ("curve-missing", None, {"CURVE": "/nowhere/curve.json"},
     ["--curve", "/nowhere/curve.json"]),
    ("l2a-band", None, {"RED": "B10"}, ["--bands", "B10,B03,B02"]),
    ("clip-limit-below-one", None,
     {"METHOD": "contrast-limited", "CLIP_LIMIT": 0.5},
     ["--method", "contrast-limited", "--clip-limit", "0.5"]),
    ("tile-larger-than-image", None, {"METHOD": "adaptive",
                                      "TILE_SIZE": 50000},
     ["--method", "adaptive", "--tile-size", "50000"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_same_message_and_a_failing_exit(qgis_app, products, l1c, tmp_path,
                                         case):
    import processing
    from qgis.core import QgsProcessingException
    name, spoil, parameters, flags = case
    source = products("l2a", size=366, level="L2A", jp2_block=128) \
        if name == "l2a-band" else l1c
    product = tmp_path / source.name
    shutil.copytree(source, product)
    if spoil is not None:
        spoiled = spoil(product, tmp_path)
        product = product if spoiled is None else spoiled
    by_qgis, by_cli = tmp_path / "qgis.tif", tmp_path / "cli.tif"
    with pytest.raises(QgsProcessingException) as raised:
        processing.run("s2eq:equalize", dict(
            parameters, INPUT=str(product), OUTPUT=str(by_qgis)))
    expected = str(raised.value).replace(
        "Unable to execute algorithm\n", "").strip()
    for qgis_name, flag in RENAMED:
        expected = expected.replace(qgis_name, flag)
    done = run_s2eq("equalize", product, "-o", by_cli, *flags)
    assert done.returncode not in (0, None)
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == \
        "s2eq equalize: " + expected
    failure = run_json("equalize", product, "-o", by_cli, *flags,
                       status=done.returncode)
    assert failure["error"] == expected and not failure["ok"]
    assert not by_cli.exists() and not partials(tmp_path)


def test_output_is_the_product_or_not_a_geotiff(l1c, tmp_path):
    xml = l1c / "MTD_MSIL1C.xml"
    done = run_s2eq("equalize", xml, "-o", xml)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "--output is the input product itself. Choose another file for "
        "the GeoTIFF.")
    done = run_s2eq("equalize", l1c, "-o", tmp_path / "picture.png")
    assert done.returncode == 2 and "ends in '.png', but the image is a " \
        "GeoTIFF. Give a file name ending in .tif." in done.stderr
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------
# Progress.

def test_plain_lines_when_not_a_terminal(l1c, tmp_path):
    done = run_s2eq("equalize", l1c, "-o", tmp_path / "out.tif")
    assert done.returncode == 0
    assert "\r" not in done.stderr and "%|" not in done.stderr
    lines = done.stderr.splitlines()
    assert "100 %" in lines and any(line.startswith("Output grid:")
                                    for line in lines)
    assert done.stdout.startswith("Wrote ")
    quiet = run_s2eq("equalize", l1c, "-o", tmp_path / "quiet.tif", "-q")
    # --quiet silences progress and notes, not the result
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.startswith("Wrote {} (".format(
        tmp_path / "quiet.tif"))


def test_a_progress_bar_on_a_terminal(l1c, tmp_path):
    """The counterpart of the test above: on a terminal there is a bar."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100,
                                                          0, 0))
    process = subprocess.Popen(
        command("equalize", l1c, "-o", tmp_path / "out.tif"),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower,
        env=environment())
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:                    # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.wait(timeout=TIMEOUT) == 0
    text = seen.decode("utf-8", "replace")
    assert "%|" in text and "\r" in text
    assert "Output grid:" in text


def stopped_midway(product, tmp_path, signum):
    """``s2eq equalize`` sent ``signum`` once its progress shows; returns
    (exit status, lines before the signal, standard error after it)."""
    out = tmp_path / "out.tif"
    process = subprocess.Popen(
        command("equalize", product, "-o", out), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, env=environment())
    lines = []
    try:
        for line in process.stderr:       # plain lines: not a terminal
            lines.append(line.strip())
            if line.strip().endswith(" %"):
                process.send_signal(signum)
                break
        rest = process.communicate(timeout=TIMEOUT)[1]
    finally:
        process.kill()
    return process.returncode, lines, rest


def test_ctrl_c_stops_and_leaves_nothing(products, tmp_path):
    big = products("big_for_disk_full", size=1098)
    status, lines, rest = stopped_midway(big, tmp_path, signal.SIGINT)
    assert status == 130, (lines, rest)
    assert "Cancelled: no output was written." in rest
    assert os.listdir(tmp_path) == []


def test_sigterm_stops_like_ctrl_c_with_one_line(products, tmp_path):
    """timeout, systemd, container runtimes and batch schedulers stop a
    command with SIGTERM: the run is cancelled as for Ctrl-C, leaves
    nothing, says so in one line and exits with 143."""
    big = products("big_for_disk_full", size=1098)
    status, lines, rest = stopped_midway(big, tmp_path, signal.SIGTERM)
    assert status == 143, (lines, rest)
    assert rest.strip().splitlines() == [
        "s2eq equalize: Stopped by SIGTERM: no output was written."], rest
    assert os.listdir(tmp_path) == []
