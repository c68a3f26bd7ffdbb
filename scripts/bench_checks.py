"""What make bench checks beside its timings (scripts/bench.py prints
them after each size's figures): that the one pass given the curve and the
I/O floor wrote the very pixels of the core's run, and how far the 1 %
sample's lookup tables stray from the exact ones.

Each check reads whole images, so it runs in a child process (bench.py's
``--same-pixels`` and ``--lut-error``) and the driver stays small.
"""

from bench_common import band_paths, in_child, output


def same_pixels(first, second):
    """Whether two RGB GeoTIFFs hold the same pixels and mask."""
    import numpy as np
    import rasterio
    with rasterio.open(first) as a, rasterio.open(second) as b:
        if (a.width, a.height, a.count) != (b.width, b.height, b.count):
            return False
        for _, window in a.block_windows(1):
            if not (np.array_equal(a.read(window=window),
                                   b.read(window=window))
                    and np.array_equal(a.read_masks(1, window=window),
                                       b.read_masks(1, window=window))):
                return False
    return True


def lut_error(path, fraction=0.01):
    """Largest gap, in output levels, between the sampled and the exact
    lookup table over the DNs that occur in each band."""
    import numpy as np
    import rasterio
    from sentinel2_equalizer.core.curves import equalize
    worst = 0
    for number, band in enumerate(band_paths(path)):
        with rasterio.open(band) as src:
            dn = src.read(1)
        exact = equalize.BandHistogram(1.0)
        exact.add(dn)
        sampled = equalize.BandHistogram(fraction, stream=number)
        sampled.add(dn)
        present = exact.counts > 0
        gap = np.abs(exact.lookup_table()[present].astype(int)
                     - sampled.lookup_table()[present].astype(int))
        worst = max(worst, int(gap.max()))
    return worst


def report(size, row, path):
    """Print the checks of the cases in ``row`` on the product at
    ``path``."""
    if "core" in row and "curve" in row:
        same = in_child("--same-pixels", output("core"), output("curve"))
        print("{:>6} one pass with the curve wrote the core's pixels: {}"
              .format(size, same), flush=True)
    if "core" in row and "floor" in row:
        same = in_child("--same-pixels", output("core"), output("floor"))
        print("{:>6} floor wrote the core's very pixels: {}".format(
            size, same), flush=True)
    gap = in_child("--lut-error", "--product", path)
    print("{:>6} 1 % LUT vs exact: at most {} output levels apart"
          .format(size, gap), flush=True)
