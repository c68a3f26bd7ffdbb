"""The product's root metadata (MTD_MSIL1C.xml, MTD_MSIL2A.xml, or the OPER
layout's MTD_SAFL1C file): the granules and their band files, the
radiometric and spectral information, the footprint and the quality
summary, with every element GDAL's SENTINEL2 driver reads.
"""

import math

from .constants import (ALL_BANDS, BAND_RESOLUTION, OFFSET_FROM_BASELINE,
                        QUANTIFICATION, RADIO_OFFSET)
from .names import _baseline_tuple, _utc

_WAVELENGTHS = {  # band: (min, max, central) in nm, Sentinel-2B MSI
    "B01": (411, 456, 442.3), "B02": (456, 532, 492.3),
    "B03": (536, 582, 559.0), "B04": (646, 685, 665.0),
    "B05": (694, 714, 703.8), "B06": (730, 748, 739.1),
    "B07": (766, 794, 779.7), "B08": (774, 907, 833.0),
    "B8A": (848, 880, 864.0), "B09": (930, 957, 943.2),
    "B10": (1339, 1415, 1376.9), "B11": (1538, 1679, 1610.4),
    "B12": (2065, 2303, 2185.7),
}
_SOLAR_IRRADIANCE = {  # W/m2/um per band id
    "S2A": (1884.69, 1959.66, 1823.24, 1512.06, 1424.64, 1287.61, 1162.08,
            1041.63, 955.32, 812.92, 367.15, 245.59, 85.25),
    "S2B": (1874.30, 1959.75, 1824.93, 1512.79, 1425.78, 1291.13, 1175.57,
            1041.28, 953.93, 817.58, 365.41, 247.08, 87.75),
}


def _granule_list(granules, image_files, datastrip_id, element, child,
                  image_format="JPEG2000"):
    """The root metadata's Granule_List entries: compact products name each
    granule <Granule> with IMAGE_FILE paths, OPER ones <Granules> with
    IMAGE_ID names; ``image_format`` says what the band files are."""
    xml = ""
    for g in granules:
        files = "".join(f"\n            <{child}>{f}</{child}>"
                        for f in image_files[g.tile])
        xml += f"""
        <Granule_List>
          <{element} datastripIdentifier="{datastrip_id}" granuleIdentifier="{g.identifier}" imageFormat="{image_format}">{files}
          </{element}>
        </Granule_List>"""
    return xml


def _pos_list(ring):
    return " ".join(f"{lat:.12g} {lon:.12g}" for lon, lat in ring)


def _earth_sun_u(when):
    doy = when.timetuple().tm_yday
    return 1.0 / (1.0 - 0.01673 * math.cos(0.0172 * (doy - 4))) ** 2


def _special_values():
    return """
      <Special_Values>
        <SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>
        <SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX>
      </Special_Values>
      <Special_Values>
        <SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT>
        <SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX>
      </Special_Values>
      <Image_Display_Order>
        <RED_CHANNEL>3</RED_CHANNEL>
        <GREEN_CHANNEL>2</GREEN_CHANNEL>
        <BLUE_CHANNEL>1</BLUE_CHANNEL>
      </Image_Display_Order>"""


def _spectral_information(sc):
    lines = []
    for i, b in enumerate(ALL_BANDS):
        lo, hi, centre = _WAVELENGTHS[b]
        phys = "B8A" if b == "B8A" else f"B{int(b[1:])}"
        lines.append(f"""
        <Spectral_Information bandId="{i}" physicalBand="{phys}">
          <RESOLUTION>{BAND_RESOLUTION[b]}</RESOLUTION>
          <Wavelength>
            <MIN unit="nm">{lo}</MIN>
            <MAX unit="nm">{hi}</MAX>
            <CENTRAL unit="nm">{centre}</CENTRAL>
          </Wavelength>
        </Spectral_Information>""")
    irr = "".join(
        f'\n          <SOLAR_IRRADIANCE bandId="{i}" unit="W/m²/µm">{v}'
        f"</SOLAR_IRRADIANCE>"
        for i, v in enumerate(_SOLAR_IRRADIANCE[sc]))
    return irr, "".join(lines)


def _offset_list(level, with_offset):
    if not with_offset:
        return ""
    tag = "RADIO_ADD_OFFSET" if level == "L1C" else "BOA_ADD_OFFSET"
    wrap = ("Radiometric_Offset_List" if level == "L1C"
            else "BOA_ADD_OFFSET_VALUES_LIST")
    items = "".join(f'\n        <{tag} band_id="{i}">{RADIO_OFFSET}</{tag}>'
                    for i in range(len(ALL_BANDS)))
    return f"\n      <{wrap}>{items}\n      </{wrap}>"


_SCL_CLASSES = (
    (0, "SC_NODATA"), (1, "SC_SATURATED_DEFECTIVE"),
    (2, "SC_DARK_FEATURE_SHADOW"),
    (3, "SC_CLOUD_SHADOW"), (4, "SC_VEGETATION"), (5, "SC_NOT_VEGETATED"),
    (6, "SC_WATER"), (7, "SC_UNCLASSIFIED"), (8, "SC_CLOUD_MEDIUM_PROBA"),
    (9, "SC_CLOUD_HIGH_PROBA"), (10, "SC_THIN_CIRRUS"), (11, "SC_SNOW_ICE"),
)


def _root_mtd(n, granules, image_files, footprint, cloud_pct, with_offset,
              image_format="JPEG2000"):
    lv = n.lv
    level_word = "Level-1C" if lv == "L1C" else "Level-2A"
    psd = "psd-14" if n.layout == "compact" else "psd-12"
    ns = (f"https://{psd}.sentinel2.eo.esa.int/PSD/"
          f"User_Product_{level_word}.xsd")
    start = _utc(n.t) + ".024Z"
    irr, spectral = _spectral_information(n.sc)
    doi = ""
    if _baseline_tuple(n.baseline) >= OFFSET_FROM_BASELINE:
        doi = ("\n      <PRODUCT_DOI>https://doi.org/10.5270/S2_-"
               + ("742ikth" if lv == "L1C" else "znk9xsj") + "</PRODUCT_DOI>")
    if n.layout == "compact":
        query = """
      <Query_Options completeSingleTile="true">
        <PRODUCT_FORMAT>SAFE_COMPACT</PRODUCT_FORMAT>
      </Query_Options>"""
        granule_xml = _granule_list(granules, image_files, n.datastrip_id,
                                    "Granule", "IMAGE_FILE", image_format)
    else:
        band_list = "".join(
            f"\n          <BAND_NAME>{'B8A' if b == 'B8A' else 'B' + str(int(b[1:]))}</BAND_NAME>"
            for b in ALL_BANDS)
        query = f"""
      <Query_Options>
        <Aux_List/>
        <Band_List>{band_list}
        </Band_List>
        <METADATA_LEVEL>Standard</METADATA_LEVEL>
        <PRODUCT_FORMAT>SAFE</PRODUCT_FORMAT>
        <AGGREGATION_FLAG>true</AGGREGATION_FLAG>
      </Query_Options>"""
        granule_xml = _granule_list(granules, image_files, n.datastrip_id,
                                    "Granules", "IMAGE_ID")
    if lv == "L1C":
        quant = ('\n      <QUANTIFICATION_VALUE unit="none">'
                 f"{QUANTIFICATION}</QUANTIFICATION_VALUE>")
        scl = ""
        gains = "".join(
            f'\n      <PHYSICAL_GAINS bandId="{i}">{g:.8f}</PHYSICAL_GAINS>'
            for i, g in enumerate((3.9, 4.0, 4.3, 5.1, 5.3, 5.7, 5.9, 4.3, 6.5,
                                   23.4, 55.8, 31.4, 90.1)))
    else:
        quant = f"""
      <QUANTIFICATION_VALUES_LIST>
        <BOA_QUANTIFICATION_VALUE unit="none">{QUANTIFICATION}</BOA_QUANTIFICATION_VALUE>
        <AOT_QUANTIFICATION_VALUE unit="none">1000.0</AOT_QUANTIFICATION_VALUE>
        <WVP_QUANTIFICATION_VALUE unit="cm">1000.0</WVP_QUANTIFICATION_VALUE>
      </QUANTIFICATION_VALUES_LIST>"""
        scl = "\n      <Scene_Classification_List>" + "".join(f"""
        <Scene_Classification_ID>
          <SCENE_CLASSIFICATION_TEXT>{t}</SCENE_CLASSIFICATION_TEXT>
          <SCENE_CLASSIFICATION_INDEX>{i}</SCENE_CLASSIFICATION_INDEX>
        </Scene_Classification_ID>""" for i, t in _SCL_CLASSES) + \
            "\n      </Scene_Classification_List>"
        gains = ""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:{level_word}_User_Product xmlns:n1="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{ns}">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{start}</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>{start}</PRODUCT_STOP_TIME>
      <PRODUCT_URI>{n.safe}.SAFE</PRODUCT_URI>
      <PROCESSING_LEVEL>{level_word}</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI{lv[1:]}</PRODUCT_TYPE>
      <PROCESSING_BASELINE>{n.baseline}</PROCESSING_BASELINE>{doi}
      <GENERATION_TIME>{_utc(n.generation)}.000000Z</GENERATION_TIME>
      <PREVIEW_IMAGE_URL>Not applicable</PREVIEW_IMAGE_URL>
      <PREVIEW_GEO_INFO>Not applicable</PREVIEW_GEO_INFO>
      <Datatake datatakeIdentifier="G{n.sc}_{n.ts}_{n.orbit_abs:06d}_{n.base_dotted}">
        <SPACECRAFT_NAME>{n.spacecraft_name}</SPACECRAFT_NAME>
        <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
        <DATATAKE_SENSING_START>{start}</DATATAKE_SENSING_START>
        <SENSING_ORBIT_NUMBER>{n.orbit_rel}</SENSING_ORBIT_NUMBER>
        <SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
      </Datatake>{query}
      <Product_Organisation>{granule_xml}
      </Product_Organisation>
    </Product_Info>
    <Product_Image_Characteristics>{_special_values()}{quant}{_offset_list(lv, with_offset)}
      <Reflectance_Conversion>
        <U>{_earth_sun_u(n.t):.14f}</U>
        <Solar_Irradiance_List>{irr}
        </Solar_Irradiance_List>
      </Reflectance_Conversion>
      <Spectral_Information_List>{spectral}
      </Spectral_Information_List>{gains}{scl}
      <REFERENCE_BAND>1</REFERENCE_BAND>
    </Product_Image_Characteristics>
  </n1:General_Info>
  <n1:Geometric_Info>
    <Product_Footprint>
      <Product_Footprint>
        <Global_Footprint>
          <EXT_POS_LIST>{_pos_list(footprint)}</EXT_POS_LIST>
        </Global_Footprint>
      </Product_Footprint>
      <RASTER_CS_TYPE>POINT</RASTER_CS_TYPE>
      <PIXEL_ORIGIN>1</PIXEL_ORIGIN>
    </Product_Footprint>
    <Coordinate_Reference_System>
      <GEO_TABLES version="1">EPSG</GEO_TABLES>
      <HORIZONTAL_CS_TYPE>GEOGRAPHIC</HORIZONTAL_CS_TYPE>
    </Coordinate_Reference_System>
  </n1:Geometric_Info>
  <n1:Auxiliary_Data_Info>
    <PRODUCTION_DEM_TYPE>S2__OPER_DEM_GLOBEF_PDMC_19800101T000000_S19800101T000000</PRODUCTION_DEM_TYPE>
    <IERS_BULLETIN_FILENAME>S2__OPER_AUX_UT1UTC_PDMC_{n.t.strftime('%Y%m%d')}T000000_V{n.t.strftime('%Y%m%d')}T000000_{n.t.year + 1}{n.t.strftime('%m%d')}T000000</IERS_BULLETIN_FILENAME>
  </n1:Auxiliary_Data_Info>
  <n1:Quality_Indicators_Info>
    <Cloud_Coverage_Assessment>{cloud_pct:.4f}</Cloud_Coverage_Assessment>
    <Technical_Quality_Assessment>
      <DEGRADED_ANC_DATA_PERCENTAGE>0.0</DEGRADED_ANC_DATA_PERCENTAGE>
      <DEGRADED_MSI_DATA_PERCENTAGE>0</DEGRADED_MSI_DATA_PERCENTAGE>
    </Technical_Quality_Assessment>
    <Quality_Control_Checks>
      <Quality_Inspections>
        <quality_check checkType="SENSOR_QUALITY">PASSED</quality_check>
        <quality_check checkType="GEOMETRIC_QUALITY">PASSED</quality_check>
        <quality_check checkType="GENERAL_QUALITY">PASSED</quality_check>
        <quality_check checkType="FORMAT_CORRECTNESS">PASSED</quality_check>
        <quality_check checkType="RADIOMETRIC_QUALITY">PASSED</quality_check>
      </Quality_Inspections>
    </Quality_Control_Checks>
  </n1:Quality_Indicators_Info>
</n1:{level_word}_User_Product>
"""
