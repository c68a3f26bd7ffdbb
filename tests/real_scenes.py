"""The real Sentinel-2 scenes of ``../shared/realdata`` as products the
equalizer runs on, and the measures that judge its pictures on them
(``make quality``, tests/test_real_scenes.py).

* T29UNU, 2022-10-05: a real L2A product (60 m bands only, with its real
  scene classification), run at 60 m as it is.
* T19UDP, 2017-07-29: real L1C bands at the ~160 m preview level with no
  product around them. They are wrapped into a product of the test
  generator: the generator's L1C of baseline 02.05 (no radiometric offset,
  as the real one) at 1830 pixels of 10 m, its band files replaced by the
  real bands resampled (bilinear) to 1830 pixels. So the 109.8 km tile is
  drawn on an 18.3 km grid: the adaptive method's tiles are made 6 times
  smaller (833 m) to cover the same share of the picture as 5000 m tiles
  do on the real tile. The band files no longer match the generated
  manifest, so the runs do not verify them.

Measures, on the output's mean of R, G and B (0-255):

* local contrast: the standard deviation in 5 x 5-pixel windows (of the
  valid pixels in each window), median over a class;
* median level: the class's median;
* chromaticity error: the mean, over a class, of the distance between
  the output's chromaticity (each channel's share of R + G + B) and the
  input reflectances' (B04, B03, B02).

Classes come from the scene classification (SCL) where there is one:
clear land 4-7 (vegetation, bare, water, unclassified), cloud 8-10, water
6. The L1C scene has none; its clear vegetation, for the chromaticity
only, is NDVI above 0.4 with B02 under 0.15.

Contains modified Copernicus Sentinel data 2017, 2022.
"""

import glob
import os
from dataclasses import dataclass, field

import numpy as np
import rasterio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Where the real scenes are: S2EQ_REALDATA, else ../shared/realdata
#: beside the checkout.
REALDATA = os.environ.get("S2EQ_REALDATA") or os.path.join(
    os.path.dirname(ROOT), "shared", "realdata")
L2A_SAFE = "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"
L1C_PREVIEW = "T19UDP_20170729_L1C_preview"
ATTRIBUTION = "Contains modified Copernicus Sentinel data {}"

#: Every method and colour mode, as ``make quality`` shows them.
MODES = [(method, colour)
         for colour in ("per band", "luminance")
         for method in ("equalize", "contrast-limited", "adaptive")]
SCL_CLASSES = {"clear land": (4, 5, 6, 7), "cloud": (8, 9, 10),
               "water": (6,)}
#: Side of the local-contrast windows, in pixels.
WINDOW = 5


def make_importable():
    """Link the checkout as the package sentinel2_equalizer in
    .build/plugins (as the tests and scripts/qgis-process do) and put that
    folder on sys.path, for the scripts that use these scenes."""
    import sys
    plugins = os.path.join(ROOT, ".build", "plugins")
    os.makedirs(plugins, exist_ok=True)
    link = os.path.join(plugins, "sentinel2_equalizer")
    if not os.path.lexists(link):
        os.symlink(os.path.join("..", ".."), link)
    if plugins not in sys.path:
        sys.path.insert(0, plugins)


def available():
    """Whether the real scenes are there."""
    return all(os.path.isdir(os.path.join(REALDATA, name))
               for name in (L2A_SAFE, L1C_PREVIEW))


@dataclass
class Scene:
    """A real scene made ready to run: ``product`` (its path),
    ``options`` (keywords of every run), ``tile_size`` (the adaptive
    method's), ``reflectance`` (B04, B03, B02 on the output grid,
    float), ``classes`` (name -> boolean mask on the output grid)."""

    name: str
    year: int
    product: str
    options: dict
    tile_size: float
    reflectance: np.ndarray
    classes: dict = field(default_factory=dict)

    def run(self, method, colour, output, **extra):
        """Equalize the scene in one mode into ``output``."""
        from sentinel2_equalizer import api
        options = dict(self.options, method=method, colour=colour)
        if method == "adaptive":
            options["tile_size"] = self.tile_size
        options.update(extra)
        return api.equalize(self.product, str(output), **options)


def t29unu():
    """The real L2A scene, as it is, at 60 m."""
    safe = os.path.join(REALDATA, L2A_SAFE)
    folder = glob.glob(os.path.join(safe, "GRANULE", "*", "IMG_DATA",
                                    "R60m"))[0]

    def band(name):
        path = glob.glob(os.path.join(folder, "*_{}_60m.jp2".format(name)))
        with rasterio.open(path[0]) as src:
            return src.read(1)

    scl = band("SCL")
    # Baseline 04.00: reflectance x 10000 = DN - 1000.
    rgb = np.array([band(b).astype(np.float64) - 1000.0
                    for b in ("B04", "B03", "B02")]) / 10000.0
    classes = {name: np.isin(scl, values)
               for name, values in SCL_CLASSES.items()}
    return Scene("T29UNU 2022-10-05 L2A", 2022, safe, {"resolution": 60},
                 5000.0, rgb, classes)


def t19udp(folder, size=1830):
    """The real L1C bands wrapped into a generated product in ``folder``
    (made once)."""
    import s2products
    made = sorted(glob.glob(os.path.join(str(folder), "*.SAFE")))
    if made:
        safe = made[0]
    else:
        os.makedirs(str(folder), exist_ok=True)
        safe = str(s2products.make_product(
            folder, size=size, baseline="02.05",
            bands=("B02", "B03", "B04", "B08")))
        for name in ("B02", "B03", "B04", "B08"):
            _replace_band(safe, name, size)
    rgb = np.array([_read_band(safe, b) for b in ("B04", "B03", "B02")]
                   ) / 10000.0
    red, nir = rgb[0], _read_band(safe, "B08") / 10000.0
    with np.errstate(invalid="ignore", divide="ignore"):
        ndvi = (nir - red) / (nir + red)
    vegetation = (ndvi > 0.4) & (rgb[2] < 0.15) & (rgb[2] > 0)
    return Scene("T19UDP 2017-07-29 L1C", 2017, safe, {"verify": False},
                 5000.0 / 6, rgb, {"clear vegetation": vegetation})


def _band_path(safe, name):
    return glob.glob(os.path.join(safe, "GRANULE", "*", "IMG_DATA",
                                  "*_{}.jp2".format(name)))[0]


def _read_band(safe, name):
    with rasterio.open(_band_path(safe, name)) as src:
        return src.read(1).astype(np.float64)


def _replace_band(safe, name, size):
    """Write the real preview band ``name``, resampled to ``size`` pixels,
    over the product's band file, as lossless JPEG2000 on its grid."""
    from osgeo import gdal
    from sentinel2_equalizer.core.gdal.thread import ExceptionsOn
    path = _band_path(safe, name)
    source = os.path.join(REALDATA, L1C_PREVIEW, "{}.jp2".format(name))
    with ExceptionsOn():
        target = gdal.Open(path)
        transform, projection = (target.GetGeoTransform(),
                                 target.GetProjection())
        target = None
        # 0 is no-data: marked so, the resampling leaves it out rather
        # than ramping dark values along the edge of the data.
        marked = gdal.Translate("", source, format="VRT", noData=0)
        pixels = gdal.Translate("", marked, format="MEM", width=size,
                                height=size, resampleAlg="bilinear")
        marked = None
        pixels.SetGeoTransform(transform)
        pixels.SetProjection(projection)
        os.remove(path)
        gdal.GetDriverByName("JP2OpenJPEG").CreateCopy(
            path, pixels, options=["REVERSIBLE=YES", "QUALITY=100",
                                   "BLOCKXSIZE=1024", "BLOCKYSIZE=1024"])
        pixels = None


def scenes(folder):
    """Every real scene, the wrapped ones made in ``folder``."""
    return [t29unu(), t19udp(os.path.join(str(folder), "T19UDP"))]


def read_output(path):
    """(rgb float64 (3, rows, cols), valid mask) of an output."""
    with rasterio.open(str(path)) as src:
        return src.read().astype(np.float64), src.dataset_mask() > 0


def local_contrast(grey, valid, window=WINDOW):
    """Per pixel, the standard deviation of ``grey`` over the valid pixels
    of the ``window`` x ``window`` window around it."""
    from scipy.ndimage import uniform_filter
    weight = uniform_filter(valid.astype(np.float64), window)
    values = np.where(valid, grey, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = uniform_filter(values, window) / weight
        square = uniform_filter(values * values, window) / weight
        return np.sqrt(np.maximum(square - mean * mean, 0.0))


def chromaticity(rgb):
    """Each channel's share of the three (3, ...), NaN where all are 0."""
    total = rgb.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return rgb / total


def measures(scene, output):
    """{class: {"contrast", "median", "chroma"}} of one output."""
    rgb, valid = read_output(output)
    grey = rgb.mean(axis=0)
    contrast = local_contrast(grey, valid)
    shown = chromaticity(rgb)
    truth = chromaticity(np.clip(scene.reflectance, 0.0, None))
    found = {}
    for name, mask in scene.classes.items():
        where = mask & valid
        if not where.any():
            continue
        distance = np.abs(shown[:, where] - truth[:, where]).sum(axis=0)
        found[name] = {"contrast": float(np.median(contrast[where])),
                       "median": float(np.median(grey[where])),
                       "chroma": float(np.nanmean(distance))}
    return found
