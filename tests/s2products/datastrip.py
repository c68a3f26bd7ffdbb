"""The datastrip's metadata (MTD_DS.xml, or the OPER layout's MTD_L1C_DS
file): its sensing period, datatake, processing and list of tiles.
"""

import datetime as dt

from .names import _utc


def _datastrip_mtd(n, granules):
    level_word = "Level-1C" if n.lv == "L1C" else "Level-2A"
    psd = "psd-14" if n.layout == "compact" else "psd-12"
    ns = (f"https://{psd}.sentinel2.eo.esa.int/PSD/"
          f"S2_PDI_{level_word}_Datastrip_Metadata.xsd")
    start = _utc(n.ds_start) + ".000000Z"
    stop = _utc(n.t + dt.timedelta(seconds=40)) + ".000000Z"
    tiles = "".join(f"\n        <TILE_ID>{g.identifier}</TILE_ID>"
                    for g in granules)
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:{level_word}_DataStrip_ID xmlns:n1="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{ns}">
  <n1:General_Info>
    <Datastrip_Time_Info>
      <DATASTRIP_SENSING_START>{start}</DATASTRIP_SENSING_START>
      <DATASTRIP_SENSING_STOP>{stop}</DATASTRIP_SENSING_STOP>
    </Datastrip_Time_Info>
    <Datatake_Info datatakeIdentifier="G{n.sc}_{n.ts}_{n.orbit_abs:06d}_{n.base_dotted}">
      <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
      <SPACECRAFT_NAME>{n.spacecraft_name}</SPACECRAFT_NAME>
      <DATATAKE_SENSING_START>{_utc(n.t)}.024Z</DATATAKE_SENSING_START>
      <SENSING_ORBIT_NUMBER>{n.orbit_rel}</SENSING_ORBIT_NUMBER>
      <SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
    </Datatake_Info>
    <Processing_Info>
      <PROCESSING_CENTER>{n.station.rstrip('_')}</PROCESSING_CENTER>
      <UTC_DATE_TIME>{_utc(n.generation)}.000000Z</UTC_DATE_TIME>
      <PROCESSING_BASELINE>{n.baseline}</PROCESSING_BASELINE>
    </Processing_Info>
  </n1:General_Info>
  <n1:Image_Data_Info>
    <Tiles_Information>
      <Tile_List>{tiles}
      </Tile_List>
    </Tiles_Information>
  </n1:Image_Data_Info>
</n1:{level_word}_DataStrip_ID>
"""
