"""Open incidents and SOS escalation on the map wall (the dispatch workflow's part).

Every two seconds (the side band's interval) a wall callback reads the open
incidents from the in-process dispatch service and hands them to the browser
as JSON in a hidden element; ``assets/wall.js`` reads it every second and draws them on three marker traces after the
SOS halo (pulsing until a guard is on scene, coloured by priority) and
sounds while an SOS waits for a dispatcher. Polling the service keeps it
simple and robust: a reconnecting wall cannot miss an event, and the wall
process needs no extra relay.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Input, Output, State, html

from dashboard.basemap import Projection
from dashboard.ids import Ids, WallIds
from dashboard.theme import priority_colour
from shouwang.i18n import DEFAULT_LANGUAGE, label_of, t
from shouwang.timeutil import epoch_of_iso
from shouwang.vocab import IncidentKind

log = logging.getLogger(__name__)

#: Incident traces after the SOS halo: halo (pulses while nobody is on scene), core, centre.
INCIDENT_TRACES = ("incident_halo", "incident_core", "incident_centre")
HALO_SIZE, CORE_SIZE, CENTRE_SIZE = 50, 28, 10


def incident_traces(lang: str) -> list[go.Scattermap]:
    """The three (empty) incident traces the wall figure ends with; ``wall.js`` fills them."""
    hover = "<b>%{customdata[1]}</b> P%{customdata[2]}<br>%{customdata[3]}<extra></extra>"
    return [
        go.Scattermap(lon=[], lat=[], mode="markers", hoverinfo="skip", showlegend=False,
                      marker={"size": HALO_SIZE, "color": [], "opacity": 0.5},
                      name=t("wall.incidents", lang)),
        go.Scattermap(lon=[], lat=[], mode="markers", customdata=[], hovertemplate=hover,
                      marker={"size": CORE_SIZE, "color": [], "opacity": 1.0},
                      name=t("wall.incidents", lang), showlegend=False),
        go.Scattermap(lon=[], lat=[], mode="markers", hoverinfo="skip", showlegend=False,
                      marker={"size": CENTRE_SIZE, "color": "#ffffff", "opacity": 1.0},
                      name=t("wall.incidents", lang)),
    ]  # fmt: skip


def kind_text(kind: str, lang: str) -> str:
    return label_of(IncidentKind, kind, lang)


def _created(inc: Mapping[str, Any]) -> float | None:
    return epoch_of_iso(inc.get("created_at"))


def incident_feed(
    incidents: Sequence[Mapping[str, Any]], project: Projection, now: float, lang: str
) -> dict[str, Any]:
    """What ``wall.js`` draws: incidents (drawing CRS) and the SOS waiting for a dispatcher."""
    lon, lat = project(
        np.array([i["lon"] for i in incidents], dtype=float),
        np.array([i["lat"] for i in incidents], dtype=float),
    )
    items = []
    for inc, x, y in zip(incidents, lon.tolist(), lat.tolist(), strict=True):
        kind = kind_text(inc["kind"], lang)
        state = t("wall.incident.on_scene" if inc["status"] == "on_scene" else
                  "wall.incident.waiting", lang)  # fmt: skip
        items.append(
            {
                "id": inc["incident_id"],
                "lon": round(x, 6),
                "lat": round(y, 6),
                "colour": priority_colour(inc.get("priority")),
                "waiting": inc["status"] != "on_scene",
                "hover": [inc["incident_id"], kind, inc.get("priority"), state],
            }
        )
    sos = []
    for inc in incidents:
        s = inc.get("sos") or {}
        if s and s.get("owner") is None:
            created = _created(inc)
            sos.append(
                {
                    "incident_id": inc["incident_id"],
                    "guard_id": s.get("guard_id"),
                    "level": int(s.get("level") or 0),
                    "escalated": bool(s.get("escalated")),
                    "open_s": None if created is None else max(now - created, 0.0),
                }
            )
    return {"t": now, "incidents": items, "sos": sos, "alarm": bool(sos)}


def sos_banner(feed: Mapping[str, Any], names: Mapping[str, str], lang: str) -> list:
    """A pulsing banner per SOS nobody has taken yet (escalated ones say for how long)."""
    out = []
    for s in feed["sos"]:
        gid = s.get("guard_id") or ""
        key = "wall.incident.sos_banner" if s["escalated"] else "wall.incident.sos_new"
        minutes = f"{(s.get('open_s') or 0) / 60:.1f}"
        out.append(
            html.Div(
                t(key, lang).format(name=names.get(gid, gid), guard=gid, minutes=minutes),
                className="sos-banner pulse" + (" escalated" if s["escalated"] else ""),
                role="alert",
                **{"data-incident": s["incident_id"]},
            )
        )
    return out


def incident_lines(
    incidents: Sequence[Mapping[str, Any]], zones: Mapping[str, str], now: float, lang: str
) -> list:
    """Side band lines: priority, kind, zone and unit, minutes open; waiting ones pulse."""
    if not incidents:
        return []
    items = []
    for inc in sorted(incidents, key=lambda i: (i.get("priority") or 3, i.get("created_at") or "")):
        created = _created(inc)
        waiting = inc["status"] != "on_scene"
        minutes = (
            "" if created is None else f"{max(now - created, 0) / 60:.1f} {t('unit.min', lang)}"
        )
        state = t("wall.incident.waiting" if waiting else "wall.incident.on_scene", lang)
        items.append(
            html.Li(
                className="incident" + (" pulse" if waiting else ""),
                style={"borderLeftColor": priority_colour(inc.get("priority"))},
                children=[
                    html.Span(f"P{inc.get('priority')} {kind_text(inc['kind'], lang)}",
                              className="who"),
                    html.Span(f"{zones.get(inc.get('zone_id') or '', '')} {inc.get('unit_id') or ''}",
                              className="where"),
                    html.Span(f"{state} {minutes}", className="age"),
                ],
                **{"data-incident": inc["incident_id"]},
            )
        )  # fmt: skip
    return [html.Ul(items, className="guard-list")]


def register_incident_callbacks(
    app: dash.Dash,
    incidents: Callable[[], list[dict]],
    project: Projection,
    zones: Callable[[str], dict[str, str]],
    names: Callable[[], dict[str, str]],
    clock: Callable[[], float],
) -> None:
    """The wall's incident store, SOS banner and incident list, every side-band refresh."""

    @app.callback(
        Output(WallIds.INCIDENTS, "children"),
        Output(WallIds.SOS_BANNER, "children"),
        Output(WallIds.INCIDENT_LIST, "children"),
        Input(WallIds.REFRESH, "n_intervals"),
        State(Ids.LANG, "data"),
    )
    def refresh_incidents(_n, lang):
        lang = lang or DEFAULT_LANGUAGE
        try:
            now = clock()
            found = incidents()
            feed = incident_feed(found, project, now, lang)
            return (
                json.dumps(feed, ensure_ascii=False),
                sos_banner(feed, names(), lang),
                incident_lines(found, zones(lang), now, lang),
            )
        except Exception:  # keep what is shown; the log says what failed
            log.exception("wall incidents refresh failed")
            return dash.no_update, dash.no_update, dash.no_update
