"""Decoding bands onto the output grid, block by block: the grid itself,
the readers, the warp of granules from another UTM zone, the spools that
hold a band between a run's two passes, and the strips of a one-pass run.

Offers:

* ``grid``: ``Grid``, the output grid, and how it is chosen;
* ``reading``: bands decoded onto a grid, tile by tile, prefetched;
* ``spool``: ``Spool``, a band in output-grid space on disk;
* ``strips``: bands onto the grid strip by strip (a run given a curve);
* ``warp``: a granule of another UTM zone onto the grid;
* ``area``: an area of interest, the grid it crops and its mask;
* ``clouds``: a product's cloud mask on the grid, and what a run does
  with clouds;
* ``fetch``: remote band files a run reads whole, fetched once into the
  scratch folder before the decode.

Private to the package: ``ahead`` (work computed ahead of its reader).
"""

__all__ = ["area", "clouds", "fetch", "grid", "reading", "spool",
           "strips", "warp"]
