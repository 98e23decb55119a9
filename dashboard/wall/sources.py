"""What the wall reads, gathered once from the app context."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from dashboard.basemap import Projection, base_layers, drawing_projection, project_geojson, view_of
from dashboard.wall.coverage import ZoneCoverageJob
from shouwang.context import AppContext
from shouwang.dispatch.reads import list_incidents
from shouwang.dispatch.rules import OPEN_STATUSES
from shouwang.dispatch.service import DispatchService

# The wall's map area on a wall screen, less the side band (a little small: the view must fit).
MAP_WIDTH_PX, MAP_HEIGHT_PX = 1100, 760


def _geojson(gdf: gpd.GeoDataFrame, columns: list[str]) -> dict:
    if not len(gdf):
        return {"type": "FeatureCollection", "features": []}
    return json.loads(gdf[[*columns, "geometry"]].to_json(drop_id=True))


@dataclass
class WallSources:
    """Live reads and fixed drawing inputs of the wall.

    Attributes
    ----------
    states
        Current guard states (the push relay's cached frame).
    open_sos
        guard id → SOS time (epoch s).
    clock
        Epoch seconds (the app context's clock).
    zones
        The joint-defence zones (ids, names, polygons).
    coverage
        The coverage job (``available`` False without the geo engine).
    base
        MapLibre layers for zones, streets and unit walls, in the drawing CRS.
    project
        WGS-84 → drawing CRS.
    """

    states: Callable[[], pd.DataFrame]
    open_sos: Callable[[], dict[str, float]]
    clock: Callable[[], float]
    zones: gpd.GeoDataFrame
    coverage: ZoneCoverageJob
    base: list[dict]
    project: Projection
    centre: dict
    zoom: float
    tiles_url: str | None
    tz: str
    #: Open incidents (dispatch service views).
    incidents: Callable[[], list[dict]]

    @classmethod
    def from_context(cls, ctx: AppContext) -> WallSources:
        ds = ctx.dataset
        states = ctx.push.states
        project = drawing_projection(ctx.settings.MAP_TILES_CRS)
        base = base_layers(
            project_geojson(_geojson(ds.zones, ["zone_id", "name_zh"]), project),
            project_geojson(_geojson(ds.units, ["unit_id", "name_zh"]), project),
            project_geojson(_geojson(ds.streets, ["street_id"]), project),
        )
        minx, miny, maxx, maxy = ds.zones.total_bounds
        (x0, x1), (y0, y1) = project([minx, maxx], [miny, maxy])
        centre, zoom = view_of((x0, y0, x1, y1), MAP_WIDTH_PX, MAP_HEIGHT_PX)
        return cls(
            states=states,
            open_sos=ctx.store.open_sos,
            clock=ctx.clock,
            zones=ds.zones,
            coverage=ZoneCoverageJob(ds.zones, states),
            base=base,
            project=project,
            centre=centre,
            zoom=zoom,
            tiles_url=ctx.settings.MAP_TILES_URL,
            tz=ctx.settings.TIMEZONE,
            incidents=_open_incidents(ctx.dispatch),
        )

    def zone_names(self, lang: str) -> dict[str, str]:
        col = "name_zh" if lang == "zh" else "name_en"
        return dict(
            zip(self.zones["zone_id"].astype(str), self.zones[col].astype(str), strict=True)
        )

    def guard_names(self) -> dict[str, str]:
        states = self.states()
        return dict(zip(states["guard_id"].astype(str), states["name"].astype(str), strict=True))


def _open_incidents(service: DispatchService) -> Callable[[], list[dict[str, Any]]]:
    status = [s.value for s in OPEN_STATUSES]
    return lambda: list_incidents(service, status=status, limit=200)
