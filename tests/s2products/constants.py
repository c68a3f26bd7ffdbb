"""The names and numbers the whole generator shares: the bands and their
resolutions, what Level-2A writes into each IMG_DATA folder, the
non-spectral rasters, the MGRS tiles the fixtures stand on, the radiometric
constants and the default sensing times.
"""

BANDS_10M = ("B02", "B03", "B04", "B08")
BANDS_20M = ("B05", "B06", "B07", "B8A", "B11", "B12")
BANDS_60M = ("B01", "B09", "B10")
ALL_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A",
             "B09", "B10", "B11", "B12")
# Level-2A drops the cirrus band (it only feeds the atmospheric correction).
L2A_BANDS = tuple(b for b in ALL_BANDS if b != "B10")
BAND_RESOLUTION = {b: 10 for b in BANDS_10M}
BAND_RESOLUTION.update({b: 20 for b in BANDS_20M})
BAND_RESOLUTION.update({b: 60 for b in BANDS_60M})
# Which spectral bands Sen2Cor writes into each IMG_DATA/Rxxm folder.
L2A_FOLDER_BANDS = {
    10: ("B02", "B03", "B04", "B08"),
    20: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B11", "B12"),
    60: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B11",
         "B12"),
}
# Non-spectral rasters, written when the whole product is requested or when
# named in ``bands``.
L1C_EXTRAS = ("TCI",)
TCI_FROM_BASELINE = (2, 4)
L2A_EXTRAS = ("TCI", "SCL", "AOT", "WVP")
L2A_EXTRA_RESOLUTIONS = {"TCI": (10, 20, 60), "SCL": (20, 60),
                         "AOT": (10, 20, 60), "WVP": (10, 20, 60)}

# Real MGRS tiles of the Sentinel-2 grid: EPSG code and upper-left corner of
# the 10980 x 10980 (10 m) tile. 31UFQ/31UGQ are east-west neighbours (their
# real overlap is 984 columns) and 32ULV is the overlapping tile of the next
# UTM zone, imaged by the same orbits. 31UFP/31UGP are the tiles south of
# 31UFQ/31UGQ.
TILES = {
    "31UFQ": (32631, 600000.0, 5500020.0),
    "31UGQ": (32631, 699960.0, 5500020.0),
    "31UFP": (32631, 600000.0, 5400000.0),
    "31UGP": (32631, 699960.0, 5400000.0),
    "32ULV": (32632, 300000.0, 5500020.0),
    "34UCF": (32634, 300000.0, 6100020.0),
}
TILE_PITCH = 99960.0      # distance between neighbouring tile origins (m)
FULL_TILE_PX = 10980      # 10 m pixels per side of a real tile
FULL_OVERLAP_PX = 984     # 10 m columns shared by real neighbours

QUANTIFICATION = 10000
OFFSET_FROM_BASELINE = (4, 0)  # first baseline with the radiometric offset
RADIO_OFFSET = -1000      # value written in the XML; DN = refl*1e4 - offset
NODATA_DN = 0
SATURATED_DN = 65535

DEFAULT_SENSING = "20230614T105629"
DEFAULT_OPER_SENSING = "20160315T105625"

_TIME_FMT = "%Y%m%dT%H%M%S"
