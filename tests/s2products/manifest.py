"""manifest.safe: the XFDU manifest that lists every other file of the
product with its size and checksum.
"""

import re

from s2files import checksum_kind, file_checksum

from .names import _utc


def _manifest(n, safe_dir, footprint):
    """XFDU manifest listing every file of the product with its size and
    checksum: MD5 before baseline 03.01, SHA3-256 from then on."""
    objects = []
    checksum = checksum_kind(n.baseline)
    for path in sorted(p for p in safe_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(safe_dir).as_posix()
        if rel == "manifest.safe":
            continue
        ident = re.sub(r"[^A-Za-z0-9_]", "_", rel)
        mime = ("text/xml" if rel.endswith((".xml", ".xsd", ".gml"))
                else "application/octet-stream")
        objects.append(f"""
    <dataObject ID="{ident}">
      <byteStream mimeType="{mime}" size="{path.stat().st_size}">
        <fileLocation locatorType="URL" href="./{rel}"/>
        <checksum checksumName="{checksum}">{file_checksum(path, checksum)}</checksum>
      </byteStream>
    </dataObject>""")
    coords = " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in footprint)
    kind = "Level-1C" if n.lv == "L1C" else "Level-2A"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:safe="http://www.esa.int/safe/sentinel/1.1" xmlns:gml="http://www.opengis.net/gml" version="esa/safe/sentinel/1.1/sentinel-2/msi/archive_{n.lv.lower()}_user_product">
  <informationPackageMap>
    <xfdu:contentUnit unitType="Product_{kind}" ID="{n.safe}" dmdID="acquisitionPeriod platform measurementFrameSet">
      <xfdu:contentUnit unitType="Metadata" ID="Product_Metadata" dmdID="S2_{kind}_Product_Metadata"/>
    </xfdu:contentUnit>
  </informationPackageMap>
  <metadataSection>
    <metadataObject ID="acquisitionPeriod" classification="DESCRIPTION" category="DMD">
      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Acquisition Period">
        <xmlData>
          <safe:acquisitionPeriod>
            <safe:startTime>{_utc(n.t)}.024Z</safe:startTime>
          </safe:acquisitionPeriod>
        </xmlData>
      </metadataWrap>
    </metadataObject>
    <metadataObject ID="platform" classification="DESCRIPTION" category="DMD">
      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Platform Description">
        <xmlData>
          <safe:platform>
            <safe:nssdcIdentifier>{'2015-028A' if n.sc == 'S2A' else '2017-013A'}</safe:nssdcIdentifier>
            <safe:familyName>SENTINEL</safe:familyName>
            <safe:number>{n.sc[-1]}</safe:number>
            <safe:instrument><safe:familyName abbreviation="MSI">Multi-Spectral Instrument</safe:familyName></safe:instrument>
          </safe:platform>
        </xmlData>
      </metadataWrap>
    </metadataObject>
    <metadataObject ID="measurementFrameSet" classification="DESCRIPTION" category="DMD">
      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Frame Set">
        <xmlData>
          <safe:frameSet><safe:footPrint srsName="http://www.opengis.net/gml/srs/epsg.xml#4326"><gml:coordinates>{coords}</gml:coordinates></safe:footPrint></safe:frameSet>
        </xmlData>
      </metadataWrap>
    </metadataObject>
  </metadataSection>
  <dataObjectSection>{''.join(objects)}
  </dataObjectSection>
</xfdu:XFDU>
"""
