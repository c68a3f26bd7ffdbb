"""The product's catalogue and presentation files: INSPIRE.xml, the HTML
index and the XSD schema stubs.
"""

from .names import _utc


def _inspire(n, footprint):
    lons = [p[0] for p in footprint]
    lats = [p[1] for p in footprint]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gml="http://www.opengis.net/gml">
  <gmd:fileIdentifier><gco:CharacterString>{n.safe}</gco:CharacterString></gmd:fileIdentifier>
  <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="eng">eng</gmd:LanguageCode></gmd:language>
  <gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="http://standards.iso.org/ittf/PubliclyAvailableStandards/ISO_19139_Schemas/resources/Codelist/ML_gmxCodelists.xml#MD_ScopeCode" codeListValue="dataset">dataset</gmd:MD_ScopeCode></gmd:hierarchyLevel>
  <gmd:dateStamp><gco:Date>{n.generation.strftime('%Y-%m-%d')}</gco:Date></gmd:dateStamp>
  <gmd:identificationInfo>
    <gmd:MD_DataIdentification>
      <gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>{n.safe}</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>
      <gmd:abstract><gco:CharacterString>Sentinel-2 MSI {n.lv} product</gco:CharacterString></gmd:abstract>
      <gmd:extent>
        <gmd:EX_Extent>
          <gmd:geographicElement>
            <gmd:EX_GeographicBoundingBox>
              <gmd:westBoundLongitude><gco:Decimal>{min(lons):.6f}</gco:Decimal></gmd:westBoundLongitude>
              <gmd:eastBoundLongitude><gco:Decimal>{max(lons):.6f}</gco:Decimal></gmd:eastBoundLongitude>
              <gmd:southBoundLatitude><gco:Decimal>{min(lats):.6f}</gco:Decimal></gmd:southBoundLatitude>
              <gmd:northBoundLatitude><gco:Decimal>{max(lats):.6f}</gco:Decimal></gmd:northBoundLatitude>
            </gmd:EX_GeographicBoundingBox>
          </gmd:geographicElement>
          <gmd:temporalElement>
            <gmd:EX_TemporalExtent>
              <gmd:extent><gml:TimePeriod gml:id="acquisition"><gml:beginPosition>{_utc(n.t)}</gml:beginPosition><gml:endPosition>{_utc(n.t)}</gml:endPosition></gml:TimePeriod></gmd:extent>
            </gmd:EX_TemporalExtent>
          </gmd:temporalElement>
        </gmd:EX_Extent>
      </gmd:extent>
    </gmd:MD_DataIdentification>
  </gmd:identificationInfo>
</gmd:MD_Metadata>
"""


def _xsd(name):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="unqualified" version="14.9">
  <xs:annotation><xs:documentation>{name}</xs:documentation></xs:annotation>
</xs:schema>
"""


def _html(n):
    return f"""<!DOCTYPE html>
<html>
<head><meta charset="UTF-8"><title>{n.safe}</title></head>
<body>
<h1>Sentinel-2 {n.lv} User Product</h1>
<p>{n.safe}</p>
</body>
</html>
"""
