"""The console's workflow callbacks: place, candidates, send, steps, close, SOS ownership.

Every button calls a function of :mod:`dashboard.dispatch.actions` (the
in-process services) and shows its :class:`~dashboard.dispatch.actions.Outcome`
in the message bar. After an action the live panels are refreshed at once
(``BUMP``) and, when guards were taken or freed, the candidate list too
(``CANDS_BUMP``); otherwise the one-second tick of :mod:`dashboard.dispatch.live`
keeps them current.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import dash
from dash import ALL, Input, Output, State, html

from dashboard.dispatch import actions
from dashboard.dispatch.live import register_live
from dashboard.dispatch.ops import register_ops
from dashboard.dispatch.panels import OFFER, SOS_ACK, STEP, candidate_options
from dashboard.dispatch.sources import DispatchSources
from dashboard.ids import DispatchIds as D
from dashboard.ids import Ids
from shouwang.i18n import DEFAULT_LANGUAGE, t

log = logging.getLogger(__name__)
_NO = dash.no_update


def clicked_id() -> Any:
    """The id of the button that was really clicked (None for a re-render of the panel)."""
    trig = dash.ctx.triggered
    if not trig or not trig[0].get("value"):
        return None
    return dash.ctx.triggered_id


def message(outcome: actions.Outcome) -> html.Div:
    return html.Div(outcome.message, className="ok" if outcome.ok else "err", role="alert")


def point_text(src: DispatchSources, point: dict | None, lang: str) -> str:
    if not point:
        return t("dispatch.no_point", lang)
    where = " ".join(
        x for x in (src.zone_names(lang).get(point.get("zone_id") or "", ""), point.get("unit_id"))
        if x
    ) or t("dispatch.outside", lang)  # fmt: skip
    label = point.get("label") or f"{point['lon']:.6f}, {point['lat']:.6f}"
    return f"{t('dispatch.point', lang)}{label} · {where}"


def candidate_target(src: DispatchSources, selected: str | None, point: dict | None) -> dict | None:
    """Where the candidates are ranked for: the selected incident, else the new place."""
    if selected:
        try:
            inc = src.dispatch.get(selected, timeline=False)
        except Exception:  # gone: nothing to rank for
            return None
        if inc["status"] in ("closed", "cancelled"):
            return None
        return {"incident_id": selected, "lon": inc["lon"], "lat": inc["lat"]}
    if point:
        return {"incident_id": None, "lon": point["lon"], "lat": point["lat"]}
    return None


def candidate_panel(src: DispatchSources, target: dict | None, mode: str, lang: str) -> tuple:
    """(store data, options, preselected ids, target text, note, send-button label)."""
    if target is None:
        return (None, [], [], t("dispatch.cand.none", lang), "", t("dispatch.send", lang))
    found = src.candidates(target["lon"], target["lat"], mode=mode or "walk")
    rows = found["rows"]
    data = {"target": target, **found}
    head = (
        t("dispatch.cand.for_incident", lang).format(id=target["incident_id"])
        if target["incident_id"]
        else t("dispatch.cand.for_point", lang)
    )
    mode_note = t(f"dispatch.mode.note.{found['mode']}", lang)
    note = t("dispatch.cand.nobody", lang) if not rows else mode_note
    send_label = t("dispatch.send" if target["incident_id"] else "dispatch.create_send", lang)
    picked = [rows[0]["guard_id"]] if rows else []
    return data, candidate_options(rows, lang), picked, head, note, send_label


def register_callbacks(app: dash.Dash, src: DispatchSources) -> None:
    register_live(app, src)
    register_ops(app, src)
    lang_state = State(Ids.LANG, "data")

    @app.callback(
        Output(D.POINT, "data"),
        Output(D.INCIDENTS, "value", allow_duplicate=True),
        Input(D.CLICK, "data"),
        prevent_initial_call=True,
    )
    def on_map_click(click):
        if not click or click.get("lon") is None:
            return _NO, _NO
        lon, lat = src.to_wgs84(float(click["lon"]), float(click["lat"]))
        zone, unit = src.dispatch.places.locate(lon, lat)
        point = {"lon": round(lon, 7), "lat": round(lat, 7), "zone_id": zone, "unit_id": unit}
        return point, None

    @app.callback(
        Output(D.POINT, "data", allow_duplicate=True),
        Output(D.INCIDENTS, "value", allow_duplicate=True),
        Input(D.PLACE, "value"),
        prevent_initial_call=True,
    )
    def on_place(value):
        place = src.place(value)
        if place is None:
            return _NO, _NO
        zone, unit = src.dispatch.places.locate(place.lon, place.lat)
        point = {"lon": place.lon, "lat": place.lat, "zone_id": zone, "unit_id": unit,
                 "label": place.label}  # fmt: skip
        return point, None

    @app.callback(Output(D.POINT_TEXT, "children"), Input(D.POINT, "data"), lang_state)
    def show_point(point, lang):
        return point_text(src, point, lang or DEFAULT_LANGUAGE)

    @app.callback(
        Output(D.CANDS, "data"),
        Output(D.PICK, "options"),
        Output(D.PICK, "value"),
        Output(D.CANDS_TARGET, "children"),
        Output(D.CANDS_NOTE, "children"),
        Output(D.SEND, "children"),
        Input(D.INCIDENTS, "value"),
        Input(D.POINT, "data"),
        Input(D.MODE, "value"),
        Input(D.RECANDS, "n_clicks"),
        Input(D.CANDS_BUMP, "data"),
        lang_state,
    )
    def rank(selected, point, mode, _clicks, _bump, lang):
        lang = lang or DEFAULT_LANGUAGE
        try:
            return candidate_panel(src, candidate_target(src, selected, point), mode, lang)
        except Exception as exc:  # say what failed; keep the page
            log.exception("ranking candidates failed")
            return None, [], [], f"{t('error.load', lang)}{exc}", "", t("dispatch.send", lang)

    def done(outcome: actions.Outcome, *, select: bool = False, recands: bool = False):
        now = time.time()
        return (
            message(outcome),
            outcome.incident_id if select and outcome.incident_id else _NO,
            now if recands or outcome.refresh_candidates else _NO,
            now,
        )

    outputs = (
        Output(D.MESSAGE, "children", allow_duplicate=True),
        Output(D.INCIDENTS, "value", allow_duplicate=True),
        Output(D.CANDS_BUMP, "data", allow_duplicate=True),
        Output(D.BUMP, "data", allow_duplicate=True),
    )

    @app.callback(
        *outputs,
        Input(D.SEND, "n_clicks"),
        State(D.PICK, "value"),
        State(D.CANDS, "data"),
        State(D.POINT, "data"),
        State(D.KIND, "value"),
        State(D.PRIORITY, "value"),
        State(D.DESCRIPTION, "value"),
        State(D.ACTOR, "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def on_send(clicks, picked, cands, point, kind, priority, description, actor, lang):
        if not clicks:
            return (_NO,) * 4
        lang = lang or DEFAULT_LANGUAGE
        target = (cands or {}).get("target") or {}
        outcome = actions.send(
            src, actor, lang, picked, incident_id=target.get("incident_id"),
            point=point if not target.get("incident_id") else None,
            kind=kind, priority=priority, description=description,
        )  # fmt: skip
        return done(outcome, select=True)

    @app.callback(
        *outputs,
        Input(D.CREATE, "n_clicks"),
        State(D.POINT, "data"),
        State(D.KIND, "value"),
        State(D.PRIORITY, "value"),
        State(D.DESCRIPTION, "value"),
        State(D.ACTOR, "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def on_create(clicks, point, kind, priority, description, actor, lang):
        if not clicks:
            return (_NO,) * 4
        lang = lang or DEFAULT_LANGUAGE
        outcome = actions.create_incident(src, actor, lang, point, kind, priority, description)
        return done(outcome, select=True)

    @app.callback(
        *outputs,
        Input({"type": STEP, "aid": ALL, "to": ALL}, "n_clicks"),
        State(D.ACTOR, "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def on_step(_clicks, actor, lang):
        which = clicked_id()
        if which is None:
            return (_NO,) * 4
        outcome = actions.step(src, actor, lang or DEFAULT_LANGUAGE, which["aid"], which["to"])
        return done(outcome, recands=True)

    @app.callback(
        *outputs,
        Input({"type": OFFER, "iid": ALL, "gid": ALL}, "n_clicks"),
        State(D.ACTOR, "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def on_offer(_clicks, actor, lang):
        which = clicked_id()
        if which is None:
            return (_NO,) * 4
        outcome = actions.send(
            src, actor, lang or DEFAULT_LANGUAGE, [which["gid"]], incident_id=which["iid"]
        )
        return done(outcome, recands=True)

    @app.callback(
        *outputs,
        Input({"type": SOS_ACK, "gid": ALL}, "n_clicks"),
        State(D.ACTOR, "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def on_sos_ack(_clicks, actor, lang):
        which = clicked_id()
        if which is None:
            return (_NO,) * 4
        outcome = actions.ack_sos(src, actor, lang or DEFAULT_LANGUAGE, which["gid"])
        return done(outcome, select=True)

    for button, to in ((D.CLOSE, "closed"), (D.CANCEL, "cancelled")):
        _register_end(app, src, button, to, outputs, lang_state, done)


def _register_end(app, src, button, to, outputs, lang_state, done) -> None:
    @app.callback(
        *outputs,
        Input(button, "n_clicks"),
        State(D.INCIDENTS, "value"),
        State(D.ACTOR, "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def on_end(clicks, selected, actor, lang):
        if not clicks:
            return (_NO,) * 4
        outcome = actions.end_incident(src, actor, lang or DEFAULT_LANGUAGE, selected, to)
        return done(outcome, recands=True)
