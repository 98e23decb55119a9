"""Coverage per zone (geo.coverage): hand-built exact cases, grid vs exact, pilot."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geo.coverage import (
    CoverageInputError,
    build_coverage_grid,
    counted_guards,
    coverage_if_removed,
    coverage_to_geojson,
    zone_coverage,
)
from geo.crs import to_local, to_wgs84
from geo.network import build_street_graph

CRS = pyproj.CRS.from_epsg(32650)  # UTM 50N, the pilot's zone
X0, Y0 = (float(v) for v in to_local(118.3, 33.9, CRS))
PILOT = Path(__file__).resolve().parents[2] / "data" / "pilot"
POLY_TOL = 0.0005  # a 128-gon covers 0.04 % less than its circle


def P(x: float, y: float) -> tuple[float, float]:
    """Local metres relative to a fixed origin near the pilot."""
    return (X0 + x, Y0 + y)


def gdf(cols: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=geoms, crs=CRS)


def guards_at(points, on_duty=True, status="on_post") -> pd.DataFrame:
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    lon, lat = to_wgs84(X0 + pts[:, 0], Y0 + pts[:, 1], CRS)
    n = len(pts)
    return pd.DataFrame(
        {
            "guard_id": [f"G{i:03d}" for i in range(n)],
            "lon": lon,
            "lat": lat,
            "on_duty": on_duty,
            "status": status,
            "zone_id": "A",
        }
    )


def square_zone(size_m: float = 1000.0) -> gpd.GeoDataFrame:
    return gdf({"zone_id": ["A"]}, [shapely.box(*P(0, 0), *P(size_m, size_m))])


def lens_area(r: float, d: float) -> float:
    """Area of the intersection of two disks of radius r, centres d apart."""
    return 2 * r * r * np.arccos(d / (2 * r)) - d / 2 * np.sqrt(4 * r * r - d * d)


# --- hand-built exact cases ----------------------------------------------------------


@pytest.mark.parametrize("method, tol_pp", [("exact", 0.02), ("grid", 1.0)])
def test_guard_on_edge_covers_half_disk(method, tol_pp):
    r = 300.0
    res = zone_coverage(square_zone(), guards_at([(500, 0)]), radius_m=r, method=method)
    row = res.zones.iloc[0]
    expected_pct = 100 * (np.pi * r * r / 2) / 1e6
    assert row.area_m2 == pytest.approx(1e6, rel=1e-9)
    assert row.covered_pct == pytest.approx(expected_pct, abs=tol_pp)
    assert row.gap_m2 == pytest.approx(row.area_m2 - row.covered_m2)
    assert row.guard_ids == ["G000"] and row.n_guards == 1
    # the gap polygon is the rest of the square (in WGS-84, area measured back in metres)
    gap_m2 = res.gaps.to_crs(CRS).area.sum()
    assert gap_m2 == pytest.approx(1e6 - row.covered_m2, rel=0.02 if method == "grid" else 1e-3)


@pytest.mark.parametrize("method, tol_pp", [("exact", 0.03), ("grid", 1.0)])
def test_two_overlapping_guards_count_the_overlap_once(method, tol_pp):
    r, d = 200.0, 150.0
    res = zone_coverage(
        square_zone(), guards_at([(400, 500), (400 + d, 500)]), radius_m=r, method=method
    )
    expected_m2 = 2 * np.pi * r * r - lens_area(r, d)
    assert res.zones.covered_pct.iloc[0] == pytest.approx(100 * expected_m2 / 1e6, abs=tol_pp)
    assert res.zones.guard_ids.iloc[0] == ["G000", "G001"]


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_no_counted_guard_means_zero(method):
    zone = square_zone()
    res = zone_coverage(zone, guards_at([])[:0], radius_m=300, method=method)
    assert res.zones.covered_pct.iloc[0] == 0.0
    assert res.zones.guard_ids.iloc[0] == []
    assert res.gaps.to_crs(CRS).area.sum() == pytest.approx(1e6, rel=1e-3)
    off = pd.concat(
        [guards_at([(500, 500)], on_duty=False), guards_at([(500, 500)], status="signal_lost")]
    )
    off["guard_id"] = ["G1", "G2"]
    assert zone_coverage(zone, off, radius_m=300, method=method).zones.covered_pct.iloc[0] == 0


def test_counted_guards_rules():
    g = pd.concat(
        [
            guards_at([(0, 0)], status="dispatched"),
            guards_at([(0, 0)], on_duty="false"),
            guards_at([(0, 0)], on_duty="true", status="signal_lost"),
            guards_at([(0, 0)], on_duty="true", status="patrolling"),
        ]
    )
    g["guard_id"] = ["A", "B", "C", "D"]
    assert counted_guards(g)["guard_id"].tolist() == ["A", "D"]


def test_guard_outside_zone_counts_when_his_reach_touches_it():
    g = guards_at([(500, -100), (500, -350)])  # 100 m and 350 m below the zone
    res = zone_coverage(square_zone(), g, radius_m=300, method="exact")
    assert res.zones.guard_ids.iloc[0] == ["G000"]
    h = 300 - 100  # circular segment of height 200 above the edge
    seg = 300**2 * np.arccos((300 - h) / 300) - (300 - h) * np.sqrt(2 * 300 * h - h * h)
    assert res.zones.covered_m2.iloc[0] == pytest.approx(seg, rel=POLY_TOL * 2)


def test_bad_input_reports_every_problem():
    with pytest.raises(CoverageInputError) as err:
        zone_coverage(square_zone(), guards_at([(0, 0)]), radius_m=-1, walk_s=60, method="hex")
    fields = {p["field"] for p in err.value.problems}
    assert {"radius_m/walk_s", "radius_m", "method", "graph"} <= fields
    with pytest.raises(CoverageInputError) as err:
        zone_coverage(
            square_zone(), guards_at([(0, 0)]).drop(columns=["status", "lon"]), radius_m=5
        )
    assert {p["field"] for p in err.value.problems} == {"guards.status", "guards.lon"}


# --- walking reach and walls ---------------------------------------------------------


UNIT = shapely.box(*P(400, 100), *P(600, 300))


def walled_graph(gate_south: bool):
    """A 200 m compound north of a road; its only gate south (near) or north (far)."""
    units = gdf({"unit_id": ["U1"]}, [UNIT])
    if gate_south:
        streets = gdf(
            {"street_id": ["S", "L"], "kind": ["road", "gate_link"]},
            [
                shapely.LineString([P(0, 0), P(1000, 0)]),
                shapely.LineString([P(500, 100), P(500, 0)]),
            ],
        )
        gate = P(500, 100)
    else:
        streets = gdf(
            {"street_id": ["S", "W", "N", "L"], "kind": ["road", "road", "road", "gate_link"]},
            [
                shapely.LineString([P(0, 0), P(1000, 0)]),
                shapely.LineString([P(0, 0), P(0, 400)]),
                shapely.LineString([P(0, 400), P(1000, 400)]),
                shapely.LineString([P(500, 300), P(500, 400)]),
            ],
        )
        gate = P(500, 300)
    gates = gdf({"gate_id": ["U1-G1"], "unit_id": ["U1"]}, [shapely.Point(gate)])
    return build_street_graph(streets, gates, units, CRS)


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_walled_compound_far_gate_not_covered_by_walking(method):
    zone = gdf({"zone_id": ["U"]}, [UNIT])  # the compound itself as the zone
    guard = guards_at([(500, 0)])  # on the road, 100 m south of the wall
    graph = walled_graph(gate_south=False)  # gate 1400 m away by street
    walk = zone_coverage(zone, guard, walk_s=200 / 1.4, graph=graph, method=method)
    straight = zone_coverage(zone, guard, radius_m=200, method=method)
    assert walk.zones.covered_pct.iloc[0] == 0.0
    assert walk.zones.guard_ids.iloc[0] == []
    # straight line: the disk above the wall between x = 400 and 600, i.e.
    # the integral of sqrt(r^2 - x^2) - 100 over |x| <= 100 with r = 200
    r = 200.0
    seg = 2 * (50 * np.sqrt(r * r - 100**2) + r * r / 2 * np.arcsin(100 / r)) - 200 * 100
    tol = 1.0 if method == "grid" else 0.05
    assert straight.zones.covered_pct.iloc[0] == pytest.approx(100 * seg / 40_000, abs=tol)


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_walled_compound_near_gate_covers_half_disk_inside(method):
    zone = gdf({"zone_id": ["U"]}, [UNIT])
    graph = walled_graph(gate_south=True)
    # gate reached after 100 m: 100 m left to walk in, a half disk of radius 100
    res = zone_coverage(zone, guards_at([(500, 0)]), walk_s=200 / 1.4, graph=graph, method=method)
    expected = 100 * (np.pi * 100**2 / 2) / 40_000
    assert res.zones.covered_pct.iloc[0] == pytest.approx(
        expected, abs=1.0 if method == "grid" else 0.03
    )
    assert res.zones.guard_ids.iloc[0] == ["G000"]


def test_walking_open_ground_is_disk_around_reached_street():
    # open ground zone north of the road; guard on the road; reach 300 m:
    # every point within 300 m of the guard is reached straight from his own position
    graph = walled_graph(gate_south=True)
    zone = gdf({"zone_id": ["O"]}, [shapely.box(*P(0, 0), *P(300, 300))])
    res = zone_coverage(zone, guards_at([(0, 0)]), walk_s=300 / 1.4, graph=graph)
    assert res.zones.covered_pct.iloc[0] == pytest.approx(100 * np.pi / 4, abs=0.05)


# --- grid vs exact ------------------------------------------------------------------


def random_case(seed: int):
    rng = np.random.default_rng(seed)
    # three irregular zones tiling a 2 km square
    seeds = shapely.points(rng.uniform(0, 2000, (3, 2)) + [X0, Y0])
    box = shapely.box(*P(0, 0), *P(2000, 2000))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    zones = gdf({"zone_id": ["A", "B", "C"]}, list(shapely.intersection(cells, box)))
    guards = guards_at(rng.uniform(-200, 2200, (int(rng.integers(5, 60)), 2)))
    return zones, guards, float(rng.choice([80.0, 150.0, 300.0]))


@pytest.mark.parametrize("seed", range(6))
def test_grid_within_one_point_of_exact_random(seed):
    zones, guards, r = random_case(seed)
    exact = zone_coverage(zones, guards, radius_m=r, method="exact").zones
    grid = zone_coverage(zones, guards, radius_m=r, method="grid").zones
    diff = np.abs(exact.covered_pct - grid.covered_pct)
    assert diff.max() <= 1.0, (r, diff.tolist())
    assert exact.guard_ids.tolist() == grid.guard_ids.tolist()


def test_prebuilt_grid_gives_same_answer():
    zones, guards, r = random_case(1)
    grid = build_coverage_grid(zones, 10.0)
    a = zone_coverage(zones, guards, radius_m=r, method="grid", grid=grid)
    b = zone_coverage(zones, guards, radius_m=r, method="grid", grid_m=10.0)
    assert a.zones.covered_pct.tolist() == b.zones.covered_pct.tolist()
    with pytest.raises(CoverageInputError):
        zone_coverage(zones.iloc[:2], guards, radius_m=r, method="grid", grid=grid)


# --- removal (dispatch) -------------------------------------------------------------


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_coverage_if_removed(method):
    r = 200.0
    g = guards_at([(300, 500), (450, 500), (800, 800)])
    g.loc[2, "on_duty"] = False
    out = coverage_if_removed(square_zone(), g, ["G000", "G002"], radius_m=r, method=method)
    first = out[out.guard_id == "G000"].iloc[0]
    lost_m2 = np.pi * r * r - lens_area(r, 150.0)  # G000's disk minus the part G001 also covers
    assert first.loss_pp == pytest.approx(
        100 * lost_m2 / 1e6, abs=1.0 if method == "grid" else 0.05
    )
    assert first.covered_pct_without == pytest.approx(first.covered_pct_now - first.loss_pp)
    assert bool(first.home_zone) and bool(first.counted)
    off = out[out.guard_id == "G002"].iloc[0]
    assert not off.counted and off.loss_pp == 0.0
    with pytest.raises(CoverageInputError):
        coverage_if_removed(square_zone(), g, ["nobody"], radius_m=r)


def test_coverage_to_geojson_is_json():
    zones, guards, r = random_case(2)
    res = zone_coverage(zones, guards, radius_m=r)
    gj = json.loads(json.dumps(coverage_to_geojson(res)))
    assert gj["type"] == "FeatureCollection"
    assert {f["properties"]["zone_id"] for f in gj["features"]} <= {"A", "B", "C"}
    assert [z["zone_id"] for z in gj["zones"]] == ["A", "B", "C"]
    assert gj["params"]["radius_m"] == r


# --- pilot ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pilot():
    if not (PILOT / "zones.geojson").exists():
        pytest.skip("pilot data set not generated")
    from shouwang.dataset import load_dataset

    ds = load_dataset(PILOT)
    graph = build_street_graph(ds.streets, ds.gates, ds.units)
    g = ds.guards
    guards = pd.DataFrame(
        {
            "guard_id": g["guard_id"],
            "lon": g["post_lon"],
            "lat": g["post_lat"],
            "on_duty": g["shift"].astype(str).ne("night").to_numpy(),
            "status": "on_post",
            "zone_id": g["zone_id"] if "zone_id" in g else "",
        }
    )
    return ds, graph, guards


@pytest.mark.parametrize("reach", [{"radius_m": 150.0}, {"walk_s": 180.0}])
def test_pilot_grid_within_one_point_of_exact(pilot, reach):
    ds, graph, guards = pilot
    exact = zone_coverage(ds.zones, guards, method="exact", graph=graph, **reach).zones
    grid = zone_coverage(ds.zones, guards, method="grid", graph=graph, **reach).zones
    assert (np.abs(exact.covered_pct - grid.covered_pct) <= 1.0).all()
    assert ((exact.covered_pct > 0) & (exact.covered_pct < 100)).all()


def test_pilot_walking_reach_within_straight_reach(pilot):
    # network distances are never shorter than straight ones
    ds, graph, guards = pilot
    walk = zone_coverage(ds.zones, guards, walk_s=150.0, graph=graph).zones
    straight = zone_coverage(ds.zones, guards, radius_m=150.0 * 1.4).zones
    assert (walk.covered_m2 <= straight.covered_m2 * (1 + 1e-9)).all()
    assert (walk.covered_pct > 0).all()
    assert all(set(w) <= set(s) for w, s in zip(walk.guard_ids, straight.guard_ids, strict=True))
