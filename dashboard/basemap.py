"""Pure figure builders for the live map: our own base layers, no web tiles.

The map must be readable on a police intranet with no internet, so the
MapLibre style is a plain background and every base layer (zones, unit
walls, streets) comes from the data set as GeoJSON layers. A raster tile URL
(``MAP_TILES_URL``) is added underneath when configured.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t

STATUS_COLOURS = {
    "on_post": "#22c55e",
    "patrolling": "#3b82f6",
    "dispatched": "#f59e0b",
    "off_duty": "#6b7280",
    "signal_lost": "#ef4444",
}
ZONE_COLOURS = {"E": "#a855f7", "W": "#14b8a6", "S": "#eab308", "N": "#ec4899", "C": "#60a5fa"}
THEMES = {
    "dark": {"background": "#0b1220", "street": "#334155", "wall": "#94a3b8", "text": "#e2e8f0"},
    "light": {"background": "#f8fafc", "street": "#cbd5e1", "wall": "#475569", "text": "#0f172a"},
}


def map_style(theme: str = "dark", tiles_url: str | None = None) -> dict:
    """A MapLibre style that needs nothing from the internet (optionally raster tiles)."""
    colours = THEMES[theme]
    style: dict = {
        "version": 8,
        "sources": {},
        "layers": [{"id": "background", "type": "background",
                    "paint": {"background-color": colours["background"]}}],
    }
    if tiles_url:
        style["sources"]["tiles"] = {"type": "raster", "tiles": [tiles_url], "tileSize": 256}
        style["layers"].append({"id": "tiles", "type": "raster", "source": "tiles"})
    return style


def view_of(bounds: tuple[float, float, float, float], width_px: int = 1200,
            height_px: int = 800) -> tuple[dict, float]:
    """Centre and zoom that fit ``bounds`` (minx, miny, maxx, maxy) in a map of that size."""
    minx, miny, maxx, maxy = bounds
    centre = {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2}
    lon_span = max(maxx - minx, 1e-6)
    lat_span = max(maxy - miny, 1e-6) / math.cos(math.radians(centre["lat"]))
    zoom_x = math.log2(360 * width_px / 512 / lon_span)
    zoom_y = math.log2(360 * height_px / 512 / lat_span)
    return centre, round(min(zoom_x, zoom_y), 2)


def base_layers(zones: dict, units: dict, streets: dict, theme: str = "dark") -> list[dict]:
    """Map layers for zones (tinted), streets and unit walls, bottom to top."""
    colours = THEMES[theme]
    layers = []
    for feature in zones["features"]:
        zone_id = feature["properties"]["zone_id"]
        colour = ZONE_COLOURS.get(zone_id, "#94a3b8")
        one = {"type": "FeatureCollection", "features": [feature]}
        layers.append({"source": one, "type": "fill", "color": colour, "opacity": 0.12,
                       "below": "traces"})
        layers.append({"source": one, "type": "line", "color": colour, "line": {"width": 3},
                       "below": "traces"})
    layers.append({"source": streets, "type": "line", "color": colours["street"],
                   "line": {"width": 2}, "below": "traces"})
    layers.append({"source": units, "type": "fill", "color": colours["wall"], "opacity": 0.18,
                   "below": "traces"})
    layers.append({"source": units, "type": "line", "color": colours["wall"],
                   "line": {"width": 1.5}, "below": "traces"})
    return layers


def guard_traces(states: pd.DataFrame, lang: str = "zh") -> list[go.Scattermap]:
    """One marker trace per status, so the legend reads as the status key."""
    traces = []
    has_fix = states["lon"].notna()
    for status, colour in STATUS_COLOURS.items():
        rows = states[has_fix & (states["status"] == status)]
        age_min = np.round(rows["age_s"].to_numpy(dtype=float) / 60, 1)
        battery = rows["battery_pct"].astype(float).round(0)
        hover = (
            rows["name"] + " (" + rows["guard_id"] + ")<br>"
            + t("hover.unit", lang) + ": " + rows["unit_id"] + "<br>"
            + t("hover.status", lang) + ": " + t(f"status.{status}", lang) + "<br>"
            + t("hover.battery", lang) + ": " + battery.astype(str).str.replace("nan", "–")
            + "%<br>" + t("hover.age", lang) + ": " + pd.Series(age_min, index=rows.index).astype(str)
            + " min"
        )
        traces.append(go.Scattermap(
            lon=rows["lon"], lat=rows["lat"], mode="markers",
            marker={"size": 11, "color": colour},
            name=f"{t(f'status.{status}', lang)} ({len(rows)})",
            customdata=rows["guard_id"], hovertext=hover, hoverinfo="text",
        ))
    return traces


def live_map_figure(base: list[dict], states: pd.DataFrame, centre: dict, zoom: float, *,
                    lang: str = "zh", theme: str = "dark", tiles_url: str | None = None) -> go.Figure:
    """The live map: base layers and guards by status."""
    fig = go.Figure(guard_traces(states, lang))
    colours = THEMES[theme]
    fig.update_layout(
        map={"style": map_style(theme, tiles_url), "center": centre, "zoom": zoom,
             "layers": base},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=colours["background"],
        font={"color": colours["text"]},
        legend={"bgcolor": "rgba(0,0,0,0.4)", "x": 0.01, "y": 0.99},
        uirevision="keep-view",  # keep the user's pan/zoom across refreshes
    )
    return fig
