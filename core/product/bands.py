"""Sentinel-2 MSI bands and the band combinations users know by name.

Plain data only (no numpy), so the Processing layer can build its parameter
lists even where numpy or rasterio are missing.
"""

from ..errors import BandError

#: Native ground sampling distance of each band, in metres.
NATIVE_RESOLUTION = {
    "B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20,
    "B07": 20, "B08": 10, "B8A": 20, "B09": 60, "B10": 60, "B11": 20,
    "B12": 20,
}

#: Band names in the order ESA numbers them (band_id 0..12 in the metadata).
BAND_NAMES = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A",
              "B09", "B10", "B11", "B12")

#: The output grids a user may ask for, in metres.
RESOLUTIONS = (10, 20, 60)

DEFAULT_BANDS = ("B04", "B03", "B02")


def check_band(band):
    """Return ``band`` in canonical spelling, or raise BandError."""
    name = str(band).strip().upper()
    if len(name) == 2 and name[0] == "B" and name[1].isdigit():
        name = "B0" + name[1]          # "B4" -> "B04"
    if name not in NATIVE_RESOLUTION:
        raise BandError(
            "Unknown band name '{}'. Use one of {}.".format(
                band, ", ".join(BAND_NAMES)))
    return name


class Combination:
    """A named red/green/blue band choice."""

    def __init__(self, key, title, bands, purpose):
        self.key = key            # stable id, used on the command line
        self.title = title        # what the user reads
        self.bands = bands        # (red, green, blue)
        self.purpose = purpose    # one line on what it shows

    @property
    def label(self):
        """The string users pick, as they know it: "SWIR 12-8A-4"."""
        return "{} {}".format(self.title, "-".join(
            b[1:].lstrip("0") for b in self.bands))


#: Combinations in the order they are offered. Keys never change: models and
#: scripts store them.
COMBINATIONS = (
    Combination("true_colour", "True colour", ("B04", "B03", "B02"),
                "the scene as the eye sees it"),
    Combination("false_colour_infrared", "False colour infrared",
                ("B08", "B04", "B03"),
                "healthy vegetation in bright red"),
    Combination("swir", "SWIR", ("B12", "B8A", "B04"),
                "moisture, burn scars, bare soil"),
    Combination("agriculture", "Agriculture", ("B11", "B08", "B02"),
                "crops in vivid green, bare fields in brown"),
    Combination("geology", "Geology", ("B12", "B11", "B02"),
                "rock and mineral types"),
    Combination("bathymetric", "Bathymetric", ("B04", "B03", "B01"),
                "shallow water and its floor"),
    Combination("vegetation_analysis", "Vegetation analysis",
                ("B11", "B8A", "B04"), "vegetation vigour and stress"),
    Combination("urban", "False colour urban", ("B12", "B11", "B04"),
                "built-up areas against vegetation"),
    Combination("atmospheric_penetration", "Atmospheric penetration",
                ("B12", "B11", "B8A"), "land through haze and smoke"),
    Combination("snow_clouds", "Snow and clouds", ("B02", "B11", "B12"),
                "snow (blue) told apart from clouds (white)"),
)


def combination(key):
    """The Combination with id or label ``key``, in any case (as band names
    are taken), or BandError naming the valid ids."""
    wanted = str(key).strip().lower()
    for combo in COMBINATIONS:
        if wanted in (combo.key.lower(), combo.label.lower()):
            return combo
    raise BandError("Unknown band combination '{}'. Use one of {}.".format(
        key, ", ".join(c.key for c in COMBINATIONS)))
