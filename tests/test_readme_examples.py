"""The examples of README.md's "Catalogues and cloud storage", run as
written against stand-ins of the services on 127.0.0.1.

The code blocks are read from README.md itself, each found by words it
holds; a block that is gone or changed past recognition fails the test
that runs it, by name. Only the host part of a URL and the credentials
are changed (``runnable``), and what a block leaves for the reader to fill
in (``$PRODUCT``, the ``…`` of a key):

* Earth Search's item URL: a folder tree served by tests/http_server.py,
  the item (Earth Search's ``sentinel-2-c1-l2a`` layout, COG assets) at
  the URL's very path;
* the ``pystac_client`` search, then ``s2eq curve`` and ``s2eq mosaic`` of
  the ItemCollection it saves: tests/stac_api.py's STAC API under
  ``/v1``, whose items' COG assets the HTTP server serves;
* the Planetary Computer's ``s2eq equalize item.json``: an item of its
  layout, whose assets the server refuses without their signature. The
  Python block before it needs Microsoft's token service, and is not run;
* the Copernicus Data Space's S3 block: a bucket ``eodata`` of
  ``rclone serve s3`` (tests/s3_server.py), the .SAFE product at the
  block's key, plain HTTP (``AWS_HTTPS=NO``);
* the batch on object storage: its ``s2eq batch --stac`` command, on the
  command's own local cluster (the TLS scheduler's flags are dropped: the
  workers of that block run on other machines), outputs to the bucket
  ``my-bucket``.

Each run's outputs are checked: files and objects written, RGB GeoTIFFs
of the resolution asked, the pixels of the same product equalized from
its .SAFE folder on disk (from the same item on disk for the 60 m
quick-look, which reads the COGs' overviews), and no secret in the log
or the tags.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import numpy as np
import pytest
import rasterio

import stac_fixtures as fixtures
from conftest import ROOT
from http_server import serving
from s2eq_runner import TIMEOUT, environment
from s2products import make_product
from s3_server import ACCESS_KEY, SECRET_KEY, S3Server, no_secret, pypi_folder
from stac_api import footprint, serving_api

README = os.path.join(ROOT, "README.md")
SECTION = "## Catalogues and cloud storage"
#: The host part of every Earth Search URL of the section.
EARTH_SEARCH = "https://earth-search.aws.element84.com"
#: The item the README's Earth Search example names.
ITEM_PATH = ("v1/collections/sentinel-2-c1-l2a/items/"
             "S2B_T31UFQ_20230614T105629_L2A")
#: 10 m pixels a side of the test product: small, as tests/test_stac.py's.
SIZE = 366
#: The query of a Planetary Computer asset URL; its sig is the secret.
SIGNATURE = "sig=Zm9vYmFyU2VjcmV0U2lnbmF0dXJl%3D"
PC_QUERY = ("?st=2023-06-14T10%3A00%3A00Z&se=2023-06-14T11%3A00%3A00Z"
            "&sp=rl&sv=2021-06-08&sr=c&skoid=0a1b2c3d&" + SIGNATURE)

FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*$", re.M | re.S)


# --- README blocks, made runnable ---------------------------------------

def section_blocks():
    """[(language, code)] of the fenced blocks of README.md's section."""
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    start = text.find("\n" + SECTION + "\n")
    if start < 0:
        pytest.fail("README.md has no section {!r}".format(SECTION))
    end = text.find("\n## ", start + len(SECTION) + 2)
    body = text[start:end if end >= 0 else len(text)]
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(body)]


def readme_block(language, *words):
    """The one ``language`` block of the section holding all ``words``;
    the test fails, naming them, if there is none or more than one."""
    found = [code for lang, code in section_blocks()
             if lang == language and all(w in code for w in words)]
    if len(found) != 1:
        pytest.fail("README.md's {!r} should have one ```{} block holding "
                    "{}; it has {}: the README and {} are out of step".format(
                        SECTION, language, words, len(found),
                        os.path.basename(__file__)))
    return found[0]


def runnable(code, **substitutions):
    """``code`` with each named substitution, ``name=(old, new)``, made
    wherever ``old`` occurs; ``old`` must occur."""
    for name, (old, new) in substitutions.items():
        if old not in code:
            pytest.fail("The README block no longer holds {!r} (the {} "
                        "this test replaces):\n{}".format(old, name, code))
        code = code.replace(old, new)
    return code


def command_of(code, start):
    """The one command of a shell block that begins with ``start``, its
    continued lines joined and its comment left out, as a list of
    words."""
    joined = code.replace("\\\n", " ")
    found = [line for line in joined.splitlines()
             if line.strip().startswith(start)]
    if len(found) != 1:
        pytest.fail("The README block should hold one {!r} command:\n{}"
                    .format(start, code))
    return shlex.split(found[0], comments=True)


def option(words, flag):
    """The value given to ``flag`` in a command's ``words``."""
    if flag not in words[:-1]:
        pytest.fail("The README's command has no {}: {}".format(
            flag, " ".join(words)))
    return words[words.index(flag) + 1]


def without_flags(words, dropped):
    """``words`` less each flag that ``dropped(flag)`` is true of and the
    value after it."""
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("--") and dropped(word):
            skip = True
        else:
            kept.append(word)
    return kept


# --- running them ---------------------------------------------------------

@pytest.fixture
def shell(tmp_path):
    """Runs a README shell or Python block in a fresh working folder, with
    this checkout's ``s2eq`` (scripts/s2eq) first on PATH, pystac-client
    importable (.build/pypi), and no AWS_ variable of this process."""
    work = tmp_path / "work"
    work.mkdir()
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    os.symlink(os.path.join(ROOT, "scripts", "s2eq"),
               str(bin_folder / "s2eq"))
    base = {k: v for k, v in environment().items()
            if not k.startswith("AWS_")}
    base["PYTHONPATH"] = os.pathsep.join([base["PYTHONPATH"],
                                          pypi_folder()])
    base["PATH"] = os.pathsep.join([str(bin_folder), base["PATH"]])
    base["PYTHON"] = sys.executable

    def run(code, language="sh", **env):
        command = (["bash", "-e", "-c", code] if language == "sh"
                   else [sys.executable, "-c", code])
        done = subprocess.run(command, cwd=str(work), env=dict(base, **env),
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TIMEOUT)
        assert done.returncode == 0, "{}\n--- stdout\n{}\n--- stderr\n{}" \
            .format(code, done.stdout, done.stderr)
        return done
    run.work = work
    return run


def s2eq(*args):
    """Run this checkout's s2eq to its end, checking it succeeds."""
    done = subprocess.run(
        [os.path.join(ROOT, "scripts", "s2eq")] + [str(a) for a in args],
        env=dict(environment(), PYTHON=sys.executable),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return done


def picture(path):
    """(pixels, transform, crs, band count, type) of an image."""
    with rasterio.open(str(path)) as image:
        return (image.read(), image.transform, image.crs, image.count,
                image.dtypes[0], image.driver)


def check_rgb(path, resolution):
    """``path`` is an RGB GeoTIFF of ``resolution`` metres, with pixels."""
    assert os.path.exists(str(path)), path
    pixels, transform, crs, count, dtype, driver = picture(path)
    assert driver == "GTiff" and count == 3 and dtype == "uint8"
    assert (transform.a, -transform.e) == (resolution, resolution)
    assert crs.to_epsg() == 32631
    assert pixels.max() > 0


def same_picture(output, twin):
    made, expected = picture(output), picture(twin)
    return np.array_equal(made[0], expected[0]) and made[1:] == expected[1:]


def all_tags(path):
    """Every tag of the image and of its bands, as one text."""
    with rasterio.open(str(path)) as image:
        tags = [image.tags()] + [image.tags(b) for b in image.indexes]
    return json.dumps(tags)


# --- the products and their stand-ins ------------------------------------

@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """A small L2A product of tile 31UFQ, sensed 2023-06-14 by S2B, with
    its bands as COG assets (c1-l2a layout) and as COGs with the offset
    taken out (sentinel-2-l2a layout), in a folder the tests serve."""
    folder = tmp_path_factory.mktemp("readme")
    # JPEG2000 tiles of the COGs' block size: the 1 % sample of the
    # histograms, drawn block by block, is then the same from both.
    safe = make_product(folder, level="L2A", size=SIZE,
                        bands=["B04", "B03", "B02", "SCL"],
                        jp2_block=fixtures.COG_BLOCK)
    return {"folder": folder, "safe": safe,
            "cogs": fixtures.cog_assets(safe, folder / "cogs"),
            "cogs0": fixtures.cog_assets(safe, folder / "cogs0",
                                         remove_offset=True)}


def placed(item, safe):
    """``item`` with the product's true footprint as its bbox and
    geometry, as a catalogue has it (a search by area finds it)."""
    west, south, east, north = footprint(safe)
    item = dict(item, bbox=[west, south, east, north])
    item["geometry"] = {"type": "Polygon", "coordinates": [[
        [west, south], [east, south], [east, north], [west, north],
        [west, south]]]}
    return item


def other_dates(item):
    """Items the README's searches must not choose: the same tile a
    month later, and the same day under 60 % cloud."""
    later = dict(item, id=item["id"].replace("20230614", "20230714"),
                 properties=dict(item["properties"],
                                 datetime="2023-07-14T10:56:29.024000Z"))
    cloudy = dict(item, id=item["id"] + "-cloudy",
                  properties=dict(item["properties"],
                                  **{"eo:cloud_cover": 60.0}))
    return [later, cloudy]


@pytest.fixture(scope="module")
def http(product):
    with serving(product["folder"]) as server:
        yield server


# --- the examples ------------------------------------------------------------

def test_earth_search_item_url(product, http, shell, tmp_path):
    code = readme_block("sh", "s2eq equalize", EARTH_SEARCH + "/" + ITEM_PATH)
    item = fixtures.c1_l2a_item(product["safe"], product["cogs"],
                                http.url("cogs/"))
    assert item["id"] == ITEM_PATH.rsplit("/", 1)[1]
    # The item at the URL's path, a file without an extension.
    path = product["folder"] / ITEM_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    fixtures.write_json(path, placed(item, product["safe"]))
    http.reset_log()
    shell(runnable(code, host=(EARTH_SEARCH, http.url("").rstrip("/"))))

    output = shell.work / option(command_of(code, "s2eq equalize"), "-o")
    check_rgb(output, 60)
    assert http.requests("/" + ITEM_PATH)
    # A quick-look: part of each band's COG, its overviews, came.
    sent = http.bytes_sent("cogs/B04.tif")
    assert 0 < sent < os.path.getsize(str(product["folder"] / "cogs" /
                                          "B04.tif"))
    # At 60 m the COGs' overviews are read (their levels halve, so the
    # 40 m one, resampled), not the 60 m files of the .SAFE folder: the
    # same item read from disk is the picture to match.
    local = fixtures.write_json(tmp_path / "item.json", placed(
        fixtures.c1_l2a_item(product["safe"], product["cogs"],
                             (product["folder"] / "cogs").as_uri() + "/"),
        product["safe"]))
    expected = tmp_path / "local.tif"
    s2eq("equalize", local, "-o", expected, "--resolution", "60")
    assert same_picture(output, expected)


def test_search_then_curve_and_mosaic(product, http, shell, tmp_path):
    search = readme_block("python", "pystac_client.Client.open",
                          "sentinel-2-c1-l2a")
    saved = re.search(r'save_object\("([^"]+)"\)', search)
    assert saved, "the search block saves no ItemCollection:\n" + search
    saved = saved.group(1)
    commands = readme_block("sh", "s2eq curve " + saved, "s2eq mosaic")
    item = placed(fixtures.c1_l2a_item(product["safe"], product["cogs"],
                                       http.url("cogs/")), product["safe"])
    with serving_api([item] + other_dates(item), root="v1/") as api:
        host = api.url[:-len("/v1/")]
        shell(runnable(search, host=(EARTH_SEARCH, host)), language="python")
        assert api.searches, "the API was never searched"
    collection = json.loads((shell.work / saved).read_text())
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == [item["id"]]

    shell(commands)
    curve = re.search(r"s2eq curve \S+ -o (\S+)", commands).group(1)
    mosaic = re.search(r"s2eq mosaic \S+ -o (\S+)", commands).group(1)
    assert json.loads((shell.work / curve).read_text())
    check_rgb(shell.work / mosaic, 10)
    # The same two commands on the .SAFE folder give the same picture.
    s2eq("curve", product["safe"], "-o", tmp_path / "curve.json")
    s2eq("mosaic", product["safe"], "-o", tmp_path / "safe.tif",
         "--curve", tmp_path / "curve.json")
    assert same_picture(shell.work / mosaic, tmp_path / "safe.tif")


def test_planetary_computer_item_file(product, http, shell, tmp_path):
    code = readme_block("sh", "s2eq equalize item.json")
    item = fixtures.planetary_item(product["safe"], product["cogs"],
                                   http.url("cogs/"), PC_QUERY)
    fixtures.write_json(shell.work / "item.json", item)
    http.require_query("sig")
    try:
        done = shell(code)
    finally:
        http.clear_faults()
    output = shell.work / option(command_of(code, "s2eq equalize"), "-o")
    check_rgb(output, 10)
    # The assets were fetched with their signature, which went nowhere.
    assert [r for r in http.requests("cogs/B04.tif") if r.status in (200,
                                                                     206)]
    secret = SIGNATURE.split("=", 1)[1]
    assert "MB over the network." in done.stderr
    tags = all_tags(output)
    assert json.loads(tags)[0]["S2EQ_PRODUCT"] == item["id"]
    for text in (done.stdout, done.stderr, tags):
        assert secret not in text and "sig=" not in text, text
    assert secret.encode() not in output.read_bytes()
    expected = tmp_path / "safe.tif"
    s2eq("equalize", product["safe"], "-o", expected)
    assert same_picture(output, expected)


def test_copernicus_data_space_s3(product, shell, tmp_path):
    code = readme_block("sh", "AWS_S3_ENDPOINT=eodata.dataspace.copernicus.eu",
                        "s3://eodata/")
    key = re.search(r's3://eodata/(\S+)/\$PRODUCT\.SAFE', code)
    assert key, "no s3://eodata/…/$PRODUCT.SAFE in the block:\n" + code
    name = os.path.basename(str(product["safe"]))[:-len(".SAFE")]
    with S3Server(tmp_path / "s3") as store:
        bucket = store.bucket("eodata")
        shutil.copytree(str(product["safe"]), os.path.join(
            bucket, key.group(1), name + ".SAFE"))
        done = shell(runnable(
            code,
            endpoint=("=eodata.dataspace.copernicus.eu",
                      "={}\nexport AWS_HTTPS=NO".format(store.endpoint)),
            key=("AWS_ACCESS_KEY_ID=…", "AWS_ACCESS_KEY_ID=" + ACCESS_KEY),
            secret=("AWS_SECRET_ACCESS_KEY=…",
                    "AWS_SECRET_ACCESS_KEY=" + SECRET_KEY)),
            PRODUCT=name)
        read = [entry for entry in store.log if entry[0] == "GET"
                and "/{}.SAFE/".format(name) in entry[1]]
    assert read, "nothing was read from the bucket"
    output = shell.work / option(command_of(code, "s2eq equalize"), "-o")
    check_rgb(output, 10)
    no_secret(done.stdout, done.stderr, all_tags(output))
    # The manifest's checksums are verified, as on disk.
    assert "Band files verified against" in done.stderr, done.stderr
    expected = tmp_path / "safe.tif"
    s2eq("equalize", product["safe"], "-o", expected)
    assert same_picture(output, expected)


def test_batch_on_object_storage(product, http, shell, tmp_path):
    code = readme_block("sh", "s2eq batch --stac " + EARTH_SEARCH)
    words = without_flags(
        command_of(code, "s2eq batch"),
        lambda flag: flag == "--scheduler" or flag.startswith("--tls-"))
    # The workers' block is left out, so the TLS files must be too.
    assert not [w for w in words if w.endswith(".pem") or "tls://" in w]
    batch = " ".join(shlex.quote(w) for w in words)
    out_dir = option(words, "--out-dir")
    assert out_dir.startswith("s3://my-bucket/")
    collection = option(words, "--collection")
    bbox = option(words, "--bbox")
    # An item of each of Earth Search's L2A collections, the same day: the
    # search names one.
    c1 = placed(fixtures.c1_l2a_item(product["safe"], product["cogs"],
                                     http.url("cogs/")), product["safe"])
    old = placed(fixtures.l2a_item(product["safe"], product["cogs0"],
                                   http.url("cogs0/")), product["safe"])
    chosen = {i["collection"]: i for i in (c1, old)}[collection]
    with S3Server(tmp_path / "s3") as store:
        store.bucket("my-bucket")
        with serving_api([c1, old] + other_dates(chosen), root="v1/") as api:
            host = api.url[:-len("/v1/")]
            done = shell(runnable(batch, host=(EARTH_SEARCH, host)),
                         **store.environment())
            assert api.searches and all(
                collection in json.dumps(asked) for asked in api.searches)
        objects = store.objects("my-bucket")
    # One object, of the one item chosen, under the prefix.
    prefix = out_dir[len("s3://my-bucket/"):]
    assert objects == ["{}/{}.tif".format(
        prefix, chosen["properties"]["s2:product_uri"][:-len(".SAFE")])]
    written = os.path.join(store.folder, "my-bucket", objects[0])
    check_rgb(written, 10)
    expected = tmp_path / "area.tif"
    s2eq("equalize", product["safe"], "--bbox", bbox, "-o", expected)
    assert same_picture(written, expected)
    no_secret(done.stdout, done.stderr, all_tags(written))
