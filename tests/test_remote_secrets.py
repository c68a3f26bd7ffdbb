"""No secret recorded: a STAC item reached through a URL with a user part
and a query string, whose assets are signed URLs (as the Planetary
Computer signs them), is read with them as given, but neither the user
part, nor the password, nor any query string appears in the output's
tags, the log (the API's and the command line's), the curve file or an
error message. The server (127.0.0.1) refuses unsigned requests, so the
signatures are really used."""

import json

import pytest
import rasterio

import stac_fixtures as fixtures
from http_server import serving
from s2eq_runner import run_s2eq
from s2products import make_product
from sentinel2_equalizer import api
from sentinel2_equalizer.core.errors import (EqualizerError,
                                             without_secrets)

USER, PASSWORD = "alice", "PaSsWoRd42"
SIGNATURE = "SeCrEtSiGnAtUrE%3D"
QUERY = ("?st=2026-12-07T08%3A00%3A00Z&se=2026-12-08T08%3A00%3A00Z&sp=rl"
         "&sv=2021-06-08&sr=c&skoid=SkOiDsEcReT&sig=" + SIGNATURE)
ITEM_QUERY = "?sig=ItEmSiGnAtUrE"
SECRETS = (USER, PASSWORD, "SeCrEt", "SkOiD", "ItEmSiG", "sig=", "skoid")


def leaked(text):
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secrets")
    safe = make_product(folder, level="L2A", size=366,
                        bands=["B04", "B03", "B02"])
    facts = fixtures.cog_assets(safe, folder / "cogs")
    with serving(folder) as server:
        server.require_query("sig")
        fixtures.write_json(folder / "item.json", fixtures.planetary_item(
            safe, facts, server.url("cogs/"), QUERY))
        url = server.url("item.json").replace(
            "http://", "http://{}:{}@".format(USER, PASSWORD)) + ITEM_QUERY
        yield {"server": server, "url": url, "folder": folder}


def all_tags(path):
    with rasterio.open(path) as image:
        texts = [json.dumps(image.tags())]
        texts += [json.dumps(image.tags(ns=ns))
                  for ns in image.tag_namespaces()]
        texts += [json.dumps(image.tags(i)) for i in image.indexes]
        texts += [image.descriptions and " ".join(
            d or "" for d in image.descriptions) or ""]
    return "\n".join(texts)


def test_signed_item_leaves_no_secret(signed, tmp_path):
    output = tmp_path / "out.tif"
    messages = []
    api.equalize(signed["url"], str(output), log=messages.append)
    # The signatures were used: the server refuses requests without one.
    served = signed["server"].requests("cogs/B04.tif")
    assert served and all(r.status != 403 for r in served)
    assert leaked(all_tags(output)) == []
    assert leaked("\n".join(messages)) == []
    assert messages                              # the log said things
    curve = tmp_path / "curve.json"
    measured = api.measure(signed["url"], log=messages.append)
    api.build_curve([measured], str(curve))
    assert leaked(curve.read_text()) == []
    assert leaked("\n".join(messages)) == []


def test_command_line_leaves_no_secret(signed, tmp_path):
    output = tmp_path / "cli.tif"
    done = run_s2eq("equalize", signed["url"], "-o", output)
    assert done.returncode == 0, done.stderr
    assert leaked(done.stdout + done.stderr) == []
    assert leaked(all_tags(output)) == []
    curve = tmp_path / "cli.json"
    done = run_s2eq("curve", signed["url"], "-o", curve)
    assert done.returncode == 0, done.stderr
    assert leaked(done.stdout + done.stderr + curve.read_text()) == []


def test_errors_leave_no_secret(signed, tmp_path):
    server = signed["server"]
    server.reset_log()                  # and GDAL's cache of the assets
    server.fail("cogs/B03.tif", 404)
    try:
        with pytest.raises(EqualizerError) as caught:
            api.equalize(signed["url"], str(tmp_path / "out.tif"))
        assert "HTTP 404" in str(caught.value)
        assert leaked(str(caught.value)) == []
        done = run_s2eq("equalize", signed["url"], "-o", tmp_path / "x.tif")
        assert done.returncode != 0
        assert "HTTP 404" in done.stderr
        assert leaked(done.stdout + done.stderr) == []
    finally:
        server.clear_faults()
        server.require_query("sig")


@pytest.mark.parametrize("text, shown", [
    ("https://u:p@host.org/a/b.tif?sig=x&se=1", "https://host.org/a/b.tif"),
    ("'/vsicurl/https://host/x.json?token=abc' failed",
     "'https://host/x.json' failed"),
    ("/vsis3/bucket/k/B04.jp2: HTTP 403", "s3://bucket/k/B04.jp2: HTTP 403"),
    ("/vsizip//vsicurl/http://h:8080/p.zip/X.SAFE/m.xml",
     "http://h:8080/p.zip/X.SAFE/m.xml"),
    ("no url here", "no url here"),
])
def test_without_secrets(text, shown):
    from sentinel2_equalizer.core.errors import as_users_know
    assert as_users_know(text) == shown
    assert leaked(without_secrets("s3://AKIA:SeCrEt@b/k?x=1")) == []
