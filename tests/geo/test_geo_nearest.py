"""Nearest on-duty guards: walking vs straight line, hand-built and random cases.

The toy world (metres east/north of an origin in Suqian): a walled compound
U1 = box(0, 0, 200, 200), gate(s) on its wall, a ring road 20 m outside it and
gate links from each gate to the ring. Zones: C covers the compound and ring,
E touches C on the east, W lies apart in the west.
"""

import heapq
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geo.crs import local_crs, to_local, to_wgs84
from geo.nearest import NearestIndex, NoGuardOnDuty, nearest_guards, nearest_to_geojson
from geo.network import (
    build_street_graph,
    snap,
)
from geo.routing import (
    route_costs,
)

CRS = local_crs(118.45, 33.75)
OX, OY = (float(v) for v in to_local(118.45, 33.75, CRS))
WALK = 1.4
PILOT = Path(__file__).resolve().parents[2] / "data" / "pilot"


def lonlat(x, y):
    lon, lat = to_wgs84(OX + np.asarray(x, float), OY + np.asarray(y, float), CRS)
    return lon, lat


def local(lon, lat):
    x, y = to_local(lon, lat, CRS)
    return x - OX, y - OY


def frame(rows, geoms):
    return gpd.GeoDataFrame(rows, geometry=list(geoms), crs=CRS).to_crs(4326)


def line(*pts):
    return LineString([(OX + x, OY + y) for x, y in pts])


def world(gates=((100, 0),)):
    ring = [line((-20, -20), (220, -20)), line((220, -20), (220, 220)),
            line((220, 220), (-20, 220)), line((-20, 220), (-20, -20))]  # fmt: skip
    links = [line((x, y), (x, -20 if y == 0 else 220)) for x, y in gates]
    streets = frame(
        {"street_id": [f"S{i}" for i in range(len(ring) + len(links))],
         "kind": ["road"] * len(ring) + ["gate_link"] * len(links)},
        ring + links,
    )  # fmt: skip
    units = frame({"unit_id": ["U1"]}, [shapely.box(OX, OY, OX + 200, OY + 200)])
    gate_df = frame(
        {"gate_id": [f"U1-G{i + 1}" for i in range(len(gates))], "unit_id": ["U1"] * len(gates)},
        [Point(OX + x, OY + y) for x, y in gates],
    )
    zones = frame(
        {"zone_id": ["C", "E", "W"]},
        [shapely.box(OX - 50, OY - 50, OX + 250, OY + 250),
         shapely.box(OX + 250, OY - 50, OX + 500, OY + 250),
         shapely.box(OX - 400, OY - 50, OX - 300, OY + 250)],
    )  # fmt: skip
    graph = build_street_graph(streets, gate_df, units, CRS)
    return graph, units, zones


def guards(rows):
    """rows: (guard_id, x, y[, zone_id, mobility, status, on_duty])."""
    out = []
    for r in rows:
        gid, x, y, *rest = r
        zone, mob, status, on = (rest + [None, None, None, None])[:4]
        lon, lat = lonlat(x, y)
        out.append(
            {"guard_id": gid, "lon": float(lon), "lat": float(lat), "status": status or "on_post",
             "on_duty": True if on is None else on, "zone_id": zone or "C",
             "mobility": mob or "foot", "name": f"name {gid}"}
        )  # fmt: skip
    return pd.DataFrame(out)


INCIDENT = (100.0, 215.0)  # outside, 5 m south of the north road, 15 m north of the wall
BEHIND_WALL = [("G001", 100, 135), ("G002", 225, 150), ("G003", -25, 100)]


def test_guard_behind_the_wall_line_vs_walk():
    graph, units, zones = world()
    g = guards(BEHIND_WALL)
    lon, lat = lonlat(*INCIDENT)
    line_r = nearest_guards(lon[()], lat[()], g, k=3, mode="line", graph=graph, zones=zones)
    walk_r = nearest_guards(lon[()], lat[()], g, k=3, mode="walk", graph=graph, zones=zones)
    assert line_r.frame["guard_id"].tolist() == ["G001", "G002", "G003"]
    np.testing.assert_allclose(
        line_r.frame["distance_m"], [80.0, np.hypot(125, 65), np.hypot(125, 115)], atol=0.01
    )
    assert walk_r.frame["guard_id"].tolist() == ["G002", "G003", "G001"]
    # G001: 135 m to the gate, 20 m link, 480 m round the ring, 5 m step.
    np.testing.assert_allclose(walk_r.frame["distance_m"], [200.0, 250.0, 640.0], atol=0.01)
    np.testing.assert_allclose(walk_r.frame["eta_s"], np.array([200, 250, 640]) / WALK, atol=0.01)
    assert walk_r.frame["eta_s"].iloc[2] > 6 * 60  # over six minutes for an 80 m gap
    assert walk_r.frame["rank"].tolist() == [1, 2, 3]
    assert walk_r.incident_zone_id == "C" and walk_r.frame["same_zone"].all()
    # The path starts at the guard, leaves by the gate, ends at the incident.
    path = walk_r.frame.geometry.iloc[2]
    px, py = local(*np.array(path.coords).T)
    assert (px[0], py[0]) == pytest.approx((100, 135), abs=0.01)
    assert (px[-1], py[-1]) == pytest.approx(INCIDENT, abs=0.01)
    assert shapely.LineString(np.column_stack([px, py])).distance(Point(100, 0)) < 0.01
    assert shapely.LineString(np.column_stack([px, py])).length == pytest.approx(640, abs=0.05)


def test_two_gates_path_leaves_by_the_nearer_gate():
    graph, units, zones = world(gates=((100, 0), (100, 200)))
    g = guards([("G001", 100, 150)])
    for incident, gate, dist in (((100, 225), (100, 200), 75.0), ((100, -25), (100, 0), 175.0)):
        r = nearest_guards(*(v[()] for v in lonlat(*incident)), g, graph=graph, k=1)
        assert r.frame["distance_m"].iloc[0] == pytest.approx(dist, abs=0.01)
        px, py = local(*np.array(r.paths[0].coords).T)
        path = shapely.LineString(np.column_stack([px, py]))
        assert path.distance(Point(*gate)) < 0.01
        other = (100, 0) if gate == (100, 200) else (100, 200)
        assert path.distance(Point(*other)) > 40


def test_ebike_rides_streets_walks_inside():
    graph, _, _ = world()
    g = guards([("G001", 100, 135, "C", "ebike"), ("G002", 225, 150, "C", "ebike")])
    r = nearest_guards(*(v[()] for v in lonlat(*INCIDENT)), g, graph=graph, ebike_speed_mps=4.0)
    eta = dict(zip(r.frame["guard_id"], r.frame["eta_s"], strict=True))
    assert eta["G002"] == pytest.approx(200 / 4.0, abs=0.01)
    assert eta["G001"] == pytest.approx(135 / WALK + 505 / 4.0, abs=0.01)
    line_r = nearest_guards(*(v[()] for v in lonlat(*INCIDENT)), g, mode="line")
    assert line_r.frame["eta_s"].iloc[0] == pytest.approx(80 / 4.0, abs=0.01)


def test_point_outside_every_zone_is_still_answered():
    graph, _, zones = world()
    g = guards(BEHIND_WALL)
    lon, lat = lonlat(600, 100)
    for mode in ("walk", "line"):
        r = nearest_guards(
            lon[()], lat[()], g, mode=mode, graph=graph, zones=zones, zone_first=True
        )
        assert r.incident_zone_id is None
        assert len(r) == 3 and not r.frame["same_zone"].any()
        assert any("outside every zone" in p for p in r.problems)
    # Walk from (600, 100): 380 m step to the east road, then along it.
    assert r.frame["guard_id"].iloc[0] == "G002"


@pytest.mark.parametrize("mode", ["walk", "line"])
def test_ties_are_deterministic(mode):
    graph, _, _ = world()
    rows = [("G9", 225, 150), ("G10", 225, 150), ("G2", 225, 150), ("G1", -25, 100)]
    lon, lat = lonlat(*INCIDENT)
    ranked = []
    for seed in range(4):
        g = guards(rows).sample(frac=1.0, random_state=seed)
        r = nearest_guards(lon[()], lat[()], g, k=4, mode=mode, graph=graph)
        ranked.append(r.frame["guard_id"].tolist())
    assert ranked[0][:3] == ["G10", "G2", "G9"]  # equal eta and distance: by guard_id
    assert all(x == ranked[0] for x in ranked)


def test_no_guard_on_duty_raises():
    graph, _, _ = world()
    g = guards([("G001", 100, 135, "C", "foot", "on_post", False),
                ("G002", 225, 150, "C", "foot", "dispatched", True),
                ("G003", -25, 100, "C", "foot", "signal_lost", True)])  # fmt: skip
    lon, lat = lonlat(*INCIDENT)
    with pytest.raises(NoGuardOnDuty, match="3 guards, 2 on duty, 0 available"):
        nearest_guards(lon[()], lat[()], g, graph=graph)
    # The same guards become candidates once "dispatched" is not excluded.
    r = nearest_guards(lon[()], lat[()], g, graph=graph, exclude_statuses=("signal_lost",))
    assert r.frame["guard_id"].tolist() == ["G002"] and r.frame["status"].iloc[0] == "dispatched"


def test_max_eta_cuts_and_empty_answer_is_explained():
    graph, _, _ = world()
    g = guards(BEHIND_WALL)
    lon, lat = lonlat(*INCIDENT)
    r = nearest_guards(lon[()], lat[()], g, graph=graph, max_eta_s=300)
    assert r.frame["guard_id"].tolist() == ["G002", "G003"]
    r = nearest_guards(lon[()], lat[()], g, mode="line", max_eta_s=100)
    assert r.frame["guard_id"].tolist() == ["G001"]  # 80 m; G002's 140.9 m takes 100.6 s
    r = nearest_guards(lon[()], lat[()], g, graph=graph, max_eta_s=10)
    assert len(r) == 0 and any("within 10 s" in p for p in r.problems)


@pytest.mark.parametrize("mode", ["walk", "line"])
def test_zone_first_own_then_neighbours_then_rest(mode):
    graph, _, zones = world()
    g = guards([("G010", -25, 100, "C"), ("G011", 225, 150, "E"), ("G012", 100, 225, "W"),
                ("G013", 225, 160, "C")])  # fmt: skip
    lon, lat = lonlat(*INCIDENT)
    kw = {"mode": mode, "graph": graph, "zones": zones, "k": 4}
    plain = nearest_guards(lon[()], lat[()], g, **kw).frame
    first = nearest_guards(lon[()], lat[()], g, zone_first=True, **kw).frame
    assert plain["guard_id"].iloc[0] == "G012"  # 10 m away, but of the far zone W
    assert first["guard_id"].tolist() == ["G013", "G010", "G011", "G012"]
    assert first["zone_group"].tolist() == ["own", "own", "neighbour", "other"]
    assert first["same_zone"].tolist() == [True, True, False, False]


def test_bad_input_reports_every_problem():
    graph, _, _ = world()
    g = guards(BEHIND_WALL)
    with pytest.raises(ValueError) as e:
        nearest_guards(200.0, float("nan"), g, k=0, mode="car")
    text = str(e.value)
    for part in ("lon: must be between", "lat: must be between", "k: must be", "mode: must be"):
        assert part in text
    with pytest.raises(ValueError, match="needs a street graph"):
        nearest_guards(118.45, 33.75, g, mode="walk")
    with pytest.raises(ValueError, match="missing column 'status'.*missing column 'mobility'"):
        nearest_guards(118.45, 33.75, g.drop(columns=["status", "mobility"]), mode="line")


def test_geojson_feature_collection():
    graph, _, zones = world()
    r = nearest_guards(*(v[()] for v in lonlat(*INCIDENT)), guards(BEHIND_WALL), graph=graph,
                       zones=zones)  # fmt: skip
    gj = json.loads(json.dumps(nearest_to_geojson(r)))
    assert gj["type"] == "FeatureCollection" and gj["mode"] == "walk"
    assert [f["id"] for f in gj["features"]] == ["G002", "G003", "G001"]
    f = gj["features"][2]
    assert f["geometry"]["type"] == "LineString" and len(f["geometry"]["coordinates"]) >= 4
    assert f["properties"]["distance_m"] == 640.0 and f["properties"]["rank"] == 3
    assert f["properties"]["same_zone"] is True and f["properties"]["route"] == "network"
    assert gj["incident"]["zone_id"] == "C"


# --- property tests ---------------------------------------------------------

guard_rows = st.lists(
    st.tuples(
        st.floats(-2000, 2000), st.floats(-2000, 2000), st.sampled_from(["foot", "ebike"]),
        st.sampled_from(["on_post", "patrolling", "dispatched"]), st.booleans(),
    ),
    min_size=1, max_size=60,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(guard_rows, st.floats(-2000, 2000), st.floats(-2000, 2000), st.integers(1, 8))
def test_line_mode_equals_brute_force(rows, ix, iy, k):
    g = guards([(f"G{i:03d}", x, y, "C", mob, status, on)
                for i, (x, y, mob, status, on) in enumerate(rows)])  # fmt: skip
    lon, lat = lonlat(ix, iy)
    cand = g[g["on_duty"] & (g["status"] != "dispatched")]
    if cand.empty:
        with pytest.raises(NoGuardOnDuty):
            NearestIndex(g)
        return
    x, y = to_local(cand["lon"].to_numpy(), cand["lat"].to_numpy(), CRS)
    px, py = to_local(lon, lat, CRS)
    dist = np.hypot(x - px, y - py)
    eta = dist / np.where(cand["mobility"] == "ebike", 4.0, WALK)
    expected = sorted(zip(eta, dist, cand["guard_id"], strict=True))[:k]
    for exhaustive_max in (0, 10_000):  # pruned search and full scan agree
        index = NearestIndex(g, exhaustive_max=exhaustive_max)
        got = index.query(lon[()], lat[()], k=k, mode="line").frame
        assert got["guard_id"].tolist() == [e[2] for e in expected]
        np.testing.assert_allclose(got["eta_s"], [e[0] for e in expected], rtol=1e-12)


def reference_walk(nodes, edges, incident, points):
    """Plain Dijkstra: insert every point's foot on its nearest edge as a node."""
    lines = [LineString([nodes[a], nodes[b]]) for a, b in edges]
    adj: dict = {}

    def link(a, b, w):
        adj.setdefault(a, []).append((b, w))
        adj.setdefault(b, []).append((a, w))

    feet: dict = {}
    for i, p in enumerate([incident, *points]):
        pt = Point(p)
        d = np.array([ln.distance(pt) for ln in lines])
        e = int(np.argmin(d))
        # Two different nearest feet at one distance: either snap is right; skip.
        for e2 in np.flatnonzero(d <= d[e] + 1e-6):
            foot, foot2 = (
                lines[e].interpolate(lines[e].project(pt)),
                lines[e2].interpolate(lines[e2].project(pt)),
            )
            assume(foot.distance(foot2) < 1e-6)
        along = lines[e].project(pt)
        feet.setdefault(e, []).append((along, ("foot", i)))
        link(("pt", i), ("foot", i), lines[e].distance(pt))
    for e, (a, b) in enumerate(edges):
        stops = [(0.0, ("n", a)), *sorted(feet.get(e, [])), (lines[e].length, ("n", b))]
        for (d0, n0), (d1, n1) in zip(stops[:-1], stops[1:], strict=True):
            link(n0, n1, d1 - d0)
    dist = {("pt", 0): 0.0}
    heap = [(0.0, ("pt", 0))]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, np.inf):
            continue
        for v, w in adj.get(u, []):
            if d + w < dist.get(v, np.inf):
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return np.array([dist.get(("pt", i + 1), np.inf) for i in range(len(points))])


@st.composite
def random_network(draw):
    cells = draw(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), min_size=3,
                          max_size=9, unique=True))  # fmt: skip
    nodes = [(OX + 60.0 * cx, OY + 60.0 * cy) for cx, cy in cells]
    n = len(nodes)
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
    pairs = {tuple(sorted(p)) for p in [(i, i + 1) for i in range(n - 1)] + extra if p[0] != p[1]}
    # Drop edges passing through another node (the graph would split them there).
    edges = [(a, b) for a, b in sorted(pairs)
             if all(LineString([nodes[a], nodes[b]]).distance(Point(nodes[c])) > 1.0
                    for c in range(n) if c not in (a, b))]  # fmt: skip
    pts = draw(st.lists(st.tuples(st.floats(-60, 540), st.floats(-60, 540)), min_size=1,
                        max_size=15))  # fmt: skip
    return nodes, edges, [(OX + x, OY + y) for x, y in pts]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_network())
def test_walk_mode_equals_plain_dijkstra(net):
    nodes, edges, pts = net
    if not edges:
        return
    incident, points = pts[0], pts[1:] or [pts[0]]
    expected = reference_walk(nodes, edges, incident, points)
    streets = frame({"street_id": [f"S{i}" for i in range(len(edges))], "kind": "road"},
                    [LineString([nodes[a], nodes[b]]) for a, b in edges])  # fmt: skip
    empty = frame({"unit_id": [], "gate_id": []}, [])
    graph = build_street_graph(streets, empty, empty, CRS)
    # The routing core against the reference, every point.
    src, dst = snap(graph, [incident[0]], [incident[1]]), snap(graph, *np.array(points).T)
    np.testing.assert_allclose(route_costs(graph, src, dst).distance_m, expected, atol=1e-6)
    # nearest_guards ranks them the same way (ties by guard_id).
    lon, lat = to_wgs84(*np.array(points).T, CRS)
    g = pd.DataFrame({"guard_id": [f"G{i:02d}" for i in range(len(points))], "lon": lon,
                      "lat": lat, "status": "on_post", "on_duty": True, "zone_id": "C",
                      "mobility": "foot"})  # fmt: skip
    ilon, ilat = to_wgs84(*incident, CRS)
    reachable = np.isfinite(expected)
    for exhaustive_max in (0, 10_000):
        index = NearestIndex(g, graph=graph, exhaustive_max=exhaustive_max)
        got = index.query(ilon[()], ilat[()], k=len(points), mode="walk").frame
        # Projection round trip moves points by ~1e-9 m; compare distances loosely.
        by_id = dict(zip(got["guard_id"], got["distance_m"], strict=True))
        assert set(by_id) == set(g["guard_id"][reachable])
        for gid, d in zip(g["guard_id"][reachable], expected[reachable], strict=True):
            assert by_id[gid] == pytest.approx(d, abs=1e-5)
        assert (np.diff(got["eta_s"].to_numpy()) >= 0).all()


# --- the pilot data set -----------------------------------------------------


@pytest.fixture(scope="module")
def pilot():
    if not (PILOT / "streets.geojson").is_file():
        pytest.skip("data/pilot not generated yet")
    from shouwang.dataset import load_dataset

    ds = load_dataset(PILOT)
    graph = build_street_graph(ds.streets, ds.gates, ds.units)
    return ds, graph


def test_pilot_every_post_reaches_every_gate(pilot):
    ds, graph = pilot
    assert graph.problems == ()
    x, y = to_local(ds.guards["post_lon"], ds.guards["post_lat"], graph.crs)
    s = snap(graph, x, y)
    assert (np.diff(s.opt_start) > 0).all()  # every post has a way out
    comps = graph.component[np.r_[s.opt_node, graph.gate_node]]
    assert len(np.unique(comps)) == 1


def test_pilot_walk_eta_never_beats_the_straight_line(pilot):
    ds, graph = pilot
    g = pd.DataFrame({"guard_id": ds.guards["guard_id"], "lon": ds.guards["post_lon"],
                      "lat": ds.guards["post_lat"], "status": "on_post", "on_duty": True,
                      "zone_id": ds.guards["zone_id"], "mobility": ds.guards["mobility"]})  # fmt: skip
    index = NearestIndex(g, graph=graph, zones=ds.zones)
    incidents = ds.incidents.iloc[:: max(1, len(ds.incidents) // 25)]
    for lon, lat in zip(incidents["lon"], incidents["lat"], strict=True):
        walk = index.query(lon, lat, k=len(index), mode="walk").frame.set_index("guard_id")
        line = index.query(lon, lat, k=len(index), mode="line").frame.set_index("guard_id")
        assert len(walk) == len(index)  # connected: everyone can come
        line = line.loc[walk.index]
        assert (walk["distance_m"] >= line["distance_m"] - 1e-6).all()
        assert (walk["eta_s"] >= line["distance_m"] / 4.0 - 1e-6).all()
        foot = walk["mobility"] == "foot"
        assert (walk["eta_s"][foot] >= line["distance_m"][foot] / WALK - 1e-6).all()
