"""make bench cases of the clouds and the composites (scripts/bench.py
runs them, each in a fresh process, interleaved with its own):

  clear4   the core's first-clear composite of four dates of the size's
           tile (the same ground under four skies): beside `core`, the
           core's default run of one product, per product
  median4  the median-of-clear composite of the same four dates: per
           product beside `core`, and its peak memory
  median8  the median of eight dates: its peak memory against median4's
           (the median's blocks thin as dates are added, so its memory
           stays level)
  cexcl, cmask   the core's run of the size's product with the clouds
           excluded from the curve, and masked: beside `core` (keep)

Composites run on sizes up to COMPOSITE_SIZE (5490 in `make bench`;
1830 to check the cases quickly).
"""

import os

from bench_common import BANDS, CACHE, MOSAIC_TILES, made_once, product

COMPOSITES = ("clear4", "median4", "median8")
CASES = COMPOSITES + ("cexcl", "cmask")
#: The largest size of the composite cases' dates.
COMPOSITE_SIZE = 5490
#: Dates of the season: the size's product, then these skies and days.
SKIES = [(None, None)] + [(sky, "202306{:02d}T105629".format(4 + 3 * sky))
                          for sky in range(1, 8)]


def applies(case, size):
    """Whether ``case`` runs at ``size``: the composites up to
    COMPOSITE_SIZE."""
    return case not in COMPOSITES or size <= COMPOSITE_SIZE


def season(size, dates):
    """The first ``dates`` dates of the size's tile (the first is the
    size's own bench product), made once."""
    made = [product(size)]
    for sky, sensing in SKIES[1:dates]:
        made.append(made_once(
            os.path.join(CACHE, "season-{}-{}".format(size, sky)),
            ["--size", str(size), "--bands", ",".join(BANDS), "--tiles",
             MOSAIC_TILES[0], "--tile-grid", ",".join(MOSAIC_TILES),
             "--sky-seed", str(sky), "--sensing", sensing],
            "making date {} of the {}x{} season (once)...".format(
                sky + 1, size, size), timed=True))
    return made


def prepare(cases, size, path):
    """Make the season's dates the cases need."""
    wanted = max([8 if c == "median8" else 4 for c in cases
                  if c in COMPOSITES] or [0])
    if wanted:
        season(size, wanted)


def run(name, path, out, tables):
    """Run case ``name`` on the product at ``path``, writing ``out``."""
    from sentinel2_equalizer.core import mosaic, render
    if name in ("cexcl", "cmask"):
        from sentinel2_equalizer.core.pixels.clouds import make_clouds
        render.run(render.Options(path, out, bands=BANDS, clouds=make_clouds(
            "exclude" if name == "cexcl" else "mask")))
        return
    size = int(os.path.basename(os.path.dirname(path)).split("-")[1])
    dates = 8 if name == "median8" else 4
    mosaic.mosaic(season(size, dates), out, BANDS, 0.01,
                  composite="first-clear" if name == "clear4" else "median")


def report(size, row, ratios):
    """Print the clouds' figures of ``row`` (case -> (wall s, peak MiB))
    and ``ratios`` (bench_common.Ratios)."""
    if "core" in row:
        for case in ("cexcl", "cmask"):
            if case in row:
                print("{:>6} {}/core {}".format(size, case,
                                                ratios.text(case, "core")),
                      flush=True)
        for case in ("clear4", "median4", "median8"):
            if case in row:
                dates = 8 if case == "median8" else 4
                print("{:>6} {}: {:.2f} s per date, {:5.3f} x core's one "
                      "product; peak {:.0f} MiB".format(
                          size, case, row[case][0] / dates,
                          row[case][0] / dates / row["core"][0],
                          row[case][1]), flush=True)
    if "median4" in row and "median8" in row:
        print("{:>6} median peak memory, 8 dates / 4 dates: {:5.3f}".format(
            size, row["median8"][1] / row["median4"][1]), flush=True)
