"""Quality files: the OLQC reports of the QI_DATA folders, and the GML masks
of products made before processing baseline 04.00.
"""

import numpy as np


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


def _gml_clouds(cloudy, geotransform, epsg):
    """A MSK_CLOUDS_B00.gml of products before baseline 04.00: one OPAQUE
    polygon per run of cloudy pixels along a row of ``cloudy`` (a bool
    array on the GDAL ``geotransform``), none where ``cloudy`` is None."""
    if cloudy is None:
        return _gml_mask("CLOUDS", "B00", epsg)
    ulx, res, _, uly, _, _ = geotransform
    features = []
    for row in range(cloudy.shape[0]):
        line = cloudy[row].astype(np.int8)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], line, [0]))))
        for start, end in zip(edges[0::2], edges[1::2]):
            x0, x1 = ulx + start * res, ulx + end * res
            y0, y1 = uly - row * res, uly - (row + 1) * res
            ring = " ".join("{:.1f} {:.1f}".format(x, y) for x, y in (
                (x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)))
            number = len(features)
            features.append(f"""
    <eop:MaskFeature gml:id="OPAQUE.{number}">
      <eop:maskType codeSpace="urn:gs2:S2PDGS:maskType">OPAQUE</eop:maskType>
      <eop:extentOf>
        <gml:Polygon gml:id="OPAQUE.{number}.Polygon" srsName="urn:ogc:def:crs:EPSG::{epsg}">
          <gml:exterior>
            <gml:LinearRing>
              <gml:posList srsDimension="2">{ring}</gml:posList>
            </gml:LinearRing>
          </gml:exterior>
        </gml:Polygon>
      </eop:extentOf>
    </eop:MaskFeature>""")
    if not features:
        return _gml_mask("CLOUDS", "B00", epsg)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<eop:Mask xmlns:eop="http://www.opengis.net/eop/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="CLOUDS_B00">
  <eop:maskType>CLOUDS</eop:maskType>
  <eop:extentOf srsName="urn:ogc:def:crs:EPSG::{epsg}"/>
  <eop:maskMembers>{"".join(features)}
  </eop:maskMembers>
</eop:Mask>
"""
