"""How the output's pixels are compressed: the codec, and for JPEG its
colour space and quality, chosen per combination of bands and pixel
size.

JPEG in YCbCr keeps full detail in luminance and halves the resolution of
the two colour-difference channels. That suits natural colour, where the
three bands are alike and the detail the eye sees is in luminance. It does
not suit a composite of unlike bands (near infrared beside red, SWIR
beside a visible band): the channels differ in their detail, and the
subsampled colour differences blur each band into its neighbours. A band
that is alone at the finest resolution (B04 in SWIR 12-8A-4) loses most of
its own detail. Those combinations are written as JPEG in RGB, each band
compressed on its own.

The qualities are the lowest that keep every output band within
FIDELITY_LEVELS of the exact equalized image on average (README, "Output
format"; scripts/fidelity.py measures them).

DEFLATE and ZSTD are lossless, for users who analyse the picture: several
times larger.
"""

from dataclasses import dataclass

from ..errors import SettingError

#: The codecs a user can choose; JPEG is the default.
COMPRESSIONS = ("JPEG", "DEFLATE", "ZSTD")
#: JPEG_QUALITY meaning "chosen per combination".
AUTO_QUALITY = 0
#: The combination written as JPEG in YCbCr (red, green, blue in order).
NATURAL_COLOUR = ("B04", "B03", "B02")
#: JPEG quality in YCbCr (natural colour) and in RGB (any other bands) on
#: the 10 m grid: the lowest keeping the worst band about 0.5 level under
#: FIDELITY_LEVELS on a real 1098-pixel product (RGB 85: 3.5; YCbCr 95
#: gave 3.9, 97 about 3.5). The test product of scripts/fidelity.py is
#: easier: about 0.6 of a real product's errors.
YCBCR_QUALITY = 97
RGB_QUALITY = 85
#: Coarser pixels each carry more of the scene's detail, so JPEG strays
#: further at the same quality: on the test product, natural colour's
#: worst band is 2.6 levels at 10 m (YCbCr 97), 2.8 at 20 m and 4.8 at
#: 60 m; RGB 85 gives 2.0-2.3 at 10 m, 2.7-2.9 at 20 m, 4.3 at 60 m. From
#: 20 m on, every combination is written in RGB at the quality that keeps
#: the worst band near 10 m's figures (RGB 90 at 20 m: 2.1-2.3; RGB 95 at
#: 60 m: 1.5). Output pixel size (m) -> quality; the sizes are small.
COARSE_QUALITY = {20: 90, 60: 95}
#: The mean error per band (levels, 0-255) the chosen encodings keep to.
FIDELITY_LEVELS = 4.0


@dataclass(frozen=True)
class Encoding:
    """The compression of one output: ``compression`` (one of
    COMPRESSIONS), ``photometric`` ("YCBCR" or "RGB", JPEG only),
    ``quality`` (1-100, JPEG only)."""

    compression: str = "JPEG"
    photometric: str = "YCBCR"
    quality: int = YCBCR_QUALITY

    def creation_options(self):
        """GDAL GTiff creation options (name -> value) for the pixels."""
        if self.compression == "JPEG":
            return {"compress": "JPEG", "photometric": self.photometric,
                    "jpeg_quality": self.quality}
        options = {"compress": self.compression, "predictor": 2}
        if self.compression == "ZSTD":
            options["zstd_level"] = 9
        return options

    def describe(self):
        """A few words for the log and the output's metadata."""
        if self.compression != "JPEG":
            return "{} (lossless)".format(self.compression)
        return "JPEG {} quality {}".format(
            "YCbCr" if self.photometric == "YCBCR" else "RGB", self.quality)


def check_encoding(compression, quality):
    """Raise SettingError unless ``compression`` and ``quality`` are
    valid."""
    if compression not in COMPRESSIONS:
        raise SettingError(
            "Unknown compression '{}'. Choose one of: {}.".format(
                compression, ", ".join(COMPRESSIONS)), setting="compression")
    if not isinstance(quality, int) or not 0 <= quality <= 100:
        raise SettingError(
            "JPEG quality {!r} is out of range. Give 1 (smallest file) to "
            "100 (best picture), or 0 to let the plugin choose per "
            "combination of bands.".format(quality), setting="jpeg quality")


def choose_encoding(bands, compression="JPEG", quality=AUTO_QUALITY,
                    resolution=10):
    """The Encoding of an output showing ``bands`` (red, green, blue) in
    pixels of ``resolution`` metres: on the 10 m grid YCbCr for natural
    colour and RGB for any other combination, RGB for everything coarser
    (COARSE_QUALITY), at the measured quality unless ``quality`` (1-100)
    is given."""
    check_encoding(compression, quality)
    if compression != "JPEG":
        return Encoding(compression, "RGB", 0)
    coarse = max((size for size in COARSE_QUALITY if resolution >= size),
                 default=None)
    if coarse:
        return Encoding("JPEG", "RGB", quality or COARSE_QUALITY[coarse])
    if tuple(bands) == NATURAL_COLOUR:
        return Encoding("JPEG", "YCBCR", quality or YCBCR_QUALITY)
    return Encoding("JPEG", "RGB", quality or RGB_QUALITY)
