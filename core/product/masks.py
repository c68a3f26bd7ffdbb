"""A product's own cloud masks: which it has, where their files are, and
the table that says which of their classes or layers is cloud, cirrus,
shadow or snow.

Three kinds, newest first:

* ``SCL``, the scene classification of L2A products (Sen2Cor), one class
  per pixel at 20 m and 60 m, listed among the granule's images;
* ``CLASSI``, ``QI_DATA/MSK_CLASSI_B00.jp2`` of products from processing
  baseline 04.00 on: three layers at 60 m, opaque clouds, cirrus and
  snow, each 1 where it holds;
* ``GML``, ``QI_DATA/MSK_CLOUDS_B00.gml`` of L1C products before 04.00:
  cloud polygons, each typed OPAQUE or CIRRUS; a file without a polygon
  means that the product saw no cloud, not that it has no mask.

Plain data only: the pixels are decoded by pixels.clouds.
"""

import posixpath
import re
from dataclasses import dataclass

#: The groups of classes a user may count as cloud, in the order the docs
#: list them.
CATEGORIES = ("cloud", "cirrus", "shadow", "snow")
#: The groups counted as cloud unless the user says otherwise: snow and ice
#: are ground, seen clear.
DEFAULT_CATEGORIES = ("cloud", "cirrus", "shadow")

#: What a run may do with clouds, as the CLOUDS parameter and the
#: --clouds flag spell it (pixels.clouds names them keep, exclude, mask;
#: the flag takes "exclude" for the second too).
CLOUD_WORDS = ("keep", "exclude from curve", "mask")

#: How far clouds are widened by default, in metres (pixels.clouds'
#: buffer): masks under-cover cloud edges. See README ("Clouds") for the
#: measurement on a real scene classification that chose it.
DEFAULT_BUFFER = 120.0

#: The scene classification (SCL) classes, by their value.
SCL_NAMES = {
    0: "no data", 1: "saturated or defective", 2: "dark area",
    3: "cloud shadow", 4: "vegetation", 5: "not vegetated", 6: "water",
    7: "unclassified", 8: "cloud, medium probability",
    9: "cloud, high probability", 10: "thin cirrus", 11: "snow or ice"}
#: The SCL values of each group.
SCL_CLASSES = {"cloud": (8, 9), "cirrus": (10,), "shadow": (3,),
               "snow": (11,)}
#: The MSK_CLASSI layer (band number, from 1) of each group it has; it
#: has no shadows.
CLASSI_LAYERS = {"cloud": 1, "cirrus": 2, "snow": 3}
#: The GML polygons' eop:maskType of each group it has.
GML_TYPES = {"cloud": "OPAQUE", "cirrus": "CIRRUS"}

#: How each kind is described in messages and tags.
KIND_NAMES = {"SCL": "scene classification (SCL)",
              "CLASSI": "cloud layers (MSK_CLASSI_B00)",
              "GML": "cloud polygons (MSK_CLOUDS_B00.gml)"}
#: Preference when a granule has several: the finest classes first.
KIND_ORDER = ("SCL", "CLASSI", "GML")

SCL_STEM = re.compile(r"_SCL_(20|60)m$")


@dataclass(frozen=True)
class MaskFile:
    """One cloud mask file of a granule. ``kind``: "SCL", "CLASSI" or
    "GML"; ``resolution``: its pixel size in metres (None for GML);
    ``relpath``: its path relative to the product."""

    kind: str
    resolution: object
    relpath: str


def check_categories(categories):
    """The groups of ``categories`` (names of CATEGORIES, as a sequence or
    comma-separated text; None or empty for DEFAULT_CATEGORIES), in the
    table's order. Raises ValueError naming an unknown one."""
    if categories in (None, "", ()):
        return DEFAULT_CATEGORIES
    if isinstance(categories, str):
        categories = categories.split(",")
    chosen = set()
    for name in categories:
        name = str(name).strip().lower()
        if name not in CATEGORIES:
            raise ValueError("'{}' is not a cloud class; choose among {}."
                             .format(name, ", ".join(CATEGORIES)))
        chosen.add(name)
    return tuple(c for c in CATEGORIES if c in chosen)


def granule_masks(image_files, extension, mask_entries, qi_names,
                  granule_dir):
    """The MaskFile list of one granule.

    ``image_files``: the granule's image paths without extension, as the
    root metadata lists them (SCL among them); ``extension``: theirs
    (".jp2" or ".tif"); ``mask_entries``: (type, path) of the granule
    metadata's MASK_FILENAME elements (a path relative to the product, or
    a bare name in QI_DATA in the 2015-2016 layout); ``qi_names``: the
    names in the granule's QI_DATA folder, for products whose metadata
    does not list the masks; ``granule_dir``: "GRANULE/<name>"."""
    found = []
    for stem in image_files:
        match = SCL_STEM.search(stem)
        if match:
            found.append(MaskFile("SCL", int(match.group(1)),
                                  stem + extension))
    qi_dir = granule_dir + "/QI_DATA"
    listed = {}
    for kind, path in mask_entries:
        if "/" not in path:
            path = qi_dir + "/" + path
        listed.setdefault(kind, path)
    classi = listed.get("MSK_CLASSI")
    if classi is None and "MSK_CLASSI_B00.jp2" in qi_names:
        classi = qi_dir + "/MSK_CLASSI_B00.jp2"
    if classi is not None:
        found.append(MaskFile("CLASSI", 60, classi))
    clouds = listed.get("MSK_CLOUDS")
    if clouds is None and "MSK_CLOUDS_B00.gml" in qi_names:
        clouds = qi_dir + "/MSK_CLOUDS_B00.gml"
    if clouds is not None:
        if not clouds.lower().endswith(".gml"):
            clouds += ".gml"
        found.append(MaskFile("GML", None, clouds))
    return found


def choose_mask(masks, resolution):
    """The MaskFile of ``masks`` to read under an output grid of
    ``resolution`` metres: the preferred kind (KIND_ORDER), and of SCL the
    file at the grid's resolution if there is one, else the finest. None
    if ``masks`` is empty."""
    for kind in KIND_ORDER:
        files = [m for m in masks if m.kind == kind]
        if files:
            exact = [m for m in files if m.resolution == resolution]
            return exact[0] if exact else min(
                files, key=lambda m: m.resolution or 0)
    return None


def describe_masks(masks):
    """The kinds of ``masks`` in a few words, for the log and tags."""
    kinds = [k for k in KIND_ORDER if any(m.kind == k for m in masks)]
    return ", ".join(KIND_NAMES[k] for k in kinds) or "none"


def mask_name(mask):
    """The file name of a MaskFile, for messages."""
    return posixpath.basename(mask.relpath)
