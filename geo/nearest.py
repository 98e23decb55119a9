"""Who can be there first? The nearest available guards to an incident.

Two rankings:

``walk`` (default)
    Time along the walking graph (:mod:`geo.network`): a guard inside a walled
    compound leaves by one of its gates, an incident inside a compound is
    reached through its gates. A guard 80 m away behind a wall may need
    minutes round by the gate.
``line``
    Straight-line distance in the local metric CRS. Fast, and the only choice
    when no street graph is loaded; wrong inside walled compounds.

ETA = time at the guard's speed. Foot guards walk at ``walk_speed_mps``
everywhere. E-bike guards ride at ``ebike_speed_mps`` on streets (including
the step from a point to its street) and walk inside walled units (from a
point to the gate), since bikes are left at the gate; in ``line`` mode they
ride the straight line.

Public API
----------
``nearest_guards(lon, lat, guards, *, k, mode, ...) -> NearestResult``
    One query. Builds a :class:`NearestIndex` (cheap at pilot scale).
``NearestIndex(guards, *, ...)`` and ``NearestIndex.query(lon, lat, *, ...)``
    Build once (candidate filter, projection, KD-tree, snapping), query many
    times: for a fixed roster snapshot and for benchmarks.
``nearest_to_geojson(result) -> dict``
    FeatureCollection for ``GET /api/v1/nearest``.
``NoGuardOnDuty``
    Raised when no guard is a candidate at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.crs import local_crs, to_local, to_wgs84
from geo.network import (
    ROUTE_NETWORK,
    ROUTE_SAME_EDGE,
    ROUTE_SAME_UNIT,
    StreetGraph,
    snap,
)
from geo.routing import (
    route_coords,
    route_costs,
)

__all__ = [
    "DEFAULT_EXCLUDED_STATUSES",
    "NearestIndex",
    "NearestResult",
    "NoGuardOnDuty",
    "nearest_guards",
    "nearest_to_geojson",
]

# One ranking pass: guard index, eta_s, distance_m, route kind and, walking,
# the path (metres) of the o-th kept guard.
_PathOf = Callable[[int], npt.NDArray[np.float64]]
_Ranked = tuple[
    npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.object_]
]

DEFAULT_EXCLUDED_STATUSES = ("signal_lost", "dispatched", "off_duty")
REQUIRED_COLUMNS = ("guard_id", "lon", "lat", "status", "on_duty", "zone_id", "mobility")
MOBILITIES = ("foot", "ebike")
ZONE_GROUPS = ("own", "neighbour", "other")  # zone_first order
# Up to this many candidates every guard is evaluated; above it the search is
# pruned by the straight-line lower bound (walk >= straight line).
_EXHAUSTIVE_MAX = 2000
_ROUTE_NAMES = np.empty(3, dtype=object)  # indexed by geo.network route kind
_ROUTE_NAMES[[ROUTE_NETWORK, ROUTE_SAME_UNIT, ROUTE_SAME_EDGE]] = [
    "network",
    "same_unit",
    "same_edge",
]


class NoGuardOnDuty(LookupError):
    """No guard is on duty with an available status, so nobody can be sent."""


@dataclass(frozen=True, eq=False)
class NearestResult:
    """Ranked guards for one incident.

    Attributes
    ----------
    lon, lat : float
        The incident (WGS-84).
    incident_zone_id : str or None
        The zone containing the incident; None outside every zone (still
        answered).
    mode : {"walk", "line"}
    columns : dict of str to ndarray
        The ranked rows, best first (see :attr:`frame`).
    paths : list of LineString
        Per row the path in WGS-84 from the guard to the incident (walk: the
        route; line: the straight segment).
    problems : list of str
        Warnings: guards left out for bad data, no guard reachable, a
        zone_first request without a zone, …
    n_candidates : int
        Guards on duty with an available status.
    """

    lon: float
    lat: float
    incident_zone_id: str | None
    mode: str
    columns: dict[str, np.ndarray]
    paths: list[shapely.LineString]
    problems: list[str] = field(default_factory=list)
    n_candidates: int = 0

    def __len__(self) -> int:
        return len(self.paths)

    @cached_property
    def frame(self) -> gpd.GeoDataFrame:
        """The ranked rows as a GeoDataFrame (geometry ``path``, EPSG:4326).

        Columns: guard_id, rank (1 = first), distance_m, eta_s, zone_id,
        same_zone, zone_group (own / neighbour / other), status, mobility,
        route (network / same_unit / same_edge / line), lon, lat, name and
        unit_id when given, path.
        """
        df = pd.DataFrame(self.columns)
        df["path"] = gpd.GeoSeries(self.paths, index=df.index, crs=4326)
        return gpd.GeoDataFrame(df, geometry="path", crs=4326)


def _validate_point(lon: float, lat: float) -> list[str]:
    problems = []
    for name, v, lim in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        try:
            v = float(v)
        except (TypeError, ValueError):
            problems.append(f"{name}: must be a number, got {v!r}")
            continue
        if not np.isfinite(v) or abs(v) > lim:
            problems.append(f"{name}: must be between -{lim:g} and {lim:g}, got {v!r}")
    return problems


class NearestIndex:
    """Prepared candidates for repeated nearest-guard queries.

    Build once per roster snapshot: filters candidates, projects them, builds
    a KD-tree (straight line) and snaps them onto the walking graph.

    Parameters
    ----------
    guards : DataFrame or GeoDataFrame
        Columns guard_id, lon, lat (WGS-84), status, on_duty (bool), zone_id,
        mobility ('foot' | 'ebike'); optionally name, unit_id.
    exclude_statuses : collection of str
        Statuses that make a guard unavailable.
    zones : GeoDataFrame, optional
        Zone polygons with ``zone_id``: the incident's zone and its
        neighbours (zones touching it, within 1 m).
    units : GeoDataFrame, optional
        Walled units that count (default: every unit of ``graph``).
    graph : StreetGraph, optional
        Needed for ``walk`` mode.
    walk_speed_mps, ebike_speed_mps : float
    exhaustive_max : int
        Up to this many candidates every guard is evaluated; above it the
        search is pruned by the straight-line bound (same answer, faster).

    Raises
    ------
    ValueError
        Missing columns or bad speeds (all problems in one message).
    NoGuardOnDuty
        No guard is on duty with an available status.
    """

    def __init__(
        self,
        guards: pd.DataFrame,
        *,
        exclude_statuses: Collection[str] = DEFAULT_EXCLUDED_STATUSES,
        zones: gpd.GeoDataFrame | None = None,
        units: gpd.GeoDataFrame | None = None,
        graph: StreetGraph | None = None,
        walk_speed_mps: float = 1.4,
        ebike_speed_mps: float = 4.0,
        exhaustive_max: int = _EXHAUSTIVE_MAX,
    ) -> None:
        problems = [f"guards: missing column {c!r}" for c in REQUIRED_COLUMNS if c not in guards]
        for name, v in (("walk_speed_mps", walk_speed_mps), ("ebike_speed_mps", ebike_speed_mps)):
            if not (np.isfinite(v) and v > 0):
                problems.append(f"{name}: must be a positive number, got {v!r}")
        if problems:
            raise ValueError("; ".join(problems))
        self.problems: list[str] = []
        self.graph = graph
        self.walk_speed_mps = float(walk_speed_mps)
        self.ebike_speed_mps = float(ebike_speed_mps)
        self.exhaustive_max = int(exhaustive_max)

        on_duty = guards["on_duty"].fillna(False).astype(bool).to_numpy()
        status = guards["status"].astype(str).to_numpy()
        available = on_duty & ~np.isin(status, list(exclude_statuses))
        lon = pd.to_numeric(guards["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(guards["lat"], errors="coerce").to_numpy(float)
        bad_xy = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
        if (available & bad_xy).any():
            ids = guards["guard_id"].astype(str).to_numpy()[available & bad_xy]
            self.problems.append(f"left out, no valid position: {', '.join(ids[:20])}")
        keep = np.flatnonzero(available & ~bad_xy)
        if not len(keep):
            raise NoGuardOnDuty(
                f"no guard on duty: {len(guards)} guards, {int(on_duty.sum())} on duty, "
                f"{int(available.sum())} available (excluded statuses: "
                f"{', '.join(sorted(exclude_statuses))})"
            )
        g = guards.iloc[keep]
        self.guard_id = np.asarray(g["guard_id"].astype(str).to_numpy(), dtype=str)
        self.status = status[keep]
        self.zone_id = g["zone_id"].astype(object).where(g["zone_id"].notna(), None).to_numpy()
        mobility = g["mobility"].astype(str).to_numpy()
        unknown = ~np.isin(mobility, MOBILITIES)
        if unknown.any():
            self.problems.append(
                f"unknown mobility taken as foot: {', '.join(self.guard_id[unknown][:20])}"
            )
            mobility = np.where(unknown, "foot", mobility)
        self.mobility = mobility
        self.speed_mps = np.where(mobility == "ebike", self.ebike_speed_mps, self.walk_speed_mps)
        self.vmax_mps, self.vmin_mps = float(self.speed_mps.max()), float(self.speed_mps.min())
        self.extra = {c: g[c].to_numpy() for c in ("name", "unit_id") if c in g}
        self.lon, self.lat = lon[keep], lat[keep]

        self.crs = graph.crs if graph is not None else local_crs(self.lon, self.lat)
        self.x_m, self.y_m = to_local(self.lon, self.lat, self.crs)
        self.tree = cKDTree(np.column_stack([self.x_m, self.y_m]))
        self.snap = snap(graph, self.x_m, self.y_m, units) if graph is not None else None
        self.units = units
        self._prepare_zones(zones)

    def __len__(self) -> int:
        return len(self.guard_id)

    def _prepare_zones(self, zones: gpd.GeoDataFrame | None) -> None:
        self.zone_ids = np.array([], dtype=object)
        self.zone_neighbours: dict[str, set[str]] = {}
        if zones is None or zones.empty:
            self.zone_tree = None
            return
        z = zones.to_crs(self.crs)
        self.zone_ids = z["zone_id"].astype(str).to_numpy()
        geoms = z.geometry.to_numpy()
        self.zone_tree = shapely.STRtree(geoms)
        a, b = self.zone_tree.query(geoms, predicate="dwithin", distance=1.0)
        for i, j in zip(a.tolist(), b.tolist(), strict=True):
            if i != j:
                self.zone_neighbours.setdefault(self.zone_ids[i], set()).add(self.zone_ids[j])

    def zone_of(self, x_m: float, y_m: float) -> str | None:
        """The zone containing a point (metres in ``self.crs``), or None."""
        if self.zone_tree is None:
            return None
        hit = self.zone_tree.query(shapely.Point(x_m, y_m), predicate="intersects")
        return str(self.zone_ids[hit.min()]) if len(hit) else None

    # --- query ---------------------------------------------------------------
    def query(
        self,
        point_lon: float,
        point_lat: float,
        *,
        k: int = 5,
        mode: Literal["walk", "line"] = "walk",
        max_eta_s: float | None = None,
        zone_first: bool = False,
    ) -> NearestResult:
        """Rank the ``k`` guards who can be at the point first.

        Ties are broken by distance, then guard_id. With ``zone_first``
        guards of the incident's zone come first, then those of the zones
        touching it (mutual aid), then the rest, each group by ETA. Guards
        beyond ``max_eta_s`` or with no route are left out.

        Raises
        ------
        ValueError
            Bad point, k, mode or max_eta_s, or walk mode without a graph
            (all problems in one message).
        """
        problems = _validate_point(point_lon, point_lat)
        if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
            problems.append(f"k: must be a positive integer, got {k!r}")
        if mode not in ("walk", "line"):
            problems.append(f"mode: must be 'walk' or 'line', got {mode!r}")
        if mode == "walk" and self.graph is None:
            problems.append("mode: 'walk' needs a street graph (graph=build_street_graph(...))")
        if max_eta_s is not None and not (np.isfinite(max_eta_s) and max_eta_s > 0):
            problems.append(f"max_eta_s: must be a positive number, got {max_eta_s!r}")
        if problems:
            raise ValueError("; ".join(problems))
        lon, lat = float(point_lon), float(point_lat)
        px, py = (float(v) for v in to_local(lon, lat, self.crs))
        zone = self.zone_of(px, py)
        notes = list(self.problems)
        if zone_first and zone is None:
            notes.append("incident outside every zone: zone_first ranking by ETA only")
        limit_s = np.inf if max_eta_s is None else float(max_eta_s)
        exhaustive = zone_first or len(self) <= self.exhaustive_max
        paths_m: _PathOf | None = None
        if mode == "line":
            idx, eta, dist, route = self._line(px, py, k, limit_s, exhaustive)
        else:
            (idx, eta, dist, route), paths_m = self._walk(px, py, k, limit_s, exhaustive)
        group = self._zone_group(zone, idx) if zone_first else np.zeros(len(idx), dtype=int)
        order = np.lexsort((self.guard_id[idx], dist, eta, group))[:k]
        if not len(order):
            notes.append(
                "no guard can reach the incident"
                + ("" if max_eta_s is None else f" within {max_eta_s:g} s")
            )
        idx, eta, dist, route = idx[order], eta[order], dist[order], route[order]
        if paths_m is None:  # line: the straight segment; both ends are known in WGS-84
            seg = np.empty((len(idx), 2, 2))
            seg[:, 0, 0], seg[:, 0, 1], seg[:, 1] = self.lon[idx], self.lat[idx], (lon, lat)
            paths = list(np.asarray(shapely.linestrings(seg))) if len(idx) else []
        else:
            paths = self._paths_wgs84([paths_m(int(o)) for o in order])
        zone_ids = self.zone_id[idx]
        cols = {
            "guard_id": self.guard_id[idx],
            "rank": np.arange(1, len(idx) + 1),
            "distance_m": dist,
            "eta_s": eta,
            "zone_id": zone_ids,
            "same_zone": np.array([z is not None and z == zone for z in zone_ids], dtype=bool),
            "zone_group": np.array(ZONE_GROUPS, dtype=object)[self._zone_group(zone, idx)],
            "status": self.status[idx],
            "mobility": self.mobility[idx],
            "route": route,
            "lon": self.lon[idx],
            "lat": self.lat[idx],
            **{c: v[idx] for c, v in self.extra.items()},
        }
        return NearestResult(lon, lat, zone, mode, cols, paths, notes, len(self))

    def _zone_group(self, zone: str | None, idx: np.ndarray) -> np.ndarray:
        z = self.zone_id[idx]
        if zone is None:
            return np.full(len(idx), 2, dtype=int)
        neighbours = list(self.zone_neighbours.get(zone, ()))
        return np.where(z == zone, 0, np.where(np.isin(z.astype(str), neighbours), 1, 2))

    def _paths_wgs84(self, paths_m: list[np.ndarray]) -> list[shapely.LineString]:
        # One projection call and one constructor call for all k paths.
        if not paths_m:
            return []
        coords = np.vstack(paths_m)
        part = np.repeat(np.arange(len(paths_m)), [len(c) for c in paths_m])
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], self.crs)
        return list(np.asarray(shapely.linestrings(np.column_stack([lon, lat]), indices=part)))

    def _line(self, px: float, py: float, k: int, limit_s: float, exhaustive: bool) -> _Ranked:
        vmax = self.vmax_mps
        if exhaustive:
            idx = np.arange(len(self))
        else:
            # The k nearest give an upper bound on the k-th ETA; anyone faster
            # must lie within that time at the top speed.
            d_k, i_k = self.tree.query([px, py], k=min(k, len(self)))
            t_k = np.max(np.atleast_1d(d_k) / self.speed_mps[np.atleast_1d(i_k)])
            r = min(t_k, limit_s) * vmax
            idx = np.asarray(self.tree.query_ball_point([px, py], r * (1 + 1e-9) + 1e-6), int)
        dist = np.hypot(self.x_m[idx] - px, self.y_m[idx] - py)
        eta = dist / self.speed_mps[idx]
        ok = eta <= limit_s
        idx, dist, eta = idx[ok], dist[ok], eta[ok]

        return idx, eta, dist, np.full(len(idx), "line", dtype=object)

    def _walk(
        self, px: float, py: float, k: int, limit_s: float, exhaustive: bool
    ) -> tuple[_Ranked, _PathOf]:
        graph, snapped = self.graph, self.snap
        if graph is None or snapped is None:  # query() has said so already
            raise ValueError("mode: 'walk' needs a street graph")
        src = snap(graph, [px], [py], self.units)
        vmax, vmin = self.vmax_mps, self.vmin_mps
        limit_m = limit_s * vmax  # no route longer than this can arrive in time
        if exhaustive:
            idx = np.arange(len(self))
            routes = route_costs(
                graph, src, snapped, limit_m=limit_m, walk_speed_mps=self.walk_speed_mps,
                street_speed_mps=self.speed_mps,
            )  # fmt: skip
            dst = snapped
        else:
            # Walking >= straight line: search a growing radius until the k-th
            # best ETA is below what any guard outside it could manage.
            d_k = np.max(self.tree.query([px, py], k=min(k, len(self)))[0])
            radius_m = min(max(3.0 * d_k * vmax / vmin, 200.0), limit_m)
            while True:
                if np.isfinite(radius_m):
                    idx = np.asarray(self.tree.query_ball_point([px, py], radius_m), dtype=int)
                else:
                    idx = np.arange(len(self))
                dst = snapped.take(idx)
                routes = route_costs(
                    graph, src, dst, limit_m=radius_m, walk_speed_mps=self.walk_speed_mps,
                    street_speed_mps=self.speed_mps[idx],
                )  # fmt: skip
                safe_s = radius_m / vmax  # every guard not yet seen needs longer
                known = np.sort(routes.time_s[routes.time_s <= min(safe_s, limit_s)])
                if radius_m >= limit_m or (len(known) >= k and known[k - 1] <= safe_s):
                    break
                # Everyone seen but the Dijkstra was cut short: one last unbounded pass.
                radius_m = limit_m if len(idx) == len(self) else min(radius_m * 2.0, limit_m)
        sel = np.flatnonzero(np.isfinite(routes.time_s) & (routes.time_s <= limit_s))
        route = _ROUTE_NAMES[routes.kind[sel]]

        def path(o: int) -> npt.NDArray[np.float64]:
            coords = route_coords(graph, src, dst, routes, int(sel[o]))
            assert coords is not None  # sel keeps the reachable guards only
            return coords

        return (idx[sel], routes.time_s[sel], routes.distance_m[sel], route), path


def nearest_guards(
    point_lon: float,
    point_lat: float,
    guards: gpd.GeoDataFrame | pd.DataFrame,
    *,
    k: int = 5,
    mode: Literal["walk", "line"] = "walk",
    max_eta_s: float | None = None,
    exclude_statuses: Collection[str] = DEFAULT_EXCLUDED_STATUSES,
    zone_first: bool = False,
    zones: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    graph: StreetGraph | None = None,
    walk_speed_mps: float = 1.4,
    ebike_speed_mps: float = 4.0,
) -> NearestResult:
    """Rank the ``k`` available guards who can reach a point first.

    Builds a :class:`NearestIndex` over ``guards`` and queries it once; for
    many queries over one roster snapshot build the index yourself. See
    :class:`NearestIndex` for the parameters and :meth:`NearestIndex.query`
    for the ranking rules.

    Raises
    ------
    NoGuardOnDuty
        No guard is on duty with an available status.
    ValueError
        Bad input (every problem listed in the message).
    """
    index = NearestIndex(
        guards, exclude_statuses=exclude_statuses, zones=zones, units=units, graph=graph,
        walk_speed_mps=walk_speed_mps, ebike_speed_mps=ebike_speed_mps,
    )  # fmt: skip
    return index.query(
        point_lon, point_lat, k=k, mode=mode, max_eta_s=max_eta_s, zone_first=zone_first
    )


def _json_value(v: object) -> object:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return None if not np.isfinite(v) else round(v, 7)
    return v


def nearest_to_geojson(result: NearestResult) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the ranked guards and their paths.

    One LineString feature per guard (the path, WGS-84, from the guard to the
    incident) with the row's columns as properties (distance_m and eta_s
    rounded to 0.1). Foreign members: ``incident`` {lon, lat, zone_id},
    ``mode``, ``problems``, ``candidates``.
    """
    cols = result.columns
    features = []
    for i, path in enumerate(result.paths):
        props = {c: _json_value(v[i]) for c, v in cols.items()}
        props["distance_m"] = round(float(cols["distance_m"][i]), 1)
        props["eta_s"] = round(float(cols["eta_s"][i]), 1)
        coords = [[round(x, 7), round(y, 7)] for x, y in shapely.get_coordinates(path).tolist()]
        features.append(
            {
                "type": "Feature",
                "id": props["guard_id"],
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "incident": {"lon": result.lon, "lat": result.lat, "zone_id": result.incident_zone_id},
        "mode": result.mode,
        "problems": list(result.problems),
        "candidates": result.n_candidates,
    }
