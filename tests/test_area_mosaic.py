"""A mosaic over an area: one seamless image over the extent, across two
neighbouring tiles and across a UTM zone boundary; products that do not
touch the area are skipped, and the log says so."""

import numpy as np
import pytest
import rasterio
from rasterio.windows import from_bounds

from mosaic_products import BANDS, read
from sentinel2_equalizer.core.curves import curve as curves
from sentinel2_equalizer.core.errors import AreaError
from sentinel2_equalizer.core.mosaic import mosaic
from sentinel2_equalizer.core.pixels.area import make_area

EXACT = {"compression": "DEFLATE"}


def crop(full, path):
    """The pixels and mask of the image ``full`` over the bounds of the
    GeoTIFF at ``path``."""
    with rasterio.open(path) as img:
        bounds, shape = img.bounds, (img.height, img.width)
    window = from_bounds(*bounds, transform=full["transform"])
    row, col = int(round(window.row_off)), int(round(window.col_off))
    assert row >= 0 and col >= 0
    return (full["rgb"][:, row:row + shape[0], col:col + shape[1]],
            full["mask"][row:row + shape[0], col:col + shape[1]])


@pytest.fixture(scope="module")
def other_zone(tile):
    return tile("zone32", "32ULV")


@pytest.fixture(scope="module")
def whole(west, east, other_zone, tmp_path_factory):
    """The mosaic of all three, its curve file, and the mosaic made with
    that curve."""
    folder = tmp_path_factory.mktemp("area-mosaic")
    inputs = [west, east, other_zone]
    made = mosaic(inputs, str(folder / "own.tif"), BANDS, **EXACT)
    curve = str(folder / "curve.json")
    curves.save(made.curve, curve)
    mosaic(inputs, str(folder / "whole.tif"), BANDS, curve=curve, **EXACT)
    return {"inputs": inputs, "curve": curve, "grid": made.grid,
            "image": read(folder / "whole.tif")}


def test_an_extent_across_two_tiles_is_one_seamless_image(
        whole, tile, tmp_path):
    far = tile("far", "34UCF")
    notes = []
    out = tmp_path / "across.tif"
    # 31UFQ ends and 31UGQ begins within this extent.
    result = mosaic(whole["inputs"] + [far], str(out), BANDS,
                    curve=whole["curve"], log=notes.append,
                    area=make_area("602003,5497003,605007,5499007"),
                    **EXACT)
    image = read(out)
    assert image["transform"].c == 602000 and image["transform"].f == 5499010
    assert image["mask"].shape == (201, 301) and image["mask"].all()
    rgb, mask = crop(whole["image"], out)
    assert (image["mask"] == mask).all() and (image["rgb"] == rgb).all()
    names = [p.name for p in result.products]
    assert len(names) == 2
    skipped = [n for n in notes if "does not touch the area: skipped" in n]
    assert len(skipped) == 2
    assert any("T34UCF" in n for n in skipped)
    assert any("T32ULV" in n for n in skipped)


def test_the_areas_own_curve_is_drawn_from_the_area(whole, tmp_path):
    out = tmp_path / "own.tif"
    result = mosaic(whole["inputs"], str(out), BANDS,
                    area=make_area("602003,5497003,605007,5499007"),
                    sample_fraction=1.0, **EXACT)
    image = read(out)
    # Each product counts its own pixels in the area, so the strip the
    # two share counts twice: 166 columns of 31UFQ, 165 of 31UGQ.
    own_pixels = (166 + 165) * 201
    for band in BANDS:
        valid = result.curve.counts[band].valid_pixels
        assert 0.98 * own_pixels <= valid <= own_pixels
    for index in range(3):
        counts, _ = np.histogram(image["rgb"][index][image["mask"]],
                                 bins=10, range=(0, 256))
        shares = counts / image["mask"].sum()
        assert ((shares >= 0.05) & (shares <= 0.15)).all(), shares


def test_an_extent_in_the_next_zone_is_warped_over_the_area_only(
        whole, other_zone, tmp_path, monkeypatch):
    from sentinel2_equalizer.core.pixels import reading
    decoded = []
    real = reading.GranuleBand.decode

    def decode(self, window):
        decoded.append(window.width * window.height)
        return real(self, window)
    monkeypatch.setattr(reading.GranuleBand, "decode", decode)
    out = tmp_path / "zone.tif"
    # Given in zone 32's own coordinates; the mosaic is in zone 31.
    result = mosaic(whole["inputs"], str(out), BANDS, curve=whole["curve"],
                    area=make_area("300500,5497500,301500,5498500,"
                                   "EPSG:32632"), **EXACT)
    assert result.grid.epsg == 32631
    assert [p.name for p in result.products] == [
        other_zone.name[:-len(".SAFE")]]
    # Only the rows and columns under the area (with a margin) decode.
    assert sum(decoded) < 0.25 * 3 * 366 * 366
    image = read(out)
    rgb, mask = crop(whole["image"], out)
    assert image["mask"].mean() > 0.9
    # The same pixels as the whole mosaic's, but for those where GDAL's
    # approximate transformer, laid over another window, rounds the other
    # way at a pixel's edge.
    same = (image["rgb"] == rgb).all(axis=0) & (image["mask"] == mask)
    assert same.mean() > 0.99


def test_an_extent_touching_no_product_names_both(whole, tmp_path):
    with pytest.raises(AreaError, match="does not touch the products"):
        mosaic(whole["inputs"], str(tmp_path / "none.tif"), BANDS,
               area=make_area("0,45,0.1,45.1,EPSG:4326"))
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def across_zones(tile, other_zone, tmp_path_factory):
    """A product of 31UGQ moved east until its east part overlaps the
    product of 32ULV (zone 32), the zone boundary between them; their
    mosaic, its curve file, and the whole mosaic made with that curve."""
    met = tile("met", "31UGQ", shift=(127620, 2640))
    folder = tmp_path_factory.mktemp("across-zones")
    inputs = [met, other_zone]
    made = mosaic(inputs, str(folder / "own.tif"), BANDS, **EXACT)
    curve = str(folder / "curve.json")
    curves.save(made.curve, curve)
    mosaic(inputs, str(folder / "whole.tif"), BANDS, curve=curve, **EXACT)
    return {"inputs": inputs, "curve": curve,
            "image": read(folder / "whole.tif")}


def test_an_extent_across_the_zone_boundary_is_one_seamless_image(
        across_zones, tmp_path):
    out = tmp_path / "across-zones.tif"
    notes = []
    # In zone 31 (the output's), from 31UGQ's product alone in the west,
    # over both, to 32ULV's alone in the east.
    result = mosaic(across_zones["inputs"], str(out), BANDS,
                    curve=across_zones["curve"], log=notes.append,
                    area=make_area("732000,5499600,736000,5501000"), **EXACT)
    assert result.grid.epsg == 32631
    assert len(result.products) == 2
    assert not [n for n in notes if "does not touch the area" in n]
    image = read(out)
    assert image["mask"].shape == (140, 400)
    # One image: no gap, no strip of no-data where the zones meet.
    assert image["mask"].all()
    # Each part is drawn from the product that covers it, as in the
    # mosaic of the whole products: 31UGQ's own pixels in the west, the
    # zone 32 product warped in the east (columns 264 on lie beyond the
    # 31UGQ product's east edge at 734640 m), but for pixels where GDAL's
    # approximate transformer, laid over another window, rounds the other
    # way at a pixel's edge.
    rgb, mask = crop(across_zones["image"], out)
    assert mask.all()
    same = (image["rgb"] == rgb).all(axis=0)
    assert same[:, :100].all()
    assert same.mean() > 0.99 and same[:, 300:].mean() > 0.99
    # And the east part is the zone 32 product's, not a copy of the west.
    west_alone = mosaic(across_zones["inputs"][:1], str(tmp_path / "w.tif"),
                        BANDS, curve=across_zones["curve"],
                        area=make_area("732000,5499600,736000,5501000"),
                        **EXACT)
    assert len(west_alone.products) == 1
    alone = read(tmp_path / "w.tif")
    assert not alone["mask"][:, 300:].any()
    assert alone["mask"][:, :200].all()
