"""The products of the mosaic tests (test_mosaic*.py), and how those read
a mosaic: small products of neighbouring tiles, which overlap as real
tiles do and agree where they overlap, and of the next UTM zone.

conftest.py loads this module as a plugin, so that its fixtures are there
for every test module; ``read`` and the constants are imported by name.
"""

import pytest
import rasterio

BANDS = ("B04", "B03", "B02")
NEIGHBOURS = ("31UFQ", "31UGQ")


@pytest.fixture(scope="module")
def tile(products):
    """A small product of ``tile``; neighbours overlap as real tiles do."""
    def make(name, tile, **kwargs):
        return products("mosaic-" + name, size=366, tiles=(tile,),
                        tile_grid=NEIGHBOURS if tile in NEIGHBOURS else None,
                        bands=BANDS, jp2_block=128, **kwargs)
    return make


@pytest.fixture(scope="module")
def west(tile):
    return tile("west", "31UFQ")


@pytest.fixture(scope="module")
def east(tile):
    return tile("east", "31UGQ")


def read(path):
    """Pixels, mask, CRS, transform and tags of a written GeoTIFF."""
    with rasterio.open(path) as img:
        return {"rgb": img.read().astype(int), "mask": img.dataset_mask() > 0,
                "crs": img.crs, "transform": img.transform,
                "tags": img.tags()}
