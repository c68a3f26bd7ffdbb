"""Synthetic but structurally faithful Sentinel-2 products.

Real products cannot be downloaded in the test environment, so this package
writes small look-alikes: the real SAFE folder layouts and file names, root and
granule metadata XML carrying the elements GDAL's SENTINEL2 driver (and any
careful consumer) relies on, and georeferenced uint16 JPEG2000 bands with a
plausible scene (fields, forest, water, clouds with saturated cores, cloud
shadows and a no-data wedge at the swath edge).

Values are a pure function of (seed, band, map coordinates), so neighbouring
granules of a multi-granule product agree wherever they overlap.

Only numpy and the GDAL Python bindings are needed. Command line use::

    python3 tests/s2products OUTDIR [--size N] [--level L1C|L2A]
        [--layout compact|oper] [--bands B04,B03,B02] [--tiles 31UFQ,31UGQ]
        [--tile-grid 31UFQ,31UGQ] [--zip] [--jp2-block N] [--seed N]
        [--baseline NN.NN] [--sensing YYYYMMDDTHHMMSS] [--sky-seed N]
        [--band-format JPEG2000|GeoTIFF]

The modules, from the entry point down:

* product: make_product, its arguments checked;
* safe: the SAFE folder tree and its zip;
* granule: one granule's band files and quality masks;
* root_metadata, tile_metadata, datastrip, manifest, quality, stubs: the
  metadata, report and catalogue files, and footprint, the valid area
  they describe;
* render, radiometry, scene, noise: the pixels, from procedural noise to
  the landscape and sky, their reflectance and their digital numbers;
* derived: coarser bands, resampling and the true colour image;
* files: writing a JPEG2000 raster or a text file;
* grid, names, constants: where granules lie, what everything is called,
  and the numbers all of them share;
* cli (run through __main__): the command line.
"""

from .constants import (ALL_BANDS, BAND_RESOLUTION, BANDS_10M, BANDS_20M,
                        BANDS_60M, L2A_BANDS, L2A_FOLDER_BANDS, TILES)
from .derived import block_mean
from .grid import granule_grid
from .product import make_product
from .render import scene_classification
from .scene import scene_layers

__all__ = [
    "ALL_BANDS", "BANDS_10M", "BANDS_20M", "BANDS_60M", "L2A_BANDS",
    "L2A_FOLDER_BANDS", "BAND_RESOLUTION", "TILES", "make_product",
    "scene_layers", "granule_grid", "block_mean", "scene_classification",
]
