"""What the dispatcher's buttons do: plain functions over the services, readable answers.

Each action takes the console's sources, the dispatcher's name (the audit
log's actor until login exists) and the page language, calls the in-process
service and returns an :class:`Outcome` with a message in that language. A
refusal of the workflow (busy guard, SOS owned by someone else, a step out
of order…) becomes a clear sentence, never an exception on the page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dashboard.dispatch.sources import DispatchSources
from shouwang.dispatch.escalation import ack_sos as service_ack_sos
from shouwang.dispatch.rules import ACTIVE, ASSIGNMENT_CHAIN, ASSIGNMENT_TRANSITIONS
from shouwang.errors import DomainError
from shouwang.i18n import label_of, t
from shouwang.records.audit import Actor, actor_name
from shouwang.vocab import AssignmentStatus

log = logging.getLogger(__name__)

#: Only the guard himself declines or lets a call time out.
_GUARDS_OWN = frozenset({AssignmentStatus.DECLINED, AssignmentStatus.TIMED_OUT})
#: Next steps a dispatcher may take on a guard's behalf, per active assignment state:
#: the rules' transitions less the guard's own, in the vocabulary's order.
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    frm.value: tuple(
        to.value
        for to in AssignmentStatus
        if to in ASSIGNMENT_TRANSITIONS[frm] and to not in _GUARDS_OWN
    )
    for frm in ASSIGNMENT_CHAIN
    if frm in ACTIVE
}


@dataclass(frozen=True)
class Outcome:
    """The answer to one action.

    Attributes
    ----------
    ok
        Whether the action happened.
    message
        What to tell the dispatcher (in the page language).
    incident_id
        The incident to select afterwards (a new one), if any.
    created_id
        The id of what was started (reinforcement, roll call), if any.
    refresh_candidates
        The candidate list is stale (someone else took a guard).
    """

    ok: bool
    message: str
    incident_id: str | None = None
    created_id: str | None = None
    refresh_candidates: bool = False


def actor_of(name: str | None, remote_addr: str | None = None) -> Actor | None:
    """The dispatcher behind an action, or None when no name was entered."""
    name = actor_name(name)
    return Actor(name, remote_addr) if name else None


def _no_actor(lang: str) -> Outcome:
    return Outcome(False, t("dispatch.err.actor", lang))


def refusal(exc: DomainError, lang: str) -> str:
    """A workflow refusal as one sentence for the dispatcher."""
    code = exc.code
    if code == "guard_busy":
        who = "、".join(d.get("guard_id", "") for d in exc.details if d.get("guard_id"))
        return t("dispatch.err.busy", lang).format(guards=who)
    if code == "sos_owned":
        return t("dispatch.err.sos_owned", lang).format(owner=exc.extra.get("owner", ""))
    if code == "invalid_transition":
        return t("dispatch.err.transition", lang)
    if code in ("incident_closed", "guard_unavailable", "no_guard_on_duty", "no_open_sos"):
        return t(f"dispatch.err.{code}", lang)
    problems = "；".join(f"{d.get('field')}: {d.get('problem')}" for d in exc.details)
    return f"{t('dispatch.err.refused', lang)}{exc.message}" + (
        f"（{problems}）" if problems else ""
    )


def create_incident(
    src: DispatchSources,
    actor_name: str | None,
    lang: str,
    point: Mapping[str, Any] | None,
    kind: str | None,
    priority: int | None,
    description: str | None,
) -> Outcome:
    """Record an incident at ``point`` (every missing field reported together)."""
    actor = actor_of(actor_name)
    problems = []
    if actor is None:
        problems.append(t("dispatch.err.actor", lang))
    if not point:
        problems.append(t("dispatch.err.point", lang))
    if not kind:
        problems.append(t("dispatch.err.kind", lang))
    if problems:
        return Outcome(False, " ".join(problems))
    assert point is not None  # reported above when missing
    body = {
        "kind": kind,
        "priority": int(priority or 3),
        "lon": float(point["lon"]),
        "lat": float(point["lat"]),
        "description": (description or "").strip(),
    }
    try:
        incident, _ = src.dispatch.create(actor, body)
    except DomainError as exc:
        return Outcome(False, refusal(exc, lang))
    return Outcome(
        True,
        t("dispatch.ok.created", lang).format(id=incident["incident_id"]),
        incident_id=incident["incident_id"],
    )


def send(
    src: DispatchSources,
    actor_name: str | None,
    lang: str,
    guard_ids: Sequence[str] | None,
    *,
    incident_id: str | None,
    point: Mapping[str, Any] | None = None,
    kind: str | None = None,
    priority: int | None = None,
    description: str | None = None,
) -> Outcome:
    """Send guards to an incident; with no incident yet, record it first from the form.

    Two dispatchers sending one guard: the second gets ``guard_busy`` and is
    told so, with ``refresh_candidates`` set so the page lists again.
    """
    actor = actor_of(actor_name)
    if actor is None:
        return _no_actor(lang)
    if not guard_ids:
        return Outcome(False, t("dispatch.err.pick", lang))
    created = None
    if incident_id is None:
        made = create_incident(src, actor_name, lang, point, kind, priority, description)
        if not made.ok:
            return made
        incident_id = created = made.incident_id
    try:
        src.dispatch.assign(actor, incident_id, list(guard_ids))
    except DomainError as exc:
        return Outcome(
            False,
            refusal(exc, lang),
            incident_id=created,
            refresh_candidates=exc.code in ("guard_busy", "guard_unavailable"),
        )
    names = _names(src, guard_ids)
    return Outcome(
        True,
        t("dispatch.ok.sent", lang).format(guards=names, id=incident_id),
        incident_id=incident_id,
        refresh_candidates=True,
    )


def _names(src: DispatchSources, guard_ids: Sequence[str]) -> str:
    roster = src.dispatch.store.roster()
    return "、".join(f"{roster[g].name}（{g}）" if g in roster else g for g in guard_ids)


def step(
    src: DispatchSources, actor_name: str | None, lang: str, assignment_id: str, to: str
) -> Outcome:
    """Move an assignment along the chain on the guard's behalf (e.g. a phoned-in "OK")."""
    actor = actor_of(actor_name)
    if actor is None:
        return _no_actor(lang)
    try:
        done = src.dispatch.transition(actor, assignment_id, to, detail={"by_dispatcher": True})
    except DomainError as exc:
        return Outcome(False, refusal(exc, lang))
    label = label_of(AssignmentStatus, to) if lang == "zh" else to.replace("_", " ")
    return Outcome(True, t("dispatch.ok.step", lang).format(guard=done["guard_id"], to=label))


def end_incident(
    src: DispatchSources, actor_name: str | None, lang: str, incident_id: str | None, to: str
) -> Outcome:
    """Close (``closed``) or cancel (``cancelled``) the selected incident by hand."""
    actor = actor_of(actor_name)
    if actor is None:
        return _no_actor(lang)
    if not incident_id:
        return Outcome(False, t("dispatch.err.select", lang))
    try:
        src.dispatch.end(actor, incident_id, to, t(f"dispatch.note.{to}", "zh"))
    except DomainError as exc:
        return Outcome(False, refusal(exc, lang))
    return Outcome(True, t(f"dispatch.ok.{to}", lang).format(id=incident_id))


def ack_sos(src: DispatchSources, actor_name: str | None, lang: str, guard_id: str) -> Outcome:
    """Take ownership of a guard's SOS (the first dispatcher owns it)."""
    actor = actor_of(actor_name)
    if actor is None:
        return _no_actor(lang)
    try:
        incident = service_ack_sos(src.dispatch, actor, guard_id)
    except DomainError as exc:
        return Outcome(False, refusal(exc, lang))
    return Outcome(
        True,
        t("dispatch.ok.sos", lang).format(guard=guard_id),
        incident_id=incident["incident_id"],
    )


def start_reinforcement(
    src: DispatchSources,
    actor_name: str | None,
    lang: str,
    *,
    incident_id: str | None,
    how: str,
    value: float | None,
    scope: str,
) -> Outcome:
    """Call the zone's guards around the selected incident (radius in m or walking minutes)."""
    actor = actor_of(actor_name)
    if actor is None:
        return _no_actor(lang)
    if not incident_id:
        return Outcome(False, t("dispatch.err.select", lang))
    if value is None or value <= 0:
        return Outcome(False, t("dispatch.err.reach", lang))
    reach = {"radius_m": float(value)} if how == "radius" else {"walk_s": float(value) * 60.0}
    try:
        body = src.fieldops.reinforcements.create(
            incident_id=incident_id, lon=None, lat=None, scope=scope, actor=actor.name, **reach
        )
    except DomainError as exc:
        return Outcome(False, refusal(exc, lang))
    n = body["counts"]["alerted"]
    return Outcome(
        n > 0,
        t("dispatch.ok.reinforcement", lang).format(n=n)
        if n
        else t("dispatch.err.nobody_in_reach", lang),
        created_id=body["reinforcement_id"],
    )


def start_rollcall(
    src: DispatchSources, actor_name: str | None, lang: str, zone_id: str | None
) -> Outcome:
    """Roll call of a zone's guards on duty (``None``/empty: every zone)."""
    actor = actor_of(actor_name)
    if actor is None:
        return _no_actor(lang)
    try:
        body = src.fieldops.rollcalls.start(zone_id or None, actor=actor.name)
    except DomainError as exc:
        return Outcome(False, refusal(exc, lang))
    return Outcome(
        True,
        t("dispatch.ok.rollcall", lang).format(n=body["summary"]["alerted"]),
        created_id=body["rollcall_id"],
    )
