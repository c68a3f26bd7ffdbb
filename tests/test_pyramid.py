"""The overviews' reduction (core/output/pyramid.py): each pixel the rounded mean
of the valid pixels among the four it covers, whatever the shape of the
block and however much of it is no-data."""

import numpy as np
import pytest

from sentinel2_equalizer.core.output import pyramid


def reference_halve(rgb, valid):
    """The reduction pixel by pixel, the plain way."""
    rows, cols = valid.shape
    half = np.zeros((3, (rows + 1) // 2, (cols + 1) // 2), np.uint8)
    some = np.zeros(half.shape[1:], bool)
    for r in range(half.shape[1]):
        for c in range(half.shape[2]):
            window = (slice(2 * r, 2 * r + 2), slice(2 * c, 2 * c + 2))
            count = int(valid[window].sum())
            some[r, c] = count > 0
            for band in range(3):
                total = int(rgb[band][window][valid[window]].sum())
                # Half up: (total + count / 2) // count in integers.
                half[band, r, c] = (total + count // 2) // count if count \
                    else 0
    return half, some


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (7, 13), (17, 40),
                                   (33, 9)])
@pytest.mark.parametrize("share_valid", [0.0, 0.3, 0.9, 1.0])
def test_halve_is_the_rounded_mean_of_the_valid_pixels(shape, share_valid):
    rng = np.random.default_rng(sum(shape) + int(share_valid * 10))
    valid = rng.random(shape) < share_valid
    rgb = rng.integers(0, 256, (3,) + shape, dtype=np.uint8) * valid
    half, some = pyramid.halve(rgb, valid)
    expected, expected_some = reference_halve(rgb, valid)
    np.testing.assert_array_equal(some, expected_some)
    np.testing.assert_array_equal(half, expected)


@pytest.mark.parametrize("piece_pixels", [1, 120, 10 ** 6])
def test_pieces_of_any_height_halve_as_the_whole_block(monkeypatch,
                                                       piece_pixels):
    """A block is halved a piece of rows at a time (piece_rows): pieces
    of two rows, of several with a shorter last one, or one for the whole
    block give the same image."""
    monkeypatch.setattr(pyramid, "MIN_PIECE_ROWS", 2)
    monkeypatch.setattr(pyramid, "PIECE_PIXELS", piece_pixels)
    rng = np.random.default_rng(piece_pixels)
    valid = rng.random((37, 50)) < 0.7
    rgb = rng.integers(0, 256, (3, 37, 50), dtype=np.uint8) * valid
    assert pyramid.piece_rows(50) % 2 == 0
    half, some = pyramid.halve(rgb, valid)
    expected, expected_some = reference_halve(rgb, valid)
    np.testing.assert_array_equal(half, expected)
    np.testing.assert_array_equal(some, expected_some)


def test_every_rounding_case_of_four_pixels():
    """Every count of valid pixels (1..4) with totals that fall just
    below, on and above each half level."""
    rng = np.random.default_rng(5)
    valid = rng.random((64, 4096)) < 0.6
    rgb = rng.integers(0, 256, (3, 64, 4096), dtype=np.uint8)
    rgb[:, :, :64] = 255                       # the largest totals too
    rgb *= valid
    half, _ = pyramid.halve(rgb, valid)
    count = valid.reshape(32, 2, 2048, 2).sum(axis=(1, 3))
    total = rgb.astype(int).reshape(3, 32, 2, 2048, 2).sum(axis=(2, 4))
    expected = np.where(count > 0, (total + count // 2)
                        // np.maximum(count, 1), 0)
    np.testing.assert_array_equal(half, expected)


def test_blocks_reduce_as_the_whole_image_does():
    """Overviews made block by block (blocks on multiples of the largest
    factor) equal those of the whole image."""
    rng = np.random.default_rng(11)
    rows, cols, levels = 96, 70, 3
    valid = rng.random((rows, cols)) < 0.8
    valid[:, :20] = False                      # an edge of no-data
    rgb = rng.integers(0, 256, (3, rows, cols), dtype=np.uint8) * valid
    mask = valid.astype(np.uint8) * 255
    whole = {level: (out_rgb, out_mask) for level, _, _, out_rgb, out_mask
             in pyramid.block_overviews(0, 0, rgb, mask, levels)}
    for level, (out_rgb, out_mask) in whole.items():
        pieces = np.zeros_like(out_rgb)
        piece_mask = np.zeros_like(out_mask)
        for top in range(0, rows, 32):
            for level_i, t, left, part, part_mask in pyramid.block_overviews(
                    top, 0, rgb[:, top:top + 32], mask[top:top + 32],
                    levels):
                if level_i == level:
                    pieces[:, t:t + part.shape[1]] = part
                    piece_mask[t:t + part.shape[1]] = part_mask
        np.testing.assert_array_equal(pieces, out_rgb)
        np.testing.assert_array_equal(piece_mask, out_mask)
