"""The polygons of an L1C product's MSK_CLOUDS_B00.gml (processing
baselines before 04.00), read as plain coordinates: pixels.clouds
rasterizes them."""

from .masks import GML_TYPES
from .metadata import parse_xml


#: The GML elements read, by their local names (any GML version).
GML_POLYGON, GML_POS_LIST, GML_INTERIOR = "Polygon", "posList", "interior"


def gml_polygons(data, label):
    """The polygons of a MSK_CLOUDS_B00.gml (bytes), as a list of
    (group, rings), ``group`` "cloud" or "cirrus" from the feature's
    maskType (OPAQUE, CIRRUS; a feature without one is "cloud"), ``rings``
    the exterior ring then the holes, each a list of (x, y) in the
    granule's CRS. An empty list is a mask without clouds. Raises
    ProductError (from metadata.parse_xml) for a file that is not XML."""
    root = parse_xml(data, label)
    found = []
    for feature in root.iter():
        if _local(feature.tag) != "MaskFeature":
            continue
        kind = next((e.text.strip().upper() for e in feature.iter()
                     if _local(e.tag) == "maskType" and e.text), "OPAQUE")
        group = next((g for g, t in GML_TYPES.items() if t == kind), None)
        if group is None:
            continue
        for polygon in feature.iter():
            if _local(polygon.tag) != GML_POLYGON:
                continue
            rings = []
            for ring in polygon.iter():
                if _local(ring.tag) != GML_POS_LIST or not ring.text:
                    continue
                values = [float(v) for v in ring.text.split()]
                dims = int(ring.get("srsDimension", "2"))
                rings.append(list(zip(values[0::dims], values[1::dims])))
            if rings:
                found.append((group, rings))
    return found


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
