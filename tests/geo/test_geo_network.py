"""The walking street graph: building, snapping, routing, paths.

The toy world, in metres east/north of an origin in Suqian: a walled compound
U1 = box(0, 0, 200, 200) with one gate G1 at (100, 0), a ring road at 20 m
round it and a gate_link from G1 south to the ring at (100, -20).
"""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from geo.crs import local_crs, to_local
from geo.network import (
    ROUTE_NETWORK,
    ROUTE_SAME_EDGE,
    ROUTE_SAME_UNIT,
    build_street_graph,
    snap,
)
from geo.routing import (
    node_distances_from,
    point_distances,
    route_costs,
    route_path,
    walk_distances,
)

CRS = local_crs(118.45, 33.75)
OX, OY = (float(v) for v in to_local(118.45, 33.75, CRS))


def line(*pts):
    return LineString([(OX + x, OY + y) for x, y in pts])


def frame(rows, geoms):
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS).to_crs(4326)


def ring_world(extra_streets=(), gates=(("U1-G1", (100, 0)),)):
    ring = [
        line((-20, -20), (220, -20)),  # south, the gate link ends half way along it
        line((220, -20), (220, 220)),
        line((220, 220), (-20, 220)),
        line((-20, 220), (-20, -20)),
    ]
    links = []
    for _, (gx, gy) in gates:
        out = (gx, -20) if gy == 0 else (gx, 220)
        links.append(line((gx, gy), out))
    geoms = ring + links + [line(*s) for s in extra_streets]
    kinds = ["road"] * 4 + ["gate_link"] * len(links) + ["lane"] * len(extra_streets)
    streets = frame({"street_id": [f"S{i}" for i in range(len(geoms))], "kind": kinds}, geoms)
    units = frame({"unit_id": ["U1"]}, [shapely.box(OX, OY, OX + 200, OY + 200)])
    gdf = frame(
        {"gate_id": [g for g, _ in gates], "unit_id": ["U1"] * len(gates)},
        [Point(OX + x, OY + y) for _, (x, y) in gates],
    )
    return streets, gdf, units


def pts(*xy):
    a = np.array(xy, dtype=float)
    return OX + a[:, 0], OY + a[:, 1]


def test_build_splits_at_gate_link_and_merges_near_ends():
    # A lane whose end misses the ring corner by 0.3 m still joins it.
    streets, gates, units = ring_world(extra_streets=[((220.3, 220.0), (300, 220))])
    g = build_street_graph(streets, gates, units, CRS)
    # 4 corners + gate + the split point on the south road + the lane's far end
    assert g.n_nodes == 7
    assert g.n_edges == 7  # south road split in two
    assert g.problems == ()
    np.testing.assert_allclose(g.edge_length_m.sum(), 4 * 240 + 20 + 80, atol=0.5)
    assert g.gate_id.tolist() == ["U1-G1"]
    np.testing.assert_allclose(g.node_xy[g.gate_node[0]], [OX + 100, OY], atol=1e-6)
    assert g.gate_offset_m[0] == pytest.approx(0.0, abs=1e-6)
    assert (g.adjacency != g.adjacency.T).nnz == 0


def test_build_reports_problems_together():
    streets, gates, units = ring_world(extra_streets=[((400, 400), (500, 400))])
    units = pd_concat(
        units, frame({"unit_id": ["U2"]}, [shapely.box(OX + 300, OY, OX + 350, OY + 50)])
    )
    gates = pd_concat(gates, frame({"gate_id": ["X-G1"], "unit_id": ["X"]}, [Point(OX + 900, OY)]))
    g = build_street_graph(streets, gates, units, CRS)
    text = " | ".join(g.problems)
    assert "2 disconnected parts" in text
    assert "units without gates (unreachable inside): U2" in text
    assert "gates of unknown units: X-G1" in text
    assert "X-G1 (" in text  # far from every node


def pd_concat(a, b):
    import pandas as pd

    return gpd.GeoDataFrame(pd.concat([a, b], ignore_index=True), crs=a.crs)


def test_snap_inside_uses_gates_outside_uses_edge_ends():
    streets, gates, units = ring_world(gates=(("U1-G1", (100, 0)), ("U1-G2", (100, 200))))
    g = build_street_graph(streets, gates, units, CRS)
    s = snap(g, *pts((100, 150), (230, 100)))
    assert s.unit_index.tolist() == [0, -1]
    assert np.diff(s.opt_start).tolist() == [2, 2]
    # Inside: straight to each gate (150 m south, 50 m north), then the gate node.
    assert sorted(s.opt_inside_m[:2].round(6).tolist()) == [50.0, 150.0]
    assert set(g.gate_node[s.opt_gate[:2]]) == set(s.opt_node[:2])
    # Outside: 10 m step to the east road, then 120 m along it either way.
    assert s.edge_offset_m[1] == pytest.approx(10.0)
    assert sorted(s.opt_street_m[2:].round(6).tolist()) == [130.0, 130.0]
    sub = s.take(np.array([1]))
    assert len(sub) == 1 and sub.opt_node.tolist() == s.opt_node[2:].tolist()
    # Restricting the walled units: U1 no longer counts, the point snaps outside.
    s2 = snap(g, *pts((100, 150)), units_gdf=units.iloc[0:0])
    assert s2.unit_index.tolist() == [-1]


def test_route_costs_exact_distances_and_paths():
    streets, gates, units = ring_world()
    g = build_street_graph(streets, gates, units, CRS)
    src = snap(g, *pts((100, 215)))  # outside, 5 m south of the north road
    dst = snap(g, *pts((100, 135), (225, 150), (50, 216), (100, 100), (50, -25)))
    r = route_costs(g, src, dst, walk_speed_mps=1.0)
    # Behind the wall: 135 to the gate, 20 link, 120+240+120 round, 5 step.
    # Outside points never cut through a compound: the gate link is a dead end.
    expected = [640.0, 5 + 70 + 120 + 5, 4 + 50 + 5, 100 + 20 + 480 + 5, 5 + 70 + 240 + 120 + 5]
    np.testing.assert_allclose(r.distance_m, expected, atol=1e-6)
    assert r.kind.tolist() == [ROUTE_NETWORK, ROUTE_NETWORK, ROUTE_SAME_EDGE, ROUTE_NETWORK,
                               ROUTE_NETWORK]  # fmt: skip
    for j in range(len(dst)):
        path = route_path(g, src, dst, r, j)
        assert path.length == pytest.approx(r.distance_m[j], abs=1e-6)
        assert path.coords[0] == pytest.approx((dst.x_m[j], dst.y_m[j]))
        assert path.coords[-1] == pytest.approx((OX + 100, OY + 215))
    # The path of the guard behind the wall leaves through the gate.
    assert route_path(g, src, dst, r, 0).distance(Point(OX + 100, OY)) < 1e-6
    np.testing.assert_allclose(walk_distances(g, src, dst), r.distance_m)


def test_same_unit_is_straight_and_limit_cuts():
    streets, gates, units = ring_world()
    g = build_street_graph(streets, gates, units, CRS)
    src = snap(g, *pts((20, 180)))
    dst = snap(g, *pts((50, 140), (225, 150)))
    r = route_costs(g, src, dst, limit_m=300.0)
    assert r.kind[0] == ROUTE_SAME_UNIT and r.distance_m[0] == pytest.approx(50.0)
    assert not np.isfinite(r.time_s[1])  # 197 to the gate + 20 + 120 + 170 + 5 m > 300 m
    assert np.isfinite(route_costs(g, src, dst).time_s[1])


def test_time_uses_walk_inside_and_street_speed_outside():
    streets, gates, units = ring_world()
    g = build_street_graph(streets, gates, units, CRS)
    src = snap(g, *pts((100, 135)))  # inside: 135 m to the gate
    dst = snap(g, *pts((50, -25)))  # 5 m step + 50 m along + 20 m link outside
    r = route_costs(g, src, dst, walk_speed_mps=1.0, street_speed_mps=np.array([5.0]))
    assert r.time_s[0] == pytest.approx(135.0 + 75.0 / 5.0)
    assert r.inside_m[0] == pytest.approx(135.0)


def test_node_distances_from_many_sources():
    streets, gates, units = ring_world()
    g = build_street_graph(streets, gates, units, CRS)
    sources = snap(g, *pts((100, 215), (225, 150)))
    field = node_distances_from(g, sources)
    probes = snap(g, *pts((100, 135), (50, -25), (-25, 100)))
    got = point_distances(g, field, probes)
    one_by_one = np.minimum(
        walk_distances(g, sources.take([0]), probes), walk_distances(g, sources.take([1]), probes)
    )
    # Multi-source ignores the direct same-edge shortcut; none applies here.
    np.testing.assert_allclose(got, one_by_one, atol=1e-6)
    assert np.isinf(node_distances_from(g, sources, limit_m=1.0)).sum() > 0
