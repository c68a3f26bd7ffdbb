"""Network faults while a run reads a STAC item's assets from a real HTTP
server on 127.0.0.1 (tests/http_server.py): answers of 503 and reset
connections are retried and the run gives the picture it gives without
them; an asset cut short stops the run with a message naming it, caught
by its checksum where the item lists one, else by its structure; a 404
or a 403 names the asset and the likely cause. Nothing is left at the
output of a run that fails."""

import numpy as np
import pytest
import rasterio

import stac_fixtures as fixtures
from http_server import serving
from s2products import make_product
from sentinel2_equalizer import api
from sentinel2_equalizer.core.errors import (BandError, ChecksumError,
                                             EqualizerError)

SIZE = 366


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    safe = make_product(folder, level="L2A", size=SIZE,
                        bands=["B04", "B03", "B02"])
    l1c = make_product(folder, level="L1C", size=SIZE,
                       bands=["B04", "B03", "B02"])
    facts = fixtures.cog_assets(safe, folder / "cogs")
    l1c_facts = fixtures.cog_assets(l1c, folder / "l1c_cogs")
    with serving(folder) as server:
        base = server.url("cogs/")
        fixtures.write_json(folder / "c1.json", fixtures.c1_l2a_item(
            safe, facts, base))
        fixtures.write_json(folder / "pc.json", fixtures.planetary_item(
            safe, facts, base, ""))
        fixtures.write_json(folder / "l1c.json", fixtures.l1c_jp2_item(
            l1c, l1c_facts, server.url(l1c.name + "/")))
        clean = folder / "clean.tif"
        api.equalize(server.url("c1.json"), str(clean))
        yield {"folder": folder, "server": server, "clean": clean}
        server.clear_faults()


@pytest.fixture
def server(catalogue):
    running = catalogue["server"]
    running.clear_faults()
    running.reset_log()
    yield running
    running.clear_faults()


def test_503_and_resets_are_retried(catalogue, server, tmp_path):
    server.reset("cogs/B04.tif", times=1)
    server.fail("cogs/B04.tif", 503, times=2)
    server.fail("c1.json", 503, times=1)
    output = tmp_path / "out.tif"
    api.equalize(server.url("c1.json"), str(output))
    statuses = [r.status for r in server.requests("cogs/B04.tif")]
    assert "reset" in statuses and statuses.count(503) == 2
    with rasterio.open(output) as made, rasterio.open(
            catalogue["clean"]) as clean:
        assert np.array_equal(made.read(), clean.read())


def test_cut_asset_with_a_checksum(server, tmp_path):
    server.truncate("cogs/B03.tif", 40000)
    output = tmp_path / "out.tif"
    with pytest.raises(ChecksumError) as caught:
        api.equalize(server.url("c1.json"), str(output))
    message = str(caught.value)
    assert "B03" in message and "incomplete" in message
    assert not output.exists()


@pytest.mark.parametrize("item, asset", [("pc.json", "cogs/B03.tif"),
                                         ("l1c.json", "_B03.jp2")])
def test_cut_asset_without_a_checksum(server, item, asset, tmp_path):
    server.truncate(asset, 30000)
    output = tmp_path / "out.tif"
    with pytest.raises(BandError) as caught:
        api.equalize(server.url(item), str(output))
    message = str(caught.value)
    assert "Band B03" in message and "incomplete" in message
    assert server.url("") in message
    assert not output.exists()


def test_404_names_the_asset(server, tmp_path):
    server.fail("cogs/B02.tif", 404)
    output = tmp_path / "out.tif"
    with pytest.raises(EqualizerError) as caught:
        api.equalize(server.url("c1.json"), str(output))
    message = str(caught.value)
    assert "blue" in message and server.url("cogs/B02.tif") in message
    assert "HTTP 404" in message and "moved" in message
    assert not output.exists()


def test_403_says_credentials_or_signature(server, tmp_path):
    server.fail("cogs/B04.tif", 403)
    with pytest.raises(EqualizerError) as caught:
        api.equalize(server.url("c1.json"), str(tmp_path / "out.tif"))
    message = str(caught.value)
    assert "HTTP 403" in message and server.url("cogs/B04.tif") in message
    assert "credentials" in message and "sign" in message


def test_a_server_that_keeps_failing_stops_the_run(server, tmp_path,
                                                   monkeypatch):
    # The user's own retry settings win over the run's (here: one retry,
    # soon, so that the test does not wait GDAL's delays).
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "1")
    monkeypatch.setenv("GDAL_HTTP_RETRY_DELAY", "0.1")
    server.fail("cogs/B04.tif", 503)
    output = tmp_path / "out.tif"
    with pytest.raises(EqualizerError) as caught:
        api.equalize(server.url("c1.json"), str(output))
    assert server.url("cogs/B04.tif") in str(caught.value)
    assert "503" in str(caught.value)
    assert [r.status for r in server.requests("cogs/B04.tif")][:2] == [
        503, 503]
    assert not output.exists()
