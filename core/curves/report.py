"""A curve shown to the user: an HTML page with, per band, its histogram
and its lookup table drawn as inline SVG (no plotting library needed) on
axes with their ticks and titles, and the products and sample it was made
from."""

import html
import math

import numpy as np

from ..output.atomic import check_apart, check_output_path, write_texts
from .curve import to_json
from .totals import area_text
from .luminance import LUMINANCE

#: Drawing size of one band's plot, in pixels, and the room around it for
#: the axes: the output level on the left, the pixels per bar on the right,
#: the values counted below.
WIDTH, HEIGHT = 520, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 64, 10, 38
#: Roughly how many ticks an axis of values gets.
TICKS = 6
AXIS = 'stroke="#666" stroke-width="1"'
LABEL = 'font-size="10" fill="#333"'
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
        '<figure><svg xmlns="http://www.w3.org/2000/svg" width="{sw}" '
        'height="{sh}" viewBox="0 0 {sw} {sh}" role="img">'
        '<g transform="translate({left},{top})">'
        '<rect width="{w}" height="{h}" fill="#fafafa" stroke="#ccc"/>'
        '<path d="{bars}" fill="{c}" fill-opacity="0.35"/>'
        '<polyline points="{curve}" fill="none" stroke="{c}" '
        'stroke-width="2"/>{axes}</g></svg>'
        '<figcaption><b>{band}</b>: histogram of reflectance x 10000 from '
        '{low} to {high} (bars, {n} pixels counted) and the output level '
        '0-255 it maps to (line).</figcaption></figure>').format(
            sw=LEFT + WIDTH + RIGHT, sh=TOP + HEIGHT + BOTTOM, left=LEFT,
            top=TOP, w=WIDTH, h=HEIGHT, bars=bars, c=colour, curve=curve,
            axes=_axes(low, high, peak), band=html.escape(band), low=low,
            high=high - 1, n=int(counts.sum()))


def _axes(low, high, peak):
    """The plot's axes, in its own coordinates: below, the values counted
    (``low`` to ``high``, exclusive); left, the output level 0-255 of the
    line; right, the pixels per bar (0 to ``peak``)."""
    parts = ['<path d="M0,{h}H{w}M0,0V{h}M{w},0V{h}" {axis} fill="none"/>'
             .format(h=HEIGHT, w=WIDTH, axis=AXIS)]
    for value in _ticks(low, high - 1):
        x = WIDTH * (value - low) / float(max(high - low, 1))
        parts.append(
            '<path d="M{x:.1f},{h}v4" {axis}/><text x="{x:.1f}" y="{y}" '
            'text-anchor="middle" {label}>{value}</text>'.format(
                x=x, h=HEIGHT, y=HEIGHT + 15, axis=AXIS, label=LABEL,
                value=value))
    for level in (0, 64, 128, 192, 255):
        y = HEIGHT - HEIGHT * level / 255.0
        parts.append(
            '<path d="M0,{y:.1f}h-4" {axis}/><text x="-7" y="{t:.1f}" '
            'text-anchor="end" {label}>{level}</text>'.format(
                y=y, t=y + 3.5, axis=AXIS, label=LABEL, level=level))
    for count in _ticks(0, peak, 3):
        y = HEIGHT - HEIGHT * count / float(peak)
        parts.append(
            '<path d="M{w},{y:.1f}h4" {axis}/><text x="{x}" y="{t:.1f}" '
            '{label}>{count}</text>'.format(
                w=WIDTH, x=WIDTH + 7, y=y, t=y + 3.5, axis=AXIS,
                label=LABEL, count=count))
    parts.append(
        '<text x="{x}" y="{y}" text-anchor="middle" {label}>reflectance x '
        '10000</text>'.format(x=WIDTH / 2, y=HEIGHT + 31, label=LABEL))
    parts.append(
        '<text transform="translate(-36,{y}) rotate(-90)" '
        'text-anchor="middle" {label}>output level</text>'.format(
            y=HEIGHT / 2, label=LABEL))
    parts.append(
        '<text transform="translate({x},{y}) rotate(90)" '
        'text-anchor="middle" {label}>pixels per bar</text>'.format(
            x=WIDTH + 54, y=HEIGHT / 2, label=LABEL))
    return "".join(parts)


def _ticks(low, high, count=TICKS):
    """Round values from ``low`` to ``high`` (whole numbers), about
    ``count`` of them, a step of 1, 2 or 5 times a power of ten apart."""
    span = max(high - low, 1)
    rough = span / float(count)
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    first = int(math.ceil(low / float(step)) * step)
    return list(range(first, int(high) + 1, int(step)))


def save_with_report(curve, path, report, title="Shared curve"):
    """Write ``curve`` to the curve file ``path`` and its page to
    ``report``, both or neither (replaced whole, never half-written);
    OutputError where either must not be written (as curve.save)."""
    check_apart([("curve file", path), ("report", report)])
    check_output_path(path, name="curve file", extension=".json")
    check_output_path(report, name="report", extension=".html")
    write_texts([(path, to_json(curve)), (report, curve_html(curve, title))])


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
        "<h1>{title}</h1><p>{level} curve from {count} product{s}{area}, "
        "{sample:g} % sample of the valid pixels, seed {seed}, {res}.</p>"
        "<table><tr><th>Product</th><th>Level</th><th>Baseline</th>"
        "<th>Sensing</th></tr>{rows}</table>{charts}</body></html>").format(
            title=html.escape(title), level=curve.level,
            count=len(curve.products),
            s="" if len(curve.products) == 1 else "s",
            area=(" over the area: " + html.escape(area_text(curve.area))
                  if curve.area else ""),
            sample=curve.sample_fraction * 100.0, seed=curve.seed,
            res=("{} m grid".format(curve.resolution) if curve.resolution
                 else "finest grid"), rows=rows, charts=charts)
