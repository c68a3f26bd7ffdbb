"""s2eq batch with no shared disk: products that are STAC items on an
HTTP server (an ItemCollection's URL, or a STAC API search with --stac),
outputs in an S3 bucket (rclone serve s3), on a real Dask scheduler and
two workers, each in folders of its own. Only the command reads the list
of products; the workers read the items and their assets over HTTP and
upload the outputs. A second run reads the objects' tags with range
requests and skips them."""

import json
import os
import shutil

import pytest

from dask_processes import DaskProcesses
from s2eq_runner import (environment, error_line, run_json, run_s2eq,
                         same_pixels)
from s3_server import client_environment, no_secret, pypi_folder
from http_server import serving
from stac_api import item_collection, l1c_item, serving_api

BUCKET = "batch"


@pytest.fixture(scope="module")
def served(dates, tmp_path_factory):
    """(base URL, folder) of an HTTP server of a folder holding the two
    dates' products; the items' ItemCollection goes there too."""
    folder = tmp_path_factory.mktemp("served")
    for number, product in enumerate(dates):
        shutil.copytree(str(product), str(
            folder / str(number) / os.path.basename(str(product))))
    with serving(folder) as server:
        yield server.url(""), folder


def items_of(served_folder, base, clouds):
    """An L1C item of each product in ``served_folder``, its assets on the
    HTTP server at ``base``, with the cloud covers ``clouds``."""
    products = sorted(
        os.path.join(str(served_folder), number, name)
        for number in os.listdir(str(served_folder))
        if os.path.isdir(os.path.join(str(served_folder), number))
        for name in os.listdir(os.path.join(str(served_folder), number)))

    def url(path):
        return base + os.path.relpath(path, str(served_folder))
    return [l1c_item(p, url, cloud) for p, cloud in zip(products, clouds)]


s3_environment = client_environment


@pytest.fixture(scope="module")
def apart_cluster(s3, tmp_path_factory):
    """A scheduler and two workers started with Dask's own command line,
    each worker in its own working folder, Dask local directory and
    TMPDIR, with the store's credentials in their environment."""
    cluster = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        cluster.start(worker_env=s3_environment(s3), apart=True)
        yield cluster
    finally:
        cluster.stop()


def test_a_batch_over_an_item_collection_url_writes_to_a_bucket(
        served, s3, apart_cluster, tmp_path):
    base, folder = served
    items = items_of(folder, base, [10, 20])
    with open(str(folder / "search.json"), "w") as handle:
        json.dump(item_collection(items), handle)
    collection = base + "search.json"
    env = s3_environment(s3)
    out = "s3://{}/run".format(BUCKET)
    result = run_json("batch", collection, "--out-dir", out, "--scheduler",
                      apart_cluster.address, env=env)
    assert result["written"] == 2 and result["failed"] == 0, result
    names = sorted(i["properties"]["s2:product_uri"][:-len(".SAFE")]
                   for i in items)
    assert s3.objects(BUCKET) == ["run/{}.tif".format(n) for n in names]
    assert sorted(r["product"] for r in result["products"]) == sorted(
        "{}#{}".format(collection, i["id"]) for i in items)
    # The same pixels as the item equalized here, to a local file.
    for record in result["products"]:
        local = tmp_path / (record["name"] + ".tif")
        done = run_s2eq("equalize", record["product"], "-o", local)
        assert done.returncode == 0, done.stderr
        assert same_pixels(local, os.path.join(
            s3.folder, BUCKET, "run", record["name"] + ".tif"))
    # Each worker kept to its own folders, and left nothing there.
    for home in apart_cluster.worker_folders:
        left = [n for n in os.listdir(str(home)) if n.startswith(
            (".s2eq-upload", "s2eq-upload", "s2eq-"))]
        assert left == [], left
    no_secret(json.dumps(result))

    # Again: the objects are current, read by their headers alone.
    sizes = {key: os.path.getsize(os.path.join(s3.folder, BUCKET, key))
             for key in s3.objects(BUCKET)}
    before = len(s3.log)
    again = run_json("batch", collection, "--out-dir", out, "--scheduler",
                     apart_cluster.address, env=env)
    assert again["current"] == 2 and again["written"] == 0, again
    asked = s3.log[before:]
    assert not [r for r in asked if r[0] == "PUT"]
    reads = [r for r in asked if r[0] == "GET" and "/run/" in r[1]]
    assert reads and all(r[2] for r in reads), reads    # ranges only
    assert sum(r[3] for r in reads) < sum(sizes.values()) / 2


def test_a_stac_search_chooses_the_items_and_the_area(served, s3, tmp_path):
    base, folder = served
    items = items_of(folder, base, [10, 60])
    other = dict(items[0], id="elsewhere", collection="sentinel-2-l2a")
    env = s3_environment(s3, PYTHONPATH=os.pathsep.join(
        [environment()["PYTHONPATH"], pypi_folder()]))
    west, south, east, north = items[0]["bbox"]
    # A small area inside the tile.
    area = "{:.6f},{:.6f},{:.6f},{:.6f}".format(
        west + (east - west) * 0.3, south + (north - south) * 0.3,
        west + (east - west) * 0.6, south + (north - south) * 0.6)
    dates = sorted(i["properties"]["datetime"][:10] for i in items)
    with serving_api(items + [other]) as api:
        result = run_json(
            "batch", "--stac", api.url, "--collection", "sentinel-2-l1c",
            "--bbox", area, "--datetime", "{}/{}T23:59:59Z".format(
                dates[0], dates[-1]), "--max-cloud", "30", "--workers",
            "2", "--out-dir", "s3://{}/stac".format(BUCKET), env=env)
        assert api.searches, "the API was never searched"
        item_url = api.item_url(items[0])
        local = tmp_path / "area.tif"
        done = run_s2eq("equalize", item_url, "--bbox", area, "-o", local)
        assert done.returncode == 0, done.stderr
    # Of the two dates the one under 30 % cloud; not the other collection.
    assert result["written"] == 1 and result["failed"] == 0, result
    assert [r["product"] for r in result["products"]] == [item_url]
    name = result["products"][0]["name"]
    written = os.path.join(s3.folder, BUCKET, "stac", name + ".tif")
    assert same_pixels(local, written)


def test_without_pystac_client_the_search_says_how_to_get_it(tmp_path):
    # A Python where pystac_client cannot be imported, whatever is
    # installed: a package of that name first on the path that refuses.
    blocked = tmp_path / "blocked" / "pystac_client"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text(
        "raise ImportError(\"No module named 'pystac_client'\")\n")
    env = environment()
    env["PYTHONPATH"] = os.pathsep.join([str(blocked.parent),
                                         env["PYTHONPATH"]])
    done = run_s2eq("batch", "--stac", "http://127.0.0.1:9/", "--collection",
                    "sentinel-2-l2a", "--bbox", "5.9,45.8,6.2,46.1",
                    "--datetime", "2023-06-01/2023-06-30", "--out-dir",
                    tmp_path / "out", env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert "pip install pystac-client" in lines[-1], done.stderr
    assert "Traceback" not in done.stderr
    assert not os.path.exists(str(tmp_path / "out"))


@pytest.mark.parametrize("flags, words", [
    (["--collection", "sentinel-2-l2a"], "add --stac URL"),
    (["--stac", "http://127.0.0.1:9/", "--collection", "c"],
     "needs --bbox and --datetime"),
    ([], "No products given"),
])
def test_search_flags_that_make_no_search_are_refused(tmp_path, flags,
                                                      words):
    done = run_s2eq("batch", *flags, "--out-dir", tmp_path / "out")
    assert done.returncode == 2
    assert words in done.stderr, done.stderr


def test_a_shared_curve_and_a_mosaic_live_in_the_bucket_too(served, s3):
    base, folder = served
    items = items_of(folder, base, [10, 20])
    with open(str(folder / "shared.json"), "w") as handle:
        json.dump(item_collection(items), handle)
    out = "s3://{}/shared".format(BUCKET)
    mosaic = "s3://{}/shared-mosaic/all.tif".format(BUCKET)
    flags = (base + "shared.json", "--out-dir", out, "--shared-curve",
             "--mosaic", mosaic, "--workers", "2")
    env = s3_environment(s3)
    result = run_json("batch", *flags, env=env)
    assert result["written"] == 3 and result["failed"] == 0, result
    assert result["shared_curve"] == out + "/shared-curve.json"
    keys = s3.objects(BUCKET)
    assert "shared/shared-curve.json" in keys
    assert "shared-mosaic/all.tif" in keys
    with open(os.path.join(s3.folder, BUCKET, "shared",
                           "shared-curve.json")) as handle:
        no_secret(handle.read())
    # Again: the curve, the outputs and the mosaic are all current.
    again = run_json("batch", *flags, env=env)
    assert again["current"] == 3 and again["written"] == 0, again


def test_wrong_credentials_for_the_out_dir_stop_the_batch_first(
        served, s3):
    base, folder = served
    items = items_of(folder, base, [10, 20])
    with open(str(folder / "refused.json"), "w") as handle:
        json.dump(item_collection(items), handle)
    done = run_s2eq("batch", base + "refused.json", "--out-dir",
                    "s3://{}/refused".format(BUCKET), "--workers", "1",
                    env=s3_environment(s3, AWS_SECRET_ACCESS_KEY="wrong"))
    assert done.returncode == 1
    line = error_line(done.stderr)
    assert "credentials" in line and "s3://{}/refused".format(BUCKET) in line
    assert "wrong" not in line.replace("credentials are wrong", "")
    assert not [k for k in s3.objects(BUCKET) if k.startswith("refused/")]


def test_no_password_or_signature_of_a_product_url_is_printed(served, s3):
    base, folder = served
    good, bad = items_of(folder, base, [10, 20])
    bad = dict(bad, assets={key: dict(asset, href=asset["href"] + ".gone")
                            for key, asset in bad["assets"].items()})
    with open(str(folder / "signed.json"), "w") as handle:
        json.dump(item_collection([good, bad]), handle)
    signed = base.replace("http://", "http://s2eq:hunter2@") + \
        "signed.json?sig=TOPSECRET"
    done = run_s2eq("batch", signed, "--out-dir",
                    "s3://{}/signed".format(BUCKET), "--workers", "1",
                    "--json", env=s3_environment(s3))
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["written"] == 1 and result["failed"] == 1, result
    assert "FAILED " in done.stderr
    for text in (done.stdout, done.stderr):
        assert "hunter2" not in text and "TOPSECRET" not in text, text
    no_secret(done.stdout, done.stderr)
