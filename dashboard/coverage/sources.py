"""What the coverage page reads, and the three questions it asks the engines.

Built once from the app context (:meth:`CoverageSources.from_context`); the
callbacks call :meth:`CoverageSources.coverage`, :meth:`CoverageSources.heat`
and :meth:`CoverageSources.response_times` with the control values, which
are checked here first (:func:`coverage_query`, :func:`heat_query`): every
problem is reported together as :class:`PageInputError`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from dashboard.basemap import Projection, base_layers, drawing_projection, project_geojson, view_of
from geo.coverage import counted_guards
from shouwang.context import AppContext
from shouwang.dispatch.reads import response_frame
from shouwang.dispatch.rules import response_times

log = logging.getLogger(__name__)

#: The map area on a desk screen (the side panel takes the rest).
MAP_WIDTH_PX, MAP_HEIGHT_PX = 880, 640
#: A unit zoomed to fills about this much of the map (a compound, not a street corner).
UNIT_VIEW_PX = (420, 380)
MAX_UNIT_ZOOM = 17.5
RADIUS_RANGE_M = (100, 1000)
WALK_RANGE_MIN = (1, 10)


class PageInputError(ValueError):
    """Bad control values; ``problems`` lists every one as ``{"field", "problem"}``."""

    def __init__(self, problems: list[dict[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p['field']}: {p['problem']}" for p in problems))


@dataclass(frozen=True)
class CoverageQuery:
    """Checked coverage controls: exactly one of ``radius_m`` / ``walk_s``."""

    radius_m: float | None
    walk_s: float | None
    at: str | None  # "HH:MM" (planned: guards on shift then, at their posts) or None (live)
    method: str


def coverage_query(
    reach: str, radius_m: Any, walk_min: Any, when: str, at: Any, method: str
) -> CoverageQuery:
    """Check the coverage controls; raises :class:`PageInputError` with every problem."""
    problems: list[dict[str, str]] = []

    def number(value: Any, field: str, lo: float, hi: float) -> float | None:
        try:
            x = float(value)
        except (TypeError, ValueError):
            problems.append({"field": field, "problem": f"must be a number, got {value!r}"})
            return None
        if not lo <= x <= hi:
            problems.append({"field": field, "problem": f"must be between {lo} and {hi}"})
            return None
        return x

    radius = walk_s = None
    if reach == "radius":
        radius = number(radius_m, "radius_m", *RADIUS_RANGE_M)
    elif reach == "walk":
        minutes = number(walk_min, "walk_min", *WALK_RANGE_MIN)
        walk_s = None if minutes is None else 60.0 * minutes
    else:
        problems.append({"field": "reach", "problem": "must be radius or walk"})
    if when not in ("live", "planned"):
        problems.append({"field": "when", "problem": "must be live or planned"})
    hh_mm = None
    if when == "planned":
        text = str(at or "").strip()
        parts = text.split(":")
        ok = len(parts) == 2 and all(p.isdigit() for p in parts)
        if not ok or not (0 <= int(parts[0]) < 24 and 0 <= int(parts[1]) < 60):
            problems.append({"field": "at", "problem": f"must be HH:MM, got {text!r}"})
        else:
            hh_mm = f"{int(parts[0]):02d}:{int(parts[1]):02d}"
    if method not in ("exact", "grid"):
        problems.append({"field": "method", "problem": "must be exact or grid"})
    if problems:
        raise PageInputError(problems)
    return CoverageQuery(radius_m=radius, walk_s=walk_s, at=hh_mm, method=method)


def heat_query(kinds: Any, start_date: Any, end_date: Any, hour_from: Any, hour_to: Any) -> dict:
    """Arguments of ``GeoService.heat`` from the heat filters (every problem together).

    ``end_date`` is the last day shown (inclusive), so the window ends the next
    midnight; hours ``0``–``24`` mean the whole day, ``22``–``6`` wraps midnight.
    """
    problems: list[dict[str, str]] = []
    days: dict[str, date | None] = {}
    for field, value in (("from", start_date), ("to", end_date)):
        if value in (None, ""):
            days[field] = None
            continue
        try:
            days[field] = date.fromisoformat(str(value)[:10])
        except ValueError:
            problems.append({"field": field, "problem": f"not a date: {value!r}"})
            days[field] = None
    if days["from"] and days["to"] and days["from"] > days["to"]:
        problems.append({"field": "from", "problem": "must not be after 'to'"})
    try:
        a, b = int(hour_from), int(hour_to)
    except (TypeError, ValueError):
        problems.append({"field": "hours", "problem": "choose both hours"})
        a, b = 0, 24
    if not (0 <= a <= 23 and 1 <= b <= 24):
        problems.append({"field": "hours", "problem": "from 0-23, to 1-24"})
    elif a == b:
        problems.append({"field": "hours", "problem": "from and to must differ"})
    if problems:
        raise PageInputError(problems)
    return {
        "kinds": list(kinds) if kinds else None,
        "start": days["from"].isoformat() if days["from"] else None,
        "end": (days["to"] + timedelta(days=1)).isoformat() if days["to"] else None,
        "hours": None if (a, b) == (0, 24) else (a, b),
    }


def default_period(incidents: pd.DataFrame, tz: str) -> tuple[str | None, str | None]:
    """The last twelve months of the incident data: (first day, last day), ISO dates."""
    if not len(incidents):
        return None, None
    t = pd.to_datetime(incidents["occurred_at"], utc=True, format="ISO8601")
    last = t.max().tz_convert(tz).date()
    first = (pd.Timestamp(last) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date()
    return first.isoformat(), last.isoformat()


def _geojson(gdf: gpd.GeoDataFrame, columns: list[str]) -> dict:
    if not len(gdf):
        return {"type": "FeatureCollection", "features": []}
    return json.loads(gdf[[*columns, "geometry"]].to_json(drop_id=True))


@dataclass
class CoverageSources:
    """The engines and fixed drawing inputs of the coverage page.

    Attributes
    ----------
    geo
        The geo engine (``ctx.geo``).
    states
        Current guard states (the push relay's cached frame).
    clock
        Epoch seconds (the app context's clock).
    engine
        The SQL records (dispatch assignments, for response times).
    zones, units
        Data set layers (WGS-84).
    base
        MapLibre layers for zones, streets and unit walls, in the drawing CRS.
    project
        WGS-84 → drawing CRS.
    centre, zoom
        The view of every zone.
    unit_views
        unit_id → (centre, zoom) to zoom the map to that unit.
    unit_outlines
        unit_id → the unit's wall as a FeatureCollection (drawing CRS).
    period
        Default heat period: the last twelve months of the incident data.
    """

    geo: Any
    states: Callable[[], pd.DataFrame]
    clock: Callable[[], float]
    engine: Any
    zones: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    base: list[dict]
    project: Projection
    centre: dict
    zoom: float
    unit_views: dict[str, tuple[dict, float]]
    unit_outlines: dict[str, dict]
    period: tuple[str | None, str | None]
    tiles_url: str | None
    tz: str

    @classmethod
    def from_context(cls, ctx: AppContext) -> CoverageSources:
        ds = ctx.dataset
        project = drawing_projection(ctx.settings.MAP_TILES_CRS)
        units_json = project_geojson(_geojson(ds.units, ["unit_id", "name_zh"]), project)
        base = base_layers(
            project_geojson(_geojson(ds.zones, ["zone_id", "name_zh"]), project),
            units_json,
            project_geojson(_geojson(ds.streets, ["street_id"]), project),
        )
        minx, miny, maxx, maxy = ds.zones.total_bounds
        (x0, x1), (y0, y1) = project([minx, maxx], [miny, maxy])
        centre, zoom = view_of((x0, y0, x1, y1), MAP_WIDTH_PX, MAP_HEIGHT_PX)
        unit_views, outlines = {}, {}
        for feature in units_json["features"]:
            uid = str(feature["properties"]["unit_id"])
            b = shapely.geometry.shape(feature["geometry"]).bounds
            c, z = view_of(b, *UNIT_VIEW_PX)
            unit_views[uid] = (c, min(z, MAX_UNIT_ZOOM))
            outlines[uid] = {"type": "FeatureCollection", "features": [feature]}
        return cls(
            geo=ctx.geo,
            states=ctx.push.states,
            clock=ctx.clock,
            engine=ctx.dispatch.engine,
            zones=ds.zones,
            units=ds.units,
            base=base,
            project=project,
            centre=centre,
            zoom=zoom,
            unit_views=unit_views,
            unit_outlines=outlines,
            period=default_period(ds.incidents, ctx.settings.TIMEZONE),
            tiles_url=ctx.settings.MAP_TILES_URL,
            tz=ctx.settings.TIMEZONE,
        )

    # -- the three questions ------------------------------------------------------
    def coverage(self, q: CoverageQuery) -> dict:
        """Coverage body of ``GeoService.coverage`` plus what the page draws.

        Extra keys: ``source`` (live/planned), ``at``, ``guards`` (the counted
        guards: ids, names, units, lon, lat) and ``fallback`` (True when the
        exact gap polygons failed and the grid method answered instead).
        """
        if q.at is not None:
            guards = self.geo.planned_guards(self.geo.local_time_today(q.at, self.clock()))
            key: object = ("planned", q.at, guards["on_duty"].to_numpy().tobytes())
        else:
            guards, key = self.geo.live_guards(self.states()), "live"
        args = {"radius_m": q.radius_m, "walk_s": q.walk_s, "cache_key": key}
        fallback = False
        try:
            body = self.geo.coverage(guards, method=q.method, **args)
        except shapely.errors.GEOSException:
            if q.method != "exact":
                raise
            # The exact gap polygons can hit a GEOS topology error; the grid method
            # answers within 1 pp, and the page says it did.
            log.exception("exact coverage failed; answering with the grid method")
            body, fallback = self.geo.coverage(guards, method="grid", **args), True
        counted = counted_guards(guards) if len(guards) else guards
        ids = counted["guard_id"].astype(str).tolist() if len(counted) else []
        info = guards.assign(guard_id=guards["guard_id"].astype(str)).set_index("guard_id")
        return {
            **body,
            "source": "planned" if q.at is not None else "live",
            "at": q.at,
            "fallback": fallback,
            "guards": {
                "ids": ids,
                "names": info.loc[ids, "name"].astype(str).tolist(),
                "units": info.loc[ids, "unit_id"].astype(str).tolist(),
                "lon": counted["lon"].astype(float).tolist() if ids else [],
                "lat": counted["lat"].astype(float).tolist() if ids else [],
            },
        }

    def heat(self, query: dict) -> dict:
        """``GeoService.heat`` of checked :func:`heat_query` arguments."""
        return self.geo.heat(**query)

    def response_times(self, kinds: list[str] | None = None) -> dict:
        """P50/P90 of acknowledge, turnout, travel and total, overall and per zone."""
        frame = response_frame(self.engine, kind=kinds or None)
        return response_times(frame, by=("zone_id",))
