"""Zone reinforcement 联防增援 and roll call 系统点名 on the console: start them, watch answers.

The latest reinforcement and roll call started on this page are followed by
the one-second tick (their ids in ``RF_ID`` / ``RC_ID``); their tables are
re-rendered only when an answer changed something.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import dash
from dash import Input, Output, State, html
from dash.development.base_component import Component

from dashboard.dispatch import actions
from dashboard.dispatch.figures import eta_minutes, signature
from dashboard.dispatch.panels import timer
from dashboard.dispatch.sources import DispatchSources
from dashboard.ids import DispatchIds as D
from dashboard.ids import Ids, attrs
from shouwang.i18n import DEFAULT_LANGUAGE, label_of, t
from shouwang.timeutil import clock_text, epoch_of_iso
from shouwang.vocab import ReinforcementAnswer, RollCallOutcome

log = logging.getLogger(__name__)
_NO = dash.no_update


def reinforcement_view(rf: Mapping[str, Any], tz: str, lang: str) -> list:
    """Counts and each alerted guard's answer (coming / cannot / no answer yet)."""
    c = rf["counts"]
    counts = t("dispatch.rf.counts", lang).format(**c)
    rows = [
        html.Tr(
            [html.Td(f"{g.get('name') or ''}（{g['guard_id']}）"), html.Td(g.get("unit_id") or ""),
             html.Td(f"{g.get('distance_m') or 0:.0f} m"),
             html.Td(f"{eta_minutes(g.get('eta_s'))} {t('unit.min', lang)}"),
             html.Td(label_of(ReinforcementAnswer, g["answer"], lang) if g.get("answer")
                     else t("reinforcement.no_answer", lang),
                     className=f"ans-{g.get('answer') or 'none'}"),
             html.Td(clock_text(g.get("answered_at"), tz))],
            **attrs({"data-guard": g["guard_id"]}),
        )
        for g in rf["guards"]
    ]  # fmt: skip
    head = ["dispatch.col.guard", "dispatch.col.unit", "dispatch.col.distance",
            "dispatch.col.eta", "dispatch.col.answer", "dispatch.col.at"]  # fmt: skip
    return [
        html.Div(counts, className="counts", id=D.RF_COUNTS),
        html.Table(
            className="tbl",
            children=[html.Thead(html.Tr([html.Th(t(k, lang)) for k in head])), html.Tbody(rows)],
        ),
    ]


def rollcall_view(rc: Mapping[str, Any], now: float, tz: str, zones: Mapping[str, str], lang: str):
    """Summary (on time, late, missing, off post, response rate) and one row per guard."""
    s = rc["summary"]
    rate = s.get("response_rate")
    summary = t("dispatch.rc.summary", lang).format(
        alerted=s["alerted"], on_time=s["on_time"], late=s["late"], missing=s["missing"],
        off_post=s["off_post"], pending=s["pending"],
        rate="–" if rate is None else f"{rate * 100:.0f}%",
    )  # fmt: skip
    deadline = epoch_of_iso(rc.get("deadline_at"))
    state: list[str | Component] = (
        [t("dispatch.rc.left", lang), timer(deadline - now if deadline else None, now, until=True)]
        if rc["status"] == "open"
        else [t("dispatch.rc.closed", lang)]
    )
    rows = [
        html.Tr(
            [html.Td(f"{g.get('name') or ''}（{g['guard_id']}）"), html.Td(g.get("unit_id") or ""),
             html.Td(zones.get(g.get("zone_id") or "", "")),
             html.Td(label_of(RollCallOutcome, g["outcome"], lang) if g.get("outcome")
                     else t("rollcall.pending", lang),
                     className=f"out-{g.get('outcome') or 'pending'}"),
             html.Td(clock_text(g.get("answered_at"), tz))],
            **attrs({"data-guard": g["guard_id"]}),
        )
        for g in rc["guards"]
    ]  # fmt: skip
    head = ["dispatch.col.guard", "dispatch.col.unit", "dispatch.col.zone",
            "dispatch.col.outcome", "dispatch.col.at"]  # fmt: skip
    return [
        html.Div(state, className="muted"),
        html.Div(summary, className="counts", id=D.RC_SUMMARY),
        html.Table(
            className="tbl",
            children=[html.Thead(html.Tr([html.Th(t(k, lang)) for k in head])), html.Tbody(rows)],
        ),
    ]


def ops_panels(src: DispatchSources, rf_id: str | None, rc_id: str | None, previous: dict,
               lang: str) -> tuple:  # fmt: skip
    """(reinforcement panel, roll call panel, signatures): no_update where nothing changed."""
    now = src.clock()
    rf = src.fieldops.reinforcements.get(rf_id) if rf_id else None
    rc = src.fieldops.rollcalls.get(rc_id) if rc_id else None
    sigs = {"rf": signature(lang, rf), "rc": signature(lang, rc)}
    previous = previous or {}
    return (
        (reinforcement_view(rf, src.tz, lang) if rf else []) if sigs["rf"] != previous.get("rf")
        else _NO,
        (rollcall_view(rc, now, src.tz, src.zone_names(lang), lang) if rc else [])
        if sigs["rc"] != previous.get("rc") else _NO,
        sigs,
    )  # fmt: skip


def register_ops(app: dash.Dash, src: DispatchSources) -> None:
    lang_state = State(Ids.LANG, "data")

    @app.callback(
        Output(D.RF_RESULT, "children"),
        Output(D.RC_RESULT, "children"),
        Output(D.OPS_SIG, "data"),
        Input(D.TICK, "n_intervals"),
        Input(D.RF_ID, "data"),
        Input(D.RC_ID, "data"),
        State(D.OPS_SIG, "data"),
        lang_state,
        prevent_initial_call=True,
    )
    def refresh_ops(_n, rf_id, rc_id, previous, lang):
        try:
            return ops_panels(src, rf_id, rc_id, previous, lang or DEFAULT_LANGUAGE)
        except Exception:
            log.exception("reinforcement / roll call refresh failed")
            return _NO, _NO, _NO

    @app.callback(
        Output(D.MESSAGE, "children", allow_duplicate=True),
        Output(D.RF_ID, "data"),
        Input(D.RF_START, "n_clicks"),
        State(D.INCIDENTS, "value"),
        State(D.RF_HOW, "value"),
        State(D.RF_VALUE, "value"),
        State(D.RF_SCOPE, "value"),
        State(D.ACTOR, "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def on_reinforce(clicks, selected, how, value, scope, actor, lang):
        if not clicks:
            return _NO, _NO
        outcome = actions.start_reinforcement(
            src, actor, lang or DEFAULT_LANGUAGE, incident_id=selected, how=how or "walk",
            value=value, scope=scope or "zone",
        )  # fmt: skip
        return _message(outcome), outcome.created_id or _NO

    @app.callback(
        Output(D.MESSAGE, "children", allow_duplicate=True),
        Output(D.RC_ID, "data"),
        Input(D.RC_START, "n_clicks"),
        State(D.RC_ZONE, "value"),
        State(D.ACTOR, "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def on_rollcall(clicks, zone, actor, lang):
        if not clicks:
            return _NO, _NO
        zone = None if zone in (None, "", "ALL") else zone
        outcome = actions.start_rollcall(src, actor, lang or DEFAULT_LANGUAGE, zone)
        return _message(outcome), outcome.created_id or _NO


def _message(outcome: actions.Outcome) -> html.Div:
    return html.Div(
        outcome.message, className="ok" if outcome.ok else "err", role="alert",
        **attrs({"data-at": str(time.time())}),
    )  # fmt: skip
