"""The command line: write one product into a folder and print its path.
Run as ``python3 tests/s2products OUTDIR [options]`` (see __init__).
"""

import argparse
import pathlib

from .constants import TILES
from .product import make_product


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Write a synthetic Sentinel-2 product and print its path.")
    p.add_argument("outdir", help="existing folder to write into")
    p.add_argument("--size", type=int, default=366,
                   help="10 m grid width/height, multiple of 6 (10980 = "
                        "full tile)")
    p.add_argument("--level", choices=("L1C", "L2A"), default="L1C")
    p.add_argument("--layout", choices=("compact", "oper"), default="compact")
    p.add_argument("--bands", help="comma-separated bands, e.g. B04,B03,B02")
    p.add_argument("--tiles", default="31UFQ",
                   help=f"comma-separated tiles among {','.join(TILES)}")
    p.add_argument("--tile-grid",
                   help="comma-separated tiles whose fixture placement the "
                        "tiles take (compact neighbours that overlap)")
    p.add_argument("--baseline", help="processing baseline, e.g. 05.09")
    p.add_argument("--sensing", help="sensing start YYYYMMDDTHHMMSS")
    p.add_argument("--zip", action="store_true", help="write a .zip")
    p.add_argument("--jp2-block", type=int, default=None,
                   help="JPEG2000 tile size (default 1024)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sky-seed", type=int, default=None,
                   help="clouds from this seed: the same ground under "
                        "another sky, as on another date")
    p.add_argument("--band-format", choices=("JPEG2000", "GeoTIFF"),
                   default="JPEG2000",
                   help="band files of L2A products: JPEG2000 as ESA "
                        "delivers them, or GeoTIFF (COG)")
    a = p.parse_args(argv)
    out = pathlib.Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    try:
        path = make_product(
            out, level=a.level, layout=a.layout, size=a.size,
            bands=a.bands.split(",") if a.bands else None,
            baseline=a.baseline, tiles=a.tiles.split(","),
            jp2_block=a.jp2_block, zipped=a.zip, seed=a.seed,
            sensing=a.sensing, tile_grid=a.tile_grid, sky_seed=a.sky_seed,
            band_format=a.band_format)
    except (ValueError, FileExistsError) as exc:
        p.error(str(exc))
    print(path)
    return 0
