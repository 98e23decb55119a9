"""Pure builders for the map wall: the figure, the zone table, the lists.

Frames in, figures and plain rows out; no Redis, no Dash callbacks. The
browser script ``assets/wall.js`` updates the figure's guard traces in place
from the live feed, so the trace order below is a contract with it (handed
over in :func:`client_config`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.basemap import Projection, map_style
from dashboard.theme import STATUS_COLOURS, THEMES, zone_colour
from shouwang.i18n import label_of, t
from shouwang.vocab import GuardStatus

G = GuardStatus
#: Status codes of the live feed (``live.push.STATUS_CODES``): index → status.
STATUS_CODES: tuple[str, ...] = tuple(s.value for s in GuardStatus)
#: Guard traces bottom to top: off-duty guards under everyone, dispatched on top.
TRACE_STATUSES: tuple[str, ...] = tuple(
    s.value for s in (G.OFF_DUTY, G.ON_POST, G.PATROLLING, G.SIGNAL_LOST, G.DISPATCHED)
)
#: Then the pulsing SOS halo trace. Incidents (dispatch workflow) go after it.
SOS_TRACE = len(TRACE_STATUSES)
MARKER_SIZE = {G.OFF_DUTY.value: 10}  # everyone else DEFAULT_MARKER_SIZE: thick, seen from 4 m
DEFAULT_MARKER_SIZE = 17
SOS_SIZE = 46
LIST_LIMIT = 12


def age_text(age_s: float, lang: str) -> str:
    """Minutes since the last fix as shown on the wall (``wall.js`` formats it the same)."""
    if age_s is None or (isinstance(age_s, float) and math.isnan(age_s)):
        return t("wall.never_reported", lang)
    return f"{max(age_s, 0) / 60:.1f} {t('unit.min', lang)}"


def trace_name(status: str, count: int, lang: str) -> str:
    return f"{label_of(GuardStatus, status, lang)} {count}"


def hover_template(status: str, lang: str) -> str:
    """customdata = [guard id, name, unit id, minutes since last fix]."""
    return (
        "<b>%{customdata[1]}</b> (%{customdata[0]})<br>"
        f"{t('hover.status', lang)}: {label_of(GuardStatus, status, lang)}<br>"
        f"{t('hover.unit', lang)}: %{{customdata[2]}}<br>"
        f"{t('hover.age', lang)}: %{{customdata[3]}}<extra></extra>"
    )


def guard_traces(states: pd.DataFrame, project: Projection, lang: str) -> list[go.Scattermap]:
    """One marker trace per status in :data:`TRACE_STATUSES`, then the SOS halo."""
    has_fix = states["lon"].notna().to_numpy()
    lon, lat = project(states["lon"].to_numpy(dtype=float), states["lat"].to_numpy(dtype=float))
    traces = []
    for status in TRACE_STATUSES:
        rows = has_fix & (states["status"] == status).to_numpy()
        sub = states.loc[rows]
        custom = (
            np.column_stack(
                [
                    sub["guard_id"].astype(str),
                    sub["name"].astype(str),
                    sub["unit_id"].astype(str),
                    [age_text(a, lang) for a in sub["age_s"].to_numpy(dtype=float)],
                ]
            )
            if len(sub)
            else np.empty((0, 4))
        )
        traces.append(
            go.Scattermap(
                lon=lon[rows],
                lat=lat[rows],
                mode="markers",
                marker={
                    "size": MARKER_SIZE.get(status, DEFAULT_MARKER_SIZE),
                    "color": STATUS_COLOURS[status],
                    "opacity": 0.7 if status == "off_duty" else 0.95,
                },
                name=trace_name(status, int(rows.sum()), lang),
                customdata=custom,
                hovertemplate=hover_template(status, lang),
            )
        )
    sos = has_fix & states["sos"].to_numpy(dtype=bool)
    traces.append(
        go.Scattermap(
            lon=lon[sos],
            lat=lat[sos],
            mode="markers",
            marker={"size": SOS_SIZE, "color": STATUS_COLOURS[G.SIGNAL_LOST], "opacity": 0.6},
            name=t("wall.sos", lang),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    return traces


def wall_figure(
    base: list[dict],
    states: pd.DataFrame,
    centre: dict,
    zoom: float,
    *,
    project: Projection,
    lang: str = "zh",
    tiles_url: str | None = None,
    theme: str = "dark",
) -> go.Figure:
    """The wall map: base layers (zones, streets, unit walls), guards by status, SOS."""
    colours = THEMES[theme]
    fig = go.Figure(guard_traces(states, project, lang))
    fig.update_layout(
        map={"style": map_style(theme, tiles_url), "center": centre, "zoom": zoom, "layers": base},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=colours["background"],
        font={"color": colours["text"], "size": 20},
        legend={
            "bgcolor": "rgba(11,18,32,0.8)",
            "x": 0.01,
            "y": 0.99,
            "font": {"size": 24},
            "itemsizing": "constant",
        },
        hoverlabel={"font": {"size": 20}},
        uirevision="wall",  # keep the operator's pan/zoom when the figure is rebuilt
    )
    return fig


def client_config(lang: str, tz: str, ids: dict[str, str]) -> dict:
    """What ``assets/wall.js`` needs: trace order, labels, element ids."""
    return {
        "lang": lang,
        "tz": tz,
        "statusCodes": list(STATUS_CODES),
        "traceStatuses": list(TRACE_STATUSES),
        "sosTrace": SOS_TRACE,
        "labels": {s: label_of(GuardStatus, s, lang) for s in STATUS_CODES},
        "minUnit": t("unit.min", lang),
        "neverReported": t("wall.never_reported", lang),
        "clientError": t("error.page", lang),
        "ids": ids,
    }


# --- the side band -----------------------------------------------------------------


@dataclass(frozen=True)
class ZoneRow:
    zone_id: str
    name: str
    colour: str
    on_duty: int
    on_post: int
    alarms: int
    coverage_pct: float | None

    @property
    def on_post_pct(self) -> float | None:
        return 100.0 * self.on_post / self.on_duty if self.on_duty else None


def zone_rows(
    states: pd.DataFrame,
    zones: pd.DataFrame,
    lang: str,
    coverage: dict[str, float] | None = None,
) -> list[ZoneRow]:
    """Per zone: guards on duty, on post, open alarms, coverage % (None: not known)."""
    on_duty = states["on_duty"].astype(bool)
    zone = states["zone_id"].fillna("")
    duty_n = on_duty.groupby(zone).sum()
    post_n = (on_duty & (states["status"] == "on_post")).groupby(zone).sum()
    alarm_n = states["sos"].astype(bool).groupby(zone).sum()
    name_col = "name_zh" if lang == "zh" else "name_en"
    rows = []
    for z in zones.itertuples():
        zid = str(z.zone_id)
        rows.append(
            ZoneRow(
                zone_id=zid,
                name=str(getattr(z, name_col)),
                colour=zone_colour(zid),
                on_duty=int(duty_n.get(zid, 0)),
                on_post=int(post_n.get(zid, 0)),
                alarms=int(alarm_n.get(zid, 0)),
                coverage_pct=None if coverage is None else coverage.get(zid),
            )
        )
    return rows


@dataclass(frozen=True)
class GuardLine:
    guard_id: str
    name: str
    unit_id: str
    zone_name: str
    age_s: float  # nan: never reported


def signal_lost_lines(states: pd.DataFrame, zones: pd.DataFrame, lang: str) -> list[GuardLine]:
    """Guards on duty whose signal is lost, longest silence first (never reported last)."""
    lost = states[states["on_duty"].astype(bool) & (states["status"] == "signal_lost")]
    lost = lost.sort_values("age_s", ascending=False, na_position="last")
    return _lines(lost, zones, lang, "age_s")


def sos_lines(
    states: pd.DataFrame, zones: pd.DataFrame, lang: str, sos: dict[str, float], now: float
) -> list[GuardLine]:
    """Open SOS alarms, oldest first; ``age_s`` is how long the alarm is open."""
    open_ = states[states["guard_id"].isin(list(sos))].copy()
    open_["open_s"] = now - open_["guard_id"].map(sos).astype(float)
    return _lines(open_.sort_values("open_s", ascending=False), zones, lang, "open_s")


def _lines(rows: pd.DataFrame, zones: pd.DataFrame, lang: str, age_col: str) -> list[GuardLine]:
    name_col = "name_zh" if lang == "zh" else "name_en"
    zone_names = dict(zip(zones["zone_id"].astype(str), zones[name_col].astype(str), strict=True))
    return [
        GuardLine(
            guard_id=str(gid),
            name=str(name),
            unit_id=str(unit),
            zone_name=zone_names.get(str(zone), ""),
            age_s=float(age),
        )
        for gid, name, unit, zone, age in zip(
            rows["guard_id"],
            rows["name"],
            rows["unit_id"],
            rows["zone_id"],
            rows[age_col],
            strict=True,
        )
    ]
