"""A curve shown to the user: an HTML page with, per band, its histogram
and its lookup table drawn as inline SVG (no plotting library needed), and
the products and sample it was made from."""

import html

import numpy as np

from ..output.atomic import check_output_path, write_text
from .luminance import LUMINANCE

#: Drawing size of one band's chart, in pixels.
WIDTH, HEIGHT = 520, 180
#: Histogram bars drawn per chart: counts are summed into this many bins.
BINS = 256
COLOURS = ("#d62728", "#2ca02c", "#1f77b4")
LUMINANCE_COLOUR = "#555555"


def _name(curve, band):
    """A band's name, or what the luminance entry is the luminance of."""
    if band == LUMINANCE and curve.luminance_of:
        return "Luminance of {}".format("/".join(curve.luminance_of))
    return band


def _chart(band, counts, table, colour):
    """One band's SVG: its histogram (filled) and its curve (line), over
    the range of values that were counted."""
    counted = np.flatnonzero(counts)
    if counted.size == 0:
        return "<p>{}: no pixel counted.</p>".format(html.escape(band))
    low, high = int(counted[0]), int(counted[-1]) + 1
    edges = np.linspace(low, high, BINS + 1).astype(int)
    binned = np.add.reduceat(counts[low:high], edges[:-1] - low)
    peak = max(int(binned.max()), 1)
    step = WIDTH / float(BINS)
    bars = " ".join(
        "M{:.1f},{}v{:.1f}h{:.1f}v{:.1f}z".format(
            i * step, HEIGHT, -HEIGHT * v / peak, step, HEIGHT * v / peak)
        for i, v in enumerate(binned) if v)
    values = np.linspace(low, high - 1, WIDTH).astype(int)
    # int(): numpy 2 keeps HEIGHT * a uint8 level in uint8, which wraps.
    curve = " ".join("{},{:.1f}".format(x, HEIGHT - HEIGHT * int(table[v])
                                        / 255.0)
                     for x, v in enumerate(values))
    return (
        '<figure><svg xmlns="http://www.w3.org/2000/svg" width="{w}" '
        'height="{h}" viewBox="0 0 {w} {h}" role="img">'
        '<rect width="{w}" height="{h}" fill="#fafafa" stroke="#ccc"/>'
        '<path d="{bars}" fill="{c}" fill-opacity="0.35"/>'
        '<polyline points="{curve}" fill="none" stroke="{c}" '
        'stroke-width="2"/></svg>'
        '<figcaption><b>{band}</b>: histogram of reflectance x 10000 from '
        '{low} to {high} (bars, {n} pixels counted) and the output level '
        '0-255 it maps to (line).</figcaption></figure>').format(
            w=WIDTH, h=HEIGHT, bars=bars, c=colour, curve=curve,
            band=html.escape(band), low=low, high=high - 1,
            n=int(counts.sum()))


def save_report(curve, path, title="Shared curve", inputs=(), folders=()):
    """Write the page of ``curve`` to ``path`` (replaced whole, never
    half-written); OutputError where ``path`` must not be written (as
    curve.save)."""
    check_output_path(path, inputs, folders, "report", ".html")
    write_text(path, curve_html(curve, title))


def curve_html(curve, title="Shared curve"):
    """The HTML page showing ``curve`` (a curve.Curve)."""
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            *(html.escape(str(p.get(k, ""))) for k in (
                "name", "level", "baseline", "sensing")))
        for p in curve.products)
    charts = "".join(
        _chart(_name(curve, band), curve.counts[band].counts,
               curve.tables[band], LUMINANCE_COLOUR if band == LUMINANCE
               else COLOURS[index % len(COLOURS)])
        for index, band in enumerate(curve.tables))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}"
        "</title><style>body{{font-family:sans-serif;margin:1em}}"
        "table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;"
        "padding:2px 6px}}figure{{margin:1em 0}}</style></head><body>"
        "<h1>{title}</h1><p>{level} curve from {count} product{s}, "
        "{sample:g} % sample of the valid pixels, seed {seed}, {res}.</p>"
        "<table><tr><th>Product</th><th>Level</th><th>Baseline</th>"
        "<th>Sensing</th></tr>{rows}</table>{charts}</body></html>").format(
            title=html.escape(title), level=curve.level,
            count=len(curve.products),
            s="" if len(curve.products) == 1 else "s",
            sample=curve.sample_fraction * 100.0, seed=curve.seed,
            res=("{} m grid".format(curve.resolution) if curve.resolution
                 else "finest grid"), rows=rows, charts=charts)
