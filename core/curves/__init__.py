"""The mathematics: sampled histograms, equalization, contrast limiting,
luminance, adaptive tiles, the methods that combine them, and the curve
file that carries histograms and lookup tables between runs.

Offers:

* ``modes``: the methods and colour modes, their defaults and checks
  (plain Python, no numpy);
* ``equalize``: histograms and lookup tables of 16-bit bands;
* ``luminance``: the luminance histogram and mapper;
* ``tiles``: the adaptive method's tiles and their histograms;
* ``gridsample``: the grid measure (luminance and tile histograms);
* ``mapping``: what a method needs and makes, from checks to mappers;
* ``totals``: measurements added up, the same in any order or grouping;
* ``curve``: measurements, curves and the curve file;
* ``report``: a curve drawn as an HTML page.

Private to the package: ``pieces`` (blocks in cache-sized pieces),
``contrast`` (clipped histograms), ``adaptive`` (per-tile curves and
their interpolation), ``curve_tiles`` (tile histograms in a curve file).
"""

__all__ = ["curve", "equalize", "gridsample", "luminance", "mapping",
           "modes", "report", "tiles", "totals"]
