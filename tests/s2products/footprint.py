"""The product's data footprint: the valid area of its granules (the no-data
wedge cut off) as a closed clockwise ring of (longitude, latitude).
"""

from osgeo import osr

from .files import _srs


def _lonlat(epsg, pts):
    src = _srs(epsg)
    dst = _srs(4326)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(src, dst)
    return [tuple(tr.TransformPoint(float(x), float(y))[:2]) for x, y in pts]


def _clip_halfplane(poly, inside):
    """Sutherland-Hodgman clip of a polygon by the half plane f(p) >= 0."""
    out = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        fp, fq = inside(p), inside(q)
        if fp >= 0:
            out.append(p)
        if (fp >= 0) != (fq >= 0):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _convex_hull(points):
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _footprint(granules, scenes):
    """Product data footprint (lon, lat), the valid area of all granules."""
    pts = []
    for g in granules:
        sc = scenes[g.epsg]

        def valid_side(p, sc=sc):
            u = (p[0] - sc.ax) / sc.span
            v = (sc.ay - p[1]) / sc.span
            return u - 0.5 * (v - 0.4)

        poly = _clip_halfplane(g.corners(), valid_side)
        pts += _lonlat(g.epsg, poly)
    hull = _convex_hull(pts)
    # Counter-clockwise hull; the PSD lists the ring clockwise and closed.
    ring = list(reversed(hull))
    return ring + ring[:1]
