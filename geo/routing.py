"""Routing on the walking street graph: costs, paths and multi-source distances.

Built on :mod:`geo.network` (graph and snapping). All lengths in metres in the
graph's local projected CRS.

``route_costs(graph, src, dst, ...) -> Routes``
    From one source point to many destination points: Dijkstra once from the
    source (``scipy.sparse.csgraph.dijkstra`` with ``limit``), then a gather
    over the destinations' options. ``walk_distances`` is the distance-only form.
``route_path(graph, src, dst, routes, j) -> LineString`` / ``route_coords``
    The path of destination ``j`` (metres, from the destination to the source).
``node_distances_from(graph, snap, limit_m)`` / ``point_distances(...)``
    Multi-source distances to every node and to arbitrary points (coverage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from geo.network import (
    ROUTE_NETWORK,
    ROUTE_NONE,
    ROUTE_SAME_EDGE,
    ROUTE_SAME_UNIT,
    Snap,
    StreetGraph,
)

__all__ = [
    "Routes",
    "node_distances_from",
    "point_distances",
    "route_coords",
    "route_costs",
    "route_path",
    "walk_distances",
]


@dataclass(frozen=True, eq=False)
class Routes:
    """Best routes from one source point to each of ``d`` destination points.

    ``kind`` is ``ROUTE_NETWORK`` (0), ``ROUTE_SAME_UNIT`` (1, straight line
    inside one unit), ``ROUTE_SAME_EDGE`` (2, along one street edge) or
    ``ROUTE_NONE`` (-1, unreachable within the limit: ``time_s`` is inf).
    ``src_opt`` / ``dst_opt`` are the option indices used (network routes);
    ``pred`` holds the Dijkstra predecessors, one row per source option.
    """

    time_s: np.ndarray
    distance_m: np.ndarray
    inside_m: np.ndarray
    kind: np.ndarray
    src_opt: np.ndarray
    dst_opt: np.ndarray
    src_point: int
    src_opts: np.ndarray
    pred: np.ndarray


def route_costs(
    graph: StreetGraph,
    src: Snap,
    dst: Snap,
    *,
    src_point: int = 0,
    limit_m: float = np.inf,
    walk_speed_mps: float = 1.0,
    street_speed_mps: float | np.ndarray | None = None,
) -> Routes:
    """Fastest routes from ``src`` point ``src_point`` to every ``dst`` point.

    One Dijkstra per access option of the source (a handful), bounded by
    ``limit_m`` metres (routes longer than that are unreachable), then a vectorised gather over
    the destinations' options. Inside units the speed is ``walk_speed_mps``;
    on streets it is ``street_speed_mps`` (per destination point, default the
    walking speed). With one speed everywhere this is the shortest distance.
    Direct routes inside one unit and along one edge are also considered.
    """
    d = len(dst)
    speed = np.broadcast_to(
        np.asarray(walk_speed_mps if street_speed_mps is None else street_speed_mps, float), (d,)
    )
    so = np.arange(src.opt_start[src_point], src.opt_start[src_point + 1])
    time = np.full(d, np.inf)
    dist = np.full(d, np.inf)
    inside = np.zeros(d)
    kind = np.full(d, ROUTE_NONE)
    src_opt = np.full(d, -1)
    dst_opt = np.full(d, -1)
    pred = np.empty((0, graph.n_nodes), dtype=np.int32)
    n_opt = len(dst.opt_node)
    if len(so) and n_opt:
        D, pred = csgraph.dijkstra(
            graph.adjacency, directed=True, indices=src.opt_node[so], limit=limit_m,
            return_predecessors=True,
        )  # fmt: skip
        s_in, s_st = src.opt_inside_m[so][:, None], src.opt_street_m[so][:, None]
        # Time of every (source option, destination option) pair: r x o, r small.
        opt_point = dst.opt_point
        on = dst.opt_node
        sp = speed[opt_point]
        t = s_in / walk_speed_mps + (s_st + D[:, on]) / sp
        a_o = np.argmin(t, axis=0)
        cols = np.arange(len(on))
        t_o = t[a_o, cols] + dst.opt_inside_m / walk_speed_mps + dst.opt_street_m / sp
        nonempty = np.diff(dst.opt_start) > 0
        gmin = np.full(d, np.inf)
        gmin[nonempty] = np.minimum.reduceat(t_o, dst.opt_start[:-1][nonempty])
        hit = np.flatnonzero((t_o == gmin[opt_point]) & np.isfinite(t_o))
        hit = hit[np.r_[True, opt_point[hit][1:] != opt_point[hit][:-1]]] if len(hit) else hit
        p_hit = opt_point[hit]
        a = a_o[hit]
        time[p_hit] = t_o[hit]
        inside[p_hit] = s_in[a, 0] + dst.opt_inside_m[hit]
        dist[p_hit] = s_in[a, 0] + s_st[a, 0] + D[a, on[hit]] + dst.opt_inside_m[hit]
        dist[p_hit] += dst.opt_street_m[hit]
        kind[p_hit], src_opt[p_hit], dst_opt[p_hit] = ROUTE_NETWORK, so[a], hit

    sx, sy = src.x_m[src_point], src.y_m[src_point]
    su, se = src.unit_index[src_point], src.edge_index[src_point]
    if su >= 0:  # both in one unit: straight across its open interior
        j = np.flatnonzero(dst.unit_index == su)
        dd = np.hypot(dst.x_m[j] - sx, dst.y_m[j] - sy)
        better = dd / walk_speed_mps < time[j]
        j, dd = j[better], dd[better]
        time[j], dist[j], inside[j], kind[j] = dd / walk_speed_mps, dd, dd, ROUTE_SAME_UNIT
    elif se >= 0:  # both by one street edge: along it, not round by a node
        j = np.flatnonzero(dst.edge_index == se)
        dd = (
            src.edge_offset_m[src_point]
            + np.abs(dst.edge_along_m[j] - src.edge_along_m[src_point])
            + dst.edge_offset_m[j]
        )
        better = dd / speed[j] < time[j]
        j, dd = j[better], dd[better]
        time[j], dist[j], inside[j], kind[j] = dd / speed[j], dd, 0.0, ROUTE_SAME_EDGE
    too_far = dist > limit_m
    time[too_far], kind[too_far] = np.inf, ROUTE_NONE
    return Routes(time, dist, inside, kind, src_opt, dst_opt, src_point, so, pred)


def walk_distances(
    graph: StreetGraph, src: Snap, dst: Snap, *, src_point: int = 0, limit_m: float = np.inf
) -> np.ndarray:
    """Shortest walking distance (metres) from one source point to each ``dst`` point."""
    return route_costs(graph, src, dst, src_point=src_point, limit_m=limit_m).distance_m


def _edge_part(graph: StreetGraph, e: int, start_m: float, end_m: float) -> np.ndarray:
    """Coordinates of edge ``e`` from ``start_m`` to ``end_m`` along it (either order)."""
    c = graph.edge_coords[graph.edge_coord_start[e] : graph.edge_coord_start[e + 1]]
    cum = np.r_[0.0, np.cumsum(np.hypot(*np.diff(c, axis=0).T))]
    lo, hi = min(start_m, end_m), max(start_m, end_m)
    inner = c[(cum > lo) & (cum < hi)]
    ends = np.column_stack([np.interp([lo, hi], cum, c[:, 0]), np.interp([lo, hi], cum, c[:, 1])])
    part = np.vstack([ends[:1], inner, ends[1:]])
    return part if start_m <= end_m else part[::-1]


def _access_coords(graph: StreetGraph, s: Snap, i: int, o: int) -> np.ndarray:
    """Coordinates from point ``i`` of ``s`` to the node of its option ``o``."""
    pt = np.array([[s.x_m[i], s.y_m[i]]])
    if s.opt_gate[o] >= 0:
        g = s.opt_gate[o]
        return np.vstack([pt, graph.gate_xy[g], graph.node_xy[s.opt_node[o]]])
    e = s.edge_index[i]
    to = 0.0 if o == s.opt_start[i] else graph.edge_length_m[e]
    return np.vstack([pt, _edge_part(graph, e, s.edge_along_m[i], to)])


def route_coords(
    graph: StreetGraph, src: Snap, dst: Snap, routes: Routes, j: int
) -> npt.NDArray[np.float64] | None:
    """Coordinates (metres) of the path of destination ``j``, destination first.

    None when ``j`` is unreachable. :func:`route_path` wraps it in a LineString.
    """
    i = routes.src_point
    q = np.array([[dst.x_m[j], dst.y_m[j]]])
    p = np.array([[src.x_m[i], src.y_m[i]]])
    k = routes.kind[j]
    if k == ROUTE_NONE:
        return None
    if k == ROUTE_SAME_UNIT:
        coords = np.vstack([q, p])
    elif k == ROUTE_SAME_EDGE:
        part = _edge_part(graph, dst.edge_index[j], dst.edge_along_m[j], src.edge_along_m[i])
        coords = np.vstack([q, part, p])
    else:
        a, b = routes.src_opt[j], routes.dst_opt[j]
        row = int(np.flatnonzero(routes.src_opts == a)[0])
        pred = routes.pred[row]
        nodes = [int(dst.opt_node[b])]
        while nodes[-1] != src.opt_node[a]:  # walk predecessors back to the source
            nodes.append(int(pred[nodes[-1]]))
        parts = [_access_coords(graph, dst, j, b)]
        if len(nodes) > 1:
            eids = np.asarray(graph.edge_id[nodes[:-1], nodes[1:]]).ravel() - 1
            starts, ends = graph.edge_coord_start[eids], graph.edge_coord_start[eids + 1]
            forward = graph.edge_nodes[eids, 0] == np.asarray(nodes[:-1])
            for s0, s1, fw in zip(starts, ends, forward, strict=True):
                c = graph.edge_coords[s0:s1]
                parts.append(c if fw else c[::-1])
        parts.append(_access_coords(graph, src, i, a)[::-1])
        coords = np.vstack(parts)
    keep = np.r_[True, np.any(np.diff(coords, axis=0) != 0, axis=1)]
    coords = coords[keep]
    return coords if len(coords) > 1 else np.vstack([coords, coords])


def route_path(
    graph: StreetGraph, src: Snap, dst: Snap, routes: Routes, j: int
) -> shapely.LineString | None:
    """The path of destination ``j`` in metres, from the destination to the source.

    Returns None when ``j`` is unreachable.
    """
    coords = route_coords(graph, src, dst, routes, j)
    return None if coords is None else shapely.LineString(coords)


def node_distances_from(graph: StreetGraph, s: Snap, limit_m: float = np.inf) -> np.ndarray:
    """Walking distance (metres) from the nearest of the snapped points to every node.

    One Dijkstra from a virtual node joined to every access option (weight
    = access distance). Nodes beyond ``limit_m`` get inf. For coverage.
    """
    n = graph.n_nodes
    access = np.full(n, np.inf)
    np.minimum.at(access, s.opt_node, s.opt_inside_m + s.opt_street_m)
    hit = np.flatnonzero(np.isfinite(access))
    if not len(hit):
        return np.full(n, np.inf)
    a = graph.adjacency.tocoo()
    virtual = sparse.csr_matrix(
        (np.r_[a.data, np.maximum(access[hit], 1e-9)], (np.r_[a.row, np.full(len(hit), n)],
         np.r_[a.col, hit])), shape=(n + 1, n + 1),
    )  # fmt: skip
    # One source given as a list (the typed signature takes no scalar): row 0.
    return csgraph.dijkstra(virtual, directed=True, indices=[n], limit=limit_m)[0, :n]


def point_distances(graph: StreetGraph, node_dist_m: np.ndarray, s: Snap) -> np.ndarray:
    """Per snapped point: min over its options of access + ``node_dist_m`` (inf if none)."""
    t = s.opt_inside_m + s.opt_street_m + node_dist_m[s.opt_node]
    out = np.full(len(s), np.inf)
    nonempty = np.diff(s.opt_start) > 0
    if nonempty.any():
        out[nonempty] = np.minimum.reduceat(t, s.opt_start[:-1][nonempty])
    return out
