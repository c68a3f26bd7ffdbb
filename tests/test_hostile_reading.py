"""Hostile and broken inputs, second: nothing outside the product is read.

A band or metadata file reached through a link that leads out of the
product's folder, a zip member stored as a link, an encrypted zip or
member, anything but a regular file: each is refused by the name the user
knows (the link, never what it points at), with nothing read from it and
nothing written. Products that are not one product (a zip of two, a link
in a loop) say so."""

import os
import re
import shutil
import zipfile

from hostile import (band, fingerprint, qgis_refused, refused, set_zip_flags,
                     succeeds, zipped)

#: A file of the product reached through a link that leads out of it.
LINK_OUT = re.escape("is a symbolic link to a file outside the product (or "
                     "lies in a folder that is one); it was not read")


def test_a_band_linked_out_of_the_product_is_not_read(product, secret,
                                                      out):
    linked = band(product)
    linked.unlink()
    linked.symlink_to(secret)
    before = fingerprint(product, out, secret)
    for verify in ("--verify", "--no-verify"):
        message = refused("equalize", product, "-o", out / "rgb.tif",
                          verify, message="^'{}' {}".format(linked,
                                                            LINK_OUT))
        assert str(secret) not in message
    refused("curve", product, "-o", out / "c.json",
            message="^'{}' {}".format(linked, LINK_OUT))
    assert fingerprint(product, out, secret) == before


def test_a_granule_folder_linked_out_of_the_product_is_not_read(
        product, tmp_path, out):
    (granule,) = (product / "GRANULE").iterdir()
    moved = tmp_path / "elsewhere" / granule.name
    moved.parent.mkdir()
    shutil.move(str(granule), str(moved))
    granule.symlink_to(moved)
    before = fingerprint(product, out, moved)
    message = refused("equalize", product, "-o", out / "rgb.tif",
                      message="^'{}.*' {}".format(granule, LINK_OUT))
    assert str(moved) not in message
    assert fingerprint(product, out, moved) == before


def test_metadata_linked_out_of_the_product_is_not_read(product, secret,
                                                        out):
    (product / "MTD_MSIL1C.xml").unlink()
    (product / "MTD_MSIL1C.xml").symlink_to(secret)
    refused("equalize", product, "-o", out / "rgb.tif",
            message="^'{}' {}".format(product / "MTD_MSIL1C.xml", LINK_OUT))
    assert os.listdir(out) == []


def test_a_manifest_linked_out_stops_a_verified_run_only(product, secret,
                                                         out):
    (product / "manifest.safe").unlink()
    (product / "manifest.safe").symlink_to(secret)
    refused("equalize", product, "-o", out / "rgb.tif",
            message="^'{}' {}.* give --no-verify to run without the check"
            .format(product / "manifest.safe", LINK_OUT))
    assert os.listdir(out) == []
    assert succeeds("equalize", product, "-o", out / "rgb.tif",
                    "--no-verify")["ok"]


def test_a_pipe_in_place_of_a_band_is_not_read(product, out):
    pipe = band(product, "B03")
    pipe.unlink()
    os.mkfifo(pipe)
    refused("equalize", product, "-o", out / "rgb.tif", "--no-verify",
            message="^'{}' is not a regular file".format(pipe))
    assert os.listdir(out) == []


def test_a_link_stored_in_a_zip_is_not_read(product, secret, tmp_path, out):
    archive = zipped(product, tmp_path / "zip")
    member = "{}/{}".format(product.name, band(product).relative_to(
        product).as_posix())
    with zipfile.ZipFile(archive) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == member:
                info.external_attr = (0o120777 << 16)     # a link
                data = str(secret).encode()
            target.writestr(info, data)
    before = fingerprint(archive, out)
    refused("equalize", archive, "-o", out / "rgb.tif", "--no-verify",
            message="^'{}/{}' is a symbolic link stored in the zip; links "
            "are no part of a product, so it was not read".format(
                archive, member))
    assert fingerprint(archive, out) == before


def test_an_encrypted_zip_or_member_is_named_as_such(product, tmp_path,
                                                     out):
    whole = zipped(product, tmp_path / "whole")
    with zipfile.ZipFile(whole) as archive:
        members = archive.namelist()
    for member in members:
        set_zip_flags(whole, member, 0x1)
    refused("equalize", whole, "-o", out / "rgb.tif",
            message="^'{}/{}/MTD_MSIL1C.xml' is encrypted \\(the zip is "
            "password-protected\\); it was not read".format(whole,
                                                            product.name))
    one = zipped(product, tmp_path / "one")
    member = "{}/{}".format(product.name, band(product, "B03").relative_to(
        product).as_posix())
    set_zip_flags(one, member, 0x1)
    for verify in ("--verify", "--no-verify"):
        refused("equalize", one, "-o", out / "rgb.tif", verify,
                message="^'{}/{}' is encrypted".format(one, member))
    assert os.listdir(out) == []


def test_a_zip_of_two_products_is_refused(product, tmp_path, out):
    second = product.parent / product.name.replace("20230614T130000",
                                                   "20230614T140000")
    shutil.copytree(product, second)
    archive = shutil.make_archive(str(tmp_path / "two"), "zip",
                                  root_dir=product.parent)
    refused("equalize", archive, "-o", out / "rgb.tif",
            message="^Zip '{}' holds 2 products \\({}, {}\\). Give a zip of "
            "one product".format(archive, product.name, second.name))
    assert os.listdir(out) == []


def test_a_link_in_a_loop_or_to_nothing_is_named_as_such(tmp_path, out):
    loop = tmp_path / "S2B_MSIL1C_loop.zip"
    loop.symlink_to(loop)
    refused("equalize", loop, "-o", out / "rgb.tif",
            message="^'{}' is a symbolic link in a loop".format(loop))
    dangling = tmp_path / "S2B_MSIL1C_gone.zip"
    dangling.symlink_to(tmp_path / "gone.zip")
    message = refused("equalize", dangling, "-o", out / "rgb.tif",
                      message="^'{}' is a symbolic link to a file that does "
                      "not exist".format(dangling))
    assert "gone.zip" not in message.replace(dangling.name, "")


def test_qgis_reads_nothing_outside_the_product(qgis_app, product, secret,
                                                out):
    linked = band(product)
    linked.unlink()
    linked.symlink_to(secret)
    for verify in (True, False):
        qgis_refused({"INPUT": str(product), "VERIFY": verify,
                      "OUTPUT": str(out / "rgb.tif")},
                     "^'{}' {}".format(linked, LINK_OUT))
    assert os.listdir(out) == []
