"""The map wall's components: map, live-feed banner, side band."""

from __future__ import annotations

import json

import pandas as pd
from dash import dcc, html

from dashboard.ids import WallIds, attrs
from dashboard.wall.figures import (
    LIST_LIMIT,
    GuardLine,
    ZoneRow,
    age_text,
    client_config,
    signal_lost_lines,
    sos_lines,
    wall_figure,
    zone_rows,
)
from dashboard.wall.incidents import incident_traces
from dashboard.wall.sources import WallSources
from shouwang.i18n import t

SIDE_REFRESH_MS = 2000


def wall_header(lang: str) -> list:
    """Clock and newest-fix time for the top bar (``wall.js`` keeps them ticking)."""
    return [
        html.Div(
            className="clock",
            children=[html.Span(id=WallIds.DATE, className="date"), html.Span(id=WallIds.CLOCK)],
        ),
        html.Div(
            className="newest",
            children=[
                html.Span(f"{t('summary.newest_fix', lang)} "),
                html.Span(id=WallIds.NEWEST, children=t("summary.none", lang)),
            ],
        ),
    ]


def _pct(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.0f}%"


def zone_table(rows: list[ZoneRow], lang: str, with_coverage: bool) -> html.Table:
    """Per-zone band: on duty, on-post share, alarms, coverage (column only when known)."""
    head = ["wall.col.zone", "wall.col.on_duty", "wall.col.on_post", "wall.col.alarms"]
    if with_coverage:
        head.append("wall.col.coverage")
    body = []
    for r in rows:
        cells = [
            html.Td(
                [html.Span(className="swatch", style={"background": r.colour}), r.name],
                className="zone-name",
            ),
            html.Td(str(r.on_duty)),
            html.Td(_pct(r.on_post_pct)),
            html.Td(str(r.alarms), className="alarm-count" if r.alarms else None),
        ]
        if with_coverage:
            cells.append(html.Td(_pct(r.coverage_pct)))
        body.append(html.Tr(cells, **attrs({"data-zone": r.zone_id})))
    duty = sum(r.on_duty for r in rows)
    total = [
        html.Td(t("wall.total", lang)),
        html.Td(str(duty)),
        html.Td(_pct(100.0 * sum(r.on_post for r in rows) / duty if duty else None)),
        html.Td(str(sum(r.alarms for r in rows))),
    ]
    if with_coverage:
        total.append(html.Td(""))
    return html.Table(
        className="zone-table",
        children=[
            html.Thead(html.Tr([html.Th(t(k, lang)) for k in head])),
            html.Tbody([*body, html.Tr(total, className="total")]),
        ],
    )


def guard_list(lines: list[GuardLine], lang: str, *, empty_key: str, alarm: bool) -> list:
    """Lines ``name (id) · zone unit · minutes``; at most LIST_LIMIT, then "and n more"."""
    if not lines:
        return [html.Div(t(empty_key, lang), className="quiet")]
    items = []
    for line in lines[:LIST_LIMIT]:
        when = age_text(line.age_s, lang)
        if alarm:
            when = f"{t('wall.alarm_since', lang)} {when}"
        items.append(
            html.Li(
                className="alarm pulse" if alarm else "lost",
                children=[
                    html.Span(f"{line.name} ({line.guard_id})", className="who"),
                    html.Span(f"{line.zone_name} {line.unit_id}", className="where"),
                    html.Span(when, className="age"),
                ],
                **attrs({"data-guard": line.guard_id}),
            )
        )
    if len(lines) > LIST_LIMIT:
        items.append(
            html.Li(t("wall.more", lang).format(n=len(lines) - LIST_LIMIT), className="more")
        )
    return [html.Ul(items, className="guard-list")]


def side_band(src: WallSources, states: pd.DataFrame, lang: str) -> tuple:
    """(zone table, alarm list, signal-lost list) from one states frame."""
    coverage = src.coverage.latest() if src.coverage.available else None
    rows = zone_rows(states, src.zones, lang, coverage)
    sos = src.open_sos()
    alarms = sos_lines(states, src.zones, lang, sos, src.clock())
    lost = signal_lost_lines(states, src.zones, lang)
    return (
        zone_table(rows, lang, with_coverage=src.coverage.available),
        guard_list(alarms, lang, empty_key="wall.no_alarms", alarm=True),
        guard_list(lost, lang, empty_key="wall.no_signal_lost", alarm=False),
    )


def wall_layout(src: WallSources, lang: str) -> html.Div:
    """The whole wall below the top bar."""
    states = src.states()
    figure = wall_figure(
        src.base,
        states,
        src.centre,
        src.zoom,
        project=src.project,
        lang=lang,
        tiles_url=src.tiles_url,
    )
    figure.add_traces(incident_traces(lang))  # after the SOS halo: see wall/incidents.py
    zones, alarms, lost = side_band(src, states, lang)
    ids = {k.lower(): v.value for k, v in WallIds.__members__.items()}
    config = client_config(lang, src.tz, ids)
    config["incidentTrace"] = config["sosTrace"] + 1
    newest = states["last_fix_at"].max()
    config["newest"] = float(newest) if newest == newest else None
    return html.Div(
        className="wall",
        children=[
            html.Div(
                t("wall.live_lost", lang),
                id=WallIds.BANNER,
                className="live-banner hidden",
                role="alert",
            ),
            html.Div(id=WallIds.ERROR, className="error"),
            html.Div(id=WallIds.CLIENT_ERROR, className="error hidden"),
            html.Div(id=WallIds.SOS_BANNER, className="sos-banners"),
            html.Div(id=WallIds.INCIDENTS, className="hidden"),  # JSON for wall.js
            html.Div(
                id=WallIds.CONFIG,
                className="hidden",
                **attrs({"data-shouwang-wall": json.dumps(config, ensure_ascii=False)}),
            ),
            html.Div(
                className="wall-body",
                children=[
                    dcc.Graph(
                        id=WallIds.MAP,
                        className="wall-map",
                        figure=figure,
                        config={
                            "displaylogo": False,
                            "plotGlPixelRatio": 1,
                            "scrollZoom": True,
                            "modeBarButtonsToRemove": ["toImage"],
                        },
                        style={"height": "100%"},
                    ),
                    html.Aside(
                        className="wall-side",
                        children=[
                            html.H2(t("wall.zones", lang)),
                            html.Div(id=WallIds.ZONES, children=zones),
                            html.P(t("wall.coverage_note", lang), className="note")
                            if src.coverage.available
                            else None,
                            html.H2(t("wall.alarms", lang)),
                            # Incidents (dispatch workflow) join the SOS alarms in this list.
                            html.Div(id=WallIds.ALARMS, children=alarms),
                            html.Div(id=WallIds.INCIDENT_LIST),
                            html.H2(t("wall.signal_lost", lang)),
                            html.Div(id=WallIds.SIGNAL_LOST, children=lost),
                        ],
                    ),
                ],
            ),
            dcc.Interval(id=WallIds.REFRESH, interval=SIDE_REFRESH_MS),
        ],
    )
