"""Draw docs/img/walk-vs-line.svg: why straight-line ranking misleads.

A walled compound with one gate, a ring road, an incident just north of the
wall and two guards: one 80 m away behind the wall, one 141 m away on the
street. The paths are the engine's own answers (``geo.nearest``), drawn as a
hand-written SVG (no plotting library needed)::

    .venv/bin/python bench/plot_walk_vs_line.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.crs import local_crs, to_local, to_wgs84  # noqa: E402
from geo.nearest import nearest_guards  # noqa: E402
from geo.network import build_street_graph  # noqa: E402

OUT = ROOT / "docs" / "img" / "walk-vs-line.svg"
CRS = local_crs(118.45, 33.75)
OX, OY = (float(v) for v in to_local(118.45, 33.75, CRS))
GATE = (100.0, 0.0)
INCIDENT = (100.0, 215.0)
GUARDS = {"G001": (100.0, 135.0), "G002": (225.0, 150.0)}


def scene():
    """The toy world as GeoDataFrames (EPSG:4326) and the two rankings."""
    ring = [((-20, -20), (220, -20)), ((220, -20), (220, 220)), ((220, 220), (-20, 220)),
            ((-20, 220), (-20, -20)), (GATE, (100, -20))]  # fmt: skip
    geoms = [LineString([(OX + x, OY + y) for x, y in seg]) for seg in ring]

    def gdf(rows, g):
        return gpd.GeoDataFrame(rows, geometry=g, crs=CRS).to_crs(4326)

    streets = gdf({"street_id": list("ABCDE"), "kind": ["road"] * 4 + ["gate_link"]}, geoms)
    units = gdf({"unit_id": ["U1"]}, [shapely.box(OX, OY, OX + 200, OY + 200)])
    gates = gdf({"gate_id": ["U1-G1"], "unit_id": ["U1"]}, [Point(OX + GATE[0], OY + GATE[1])])
    graph = build_street_graph(streets, gates, units, CRS)
    lon, lat = to_wgs84(OX + np.array([p[0] for p in GUARDS.values()]),
                        OY + np.array([p[1] for p in GUARDS.values()]), CRS)  # fmt: skip
    guards = pd.DataFrame({"guard_id": list(GUARDS), "lon": lon, "lat": lat, "status": "on_post",
                           "on_duty": True, "zone_id": "C", "mobility": "foot"})  # fmt: skip
    ilon, ilat = (v[()] for v in to_wgs84(OX + INCIDENT[0], OY + INCIDENT[1], CRS))
    walk = nearest_guards(ilon, ilat, guards, k=2, mode="walk", graph=graph)
    line = nearest_guards(ilon, ilat, guards, k=2, mode="line")
    return walk, line


def local_xy(path: LineString) -> np.ndarray:
    x, y = to_local(*np.array(path.coords).T, CRS)
    return np.column_stack([x - OX, y - OY])


def svg(walk, line) -> str:
    scale = 2.0  # px per metre
    x_lo, x_hi, y_lo, y_hi = -60.0, 420.0, -60.0, 270.0  # metres shown

    def px(x, y):
        return (x - x_lo) * scale, (y_hi - y) * scale  # SVG y grows downwards

    def pts(xy):
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in (px(x, y) for x, y in xy))

    width, size = (x_hi - x_lo) * scale, (y_hi - y_lo) * scale
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{size + 100:.0f}" '
           f'font-family="sans-serif" font-size="13">',
           '<rect width="100%" height="100%" fill="#fbfaf7"/>']  # fmt: skip
    ring = [(-20, -20), (220, -20), (220, 220), (-20, 220), (-20, -20)]
    out.append(f'<polygon points="{pts(ring[:-1])}" fill="none" stroke="#d9d4c8" stroke-width="16" '
               f'stroke-linejoin="round"/>')  # fmt: skip
    out.append(f'<polyline points="{pts([GATE, (100, -20)])}" stroke="#d9d4c8" stroke-width="8"/>')
    sx, sy = px(230, -40)
    out.append(f'<text x="{sx:.1f}" y="{sy:.1f}" fill="#8a8474">街道 street</text>')
    wall = [(0, 0), (200, 0), (200, 200), (0, 200), (0, 0)]
    out.append(f'<polyline points="{pts(wall)}" fill="#eeeae0" stroke="#6b5f4b" stroke-width="4"/>')
    gx, gy = px(*GATE)
    out.append(f'<rect x="{gx - 9:.1f}" y="{gy - 5:.1f}" width="18" height="10" fill="#fbfaf7" '
               f'stroke="#6b5f4b" stroke-width="2"/>')  # fmt: skip
    out.append(f'<text x="{gx + 14:.1f}" y="{gy + 18:.1f}">大门 gate</text>')
    cx, cy = px(100, 60)
    out.append(f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle" fill="#6b5f4b">'
               f'封闭小区（围墙） walled compound</text>')  # fmt: skip

    rows = walk.frame.set_index("guard_id")
    lrows = line.frame.set_index("guard_id")
    colours = {"G001": "#1f5fbf", "G002": "#1a8a4a"}
    for gid, colour in colours.items():
        xy = local_xy(rows.loc[gid, "path"])
        out.append(f'<polyline points="{pts(xy)}" fill="none" stroke="{colour}" '
                   f'stroke-width="3" stroke-linejoin="round"/>')  # fmt: skip
    straight = local_xy(lrows.loc["G001", "path"])
    out.append(f'<polyline points="{pts(straight)}" stroke="#d03030" stroke-width="2.5" '
               f'stroke-dasharray="8 6"/>')  # fmt: skip
    for gid, colour in colours.items():
        x, y = px(*GUARDS[gid])
        w, lr = rows.loc[gid], lrows.loc[gid]
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{colour}"/>')
        lines = [f"保安 guard {gid}", f"直线 straight {lr['distance_m']:.0f} m",
                 f"步行 walking {w['distance_m']:.0f} m ≈ {w['eta_s'] / 60:.1f} min"]  # fmt: skip
        dx, dy = (16, -10) if gid == "G002" else (14, 0)
        for n, text in enumerate(lines):
            out.append(f'<text x="{x + dx:.1f}" y="{y + dy + 17 * n:.1f}" '
                       f'fill="{colour}">{escape(text)}</text>')  # fmt: skip
    ix, iy = px(*INCIDENT)
    out.append(f'<path d="M{ix:.1f},{iy - 11:.1f} L{ix + 10:.1f},{iy + 7:.1f} '
               f'L{ix - 10:.1f},{iy + 7:.1f} Z" fill="#d03030"/>')  # fmt: skip
    out.append(f'<text x="{ix + 14:.1f}" y="{iy - 14:.1f}" fill="#d03030">警情 incident</text>')
    first_line = lrows.index[0]
    first_walk = rows.index[0]
    legend = [
        ("#d03030", "8 6", f"直线最近 straight-line nearest: {first_line}"),
        ("#1a8a4a", "", f"步行最先到达 first to arrive walking: {first_walk}"),
        ("#1f5fbf", "", "G001 须绕行大门 must go round by the gate"),
    ]
    y0 = size + 25
    for i, (colour, dash, text) in enumerate(legend):
        y = y0 + 26 * i
        out.append(f'<line x1="20" y1="{y:.0f}" x2="60" y2="{y:.0f}" stroke="{colour}" '
                   f'stroke-width="3" stroke-dasharray="{dash}"/>')  # fmt: skip
        out.append(f'<text x="70" y="{y + 4:.0f}">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    walk, line = scene()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(svg(walk, line), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    for name, r in (("line", line), ("walk", walk)):
        f = r.frame
        print(name, list(zip(f["guard_id"], f["distance_m"].round(1), f["eta_s"].round(1),
                             strict=True)))  # fmt: skip


if __name__ == "__main__":
    main()
