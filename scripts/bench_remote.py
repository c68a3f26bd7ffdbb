"""make bench cases of products read over the network (scripts/bench.py
runs them, each in a fresh process): the size's product as a STAC item
with Cloud Optimized GeoTIFF assets and as a SAFE zip, served over
loopback HTTP by tests/http_server.py (a process of its own, range
requests, counting the bytes it sends), against the same runs from the
same files on disk:

  lcog, hcog       the item's whole run, from disk and over HTTP
  lcog60, hcog60   its 60 m quick-look (the COGs' overviews)
  lcogarea, hcogarea   a 10 km x 10 km area (bench_area.area_extent)
  lzip, hzip       the SAFE zip's whole run, from disk and over HTTP
  lzip60, hzip60   its 60 m quick-look (reduced JPEG2000 levels)
  lziparea, hziparea   the 10 km area

then hX/lX for each, and the bytes each HTTP case fetched against the
bytes of the band files it reads (under 10 % for hcog60 is the mark).
The item and the zip are made once per size in .build/bench/remote-SIZE/;
the item's asset hrefs are relative, so the same item file serves both
ways.
"""

import json
import os
import zipfile

from bench_area import AREA_METRES, area_extent
from bench_common import BANDS, CACHE, output

KINDS = {"cog": "item.json", "zip": "product.zip"}
MODES = {"": {}, "60": {"resolution": 60}, "area": None}
CASES = tuple(where + kind + mode for kind in KINDS for mode in MODES
              for where in ("l", "h"))
#: The COG assets' block size, in pixels: Earth Search's.
COG_BLOCK = 1024
#: The quick-look's mark: bytes fetched against the assets' bytes.
QUICK_LOOK_SHARE = 0.10


def applies(case, size):
    """Whether ``case`` runs at ``size``: the area needs a product wider
    than it."""
    return not (case in CASES and case.endswith("area")
                and size * 10.0 <= AREA_METRES)


def folder(size):
    return os.path.join(CACHE, "remote-{}".format(size))


def prepare(cases, size, path):
    """The COG assets, the item and the zip of the product at ``path``,
    once per size."""
    if not any(case in CASES for case in cases):
        return
    import stac_fixtures as fixtures
    target = folder(size)
    item = os.path.join(target, KINDS["cog"])
    if not os.path.exists(item):
        os.makedirs(target, exist_ok=True)
        facts = fixtures.cog_assets(path, os.path.join(target, "cogs"),
                                    block=COG_BLOCK)
        document = fixtures.l1c_jp2_item(path, facts, "")
        for key, asset in document["assets"].items():
            band = next(b for b, names in fixtures.BANDS.items()
                        if names[0] == key)
            asset["href"] = "cogs/{}.tif".format(band)
            asset["type"] = fixtures.COG_TYPE
        fixtures.write_json(item + ".partial", document)
        os.replace(item + ".partial", item)
    archive = os.path.join(target, KINDS["zip"])
    if not os.path.exists(archive):
        top = os.path.dirname(os.path.abspath(path))
        with zipfile.ZipFile(archive + ".partial", "w",
                             zipfile.ZIP_STORED) as made:
            for base, _, names in os.walk(path):
                for name in names:
                    full = os.path.join(base, name)
                    made.write(full, os.path.relpath(full, top))
        os.replace(archive + ".partial", archive)


def _arguments(mode, path):
    if mode == "area":
        return {"extent": area_extent(path)}
    return dict(MODES[mode])


def run(name, path, out, tables):
    """Run case ``name`` on the size's product (at ``path``), writing
    ``out``; an HTTP case leaves the bytes it fetched beside ``out``."""
    from http_server import serving
    from sentinel2_equalizer import api
    where, kind, mode = name[0], name[1:4], name[4:]
    served_folder = _folder_of(path)
    arguments = _arguments(mode, path)
    if where == "l":
        api.equalize(os.path.join(served_folder, KINDS[kind]), out,
                     bands=BANDS, **arguments)
        return
    with serving(served_folder) as server:
        api.equalize(server.url(KINDS[kind]), out, bands=BANDS, **arguments)
        fetched = server.bytes_sent("cogs/" if kind == "cog"
                                    else KINDS["zip"])
    with open(out + ".fetched.json", "w") as handle:
        json.dump({"fetched": fetched}, handle)


def _folder_of(path):
    """The remote-SIZE folder of the bench product at ``path``."""
    for name in os.listdir(CACHE):
        candidate = os.path.join(CACHE, name)
        if name.startswith("remote-") and _made_from(candidate, path):
            return candidate
    raise SystemExit("no remote folder for {}".format(path))


def _made_from(candidate, path):
    with open(os.path.join(candidate, KINDS["cog"])) as handle:
        return json.load(handle)["properties"]["s2:product_uri"] == \
            os.path.basename(os.path.abspath(path))


def asset_bytes(size, kind):
    """The bytes of the band files a run of ``kind`` reads."""
    base = folder(size)
    if kind == "cog":
        return sum(os.path.getsize(os.path.join(base, "cogs", b + ".tif"))
                   for b in BANDS)
    return os.path.getsize(os.path.join(base, KINDS["zip"]))


def report(size, row, ratios, path):
    """Print hX/lX and the bytes each HTTP case of ``row`` fetched."""
    for kind in KINDS:
        for mode in MODES:
            remote, local = "h" + kind + mode, "l" + kind + mode
            if remote in row and local in row:
                print("{:>6} {}/{} {}".format(size, remote, local,
                                              ratios.text(remote, local)),
                      flush=True)
            if remote not in row:
                continue
            with open(output(remote) + ".fetched.json") as handle:
                fetched = json.load(handle)["fetched"]
            total = asset_bytes(size, kind)
            share = fetched / float(total)
            print("{:>6} {} fetched {:.1f} MB of {:.1f} MB ({:.1f} %){}"
                  .format(size, remote, fetched / 1e6, total / 1e6,
                          100.0 * share,
                          (" {} the {:.0f} % mark".format(
                              "under" if share < QUICK_LOOK_SHARE
                              else "NOT under", 100 * QUICK_LOOK_SHARE)
                           if remote == "hcog60" else "")), flush=True)
