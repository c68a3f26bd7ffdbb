"""s2eq batch --shared-curve over 200 tiny products on its embedded cluster
of two workers: it finishes; the scheduler hands no task more than
tree.GROUP measurements or partial sums, and never holds more than the
in-flight bound of the batch's tasks at once; the curve is the one `s2eq
curve` makes of the same products; and with a worker process killed
midway, the tree still completes with the same curve.

The scheduler is watched from inside: tests/scheduler_watch.py, given to
the embedded scheduler through Dask's own configuration, writes what it
sees (each task's inputs, results, workers) to a file."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest

import many_products
import s2products
from s2eq_runner import TIMEOUT, command, environment, partials, run_json
from sentinel2_equalizer.cli.inflight import in_flight_limit
from sentinel2_equalizer.cli.tree import GROUP, level_widths, per_leaf
from sentinel2_equalizer.core.curves import curve as curves
from sentinel2_equalizer.core.product.bands import DEFAULT_BANDS

COUNT = 200
WORKERS = 2
#: Products per measuring task, and the tree's leaves.
LEAF = per_leaf(COUNT, WORKERS)
LEAVES = -(-COUNT // LEAF)
WATCH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "scheduler_watch.py")
#: How often the kill test looks at the scheduler's log, in seconds.
POLL = 0.05


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """COUNT tiny products: copies of four of 186 pixels a side (one tile
    on four dates), each under a name of its own."""
    base = tmp_path_factory.mktemp("tree-products")
    made = []
    for number in range(4):
        folder = base / "base-{}".format(number)
        folder.mkdir()
        made.append(s2products.make_product(
            folder, size=186, bands=DEFAULT_BANDS, sky_seed=number + 1,
            sensing="202306{:02d}T105629".format(number + 10)))
    return many_products.many(made, COUNT, base / "many")


@pytest.fixture(scope="module")
def reference(tiny, tmp_path_factory):
    """The curve `s2eq curve` makes of the same products."""
    path = tmp_path_factory.mktemp("tree-curve") / "curve.json"
    run_json("curve", *tiny, "-o", path)
    return curves.load(str(path))


def watched(path):
    """The environment of a batch whose scheduler writes to ``path``."""
    return environment(WATCH_FILE=str(path),
                       DASK_DISTRIBUTED__SCHEDULER__PRELOAD=json.dumps(
                           [WATCH]))


def seen(path):
    if not os.path.exists(str(path)):
        return []
    with open(str(path)) as handle:
        return [json.loads(line) for line in handle if line.endswith("\n")]


def same_curve(made, given):
    """The two curves hold the same histograms, tiles and products."""
    assert sorted(made.counts) == sorted(given.counts)
    for band in given.counts:
        assert np.array_equal(made.counts[band].counts,
                              given.counts[band].counts), band
        assert made.counts[band].valid_pixels == given.counts[
            band].valid_pixels
        assert np.array_equal(made.tables[band], given.tables[band])
    assert made.products == given.products
    assert sorted(made.tiles) == sorted(given.tiles)
    for epsg, tiles in given.tiles.items():
        assert np.array_equal(made.tiles[epsg].valid, tiles.valid)
        for key in tiles.counts:
            assert np.array_equal(made.tiles[epsg].counts[key],
                                  tiles.counts[key])


def check_tree(events):
    """No task was handed more than GROUP results; the tree's tasks are
    those its widths make; the batch never had more tasks in flight than
    its bound."""
    started = [e for e in events if "task" in e]
    widest = max(len(e["inputs"]) for e in started)
    assert 1 <= widest <= GROUP
    assert 1 < LEAF <= GROUP
    measures = {e["task"] for e in started
                if e["task"].startswith("s2eq-measure-")}
    assert len(measures) == LEAVES
    sums = {e["task"] for e in started if e["task"].startswith("s2eq-sum-")}
    widths = level_widths(LEAVES)
    assert len(sums) == sum(widths[1:])
    final = [e for e in started if e["task"].startswith("s2eq-curve-")]
    assert final and all(len(e["inputs"]) == widths[-1] for e in final)
    for event in started:
        if event["task"].startswith(("s2eq-sum-", "s2eq-curve-")):
            assert all(k.startswith(("s2eq-measure-", "s2eq-sum-"))
                       for k in event["inputs"]), event
        else:
            assert event["inputs"] == [], event
    most = max(e["in_flight"] for e in events if "in_flight" in e)
    # the bound, and the output folder's task submitted before the stages
    assert most <= in_flight_limit(WORKERS) + 1, most


def test_two_hundred_products_sum_their_curve_as_a_tree(tiny, reference,
                                                        tmp_path):
    log = tmp_path / "scheduler.jsonl"
    result = run_json("batch", *tiny, "--out-dir", tmp_path / "out",
                      "--shared-curve", "--workers", str(WORKERS),
                      env=watched(log))
    assert result["ok"] and result["written"] == COUNT
    assert partials(result["out_dir"]) == []
    same_curve(curves.load(result["shared_curve"]), reference)
    check_tree(seen(log))
    report = result["report"]
    assert report["products"] == COUNT and report["written"] == COUNT
    assert report["failed"] == [] and report["current"] == 0
    tree = report["shared_curve_sum"]
    assert tree["widest"] <= GROUP and tree["group"] == GROUP
    assert tree["products_per_measure"] == LEAF
    assert tree["tasks"] == sum(level_widths(LEAVES)[1:]) + 1
    products = [r for r in result["products"]]
    assert len(products) == COUNT and all(
        r["measure_seconds"] > 0 and r["seconds"] > r["measure_seconds"]
        and r["bytes_read"] > 0 for r in products)
    assert report["bytes_read"] == sum(r["bytes_read"] for r in products)
    # every band file read at least once, to decode and to check it
    smallest = min(sum(os.path.getsize(os.path.join(root, f))
                       for root, _, files in os.walk(p) for f in files
                       if f.endswith(".jp2")) for p in tiny)
    assert all(r["bytes_read"] >= smallest for r in products)
    assert report["wall_seconds"] > 0 and report[
        "worker_seconds_per_product"] == pytest.approx(
            sum(r["seconds"] for r in products) / COUNT, abs=1e-3)
    # run again: the curve is current, and so is every output
    again = run_json("batch", *tiny, "--out-dir", tmp_path / "out",
                     "--shared-curve", "--workers", str(WORKERS))
    assert again["current"] == COUNT and again["written"] == 0
    assert again["report"]["shared_curve_sum"] is None


def test_a_worker_killed_midway_leaves_the_same_curve(tiny, reference,
                                                      tmp_path):
    """Once a third of the products are measured and partial sums are
    held on the workers, one worker process is killed (SIGKILL): the
    scheduler computes again what it held, and the curve is the same."""
    log = tmp_path / "scheduler.jsonl"
    out = tmp_path / "out"
    batch = subprocess.Popen(
        command("batch", *tiny, "--out-dir", out, "--shared-curve",
                "--workers", str(WORKERS), "--json"),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, env=watched(log))
    killed = None
    try:
        deadline = time.time() + TIMEOUT
        while killed is None:
            assert batch.poll() is None, "the batch ended first"
            assert time.time() < deadline, "the batch made no progress"
            events = seen(log)
            done = {e["done"] for e in events if "done" in e}
            measured = [k for k in done if k.startswith("s2eq-measure-")]
            summed = [k for k in done if k.startswith("s2eq-sum-")]
            if len(measured) >= LEAVES // 3 and len(summed) >= 3:
                assert not any(k.startswith("s2eq-curve-") for k in done)
                workers = [e for e in events if "pid" in e]
                killed = workers[-1]["pid"]
                os.kill(killed, signal.SIGKILL)
            time.sleep(POLL)
        stdout, stderr = batch.communicate(timeout=TIMEOUT)
    finally:
        batch.kill()
    assert batch.returncode == 0, stderr
    result = json.loads(stdout)
    assert result["ok"] and result["written"] == COUNT
    events = seen(log)
    assert any("gone" in e for e in events)          # the scheduler saw it
    same_curve(curves.load(result["shared_curve"]), reference)
    assert partials(str(out)) == []
    started = [e for e in events if "task" in e]
    assert max(len(e["inputs"]) for e in started) <= GROUP
