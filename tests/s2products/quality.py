"""Quality files: the OLQC reports of the QI_DATA folders, and the GML masks
of products made before processing baseline 04.00.
"""


def _qi_report(kind, name):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Earth_Explorer_File>
  <Earth_Explorer_Header>
    <Fixed_Header>
      <File_Name>{name}</File_Name>
      <File_Description>Report produced by OLQC-SC</File_Description>
      <File_Type>REP_OLQCPA</File_Type>
    </Fixed_Header>
  </Earth_Explorer_Header>
  <Data_Block type="xml">
    <report date="" gippVersion="" globalStatus="PASSED">
      <checkList>
        <parentID>{kind}</parentID>
        <check>
          <inspection creation="" duration="0" execution="" id="{kind}" item="{name}" name="{kind}" priority="1" processingStatus="done" status="PASSED"/>
          <message contentType="Text">Checks are OK</message>
        </check>
      </checkList>
    </report>
  </Data_Block>
</Earth_Explorer_File>
"""


def _gml_mask(kind, band, epsg):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<eop:Mask xmlns:eop="http://www.opengis.net/eop/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="{kind}_{band}">
  <gml:boundedBy>
    <gml:Null>Empty</gml:Null>
  </gml:boundedBy>
  <eop:maskType>{kind}</eop:maskType>
  <eop:extentOf srsName="urn:ogc:def:crs:EPSG::{epsg}"/>
  <eop:maskMembers/>
</eop:Mask>
"""
