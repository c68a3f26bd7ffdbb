"""The cloud masks of every layout read onto the run's grid: the scene
classification (SCL) at 20 m and 60 m, MSK_CLASSI_B00, MSK_CLOUDS_B00.gml
with polygons and empty, an L2A with GeoTIFF bands, zips; on an area's
crop and from another UTM zone. The known clouds are the generator's own
(the scene's layers at the mask's pixel centres); the documented edge
rule is that a grid pixel takes the state of the mask pixel its centre
falls in, so at 10 m each mask pixel is repeated, never smoothed."""

import numpy as np
import pytest

from s2products import scene_classification, scene_layers
from sentinel2_equalizer.core.errors import CloudError
from sentinel2_equalizer.core.pixels.area import make_area
from sentinel2_equalizer.core.pixels.clouds import make_clouds
from sentinel2_equalizer.core.plan import make_plan
from sentinel2_equalizer.core.product.discovery import open_product

RGB = ("B04", "B03", "B02")
#: The SCL classes counted as cloud by default: shadow, cloud, cirrus.
DEFAULT_SCL = (3, 8, 9, 10)


def cloudy_on_grid(product, resolution=None, buffer=0, classes=None,
                   area=None):
    """The cloudy pixels the core reads for ``product`` on its grid."""
    plan = make_plan(str(product), RGB, resolution,
                     clouds=make_clouds("mask", buffer, classes), area=area)
    grid = plan.grid
    return ~plan.clear.block(0, 0, grid.height, grid.width), plan


def known_layers(product, res, sky_seed=None):
    """The generator's scene layers at the pixel centres of ``res`` over
    the product's (single) granule."""
    granule = open_product(str(product)).granules[0]
    ulx, uly, width, height = granule.grids[10]
    size = width * 10 // res
    return scene_layers(ulx, uly, res, size, size, sky_seed=sky_seed)


def known_classi(product, sky_seed=None):
    """The known cloudy 60 m pixels of MSK_CLASSI / MSK_CLOUDS."""
    layers = known_layers(product, 60, sky_seed)
    return (layers["cloud"] > 0.5) & ~layers["nodata"]


def known_scl(product, res, codes=DEFAULT_SCL):
    classes = scene_classification(known_layers(product, res))
    return np.isin(classes, codes)


def repeated(mask, times):
    return np.repeat(np.repeat(mask, times, axis=0), times, axis=1)


def widened(cloudy, metres, pixel):
    """``cloudy`` (a mask at its own ``pixel`` metres) with every pixel
    whose centre lies within ``metres`` of a cloudy one's centre."""
    reach = metres / float(pixel)
    radius = int(reach)
    padded = np.pad(cloudy, radius)
    wide = np.zeros_like(cloudy)
    rows, cols = cloudy.shape
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx <= reach * reach:
                wide |= padded[radius + dy:radius + dy + rows,
                               radius + dx:radius + dx + cols]
    return wide


@pytest.fixture(scope="module")
def l2a(products):
    return products("clouds-l2a", level="L2A", size=366, jp2_block=128,
                    bands=RGB + ("SCL",))


def test_scl_at_20_m_is_repeated_under_a_10_m_grid(l2a):
    cloudy, plan = cloudy_on_grid(l2a)
    assert plan.grid.resolution == 10
    expected = repeated(known_scl(l2a, 20), 2)
    assert expected.any() and not expected.all()
    assert np.array_equal(cloudy, expected)


def test_scl_at_60_m_is_read_under_a_60_m_grid(l2a):
    cloudy, plan = cloudy_on_grid(l2a, resolution=60)
    assert plan.clear.parts[0].step == 1       # the 60 m file, not 20 m
    assert np.array_equal(cloudy, known_scl(l2a, 60))


def test_snow_is_clear_unless_chosen(l2a):
    cloudy, _ = cloudy_on_grid(l2a, classes="cloud")
    assert np.array_equal(cloudy, repeated(known_scl(l2a, 20, (8, 9)), 2))


def test_msk_classi_of_a_current_l1c(products):
    l1c = products("clouds-l1c", size=366, jp2_block=128, bands=RGB)
    cloudy, _ = cloudy_on_grid(l1c)
    expected = repeated(known_classi(l1c), 6)
    assert expected.any() and np.array_equal(cloudy, expected)


def test_gml_polygons_of_an_old_l1c(products):
    old = products("clouds-oper", layout="oper", size=366, jp2_block=128,
                   bands=RGB)
    product = open_product(str(old))
    assert [m.kind for m in product.granules[0].masks] == ["GML"]
    cloudy, _ = cloudy_on_grid(old)
    expected = repeated(known_classi(old), 6)
    assert expected.any() and np.array_equal(cloudy, expected)


def test_an_empty_gml_means_no_clouds(products):
    clear = products("clouds-empty-gml", layout="oper", size=366,
                     jp2_block=128, bands=RGB, cloud_polygons=False)
    cloudy, plan = cloudy_on_grid(clear)
    assert not cloudy.any()
    assert plan.clear_share == 1.0


def test_scl_of_an_l2a_with_geotiff_bands(products):
    tiff = products("clouds-l2a-tif", level="L2A", size=366, jp2_block=128,
                    bands=RGB + ("SCL",), band_format="GeoTIFF")
    product = open_product(str(tiff))
    assert any(m.kind == "SCL" and m.relpath.endswith(".tif")
               for m in product.granules[0].masks)
    cloudy, _ = cloudy_on_grid(tiff)
    assert np.array_equal(cloudy, repeated(known_scl(tiff, 20), 2))


@pytest.mark.parametrize("layout", ["compact", "oper"])
def test_masks_in_a_zip(products, layout):
    zipped = products("clouds-zip-" + layout, layout=layout, size=366,
                      jp2_block=128, bands=RGB, zipped=True)
    cloudy, _ = cloudy_on_grid(zipped)
    assert np.array_equal(cloudy, repeated(known_classi(zipped), 6))


def test_the_buffer_widens_clouds_by_mask_pixel_centres(products):
    l1c = products("clouds-l1c", size=366, jp2_block=128, bands=RGB)
    cloudy, _ = cloudy_on_grid(l1c, buffer=130)
    known = known_classi(l1c)
    # 130 m at 60 m pixels: every pixel whose centre lies within 2.17
    # pixels of a cloudy one's centre.
    wide = widened(known, 130, 60)
    assert wide.sum() > known.sum()
    # Not into the swath's no-data, where there is nothing to mask.
    wide &= ~known_layers(l1c, 60)["nodata"]
    assert np.array_equal(cloudy, repeated(wide, 6))


def test_an_area_reads_the_mask_under_its_crop(products):
    l1c = products("clouds-l1c", size=366, jp2_block=128, bands=RGB)
    granule = open_product(str(l1c)).granules[0]
    ulx, uly = granule.grids[10][:2]
    # Not on 60 m pixel edges: the crop starts inside a mask pixel.
    extent = (ulx + 730, uly - 3210, ulx + 2450, uly - 1030)
    cloudy, plan = cloudy_on_grid(
        l1c, area=make_area(",".join(str(v) for v in extent)))
    whole = repeated(known_classi(l1c), 6)
    row, col = plan.grid.offset_of(plan.grid.ulx, plan.grid.uly)
    top = int(round((uly - plan.grid.uly) / 10))
    left = int(round((plan.grid.ulx - ulx) / 10))
    assert (row, col) == (0, 0) and (top, left) == (103, 73)
    assert np.array_equal(cloudy, whole[top:top + plan.grid.height,
                                        left:left + plan.grid.width])


def test_a_granule_of_another_zone_has_its_mask_warped(products):
    """A mosaic in zone 31 of a granule in zone 32: its mask is taken
    across by nearest neighbour, so the clouds land where its bands do."""
    from sentinel2_equalizer.core.pixels.clouds import clear_mask
    from sentinel2_equalizer.core.pixels.grid import Grid
    east = products("clouds-zone32", size=366, jp2_block=128, bands=RGB,
                    tiles=("32ULV",))
    product = open_product(str(east))
    granule = product.granules[0]
    assert granule.epsg == 32632
    ulx, uly, width, height = granule.grids[10]
    own = Grid(32632, 10, ulx, uly, width, height)
    from rasterio.crs import CRS
    from rasterio.warp import transform
    xs, ys = transform(CRS.from_epsg(32632), CRS.from_epsg(32631),
                       [ulx, ulx + width * 10], [uly, uly - height * 10])
    left, top = 10 * np.floor(min(xs) / 10), 10 * np.ceil(max(ys) / 10)
    other = Grid(32631, 10, left, top, int((max(xs) - left) / 10) + 10,
                 int((top - min(ys)) / 10) + 10)
    clouds = make_clouds("mask", 0)
    mine = clear_mask(product, [granule], own, clouds)
    theirs = clear_mask(product, [granule], other, clouds)
    # Sample the other zone's grid at points whose place on the own grid
    # lies well inside a 60 m mask pixel (nearest neighbour is exact
    # there).
    rng = np.random.default_rng(1)
    rows = rng.integers(0, other.height, 4000)
    cols = rng.integers(0, other.width, 4000)
    x = other.ulx + (cols + 0.5) * 10
    y = other.uly - (rows + 0.5) * 10
    ox, oy = transform(CRS.from_epsg(32631), CRS.from_epsg(32632), x, y)
    ox, oy = np.asarray(ox), np.asarray(oy)
    u, v = (ox - ulx) / 60.0, (uly - oy) / 60.0
    inside = ((u > 0) & (u < width / 6) & (v > 0) & (v < height / 6)
              & (np.abs(u - np.floor(u) - 0.5) < 0.3)
              & (np.abs(v - np.floor(v) - 0.5) < 0.3))
    own_rows = ((uly - oy) // 10).astype(int)[inside]
    own_cols = ((ox - ulx) // 10).astype(int)[inside]
    assert inside.sum() > 500
    expected = mine.at(own_rows, own_cols)
    assert (~expected).any()
    agree = theirs.at(rows[inside], cols[inside]) == expected
    # The warp's own grid is the mask's 60 m one from the mosaic's corner:
    # a point near a 60 m pixel's middle may still round to its neighbour
    # where the zones turn, seldom.
    assert agree.mean() > 0.97


def test_a_product_without_a_mask_says_so(products):
    bare = products("clouds-none", size=366, jp2_block=128, bands=RGB,
                    cloud_mask=False)
    assert open_product(str(bare)).granules[0].masks == []
    with pytest.raises(CloudError) as raised:
        cloudy_on_grid(bare)
    message = str(raised.value)
    assert "has no cloud mask" in message and "MSK_CLASSI_B00" in message
    assert "Keep the clouds" in message
    # Kept, the clouds need no mask.
    make_plan(str(bare), RGB, clouds=make_clouds("keep"))
