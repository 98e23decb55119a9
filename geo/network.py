"""The walking street graph: build it, snap points onto it, route on it.

Streets (with the ``gate_link`` segments that join each gate to a street) form
the walking graph. A point inside a walled unit reaches the street network
only through that unit's gates; a point outside every unit steps onto the
nearest street edge. All lengths are metres in a local projected CRS
(:func:`geo.crs.local_crs`).

Public API (stable; ``geo.coverage`` / ``geo.heat`` / ``geo.nearest`` build on it)
----------------------------------------------------------------------------------
``build_street_graph(streets, gates, units, crs=None) -> StreetGraph``
    Nodes from line end points (merged within ``merge_tol_m``, 0.5 m), lines
    split where another line ends on them, edges weighted by true length.
``snap(graph, x_m, y_m, units_gdf=None) -> Snap``
    Vectorised access options of many points: per point one or more
    (node, access distance) pairs, flat and grouped by point.
``route_costs(graph, src, dst, ...) -> Routes``
    From one source point to many destination points: Dijkstra once from the
    source (``scipy.sparse.csgraph.dijkstra`` with ``limit``), then a gather
    over the destinations' options. Minimises travel time with a walking speed
    inside units and a per-destination speed on streets (equal speeds: this is
    the shortest walking distance). ``walk_distances`` is the distance-only form.
``route_path(graph, src, dst, routes, j) -> LineString``
    The path of destination ``j`` (metres, from the destination to the source);
    ``route_coords`` gives the same as an (n, 2) array.
``node_distances_from(graph, snap, limit_m) -> ndarray``
    Multi-source: distance from the nearest of many points to every node
    (for coverage). ``point_distances(graph, node_dist_m, snap)`` then gives the
    distance to arbitrary points.

Modelling choices: the interior of a unit is treated as open ground (straight
line from a point to a gate, and between two points of the same unit); the
step from a point outside every unit to its nearest street is straight and is
not checked against walls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree
from shapely.ops import substring  # build time only

from geo.crs import local_crs_for

__all__ = [
    "Snap",
    "StreetGraph",
    "build_street_graph",
    "snap",
]

ROUTE_NONE, ROUTE_NETWORK, ROUTE_SAME_UNIT, ROUTE_SAME_EDGE = -1, 0, 1, 2


@dataclass(frozen=True, eq=False)
class StreetGraph:
    """An undirected walking graph in a projected CRS (all lengths in metres).

    Attributes
    ----------
    crs : pyproj.CRS
        The projected CRS of every coordinate below.
    node_xy : ndarray, shape (n, 2)
        Node coordinates.
    adjacency : scipy.sparse.csr_matrix, shape (n, n)
        Symmetric; the shortest edge length between two nodes.
    edge_nodes : ndarray of int, shape (m, 2)
        Start and end node of each edge; its geometry runs start to end.
    edge_length_m : ndarray, shape (m,)
    edge_geoms : ndarray of LineString, shape (m,)
        For drawing paths and snapping.
    edge_street_id, edge_kind : ndarray of str, shape (m,)
    gate_id, gate_unit_id : ndarray of str, shape (g,)
    gate_xy : ndarray, shape (g, 2)
    gate_node : ndarray of int, shape (g,)
        The node each gate leads to (the gate end of its ``gate_link``).
    gate_offset_m : ndarray, shape (g,)
        Straight distance from the gate to that node (0 when the link starts
        exactly at the gate).
    gate_unit_index : ndarray of int, shape (g,)
        Index into ``unit_id``; -1 when the gate's unit is unknown.
    unit_id : ndarray of str, shape (u,)
    unit_geoms : ndarray of Polygon, shape (u,)
    unit_gate_start : ndarray of int, shape (u + 1,)
        Gates are stored sorted by unit: gates of unit ``i`` are
        ``unit_gate_start[i]:unit_gate_start[i + 1]``.
    component : ndarray of int, shape (n,)
        Connected-component label per node.
    problems : tuple of str
        What looked wrong while building (disconnected parts, gates far from
        any street node, units without gates). Empty when all is well.
    """

    crs: pyproj.CRS
    node_xy: np.ndarray
    adjacency: sparse.csr_matrix
    edge_nodes: np.ndarray
    edge_length_m: np.ndarray
    edge_geoms: np.ndarray
    edge_street_id: np.ndarray
    edge_kind: np.ndarray
    gate_id: np.ndarray
    gate_unit_id: np.ndarray
    gate_xy: np.ndarray
    gate_node: np.ndarray
    gate_offset_m: np.ndarray
    gate_unit_index: np.ndarray
    unit_id: np.ndarray
    unit_geoms: np.ndarray
    unit_gate_start: np.ndarray
    component: np.ndarray
    problems: tuple[str, ...] = ()
    edge_tree: shapely.STRtree = field(repr=False, kw_only=True)
    unit_tree: shapely.STRtree = field(repr=False, kw_only=True)
    edge_id: sparse.csr_matrix = field(repr=False, kw_only=True)
    edge_coords: np.ndarray = field(repr=False, kw_only=True)
    edge_coord_start: np.ndarray = field(repr=False, kw_only=True)

    @property
    def n_nodes(self) -> int:
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_nodes.shape[0])


def _lines(gdf: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    out = gdf.to_crs(crs).explode(index_parts=False)
    out = out[out.geometry.notna() & ~out.geometry.is_empty]
    return out[out.geom_type == "LineString"].reset_index(drop=True)


def _split_at_ends(geoms: np.ndarray, tol_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Split lines where another line's end point lies on their interior.

    Returns the new geometries and, per new geometry, the index of its source.
    A ``gate_link`` that ends in the middle of a street still joins it.
    """
    ends = np.concatenate([shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)])
    tree = shapely.STRtree(geoms)
    pt_i, line_i = tree.query(ends, predicate="dwithin", distance=tol_m)
    along = shapely.line_locate_point(geoms[line_i], ends[pt_i])
    length = shapely.length(geoms[line_i])
    interior = (along > tol_m) & (along < length - tol_m)
    if not interior.any():
        return geoms, np.arange(len(geoms))
    line_i, along = line_i[interior], along[interior]
    cuts: dict[int, list[float]] = {}
    for li, a in zip(line_i.tolist(), along.tolist(), strict=True):
        cuts.setdefault(li, []).append(a)
    out, src = [], []
    for i, g in enumerate(geoms):
        if i not in cuts:
            out.append(g)
            src.append(i)
            continue
        stops = [0.0, *sorted(set(cuts[i])), g.length]
        for a, b in zip(stops[:-1], stops[1:], strict=True):
            if b - a > 1e-9:
                out.append(substring(g, a, b))
                src.append(i)
    return np.array(out, dtype=object), np.array(src)


def build_street_graph(
    streets: gpd.GeoDataFrame,
    gates: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    crs: pyproj.CRS | None = None,
    *,
    merge_tol_m: float = 0.5,
    gate_tol_m: float = 2.0,
) -> StreetGraph:
    """Build the walking graph from the data set's streets, gates and units.

    Parameters
    ----------
    streets : GeoDataFrame
        LineStrings with ``street_id`` and ``kind`` (``road``, ``lane``,
        ``gate_link``), any CRS.
    gates : GeoDataFrame
        Points with ``gate_id`` and ``unit_id``.
    units : GeoDataFrame
        Wall polygons with ``unit_id``.
    crs : pyproj.CRS, optional
        Projected CRS to work in; default :func:`geo.crs.local_crs_for` of
        the streets.
    merge_tol_m : float
        End points closer than this become one node.
    gate_tol_m : float
        A gate farther than this from every node is reported in ``problems``
        (it is still linked to its nearest node).
    """
    crs = crs or local_crs_for(streets)
    problems: list[str] = []
    lines = _lines(streets, crs)
    if lines.empty:
        raise ValueError("build_street_graph: no LineString streets given")
    geoms, src = _split_at_ends(lines.geometry.to_numpy(), merge_tol_m)
    street_id = lines["street_id"].astype(str).to_numpy()[src] if "street_id" in lines else src
    kind = lines["kind"].astype(str).to_numpy()[src] if "kind" in lines else np.full(len(src), "")

    # Nodes: cluster all end points within merge_tol_m (union-find via components).
    m = len(geoms)
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(geoms, i)) for i in (0, -1)])
    pairs = cKDTree(ends).query_pairs(merge_tol_m, output_type="ndarray")
    link = sparse.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1]))
        if len(pairs)
        else (np.ones(0), (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))),
        shape=(2 * m, 2 * m),
    )
    _, label = csgraph.connected_components(link, directed=False)
    n = int(label.max()) + 1
    counts = np.bincount(label, minlength=n)
    node_xy = np.column_stack(
        [np.bincount(label, weights=ends[:, k], minlength=n) / counts for k in (0, 1)]
    )
    u, v = label[:m], label[m:]

    # Pin each line's ends to its node so drawn paths join without gaps.
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    first = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
    last = np.r_[first[1:] - 1, len(idx) - 1]
    coords[first] = node_xy[u]
    coords[last] = node_xy[v]
    geoms = np.asarray(shapely.linestrings(coords, indices=idx))  # always an array here
    length = np.maximum(shapely.length(geoms), 1e-6)  # csgraph drops zero weights

    keep = u != v  # a loop never shortens a route
    if (~keep).any():
        geoms, length, street_id, kind = geoms[keep], length[keep], street_id[keep], kind[keep]
        u, v = u[keep], v[keep]
    edge_nodes = np.column_stack([u, v])
    coords_e = shapely.get_coordinates(geoms)  # flat, for fast path drawing

    # Parallel edges: keep the shortest per node pair in the matrices.
    order = np.lexsort((length, np.maximum(u, v), np.minimum(u, v)))
    a, b = np.minimum(u, v)[order], np.maximum(u, v)[order]
    first_of_pair = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    best = order[first_of_pair]
    rows = np.r_[u[best], v[best]]
    cols = np.r_[v[best], u[best]]
    adjacency = sparse.csr_matrix((np.r_[length[best], length[best]], (rows, cols)), shape=(n, n))
    edge_id = sparse.csr_matrix((np.r_[best, best] + 1, (rows, cols)), shape=(n, n))
    n_comp, component = csgraph.connected_components(adjacency, directed=False)
    if n_comp > 1:
        sizes = np.bincount(component)
        problems.append(
            f"street network has {n_comp} disconnected parts (largest {sizes.max()} of {n} nodes)"
        )

    # Units, and gates sorted by unit so a unit's gates are one slice.
    units_p = units.to_crs(crs).reset_index(drop=True)
    unit_id = units_p["unit_id"].astype(str).to_numpy()
    unit_geoms = units_p.geometry.to_numpy()
    unit_pos = {uid: i for i, uid in enumerate(unit_id)}
    gates_p = gates.to_crs(crs).reset_index(drop=True)
    g_unit = gates_p["unit_id"].astype(str).to_numpy()
    g_uidx = np.array([unit_pos.get(x, -1) for x in g_unit], dtype=int)
    unknown = sorted(set(gates_p["gate_id"].astype(str)[g_uidx < 0]))
    if unknown:
        problems.append(f"gates of unknown units: {', '.join(unknown)}")
    g_order = np.argsort(g_uidx, kind="stable")
    gates_p, g_uidx = gates_p.iloc[g_order].reset_index(drop=True), g_uidx[g_order]
    gate_xy = shapely.get_coordinates(gates_p.geometry.to_numpy())
    offset, gate_node = cKDTree(node_xy).query(gate_xy) if len(gate_xy) else ([], [])
    gate_node = np.asarray(gate_node, dtype=int)
    offset = np.asarray(offset, dtype=float)
    gate_id = gates_p["gate_id"].astype(str).to_numpy()
    far = offset > gate_tol_m
    if far.any():
        problems.append(
            f"gates farther than {gate_tol_m:.1f} m from every street node: "
            + ", ".join(f"{g} ({d:.1f} m)" for g, d in zip(gate_id[far], offset[far], strict=True))
        )
    unit_gate_start = np.searchsorted(g_uidx, np.arange(len(unit_id) + 1), side="left")
    gateless = unit_id[np.diff(unit_gate_start) == 0]
    if len(gateless):
        problems.append(f"units without gates (unreachable inside): {', '.join(gateless)}")

    return StreetGraph(
        crs=crs,
        node_xy=node_xy,
        adjacency=adjacency,
        edge_nodes=edge_nodes,
        edge_length_m=length,
        edge_geoms=geoms,
        edge_street_id=np.asarray(street_id).astype(str),
        edge_kind=np.asarray(kind).astype(str),
        gate_id=gate_id,
        gate_unit_id=g_unit[g_order],
        gate_xy=gate_xy.reshape(-1, 2),
        gate_node=gate_node,
        gate_offset_m=offset,
        gate_unit_index=g_uidx,
        unit_id=unit_id,
        unit_geoms=unit_geoms,
        unit_gate_start=unit_gate_start,
        component=component,
        problems=tuple(problems),
        edge_tree=shapely.STRtree(geoms),
        unit_tree=shapely.STRtree(unit_geoms),
        edge_id=edge_id,
        edge_coords=coords_e,
        edge_coord_start=np.r_[0, np.cumsum(shapely.get_num_coordinates(geoms))],
    )


@dataclass(frozen=True, eq=False)
class Snap:
    """How each of ``p`` points reaches the street graph.

    Per point: its coordinates, its walled unit (``-1`` outside every unit)
    and, for points outside, the nearest edge, the foot's position along it
    (``edge_along_m``) and the straight step to it (``edge_offset_m``).

    Access options are flat arrays of length ``o`` grouped by point: the
    options of point ``i`` are ``opt_start[i]:opt_start[i + 1]``. Each option
    reaches ``opt_node`` after ``opt_inside_m`` metres inside a unit (point to
    gate) and ``opt_street_m`` metres outside (gate to node, or step to the
    street plus the part of the edge). A point inside a gateless unit has no
    option and is unreachable.
    """

    x_m: np.ndarray
    y_m: np.ndarray
    unit_index: np.ndarray
    edge_index: np.ndarray
    edge_along_m: np.ndarray
    edge_offset_m: np.ndarray
    opt_start: np.ndarray
    opt_node: np.ndarray
    opt_inside_m: np.ndarray
    opt_street_m: np.ndarray
    opt_gate: np.ndarray

    def __len__(self) -> int:
        return int(self.x_m.shape[0])

    @property
    def opt_point(self) -> np.ndarray:
        """Point index of each option."""
        return np.repeat(np.arange(len(self)), np.diff(self.opt_start))

    def take(self, idx: np.ndarray) -> Snap:
        """The snap of a subset of points (cost proportional to the subset)."""
        idx = np.asarray(idx, dtype=int)
        counts = self.opt_start[idx + 1] - self.opt_start[idx]
        start = np.r_[0, np.cumsum(counts)]
        o = np.repeat(self.opt_start[idx] - start[:-1], counts) + np.arange(start[-1])
        return Snap(
            self.x_m[idx], self.y_m[idx], self.unit_index[idx], self.edge_index[idx],
            self.edge_along_m[idx], self.edge_offset_m[idx], start,
            self.opt_node[o], self.opt_inside_m[o], self.opt_street_m[o], self.opt_gate[o],
        )  # fmt: skip


def snap(
    graph: StreetGraph,
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    units_gdf: gpd.GeoDataFrame | None = None,
) -> Snap:
    """Snap points (metres in ``graph.crs``) onto the walking graph.

    Parameters
    ----------
    graph : StreetGraph
    x_m, y_m : array-like
        Point coordinates in ``graph.crs``.
    units_gdf : GeoDataFrame, optional
        Only these units (matched by ``unit_id``) count as walled; default
        every unit of the graph. Points in other units snap like outside ones.

    Returns
    -------
    Snap
        Inside a walled unit: one option per gate of the unit (straight line to
        the gate, then the gate's node). Outside: two options, the two ends of
        the nearest edge, with the step to the foot on the edge plus the rest
        of the edge.
    """
    x = np.atleast_1d(np.asarray(x_m, dtype=float))
    y = np.atleast_1d(np.asarray(y_m, dtype=float))
    p = len(x)
    pts = np.asarray(shapely.points(x, y))  # x, y are 1-d: always an array
    unit_index = np.full(p, -1, dtype=int)
    if len(graph.unit_geoms):
        pi, ui = graph.unit_tree.query(pts, predicate="within")
        if units_gdf is not None:
            allowed = np.isin(graph.unit_id, units_gdf["unit_id"].astype(str).to_numpy())
            pi, ui = pi[allowed[ui]], ui[allowed[ui]]
        unit_index[pi[::-1]] = ui[::-1]  # nested units: the first listed wins
    inside = unit_index >= 0

    # Outside: nearest edge, foot of the perpendicular, both edge ends.
    edge_index = np.full(p, -1, dtype=int)
    along = np.zeros(p)
    offset = np.zeros(p)
    out_i = np.flatnonzero(~inside)
    if len(out_i):
        (qi, ei), dist = graph.edge_tree.query_nearest(
            pts[out_i], return_distance=True, all_matches=False
        )
        edge_index[out_i[qi]] = ei
        offset[out_i[qi]] = dist
        along[out_i[qi]] = shapely.line_locate_point(graph.edge_geoms[ei], pts[out_i[qi]])

    # Options per point: gates of its unit, or the 2 edge ends.
    ugs = graph.unit_gate_start if len(graph.unit_id) else np.zeros(2, dtype=int)
    gate_lo = np.where(inside, ugs[np.maximum(unit_index, 0)], 0)
    gate_hi = np.where(inside, ugs[np.maximum(unit_index, 0) + 1], 0)
    counts = np.where(inside, gate_hi - gate_lo, 2)
    start = np.r_[0, np.cumsum(counts)]
    opt_point = np.repeat(np.arange(p), counts)
    rank = np.arange(start[-1]) - start[opt_point]
    opt_in = inside[opt_point]
    gate = np.where(opt_in, gate_lo[opt_point] + rank, -1)
    g = np.maximum(gate, 0)
    e = np.maximum(edge_index[opt_point], 0)
    end = np.minimum(rank, 1)  # 0: edge start, 1: edge end
    e_len = graph.edge_length_m[e] if graph.n_edges else np.zeros(len(e))
    along_o = along[opt_point]
    node = np.where(opt_in, graph.gate_node[g] if len(graph.gate_node) else 0,
                    graph.edge_nodes[e, end])  # fmt: skip
    gx = graph.gate_xy[g, 0] if len(graph.gate_xy) else 0.0
    gy = graph.gate_xy[g, 1] if len(graph.gate_xy) else 0.0
    inside_m = np.where(opt_in, np.hypot(x[opt_point] - gx, y[opt_point] - gy), 0.0)
    street_m = np.where(
        opt_in,
        graph.gate_offset_m[g] if len(graph.gate_offset_m) else 0.0,
        offset[opt_point] + np.where(end == 0, along_o, e_len - along_o),
    )
    return Snap(x, y, unit_index, edge_index, along, offset, start,
                node.astype(int), inside_m, street_m, gate)  # fmt: skip
