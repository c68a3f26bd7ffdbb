"""The GeoTIFF a run writes: checking the output path and writing it
atomically, the encoding, the staging file and its overviews, the Cloud
Optimized copy, and the provenance the file carries.

Offers:

* ``atomic``: output paths checked, and files written whole or not at all;
* ``partials``: the hidden partial files, and those runs left behind;
* ``encoding``: the compression and JPEG quality of an output (plain
  Python, no numpy);
* ``geotiff``: ``write_geotiff``, blocks in, a COG out;
* ``object_store``: outputs at ``s3://`` URLs, uploaded once complete;
* ``provenance``: layer names and the tags an output carries.

Private to the package: ``staging`` (the uncompressed staging file),
``pyramid`` (overviews made as blocks pass) and ``cog`` (the COG copy).
"""

__all__ = ["atomic", "encoding", "geotiff", "object_store", "partials",
           "provenance"]
