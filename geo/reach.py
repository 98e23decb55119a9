"""The walking reach of guards: which ground they reach within a distance budget.

Walking reach rule (budget ``D`` metres, e.g. ``walk_s * walk_speed_mps``)
------------------------------------------------------------------------
Space is split into regions: the interior of each walled unit of the street
graph, and the open ground outside every unit. Each *anchor* has a network
distance ``d`` from the nearest guard and a set of regions:

* a guard's own position: ``d = 0``, the region he stands in;
* every street vertex (graph node and interior vertex of an edge line):
  ``d`` = the network distance (:func:`geo.network.node_distances_from`;
  interior vertices by the shorter way along their edge), the region it lies
  in (open ground for ordinary streets);
* every gate: ``d = d(gate node) + gate offset``, the open ground AND its unit.

A point ``x`` is reached when some anchor ``a`` with a region containing ``x``
has ``d(a) + |x - a| <= D``: from any reached street position one may walk
straight on for the remaining distance, but a unit's interior is entered only
through a reached gate (a point inside a unit is reached when one of its gates
is reached with remaining distance >= the straight distance from the gate).

Because the network distance along a straight piece of street changes at
slope +-1, the disk of a vertex contains the disks of the positions after it,
so the union of vertex disks IS the reach of every street position, not a
sample of it. Network distances are at least straight distances, so the walking
reach lies inside the disk of radius ``D`` round the guard.

Limits: walls block entry, not sight (an open-ground disk may extend behind a
compound without charging the detour round it), so coverage is a little more
generous than the door-to-door ETA of :mod:`geo.nearest`, which steps
perpendicular from the nearest street. A guard inside a unit leaves through a
gate at ``d(gate node) + offset`` (offsets are 0 when links start at the gate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from geo.routing import (
    node_distances_from,
)

if TYPE_CHECKING:
    from geo.network import Snap, StreetGraph

__all__ = ["Anchors", "reach_anchors", "reach_polygon", "walk_zone_pairs"]

QUAD_SEGS = 32  # a circle as a 128-gon: area 0.04 % below pi r^2


@dataclass(frozen=True)
class Anchors:
    """Reach disks: centre ``xy``, radius ``rem_m``, region.

    ``unit`` is the walled unit (-1 open ground); ``gate`` anchors also reach
    the open ground. See the module docstring for the rule.
    """

    xy: np.ndarray
    rem_m: np.ndarray
    unit: np.ndarray
    gate: np.ndarray


# xy (m, 2), walled unit (-1 none), edge index, distance along the edge
_Vertices = tuple[
    npt.NDArray[np.float64], npt.NDArray[np.int_], npt.NDArray[np.intp], npt.NDArray[np.float64]
]


def _street_vertices(graph: StreetGraph) -> _Vertices:
    """Interior vertices of the edge lines: xy, edge index, distance along the edge."""
    cached: _Vertices | None = getattr(graph, "_coverage_vertices", None)
    if cached is not None:
        return cached
    coords, idx = shapely.get_coordinates(graph.edge_geoms, return_index=True)
    seg = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    first = np.r_[True, idx[1:] != idx[:-1]]
    seg[first] = 0.0
    along = np.cumsum(seg)
    along -= along[first][np.cumsum(first) - 1]  # restart at each line's first vertex
    last = np.r_[idx[1:] != idx[:-1], True]
    interior = ~first & ~last
    xy = np.vstack([graph.node_xy, coords[interior]])
    unit = np.full(len(xy), -1, dtype=int)
    if len(graph.unit_geoms):
        pi, ui = graph.unit_tree.query(shapely.points(xy), predicate="within")
        unit[pi[::-1]] = ui[::-1]
    out: _Vertices = (xy, unit, idx[interior], along[interior])
    object.__setattr__(graph, "_coverage_vertices", out)  # per-graph cache, frozen class
    return out


def reach_anchors(
    graph: StreetGraph,
    s: Snap,
    node_dist_m: npt.NDArray[np.float64],
    reach_m: float,
    prune: bool = True,
) -> Anchors:
    """Reach disks of snapped guards ``s`` given their multi-source node distances."""
    xy, unit, e, along = _street_vertices(graph)
    u, v = graph.edge_nodes[e, 0], graph.edge_nodes[e, 1]
    d_int = np.minimum(node_dist_m[u] + along, node_dist_m[v] + graph.edge_length_m[e] - along)
    d_gate = node_dist_m[graph.gate_node] + graph.gate_offset_m
    gate_unit = graph.gate_unit_index
    a = Anchors(
        xy=np.vstack([np.column_stack([s.x_m, s.y_m]), xy, graph.gate_xy]),
        rem_m=reach_m - np.r_[np.zeros(len(s)), node_dist_m, d_int, d_gate],
        unit=np.r_[s.unit_index, unit, gate_unit].astype(int),
        gate=np.r_[np.zeros(len(s) + len(xy), dtype=bool), gate_unit >= 0],
    )
    keep = a.rem_m > 0
    a = Anchors(a.xy[keep], a.rem_m[keep], a.unit[keep], a.gate[keep])
    return _prune(a) if prune else a


def _prune(a: Anchors, k: int = 8) -> Anchors:
    """Drop disks inside a neighbour's disk of a region at least as wide."""
    n = len(a.rem_m)
    if n < 2:
        return a
    d, j = cKDTree(a.xy).query(a.xy, k=min(k + 1, n))
    i = np.arange(n)[:, None]
    ok = j < n
    j = np.where(ok, j, 0)
    inside = d + a.rem_m[i] <= a.rem_m[j] + 1e-9
    tie = np.isclose(a.rem_m[i], a.rem_m[j]) & np.isclose(d, 0.0)
    wider = (a.unit[j] == a.unit[i]) & (a.gate[j] >= a.gate[i])
    drop = (ok & inside & wider & (j != i) & (~tie | (j < i))).any(axis=1)
    return Anchors(a.xy[~drop], a.rem_m[~drop], a.unit[~drop], a.gate[~drop])


def reach_polygon(graph: StreetGraph, a: Anchors) -> BaseGeometry:
    """The exact reach: anchor disks clipped to their regions, unioned."""
    disks = shapely.buffer(shapely.points(a.xy), a.rem_m, quad_segs=QUAD_SEGS)
    walls = shapely.union_all(graph.unit_geoms)
    parts = [shapely.difference(shapely.union_all(disks[(a.unit < 0) | a.gate]), walls)]
    for uidx in np.unique(a.unit[a.unit >= 0]):
        parts.append(
            shapely.intersection(shapely.union_all(disks[a.unit == uidx]), graph.unit_geoms[uidx])
        )
    return shapely.union_all(parts)


def walk_zone_pairs(
    graph: StreetGraph, s: Snap, zone_geoms: npt.NDArray[np.object_], reach_m: float
) -> tuple[npt.NDArray[np.int_], npt.NDArray[np.int_]]:
    """(zone, guard) pairs where the guard's own reach overlaps the zone.

    One limited Dijkstra per guard near a zone; an anchor counts for the
    part of the zone in its regions (a wall between them keeps him out).
    """
    near_g, near_z = shapely.STRtree(zone_geoms).query(
        shapely.points(s.x_m, s.y_m), predicate="dwithin", distance=reach_m
    )
    walls = shapely.union_all(graph.unit_geoms)
    zone_open = {z: shapely.difference(zone_geoms[z], walls) for z in np.unique(near_z)}
    zi, gi = [], []
    for g in np.unique(near_g):
        sg = s.take(np.array([g]))
        a = reach_anchors(graph, sg, node_distances_from(graph, sg, reach_m), reach_m)
        pts, rem = np.asarray(shapely.points(a.xy)), a.rem_m - 1e-6
        opens = (a.unit < 0) | a.gate
        for z in near_z[near_g == g]:
            hit = shapely.dwithin(pts[opens], zone_open[z], rem[opens]).any()
            for u in np.unique(a.unit[a.unit >= 0]) if not hit else ():
                part = shapely.intersection(zone_geoms[z], graph.unit_geoms[u])
                hit = shapely.dwithin(pts[a.unit == u], part, rem[a.unit == u]).any()
                if hit:
                    break
            if hit:
                zi.append(z)
                gi.append(g)
    return np.asarray(zi, dtype=int), np.asarray(gi, dtype=int)
