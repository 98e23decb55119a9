"""Pure builders of the coverage page's map: gaps, counted guards, incident heat.

Result dicts in (the coverage body of ``GeoService.coverage`` with the page's
``guards`` added, the ``GeoService.heat`` layer), a plotly figure out; no
Redis, SQL or callbacks. Everything drawn goes through ``project`` (WGS-84 →
the drawing CRS of the tiles). No text on the map (glyphs need the internet).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from dashboard.basemap import Projection, map_style, project_geojson
from dashboard.theme import THEMES
from shouwang.i18n import t

GAP_COLOUR = "#ef4444"
GUARD_COLOUR = "#22c55e"
FOCUS_COLOUR = "#facc15"
#: Transparent at zero so the base map shows through where nothing happens.
HEAT_SCALE = [
    [0.0, "rgba(254,240,138,0)"],
    [0.15, "rgba(253,224,71,0.55)"],
    [0.45, "rgba(249,115,22,0.8)"],
    [1.0, "rgba(220,38,38,0.95)"],
]
HEX_SCALE = [
    [0.0, "rgba(253,230,138,0.18)"],
    [0.35, "rgba(249,115,22,0.6)"],
    [1.0, "rgba(185,28,28,0.92)"],
]
HEAT_MODES = ("off", "density", "hexagons")
EMPTY = {"type": "FeatureCollection", "features": []}


def gap_layers(gaps: dict, project: Projection) -> list[dict]:
    """Red translucent fill and outline of the gap polygons (under the traces)."""
    if not gaps.get("features"):
        return []
    source = project_geojson({"type": "FeatureCollection", "features": gaps["features"]}, project)
    return [
        {"source": source, "type": "fill", "color": GAP_COLOUR, "opacity": 0.38, "below": "traces"},
        # the outline over the traces: the gaps stay visible under any heat layer
        {"source": source, "type": "line", "color": GAP_COLOUR, "line": {"width": 2}},
    ]


def focus_layers(outline: dict | None) -> list[dict]:
    """A thick yellow wall around the unit the supervisor zoomed to."""
    if not outline:
        return []
    return [{"source": outline, "type": "line", "color": FOCUS_COLOUR, "line": {"width": 4}}]


def guard_trace(guards: dict | None, project: Projection, lang: str) -> go.Scattermap:
    """The guards counted for coverage, as small green dots."""
    guards = guards or {"ids": [], "names": [], "units": [], "lon": [], "lat": []}
    lon, lat = project(np.asarray(guards["lon"], float), np.asarray(guards["lat"], float))
    custom: np.ndarray | list[str] = (
        np.column_stack([guards["ids"], guards["names"], guards["units"]]) if len(lon) else []
    )
    return go.Scattermap(
        lon=lon,
        lat=lat,
        mode="markers",
        marker={"size": 8, "color": GUARD_COLOUR, "opacity": 0.95},
        name=t("coverage.map.guards", lang).format(n=len(lon)),
        customdata=custom,
        hovertemplate=(
            "<b>%{customdata[1]}</b> (%{customdata[0]})<br>"
            f"{t('hover.unit', lang)}: %{{customdata[2]}}<extra></extra>"
        ),
    )


def _colorbar(title: str, colours: dict) -> dict:
    """Horizontal, bottom left: the zones fill the middle and the legend is top left."""
    return {
        "title": {"text": title, "font": {"color": colours["text"], "size": 13}, "side": "top"},
        "tickfont": {"color": colours["text"], "size": 12},
        "orientation": "h",
        "x": 0.02,
        "xanchor": "left",
        "y": 0.02,
        "yanchor": "bottom",
        "len": 0.32,
        "thickness": 12,
        "bgcolor": "rgba(11,18,32,0.8)",
    }


def density_radius_px(cell_m: float, zoom: float, lat: float) -> int:
    """Blur radius (pixels) of a density cell at this zoom: about 2.5 cells.

    Densitymap radii are in screen pixels; a fixed radius breaks the surface
    into dots once the map is zoomed to one compound.
    """
    metres_per_px = 156_543.03 * math.cos(math.radians(lat)) / 2**zoom
    return int(min(max(2.5 * cell_m / metres_per_px, 10), 200))


def heat_trace(
    heat: dict | None,
    mode: str,
    project: Projection,
    lang: str,
    theme: str = "dark",
    *,
    zoom: float = 14.0,
):
    """The incident heat as a Densitymap (``density``) or Choroplethmap (``hexagons``).

    None when the mode is ``off``, there is no layer, or no incident matched.
    """
    if mode == "off" or not heat or not heat.get("n_incidents"):
        return None
    colours = THEMES[theme]
    name = t("coverage.map.heat", lang)
    if mode == "density":
        d = heat["density"]
        if not d["lon"]:
            return None
        lon, lat = project(np.asarray(d["lon"], float), np.asarray(d["lat"], float))
        return go.Densitymap(
            lon=lon,
            lat=lat,
            z=d["z"],
            radius=density_radius_px(float(d.get("cell_m") or 50.0), zoom, float(np.mean(lat))),
            zmin=0,
            zmax=float(d.get("max") or max(d["z"])),
            colorscale=HEAT_SCALE,
            name=name,
            hoverinfo="skip",
            colorbar=_colorbar(t("coverage.map.per_km2", lang), colours),
        )
    if mode == "hexagons":
        hexes = heat["hexagons"]
        if not hexes["features"]:
            return None
        geojson = project_geojson(hexes, project)
        ids = [f["id"] for f in hexes["features"]]
        counts = [f["properties"]["count"] for f in hexes["features"]]
        return go.Choroplethmap(
            geojson=geojson,
            locations=ids,
            z=counts,
            featureidkey="id",
            colorscale=HEX_SCALE,
            zmin=0,
            marker={"line": {"width": 0.5, "color": "rgba(124,45,18,0.6)"}},
            name=name,
            hovertemplate=f"%{{z}} {t('coverage.unit.cases', lang)}<extra></extra>",
            colorbar=_colorbar(t("coverage.map.per_hex", lang), colours),
        )
    raise ValueError(f"unknown heat mode {mode!r}; one of {HEAT_MODES}")


def coverage_map(
    base: list[dict],
    coverage: dict | None,
    heat: dict | None,
    heat_mode: str,
    *,
    project: Projection,
    centre: dict,
    zoom: float,
    revision: object = "coverage",
    focus: dict | None = None,
    lang: str = "zh",
    tiles_url: str | None = None,
    theme: str = "dark",
) -> go.Figure:
    """The page's map: base layers, gap polygons, heat (optional), counted guards.

    ``revision`` is the figure's ``uirevision``: while it stays the same the
    supervisor's pan/zoom survives a rebuild; a new value applies ``centre``
    and ``zoom`` (a hot unit was clicked).
    """
    colours = THEMES[theme]
    layers = [*base]
    if coverage:
        layers += gap_layers(coverage, project)
    layers += focus_layers(focus)
    traces = []
    heat_layer = heat_trace(heat, heat_mode, project, lang, theme, zoom=zoom)
    if heat_layer is not None:
        traces.append(heat_layer)
    traces.append(guard_trace(coverage.get("guards") if coverage else None, project, lang))
    style = map_style(theme, tiles_url)
    if not style["sources"]:
        # An empty "sources" object is dropped on its way through a callback update,
        # and MapLibre then rejects the style ("missing required property sources").
        style["sources"] = {"sw-none": {"type": "geojson", "data": EMPTY}}
    fig = go.Figure(traces)
    fig.update_layout(
        map={
            "style": style,
            "center": centre,
            "zoom": zoom,
            "layers": layers,
        },
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=colours["background"],
        font={"color": colours["text"], "size": 14},
        legend={
            "bgcolor": "rgba(11,18,32,0.8)",
            "x": 0.01,
            "y": 0.99,
            "font": {"size": 15},
            "itemsizing": "constant",
        },
        showlegend=True,
        hoverlabel={"font": {"size": 15}},
        uirevision=str(revision),
    )
    return fig
