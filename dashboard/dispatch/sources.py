"""What the dispatch console reads and drives, gathered once from the app context.

The console runs in the web process, so it calls the services directly
(``ctx.dispatch``, ``ctx.fieldops``, ``ctx.geo``) instead of going through
HTTP. Every read the callbacks make goes through :class:`DispatchSources`, so
the tests drive the same objects the page does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard.basemap import Projection, base_layers, drawing_projection, project_geojson, view_of
from shouwang.context import AppContext
from shouwang.dispatch.reads import list_incidents
from shouwang.dispatch.rules import OPEN_STATUSES

#: The incident states a dispatcher still works on.
#: Candidates listed for a place, and the reach used for "coverage kept if sent".
CANDIDATES_K = 5
COVERAGE_RADIUS_M = 300.0
# The console's map area on a 1920 × 1080 desk screen, less the two side panels.
MAP_WIDTH_PX, MAP_HEIGHT_PX = 1000, 880


def _geojson(gdf: gpd.GeoDataFrame, columns: list[str]) -> dict:
    if not len(gdf):
        return {"type": "FeatureCollection", "features": []}
    return json.loads(gdf[[*columns, "geometry"]].to_json(drop_id=True))


@dataclass(frozen=True)
class Place:
    """A pickable place: a unit's centre or one of its gates."""

    value: str  # "unit:U01" or "gate:U01-G1"
    label: str
    lon: float
    lat: float


def places_of(units: gpd.GeoDataFrame, gates: gpd.GeoDataFrame) -> list[Place]:
    """Every unit (its centre, a point inside the wall) and every gate, by unit id."""
    centres = units.geometry.representative_point()
    names = dict(zip(units["unit_id"].astype(str), units["name_zh"].astype(str), strict=True))
    out = [
        Place(f"unit:{u}", f"{n}（{u}）", float(x), float(y))
        for u, n, x, y in zip(
            units["unit_id"].astype(str), names.values(), centres.x, centres.y, strict=True
        )
    ]
    for g, u, n, x, y in zip(
        gates["gate_id"].astype(str),
        gates["unit_id"].astype(str),
        gates["name_zh"].astype(str),
        gates.geometry.x,
        gates.geometry.y,
        strict=True,
    ):
        out.append(Place(f"gate:{g}", f"{names.get(u, u)} · {n}（{g}）", float(x), float(y)))
    return sorted(out, key=lambda p: (p.value.split(":")[1], p.value))


@dataclass
class DispatchSources:
    """The services and fixed drawing inputs of the console.

    Attributes
    ----------
    dispatch
        :class:`shouwang.dispatch.service.DispatchService` (incidents, assignments, SOS).
    fieldops
        :class:`shouwang.fieldops.service.FieldOps` (reinforcement, roll call).
    geo
        :class:`shouwang.geoservice.GeoService` (ranking, routes, coverage).
    states
        Current guard states for drawing (the push relay's cached frame).
    fresh_states
        The store's states read now (ranking candidates must not use a cached frame:
        a guard sent a second ago must not be offered again).
    clock
        Epoch seconds (the app context's clock).
    project, unproject
        WGS-84 → drawing CRS and back (GCJ-02 tiles).
    """

    dispatch: Any
    fieldops: Any
    geo: Any
    states: Callable[[], pd.DataFrame]
    fresh_states: Callable[[], pd.DataFrame]
    clock: Callable[[], float]
    zones: gpd.GeoDataFrame
    places: list[Place]
    base: list[dict]
    project: Projection
    unproject: Projection
    centre: dict
    zoom: float
    tiles_url: str | None
    tz: str
    ack_timeout_s: float

    @classmethod
    def from_context(cls, ctx: AppContext) -> DispatchSources:
        ds = ctx.dataset
        drawn = ctx.settings.MAP_TILES_CRS
        project = drawing_projection(drawn)
        base = base_layers(
            project_geojson(_geojson(ds.zones, ["zone_id", "name_zh"]), project),
            project_geojson(_geojson(ds.units, ["unit_id", "name_zh"]), project),
            project_geojson(_geojson(ds.streets, ["street_id"]), project),
        )
        minx, miny, maxx, maxy = ds.zones.total_bounds
        (x0, x1), (y0, y1) = project([minx, maxx], [miny, maxy])
        centre, zoom = view_of((x0, y0, x1, y1), MAP_WIDTH_PX, MAP_HEIGHT_PX)
        return cls(
            dispatch=ctx.dispatch,
            fieldops=ctx.fieldops,
            geo=ctx.geo,
            states=lambda: ctx.push.states(max_age_s=2.0),
            fresh_states=ctx.store.states,
            clock=ctx.clock,
            zones=ds.zones,
            places=places_of(ds.units, ds.gates),
            base=base,
            project=project,
            unproject=_inverse(drawn),
            centre=centre,
            zoom=zoom,
            tiles_url=ctx.settings.MAP_TILES_URL,
            tz=ctx.settings.TIMEZONE,
            ack_timeout_s=float(ctx.settings.ACK_TIMEOUT_S),
        )

    # -- reads ---------------------------------------------------------------
    def open_incidents(self) -> list[dict]:
        """Incidents still worked on, newest first (no timelines)."""
        return list_incidents(self.dispatch, status=[s.value for s in OPEN_STATUSES], limit=200)

    def place(self, value: str | None) -> Place | None:
        return next((p for p in self.places if p.value == value), None)

    def zone_names(self, lang: str) -> dict[str, str]:
        col = "name_zh" if lang == "zh" else "name_en"
        return dict(
            zip(self.zones["zone_id"].astype(str), self.zones[col].astype(str), strict=True)
        )

    def candidates(
        self, lon: float, lat: float, *, mode: str = "walk", k: int = CANDIDATES_K
    ) -> dict[str, Any]:
        """Ranked available guards for a point, with routes and coverage kept if sent.

        Returns
        -------
        dict
            ``mode`` (the ranking used), ``rows`` (guard_id, name, unit_id,
            zone_id, same_zone, status, eta_s, distance_m, coverage_kept_pct,
            coverage_now_pct), ``routes`` (list of [[lon, lat], …], WGS-84, in
            rank order) and ``problems`` (notes for the dispatcher).
        """
        from geo.nearest import NoGuardOnDuty

        if mode == "walk" and self.geo.graph is None:
            mode = "line"
        guards = self.geo.live_guards(self.fresh_states())
        try:
            body = self.geo.nearest(
                guards, lon, lat, k=k, mode=mode, with_coverage_radius_m=COVERAGE_RADIUS_M
            )
        except NoGuardOnDuty:
            return {"mode": mode, "rows": [], "routes": [], "problems": ["no_guard"]}
        rows, routes = [], []
        for f in body["features"]:
            p = f["properties"]
            cover = p.get("coverage") or {}
            rows.append(
                {
                    "guard_id": str(p["guard_id"]),
                    "name": p.get("name"),
                    "unit_id": p.get("unit_id"),
                    "zone_id": p.get("zone_id"),
                    "same_zone": bool(p.get("same_zone")),
                    "status": p.get("status"),
                    "eta_s": p.get("eta_s"),
                    "distance_m": p.get("distance_m"),
                    "coverage_kept_pct": cover.get("covered_pct_without"),
                    "coverage_now_pct": cover.get("covered_pct_now"),
                }
            )
            routes.append(f["geometry"]["coordinates"])
        return {"mode": mode, "rows": rows, "routes": routes, "problems": body.get("problems", [])}

    def to_wgs84(self, lon: float, lat: float) -> tuple[float, float]:
        """A clicked map point (drawing CRS) in WGS-84."""
        x, y = self.unproject(np.array([lon]), np.array([lat]))
        return float(x[0]), float(y[0])


def _inverse(drawn_crs: str) -> Projection:
    if drawn_crs == "wgs84":
        return lambda lon, lat: (np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    from geo.crs import gcj02_to_wgs84

    return lambda lon, lat: gcj02_to_wgs84(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    )
