"""Every name and time stamp of a product, as the product specification gives
them for the compact (since December 2016) and the OPER (2015-2016)
layouts: the SAFE folder, granules, datastrip, band file prefixes, orbits.
"""

import datetime as dt

from .constants import _TIME_FMT, OFFSET_FROM_BASELINE


def _utc(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def _baseline_tuple(baseline):
    return tuple(int(p) for p in baseline.split("."))


def _absolute_orbit(spacecraft, when):
    # 143 orbits per 10-day repeat cycle, counted from a known acquisition.
    ref_time, ref_orbit = {
        "S2A": (dt.datetime(2016, 3, 15, 10, 56, 25), 3826),
        "S2B": (dt.datetime(2023, 6, 14, 10, 56, 29), 32733),
    }[spacecraft]
    days = (when - ref_time).total_seconds() / 86400.0
    return max(1, ref_orbit + int(round(days * 14.3)))


class _Names:
    """Every name and time stamp of one product, following the PSD."""

    def __init__(self, level, layout, baseline, sensing, granules):
        self.level, self.layout, self.baseline = level, layout, baseline
        self.t = sensing
        self.lv = "L1C" if level == "L1C" else "L2A"
        if layout == "oper" or sensing < dt.datetime(2017, 7, 1):
            self.sc = "S2A"
        else:
            self.sc = "S2B"
        self.spacecraft_name = "Sentinel-2" + self.sc[-1]
        self.orbit_rel = 94
        self.orbit_abs = _absolute_orbit(self.sc, sensing)
        self.ts = sensing.strftime(_TIME_FMT)
        self.ds_start = sensing - dt.timedelta(seconds=6)
        self.nbase = "N" + baseline.replace(".", "")
        self.base_dotted = "N" + baseline
        hours = 2 if level == "L1C" else 3
        self.generation = sensing + dt.timedelta(hours=hours, minutes=3,
                                                 seconds=31)
        gen = self.generation.strftime(_TIME_FMT)
        if layout == "compact":
            self.station = (f"{self.sc[1:]}PS" if _baseline_tuple(baseline)
                            >= OFFSET_FROM_BASELINE else "SGS_")
            self.safe = (f"{self.sc}_MSI{self.lv}_{self.ts}_{self.nbase}_"
                         f"R{self.orbit_rel:03d}_T{granules[0].tile}_{gen}")
            self.root_mtd = f"MTD_MSI{self.lv}.xml"
            self.datastrip_dir = (f"DS_{self.station}_{gen}_S"
                                  f"{self.ds_start.strftime(_TIME_FMT)}")
            self.datastrip_mtd = "MTD_DS.xml"
            self.datastrip_id = (
                f"{self.sc}_OPER_MSI_{self.lv}_DS_{self.station}_{gen}_S"
                f"{self.ds_start.strftime(_TIME_FMT)}_{self.base_dotted}")
            for g in granules:
                g.name = (f"{self.lv}_T{g.tile}_A{self.orbit_abs:06d}_"
                          f"{self.ds_start.strftime(_TIME_FMT)}")
                g.mtd_name = "MTD_TL.xml"
                g.identifier = (
                    f"{self.sc}_OPER_MSI_{self.lv}_TL_{self.station}_{gen}_"
                    f"A{self.orbit_abs:06d}_T{g.tile}_{self.base_dotted}")
                g.band_prefix = f"T{g.tile}_{self.ts}_"
        else:
            self.station = "SGS_"
            pdmc = (sensing + dt.timedelta(hours=4, minutes=44,
                                           seconds=55)).strftime(_TIME_FMT)
            proc = (sensing + dt.timedelta(hours=2, minutes=44,
                                           seconds=53)).strftime(_TIME_FMT)
            tail = f"R{self.orbit_rel:03d}_V{self.ts}_{self.ts}"
            self.safe = f"{self.sc}_OPER_PRD_MSIL1C_PDMC_{pdmc}_{tail}"
            self.root_mtd = f"{self.sc}_OPER_MTD_SAFL1C_PDMC_{pdmc}_{tail}.xml"
            self.datastrip_dir = (f"{self.sc}_OPER_MSI_L1C_DS_SGS__{proc}_S"
                                  f"{self.ts}_{self.base_dotted}")
            self.datastrip_mtd = (f"{self.sc}_OPER_MTD_L1C_DS_SGS__{proc}_S"
                                  f"{self.ts}.xml")
            self.datastrip_id = self.datastrip_dir
            for g in granules:
                stem = (f"{self.sc}_OPER_MSI_L1C_TL_SGS__{proc}_"
                        f"A{self.orbit_abs:06d}_T{g.tile}")
                g.name = f"{stem}_{self.base_dotted}"
                g.identifier = g.name
                g.mtd_name = stem.replace("_MSI_", "_MTD_", 1) + ".xml"
                g.band_prefix = stem + "_"
                g.qi_stem = (f"{self.sc}_OPER_MSK_{{kind}}_SGS__{proc}_A"
                             f"{self.orbit_abs:06d}_T{g.tile}_{{band}}_MSIL1C")
                g.pvi = (f"{self.sc}_OPER_PVI_L1C_TL_SGS__{proc}_"
                         f"A{self.orbit_abs:06d}_T{g.tile}.jp2")
