"""Hostile products: metadata is parsed without entities, paths never leave
the product, zips are never extracted."""

import os
import shutil
import zipfile

import pytest

from sentinel2_equalizer.core.product import discovery
from sentinel2_equalizer.core.errors import ProductError


@pytest.fixture
def copy(l1c, tmp_path):
    target = tmp_path / l1c.name
    shutil.copytree(l1c, target)
    return target


def edit_metadata(product, change):
    path = product / "MTD_MSIL1C.xml"
    path.write_text(change(path.read_text(encoding="utf-8")),
                    encoding="utf-8")


def test_external_entity_is_refused(copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")

    def add_entity(text):
        head, body = text.split("?>", 1)
        return (head + "?>\n<!DOCTYPE x [<!ENTITY leak SYSTEM 'file://"
                + str(secret) + "'>]>" + body.replace(
                    "<PROCESSING_BASELINE>", "<PROCESSING_BASELINE>&leak;"))
    edit_metadata(copy, add_entity)
    with pytest.raises(ProductError, match="declares a DTD or entities"):
        discovery.open_product(str(copy))


def test_entity_expansion_bomb_is_refused(copy):
    lol = "".join('<!ENTITY l{} "{}">'.format(
        i, "&l{};".format(i - 1) * 10 if i else "lol") for i in range(10))

    def add_bomb(text):
        head, body = text.split("?>", 1)
        return head + "?>\n<!DOCTYPE x [" + lol + "]>" + body.replace(
            "<PROCESSING_BASELINE>", "<PROCESSING_BASELINE>&l9;")
    edit_metadata(copy, add_bomb)
    with pytest.raises(ProductError, match="declares a DTD or entities"):
        discovery.open_product(str(copy))


@pytest.mark.parametrize("escape", ["../../../etc/passwd",
                                    "/etc/passwd", "C:/Windows/win"])
def test_image_paths_outside_the_product_are_refused(copy, escape):
    def point_outside(text):
        start = text.index("<IMAGE_FILE>") + len("<IMAGE_FILE>")
        end = text.index("</IMAGE_FILE>", start)
        return text[:start] + escape + text[end:]
    edit_metadata(copy, point_outside)
    with pytest.raises(ProductError, match="names a file outside the "
                       "product"):
        discovery.open_product(str(copy))


def test_zip_is_read_without_extracting_anything(products, tmp_path):
    source = products("zip_security", size=366, zipped=True)
    alone = tmp_path / "alone"
    alone.mkdir()
    archive = alone / source.name
    shutil.copy(source, archive)
    product = discovery.open_product(str(archive))
    assert product.band_file(product.granules[0], "B04", 10).startswith(
        "/vsizip/")
    assert os.listdir(alone) == [source.name]
    with zipfile.ZipFile(archive) as z:
        assert all(not os.path.isabs(n) and ".." not in n.split("/")
                   for n in z.namelist())


def test_granule_with_a_parent_path_is_refused(copy):
    def climb(text):
        return text.replace("<IMAGE_FILE>GRANULE/", "<IMAGE_FILE>GRANULE/../",
                            1)
    edit_metadata(copy, climb)
    with pytest.raises(ProductError, match="lists an image outside the "
                       "GRANULE folder"):
        discovery.open_product(str(copy))
