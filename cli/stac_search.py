"""``s2eq batch --stac URL --collection C --bbox W,S,E,N --datetime A/B
[--max-cloud N]``: the products of a search of a STAC API, as the URLs of
the items it finds.

Only the batch's driver searches: the workers get the items' URLs and
read each item and its assets themselves. The search goes through
``pystac-client``, an optional dependency of the command line alone
(``pip install pystac-client``); without it, --stac says so in one line.

--bbox both chooses the items (those that touch the area) and, as in any
batch, is the area each output covers. --max-cloud keeps the items whose
``eo:cloud_cover`` is at most N percent: asked of the API where it takes
the query extension, and checked on each item found either way; an item
that does not say its cloud cover is kept, and the log says how many.
"""

from ..core.errors import EqualizerError, first_line, without_secrets

#: Items a search may return at most: a batch of more is more likely a
#: mistake (a bbox or date range far too wide) than a plan.
MAX_ITEMS = 1000
#: The STAC property of an item's cloud cover, in percent.
CLOUD_COVER = "eo:cloud_cover"
MISSING = ("s2eq batch --stac needs the Python module pystac_client, which "
           "is not installed: pip install pystac-client (or give the "
           "products, or a saved search's ItemCollection file, instead).")


class StacSearchError(EqualizerError):
    """The STAC search cannot be made, or finds nothing to run."""


def bbox_numbers(text):
    """[west, south, east, north] of ``text`` ("W,S,E,N", degrees);
    StacSearchError where it is not four numbers in range."""
    try:
        numbers = [float(part) for part in str(text).split(",")]
    except ValueError:
        numbers = []
    if (len(numbers) != 4 or not -180 <= numbers[0] <= 180
            or not -180 <= numbers[2] <= 180
            or not -90 <= numbers[1] < numbers[3] <= 90):
        raise StacSearchError(
            "--bbox '{}' is not an area: give WEST,SOUTH,EAST,NORTH in "
            "degrees, south below north (for example 5.9,45.8,6.2,46.1)."
            .format(text))
    return numbers


def check_flags(args):
    """StacSearchError where the --stac flags do not make a search: each
    of --collection, --bbox and --datetime is needed with --stac, and
    none of them (nor --max-cloud) means anything without it."""
    given = [flag for flag, value in (
        ("--collection", args.collection), ("--datetime", args.datetime),
        ("--max-cloud", args.max_cloud)) if value is not None]
    if not args.stac:
        if given:
            raise StacSearchError(
                "{} belongs to a STAC search: add --stac URL (the API's "
                "address), or leave {} out.".format(
                    given[0], "it" if len(given) == 1 else "them"))
        return
    missing = [flag for flag, value in (
        ("--collection", args.collection), ("--bbox", args.bbox),
        ("--datetime", args.datetime)) if not value]
    if missing:
        raise StacSearchError(
            "A STAC search needs {}: for example --collection "
            "sentinel-2-l2a --bbox 5.9,45.8,6.2,46.1 --datetime "
            "2023-06-01/2023-06-30.".format(" and ".join(missing)))
    if args.max_cloud is not None and not 0 <= args.max_cloud <= 100:
        raise StacSearchError(
            "--max-cloud must be a percentage from 0 to 100 (got {:g})."
            .format(args.max_cloud))
    bbox_numbers(args.bbox)


def search(url, collection, bbox, datetime, max_cloud=None, log=None):
    """The URLs of the items of ``collection`` in the STAC API at ``url``
    that touch ``bbox`` ("W,S,E,N" in degrees) within ``datetime``
    ("A/B", RFC 3339 dates or times, ".." for an open end), with at most
    ``max_cloud`` percent cloud cover (None: any); in the API's order.
    Raises StacSearchError (pystac-client missing, the API unreachable
    or refusing the search, nothing found)."""
    log = log or (lambda message: None)
    try:
        from pystac_client import Client
    except ImportError:
        raise StacSearchError(MISSING)
    where = without_secrets(url)
    try:
        client = Client.open(url)
        asked = {"collections": [collection], "bbox": bbox_numbers(bbox),
                 "datetime": datetime, "max_items": MAX_ITEMS + 1}
        if max_cloud is not None and client.conforms_to("QUERY"):
            asked["query"] = {CLOUD_COVER: {"lte": max_cloud}}
        items = list(client.search(**asked).items())
    except StacSearchError:
        raise
    except Exception as exc:   # pystac-client's, requests' and its parsers'
        raise StacSearchError(
            "The STAC search at {} failed ({}: {}). Check the address "
            "(the API's landing page, not a collection's), --collection "
            "and --datetime (A/B, as 2023-06-01/2023-06-30).".format(
                where, type(exc).__name__, without_secrets(first_line(exc))))
    if len(items) > MAX_ITEMS:
        raise StacSearchError(
            "The STAC search at {} finds more than {} items: narrow "
            "--bbox or --datetime, or add --max-cloud.".format(
                where, MAX_ITEMS))
    kept, unknown = [], 0
    for item in items:
        cover = item.properties.get(CLOUD_COVER)
        if max_cloud is not None and cover is None:
            unknown += 1
        elif max_cloud is not None and cover > max_cloud:
            continue
        kept.append(item)
    if unknown:
        log("STAC search: {} item{} without {} kept".format(
            unknown, "" if unknown == 1 else "s", CLOUD_COVER))
    if not kept:
        raise StacSearchError(
            "The STAC search at {} found no item of '{}' over {} in {}{}. "
            "Widen the search, or check the collection's name.".format(
                where, collection, bbox, datetime,
                " with at most {:g} % cloud".format(max_cloud)
                if max_cloud is not None else ""))
    hrefs = []
    for item in kept:
        href = item.get_self_href()
        if not href:
            raise StacSearchError(
                "The STAC API at {} gave the item '{}' without its own "
                "address (a 'self' link), which the workers need: save the "
                "search as an ItemCollection file and give that instead."
                .format(where, item.id))
        hrefs.append(href)
    log("STAC search: {} item{} of {} at {}".format(
        len(hrefs), "" if len(hrefs) == 1 else "s", collection, where))
    return hrefs
