"""What a product is and where its files are: from whatever the user
points at (a folder, a zip, a metadata file, on disk or over the
network; a STAC item) to its granules, band files,
grids and radiometric facts, and the checks that its files are whole and
match their checksums.

Offers:

* ``bands``: band names, native resolutions and the named combinations
  (plain data, no numpy);
* ``discovery``: ``open_product(path)``, the one way in, and
  ``expand_products(paths)``, an ItemCollection's items in its place;
* ``model``: ``Product`` and ``Granule``, what discovery returns;
* ``checksums``: band files verified against the manifest while they
  decode;
* ``masks``: a granule's cloud masks (SCL, MSK_CLASSI, MSK_CLOUDS GML)
  and the table of their classes;
* ``cloud_polygons``: the polygons of a MSK_CLOUDS GML;
* ``copies``: a remote product whose band files are read from local
  copies (``FetchedSource``).

Private to the package: ``sources`` (folder or zip), ``remote`` (a folder
or zip over the network), ``stac`` (a STAC item's assets), ``metadata``
(the XML), ``manifest`` (manifest.safe) and ``tiff_structure`` (whole-file
checks of GeoTIFF bands).
"""

__all__ = ["bands", "checksums", "cloud_polygons", "copies", "discovery",
           "masks", "model"]
