"""A granule's metadata (MTD_TL.xml, or the OPER layout's MTD_L1C_TL file):
its geocoding at each resolution, the sun and viewing angles, the image
content statistics and the list of its quality masks.
"""

import datetime as dt
import math

from .constants import ALL_BANDS
from .footprint import _lonlat
from .names import _utc


def _sun_angles(lon, lat, when):
    """Solar zenith and azimuth (degrees) from a low-precision ephemeris."""
    doy = when.timetuple().tm_yday
    hour = when.hour + when.minute / 60.0 + when.second / 3600.0
    g = 2.0 * math.pi / 365.0 * (doy - 1 + (hour - 12) / 24.0)
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
            - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
            - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))
    eqt = 229.18 * (0.000075 + 0.001868 * math.cos(g)
                    - 0.032077 * math.sin(g) - 0.014615 * math.cos(2 * g)
                    - 0.040849 * math.sin(2 * g))
    tst = hour * 60.0 + eqt + 4.0 * lon
    ha = math.radians(tst / 4.0 - 180.0)
    phi = math.radians(lat)
    cos_z = (math.sin(phi) * math.sin(decl)
             + math.cos(phi) * math.cos(decl) * math.cos(ha))
    zen = math.acos(max(-1.0, min(1.0, cos_z)))
    az = math.degrees(math.atan2(
        math.sin(ha), math.cos(ha) * math.sin(phi)
        - math.tan(decl) * math.cos(phi))) + 180.0
    return math.degrees(zen), az % 360.0


def _angles_grid(value_fn):
    rows = []
    for j in range(23):
        rows.append(" ".join(f"{value_fn(i, j):.6g}" for i in range(23)))
    return "".join(f"\n              <VALUES>{r}</VALUES>" for r in rows)


def _tile_mtd(n, g, stats, masks_xml, pvi_name):
    lv = n.lv
    level_word = "Level-1C" if lv == "L1C" else "Level-2A"
    psd = "psd-14" if n.layout == "compact" else "psd-12"
    ns = (f"https://{psd}.sentinel2.eo.esa.int/PSD/"
          f"S2_PDI_{level_word}_Tile_Metadata.xsd")
    zone = g.epsg - 32600
    size_xml = "".join(f"""
      <Size resolution="{r}">
        <NROWS>{g.shape(r)[0]}</NROWS>
        <NCOLS>{g.shape(r)[1]}</NCOLS>
      </Size>""" for r in (10, 20, 60))
    geo_xml = "".join(f"""
      <Geoposition resolution="{r}">
        <ULX>{g.ulx:.0f}</ULX>
        <ULY>{g.uly:.0f}</ULY>
        <XDIM>{r}</XDIM>
        <YDIM>-{r}</YDIM>
      </Geoposition>""" for r in (10, 20, 60))
    cx = g.ulx + g.size * 5.0
    cy = g.uly - g.size * 5.0
    lon, lat = _lonlat(g.epsg, [(cx, cy)])[0]
    sensing = n.t + dt.timedelta(seconds=3, microseconds=456000)
    zen, az = _sun_angles(lon, lat, sensing)
    zen_grid = _angles_grid(
        lambda i, j: zen + 0.02 * (j - 11) - 0.01 * (i - 11))
    az_grid = _angles_grid(lambda i, j: az + 0.03 * (i - 11))
    view = "".join(f"""
        <Mean_Viewing_Incidence_Angle bandId="{i}">
          <ZENITH_ANGLE unit="deg">{4.2 + 0.05 * i:.4f}</ZENITH_ANGLE>
          <AZIMUTH_ANGLE unit="deg">{104.1 + 0.3 * i:.4f}</AZIMUTH_ANGLE>
        </Mean_Viewing_Incidence_Angle>""" for i in range(len(ALL_BANDS)))
    valid = max(1, stats["valid"])
    total = max(1, stats["valid"] + stats["nodata"])
    cloud_pct = 100.0 * stats["cloud"] / valid
    qi = f"""
      <CLOUDY_PIXEL_PERCENTAGE>{cloud_pct:.4f}</CLOUDY_PIXEL_PERCENTAGE>
      <DEGRADED_MSI_DATA_PERCENTAGE>0</DEGRADED_MSI_DATA_PERCENTAGE>
      <SNOW_PIXEL_PERCENTAGE>0.000000</SNOW_PIXEL_PERCENTAGE>"""
    if lv == "L2A":
        qi += f"""
      <NODATA_PIXEL_PERCENTAGE>{100.0 * stats['nodata'] / total:.6f}</NODATA_PIXEL_PERCENTAGE>
      <SATURATED_DEFECTIVE_PIXEL_PERCENTAGE>{100.0 * stats['saturated'] / valid:.6f}</SATURATED_DEFECTIVE_PIXEL_PERCENTAGE>
      <CLOUD_SHADOW_PERCENTAGE>{100.0 * stats['shadow'] / valid:.6f}</CLOUD_SHADOW_PERCENTAGE>
      <VEGETATION_PERCENTAGE>{100.0 * stats['veg'] / valid:.6f}</VEGETATION_PERCENTAGE>
      <WATER_PERCENTAGE>{100.0 * stats['water'] / valid:.6f}</WATER_PERCENTAGE>
      <HIGH_PROBA_CLOUDS_PERCENTAGE>{cloud_pct:.6f}</HIGH_PROBA_CLOUDS_PERCENTAGE>
      <THIN_CIRRUS_PERCENTAGE>0.000000</THIN_CIRRUS_PERCENTAGE>"""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:{level_word}_Tile_ID xmlns:n1="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{ns}">
  <n1:General_Info>
    <TILE_ID metadataLevel="Brief">{g.identifier}</TILE_ID>
    <DATASTRIP_ID metadataLevel="Standard">{n.datastrip_id}</DATASTRIP_ID>
    <DOWNLINK_PRIORITY metadataLevel="Standard">NOMINAL</DOWNLINK_PRIORITY>
    <SENSING_TIME metadataLevel="Standard">{_utc(sensing)}.456000Z</SENSING_TIME>
    <Archiving_Info metadataLevel="Expertise">
      <ARCHIVING_CENTRE>{n.station}</ARCHIVING_CENTRE>
      <ARCHIVING_TIME>{_utc(n.generation)}.000000Z</ARCHIVING_TIME>
    </Archiving_Info>
  </n1:General_Info>
  <n1:Geometric_Info>
    <Tile_Geocoding metadataLevel="Brief">
      <HORIZONTAL_CS_NAME>WGS84 / UTM zone {zone}N</HORIZONTAL_CS_NAME>
      <HORIZONTAL_CS_CODE>EPSG:{g.epsg}</HORIZONTAL_CS_CODE>{size_xml}{geo_xml}
    </Tile_Geocoding>
    <Tile_Angles metadataLevel="Standard">
      <Sun_Angles_Grid>
        <Zenith>
          <COL_STEP unit="m">5000</COL_STEP>
          <ROW_STEP unit="m">5000</ROW_STEP>
          <Values_List>{zen_grid}
          </Values_List>
        </Zenith>
        <Azimuth>
          <COL_STEP unit="m">5000</COL_STEP>
          <ROW_STEP unit="m">5000</ROW_STEP>
          <Values_List>{az_grid}
          </Values_List>
        </Azimuth>
      </Sun_Angles_Grid>
      <Mean_Sun_Angle>
        <ZENITH_ANGLE unit="deg">{zen:.10f}</ZENITH_ANGLE>
        <AZIMUTH_ANGLE unit="deg">{az:.10f}</AZIMUTH_ANGLE>
      </Mean_Sun_Angle>
      <Mean_Viewing_Incidence_Angle_List>{view}
      </Mean_Viewing_Incidence_Angle_List>
    </Tile_Angles>
  </n1:Geometric_Info>
  <n1:Quality_Indicators_Info metadataLevel="Standard">
    <Image_Content_QI>{qi}
    </Image_Content_QI>
    <Pixel_Level_QI geometry="FULL_RESOLUTION">{masks_xml}
    </Pixel_Level_QI>
    <PVI_FILENAME>{pvi_name}</PVI_FILENAME>
  </n1:Quality_Indicators_Info>
</n1:{level_word}_Tile_ID>
"""
