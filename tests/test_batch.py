"""s2eq batch on real Dask: the embedded cluster, shared curves, bad
products, resuming, and a scheduler with two workers started here as
separate processes, one of them killed while it holds a product."""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

import s2products
from dask_processes import dask_cluster  # noqa: F401 (a fixture)
from s2eq_runner import (TIMEOUT, command, environment, partials, run_json,
                         same_pixels)
from sentinel2_equalizer import api
from sentinel2_equalizer.core.product.bands import DEFAULT_BANDS
from sentinel2_equalizer.core.errors import EqualizerError

#: How often the tests look at a folder or a process, in seconds.
POLL = 0.02


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    """Four small products: one tile on four dates."""
    base = tmp_path_factory.mktemp("batch-products")
    made = []
    for number in range(4):
        folder = base / str(number)
        folder.mkdir()
        made.append(s2products.make_product(
            folder, size=366, jp2_block=128, bands=DEFAULT_BANDS,
            sky_seed=number + 1, sensing="202306{:02d}T105629".format(
                number + 10)))
    return made


@pytest.fixture(scope="module")
def references(four, tmp_path_factory):
    """Each product equalized on its own, in this process: the pictures a
    batch must write."""
    folder = tmp_path_factory.mktemp("batch-references")
    made = {}
    for product in four:
        made[product] = str(folder / (product.stem + ".tif"))
        api.equalize(str(product), made[product])
    return made


def output_of(folder, product):
    return os.path.join(str(folder), product.stem + ".tif")


def check_outputs(result, four, expected):
    """Every product written in ``result``'s folder, with the pixels of
    ``expected`` (product -> image), nothing partial left."""
    for product in four:
        assert same_pixels(output_of(result["out_dir"], product),
                           expected[product]), product
    assert partials(result["out_dir"]) == []


def test_embedded_cluster_writes_one_output_per_product(four, references,
                                                        tmp_path):
    result = run_json("batch", *four, "--out-dir", tmp_path / "out")
    assert result["ok"] and result["written"] == 4
    check_outputs(result, four, references)
    assert sorted(os.listdir(tmp_path / "out")) == sorted(
        p.stem + ".tif" for p in four)
    workers = result["workers"]
    assert workers["count"] >= 1 and all(
        mib > 0 for mib in workers["peak_memory_mib"].values())


def test_shared_curve_equals_curve_then_equalize(four, tmp_path):
    result = run_json("batch", *four, "--out-dir", tmp_path / "out",
                      "--shared-curve")
    assert result["ok"] and result["written"] == 4
    curve = tmp_path / "curve.json"
    run_json("curve", *four, "-o", curve)
    expected = {}
    for product in four:
        expected[product] = str(tmp_path / (product.stem + ".tif"))
        run_json("equalize", product, "-o", expected[product], "--curve",
                 curve)
    check_outputs(result, four, expected)
    from sentinel2_equalizer.core.curves import curve as curves
    made, given = curves.load(result["curve"]), curves.load(str(curve))
    assert all((made.counts[b].counts == given.counts[b].counts).all()
               for b in given.counts)


def test_a_mosaic_beside_the_outputs_and_kept_when_current(
        four, references, tmp_path):
    out = tmp_path / "out"
    result = run_json("batch", *four, "--out-dir", out, "--mosaic",
                      out / "mosaic.tif")
    assert result["written"] == 5
    check_outputs(result, four, references)      # each its own histogram
    alone = tmp_path / "mosaic.tif"
    run_json("mosaic", *four, "-o", alone, "--curve", result["shared_curve"])
    assert same_pixels(out / "mosaic.tif", alone)
    again = run_json("batch", *four, "--out-dir", out, "--mosaic",
                     out / "mosaic.tif")
    assert again["current"] == 5 and again["written"] == 0


def test_a_bad_product_is_named_and_the_others_finish(four, references,
                                                      tmp_path):
    damaged = tmp_path / "damaged" / four[0].name
    shutil.copytree(four[0], damaged)
    band = next(damaged.glob("GRANULE/*/IMG_DATA/*_B03.jp2"))
    band.write_bytes(band.read_bytes()[:band.stat().st_size // 2])
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "notes.txt").write_text("hello")
    result = run_json("batch", damaged, photos, *four[1:], "--out-dir",
                      tmp_path / "out", status=1)
    assert not result["ok"] and result["written"] == 3
    assert result["failed"] == 2
    for bad in (damaged, photos):
        with pytest.raises(EqualizerError) as raised:
            api.equalize(str(bad), str(tmp_path / "alone.tif"))
        record = [r for r in result["products"]
                  if r["product"] == str(bad)][0]
        assert record["status"] == "failed"
        assert record["message"] == str(raised.value)
    check_outputs(result, four[1:], references)


def test_an_interrupted_batch_resumes_with_the_missing_outputs(
        four, references, tmp_path):
    out = tmp_path / "out"
    batch = subprocess.Popen(
        command("batch", *four, "--out-dir", out, "--workers", "1"),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=environment())
    try:
        deadline = time.time() + TIMEOUT
        while not (out.is_dir() and [n for n in os.listdir(out)
                                     if n.endswith(".tif")]):
            assert batch.poll() is None and time.time() < deadline
            time.sleep(POLL)
        batch.send_signal(signal.SIGINT)          # Ctrl-C
        assert batch.wait(timeout=TIMEOUT) == 130
    finally:
        batch.kill()
    first = {n: os.stat(out / n) for n in os.listdir(out)}
    assert 1 <= len(first) < 4 and partials(out) == []
    result = run_json("batch", *four, "--out-dir", out)
    status = {os.path.basename(r["output"]): r["status"]
              for r in result["products"]}
    assert {n for n, s in status.items() if s == "current"} == set(first)
    assert {n for n, s in status.items() if s == "written"} == set(
        status) - set(first)
    for name, before in first.items():
        after = os.stat(out / name)
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino,
                                                     before.st_mtime_ns)
    check_outputs(result, four, references)


def test_a_running_scheduler_gives_the_same_outputs(
        dask_cluster, four, references, tmp_path):  # noqa: F811
    result = run_json("batch", *four, "--out-dir", tmp_path / "out",
                      "--scheduler", dask_cluster.address)
    assert result["ok"] and result["written"] == 4
    assert result["workers"]["count"] == 2
    check_outputs(result, four, references)


def test_a_worker_killed_mid_product_is_replaced_by_a_retry(
        dask_cluster, products, four, tmp_path):  # noqa: F811
    """A slower product among small ones, all written through one curve
    (a single pass, so the partial file stands for most of the task): once
    its partial file is there, the worker running it is killed."""
    big = products("batch-big", size=1098, bands=DEFAULT_BANDS)
    curve = tmp_path / "curve.json"
    api.build_curve([api.measure(str(p)) for p in four], str(curve))
    out = tmp_path / "out"
    batch = subprocess.Popen(
        command("batch", big, *four, "--out-dir", out, "--curve", curve,
                "--scheduler", dask_cluster.address, "--json"),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, universal_newlines=True,
        env=environment())
    try:
        killed = dask_cluster.kill_worker_writing(out, big.stem, batch)
        stdout = batch.communicate(timeout=TIMEOUT)[0]
    finally:
        batch.kill()
    assert batch.returncode == 0, stdout
    assert not dask_cluster.is_alive(killed)
    result = json.loads(stdout)
    assert result["written"] == 5
    expected = {}
    for product in [big] + four:
        expected[product] = str(tmp_path / (product.stem + ".tif"))
        api.equalize(str(product), expected[product], curve=str(curve))
    check_outputs(result, [big] + four, expected)
