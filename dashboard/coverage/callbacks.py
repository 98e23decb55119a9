"""The coverage page's server callbacks.

Each callback is a thin wrapper around a module-level function of the
sources and the control values (``update_coverage``, ``update_heat``,
``update_focus``, ``draw_map``, ``update_response``), so tests call them with
the real app context. Errors never blank the page: bad control values show
every problem together, anything else a readable message (the log has the
trace), and the last good figures stay.
"""

from __future__ import annotations

import logging

import dash
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, html

from dashboard.coverage.charts import (
    coverage_bar,
    coverage_rows,
    response_count,
    response_figure,
    share_figure,
    zone_names,
)
from dashboard.coverage.figures import coverage_map
from dashboard.coverage.layout import coverage_summary, coverage_table, hot_units, problems_box
from dashboard.coverage.sources import CoverageSources, PageInputError, coverage_query, heat_query
from dashboard.ids import CoverageIds, Ids
from dashboard.pages import error_box
from geo.coverage import CoverageInputError
from geo.heat import HeatInputError
from shouwang.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

log = logging.getLogger(__name__)
NO = dash.no_update
INPUT_ERRORS = (PageInputError, CoverageInputError, HeatInputError)


def _lang(lang) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def update_coverage(src: CoverageSources, reach, radius_m, walk_min, when, at, method, lang):
    """(coverage data, zone table, bar figure, status line) for the controls' values."""
    lang = _lang(lang)
    try:
        body = src.coverage(coverage_query(reach, radius_m, walk_min, when, at, method))
    except INPUT_ERRORS as exc:
        return NO, NO, NO, problems_box(exc.problems, lang)
    except Exception as exc:  # readable, and the last good figures stay
        log.exception("coverage failed")
        return NO, NO, NO, error_box(lang, exc)
    rows = coverage_rows(body["zones"], zone_names(src.zones, lang))
    return body, coverage_table(rows, lang), coverage_bar(rows, lang), coverage_summary(body, lang)


def heat_summary(heat: dict, query: dict, lang: str) -> str:
    """The "N cases · period · hours" of the current heat filters."""
    parts = [t("coverage.heat.n_cases", lang).format(n=heat["n_incidents"])]
    f = heat.get("filters") or {}
    if f.get("from") or f.get("to"):
        parts.append(f"{(f.get('from') or '…')[:10]} – {query['end_shown'] or '…'}")
    if query.get("hours"):
        a, b = query["hours"]
        parts.append(f"{a:02d}:00–{b % 24:02d}:00")
    return " · ".join(parts)


def update_heat(src: CoverageSources, kinds, start_date, end_date, hour_from, hour_to, lang):
    """(heat data for the map, hot-unit list, per-zone share figure, status line)."""
    lang = _lang(lang)
    try:
        query = heat_query(kinds, start_date, end_date, hour_from, hour_to)
        heat = src.heat(query)
    except INPUT_ERRORS as exc:
        return NO, NO, NO, problems_box(exc.problems, lang)
    except Exception as exc:
        log.exception("heat failed")
        return NO, NO, NO, error_box(lang, exc)
    data = {k: heat[k] for k in ("n_incidents", "density", "hexagons")}
    summary = heat_summary(heat, {**query, "end_shown": end_date and str(end_date)[:10]}, lang)
    share = share_figure(heat["zones"], zone_names(src.zones, lang), lang)
    return data, hot_units(heat["top_units"], src, lang), share, summary


def update_focus(src: CoverageSources, triggered_id, triggered_value, focus: dict | None):
    """The map's focus after a click: a hot unit (zoom to it) or the reset button (all zones).

    Buttons created by a new list arrive with ``n_clicks`` 0 or None: not a click.
    """
    if not triggered_value:
        return NO
    n = int((focus or {}).get("n", 0)) + 1
    if isinstance(triggered_id, dict) and triggered_id.get("type") == CoverageIds.HOT_UNIT:
        unit = str(triggered_id.get("unit"))
        return {"unit": unit if unit in src.unit_views else None, "n": n}
    if triggered_id == CoverageIds.RESET:
        return {"unit": None, "n": n}
    return NO


def draw_map(src: CoverageSources, coverage, heat, heat_mode, focus, lang) -> go.Figure:
    """The map from the last coverage and heat results, centred on the focused unit if any."""
    lang = _lang(lang)
    focus = focus or {}
    unit = focus.get("unit")
    centre, zoom = src.unit_views[unit] if unit in src.unit_views else (src.centre, src.zoom)
    return coverage_map(
        src.base,
        coverage,
        heat,
        heat_mode or "off",
        project=src.project,
        centre=centre,
        zoom=zoom,
        revision=f"view-{focus.get('n', 0)}",
        focus=src.unit_outlines.get(unit) if unit else None,
        lang=lang,
        tiles_url=src.tiles_url,
    )


def update_response(src: CoverageSources, kinds, lang):
    """(response figure, class of its wrapper, status): the empty state when nothing was sent."""
    lang = _lang(lang)
    try:
        stats = src.response_times(list(kinds or []))
    except Exception as exc:
        log.exception("response times failed")
        return NO, NO, error_box(lang, exc)
    n = response_count(stats)
    if n == 0:
        return (
            go.Figure(),
            "hidden",
            html.Div(t("coverage.response.empty", lang), className="quiet"),
        )
    figure = response_figure(stats, zone_names(src.zones, lang), lang)
    return figure, "", t("coverage.response.n", lang).format(n=n)


def register_callbacks(app: dash.Dash, src: CoverageSources) -> None:
    @app.callback(
        Output(CoverageIds.RADIUS, "disabled"),
        Output(CoverageIds.WALK, "disabled"),
        Output(CoverageIds.AT, "disabled"),
        Input(CoverageIds.REACH, "value"),
        Input(CoverageIds.WHEN, "value"),
    )
    def toggle_controls(reach, when):
        return reach != "radius", reach != "walk", when != "planned"

    @app.callback(
        Output(CoverageIds.COVERAGE_DATA, "data"),
        Output(CoverageIds.TABLE, "children"),
        Output(CoverageIds.BAR, "figure"),
        Output(CoverageIds.STATUS, "children"),
        Input(CoverageIds.REACH, "value"),
        Input(CoverageIds.RADIUS, "value"),
        Input(CoverageIds.WALK, "value"),
        Input(CoverageIds.WHEN, "value"),
        Input(CoverageIds.AT, "value"),
        Input(CoverageIds.METHOD, "value"),
        State(Ids.LANG, "data"),
    )
    def coverage_cb(reach, radius_m, walk_min, when, at, method, lang):
        return update_coverage(src, reach, radius_m, walk_min, when, at, method, lang)

    @app.callback(
        Output(CoverageIds.HEAT_DATA, "data"),
        Output(CoverageIds.TOP_UNITS, "children"),
        Output(CoverageIds.SHARE, "figure"),
        Output(CoverageIds.HEAT_STATUS, "children"),
        Input(CoverageIds.KINDS, "value"),
        Input(CoverageIds.PERIOD, "start_date"),
        Input(CoverageIds.PERIOD, "end_date"),
        Input(CoverageIds.HOUR_FROM, "value"),
        Input(CoverageIds.HOUR_TO, "value"),
        State(Ids.LANG, "data"),
    )
    def heat_cb(kinds, start_date, end_date, hour_from, hour_to, lang):
        return update_heat(src, kinds, start_date, end_date, hour_from, hour_to, lang)

    @app.callback(
        Output(CoverageIds.FOCUS, "data"),
        Input({"type": CoverageIds.HOT_UNIT, "unit": ALL}, "n_clicks"),
        Input(CoverageIds.RESET, "n_clicks"),
        State(CoverageIds.FOCUS, "data"),
        prevent_initial_call=True,
    )
    def focus_cb(_units, _reset, focus):
        trig = dash.ctx.triggered
        value = trig[0]["value"] if trig else None
        return update_focus(src, dash.ctx.triggered_id, value, focus)

    @app.callback(
        Output(CoverageIds.MAP, "figure"),
        Output(CoverageIds.MAP_ERROR, "children"),
        Input(CoverageIds.COVERAGE_DATA, "data"),
        Input(CoverageIds.HEAT_DATA, "data"),
        Input(CoverageIds.HEAT_MODE, "value"),
        Input(CoverageIds.FOCUS, "data"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def map_cb(coverage, heat, heat_mode, focus, lang):
        try:
            return draw_map(src, coverage, heat, heat_mode, focus, lang), None
        except Exception as exc:  # keep the last map, say what failed
            log.exception("coverage map failed")
            return NO, error_box(_lang(lang), exc)

    @app.callback(
        Output(CoverageIds.RESPONSE, "figure"),
        Output(CoverageIds.RESPONSE_WRAP, "className"),
        Output(CoverageIds.RESPONSE_STATUS, "children"),
        Input(CoverageIds.RESPONSE_KINDS, "value"),
        State(Ids.LANG, "data"),
    )
    def response_cb(kinds, lang):
        return update_response(src, kinds, lang)
