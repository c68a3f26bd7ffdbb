"""Pure Python core of Sentinel-2 Equalizer: no QGIS and no Qt imports here.

The core is grouped by what each part owns; imports only point down this
list (docs/ARCHITECTURE.md is the map, tests/test_structure.py holds it):

* the stages and jobs, as modules here: ``plan`` (what a run will do),
  ``options`` (what it is asked), ``measure`` (the measure stage),
  ``render`` (one product's run), ``mosaic`` and ``mosaic_scale`` (many
  products, one image), ``progress`` (progress and cancel);
* ``curves``: the mathematics on histograms and arrays;
* ``pixels``: decoding bands onto the output grid, block by block;
* ``product`` and ``output``: what a product is and where its files are;
  the GeoTIFF a run writes;
* ``gdal``: process-wide GDAL state and GDAL calls off Python's lock;
* ``errors``: the core's exceptions, which every part raises.

A package's neighbours import only the modules its ``__all__`` names.
Modules that need numpy or rasterio import them themselves, so that
``core.product.bands``, ``core.curves.modes`` and ``core.output.encoding``
stay importable on a system that lacks them.
"""
