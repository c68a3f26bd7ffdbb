"""A Sentinel-2 product as read from its metadata: its granules, their
grids and band files, and the product's radiometric facts."""

import posixpath

from ..errors import BandError
from .bands import BAND_NAMES, check_band

REDOWNLOAD = "The download is probably incomplete: download the product again."
#: The processing baseline of products made by their users with ESA's
#: Sen2Cor rather than by ESA (their names carry N9999).
USER_BASELINE = "99.99"


class Granule:
    """One tile of a product: its grid per resolution and its band files."""

    def __init__(self, name, tile, epsg, grids, band_files, masks=(),
                 scl_files=None):
        self.name = name              # folder name under GRANULE/
        self.tile = tile              # MGRS tile id, e.g. "31UFQ"
        self.epsg = epsg              # EPSG code of its UTM zone
        #: resolution (m) -> (ulx, uly, width, height) in pixels
        self.grids = grids
        #: band -> {resolution (m): relative path of its file (.jp2, or
        #: .tif in products with GeoTIFF bands)}
        self.band_files = band_files
        #: the cloud masks (masks.MaskFile) it carries, maybe none
        self.masks = list(masks)
        #: resolution (m) -> the product's source path (a STAC item's asset
        #: key) of its scene classification (SCL, L2A), where known; read
        #: through ``product.source.gdal_path``. Filled for STAC items.
        self.scl_files = scl_files or {}


class Product:
    """A Sentinel-2 product as read from its metadata."""

    def __init__(self, source, name, level, baseline, spacecraft, sensing,
                 nodata, saturated, offsets, quantification, granules,
                 metadata_path, metadata_label=None):
        self.source = source
        self.name = name                  # product name without .SAFE
        self.level = level                # "L1C" or "L2A"
        self.baseline = baseline          # e.g. "05.09"
        self.spacecraft = spacecraft      # e.g. "Sentinel-2B"
        self.sensing = sensing            # ISO time, e.g. "2023-06-14T10:56:29.024Z"
        self.nodata = nodata              # DN of no-data pixels
        self.saturated = saturated        # DN of saturated pixels, or None
        self.offsets = offsets            # band -> additive offset (DN), may be {}
        self.quantification = quantification
        self.granules = granules
        self.metadata_path = metadata_path    # as GDAL opens it
        #: The metadata file as the user knows it (a zip's path, then the
        #: file's inside it, rather than GDAL's /vsizip/ name).
        self.metadata_label = metadata_label or metadata_path

    @property
    def epsg_codes(self):
        return sorted({g.epsg for g in self.granules})

    @property
    def tiles(self):
        return [g.tile for g in self.granules]

    @property
    def sensing_date(self):
        return self.sensing[:10]

    def band_resolution(self, band):
        """Finest resolution (m) at which ``band`` has files in this product."""
        band = check_band(band)
        found = {r for g in self.granules for r in g.band_files.get(band, {})}
        if not found:
            if self.level == "L2A" and band == "B10":
                raise BandError(
                    "L2A products have no B10 (the cirrus band is dropped by "
                    "atmospheric correction). Choose another band, or use the "
                    "L1C product.")
            raise BandError(
                "Band {} is not listed in {}. Choose one of {}.".format(
                    band, posixpath.basename(self.metadata_path),
                    ", ".join(self.bands)))
        return min(found)

    @property
    def bands(self):
        present = {b for g in self.granules for b in g.band_files}
        return [b for b in BAND_NAMES if b in present]

    def files(self):
        """Paths of the files this product is read from: its metadata, its
        zip if it is one, and every band file it lists (GDAL paths, so
        members of a zip start with /vsizip/)."""
        paths = [self.metadata_path]
        zip_path = getattr(self.source, "zip_path", None)
        if zip_path:
            paths.append(zip_path)
        for granule in self.granules:
            for files in granule.band_files.values():
                paths.extend(self.source.gdal_path(p) for p in files.values())
        return paths

    def folders(self):
        """The product's folder, where it is one (every file in it is the
        product's own, listed or not); none for a zip."""
        root = getattr(self.source, "root", None)
        return [root] if root else []

    def band_source(self, granule, band, resolution):
        """Which file of ``band`` in ``granule`` to read for a grid of
        ``resolution`` m, as (GDAL path, the file's resolution in m): the
        file at exactly that resolution where the product has one (L2A ships
        20 and 60 m versions), else the finest. The file is checked to exist
        and to be whole."""
        native = self.band_relpath(granule, band, resolution)[1]
        return self.band_file(granule, band, native), native

    def band_relpath(self, granule, band, resolution):
        """Which file band_source reads, as (its path relative to the
        product, its resolution in m), unchecked."""
        available = granule.band_files.get(band, {})
        if not available:
            raise BandError("Band {} has no file in granule {}.".format(
                band, granule.name))
        native = resolution if resolution in available else min(available)
        return available[native], native

    def band_file(self, granule, band, resolution):
        """GDAL path of ``band``'s file at ``resolution`` in ``granule``,
        checked to exist and to be non-empty."""
        relpath = granule.band_files[band][resolution]
        # A STAC item's assets are named by their URL, a SAFE's files by
        # their place in it.
        named = (self.source.shown(relpath)
                 if getattr(self.source, "checksum_list", None) else relpath)
        if not self.source.exists(relpath):
            raise BandError(
                "Band {} file {} is listed in the metadata but missing from "
                "the product. {}".format(band, named, REDOWNLOAD))
        if self.source.size(relpath) == 0:
            raise BandError("Band {} file {} is empty (0 bytes). {}".format(
                band, named, REDOWNLOAD))
        damage = self.source.damage(relpath)
        if damage:
            raise BandError("Band {} file {} is incomplete ({}). {}".format(
                band, named, damage, REDOWNLOAD))
        return self.source.gdal_path(relpath)

    def path_label(self, path):
        """The band file at GDAL's ``path`` as messages name it: a local
        copy of a remote file (pixels.fetch) by the original's name."""
        label = getattr(self.source, "label_of", None)
        return label(path) if label else path

    def describe(self):
        """Spacecraft, level, tiles, date, baseline and granules: enough to
        tell the products of a mosaic apart in its log."""
        return "{} {} {} {} (baseline {}, {} granule{})".format(
            self.spacecraft or "Sentinel-2", self.level,
            "+".join("T" + t for t in dict.fromkeys(self.tiles)),
            self.sensing_date,
            "{}, made by its user with Sen2Cor".format(self.baseline)
            if self.baseline == USER_BASELINE else self.baseline or "?",
            len(self.granules),
            "" if len(self.granules) == 1 else "s")
