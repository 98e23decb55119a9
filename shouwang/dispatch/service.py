"""The dispatch service: incidents, the guard assignment chain, the dispatch marks.

:class:`DispatchService` is built once per process (``ctx.dispatch``) and is
the writer of the dispatch tables (:mod:`shouwang.records.dispatch_tables`). Rules come
from the pure :mod:`shouwang.dispatch.rules`; the Redis marks from
:mod:`shouwang.dispatch.marks`; locations and candidates from
:mod:`shouwang.dispatch.candidates`; reads from :mod:`shouwang.dispatch.reads`; timers, SOS
intake and arrival detection from :mod:`shouwang.dispatch.escalation`.

Ordering, for durability: every change is committed to SQL (with its
timeline event and audit row, one transaction) BEFORE it is announced on the
events channel or answered over HTTP. The one thing done in Redis first is
the claim of a guard (``HSETNX`` on the store's ``dispatched`` hash): it is
the lock that makes two dispatchers sending the same guard at once end with
exactly one assignment, across processes. A claim whose SQL write fails is
released. A partial unique index (one active assignment per guard) backs the
claim up if Redis lost its marks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from live.state.store import LiveStore
from shouwang.dataset import Dataset
from shouwang.dispatch.candidates import DispatchGeo
from shouwang.dispatch.marks import DispatchMarks
from shouwang.dispatch.rules import (
    ACTIVE,
    ENDED_STATUSES,
    Availability,
    InvalidTransition,
    check_assignment_transition,
    check_incident_transition,
    derive_incident_status,
    invalid_transition_error,
)
from shouwang.errors import Conflict, InvalidInput, NotFound
from shouwang.geoservice import GeoService
from shouwang.records import audit
from shouwang.records.audit import Actor
from shouwang.records.dispatch_tables import assignments, incident_dispatch, write_event
from shouwang.records.tables import incidents
from shouwang.timeutil import utc
from shouwang.vocab import AssignmentStatus, EventType

log = logging.getLogger(__name__)

__all__ = ["DispatchService"]

_STAMP = {  # assignment state → the column that records when it was reached
    AssignmentStatus.ACKNOWLEDGED: "acknowledged_at",
    AssignmentStatus.EN_ROUTE: "en_route_at",
    AssignmentStatus.ON_SCENE: "on_scene_at",
    AssignmentStatus.CLEARED: "cleared_at",
    AssignmentStatus.DECLINED: "ended_at",
    AssignmentStatus.TIMED_OUT: "ended_at",
    AssignmentStatus.CANCELLED: "ended_at",
}


class DispatchService:
    """Incidents and assignments on SQL, dispatch marks in Redis, events on the channel.

    Parameters
    ----------
    engine, store, dataset, geo
        The context's SQL engine, live store, data set and GeoService.
    clock
        Epoch seconds (tests move it).
    ack_timeout_s, sos_escalate_s, unassigned_alert_s, arrival_radius_m
        The workflow's timers and the arrival radius (settings of the same names).
    tz
        Station time zone (incident ids carry the local date).
    """

    def __init__(
        self,
        engine: Engine,
        store: LiveStore,
        dataset: Dataset,
        geo: GeoService,
        *,
        clock: Callable[[], float],
        ack_timeout_s: float = 60.0,
        sos_escalate_s: float = 30.0,
        unassigned_alert_s: float = 120.0,
        arrival_radius_m: float = 30.0,
        tz: str = "Asia/Shanghai",
    ) -> None:
        self.engine, self.store, self.dataset, self.geo = engine, store, dataset, geo
        self.clock = clock
        self.ack_timeout_s = ack_timeout_s
        self.sos_escalate_s = sos_escalate_s
        self.unassigned_alert_s = unassigned_alert_s
        self.arrival_radius_m = arrival_radius_m
        self.tz = ZoneInfo(tz)
        self.marks = DispatchMarks(store)
        self.places = DispatchGeo(dataset, geo, store)
        # SQLite has one writer: serialise this process's write transactions so
        # a reader-turned-writer never hits SQLITE_BUSY. PostgreSQL locks rows.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._where: dict[str, tuple[float, float]] = {}  # incident → lon, lat (never change)
        self.alarm_secret = (
            b""  # set by the app factory (shouwang.dispatch.alarm_points.load_secret)
        )

    # ------------------------------------------------------------ plumbing
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (serialised per process on SQLite)."""
        lock = self._write_lock or contextlib.nullcontext()
        with lock, self.engine.begin() as conn:
            yield conn

    def publish(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Announce committed changes; a Redis outage must not undo an answer."""
        for event in events:
            try:
                self.store.publish(event)
            except Exception:
                log.exception("could not publish %s", event.get("type"))

    @staticmethod
    def timeline_event(
        conn: Connection, incident_id: str, at: float, kind: str, actor: Actor, **extra: Any
    ) -> None:
        """Add a step to an incident's timeline (see :func:`shouwang.records.dispatch_tables.write_event`)."""
        write_event(conn, incident_id, at, kind, actor.name, **extra)

    def _lock_incident(self, conn: Connection, incident_id: str) -> sa.RowMapping:
        row = (
            conn.execute(
                sa.select(incidents.c.status, incidents.c.lon, incidents.c.lat)
                .where(incidents.c.incident_id == incident_id)
                .with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("not_found", f"no incident {incident_id}")
        return row

    # ------------------------------------------------------------ incidents
    def create(
        self,
        actor: Actor,
        body: Mapping[str, Any],
        *,
        source_ref: str | None = None,
        dedup_key: str | None = None,
        sos_guard_id: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Record a new incident; returns (incident, created).

        With ``dedup_key`` (e.g. one SOS), a second call — from any process —
        returns the first incident and ``created`` False.

        Raises
        ------
        DomainError
            InvalidInput with every problem of ``body``.
        """
        fields, problems = self.places.validate_incident(body)
        if problems:
            raise InvalidInput("invalid_request", "invalid incident", problems)
        if dedup_key and (existing := self._by_dedup(dedup_key)):
            return self.get(existing), False
        now = self.clock()
        local = datetime.fromtimestamp(now, self.tz)
        incident_id = f"D{local:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"
        zone_id, unit_id = self.places.locate(float(fields["lon"]), float(fields["lat"]))
        row = {
            "incident_id": incident_id,
            **{k: fields[k] for k in ("kind", "priority", "source", "description")},
            "status": "open",
            "occurred_at": utc(now),
            "lon": float(fields["lon"]),
            "lat": float(fields["lat"]),
            "zone_id": zone_id,
            "unit_id": unit_id,
        }
        try:
            with self.transaction() as conn:
                conn.execute(incidents.insert(), row)
                conn.execute(
                    incident_dispatch.insert(),
                    {
                        "incident_id": incident_id,
                        "created_at": utc(now),
                        "created_by": actor.name,
                        "source_ref": source_ref,
                        "dedup_key": dedup_key,
                        "unassigned_since": utc(now),
                        "sos_guard_id": sos_guard_id,
                        "updated_at": utc(now),
                    },
                )
                detail = {k: row[k] for k in ("kind", "priority", "source", "zone_id", "unit_id")}
                self.timeline_event(conn, incident_id, now, "created", actor, detail=detail)
                audit.write(conn, actor, "incident.create", f"incident:{incident_id}",
                            {**detail, "source_ref": source_ref}, at=now)  # fmt: skip
        except sa.exc.IntegrityError:
            if dedup_key and (existing := self._by_dedup(dedup_key)):
                return self.get(existing), False  # another process was first
            raise
        incident = self.get(incident_id)
        self.publish([{"type": EventType.INCIDENT_CREATED, "incident": _summary(incident)}])
        return incident, True

    def _by_dedup(self, dedup_key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(incident_dispatch.c.incident_id).where(
                    incident_dispatch.c.dedup_key == dedup_key
                )
            ).scalar_one_or_none()

    def get(self, incident_id: str, *, timeline: bool = True) -> dict[str, Any]:
        """One incident with assignments, timers, offer, SOS state (and timeline)."""
        from shouwang.dispatch.reads import incident_views

        views = incident_views(self, [incident_id], timeline=timeline)
        if not views:
            raise NotFound("not_found", f"no incident {incident_id}")
        return views[0]

    def where(self, incident_id: str) -> tuple[float, float] | None:
        """(lon, lat) of an incident (cached: an incident never moves)."""
        if incident_id not in self._where:
            with self.engine.connect() as conn:
                row = conn.execute(
                    sa.select(incidents.c.lon, incidents.c.lat).where(
                        incidents.c.incident_id == incident_id
                    )
                ).first()
            if row is None:
                return None
            self._where[incident_id] = (float(row.lon), float(row.lat))
        return self._where[incident_id]

    # ------------------------------------------------------------ assignments
    def assign(self, actor: Actor, incident_id: str, guard_ids: Sequence[str]) -> list[dict]:
        """Send guards to an incident, all or none.

        Raises
        ------
        DomainError
            NotFound unknown incident; InvalidInput bad or unknown guard ids; Conflict
            ``incident_closed``, ``guard_unavailable`` (off duty, signal lost) or
            ``guard_busy`` (already sent somewhere — ``candidates`` carries a
            fresh list of the nearest available guards).
        """
        roster = self.store.roster()
        problems = [
            {"field": "guard_ids", "problem": f"unknown guard {g!r}"}
            for g in guard_ids
            if g not in roster
        ]
        if not guard_ids or len(set(guard_ids)) != len(guard_ids) or len(guard_ids) > 20:
            problems.append({"field": "guard_ids", "problem": "give 1 to 20 distinct guard ids"})
        if problems:
            raise InvalidInput("invalid_request", "invalid assignment", problems)
        where = self.where(incident_id)
        if where is None:
            raise NotFound("not_found", f"no incident {incident_id}")
        avail = self.places.availability(guard_ids)
        away = [g for g in guard_ids if avail.get(g) == Availability.NOT_AVAILABLE]
        if away:
            raise Conflict(
                "guard_unavailable",
                "guard not available (off duty or signal lost)",
                [{"field": "guard_ids", "problem": f"{g} is not available"} for g in away],
            )
        claimed: list[str] = []
        busy: list[str] = []
        for g in guard_ids:
            (claimed if self.marks.claim(g, incident_id) else busy).append(g)
        if busy:
            for g in claimed:
                self.marks.release(g, incident_id)
            raise self._busy(busy, *where)
        try:
            made = self._write_assignments(actor, incident_id, guard_ids, where)
        except sa.exc.IntegrityError:  # an active assignment SQL knows and Redis forgot
            for g in claimed:
                self.marks.release(g, incident_id)
            self.marks.rebuild(self.engine)
            raise self._busy(list(guard_ids), *where) from None
        except BaseException:
            for g in claimed:
                self.marks.release(g, incident_id)
            raise
        return made

    def _busy(self, guard_ids: Sequence[str], lon: float, lat: float) -> Conflict:
        marks = self.marks.holders(guard_ids)
        details = [
            {"field": "guard_ids", "problem": f"{g} is busy", "guard_id": g, "incident_id": m}
            for g, m in zip(guard_ids, marks, strict=True)
        ]
        return Conflict(
            "guard_busy",
            "guard already sent to an incident; choose another",
            details,
            candidates=self.places.candidates(lon, lat, exclude=guard_ids),
        )

    def _write_assignments(
        self, actor: Actor, incident_id: str, guard_ids: Sequence[str], where: tuple[float, float]
    ) -> list[dict]:
        eta = self.places.etas(guard_ids, *where)
        now = self.clock()
        made = []
        with self.transaction() as conn:
            inc = self._lock_incident(conn, incident_id)
            if inc["status"] in ENDED_STATUSES:
                raise Conflict("incident_closed", f"incident {incident_id} is {inc['status']}")
            for g in guard_ids:
                aid = f"A{uuid.uuid4().hex[:12].upper()}"
                conn.execute(
                    assignments.insert(),
                    {"assignment_id": aid, "incident_id": incident_id, "guard_id": g,
                     "status": "assigned", "active": True, "assigned_by": actor.name,
                     "assigned_at": utc(now), "eta_s": eta.get(g)},
                )  # fmt: skip
                self.timeline_event(conn, incident_id, now, "assigned", actor, guard_id=g,
                                    assignment_id=aid, detail={"eta_s": eta.get(g)})  # fmt: skip
                made.append({"assignment_id": aid, "guard_id": g, "status": "assigned"})
            audit.write(conn, actor, "incident.assign", f"incident:{incident_id}",
                        {"guard_ids": list(guard_ids),
                         "assignment_ids": [m["assignment_id"] for m in made]}, at=now)  # fmt: skip
            conn.execute(
                incident_dispatch.update()
                .where(incident_dispatch.c.incident_id == incident_id)
                .values(unassigned_since=None, offer=None, updated_at=utc(now))
            )
            new = self._settle_incident(conn, incident_id, inc["status"], now, actor)
        events = [
            {"type": EventType.ASSIGNMENT_CHANGED, "incident_id": incident_id, "at": now,
             "actor": actor.name, "from": None, "to": "assigned", **m}
            for m in made
        ]  # fmt: skip
        if new != inc["status"]:
            events.append(_updated(incident_id, inc["status"], new, now))
        self.publish(events)
        return made

    def _settle_incident(
        self, conn: Connection, incident_id: str, current: str, now: float, actor: Actor
    ) -> str:
        """Bring the incident's status in line with its assignments (same transaction)."""
        statuses = conn.execute(
            sa.select(assignments.c.status).where(assignments.c.incident_id == incident_id)
        ).scalars()
        new = derive_incident_status(current, statuses).value
        if new == current:
            return current
        conn.execute(
            incidents.update().where(incidents.c.incident_id == incident_id).values(status=new)
        )
        values: dict[str, Any] = {"updated_at": utc(now)}
        if new == "closed":
            values["closed_at"] = utc(now)
        if new == "open":  # everyone declined or timed out: the incident waits again
            values["unassigned_since"] = utc(now)
        conn.execute(
            incident_dispatch.update()
            .where(incident_dispatch.c.incident_id == incident_id)
            .values(**values)
        )
        self.timeline_event(conn, incident_id, now, "status", actor,
                            detail={"from": current, "to": new})  # fmt: skip
        return new

    def transition(
        self,
        actor: Actor,
        assignment_id: str,
        to: str,
        *,
        at: float | None = None,
        arrival: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Move an assignment along the chain; the incident follows.

        Raises
        ------
        DomainError
            NotFound unknown assignment; Conflict ``invalid_transition`` (details carry
            ``from`` and ``to``) — nothing is changed then, in SQL or Redis.
        """
        with self.engine.connect() as conn:
            a = conn.execute(
                sa.select(assignments).where(assignments.c.assignment_id == assignment_id)
            ).mappings().first()  # fmt: skip
        if a is None:
            raise NotFound("not_found", f"no assignment {assignment_id}")
        try:
            state = check_assignment_transition(a["status"], to)
        except InvalidTransition as exc:
            raise invalid_transition_error(exc) from None
        target = state.value
        now = self.clock() if at is None else at
        incident_id, guard_id = a["incident_id"], a["guard_id"]
        values: dict[str, Any] = {"status": target, "active": target in ACTIVE,
                                  _STAMP[state]: utc(now)}  # fmt: skip
        if target == "on_scene":
            values["arrival"] = arrival or "guard"
        with self.transaction() as conn:
            inc = self._lock_incident(conn, incident_id)
            done = conn.execute(
                assignments.update()
                .where(assignments.c.assignment_id == assignment_id)
                .where(assignments.c.status == a["status"])  # nobody moved it meanwhile
                .values(**values)
            ).rowcount
            if not done:
                current = conn.execute(
                    sa.select(assignments.c.status).where(
                        assignments.c.assignment_id == assignment_id
                    )
                ).scalar_one()
                raise invalid_transition_error(InvalidTransition("assignment", current, to))
            if target == "on_scene":
                conn.execute(
                    incident_dispatch.update()
                    .where(incident_dispatch.c.incident_id == incident_id)
                    .where(incident_dispatch.c.first_on_scene_at.is_(None))
                    .values(first_on_scene_at=utc(now))
                )
            step = {"from": a["status"], "to": target, **({"arrival": arrival} if arrival else {}),
                    **dict(detail or {})}  # fmt: skip
            self.timeline_event(conn, incident_id, now, target, actor, guard_id=guard_id,
                                assignment_id=assignment_id, detail=step)  # fmt: skip
            audit.write(conn, actor, "assignment.transition", f"assignment:{assignment_id}",
                        {"incident_id": incident_id, "guard_id": guard_id, **step}, at=now)  # fmt: skip
            new = self._settle_incident(conn, incident_id, inc["status"], now, actor)
        if target not in ACTIVE:
            self.marks.release(guard_id, incident_id)
        events = [{"type": EventType.ASSIGNMENT_CHANGED, "assignment_id": assignment_id,
                   "incident_id": incident_id, "guard_id": guard_id, "from": a["status"],
                   "to": target, "at": now, "actor": actor.name}]  # fmt: skip
        if new != inc["status"]:
            events.append(_updated(incident_id, inc["status"], new, now))
            if new in ("closed", "cancelled"):
                self._after_end(incident_id)
        self.publish(events)
        return {"assignment_id": assignment_id, "incident_id": incident_id,
                "guard_id": guard_id, "status": target, "incident_status": new}  # fmt: skip

    def end(self, actor: Actor, incident_id: str, to: str, note: str = "") -> dict[str, Any]:
        """Close or cancel an incident by hand; its active assignments are cancelled."""
        now = self.clock()
        with self.transaction() as conn:
            inc = self._lock_incident(conn, incident_id)
            try:
                check_incident_transition(inc["status"], to)
            except InvalidTransition as exc:
                raise invalid_transition_error(exc) from None
            active = conn.execute(
                sa.select(assignments.c.assignment_id, assignments.c.guard_id)
                .where(assignments.c.incident_id == incident_id)
                .where(assignments.c.active)
            ).all()
            for aid, gid in active:
                conn.execute(
                    assignments.update()
                    .where(assignments.c.assignment_id == aid)
                    .values(status="cancelled", active=False, ended_at=utc(now))
                )
                self.timeline_event(conn, incident_id, now, "cancelled", actor, guard_id=gid,
                                    assignment_id=aid, detail={"reason": f"incident {to}"})  # fmt: skip
            conn.execute(
                incidents.update().where(incidents.c.incident_id == incident_id).values(status=to)
            )
            conn.execute(
                incident_dispatch.update()
                .where(incident_dispatch.c.incident_id == incident_id)
                .values(closed_at=utc(now), updated_at=utc(now))
            )
            self.timeline_event(conn, incident_id, now, "status", actor,
                                detail={"from": inc["status"], "to": to, "note": note})  # fmt: skip
            audit.write(conn, actor, f"incident.{'close' if to == 'closed' else 'cancel'}",
                        f"incident:{incident_id}", {"note": note,
                        "cancelled_assignments": [a for a, _ in active]}, at=now)  # fmt: skip
        for _, gid in active:
            self.marks.release(gid, incident_id)
        self._after_end(incident_id)
        events = [{"type": EventType.ASSIGNMENT_CHANGED, "assignment_id": aid, "incident_id": incident_id,
                   "guard_id": gid, "from": None, "to": "cancelled", "at": now,
                   "actor": actor.name} for aid, gid in active]  # fmt: skip
        self.publish([*events, _updated(incident_id, inc["status"], to, now)])
        return self.get(incident_id)

    def _after_end(self, incident_id: str) -> None:
        """An SOS incident that ends clears the guard's SOS flag on the map."""
        with self.engine.connect() as conn:
            gid = conn.execute(
                sa.select(incident_dispatch.c.sos_guard_id).where(
                    incident_dispatch.c.incident_id == incident_id
                )
            ).scalar_one_or_none()
        if gid:
            self.store.clear_sos(gid)


def _updated(incident_id: str, frm: str, to: str, at: float) -> dict[str, Any]:
    return {"type": EventType.INCIDENT_UPDATED, "incident_id": incident_id, "from": frm, "status": to,
            "at": at}  # fmt: skip


def _summary(view: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("incident_id", "kind", "kind_zh", "priority", "status", "source", "lon", "lat",
            "zone_id", "unit_id", "description", "created_at")  # fmt: skip
    return {k: view.get(k) for k in keys}
