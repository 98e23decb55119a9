"""The console's live panels as components: incident list, incident detail, SOS, candidates.

Plain data in (the dispatch service's incident views, candidate rows), Dash
components out. Timers are rendered as ``span.sw-timer`` with the epoch they
count from (``data-since``) or to (``data-until``): ``assets/dispatch.js``
keeps them ticking between two renders. Elements with ``data-beep`` sound
once per key, with ``data-alarm`` every few seconds while shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import html
from dash.development.base_component import Component

from dashboard.dispatch.actions import NEXT_STEPS
from dashboard.dispatch.figures import duration_text, eta_minutes
from dashboard.ids import attrs
from dashboard.theme import priority_colour
from shouwang.dispatch.rules import ASSIGNMENT_CHAIN
from shouwang.i18n import label_of, t
from shouwang.timeutil import clock_text, epoch_of_iso
from shouwang.vocab import (
    AssignmentStatus,
    GuardStatus,
    IncidentKind,
    IncidentSource,
    IncidentStatus,
)

#: Pattern-matching id types of the buttons inside re-rendered panels.
STEP = "dsp-step"
OFFER = "dsp-offer"
SOS_ACK = "dsp-sos-ack"
CHAIN = ASSIGNMENT_CHAIN


def kind_label(code: str | None, lang: str) -> str:
    return label_of(IncidentKind, code, lang)


def status_label(code: str | None, lang: str) -> str:
    return label_of(IncidentStatus, code, lang)


def step_label(code: str | None, lang: str) -> str:
    return label_of(AssignmentStatus, code, lang)


def timer(seconds: float | None, now: float, *, until: bool = False, cls: str = "") -> html.Span:
    """A ticking timer: elapsed since ``now - seconds``, or left until ``now + seconds``."""
    if seconds is None:
        return html.Span("–", className="sw-timer")
    anchor = round(now + seconds if until else now - seconds, 1)
    attr = "data-until" if until else "data-since"
    text = duration_text(seconds)
    classes = f"sw-timer {cls}".strip() + (" late" if until and seconds <= 0 else "")
    return html.Span(text, className=classes, **attrs({attr: str(anchor)}))


def _where(inc: Mapping[str, Any], zones: Mapping[str, str]) -> str:
    zone = zones.get(inc.get("zone_id") or "", "")
    return " ".join(x for x in (zone, inc.get("unit_id") or "") if x)


def _flags(inc: Mapping[str, Any]) -> tuple[bool, bool]:
    """(needs attention, any guard timed out with an offer waiting)."""
    timed_out = bool(inc.get("offer")) or any(
        a["status"] == "timed_out" and not _later_active(inc, a) for a in inc.get("assignments", [])
    )
    sos = inc.get("sos") or {}
    return timed_out or bool(sos.get("escalated")), timed_out


def _later_active(inc: Mapping[str, Any], a: Mapping[str, Any]) -> bool:
    return any(b["active"] for b in inc.get("assignments", []) if b is not a)


# --- the incident list (options of a RadioItems: the value is the selection) -------------


def incident_options(
    incidents: Sequence[Mapping[str, Any]], zones: Mapping[str, str], now: float, lang: str
) -> list[dict]:
    """One rich option per open incident, most urgent first."""
    order = sorted(incidents, key=lambda i: (i.get("priority") or 3, i.get("created_at") or ""))
    out = []
    for inc in order:
        alert, _ = _flags(inc)
        if inc["status"] == "open":
            clock: list[str | Component] = [
                t("dispatch.unassigned_for", lang),
                timer(inc.get("unassigned_for_s"), now),
            ]
        elif inc["status"] == "on_scene":
            clock = [t("dispatch.on_scene_for", lang), timer(inc.get("on_scene_for_s"), now)]
        else:
            clock = []
        chips = [
            html.Span(f"{a.get('name') or a['guard_id']} {step_label(a['status'], lang)}",
                      className=f"chip a-{a['status']}")
            for a in inc.get("assignments", [])
            if a["active"] or a["status"] in ("timed_out", "declined")
        ]  # fmt: skip
        label = html.Div(
            className="inc-card" + (" alert" if alert else ""),
            children=[
                html.Div(
                    className="inc-head",
                    children=[
                        html.Span(
                            f"P{inc.get('priority')}",
                            className="prio",
                            style={"background": priority_colour(inc.get("priority"))},
                        ),
                        html.Span(kind_label(inc["kind"], lang), className="kind"),
                        html.Span(
                            status_label(inc["status"], lang), className=f"st s-{inc['status']}"
                        ),
                    ],
                ),  # fmt: skip
                html.Div(
                    className="inc-meta",
                    children=[html.Span(_where(inc, zones)), html.Span(inc["incident_id"]), *clock],
                ),
                html.Div(chips, className="chips") if chips else None,
            ],
            **{"data-incident": inc["incident_id"]},
        )
        out.append({"label": label, "value": inc["incident_id"]})
    return out


# --- the selected incident ------------------------------------------------------------------


def chain_steps(status: str, lang: str) -> html.Div:
    """The five-step chain with the steps reached lit."""
    reached = CHAIN.index(status) if status in CHAIN else -1
    return html.Div(
        className="chain",
        children=[
            html.Span(step_label(s, lang), className="done" if i <= reached else "todo")
            for i, s in enumerate(CHAIN)
        ],
    )


def assignment_row(a: Mapping[str, Any], now: float, lang: str) -> html.Div:
    status = a["status"]
    if status == "assigned":
        clock: list[str | Component] = [
            t("dispatch.ack_due", lang),
            timer(a.get("ack_due_in_s"), now, until=True),
        ]
    elif status == "on_scene":
        clock = [t("dispatch.on_scene_for", lang), timer(a.get("on_scene_for_s"), now)]
    else:
        clock = []
    buttons = [
        html.Button(
            t(f"dispatch.step.{to}", lang),
            id={"type": STEP, "aid": a["assignment_id"], "to": to},
            className="btn small" + (" danger" if to == "cancelled" else ""),
        )
        for to in NEXT_STEPS.get(status, ())
    ]
    extra: dict[str, Any] = {"data-assignment": a["assignment_id"], "data-status": status}
    if status == "timed_out":
        extra["data-beep"] = f"timeout:{a['assignment_id']}"
    return html.Div(
        className=f"asg a-{status}",
        children=[
            html.Div(
                className="asg-head",
                children=[
                    html.Strong(f"{a.get('name') or ''}（{a['guard_id']}）"),
                    html.Span(step_label(status, lang), className=f"chip a-{status}"),
                    html.Span(
                        f"ETA {eta_minutes(a.get('eta_s'))} {t('unit.min', lang)}",
                        className="muted",
                    ),
                    *clock,
                ],
            ),  # fmt: skip
            chain_steps(status, lang) if status in CHAIN else None,
            html.Div(buttons, className="asg-buttons") if buttons else None,
        ],
        **extra,
    )


def offer_box(inc: Mapping[str, Any], lang: str) -> html.Div | None:
    """The next candidate offered after a timeout, sent with one click."""
    offer = inc.get("offer")
    if not offer or inc["status"] in ("closed", "cancelled"):
        return None
    return html.Div(
        className="offer",
        children=[
            html.Span(t("dispatch.offer", lang), className="offer-title"),
            html.Span(
                f"{offer.get('name') or ''}（{offer['guard_id']}）· {offer.get('unit_id') or ''} · "
                f"{eta_minutes(offer.get('eta_s'))} {t('unit.min', lang)}"
            ),
            html.Button(
                t("dispatch.offer.send", lang),
                id={"type": OFFER, "iid": inc["incident_id"], "gid": offer["guard_id"]},
                className="btn go",
            ),
        ],
        **attrs({"data-beep": f"offer:{inc['incident_id']}:{offer.get('after')}"}),
    )


def timeline(inc: Mapping[str, Any], tz: str, lang: str) -> html.Ol:
    items = []
    for e in reversed(inc.get("timeline", [])):
        kind = e["kind"]
        detail = e.get("detail") or {}
        if kind == "status":
            what = (
                f"{status_label(detail.get('from'), lang)} → {status_label(detail.get('to'), lang)}"
            )
        elif kind in CHAIN or kind in ("declined", "timed_out", "cancelled"):
            what = step_label(kind, lang)
        else:
            what = (
                t(f"dispatch.event.{kind}", lang) if f"dispatch.event.{kind}" in _EVENTS else kind
            )
        who = e.get("guard_id") or ""
        items.append(
            html.Li(
                [html.Span(clock_text(e["at"], tz), className="at"), html.Span(what, className="what"),
                 html.Span(who, className="who"), html.Span(e.get("actor") or "", className="by")]
            )
        )  # fmt: skip
    return html.Ol(items, className="timeline")


_EVENTS = {f"dispatch.event.{k}" for k in ("created", "sos_acknowledged", "sos_escalated")}


def incident_detail(
    inc: Mapping[str, Any] | None, zones: Mapping[str, str], now: float, tz: str, lang: str
) -> list:
    """The selected incident: facts, timers, offer, assignments with steps, timeline."""
    if inc is None:
        return [html.Div(t("dispatch.no_selection", lang), className="quiet")]
    alert, _ = _flags(inc)
    facts: list[str | Component] = [
        html.Span(f"P{inc.get('priority')}", className="prio",
                  style={"background": priority_colour(inc.get("priority"))}),
        html.Strong(kind_label(inc["kind"], lang)),
        html.Span(status_label(inc["status"], lang), className=f"st s-{inc['status']}"),
        html.Span(inc["incident_id"], className="muted"),
    ]  # fmt: skip
    if inc["status"] == "open":
        facts += [t("dispatch.unassigned_for", lang), timer(inc.get("unassigned_for_s"), now)]
    elif inc["status"] == "on_scene":
        facts += [t("dispatch.on_scene_for", lang), timer(inc.get("on_scene_for_s"), now)]
    source = label_of(IncidentSource, inc.get("source"), lang)
    meta = (
        f"{_where(inc, zones)} · {source} · {clock_text(inc.get('created_at'), tz)} "
        f"{inc.get('created_by') or ''}"
    )
    rows = [assignment_row(a, now, lang) for a in inc.get("assignments", [])]
    return [
        html.Div(facts, className="detail-head" + (" alert" if alert else "")),
        html.Div(meta, className="muted"),
        html.P(inc.get("description") or "", className="desc") if inc.get("description") else None,
        offer_box(inc, lang),
        html.H4(t("dispatch.assignments", lang)),
        html.Div(rows or [html.Div(t("dispatch.none_sent", lang), className="quiet")]),
        html.H4(t("dispatch.timeline", lang)),
        timeline(inc, tz, lang),
    ]


# --- SOS --------------------------------------------------------------------------


def sos_panel(sos_incidents: Sequence[Mapping[str, Any]], now: float, lang: str) -> list:
    """Open SOS alarms: owner or the take-ownership button; unowned ones sound, escalated pulse."""
    if not sos_incidents:
        return [html.Div(t("dispatch.sos.none", lang), className="quiet")]
    items = []
    for inc in sos_incidents:
        sos = inc.get("sos") or {}
        gid = sos.get("guard_id") or inc.get("source_ref") or ""
        owner = sos.get("owner")
        data: dict[str, Any] = {"data-guard": gid}
        if owner is None:
            data["data-alarm"] = f"sos:{inc['incident_id']}"
        items.append(
            html.Li(
                className="sos-item" + (" pulse escalated" if sos.get("escalated") else "")
                + (" owned" if owner else ""),
                children=[
                    html.Strong(inc.get("description") or gid),
                    html.Span([t("dispatch.sos.open_for", lang), " ",
                               timer(_elapsed(inc, now), now)]),
                    html.Span(t("dispatch.sos.escalated", lang), className="escalated-tag")
                    if sos.get("escalated")
                    else None,
                    html.Span(t("dispatch.sos.owner", lang).format(owner=owner), className="owner")
                    if owner
                    else html.Button(t("dispatch.sos.ack", lang), id={"type": SOS_ACK, "gid": gid},
                                     className="btn danger"),
                ],
                **data,
            )
        )  # fmt: skip
    return [html.Ul(items, className="sos-list")]


def _elapsed(inc: Mapping[str, Any], now: float) -> float | None:
    created = epoch_of_iso(inc.get("created_at"))
    return None if created is None else now - created


# --- candidates --------------------------------------------------------------------------


def candidate_options(rows: Sequence[Mapping[str, Any]], lang: str) -> list[dict]:
    """Checklist options: rank, guard, unit, zone, status, ETA, distance, coverage kept."""
    out = []
    for rank, r in enumerate(rows, start=1):
        kept = r.get("coverage_kept_pct")
        cover = f"{t('dispatch.cand.kept', lang)} {kept:.0f}%" if kept is not None else ""
        label = html.Div(
            className="cand" + (" top" if rank == 1 else ""),
            children=[
                html.Span(str(rank), className="rank"),
                html.Strong(f"{r.get('name') or ''}（{r['guard_id']}）"),
                html.Span(f"{eta_minutes(r.get('eta_s'))} {t('unit.min', lang)}", className="eta"),
                html.Span(f"{r.get('distance_m') or 0:.0f} m", className="muted"),
                html.Span(f"{r.get('unit_id') or ''} {r.get('zone_id') or ''}", className="muted"),
                html.Span(t("dispatch.cand.same_zone", lang) if r.get("same_zone") else "",
                          className="same"),
                html.Span(label_of(GuardStatus, r.get("status"), lang), className="muted"),
                html.Span(cover, className="muted"),
            ],
            **{"data-guard": r["guard_id"]},
        )  # fmt: skip
        out.append({"label": label, "value": r["guard_id"]})
    return out
