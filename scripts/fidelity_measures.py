"""How far an output strays from the exact equalized image: the measures
scripts/fidelity.py prints for every encoding and tests/test_fidelity.py
holds the default encoding to. Each takes pixels as read() returns them:
(3, rows, cols) levels and a mask of the valid pixels."""

import numpy as np
import rasterio


def read(path):
    """The (3, rows, cols) pixels of an output and its mask (bool, valid)."""
    with rasterio.open(str(path)) as image:
        return image.read(), image.dataset_mask() > 0


def mean_errors(picture, exact, valid):
    """Mean absolute difference per band (levels) over ``valid``."""
    return [float(np.abs(picture[i].astype(np.int16)
                         - exact[i].astype(np.int16))[valid].mean())
            for i in range(len(picture))]


def alone_at_finest(bands):
    """The index of the band alone at the finest native resolution of
    ``bands``, or None where two or none share it."""
    from sentinel2_equalizer.core.product.bands import NATIVE_RESOLUTION
    native = [NATIVE_RESOLUTION[b] for b in bands]
    finest = min(native)
    return native.index(finest) if native.count(finest) == 1 else None


def next_factor(band):
    """How many pixels of ``band``'s grid a side make one of the next
    coarser resolution (10 m -> 20 m: 2; 20 m -> 60 m: 3)."""
    from sentinel2_equalizer.core.product.bands import (NATIVE_RESOLUTION,
                                                        RESOLUTIONS)
    native = NATIVE_RESOLUTION[band]
    return min(r for r in RESOLUTIONS if r > native) // native


def coarsened(plane, factor):
    """``plane`` as block means of ``factor`` x ``factor`` pixels, repeated
    back to its size (float; rows and columns past whole blocks dropped)."""
    rows, cols = (s // factor * factor for s in plane.shape)
    blocks = plane[:rows, :cols].astype(np.float32).reshape(
        rows // factor, factor, cols // factor, factor).mean(axis=(1, 3))
    return np.repeat(np.repeat(blocks, factor, axis=0), factor, axis=1)


def whole_blocks(valid, factor):
    """``valid`` cut to whole blocks, True where the whole block is."""
    rows, cols = (s // factor * factor for s in valid.shape)
    blocks = valid[:rows, :cols].reshape(
        rows // factor, factor, cols // factor, factor).all(axis=(1, 3))
    return np.repeat(np.repeat(blocks, factor, axis=0), factor, axis=1)


def detail(picture, exact, valid, bands):
    """The detail check of the band alone at the finest resolution, or None
    where there is none: a dict of its mean error against its own exact
    image ("own"), against that image at the next resolution ("coarse")
    and against the closest of the other bands' exact images ("other"),
    all over the pixels whose whole coarse block is valid, and "kept":
    whether "own" is below both."""
    index = alone_at_finest(bands)
    if index is None:
        return None
    factor = next_factor(bands[index])
    inside = whole_blocks(valid, factor)
    rows, cols = inside.shape
    got = picture[index, :rows, :cols].astype(np.float32)

    def error(reference):
        return float(np.abs(got - reference)[inside].mean())

    own = error(exact[index, :rows, :cols])
    coarse = error(coarsened(exact[index], factor))
    other = min(error(exact[i, :rows, :cols]) for i in range(len(bands))
                if i != index)
    return {"own": own, "coarse": coarse, "other": other,
            "kept": own < coarse and own < other}


def constancy(picture, exact, valid, index):
    """How far output band ``index`` strays where the exact image holds it
    constant: (its standard deviation, its mean absolute error) in levels
    over ``valid``."""
    values = picture[index][valid].astype(np.float32)
    assert np.unique(exact[index][valid]).size == 1, "not a constant band"
    return (float(values.std()),
            float(np.abs(values - exact[index][valid]).mean()))



def meets(errors, check, bar):
    """Whether every band is within ``bar`` and the detail (if any) kept."""
    return max(errors) <= bar and (check is None or check["kept"])
