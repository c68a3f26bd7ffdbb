"""make bench cases of the methods and colour modes (scripts/bench.py runs
them, each in a fresh process, interleaved with its own):

  qlum     qgis_process, COLOUR=luminance (METHOD equalize)
  qcl      qgis_process, METHOD=contrast-limited (per band, limit 4)
  qad      qgis_process, METHOD=adaptive (per band, tiles of 5000 m)
  qadlum   qgis_process, METHOD=adaptive COLOUR=luminance
  otb      Orfeo ToolBox's otbcli_ContrastEnhancement in its local mode
           with luminance, on a VRT of the same three band files: tiles
           ("thumbnails") of 500 x 500 pixels, as TILE_SIZE 5000 m is at
           10 m, contrast limit hfact 4 as CLIP_LIMIT 4, its default 256
           bins, no-data 0, written as an uncompressed tiled uint16
           GeoTIFF (OTB keeps the input's value range; it makes no 8-bit
           picture, no mask, no overviews)
  skimage  scikit-image's equalize_adapthist on one band (B04) as a whole
           array, read whole: kernel 500 pixels, 256 bins, clip_limit
           4 / 256 (its limit is a share of a tile's pixels: 4 x the mean
           height of 256 bins), nothing written; where the machine's free
           memory holds an estimate of its peak, else it reports that it
           does not fit

then each mode's time against the pure decode and against the default run
(qgis), and its peak memory. OTB comes from the Debian package otb-bin,
installed here on first use (not by the tests).
"""

import os
import shutil
import subprocess
import sys

from bench_common import CACHE, band_paths, output, qgis_process

#: The qgis_process cases and the parameters each adds to a default run.
MODES = {
    "qlum": ("COLOUR=luminance",),
    "qcl": ("METHOD=contrast-limited",),
    "qad": ("METHOD=adaptive",),
    "qadlum": ("METHOD=adaptive", "COLOUR=luminance"),
}
#: Bytes per pixel equalize_adapthist holds at its peak on a uint16 band
#: (float64 copies while it rescales, the padded uint16 image and its
#: blocks, a float32 result), measured on the 5490 product with room.
SKIMAGE_BYTES_PER_PIXEL = 40
OTB = "otbcli_ContrastEnhancement"
CASES = tuple(MODES) + ("otb", "skimage")


def applies(case, size):
    return True


def prepare(cases, size, path):
    """Install OTB and build the VRT of the bands for the otb case."""
    if "otb" in cases:
        ensure_otb()
        band_vrt(path)


def run(name, path, out, tables):
    """Run case ``name`` on the product at ``path``, writing ``out``."""
    if name in MODES:
        qgis_process(path, out, MODES[name])
    elif name == "otb":
        case_otb(path, out)
    else:
        case_skimage(path, out)


def ensure_otb():
    """Install the Debian package otb-bin unless OTB is there."""
    if shutil.which(OTB):
        return
    print("installing Orfeo ToolBox (otb-bin) for the otb case...",
          flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "install", "-y", "-q",
                           "--no-install-recommends", "otb-bin"],
                   check=True, env=env, stdin=subprocess.DEVNULL)


def band_vrt(path):
    """A VRT of the product's B04, B03 and B02 files, one band each."""
    vrt = os.path.join(CACHE, "bands-{}.vrt".format(
        os.path.basename(os.path.dirname(path))))
    if not os.path.exists(vrt):
        subprocess.run(["gdalbuildvrt", "-q", "-separate", vrt]
                       + band_paths(path), check=True)
    return vrt


def case_otb(path, out):
    subprocess.run(
        [OTB, "-in", band_vrt(path), "-out", out + "?&gdal:co:TILED=YES",
         "uint16", "-bins", "256", "-hfact", "4", "-nodata", "0",
         "-spatial", "local", "-spatial.local.h", "500",
         "-spatial.local.w", "500", "-mode", "lum",
         "-mode.lum.red.ch", "0", "-mode.lum.green.ch", "1",
         "-mode.lum.blue.ch", "2", "-mode.lum.red.coef", "0.2126",
         "-mode.lum.green.coef", "0.7152", "-mode.lum.blue.coef", "0.0722",
         "-ram", "256"], check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def _available_bytes():
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def case_skimage(path, out):
    import rasterio
    with rasterio.open(band_paths(path)[0]) as src:
        pixels = src.width * src.height
        needed = pixels * SKIMAGE_BYTES_PER_PIXEL
        if needed > _available_bytes():
            with open(out + ".skipped", "w") as note:
                note.write("needs about {:.0f} MiB, {:.0f} MiB free\n".format(
                    needed / 2.0 ** 20, _available_bytes() / 2.0 ** 20))
            return
        band = src.read(1)
    from skimage import exposure
    exposure.equalize_adapthist(band, kernel_size=500, clip_limit=4 / 256.0,
                                nbins=256)


def report(size, row, ratios):
    """Print the modes' figures of ``row`` (case -> (wall s, peak MiB));
    ``ratios``: the bench's Ratios of its cases' wall times."""
    for case in ("qlum", "qcl", "qad", "qadlum", "otb", "skimage"):
        if case not in row:
            continue
        wall, peak = row[case]
        against = []
        for other, text in (("decode", "decode"),
                            ("qgis", "the default run")):
            if other not in row or (other == "qgis"
                                    and not case.startswith("q")):
                continue
            medians, rounds, quickest, cpu = ratios.of(case, other)
            against.append("{:5.3f} x {} (rounds: {:5.3f}, fastest runs: "
                           "{:5.3f}; CPU: {:5.3f})".format(
                               medians, text, rounds, quickest, cpu))
        skipped = output(case) + ".skipped"
        if case == "skimage" and os.path.exists(skipped):
            with open(skipped) as note:
                print("{:>6} skimage: does not fit in memory ({})".format(
                    size, note.read().strip()), flush=True)
            os.remove(skipped)
            continue
        print("{:>6} {:<7} {:7.2f} s {:6.0f} MiB  {}".format(
            size, case, wall, peak, ", ".join(against)), flush=True)


if __name__ == "__main__":
    sys.exit("run through scripts/bench.py --cases qlum,qcl,...")
