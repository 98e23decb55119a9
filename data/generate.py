"""Generate the Yanghe pilot data set (synthetic geography, seeded).

Run ``python -m shouwang generate-data [--out data/pilot] [--seed 54321]``. The same
seed gives byte-identical files; the committed ``data/pilot/`` is this
script's output. Formats: ``docs/data-formats.md``.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import mapping
from tqdm import tqdm

try:
    from data import geography as geo
except ImportError:  # run as a script: data/ itself is on sys.path
    import geography as geo  # type: ignore[no-redef]

DEFAULT_SEED = 54321
DEFAULT_OUT = Path(__file__).resolve().parent / "pilot"
N_GUARDS = 207
CST = timezone(timedelta(hours=8))
PERIOD_START = datetime(2025, 11, 1, tzinfo=CST)  # 12 months up to 2026-10-31
PERIOD_DAYS = 365

_TO_WGS84 = pyproj.Transformer.from_crs(geo.LOCAL_EPSG, 4326, always_xy=True)
_X0, _Y0 = pyproj.Transformer.from_crs(4326, geo.LOCAL_EPSG, always_xy=True).transform(
    geo.CENTRE_LON, geo.CENTRE_LAT
)


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    """Local metres (n, 2) to WGS-84 lon/lat rounded to 7 decimals (~1 cm)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = _TO_WGS84.transform(xy[:, 0] + _X0, xy[:, 1] + _Y0)
    return np.round(np.column_stack([lon, lat]), 7)


def _geom(g):
    return mapping(shapely.transform(g, to_lonlat))


def write_geojson(path: Path, features: list[tuple[dict, object]]) -> None:
    """One feature per line, features in the given (id-sorted) order."""
    lines = [
        json.dumps(
            {"type": "Feature", "properties": props, "geometry": _geom(g)}, ensure_ascii=False
        )
        for props, g in features
    ]
    text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# ---------------------------------------------------------------- people
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN_MALE = list(
    "伟刚勇军强磊洋杰涛明超华平辉建国峰林波斌鹏飞俊浩亮成龙海东文志永兵春宝金德庆长忠山"
)
GIVEN_FEMALE = list("芳丽敏静霞红梅兰英玉桂秀萍燕娟")


def guard_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct plausible names; about one guard in eight is a woman."""
    names: list[str] = []
    while len(names) < n:
        pool = GIVEN_FEMALE if rng.random() < 0.12 else GIVEN_MALE
        given = "".join(rng.choice(pool, size=int(rng.integers(1, 3))))
        name = str(rng.choice(SURNAMES)) + given
        if name not in names:
            names.append(name)
    return names


def guard_counts(units: list[geo.Unit], total: int = N_GUARDS) -> np.ndarray:
    """Guards per unit: two each, the rest in proportion to wall area (largest remainder)."""
    share = np.array([u.wall.area for u in units])
    extra = (total - 2 * len(units)) * share / share.sum()
    counts = np.floor(extra).astype(int)
    short = total - 2 * len(units) - counts.sum()
    counts[np.argsort(-(extra - counts), kind="stable")[:short]] += 1
    return counts + 2


def make_guards(units: list[geo.Unit], unit_ids: list[str], rng: np.random.Generator) -> list[dict]:
    """guards.csv rows: posted round-robin at the unit's gates, first two on day and night."""
    counts = guard_counts(units)
    names = guard_names(int(counts.sum()), rng)
    devices = rng.choice(10**8, size=len(names), replace=False)
    phones = rng.choice(10**9, size=len(names), replace=False)
    rows = []
    for unit, uid, n in zip(units, unit_ids, counts, strict=True):
        for j in range(n):
            g = len(rows)
            gate_no = j % len(unit.gates)
            gate = unit.gates[gate_no]
            # the gate room: 5-15 m inside the gate, a little to one side
            tangent = np.array([-gate["normal"][1], gate["normal"][0]])
            post = (
                gate["point"] - gate["normal"] * rng.uniform(5, 15) + tangent * rng.uniform(-3, 3)
            )
            assert unit.wall.contains(shapely.Point(post))
            lon, lat = to_lonlat(post)[0]
            shift = ("day", "night")[j] if j < 2 else rng.choice(["day", "night", "rotating"])
            rows.append(
                {
                    "guard_id": f"G{g + 1:03d}",
                    "name": names[g],
                    "unit_id": uid,
                    "device_id": f"8612345{devices[g]:08d}",
                    "phone": f"1{rng.choice(list('35789'))}{phones[g]:09d}",
                    "shift": str(shift),
                    "licensed": "true" if rng.random() < 0.75 else "false",
                    "post_gate_id": f"{uid}-G{gate_no + 1}",
                    "post_lon": f"{lon:.7f}",
                    "post_lat": f"{lat:.7f}",
                    "mobility": "ebike" if rng.random() < 0.1 else "foot",
                }
            )
    return rows


# ---------------------------------------------------------------- checkpoints
CHECKPOINT_NAMES = {
    "residential": [
        "地下车库入口",
        "配电房",
        "消防通道",
        "非机动车棚",
        "垃圾分类站",
        "水泵房",
        "儿童游乐场",
        "围墙西北角",
    ],
    "government": ["办公楼大厅", "档案室", "机房", "停车场", "配电房", "后院围墙"],
    "liquor": ["酒库", "灌装车间", "原料仓库", "成品库", "配电房", "锅炉房", "消防泵房"],
    "school": ["教学楼", "操场", "食堂", "宿舍楼", "实验楼", "配电房", "围墙东南角"],
    "commercial": ["地下车库入口", "消防通道", "货梯口", "配电房", "监控室", "卸货区", "楼顶天台"],
}
CHECKPOINT_RANGE = {"residential": (5, 8), "liquor": (4, 7)}


def make_checkpoints(units: list[geo.Unit], unit_ids: list[str], rng) -> list[tuple[dict, object]]:
    """3-8 checkpoints strictly inside each unit, numbered in a loop round its centre."""
    feats = []
    for unit, uid in zip(units, unit_ids, strict=True):
        lo, hi = CHECKPOINT_RANGE.get(unit.kind, (3, 6))
        n = int(rng.integers(lo, hi + 1))
        pool = list(CHECKPOINT_NAMES[unit.kind])
        if unit.kind == "residential":
            blocks = rng.choice(np.arange(1, 19), size=4, replace=False)
            sides = rng.choice(["东侧", "西侧", "南侧", "北侧"], size=4)
            pool += [f"{b}号楼{s}" for b, s in zip(blocks, sides, strict=True)]
        names = rng.choice(pool, size=n, replace=False)
        pts = geo.sample_inside(unit.wall, n, rng, margin_m=8.0)
        c = np.asarray(unit.wall.centroid.coords)[0]
        order = np.argsort(np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0]))  # walk round
        for seq, i in enumerate(order, start=1):
            props = {
                "checkpoint_id": f"{uid}-P{seq}",
                "unit_id": uid,
                "seq": seq,
                "name_zh": str(names[i]),
            }
            feats.append((props, shapely.Point(pts[i])))
    return feats


# ---------------------------------------------------------------- incidents
KINDS = [
    "burglary",
    "theft_from_vehicle",
    "bike_theft",
    "pickpocketing",
    "fraud",
    "vandalism",
    "other_theft",
]
# hour-of-day peaks (hour, width h, weight) on a floor of 0.15
HOUR_PEAKS = {
    "burglary": [(2.5, 2.0, 1.0), (13, 2.5, 0.4)],
    "theft_from_vehicle": [(23, 2.5, 1.0), (3, 2.0, 0.6)],
    "bike_theft": [(8, 1.5, 0.7), (17, 2.0, 0.8), (21.5, 1.5, 0.6)],
    "pickpocketing": [(11, 1.5, 1.0), (19, 2.0, 1.0)],
    "fraud": [(10, 2.0, 0.8), (15, 2.0, 0.8)],
    "vandalism": [(0, 2.5, 1.0)],
    "other_theft": [(14, 4.0, 0.8), (2, 2.0, 0.4)],
}
# background cases on streets and in the open: no burglary or fraud, those happen indoors
BACKGROUND_MIX = {"other_theft": 0.3, "theft_from_vehicle": 0.25, "bike_theft": 0.25,
                  "vandalism": 0.15, "pickpocketing": 0.05}  # fmt: skip


def _hour_weights(kind: str) -> np.ndarray:
    h = np.arange(24) + 0.5
    w = np.full(24, 0.15)
    for centre, width, weight in HOUR_PEAKS[kind]:
        d = np.minimum(abs(h - centre), 24 - abs(h - centre))
        w += weight * np.exp(-0.5 * (d / width) ** 2)
    return w / w.sum()


def _around(centres: np.ndarray, sigma_m: float, n: int, rng) -> np.ndarray:
    return centres[rng.integers(len(centres), size=n)] + rng.normal(0, sigma_m, size=(n, 2))


def _inside(units: list[geo.Unit], n: int, rng) -> np.ndarray:
    area = np.array([u.wall.area for u in units])
    per = np.bincount(rng.choice(len(units), size=n, p=area / area.sum()), minlength=len(units))
    return np.vstack(
        [geo.sample_inside(u.wall, k, rng) for u, k in zip(units, per, strict=True) if k]
    )


def incident_points(units: list[geo.Unit], rng) -> list[tuple[np.ndarray, dict]]:
    """Hotspots (points, kind mix): where the preventable cases cluster."""
    by_name = {u.name_zh: u for u in units}
    of = {k: [u for u in units if u.kind == k] for k in geo.UNIT_COUNTS}
    gates = {k: np.array([g["point"] for u in v for g in u.gates]) for k, v in of.items()}
    centroid = lambda u: np.asarray(u.wall.centroid.coords)  # noqa: E731
    n_res = len(of["residential"])
    burgled = [of["residential"][i] for i in rng.choice(n_res, size=2, replace=False)]
    bike_gates = [of["residential"][i] for i in rng.choice(n_res, size=3, replace=False)]
    shops = np.vstack([centroid(by_name["酒都购物中心"]), centroid(by_name["金街美食城"])])
    return [
        (_around(centroid(by_name["洋河商业广场"]), 70, 190, rng), {"pickpocketing": 0.8, "other_theft": 0.2}),
        (_around(shops, 60, 140, rng), {"theft_from_vehicle": 0.6, "vandalism": 0.2, "other_theft": 0.2}),
        (_inside(burgled, 220, rng), {"burglary": 0.85, "other_theft": 0.15}),
        (_around(gates["school"], 25, 150, rng), {"bike_theft": 0.9, "other_theft": 0.1}),
        (_around(np.array([g["point"] for u in bike_gates for g in u.gates]), 30, 130, rng),
         {"bike_theft": 0.8, "theft_from_vehicle": 0.2}),
        (_inside(of["liquor"], 90, rng), {"other_theft": 0.7, "vandalism": 0.3}),
        (_inside(of["residential"], 160, rng), {"fraud": 1.0}),
    ]  # fmt: skip


DESCRIPTIONS = {
    "burglary": ["{p}住户报称家中被盗，损失{x}", ["现金", "金银首饰", "笔记本电脑", "名烟名酒"]],
    "theft_from_vehicle": [
        "停放在{p}的轿车车窗被砸，车内{x}被盗",
        ["手提包", "现金", "香烟", "随身财物"],
    ],
    "bike_theft": ["停放在{p}的{x}被盗", ["电动自行车", "自行车", "电动车电瓶"]],
    "pickpocketing": ["事主在{p}{x}时手机被扒窃", ["购物", "排队结账", "等候公交"]],
    "fraud": ["{p}居民接到冒充{x}的电话，被骗钱款", ["快递客服", "公检法人员", "熟人", "网购客服"]],
    "vandalism": ["{p}的{x}被人故意损坏", ["监控探头", "车辆轮胎", "门禁设施", "宣传栏"]],
    "other_theft": ["{p}的{x}被盗", ["电缆", "快递包裹", "建筑材料", "窨井盖"]],
}


def make_incidents(units, unit_ids, zones, streets, rng) -> list[dict]:
    """incidents.csv rows: hotspots plus background, kind-specific hours, sorted by time."""
    district = shapely.union_all(list(zones.values()))
    pts, kinds = [], []
    for xy, mix in incident_points(units, rng):
        out = ~shapely.contains_xy(district, xy[:, 0], xy[:, 1])
        while out.any():  # keep cases inside the district: redraw strays near the hotspot
            donors = xy[~out][rng.integers((~out).sum(), size=out.sum())]
            xy[out] = donors + rng.normal(0, 10, size=(out.sum(), 2))
            out = ~shapely.contains_xy(district, xy[:, 0], xy[:, 1])
        pts.append(xy)
        kinds += list(rng.choice(list(mix), size=len(xy), p=list(mix.values())))
    minx, miny, maxx, maxy = district.bounds
    bg = np.empty((0, 2))
    while len(bg) < 480:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(600, 2))
        bg = np.vstack([bg, cand[shapely.contains_xy(district, cand[:, 0], cand[:, 1])]])[:480]
    pts.append(bg)
    kinds += list(rng.choice(list(BACKGROUND_MIX), size=len(bg), p=list(BACKGROUND_MIX.values())))
    xy, kinds = np.vstack(pts), np.array(kinds)
    n = len(xy)

    # when: fewer cases as the year goes on (the prevention effect), busier weekends
    day = np.arange(PERIOD_DAYS)
    day_w = np.linspace(1.15, 0.85, PERIOD_DAYS) * np.where((day + 5) % 7 >= 5, 1.1, 1.0)
    days = rng.choice(day, size=n, p=day_w / day_w.sum())
    hours = np.empty(n, dtype=int)
    for k in KINDS:
        sel = kinds == k
        hours[sel] = rng.choice(24, size=sel.sum(), p=_hour_weights(k))
    seconds = days * 86400 + hours * 3600 + rng.integers(0, 3600, size=n)

    points = shapely.points(xy)
    walls = shapely.STRtree([u.wall for u in units])
    unit_of = np.full(n, -1)
    i, j = walls.query(points, predicate="within")
    unit_of[i] = j
    zone_ids = list(zones)
    zone_of = np.full(n, -1)
    i, j = shapely.STRtree(list(zones.values())).query(points, predicate="within")
    zone_of[i] = j
    named = [s for s in streets if s.kind != "gate_link"]
    i, j = shapely.STRtree([s.line for s in named]).query_nearest(points, all_matches=False)
    street_of = np.empty(n, dtype=object)
    street_of[i] = [named[k].name_zh for k in j]

    rows = []
    for k in np.argsort(seconds, kind="stable"):
        template, fills = DESCRIPTIONS[kinds[k]]
        place = units[unit_of[k]].name_zh if unit_of[k] >= 0 else f"{street_of[k]}附近"
        lon, lat = to_lonlat(xy[k])[0]
        rows.append(
            {
                "kind": str(kinds[k]),
                "occurred_at": (PERIOD_START + timedelta(seconds=int(seconds[k]))).isoformat(),
                "lon": f"{lon:.7f}",
                "lat": f"{lat:.7f}",
                "unit_id": unit_ids[unit_of[k]] if unit_of[k] >= 0 else "",
                "zone_id": zone_ids[zone_of[k]] if zone_of[k] >= 0 else "",
                "description": template.format(p=place, x=rng.choice(fills)),
            }
        )
    return [{"incident_id": f"I{n + 1:05d}", **r} for n, r in enumerate(rows)]


# ---------------------------------------------------------------- files
GUARD_COLUMNS = ["guard_id", "name", "unit_id", "device_id", "phone", "shift", "licensed",
                 "post_gate_id", "post_lon", "post_lat", "mobility"]  # fmt: skip
INCIDENT_COLUMNS = ["incident_id", "kind", "occurred_at", "lon", "lat", "unit_id", "zone_id", "description"]  # fmt: skip


def generate(
    out_dir: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED, progress: bool = True
) -> dict[str, int]:
    """Write the pilot data set into ``out_dir``; return feature/row counts per file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # one independent stream per step, so changing one step leaves the others alone
    rng_units, rng_gates, rng_cp, rng_guards, rng_inc, rng_addr = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)
    )
    bar = tqdm(total=7, desc="pilot data", unit="step", disable=not progress)

    def step(label: str) -> None:
        bar.update(1)
        bar.set_postfix_str(label)

    zones = geo.zone_polygons()
    streets = geo.build_streets()
    units = geo.build_units(zones, geo.street_blocks(streets), rng_units)
    unit_ids = [f"U{i + 1:02d}" for i in range(len(units))]
    step("streets and units")
    for u in units:
        geo.place_gates(u, rng_gates)
    links = geo.link_gates(units, streets)
    step("gates")

    counts: dict[str, int] = {}

    def put(name: str, feats) -> None:
        write_geojson(out_dir / name, feats)
        counts[name] = len(feats)

    put("zones.geojson", [
        ({"zone_id": zid, "name_zh": zh, "name_en": en, "unit_kind": kind}, zones[zid])
        for zid, zh, en, kind, _ in sorted(geo.ZONES)
    ])  # fmt: skip
    units_feats = []
    for u, uid in zip(units, unit_ids, strict=True):
        pool = (
            geo.SECURITY_COMPANIES
            if u.kind in ("government", "school", "liquor")
            else geo.PROPERTY_COMPANIES
        )
        props = {"unit_id": uid, "name_zh": u.name_zh, "name_en": u.name_en, "kind": u.kind, "zone_id": u.zone_id,
                 "company": str(rng_addr.choice(pool)),
                 "address": f"洋河新区{u.gates[0]['street']}{int(rng_addr.integers(1, 200))}号"}  # fmt: skip
        units_feats.append((props, u.wall))
    put("units.geojson", units_feats)
    put("gates.geojson", [
        ({"gate_id": f"{uid}-G{k + 1}", "unit_id": uid, "name_zh": g["name_zh"]}, shapely.Point(g["point"]))
        for u, uid in zip(units, unit_ids, strict=True) for k, g in enumerate(u.gates)
    ])  # fmt: skip
    step("zones, units, gates written")
    put("checkpoints.geojson", make_checkpoints(units, unit_ids, rng_cp))
    step("checkpoints")

    def street_key(s: geo.Street):
        return (
            {"road": 0, "lane": 1, "gate_link": 2}[s.kind],
            s.name_zh,
            tuple(np.round(s.coords[0], 2)),
        )

    ordered = sorted(streets, key=street_key) + links
    put("streets.geojson", [
        ({"street_id": f"S{i + 1:04d}", "name_zh": s.name_zh, "kind": s.kind}, s.line)
        for i, s in enumerate(ordered)
    ])  # fmt: skip
    step("streets")
    guards = make_guards(units, unit_ids, rng_guards)
    write_csv(out_dir / "guards.csv", GUARD_COLUMNS, guards)
    counts["guards.csv"] = len(guards)
    step("guards")
    incidents = make_incidents(units, unit_ids, zones, streets + links, rng_inc)
    write_csv(out_dir / "incidents.csv", INCIDENT_COLUMNS, incidents)
    counts["incidents.csv"] = len(incidents)
    step("incidents")
    bar.close()
    return counts
