"""The coverage page's components: controls, map, tables, lists, messages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import dcc, html

from dashboard.coverage.charts import CoverageRow, station_pct, zone_names
from dashboard.coverage.figures import coverage_map
from dashboard.coverage.sources import RADIUS_RANGE_M, WALK_RANGE_MIN, CoverageSources
from dashboard.ids import CoverageIds, attrs
from shouwang.i18n import label, label_of, t
from shouwang.vocab import PREVENTABLE_KINDS, IncidentKind, UnitKind

DEFAULT_RADIUS_M, DEFAULT_WALK_MIN = 300, 3
DEFAULT_HEAT_MODE = "density"
GRAPH_CONFIG: dcc.Graph.Config = {"displayModeBar": False}  # the charts are read, not explored
MAP_CONFIG: dcc.Graph.Config = {
    "displaylogo": False,
    "scrollZoom": True,
    "plotGlPixelRatio": 1,
    "modeBarButtonsToRemove": ["toImage", "lasso2d", "select2d"],
}
#: Half-hour steps for the planned time of day.
TIMES = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)]


def _loading(children, lang: str, **kw) -> dcc.Loading:
    """A spinner with "计算中…" over the content while a callback runs (no blank flash)."""
    return dcc.Loading(
        children=children,
        type="circle",
        delay_show=250,
        overlay_style={"visibility": "visible", "opacity": 0.45},
        custom_spinner=html.Div(t("coverage.computing", lang), className="computing"),
        **kw,
    )


def _radio(component_id, options: list[tuple[str, str]], value: str, lang: str):
    return dcc.RadioItems(
        id=component_id,
        options=[{"label": t(key, lang), "value": v} for v, key in options],
        value=value,
        inline=True,
        className="cov-radio",
    )


def _field(label_key: str, control, lang: str, note: str | None = None) -> html.Div:
    children = [html.Label(t(label_key, lang), className="cov-label"), control]
    if note:
        children.append(html.Div(note, className="note"))
    return html.Div(className="cov-field", children=children)


def _now_slot(src: CoverageSources) -> str:
    now = datetime.fromtimestamp(src.clock(), ZoneInfo(src.tz))
    return f"{now.hour:02d}:{30 if now.minute >= 30 else 0:02d}"


def coverage_controls(src: CoverageSources, lang: str) -> list:
    """Reach (radius or walking minutes), time of day (live or planned HH:MM), method."""
    lo_m, hi_m = RADIUS_RANGE_M
    lo_w, hi_w = WALK_RANGE_MIN
    return [
        _field(
            "coverage.reach",
            _radio(
                CoverageIds.REACH,
                [("radius", "coverage.reach.radius"), ("walk", "coverage.reach.walk")],
                "radius",
                lang,
            ),
            lang,
        ),
        _field(
            "coverage.radius",
            dcc.Slider(
                id=CoverageIds.RADIUS,
                min=lo_m,
                max=hi_m,
                step=50,
                value=DEFAULT_RADIUS_M,
                marks={v: f"{v}" for v in (100, 300, 500, 750, 1000)},
                tooltip={"placement": "bottom", "always_visible": False},
            ),
            lang,
        ),
        _field(
            "coverage.walk",
            dcc.Slider(
                id=CoverageIds.WALK,
                min=lo_w,
                max=hi_w,
                step=1,
                value=DEFAULT_WALK_MIN,
                marks={v: f"{v}" for v in range(lo_w, hi_w + 1)},
                disabled=True,
            ),
            lang,
        ),
        html.Div(
            className="cov-row",
            children=[
                _field(
                    "coverage.when",
                    _radio(
                        CoverageIds.WHEN,
                        [("live", "coverage.when.live"), ("planned", "coverage.when.planned")],
                        "live",
                        lang,
                    ),
                    lang,
                ),
                _field(
                    "coverage.at",
                    dcc.Dropdown(
                        id=CoverageIds.AT,
                        options=TIMES,
                        value=_now_slot(src),
                        clearable=False,
                        disabled=True,
                        className="cov-time",
                    ),
                    lang,
                ),
                _field(
                    "coverage.method",
                    _radio(
                        CoverageIds.METHOD,
                        [("exact", "coverage.method.exact"), ("grid", "coverage.method.grid")],
                        "exact",
                        lang,
                    ),
                    lang,
                ),
            ],
        ),
    ]


def heat_controls(src: CoverageSources, lang: str) -> list:
    """Kinds (multi-select), period (dates, inclusive), hours of day (may wrap midnight)."""
    first, last = src.period
    hours_from = [{"label": f"{h:02d}:00", "value": h} for h in range(24)]
    hours_to = [{"label": f"{h:02d}:00", "value": h} for h in range(1, 25)]
    return [
        _field(
            "coverage.heat.kinds",
            dcc.Dropdown(
                id=CoverageIds.KINDS,
                options=[{"label": label(k, lang), "value": k.value} for k in PREVENTABLE_KINDS],
                value=[],
                multi=True,
                placeholder=t("coverage.heat.all_kinds", lang),
            ),
            lang,
        ),
        html.Div(
            className="cov-row",
            children=[
                _field(
                    "coverage.heat.period",
                    dcc.DatePickerRange(
                        id=CoverageIds.PERIOD,
                        start_date=first,
                        end_date=last,
                        display_format="YYYY-MM-DD",
                        first_day_of_week=1,
                        clearable=True,
                    ),
                    lang,
                ),
                _field(
                    "coverage.heat.hours",
                    html.Div(
                        className="cov-hours",
                        children=[
                            dcc.Dropdown(
                                id=CoverageIds.HOUR_FROM,
                                options=hours_from,
                                value=0,
                                clearable=False,
                            ),
                            html.Span("–"),
                            dcc.Dropdown(
                                id=CoverageIds.HOUR_TO, options=hours_to, value=24, clearable=False
                            ),
                        ],
                    ),
                    lang,
                    note=t("coverage.heat.hours_note", lang),
                ),
            ],
        ),
    ]


def coverage_table(rows: list[CoverageRow], lang: str) -> html.Table:
    """Per zone: covered %, gap area, zone area, guards within reach; then the station."""
    head = [
        "coverage.col.zone",
        "coverage.col.covered",
        "coverage.col.gap",
        "coverage.col.area",
        "coverage.col.guards",
    ]
    body = [
        html.Tr(
            [
                html.Td(
                    [html.Span(className="swatch", style={"background": r.colour}), r.name],
                    className="zone-name",
                ),
                html.Td(f"{r.covered_pct:.1f}%", className="pct"),
                html.Td(_area(r.gap_m2, lang)),
                html.Td(_area(r.area_m2, lang)),
                html.Td(str(r.n_guards)),
            ],
            **attrs({"data-zone": r.zone_id}),
        )
        for r in rows
    ]
    total = station_pct(rows)
    body.append(
        html.Tr(
            className="total",
            children=[
                html.Td(t("coverage.total", lang)),
                html.Td("–" if total is None else f"{total:.1f}%", className="pct"),
                html.Td(_area(sum(r.gap_m2 for r in rows), lang)),
                html.Td(_area(sum(r.area_m2 for r in rows), lang)),
                html.Td(""),
            ],
        )
    )
    return html.Table(
        className="zone-table cov-table",
        children=[html.Thead(html.Tr([html.Th(t(k, lang)) for k in head])), html.Tbody(body)],
    )


def _area(m2: float, lang: str) -> str:
    """Hectares read better than m² for zones of a few km² (1 公顷 = 10,000 m²)."""
    return f"{m2 / 10_000:.1f} {t('coverage.unit.ha', lang)}"


def coverage_summary(body: dict, lang: str) -> str:
    """One line: live or planned HH:MM, guards counted, the reach, the method."""
    params = body.get("params", {})
    n = len(body.get("guards", {}).get("ids", []))
    if body.get("source") == "planned":
        when = t("coverage.summary.planned", lang).format(at=body.get("at"), n=n)
    else:
        when = t("coverage.summary.live", lang).format(n=n)
    if params.get("walk_s") is not None:
        reach = t("coverage.summary.walk", lang).format(
            min=f"{params['walk_s'] / 60:g}", m=f"{params.get('reach_m', 0):.0f}"
        )
    else:
        reach = t("coverage.summary.radius", lang).format(m=f"{params.get('radius_m', 0):g}")
    method = t(f"coverage.method.{body.get('method', 'exact')}", lang)
    parts = [when, reach, method]
    if body.get("fallback"):
        parts.append(t("coverage.summary.fallback", lang))
    return " · ".join(parts)


def hot_units(top: list[dict], src: CoverageSources, lang: str) -> list:
    """The compounds/units with most cases, each a button that zooms the map to it."""
    if not top:
        return [html.Div(t("coverage.heat.no_cases", lang), className="quiet")]
    names = dict(
        zip(
            src.units["unit_id"].astype(str),
            src.units["name_zh" if lang == "zh" else "name_en"].astype(str),
            strict=True,
        )
    )
    zones = zone_names(src.zones, lang)
    items = []
    for r in top:
        uid = str(r["unit_id"])
        kind = label_of(UnitKind, r.get("kind"), lang)
        items.append(
            html.Li(
                html.Button(
                    id={"type": CoverageIds.HOT_UNIT, "unit": uid},
                    className="hot-unit",
                    n_clicks=0,
                    title=t("coverage.heat.zoom", lang),
                    children=[
                        html.Span(f"{int(r['rank'])}", className="rank"),
                        html.Span(names.get(uid, r.get("name_zh", uid)), className="who"),
                        html.Span(
                            f"{zones.get(str(r.get('zone_id')), '')} · {kind}", className="where"
                        ),
                        html.Span(
                            f"{int(r['count'])} {t('coverage.unit.cases', lang)}", className="n"
                        ),
                    ],
                ),
                **attrs({"data-unit": uid}),
            )
        )
    return [html.Ol(items, className="hot-units")]


def problems_box(problems: list[dict[str, str]], lang: str) -> html.Div:
    """Every problem with the controls at once, readable."""
    return html.Div(
        className="error-box cov-problems",
        role="alert",
        children=[
            html.Strong(t("coverage.bad_input", lang)),
            html.Ul([html.Li(f"{p['field']}: {p['problem']}") for p in problems]),
        ],
    )


def coverage_layout(src: CoverageSources, lang: str) -> html.Div:
    """The whole page below the top bar: the map on the left, the review panel on the right."""
    figure = coverage_map(
        src.base,
        None,
        None,
        "off",
        project=src.project,
        centre=src.centre,
        zoom=src.zoom,
        lang=lang,
        tiles_url=src.tiles_url,
    )
    heat_modes = [
        ("off", "coverage.heat.off"),
        ("density", "coverage.heat.density"),
        ("hexagons", "coverage.heat.hexagons"),
    ]
    response_kinds = [{"label": label(k, lang), "value": k.value} for k in IncidentKind]
    return html.Div(
        className="coverage",
        children=[
            dcc.Store(id=CoverageIds.COVERAGE_DATA),
            dcc.Store(id=CoverageIds.HEAT_DATA),
            dcc.Store(id=CoverageIds.FOCUS, data={"unit": None, "n": 0}),
            html.Div(
                className="coverage-mapcol",
                children=[
                    html.Div(
                        className="coverage-mapbar",
                        children=[
                            html.Span(t("coverage.heat.layer", lang), className="cov-label"),
                            _radio(CoverageIds.HEAT_MODE, heat_modes, DEFAULT_HEAT_MODE, lang),
                            html.Span(
                                className="map-key",
                                children=[
                                    html.Span(className="swatch gap"),
                                    t("coverage.map.gaps", lang),
                                ],
                            ),
                            html.Button(
                                t("coverage.map.reset", lang),
                                id=CoverageIds.RESET,
                                className="cov-button",
                            ),
                        ],
                    ),
                    html.Div(id=CoverageIds.MAP_ERROR),
                    _loading(
                        dcc.Graph(
                            id=CoverageIds.MAP,
                            figure=figure,
                            className="coverage-map",
                            config=MAP_CONFIG,
                            style={"height": "100%"},
                        ),
                        lang=lang,
                        parent_className="coverage-map-wrap",
                    ),
                ],
            ),
            html.Aside(
                className="coverage-side",
                children=[
                    html.H2(t("coverage.section.coverage", lang)),
                    *coverage_controls(src, lang),
                    html.Div(id=CoverageIds.STATUS, className="cov-status"),
                    _loading(
                        [
                            html.Div(id=CoverageIds.TABLE),
                            dcc.Graph(
                                id=CoverageIds.BAR, config=GRAPH_CONFIG, style={"height": "260px"}
                            ),
                        ],
                        lang=lang,
                    ),
                    html.P(t("coverage.note", lang), className="note"),
                    html.H2(t("coverage.section.heat", lang)),
                    *heat_controls(src, lang),
                    html.Div(id=CoverageIds.HEAT_STATUS, className="cov-status"),
                    _loading(
                        [
                            html.H3(t("coverage.heat.top", lang)),
                            html.Div(id=CoverageIds.TOP_UNITS),
                            html.H3(t("coverage.heat.share", lang)),
                            dcc.Graph(
                                id=CoverageIds.SHARE, config=GRAPH_CONFIG, style={"height": "360px"}
                            ),
                        ],
                        lang=lang,
                    ),
                    html.H2(t("coverage.section.response", lang)),
                    _field(
                        "coverage.response.kinds",
                        dcc.Dropdown(
                            id=CoverageIds.RESPONSE_KINDS,
                            options=response_kinds,
                            value=[],
                            multi=True,
                            placeholder=t("coverage.heat.all_kinds", lang),
                        ),
                        lang,
                    ),
                    html.Div(id=CoverageIds.RESPONSE_STATUS, className="cov-status"),
                    _loading(
                        html.Div(
                            id=CoverageIds.RESPONSE_WRAP,
                            children=dcc.Graph(
                                id=CoverageIds.RESPONSE,
                                config=GRAPH_CONFIG,
                                style={"height": "460px"},
                            ),
                        ),
                        lang=lang,
                    ),
                    html.P(t("coverage.response.note", lang), className="note"),
                ],
            ),
        ],
    )
