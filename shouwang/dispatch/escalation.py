"""Timers, escalation, SOS intake and arrival detection: the dispatch background job.

:class:`EscalationJob` does two things in every process:

* its thread ticks every ``every_s`` (1 s), on the service's clock (tests move it):
  SOS alarms without an incident get one (:func:`sos_intake`), unowned SOS
  incidents escalate every ``SOS_ESCALATE_S`` (:func:`escalate_sos`),
  assignments not acknowledged within ``ACK_TIMEOUT_S`` time out and the next
  guard is offered (:func:`ack_timeouts`), open incidents with nobody sent
  for ``UNASSIGNED_ALERT_S`` are announced (:func:`unassigned_alerts`), and
  every 30 ticks the Redis marks are rebuilt from SQL;
* a handler on the process's event bus (:meth:`EscalationJob.listen_on`):
  ``alarm`` events bring SOS in at once, ``fixes`` events detect arrival
  within ``ARRIVAL_RADIUS_M`` (:func:`arrivals`). A failure here is logged by
  the bus and the next event is handled as usual; an SOS missed while Redis
  was away is taken in by the ticker's :func:`scan_sos`.

Several processes may run this job at once. Every change is a conditional
SQL update (``... WHERE status = 'assigned'``, ``WHERE sos_level < n``), so
exactly one process makes it and only that one announces it; SOS incidents
carry a unique ``dedup_key``; a store claim per tick second
(:meth:`live.state.claims.Claims.once_per_tick`) saves the others the work.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa

from geo.distance import haversine_m
from live.state.bus import EventBus
from live.state.events import Event
from shouwang.dispatch.rules import ENDED_STATUSES
from shouwang.dispatch.service import DispatchService
from shouwang.errors import Conflict, DomainError, NotFound
from shouwang.jobs import PeriodicJob
from shouwang.records import audit
from shouwang.records.audit import SYSTEM, Actor
from shouwang.records.dispatch_tables import assignments, incident_dispatch
from shouwang.records.tables import incidents
from shouwang.timeutil import epoch, utc
from shouwang.vocab import EventType

log = logging.getLogger(__name__)

__all__ = [
    "EscalationJob",
    "ack_sos",
    "ack_timeouts",
    "arrivals",
    "escalate_sos",
    "sos_intake",
    "unassigned_alerts",
]

_ENDED = tuple(s.value for s in ENDED_STATUSES)


# ---------------------------------------------------------------- SOS
def sos_intake(
    service: DispatchService,
    guard_id: str,
    ts: float,
    lon: float | None = None,
    lat: float | None = None,
) -> tuple[dict[str, Any], bool] | None:
    """Make sure one SOS (guard, alarm time) has its priority-1 incident.

    Idempotent across calls and processes (``dedup_key`` ``sos:<guard>:<ts>``).
    The incident is placed where the alarm was raised, else at the guard's
    latest fix, else at his post. Returns (incident, created), or None when
    another process is creating it right now or the guard is unknown.
    """
    roster = service.store.roster()
    entry = roster.get(guard_id)
    if entry is None:
        log.warning("SOS from unknown guard %s ignored", guard_id)
        return None
    dedup = f"sos:{guard_id}:{ts:.3f}"
    # A short work claim: a process that dies mid-way leaves it to the next tick.
    if not service.store.claims.take(f"dispatch:{dedup}", ttl_ms=10_000):
        return None
    if lon is None or lat is None:
        lon, lat = service.store.latest_position(guard_id) or (entry.post_lon, entry.post_lat)
    x0, y0, x1, y1 = service.places.extent
    note = ""
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):  # never lose an SOS to a wild fix
        note = f"（报警位置 {lon:.6f},{lat:.6f} 在辖区外，按岗位定位）"
        lon, lat = entry.post_lon, entry.post_lat
    body = {"kind": "other", "priority": 1, "lon": lon, "lat": lat, "source": "sos",
            "description": f"保安 {entry.name}（{guard_id}）一键求救 SOS{note}"}  # fmt: skip
    return service.create(SYSTEM, body, source_ref=guard_id, dedup_key=dedup, sos_guard_id=guard_id)


def scan_sos(service: DispatchService) -> int:
    """Create incidents for open SOS flags that have none (missed events, restarts)."""
    open_sos = service.store.open_sos()
    if not open_sos:
        return 0
    keys = {f"sos:{g}:{ts:.3f}": (g, ts) for g, ts in open_sos.items()}
    with service.engine.connect() as conn:
        known = set(
            conn.execute(
                sa.select(incident_dispatch.c.dedup_key).where(
                    incident_dispatch.c.dedup_key.in_(list(keys))
                )
            ).scalars()
        )
    made = 0
    for key, (gid, ts) in keys.items():
        if key not in known and (res := sos_intake(service, gid, ts)) and res[1]:
            made += 1
    return made


def _open_sos_incident(service: DispatchService, guard_id: str) -> str | None:
    with service.engine.connect() as conn:
        return conn.execute(
            sa.select(incidents.c.incident_id)
            .select_from(incidents.join(incident_dispatch, incident_dispatch.c.incident_id == incidents.c.incident_id))
            .where(incident_dispatch.c.sos_guard_id == guard_id)
            .where(incidents.c.status.not_in(_ENDED))
            .order_by(incident_dispatch.c.created_at.desc())
            .limit(1)
        ).scalar_one_or_none()  # fmt: skip


def ack_sos(service: DispatchService, actor: Actor, guard_id: str) -> dict[str, Any]:
    """The first dispatcher to acknowledge a guard's SOS owns it.

    Raises
    ------
    DomainError
        NotFound ``no_open_sos``; Conflict ``sos_owned`` (details name the owner) when
        someone else was first. Acknowledging one's own SOS again is fine.
    """
    incident_id = _open_sos_incident(service, guard_id)
    if incident_id is None and guard_id in service.store.open_sos():
        res = sos_intake(service, guard_id, service.store.open_sos()[guard_id])
        incident_id = res[0]["incident_id"] if res else _open_sos_incident(service, guard_id)
    if incident_id is None:
        raise NotFound("no_open_sos", f"guard {guard_id} has no open SOS")
    now = service.clock()
    with service.transaction() as conn:
        won = conn.execute(
            incident_dispatch.update()
            .where(incident_dispatch.c.incident_id == incident_id)
            .where(incident_dispatch.c.sos_owner.is_(None))
            .values(sos_owner=actor.name, sos_owned_at=utc(now), updated_at=utc(now))
        ).rowcount
        if won:
            service.timeline_event(
                conn, incident_id, now, "sos_acknowledged", actor, guard_id=guard_id
            )
            audit.write(
                conn, actor, "sos.ack", f"guard:{guard_id}", {"incident_id": incident_id}, at=now
            )
        owner = conn.execute(
            sa.select(incident_dispatch.c.sos_owner).where(incident_dispatch.c.incident_id == incident_id)
        ).scalar_one()  # fmt: skip
    if not won and owner != actor.name:
        raise Conflict(
            "sos_owned",
            f"{owner} has already acknowledged this SOS",
            [{"field": "guard_id", "problem": f"acknowledged by {owner}", "owner": owner}],
            owner=owner,
            incident_id=incident_id,
        )
    if won:
        service.publish([{"type": EventType.SOS_ACKNOWLEDGED, "incident_id": incident_id,
                          "guard_id": guard_id, "owner": actor.name, "at": now}])  # fmt: skip
    return service.get(incident_id)


def escalate_sos(service: DispatchService, now: float) -> list[dict]:
    """Raise the level of every unowned SOS each ``sos_escalate_s``; returns the events."""
    with service.engine.connect() as conn:
        rows = conn.execute(
            sa.select(incident_dispatch.c.incident_id, incident_dispatch.c.sos_guard_id,
                      incident_dispatch.c.created_at, incident_dispatch.c.sos_level)
            .select_from(incident_dispatch.join(incidents, incidents.c.incident_id == incident_dispatch.c.incident_id))
            .where(incident_dispatch.c.sos_guard_id.is_not(None))
            .where(incident_dispatch.c.sos_owner.is_(None))
            .where(incidents.c.status.not_in(_ENDED))
        ).all()  # fmt: skip
    events = []
    for iid, gid, created, level in rows:
        waited = now - epoch(created)
        due = int(waited // service.sos_escalate_s)
        if due <= level:
            continue
        with service.transaction() as conn:
            won = conn.execute(
                incident_dispatch.update()
                .where(incident_dispatch.c.incident_id == iid)
                .where(incident_dispatch.c.sos_level < due)
                .where(incident_dispatch.c.sos_owner.is_(None))
                .values(sos_level=due, updated_at=utc(now))
            ).rowcount
            if won:
                service.timeline_event(conn, iid, now, "sos_escalated", SYSTEM, guard_id=gid,
                                       detail={"level": due, "waited_s": round(waited, 1)})  # fmt: skip
        if won:
            events.append({"type": EventType.SOS_ESCALATED, "incident_id": iid, "guard_id": gid,
                           "level": due, "unacknowledged_for_s": round(waited, 1), "at": now})  # fmt: skip
    service.publish(events)
    return events


# ---------------------------------------------------------------- assignments
def ack_timeouts(service: DispatchService, now: float) -> list[dict]:
    """Time out assignments not acknowledged in time; offer the next nearest guard."""
    with service.engine.connect() as conn:
        due = conn.execute(
            sa.select(assignments.c.assignment_id, assignments.c.incident_id, assignments.c.guard_id)
            .where(assignments.c.status == "assigned")
            .where(assignments.c.assigned_at <= utc(now - service.ack_timeout_s))
        ).all()  # fmt: skip
    events = []
    for aid, iid, gid in due:
        try:
            done = service.transition(SYSTEM, aid, "timed_out", at=now,
                                      detail={"after_s": service.ack_timeout_s})  # fmt: skip
        except DomainError:  # acknowledged meanwhile, or another process was first
            continue
        offer = (
            _offer(service, iid, now, after=aid) if done["incident_status"] not in _ENDED else None
        )
        events.append({"type": EventType.ASSIGNMENT_TIMEOUT, "assignment_id": aid, "incident_id": iid,
                       "guard_id": gid, "at": now, "offer": offer})  # fmt: skip
    service.publish(events)
    return events


def _offer(service: DispatchService, incident_id: str, now: float, *, after: str) -> dict | None:
    """The nearest available guard not yet tried on this incident, stored as its offer."""
    with service.engine.connect() as conn:
        tried = set(
            conn.execute(
                sa.select(assignments.c.guard_id).where(assignments.c.incident_id == incident_id)
            ).scalars()
        )
    point = service.where(incident_id)
    if point is None:  # the incident is gone
        return None
    lon, lat = point
    best = service.places.candidates(lon, lat, k=1, exclude=tried)
    offer = {**best[0], "offered_at": now, "after": after} if best else None
    with service.transaction() as conn:
        conn.execute(
            incident_dispatch.update()
            .where(incident_dispatch.c.incident_id == incident_id)
            .values(offer=json.dumps(offer, ensure_ascii=False) if offer else None)
        )
    return offer


def unassigned_alerts(service: DispatchService, now: float) -> list[dict]:
    """Announce open incidents nobody has been sent to for ``unassigned_alert_s``."""
    since = utc(now - service.unassigned_alert_s)
    d = incident_dispatch.c
    with service.engine.connect() as conn:
        rows = conn.execute(
            sa.select(d.incident_id, d.unassigned_since, incidents.c.priority)
            .select_from(incident_dispatch.join(incidents, incidents.c.incident_id == d.incident_id))
            .where(incidents.c.status == "open")
            .where(d.unassigned_since <= since)
            .where(sa.or_(d.unassigned_alerted_at.is_(None), d.unassigned_alerted_at < d.unassigned_since))
        ).all()  # fmt: skip
    events = []
    for iid, unassigned_since, priority in rows:
        with service.transaction() as conn:
            won = conn.execute(
                incident_dispatch.update()
                .where(d.incident_id == iid)
                .where(d.unassigned_since == unassigned_since)
                .where(sa.or_(d.unassigned_alerted_at.is_(None), d.unassigned_alerted_at < d.unassigned_since))
                .values(unassigned_alerted_at=utc(now))
            ).rowcount  # fmt: skip
        if won:
            events.append({"type": EventType.INCIDENT_UNASSIGNED, "incident_id": iid, "priority": priority,
                           "unassigned_for_s": round(now - epoch(unassigned_since), 1), "at": now})  # fmt: skip
    service.publish(events)
    return events


def arrivals(service: DispatchService, guards: list[dict]) -> list[dict]:
    """Set on scene the sent guards whose fix is within ``arrival_radius_m`` of their incident.

    ``guards`` as in a ``fixes`` event: ``[{guard_id, lon, lat, ts}]``. Only an
    acknowledged or en-route assignment moves (a guard who never accepted
    the task is not taken to be answering it).
    """
    ids = [str(g["guard_id"]) for g in guards]
    holders = service.marks.holders(ids)
    hits = [(g, iid) for g, iid in zip(guards, holders, strict=True) if iid]
    if not hits:
        return []
    where = [service.where(iid) for _, iid in hits]
    known = [(g, iid, w) for (g, iid), w in zip(hits, where, strict=True) if w is not None]
    if not known:
        return []
    dist = haversine_m(
        [float(g["lat"]) for g, _, _ in known], [float(g["lon"]) for g, _, _ in known],
        [w[1] for _, _, w in known], [w[0] for _, _, w in known],
    )  # fmt: skip
    near = [
        (g, iid, d)
        for (g, iid, _), d in zip(known, dist, strict=True)
        if d <= service.arrival_radius_m
    ]
    done = []
    for g, iid, d in near:
        with service.engine.connect() as conn:
            aid = conn.execute(
                sa.select(assignments.c.assignment_id)
                .where(assignments.c.guard_id == str(g["guard_id"]))
                .where(assignments.c.incident_id == iid)
                .where(assignments.c.status.in_(["acknowledged", "en_route"]))
            ).scalar_one_or_none()
        if aid is None:
            continue
        try:
            done.append(service.transition(SYSTEM, aid, "on_scene", arrival="auto",
                                           detail={"distance_m": round(float(d), 1)}))  # fmt: skip
        except DomainError:
            continue
    return done


# ---------------------------------------------------------------- the job
class EscalationJob(PeriodicJob):
    """The dispatch background job of one process (see the module text).

    Parameters
    ----------
    service
        The process's :class:`DispatchService`.
    every_s
        Tick period in seconds (wall time between ticks; the clock read is
        the service's).
    resync_every
        Rebuild the Redis marks from SQL every this many ticks.
    """

    name = "dispatch-timers"

    def __init__(
        self, service: DispatchService, *, every_s: float = 1.0, resync_every: int = 30
    ) -> None:
        super().__init__()
        self.service = service
        self.every_s = every_s
        self.resync_every = resync_every
        self.ticks = 0

    def tick(self, now: float | None = None) -> dict[str, list]:
        """One round of every timer; returns the events it announced."""
        s = self.service
        now = s.clock() if now is None else now
        out: dict[str, list] = {}
        # One process per clock second does the round; the others skip it.
        if not s.store.claims.once_per_tick("dispatch:tick", now, ttl_s=10):
            return out
        self.ticks += 1
        scan_sos(s)
        out["sos_escalated"] = escalate_sos(s, now)
        out["assignment_timeout"] = ack_timeouts(s, now)
        out["incident_unassigned"] = unassigned_alerts(s, now)
        if self.ticks % self.resync_every == 0:
            s.marks.rebuild(s.engine)
        return out

    def listen_on(self, bus: EventBus) -> None:
        """Take ``alarm`` and ``fixes`` events of ``bus`` (SOS intake, arrivals)."""
        bus.subscribe(self.handle_event, [EventType.ALARM, EventType.FIXES], name="dispatch")

    def handle_event(self, event: Event) -> None:
        """Take one event (``alarm`` and ``fixes`` matter here)."""
        if event.type == EventType.ALARM and event.get("kind", "sos") == "sos":
            sos_intake(self.service, str(event.get("guard_id")), float(event.get("ts")),
                       float(event.get("lon")), float(event.get("lat")))  # fmt: skip
        elif event.type == EventType.FIXES:
            arrivals(self.service, list(event.get("guards", ())))
