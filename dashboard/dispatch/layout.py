"""The dispatch console's components: new-incident form, map, incident work, field operations."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dash import dcc, html

from dashboard.dispatch.figures import dispatch_figure
from dashboard.dispatch.panels import incident_options, kind_label, sos_panel
from dashboard.dispatch.sources import DispatchSources
from dashboard.ids import DispatchIds as D
from dashboard.ids import attrs
from shouwang.i18n import t
from shouwang.vocab import IncidentKind

#: Live refresh of the incident panels (the service is read in-process; see callbacks).
TICK_MS = 1000
#: Guards and incidents on the console map.
MAP_TICK_MS = 3000


def dispatch_header(lang: str) -> list:
    """The dispatcher's name, kept in the browser (local storage) until login exists."""
    return [
        html.Label(
            className="actor",
            children=[
                html.Span(t("dispatch.actor", lang)),
                dcc.Input(
                    id=D.ACTOR,
                    type="text",
                    maxLength=100,
                    placeholder=t("dispatch.actor.placeholder", lang),
                    persistence=True,
                    persistence_type="local",
                    debounce=False,
                ),
            ],
        )
    ]


def _section(title_key: str, lang: str, *children, cls: str = "") -> html.Section:
    return html.Section(
        className=f"panel {cls}".strip(), children=[html.H3(t(title_key, lang)), *children]
    )


def new_incident_form(src: DispatchSources, lang: str) -> html.Section:
    return _section(
        "dispatch.new",
        lang,
        html.Div(t("dispatch.new.hint", lang), className="hint"),
        dcc.Dropdown(
            id=D.PLACE,
            options=[{"label": p.label, "value": p.value} for p in src.places],
            placeholder=t("dispatch.place.placeholder", lang),
            searchable=True,
            clearable=True,
            className="place",
        ),
        html.Div(id=D.POINT_TEXT, className="point-text", children=t("dispatch.no_point", lang)),
        html.Div(t("dispatch.kind", lang), className="label"),
        dcc.RadioItems(
            id=D.KIND,
            options=[{"label": kind_label(k, lang), "value": k.value} for k in IncidentKind],
            className="kinds",
            inputClassName="kind-input",
        ),
        html.Div(
            className="row",
            children=[
                html.Span(t("dispatch.priority", lang), className="label"),
                dcc.RadioItems(
                    id=D.PRIORITY,
                    options=[{"label": f"P{p}", "value": p} for p in (1, 2, 3, 4, 5)],
                    value=3,
                    inline=True,
                    className="prios",
                ),
            ],
        ),
        dcc.Textarea(
            id=D.DESCRIPTION,
            placeholder=t("dispatch.description", lang),
            maxLength=2000,
            className="description",
        ),
        html.Button(t("dispatch.create", lang), id=D.CREATE, className="btn"),
    )


def candidates_section(lang: str) -> html.Section:
    return _section(
        "dispatch.candidates",
        lang,
        html.Div(id=D.CANDS_TARGET, className="muted", children=t("dispatch.cand.none", lang)),
        html.Div(
            className="row",
            children=[
                dcc.RadioItems(
                    id=D.MODE,
                    options=[
                        {"label": t("dispatch.mode.walk", lang), "value": "walk"},
                        {"label": t("dispatch.mode.line", lang), "value": "line"},
                    ],
                    value="walk",
                    inline=True,
                    className="modes",
                ),
                html.Button(t("dispatch.cand.refresh", lang), id=D.RECANDS, className="btn small"),
            ],
        ),
        dcc.Checklist(id=D.PICK, options=[], value=[], className="cands"),
        html.Div(id=D.CANDS_NOTE, className="muted"),
        html.Button(t("dispatch.send", lang), id=D.SEND, className="btn go"),
    )


def incident_section(lang: str) -> html.Section:
    return _section(
        "dispatch.selected",
        lang,
        html.Div(id=D.DETAIL),
        html.Div(
            className="row end",
            children=[
                html.Button(t("dispatch.close", lang), id=D.CLOSE, className="btn"),
                html.Button(t("dispatch.cancel", lang), id=D.CANCEL, className="btn danger"),
            ],
        ),
    )


def reinforcement_section(lang: str) -> html.Section:
    return _section(
        "dispatch.rf",
        lang,
        html.Div(
            className="row",
            children=[
                dcc.RadioItems(
                    id=D.RF_HOW,
                    options=[
                        {"label": t("dispatch.rf.radius", lang), "value": "radius"},
                        {"label": t("dispatch.rf.walk", lang), "value": "walk"},
                    ],
                    value="walk",
                    inline=True,
                ),
                dcc.Input(id=D.RF_VALUE, type="number", min=1, max=10000, value=5, className="num"),
            ],
        ),
        html.Div(
            className="row",
            children=[
                dcc.RadioItems(
                    id=D.RF_SCOPE,
                    options=[
                        {"label": t("dispatch.rf.zone", lang), "value": "zone"},
                        {"label": t("dispatch.rf.all", lang), "value": "all"},
                    ],
                    value="zone",
                    inline=True,
                ),
                html.Button(t("dispatch.rf.start", lang), id=D.RF_START, className="btn"),
            ],
        ),
        html.Div(id=D.RF_RESULT),
    )


def rollcall_section(src: DispatchSources, lang: str) -> html.Section:
    zones = src.zone_names(lang)
    return _section(
        "dispatch.rc",
        lang,
        html.Div(
            className="row",
            children=[
                dcc.Dropdown(
                    id=D.RC_ZONE,
                    options=[{"label": t("dispatch.rc.all", lang), "value": "ALL"}]
                    + [{"label": n, "value": z} for z, n in zones.items()],
                    value="ALL",
                    clearable=False,
                    searchable=False,
                    className="zone-pick",
                ),
                html.Button(t("dispatch.rc.start", lang), id=D.RC_START, className="btn"),
            ],
        ),
        html.Div(id=D.RC_RESULT),
    )


def export_links(src: DispatchSources, lang: str) -> html.Section:
    today = datetime.fromtimestamp(src.clock(), ZoneInfo(src.tz)).date()
    week = (today - timedelta(days=6)).isoformat()
    base = "/api/v1/incidents/export"
    links = [
        ("dispatch.export.today_csv", f"{base}.csv?from={today.isoformat()}"),
        ("dispatch.export.week_csv", f"{base}.csv?from={week}"),
        ("dispatch.export.week_geojson", f"{base}.geojson?from={week}"),
    ]
    return _section(
        "dispatch.export",
        lang,
        html.Div(
            className="exports",
            children=[
                html.A(t(k, lang), href=href, target="_blank", id=f"{D.EXPORT}-{i}")
                for i, (k, href) in enumerate(links)
            ],
        ),  # fmt: skip
    )


def dispatch_layout(src: DispatchSources, lang: str) -> html.Div:
    """The whole console below the top bar."""
    now = src.clock()
    states = src.states()
    incidents = src.open_incidents()
    zones = src.zone_names(lang)
    figure = dispatch_figure(
        src.base, states, incidents, project=src.project, centre=src.centre, zoom=src.zoom,
        lang=lang, tiles_url=src.tiles_url,
    )  # fmt: skip
    sos = [i for i in incidents if i.get("source") == "sos"]
    config = {"lang": lang, "mapId": D.MAP.value, "clickId": D.CLICK.value}
    return html.Div(
        className="dispatch",
        children=[
            html.Div(id=D.ERROR, className="error"),
            html.Div(id=D.MESSAGE, className="dsp-message", role="status"),
            html.Div(
                id=D.CONFIG,
                className="hidden",
                **attrs({"data-shouwang-dispatch": json.dumps(config, ensure_ascii=False)}),
            ),
            dcc.Store(id=D.CLICK),
            dcc.Store(id=D.POINT),
            dcc.Store(id=D.CANDS),
            dcc.Store(id=D.SIG, data={}),
            dcc.Store(id=D.OPS_SIG, data={}),
            dcc.Store(id=D.BUMP, data=0),
            dcc.Store(id=D.CANDS_BUMP, data=0),
            dcc.Store(id=D.CLOCK, data=now),
            dcc.Store(id=D.CLOCK_SINK),
            dcc.Store(id=D.RF_ID),
            dcc.Store(id=D.RC_ID),
            html.Div(
                className="dsp-body",
                children=[
                    html.Aside(
                        className="dsp-left",
                        children=[
                            _section(
                                "dispatch.sos",
                                lang,
                                html.Div(id=D.SOS, children=sos_panel(sos, now, lang)),
                                cls="sos-panel",
                            ),
                            _section(
                                "dispatch.open",
                                lang,
                                dcc.RadioItems(
                                    id=D.INCIDENTS,
                                    options=incident_options(incidents, zones, now, lang),
                                    value=None,
                                    className="inc-list",
                                ),
                                html.Div(id=D.LIST_EMPTY, className="quiet"),
                            ),
                            new_incident_form(src, lang),
                            export_links(src, lang),
                        ],
                    ),
                    dcc.Graph(
                        id=D.MAP,
                        className="dsp-map",
                        figure=figure,
                        config={
                            "displaylogo": False,
                            "scrollZoom": True,
                            "modeBarButtonsToRemove": ["toImage"],
                        },
                        style={"height": "100%"},
                    ),  # fmt: skip
                    html.Aside(
                        className="dsp-right",
                        children=[
                            candidates_section(lang),
                            incident_section(lang),
                            reinforcement_section(lang),
                            rollcall_section(src, lang),
                        ],
                    ),
                ],
            ),
            dcc.Interval(id=D.TICK, interval=TICK_MS),
            dcc.Interval(id=D.MAP_TICK, interval=MAP_TICK_MS),
        ],
    )
