"""A tiny STAC API on 127.0.0.1 for the tests of ``s2eq batch --stac``
(a helper, not tests), and STAC items made from the test products.

``serving_api(items)`` answers as a STAC API does, enough for
pystac-client: its landing page (conformance to STAC API core, item
search and the query extension), ``/search`` by GET and POST (filtering
by collection, bbox, datetime range and ``eo:cloud_cover``), and each item
at ``/collections/C/items/ID``, all under a root path of choice (``v1/``,
as Earth Search's). It records each search's parameters.
The items' assets are served by tests/http_server.py (``serving``).

``l1c_item(product, asset_url, cloud)`` is a Sentinel-2 L1C item in
Earth Search's ``sentinel-2-l1c`` layout (JPEG2000 assets under the band
names, ``eo:bands``) whose assets are the product's own band files, at
the URLs ``asset_url(path)`` gives.

Standard library only; nothing leaves 127.0.0.1.
"""

import contextlib
import glob
import http.server
import json
import os
import threading
import urllib.parse


STAC_VERSION = "1.0.0"
CONFORMANCE = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#query",
]
#: The UTM zone's EPSG code of the test products' tile (31UFQ).
EPSG = 32631


def l1c_item(product, asset_url, cloud, item_id=None, bands=None):
    """The STAC item (a dict) of the L1C ``product`` (its .SAFE folder),
    its band files at ``asset_url(path)``, with ``cloud`` percent cloud
    cover; its footprint is the product's tile in degrees."""
    safe = str(product)
    name = os.path.basename(safe)[:-len(".SAFE")]
    item_id = item_id or name
    assets = {}
    for path in sorted(glob.glob(os.path.join(
            safe, "GRANULE", "*", "IMG_DATA", "*_B*.jp2"))):
        band = os.path.splitext(path)[0].rsplit("_", 1)[1]
        if bands and band not in bands:
            continue
        assets[band] = {
            "href": asset_url(path), "type": "image/jp2",
            "roles": ["data"], "eo:bands": [{"name": band}]}
    sensing = name.split("_")[2]
    stamp = "{}-{}-{}T{}:{}:{}Z".format(sensing[:4], sensing[4:6],
                                        sensing[6:8], sensing[9:11],
                                        sensing[11:13], sensing[13:15])
    west, south, east, north = footprint(safe)
    return {
        "type": "Feature", "stac_version": STAC_VERSION,
        "stac_extensions": [], "id": item_id,
        "collection": "sentinel-2-l1c",
        "bbox": [west, south, east, north],
        "geometry": {"type": "Polygon", "coordinates": [[
            [west, south], [east, south], [east, north], [west, north],
            [west, south]]]},
        "properties": {
            "datetime": stamp, "platform": "sentinel-2b",
            "constellation": "sentinel-2", "eo:cloud_cover": cloud,
            "proj:epsg": EPSG, "s2:product_uri": name + ".SAFE",
            "s2:processing_baseline": name.split("_")[3][1:3] + "." +
            name.split("_")[3][3:5], "s2:mgrs_tile": "31UFQ"},
        "assets": assets, "links": []}


def footprint(product):
    """(west, south, east, north) in degrees of the product's B02 grid
    (an L2A's finest, in IMG_DATA/R10m)."""
    import rasterio
    from rasterio.warp import transform_bounds
    band = sorted(glob.glob(os.path.join(
        str(product), "GRANULE", "*", "IMG_DATA", "**", "*_B02*.jp2"),
        recursive=True))[0]
    with rasterio.open(band) as image:
        return transform_bounds(image.crs, "EPSG:4326", *image.bounds)


def item_collection(items):
    """The ItemCollection (a GeoJSON FeatureCollection) of ``items``, as
    pystac-client saves a search."""
    return {"type": "FeatureCollection", "features": list(items)}


class Api:
    """A running serving_api(): ``url`` (its landing page, the root path
    included), ``searches`` (the parameters of each search, as dicts)."""

    def __init__(self, items, root=""):
        self.items = list(items)
        self.searches = []
        self.port = None
        #: The path the API lives under: "" or "v1/".
        self.root = root.strip("/") + "/" if root.strip("/") else ""

    @property
    def url(self):
        return "http://127.0.0.1:{}/{}".format(self.port, self.root)

    def relative(self, path):
        """``path`` (stripped of slashes) below the root, or None when it is
        not under it."""
        root = self.root.strip("/")
        if not root:
            return path
        if path == root:
            return ""
        if path.startswith(self.root):
            return path[len(self.root):]
        return None

    def item_url(self, item):
        return "{}collections/{}/items/{}".format(
            self.url, item["collection"], urllib.parse.quote(item["id"]))

    def linked(self, item):
        item = dict(item)
        item["links"] = [{"rel": "self", "href": self.item_url(item),
                          "type": "application/geo+json"},
                         {"rel": "root", "href": self.url,
                          "type": "application/json"}]
        return item

    def landing(self):
        return {
            "type": "Catalog", "id": "s2eq-test-api",
            "stac_version": STAC_VERSION, "description": "test API",
            "conformsTo": CONFORMANCE,
            "links": [
                {"rel": "self", "href": self.url,
                 "type": "application/json"},
                {"rel": "root", "href": self.url,
                 "type": "application/json"},
                {"rel": "search", "href": self.url + "search",
                 "type": "application/geo+json", "method": "GET"},
                {"rel": "search", "href": self.url + "search",
                 "type": "application/geo+json", "method": "POST"}]}

    def search(self, asked):
        self.searches.append(asked)
        found = [self.linked(i) for i in self.items if _matches(i, asked)]
        return {"type": "FeatureCollection", "features": found,
                "links": [{"rel": "root", "href": self.url}]}


def _matches(item, asked):
    collections = asked.get("collections")
    if isinstance(collections, str):
        collections = collections.split(",")
    if collections and item["collection"] not in collections:
        return False
    bbox = asked.get("bbox")
    if isinstance(bbox, str):
        bbox = [float(v) for v in bbox.split(",")]
    if bbox:
        west, south, east, north = item["bbox"]
        if (bbox[0] > east or bbox[2] < west or bbox[1] > north
                or bbox[3] < south):
            return False
    when = asked.get("datetime")
    if when:
        first, _, last = when.partition("/")
        stamp = item["properties"]["datetime"]
        if first not in ("", "..") and stamp < first:
            return False
        if last not in ("", "..") and stamp > last:
            return False
    query = asked.get("query") or {}
    if isinstance(query, str):
        query = json.loads(query)
    for key, tests in query.items():
        value = item["properties"].get(key)
        for test, bound in tests.items():
            if value is None or not {"lt": value < bound,
                                     "lte": value <= bound,
                                     "gt": value > bound,
                                     "gte": value >= bound,
                                     "eq": value == bound}[test]:
                return False
    return True


class _ApiHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self.head_only = True
        try:
            self._get()
        finally:
            self.head_only = False

    def do_GET(self):
        self.head_only = False
        self._get()

    def _get(self):
        api = self.server.api
        parts = urllib.parse.urlsplit(self.path)
        path = api.relative(parts.path.strip("/"))
        if path is None:
            return self._json({"code": "NotFound"}, 404)
        if path == "":
            return self._json(api.landing())
        if path == "search":
            asked = {k: v[0] for k, v in urllib.parse.parse_qs(
                parts.query).items()}
            return self._json(api.search(asked))
        pieces = path.split("/")
        if len(pieces) == 4 and pieces[0] == "collections" and \
                pieces[2] == "items":
            for item in api.items:
                if item["id"] == urllib.parse.unquote(pieces[3]):
                    return self._json(api.linked(item))
        return self._json({"code": "NotFound"}, 404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.server.api.relative(
                urllib.parse.urlsplit(self.path).path.strip("/")) != "search":
            return self._json({"code": "NotFound"}, 404)
        return self._json(self.server.api.search(body))

    def _json(self, document, status=200):
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/geo+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not getattr(self, "head_only", False):
            self.wfile.write(data)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@contextlib.contextmanager
def _running(handler, **attributes):
    server = _Server(("127.0.0.1", 0), handler)
    for key, value in attributes.items():
        setattr(server, key, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)


@contextlib.contextmanager
def serving_api(items, root=""):
    """An Api serving ``items`` (dicts) on 127.0.0.1 under the path
    ``root`` ("v1/": its landing page is /v1/), for a with block."""
    api = Api(items, root)
    with _running(_ApiHandler, api=api) as server:
        api.port = server.server_address[1]
        yield api
