"""The common scale of a mosaic's spools: every product's DNs of a band
are spooled on one scale, so that one histogram and one curve serve them
all. Where the products share an offset, no-data value and saturated
value, that is their own DNs; else the reflectance scale (offset
removed), no-data 0 and SATURATED."""

from types import SimpleNamespace

from .curves.equalize import LEVELS_IN, apply_lut, rescaled_dns

#: The saturated value on the spools' common scale when products differ.
SATURATED = LEVELS_IN - 1


def on_spools(plans, scales=None):
    """What the method's mapping and grid measure read of a plan, for the
    mosaic's spools: the mosaic grid, the bands, and the scale their
    values are on (spool_scale): each band's offset, no-data 0, and the
    saturated value (one for all bands: the products' or SATURATED, both
    65535)."""
    unique = plans[0].unique_bands
    scales = scales or [spool_scale(plans, band) for band in unique]
    offsets = dict(zip(unique, (offset for offset, _ in scales)))
    return SimpleNamespace(
        grid=plans[0].grid, bands=plans[0].bands, unique_bands=unique,
        product=SimpleNamespace(nodata=0, saturated=scales[0][1],
                                level=plans[0].product.level),
        offset=offsets.get)


def spool_scale(plans, band):
    """(offset, saturated DN) of the values spooled for ``band``: the
    products' own DNs where they all share one offset, no-data value 0 and
    saturated value, else the reflectance scale (offset 0) with SATURATED.
    No-data is 0 on either."""
    kinds = {(plan.offset(band), plan.product.nodata, plan.product.saturated)
             for plan in plans}
    if len(kinds) == 1:
        offset, nodata, saturated = kinds.pop()
        if nodata == 0:
            return offset, saturated
    return 0, SATURATED


class Rescaled:
    """A spool that stores one product's DNs on the spools' scale (see
    spool_scale)."""

    def __init__(self, spool, table):
        self.spool, self.table = spool, table
        self.width, self.height = spool.width, spool.height

    @classmethod
    def of(cls, spool, product, offset, scale_offset, scale_saturated):
        """``spool`` itself where the product's DNs are on its scale
        already, else a Rescaled moving them there."""
        if (offset, product.nodata, product.saturated) == (
                scale_offset, 0, scale_saturated):
            return spool
        return cls(spool, rescaled_dns(offset - scale_offset, product.nodata,
                                       product.saturated, scale_saturated))

    def write(self, row, col, block, merge=False):
        self.spool.write(row, col, apply_lut(self.table, block), merge)
