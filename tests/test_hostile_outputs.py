"""Hostile and broken inputs, first: nothing the user has is written over.

Every file a run writes (the GeoTIFF, a curve file, its report) is refused
before anything is written when it is a file of the product (through a
link too), another output of the same run, a folder, a device or a named
pipe, or a read-only file; a curve file and a report are written whole or
not at all, on a full disk too. Each case checks the exit status (or the
Processing exception), the one line that says why, and that the product
and the output folder are byte for byte as they were."""

import os
import shutil
import stat

from hostile import (band, fingerprint, other_user, qgis_refused, refused,
                     succeeds)
from test_partials import small_disk

KEPT = b"a file the user had"


def test_a_report_over_a_file_of_the_product_is_refused(product, out):
    before = fingerprint(product, out)
    for target, status, message in (
            (band(product), 2, "^--report .* ends in '.jp2', but the report "
             "is an HTML page"),
            (product / "MTD_MSIL1C.xml", 2, "ends in '.xml'"),
            (product / "HTML" / "UserProduct_index.html", 1,
             "^The report .*UserProduct_index.html' is a file of the input "
             "product")):
        refused("curve", product, "-o", out / "c.json", "--report", target,
                status=status, message=message)
    assert fingerprint(product, out) == before


def test_an_output_through_a_link_into_the_product_is_refused(product,
                                                              out):
    (out / "page.html").symlink_to(product / "HTML" /
                                   "UserProduct_index.html")
    (out / "c.json").symlink_to(product / "manifest.safe")
    (out / "rgb.tif").symlink_to(band(product))
    before = fingerprint(product, out)
    refused("curve", product, "-o", out / "new.json", "--report",
            out / "page.html", message="is a file of the input product")
    refused("curve", product, "-o", out / "c.json",
            message="^The curve file .* is a file of the input product")
    refused("equalize", product, "-o", out / "rgb.tif",
            message="^The output .* is a file of the input product")
    assert fingerprint(product, out) == before


def test_a_report_that_is_the_curve_file_is_refused(product, out):
    (out / "page.html").symlink_to(out / "c.json")
    refused("curve", product, "-o", out / "c.json", "--report",
            out / "c.json", status=2, message="ends in '.json'")
    refused("curve", product, "-o", out / "c.json", "--report",
            out / "page.html", message="^The curve file .*c.json' and the "
            "report .*page.html' are the same file")
    assert sorted(os.listdir(out)) == ["page.html"]


def test_a_report_that_is_a_folder_or_in_none_writes_nothing(product, out):
    (out / "pages").mkdir()
    refused("curve", product, "-o", out / "c.json", "--report",
            out / "pages", status=2, message="^--report .*pages' is a "
            "folder. Give a file name ending in .html.")
    refused("curve", product, "-o", out / "c.json", "--report",
            out / "pages.html" / "x.html", message="^The report folder .* "
            "does not exist")
    (out / "pages.html").mkdir()
    refused("curve", product, "-o", out / "c.json", "--report",
            out / "pages.html", status=2, message="^--report .*pages.html' "
            "is a folder")
    assert sorted(os.listdir(out)) == ["pages", "pages.html"]
    assert os.listdir(out / "pages") == os.listdir(out / "pages.html") == []


def test_a_full_disk_keeps_the_curve_and_report_that_were_there(
        product, out, tmp_path):
    with small_disk(tmp_path / "small", "64k") as full:
        for name in ("c.json", "r.html"):
            (full / name).write_bytes(KEPT)
        with open(full / "filler", "wb") as filler:
            try:
                filler.write(bytes(1 << 20))
            except OSError:
                pass                                # the disk is full
        before = fingerprint(full)
        refused("curve", product, "-o", full / "c.json",
                message=r"^Writing .*c.json' failed \(No space left on "
                "device\\). Check that the disk has room")
        # Both files or neither.
        refused("curve", product, "-o", out / "new.json", "--report",
                full / "r.html", message=r"^Writing .*r.html' failed")
        assert fingerprint(full) == before
    assert os.listdir(out) == []


def test_a_read_only_output_is_refused(product, out):
    for name in ("ro.tif", "ro.json", "ro.html"):
        (out / name).write_bytes(KEPT)
        os.chmod(out / name, 0o444)
    before = fingerprint(product, out)
    refused("equalize", product, "-o", out / "ro.tif",
            message="^The output .*ro.tif' is read-only; it was left as it "
            "is. Make it writable, or choose another output file.")
    refused("curve", product, "-o", out / "ro.json",
            message="^The curve file .*ro.json' is read-only")
    refused("curve", product, "-o", out / "new.json", "--report",
            out / "ro.html", message="^The report .*ro.html' is read-only")
    assert fingerprint(product, out) == before
    assert stat.S_IMODE(os.stat(out / "ro.tif").st_mode) == 0o444


def test_a_read_only_output_is_refused_to_another_user(hostile,
                                                       shared_folder):
    user = other_user()
    product = shared_folder / hostile.name
    shutil.copytree(hostile, product)
    out = shared_folder / "out"
    out.mkdir()
    (out / "ro.tif").write_bytes(KEPT)
    os.chmod(out / "ro.tif", 0o444)
    shutil.chown(out, user)
    shutil.chown(out / "ro.tif", user)
    before = fingerprint(product, out)
    refused("equalize", product, "-o", out / "ro.tif", user=user,
            message="^The output .*ro.tif' is read-only")
    assert fingerprint(product, out) == before
    os.chmod(out / "ro.tif", 0o644)     # the user's own file, writable
    assert succeeds("equalize", product, "-o", out / "ro.tif",
                    user=user)["ok"]
    assert sorted(os.listdir(out)) == ["ro.tif"]


def test_a_folder_a_pipe_or_a_device_at_the_output_is_refused(product,
                                                              out):
    os.mkfifo(out / "pipe.tif")
    os.mkfifo(out / "pipe.json")
    os.mkfifo(out / "pipe.html")
    (out / "folder.tif").mkdir()
    if os.geteuid() == 0:
        os.mknod(out / "null.tif", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    before = fingerprint(product, out)
    for name in ("pipe.tif", "null.tif"):
        if os.path.exists(out / name):
            refused("equalize", product, "-o", out / name,
                    message="^The output .*{}' is not a regular file "
                    r"\(a device, a named pipe or a socket\); it was left "
                    "as it is".format(name))
    refused("equalize", product, "-o", out / "folder.tif", status=2,
            message="^--output .*folder.tif' is a folder")
    refused("curve", product, "-o", out / "pipe.json",
            message="^The curve file .* is not a regular file")
    refused("curve", product, "-o", out / "new.json", "--report",
            out / "pipe.html", message="^The report .* is not a regular file")
    assert fingerprint(product, out) == before


def test_a_batch_writes_no_output_over_another(product, out):
    (out / "curve.tif").write_bytes(KEPT)
    before = fingerprint(product, out)
    mine = out / (product.name[:-len(".SAFE")] + ".tif")
    refused("batch", product, "--out-dir", out, "--mosaic", mine,
            message="^The mosaic '{}' and the output '{}' are the same "
            "file. Give each its own name.$".format(mine, mine))
    refused("batch", product, "--out-dir", out, "--curve", out / "curve.tif",
            "--mosaic", out / "curve.tif", message="^The curve file .* and "
            "the mosaic .* are the same file")
    assert fingerprint(product, out) == before


# ---------------------------------------------------------------------------
# The same in QGIS.

def test_qgis_refuses_what_the_command_line_refuses(qgis_app, product, out):
    (out / "ro.tif").write_bytes(KEPT)
    os.chmod(out / "ro.tif", 0o444)
    os.mkfifo(out / "pipe.tif")
    (out / "rgb.tif").symlink_to(band(product))
    (out / "c.json").symlink_to(product / "MTD_MSIL1C.xml")
    (out / "ro.json").write_bytes(KEPT)
    os.chmod(out / "ro.json", 0o444)
    before = fingerprint(product, out)
    for name, message in (("ro.tif", "is read-only"),
                          ("pipe.tif", "is not a regular file"),
                          ("rgb.tif", "is a file of the input product")):
        qgis_refused({"INPUT": str(product), "OUTPUT": str(out / name)},
                     "^The output .*{}' {}".format(name, message))
    qgis_refused({"INPUTS": [str(product)], "OUTPUT": str(out / "c.json")},
                 "^The curve file .*c.json' is a file of the input product",
                 algorithm="s2eq:curve")
    qgis_refused({"INPUTS": [str(product)], "OUTPUT": str(out / "ro.json")},
                 "^The curve file .*ro.json' is read-only",
                 algorithm="s2eq:curve")
    assert fingerprint(product, out) == before

