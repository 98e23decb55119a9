"""Pure builders of the dispatch console: the map, timers, change signatures.

Frames and plain dicts (the service's incident views) in, figures and plain
values out; no services, no Dash callbacks. The map's trace order is fixed
(:data:`TRACES`) so the periodic refresh can patch guards and incidents in
place without touching the operator's view.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.basemap import Projection, map_style
from dashboard.theme import THEMES, priority_colour, status_colour
from shouwang.i18n import label_of, t
from shouwang.vocab import GuardStatus

#: Trace order of the console map (index = position in ``figure.data``).
TRACES = ("guards", "routes", "route_top", "selected", "incidents", "point")
TRACE = {name: i for i, name in enumerate(TRACES)}
TOP_ROUTE_COLOUR = "#facc15"
ROUTE_COLOUR = "#a5b4fc"
#: Keys of the service's views that tick every second (shown by the browser, see dispatch.js).
TIMER_KEYS = frozenset(
    {"unassigned_for_s", "on_scene_for_s", "ack_due_in_s", "unacknowledged_for_s"}
)


def duration_text(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour); ``–`` when unknown. ``dispatch.js`` formats alike."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    s = int(max(seconds, 0))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def eta_minutes(eta_s: float | None) -> str:
    return "–" if eta_s is None else f"{eta_s / 60:.1f}"


def signature(*parts: Any) -> str:
    """A short hash of what a panel shows, ignoring the ticking timers.

    The live callback re-renders a panel only when this changes; the timers
    count up in the browser between renders.
    """

    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items() if k not in TIMER_KEYS}
        if isinstance(value, list | tuple):
            return [strip(v) for v in value]
        return value

    text = json.dumps(strip(parts), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


# --- the map -------------------------------------------------------------------------


def guard_data(states: pd.DataFrame, project: Projection, lang: str) -> dict[str, Any]:
    """Marker data of every guard with a position: lon, lat, colour, hover data."""
    rows = states.loc[states["lon"].notna()]
    lon, lat = project(rows["lon"].to_numpy(dtype=float), rows["lat"].to_numpy(dtype=float))
    status = rows["status"].astype(str).to_numpy()
    colours = [status_colour(s) for s in status]
    labels = [label_of(GuardStatus, s, lang) for s in status]
    custom = (
        np.column_stack(
            [
                rows["guard_id"].astype(str),
                rows["name"].astype(str),
                rows["unit_id"].astype(str),
                labels,
            ]  # fmt: skip
        ).tolist()
        if len(rows)
        else []
    )
    return {"lon": lon.tolist(), "lat": lat.tolist(), "color": colours, "customdata": custom}


def incident_data(incidents: Sequence[Mapping[str, Any]], project: Projection) -> dict[str, Any]:
    """Marker data of the open incidents: lon, lat, priority colour, hover data."""
    lon, lat = project(
        np.array([i["lon"] for i in incidents], dtype=float),
        np.array([i["lat"] for i in incidents], dtype=float),
    )
    custom = [
        [i["incident_id"], i.get("kind_zh") or i["kind"], i.get("priority"),
         i.get("status_zh") or i["status"]]
        for i in incidents
    ]  # fmt: skip
    colours = [priority_colour(i.get("priority")) for i in incidents]
    return {"lon": lon.tolist(), "lat": lat.tolist(), "color": colours, "customdata": custom}


def route_lines(routes: Iterable[Sequence[Sequence[float]]], project: Projection):
    """Routes as one line trace's lon/lat, ``None`` between routes."""
    lon: list[float | None] = []
    lat: list[float | None] = []
    for coords in routes:
        if not coords:
            continue
        xy = np.asarray(coords, dtype=float)
        x, y = project(xy[:, 0], xy[:, 1])
        if lon:
            lon.append(None)
            lat.append(None)
        lon.extend(x.tolist())
        lat.extend(y.tolist())
    return lon, lat


def dispatch_figure(
    base: list[dict],
    states: pd.DataFrame,
    incidents: Sequence[Mapping[str, Any]],
    *,
    project: Projection,
    centre: dict,
    zoom: float,
    routes: Sequence[Sequence[Sequence[float]]] = (),
    selected: Mapping[str, Any] | None = None,
    point: Mapping[str, Any] | None = None,
    lang: str = "zh",
    tiles_url: str | None = None,
) -> go.Figure:
    """The console map: base layers, guards, candidate routes (top one bright), incidents.

    ``selected`` is the incident (or new place) the candidates are for: it gets
    a white ring; ``point`` is a place clicked or picked but not recorded yet.
    """
    g = guard_data(states, project, lang)
    inc = incident_data(incidents, project)
    top_lon, top_lat = route_lines(routes[:1], project)
    other_lon, other_lat = route_lines(routes[1:], project)
    sel_lon, sel_lat = _points([selected] if selected else [], project)
    pt_lon, pt_lat = _points([point] if point else [], project)
    hover_guard = (
        "<b>%{customdata[1]}</b> (%{customdata[0]})<br>"
        f"{t('hover.unit', lang)}: %{{customdata[2]}}<br>"
        f"{t('hover.status', lang)}: %{{customdata[3]}}<extra></extra>"
    )
    hover_incident = (
        "<b>%{customdata[1]}</b> P%{customdata[2]}<br>%{customdata[0]}<br>"
        "%{customdata[3]}<extra></extra>"
    )
    traces = [
        go.Scattermap(
            lon=g["lon"], lat=g["lat"], mode="markers", customdata=g["customdata"],
            marker={"size": 11, "color": g["color"], "opacity": 0.95},
            name=t("summary.guards", lang), hovertemplate=hover_guard,
        ),
        go.Scattermap(
            lon=other_lon, lat=other_lat, mode="lines", hoverinfo="skip",
            line={"width": 3, "color": ROUTE_COLOUR}, opacity=0.8,
            name=t("dispatch.map.routes", lang),
        ),
        go.Scattermap(
            lon=top_lon, lat=top_lat, mode="lines", hoverinfo="skip",
            line={"width": 6, "color": TOP_ROUTE_COLOUR}, name=t("dispatch.map.top", lang),
        ),
        go.Scattermap(
            lon=sel_lon, lat=sel_lat, mode="markers", hoverinfo="skip",
            marker={"size": 34, "color": "#ffffff", "opacity": 0.9},
            name=t("dispatch.map.selected", lang),
        ),
        go.Scattermap(
            lon=inc["lon"], lat=inc["lat"], mode="markers", customdata=inc["customdata"],
            marker={"size": 22, "color": inc["color"], "opacity": 1.0},
            name=t("dispatch.map.incidents", lang), hovertemplate=hover_incident,
        ),
        go.Scattermap(
            lon=pt_lon, lat=pt_lat, mode="markers", hoverinfo="skip",
            marker={"size": 16, "color": "#f0abfc", "opacity": 1.0},
            name=t("dispatch.map.point", lang),
        ),
    ]  # fmt: skip
    colours = THEMES["dark"]
    style = map_style("dark", tiles_url)  # keeps a source through Dash updates (basemap)
    fig = go.Figure(traces)
    fig.update_layout(
        map={"style": style, "center": centre, "zoom": zoom, "layers": base},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=colours["background"],
        font={"color": colours["text"], "size": 14},
        showlegend=False,
        hoverlabel={"font": {"size": 15}},
        clickmode="event",
        uirevision="dispatch",  # keep the dispatcher's pan/zoom across rebuilds
    )
    return fig


def _points(items: Sequence[Mapping[str, Any]], project: Projection):
    if not items:
        return [], []
    x, y = project(
        np.array([float(i["lon"]) for i in items]), np.array([float(i["lat"]) for i in items])
    )
    return x.tolist(), y.tolist()
