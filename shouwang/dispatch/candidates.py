"""Where an incident is and who can go: validation, zone/unit lookup, candidates.

Binds the data set and the geo service for the dispatch service: a new
incident's fields are checked (every problem reported together), its zone
and unit found from the data set, and the nearest available guards ranked
by walking time through :class:`shouwang.geoservice.GeoService`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd
import shapely

from live.state.store import LiveStore
from shouwang.dataset import Dataset
from shouwang.dispatch.rules import INCIDENT_KINDS, SOURCES, availability
from shouwang.geoservice import GeoService

__all__ = ["EXTENT_MARGIN_DEG", "DispatchGeo"]

EXTENT_MARGIN_DEG = 0.02  # about 2 km around the station's zones
_CANDIDATE_KEYS = ("guard_id", "name", "unit_id", "zone_id", "status", "eta_s", "distance_m")


class DispatchGeo:
    """Incident locations and guard candidates for one station."""

    def __init__(self, dataset: Dataset, geo: GeoService, store: LiveStore) -> None:
        self.geo, self.store = geo, store
        self._units = dataset.units[["unit_id", "zone_id", "geometry"]].reset_index(drop=True)
        self._zones = dataset.zones[["zone_id", "geometry"]].reset_index(drop=True)
        self._unit_tree = shapely.STRtree(self._units.geometry.to_numpy())
        self._zone_tree = shapely.STRtree(self._zones.geometry.to_numpy())
        x0, y0, x1, y1 = dataset.zones.total_bounds
        m = EXTENT_MARGIN_DEG
        self.extent = (x0 - m, y0 - m, x1 + m, y1 + m)
        self.mode: Literal["walk", "line"] = "walk" if geo.graph is not None else "line"

    def locate(self, lon: float, lat: float) -> tuple[str | None, str | None]:
        """(zone_id, unit_id) of a point, from the data set; None outside."""
        p = shapely.Point(lon, lat)
        unit = self._unit_tree.query(p, predicate="intersects")
        zone = self._zone_tree.query(p, predicate="intersects")
        unit_id = str(self._units.loc[unit.min(), "unit_id"]) if len(unit) else None
        zone_id = str(self._zones.loc[zone.min(), "zone_id"]) if len(zone) else None
        if zone_id is None and unit_id is not None:
            zone_id = str(self._units.loc[unit.min(), "zone_id"])
        return zone_id, unit_id

    def validate_incident(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict]]:
        """Typed fields of a new incident and every problem with them."""
        problems: list[dict[str, str]] = []
        out: dict[str, Any] = {}
        kind = body.get("kind")
        if kind not in INCIDENT_KINDS:
            problems.append(
                {"field": "kind", "problem": f"must be one of {', '.join(INCIDENT_KINDS)}"}
            )
        out["kind"] = kind
        priority = body.get("priority", 3)
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 5:
            problems.append(
                {"field": "priority", "problem": "must be a whole number 1 (most urgent) to 5"}
            )
        out["priority"] = priority
        x0, y0, x1, y1 = self.extent
        for name, lo, hi in (("lon", x0, x1), ("lat", y0, y1)):
            v = body.get(name)
            if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
                problems.append(
                    {"field": name, "problem": "is required, a number (WGS-84 degrees)"}
                )
            elif not lo <= v <= hi:
                problems.append(
                    {"field": name, "problem": f"outside the station's area ({lo:.4f} to {hi:.4f})"}
                )
            out[name] = v
        description = body.get("description", "")
        if not isinstance(description, str) or len(description) > 2000:
            problems.append(
                {"field": "description", "problem": "must be text of at most 2000 characters"}
            )
        out["description"] = description if isinstance(description, str) else ""
        source = body.get("source", "dispatcher")
        if source not in SOURCES:
            problems.append({"field": "source", "problem": f"must be one of {', '.join(SOURCES)}"})
        out["source"] = source
        return out, problems  # fmt: skip

    def _ranked(self, guards: pd.DataFrame, lon: float, lat: float, k: int) -> list[dict[str, Any]]:
        from geo.nearest import NoGuardOnDuty

        try:
            body = self.geo.nearest(guards.reset_index(drop=True), lon, lat, k=k, mode=self.mode)
        except (NoGuardOnDuty, ValueError):
            return []
        return [{c: f["properties"].get(c) for c in _CANDIDATE_KEYS} for f in body["features"]]

    def candidates(
        self, lon: float, lat: float, *, k: int = 5, exclude: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        """The nearest available guards by walking time (empty when nobody can go)."""
        guards = self.geo.live_guards(self.store.states())
        return self._ranked(guards[~guards["guard_id"].isin(list(exclude))], lon, lat, k)

    def etas(self, guard_ids: Sequence[str], lon: float, lat: float) -> dict[str, float]:
        """Walking-time estimate of each of these guards to the point."""
        guards = self.geo.live_guards(self.store.states())
        guards = guards[guards["guard_id"].isin(list(guard_ids))].copy()
        # Their own fresh claim shows them as dispatched; rank them as they were.
        guards["status"] = guards["status"].replace("dispatched", "patrolling")
        ranked = self._ranked(guards, lon, lat, max(len(guards), 1))
        return {c["guard_id"]: c["eta_s"] for c in ranked}

    def availability(self, guard_ids: Sequence[str]) -> dict[str, str]:
        """Availability of each guard (unknown guards are left out)."""
        states = self.store.states()
        states = states[states["guard_id"].isin(list(guard_ids))]
        avail = availability(states["status"], states["incident_id"].notna())
        return dict(zip(states["guard_id"], avail, strict=True))
