"""Synthetic street plan, zones, unit walls and gates of the Yanghe pilot.

Everything here works in metres on a local plane centred on the district
(118.38°E, 33.78°N): x east, y north, offsets inside UTM zone 50N
(EPSG:32650). :mod:`data.generate` converts to WGS-84 when it writes files.

The plan is hand-laid (zones, named roads) and seeded where it varies
(bends, unit shapes, gate positions). The places are invented; only the
structure (five zones of one unit kind each, 37 units) follows the published
account of the Yanghe "54321" pilot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.polygon import orient

LOCAL_EPSG = 32650
CENTRE_LON, CENTRE_LAT = 118.38, 33.78

# zone_id, name_zh, name_en, unit_kind, (x0, y0, x1, y1) in metres
ZONES = [
    ("C", "中心区", "Centre", "government", (-600, -600, 600, 600)),
    ("W", "西区", "West", "residential", (-2000, -600, -600, 600)),
    ("E", "东区", "East", "liquor", (600, -600, 1900, 600)),
    ("S", "南区", "South", "school", (-600, -1800, 600, -600)),
    ("N", "北区", "North", "commercial", (-600, 600, 600, 1800)),
]

# Street lines: name_zh, kind, vertices. Zone borders are straight roads that
# end exactly at corners; interior lines overshoot their end streets by
# OVERSHOOT_M and the stubs are pruned after noding, so a line may end on a
# bent road without computing where it meets it.
OVERSHOOT_M = 30.0
STREET_LINES: list[tuple[str, str, list[tuple[float, float]]]] = [
    # borders
    ("人民路", "road", [(-2000, 600), (1900, 600)]),
    ("发展大道", "road", [(-2000, -600), (1900, -600)]),
    ("徐淮路", "road", [(-600, -1800), (-600, 1800)]),
    ("酒都大道", "road", [(600, -1800), (600, 1800)]),
    ("西环路", "road", [(-2000, -600), (-2000, 600)]),
    ("东环路", "road", [(1900, -600), (1900, 600)]),
    ("北环路", "road", [(-600, 1800), (600, 1800)]),
    ("南环路", "road", [(-600, -1800), (600, -1800)]),
    # through roads with gentle bends
    ("洋河大道", "road", [(-2000, 0), (-1475, 18), (-600, 0), (600, 0), (1400, -22), (1900, 0)]),
    ("中大街", "road", [(0, -1800), (12, -1350), (0, -600), (0, 600), (-14, 1350), (0, 1800)]),
    ("幸福路", "road", [(-2000, 300), (1900, 300)]),
    ("和平路", "road", [(-2000, -300), (1900, -300)]),
    # West (residential)
    ("安居路", "road", [(-1300, -600), (-1290, 0), (-1300, 600)]),
    ("翠湖巷", "lane", [(-1650, -600), (-1650, 600)]),
    ("桃园巷", "lane", [(-950, -600), (-958, 150), (-950, 600)]),
    # East (liquor)
    ("酒香路", "road", [(1250, -600), (1250, 600)]),
    ("窖池巷", "lane", [(925, -600), (925, 0)]),
    ("酒坊巷", "lane", [(1575, 0), (1575, 600)]),
    # South (schools)
    ("文昌路", "road", [(-600, -1200), (600, -1200)]),
    ("书院巷", "lane", [(-300, -1800), (-300, -600)]),
    ("育才巷", "lane", [(300, -1800), (300, -600)]),
    # North (commercial)
    ("繁荣路", "road", [(-600, 1200), (600, 1200)]),
    ("商贸巷", "lane", [(-300, 600), (-300, 1800)]),
    ("步行街", "lane", [(300, 600), (300, 1800)]),
    ("美食巷", "lane", [(-600, 900), (600, 900)]),
    ("金街", "lane", [(-600, 1500), (600, 1500)]),
    ("洋河老街", "lane", [(150, 600), (600, 1050)]),
]
BORDER_NAMES = ("人民路", "发展大道", "徐淮路", "酒都大道", "西环路", "东环路", "北环路", "南环路")


@dataclass
class Street:
    """One street segment between two junctions (metres)."""

    name_zh: str
    kind: str
    coords: np.ndarray  # (n, 2)

    @property
    def line(self) -> LineString:
        return LineString(self.coords)


@dataclass
class Unit:
    """A walled security unit with its gates (metres)."""

    name_zh: str
    name_en: str
    kind: str
    zone_id: str
    wall: Polygon
    gates: list[dict] = field(default_factory=list)  # name_zh, point, normal, street


def _overshoot(coords: list[tuple[float, float]]) -> np.ndarray:
    """Extend both ends of a polyline by OVERSHOOT_M along its end segments."""
    c = np.asarray(coords, dtype=float)
    for end, prev in ((0, 1), (-1, -2)):
        d = c[end] - c[prev]
        c[end] = c[end] + d / np.linalg.norm(d) * OVERSHOOT_M
    return c


def build_streets() -> list[Street]:
    """Node the street lines at every crossing and prune overshoot stubs."""
    sources = [
        LineString(pts if name in BORDER_NAMES else _overshoot(pts))
        for name, _, pts in STREET_LINES
    ]
    pieces = list(shapely.get_parts(shapely.unary_union(sources)))
    mids = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    owner = shapely.distance(mids[:, None], np.asarray(sources)[None, :]).argmin(axis=1)
    streets = [
        Street(STREET_LINES[o][0], STREET_LINES[o][1], shapely.get_coordinates(p))
        for p, o in zip(pieces, owner, strict=True)
    ]
    while True:  # drop dead-end stubs left by the overshoot
        ends = np.round(np.array([[s.coords[0], s.coords[-1]] for s in streets]), 3)
        keys, inverse = np.unique(ends.reshape(-1, 2), axis=0, return_inverse=True)
        degree = np.bincount(inverse, minlength=len(keys)).reshape(-1)
        dangling = (degree[inverse.reshape(-1, 2)] == 1).any(axis=1)
        lengths = np.array([s.line.length for s in streets])
        drop = dangling & (lengths < OVERSHOOT_M + 5)
        if not drop.any():
            return streets
        streets = [s for s, d in zip(streets, drop, strict=True) if not d]


def zone_polygons() -> dict[str, Polygon]:
    return {zid: box(*bounds) for zid, _, _, _, bounds in ZONES}


def street_blocks(streets: list[Street], min_area_m2: float = 12_000.0) -> list[Polygon]:
    """Faces of the street graph large enough to hold a unit, in a stable order."""
    faces = shapely.get_parts(shapely.polygonize([s.line for s in streets]))
    faces = [f for f in faces if f.area >= min_area_m2]
    return sorted(faces, key=lambda f: (-round(f.centroid.y), round(f.centroid.x)))


# (fx, fy) scale ranges of a unit inside its block's inner area, per kind
SHAPE_SCALE = {
    "government": ((0.25, 0.45), (0.55, 0.85)),
    "residential": ((0.8, 1.0), (0.8, 1.0)),
    "liquor": ((0.55, 0.8), (0.6, 0.85)),
    "school": ((0.55, 0.8), (0.4, 0.55)),
    "commercial": ((0.35, 0.9), (0.35, 0.9)),
}
MAX_SIDE_M, MIN_SIDE_M = 400.0, 50.0


def unit_wall(block: Polygon, kind: str, rng: np.random.Generator) -> Polygon:
    """A wall polygon inside ``block``: rectangle-like, L-shape or irregular quad."""
    inner = block.buffer(-rng.uniform(15, 35), join_style="mitre")
    (fx0, fx1), (fy0, fy1) = SHAPE_SCALE[kind]
    corners = np.asarray(inner.exterior.coords)[:-1]
    c = np.asarray(inner.centroid.coords)[0]
    origin = c + rng.uniform(0, 0.5) * (corners[rng.integers(len(corners))] - c)
    wall = affinity.scale(
        inner, rng.uniform(fx0, fx1), rng.uniform(fy0, fy1), origin=Point(origin)
    ).intersection(inner)
    minx, miny, maxx, maxy = wall.bounds
    over = max(maxx - minx, maxy - miny) / MAX_SIDE_M
    if over > 1:
        wall = affinity.scale(wall, 1 / over, 1 / over, origin="centroid")
    shape = rng.random()
    minx, miny, maxx, maxy = wall.bounds
    w, h = maxx - minx, maxy - miny
    n_vertices = len(wall.exterior.coords) - 1
    if shape < 0.25 and kind != "government" and min(w, h) > 120:
        # L-shape: cut one bounding-box corner
        a, b = rng.uniform(0.3, 0.45) * w, rng.uniform(0.3, 0.45) * h
        cx = maxx if rng.random() < 0.5 else minx
        cy = maxy if rng.random() < 0.5 else miny
        wall = wall.difference(box(cx - a, cy - b, cx + a, cy + b))
    elif shape < 0.5 and n_vertices == 4:
        # irregular quadrilateral: pull each corner towards the centre
        pts = np.asarray(wall.exterior.coords)[:-1]
        mid = pts.mean(axis=0)
        pts = pts + (mid - pts) * rng.uniform(0, 0.12, size=(4, 1))
        wall = Polygon(pts)
    wall = orient(wall.simplify(0.05), 1.0)
    assert isinstance(wall, Polygon) and wall.is_valid and wall.area > MIN_SIDE_M**2
    return wall


def _hull_edges(wall: Polygon) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Wall edges on the convex hull (start, outward unit normal, length).

    A ray along the outward normal of a hull edge never re-enters the wall,
    so a gate on such an edge can be linked straight out to the street.
    """
    pts = np.asarray(wall.exterior.coords)  # counter-clockwise, closed
    out = []
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        d = b - a
        length = float(np.hypot(*d))
        cross = d[0] * (pts[:, 1] - a[1]) - d[1] * (pts[:, 0] - a[0])
        if length >= 30 and (cross >= -1e-6).all():
            out.append((a, np.array([d[1], -d[0]]) / length, length))
    return out


DIRECTION_ZH = {"E": "东", "W": "西", "N": "北", "S": "南"}
GATE_COUNT = {
    "residential": (2, 4),
    "liquor": (2, 3),
    "government": (1, 2),
    "school": (1, 2),
    "commercial": (1, 2),
}


def _direction(normal: np.ndarray) -> str:
    if abs(normal[0]) >= abs(normal[1]):
        return "E" if normal[0] > 0 else "W"
    return "N" if normal[1] > 0 else "S"


def place_gates(unit: Unit, rng: np.random.Generator) -> None:
    """Put 1–4 gates on distinct hull edges of the wall, named by direction."""
    edges = _hull_edges(unit.wall)
    lo, hi = GATE_COUNT[unit.kind]
    n = min(int(rng.integers(lo, hi + 1)), len(edges))
    lengths = np.array([e[2] for e in edges])
    chosen = rng.choice(len(edges), size=n, replace=False, p=lengths / lengths.sum())
    seen: dict[str, int] = {}
    for k, i in enumerate(chosen):
        start, normal, length = edges[i]
        tangent = np.array([-normal[1], normal[0]])
        point = start + tangent * length * rng.uniform(0.3, 0.7)
        d = _direction(normal)
        seen[d] = seen.get(d, 0) + 1
        if k == 0 and unit.kind != "residential":
            name = "正门"
        else:
            name = DIRECTION_ZH[d] + ("门" if seen[d] == 1 else "二三四"[seen[d] - 2] + "门")
        unit.gates.append({"name_zh": name, "point": point, "normal": normal})


def link_gates(units: list[Unit], streets: list[Street]) -> list[Street]:
    """Add one gate_link per gate, splitting the street it meets there.

    The link runs along the gate edge's outward normal to the first street
    it meets; that street is split so the link ends on a shared vertex.
    """
    links = []
    for unit in units:
        for gate in unit.gates:
            ray = LineString([gate["point"], gate["point"] + gate["normal"] * 800])
            lines = np.array([s.line for s in streets])
            hits = shapely.intersection(ray, lines)
            dist = np.where(
                shapely.is_empty(hits), np.inf, shapely.distance(hits, Point(gate["point"]))
            )
            k = int(dist.argmin())
            hit = shapely.get_coordinates(hits[k])
            hit = hit[np.hypot(*(hit - gate["point"]).T).argmin()]
            target = _split_at(streets, k, hit)
            gate["street"] = streets[k].name_zh
            links.append(
                Street(
                    f"{unit.name_zh}{gate['name_zh']}连接道",
                    "gate_link",
                    np.array([gate["point"], target]),
                )
            )
    return links


def _split_at(streets: list[Street], k: int, point: np.ndarray) -> np.ndarray:
    """Split ``streets[k]`` at ``point`` (in place); return the junction vertex."""
    s = streets[k]
    for end in (s.coords[0], s.coords[-1]):
        if np.hypot(*(end - point)) < 1.0:
            return end.copy()
    segs = [LineString(s.coords[i : i + 2]) for i in range(len(s.coords) - 1)]
    i = int(np.argmin(shapely.distance(segs, Point(point))))
    first = np.vstack([s.coords[: i + 1], point])
    second = np.vstack([point, s.coords[i + 1 :]])
    streets[k] = Street(s.name_zh, s.kind, first)
    streets.append(Street(s.name_zh, s.kind, second))
    return point.copy()


def sample_inside(
    poly: Polygon, n: int, rng: np.random.Generator, margin_m: float = 0.0
) -> np.ndarray:
    """``n`` uniform random points strictly inside ``poly`` (shrunk by ``margin_m``)."""
    area = poly.buffer(-margin_m) if margin_m else poly
    minx, miny, maxx, maxy = area.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n + 8, 2))
        out = np.vstack([out, cand[shapely.contains_xy(area, cand[:, 0], cand[:, 1])]])
    return out[:n]


# name_zh, name_en per unit kind, largest unit first
UNIT_NAMES = {
    "government": [
        ("洋河新区管委会", "Yanghe New District Administrative Committee"),
        ("洋河镇人民政府", "Yanghe Town People's Government"),
        ("洋河新区市民服务中心", "Yanghe Citizen Service Centre"),
        ("洋河新区社会事业局", "Yanghe Social Affairs Bureau"),
        ("洋河新区税务分局", "Yanghe Tax Sub-bureau"),
    ],
    "residential": [
        ("翠湖苑小区", "Cuihu Garden"),
        ("美人泉花园", "Meirenquan Garden"),
        ("锦绣江南小区", "Jinxiu Jiangnan"),
        ("御景湾小区", "Yujing Bay"),
        ("桃园新村", "Taoyuan New Village"),
        ("洋河人家小区", "Yanghe Renjia"),
        ("丽景华庭", "Lijing Huating"),
        ("金色家园", "Golden Home"),
        ("酒城花园", "Jiucheng Garden"),
        ("书香苑", "Shuxiang Court"),
        ("幸福里小区", "Xingfuli"),
        ("和园小区", "He Garden"),
        ("枫林雅居", "Fenglin Yaju"),
    ],
    "liquor": [
        ("宿迁美泉酒业有限公司", "Suqian Meiquan Liquor Co., Ltd."),
        ("洋河古泉酿酒有限公司", "Yanghe Guquan Distillery Co., Ltd."),
        ("宿迁醇香酒业有限公司", "Suqian Chunxiang Liquor Co., Ltd."),
        ("洋河聚福酿酒有限公司", "Yanghe Jufu Distillery Co., Ltd."),
        ("宿迁瑞泉酒业有限公司", "Suqian Ruiquan Liquor Co., Ltd."),
        ("洋河老窖坊酒业有限公司", "Yanghe Laojiaofang Liquor Co., Ltd."),
    ],
    "school": [
        ("洋河高级中学", "Yanghe Senior High School"),
        ("洋河中学", "Yanghe Middle School"),
        ("洋河职业技术学校", "Yanghe Vocational School"),
        ("洋河实验小学", "Yanghe Experimental Primary School"),
        ("洋河新区中心小学", "Yanghe Central Primary School"),
        ("洋河新区实验幼儿园", "Yanghe Experimental Kindergarten"),
    ],
    "commercial": [
        ("洋河商业广场", "Yanghe Commercial Plaza"),
        ("酒都购物中心", "Jiudu Shopping Centre"),
        ("洋河农贸市场", "Yanghe Farmers' Market"),
        ("洋河五金建材城", "Yanghe Hardware and Building Materials Mall"),
        ("美人泉大酒店", "Meirenquan Hotel"),
        ("金街美食城", "Jinjie Food Court"),
        ("星光影城", "Xingguang Cinema"),
    ],
}

# Invented property (物业) and security (保安) companies shared across units.
PROPERTY_COMPANIES = [
    "洋河嘉园物业服务有限公司",
    "宿迁明珠物业管理有限公司",
    "苏北恒安物业管理有限公司",
    "洋河城市物业服务有限公司",
    "宿迁万和物业服务有限公司",
    "江淮佳和物业管理有限公司",
]
SECURITY_COMPANIES = [
    "洋河安泰保安服务有限公司",
    "宿迁金盾保安服务有限公司",
    "宿迁鑫盾安保服务有限公司",
    "宿迁卫士保安服务有限公司",
    "宿迁天安保安服务有限公司",
    "洋河平安护卫有限公司",
]
UNIT_COUNTS = {"government": 5, "residential": 13, "liquor": 6, "school": 6, "commercial": 7}


def build_units(
    zones: dict[str, Polygon], blocks: list[Polygon], rng: np.random.Generator
) -> list[Unit]:
    """Pick blocks per zone, draw a wall in each and name units by size."""
    units = []
    for zid, _, _, kind, _ in ZONES:
        mine = [b for b in blocks if zones[zid].contains(b.representative_point())]
        picked = np.sort(rng.choice(len(mine), size=UNIT_COUNTS[kind], replace=False))
        walls = [unit_wall(mine[i], kind, rng) for i in picked]
        by_size = np.argsort([-w.area for w in walls], kind="stable")
        named = [None] * len(walls)
        for rank, i in enumerate(by_size):
            named[i] = UNIT_NAMES[kind][rank]
        zone_units = [
            Unit(name_zh, name_en, kind, zid, wall)
            for (name_zh, name_en), wall in zip(named, walls, strict=True)
        ]
        zone_units.sort(key=lambda u: (-round(u.wall.centroid.y), round(u.wall.centroid.x)))
        units.extend(zone_units)
    return units
