"""Live refresh of the console: a one-second tick reading the dispatch service in-process.

Chosen over relaying Socket.IO events to this page: the service is in the
same process, a read of the open incidents is a few small SQL queries, and a
tick cannot miss an event (a reconnecting socket can). Each panel is
re-rendered only when what it shows changed (:func:`figures.signature`, the
ticking timers left out); between renders ``assets/dispatch.js`` counts the
timers up from the server clock sent with every tick. The map gets its
guards and incidents patched in place every three seconds and is rebuilt
only when the candidates or the selection change.
"""

from __future__ import annotations

import logging

import dash
from dash import Input, Output, Patch, State

from dashboard.dispatch.figures import TRACE, dispatch_figure, guard_data, incident_data, signature
from dashboard.dispatch.panels import incident_detail, incident_options, sos_panel
from dashboard.dispatch.sources import DispatchSources
from dashboard.ids import DispatchIds as D
from dashboard.ids import Ids
from shouwang.i18n import DEFAULT_LANGUAGE, t

log = logging.getLogger(__name__)
_NO = dash.no_update


def live_panels(src: DispatchSources, selected: str | None, previous: dict, lang: str) -> tuple:
    """(list options, empty note, detail, SOS panel, signatures, server clock) — no_update
    for every panel whose signature is unchanged."""
    now = src.clock()
    incidents = src.open_incidents()
    detail = None
    if selected:
        detail = next((i for i in incidents if i["incident_id"] == selected), None)
        try:  # with its timeline (closed ones too: the dispatcher sees how it ended)
            detail = src.dispatch.get(selected)
        except Exception:
            log.warning("selected incident %s not readable", selected, exc_info=True)
    sos = [i for i in incidents if i.get("source") == "sos"]
    sigs = {
        "list": signature(lang, incidents),
        "detail": signature(lang, selected, detail),
        # The SOS level rises every SOS_ESCALATE_S: only whether it escalated is shown.
        "sos": signature(lang, [{**i, "sos": {**i["sos"], "level": None}} for i in sos]),
    }
    previous = previous or {}
    zones = src.zone_names(lang)
    changed = {k: sigs[k] != previous.get(k) for k in sigs}
    return (
        incident_options(incidents, zones, now, lang) if changed["list"] else _NO,
        (t("dispatch.list.none", lang) if not incidents else "") if changed["list"] else _NO,
        incident_detail(detail, zones, now, src.tz, lang) if changed["detail"] else _NO,
        sos_panel(sos, now, lang) if changed["sos"] else _NO,
        sigs,
        now,
    )


def register_live(app: dash.Dash, src: DispatchSources) -> None:
    @app.callback(
        Output(D.INCIDENTS, "options"),
        Output(D.LIST_EMPTY, "children"),
        Output(D.DETAIL, "children"),
        Output(D.SOS, "children"),
        Output(D.SIG, "data"),
        Output(D.CLOCK, "data"),
        Output(D.ERROR, "children"),
        Input(D.TICK, "n_intervals"),
        Input(D.BUMP, "data"),
        Input(D.INCIDENTS, "value"),
        State(D.SIG, "data"),
        State(Ids.LANG, "data"),
    )
    def refresh(_n, _bump, selected, previous, lang):
        lang = lang or DEFAULT_LANGUAGE
        try:
            return (*live_panels(src, selected, previous, lang), "")
        except Exception as exc:  # keep the last panels, say what is wrong
            log.exception("dispatch console refresh failed")
            return (_NO,) * 6 + (f"{t('error.load', lang)}{exc}",)

    # The browser's timers count from the server clock, not the browser's.
    app.clientside_callback(
        "function(now) { if (window.shouwangDispatch) { window.shouwangDispatch.sync(now); }"
        " return window.dash_clientside.no_update; }",
        Output(D.CLOCK_SINK, "data"),
        Input(D.CLOCK, "data"),
    )

    # Two callbacks, not one: a tick arriving while a rebuild is in flight would make
    # Dash drop the rebuild's answer (the routes) for the newer patch.
    @app.callback(
        Output(D.MAP, "figure"),
        Input(D.CANDS, "data"),
        Input(D.POINT, "data"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def redraw(cands, point, lang):
        lang = lang or DEFAULT_LANGUAGE
        try:
            target = (cands or {}).get("target")
            return dispatch_figure(
                src.base, src.states(), src.open_incidents(), project=src.project,
                centre=src.centre, zoom=src.zoom, routes=(cands or {}).get("routes") or [],
                selected=target, point=point if not (target and target.get("incident_id")) else None,
                lang=lang, tiles_url=src.tiles_url,
            )  # fmt: skip
        except Exception:  # the map keeps its last state; the panels say what is wrong
            log.exception("dispatch map redraw failed")
            return _NO

    @app.callback(
        Output(D.MAP, "figure", allow_duplicate=True),
        Input(D.MAP_TICK, "n_intervals"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def refresh_map(_n, lang):
        try:
            return patch_live(src, src.open_incidents(), lang or DEFAULT_LANGUAGE)
        except Exception:
            log.exception("dispatch map refresh failed")
            return _NO


def patch_live(src: DispatchSources, incidents: list[dict], lang: str) -> Patch:
    """Only the guards' and incidents' marker data (the view and the routes stay)."""
    patch = Patch()
    for trace, data in (
        (TRACE["guards"], guard_data(src.states(), src.project, lang)),
        (TRACE["incidents"], incident_data(incidents, src.project)),
    ):
        patch["data"][trace]["lon"] = data["lon"]
        patch["data"][trace]["lat"] = data["lat"]
        patch["data"][trace]["customdata"] = data["customdata"]
        patch["data"][trace]["marker"]["color"] = data["color"]
    return patch
