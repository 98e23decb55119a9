"""Roll call 系统点名: is every on-duty guard really at his post?

A roll call alerts every on-duty guard of one zone (or of all zones). Each
must press 点名签到 on his page within ``window_s`` (``ROLL_CALL_MINUTES``).

An answer counts (``on_time``) only if, when he answers, his latest fix is
fresh (no older than ``fix_max_age_s``, the signal-lost limit) and lies in
his post's area: within ``post_radius_m`` (``POST_RADIUS_M``) of his post OR
inside the wall of his own unit (a guard on his compound's patrol round is
at his post; one in the street outside is not).

Outcomes per guard:

``on_time``   answered before the deadline, on post;
``off_post``  answered before the deadline, but away from his post area (or no fresh fix);
``late``      answered after the deadline (still accepted until ``closes_at``,
              one more window later);
``missing``   no answer by the deadline (a later answer turns it into ``late``).

At the deadline the roll call is closed once (conditional update in SQL, so
several processes and the on-read check never close it twice) and the
guards who have not answered are marked ``missing``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

import geopandas as gpd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo.distance import haversine_m
from live.state.store import LiveStore
from shouwang.errors import Conflict, Forbidden, InvalidInput, NotFound
from shouwang.i18n import label_of, t
from shouwang.records.audit import write_entry as write_audit
from shouwang.records.fieldops_tables import rollcall_guards, rollcalls
from shouwang.timeutil import aware, iso, utc
from shouwang.vocab import EventType, RollCallOutcome

__all__ = ["RollCallService"]


def summarise(outcomes: Collection[str | None]) -> dict[str, Any]:
    """Counts per outcome and the rates of a roll call.

    ``response_rate``: answers that count (on time, on post) / alerted;
    ``answer_rate``: any answer (on time, off post or late) / alerted.
    """
    counts = {k: 0 for k in (*(o.value for o in RollCallOutcome), "pending")}
    for o in outcomes:
        counts[o or "pending"] += 1
    alerted = len(outcomes)
    answered = counts["on_time"] + counts["off_post"] + counts["late"]
    return {
        "alerted": alerted,
        **counts,
        "answered": answered,
        "response_rate": round(counts["on_time"] / alerted, 4) if alerted else None,
        "answer_rate": round(answered / alerted, 4) if alerted else None,
    }


class RollCallService:
    """Start roll calls, take answers, close them, read results.

    Parameters
    ----------
    engine
        Records database.
    store
        Live store (duty, roster, latest fixes, events).
    units
        Unit walls (GeoDataFrame in WGS-84 with ``unit_id``).
    zone_ids
        Known zone ids.
    window_s
        Time to answer (``ROLL_CALL_MINUTES`` × 60).
    post_radius_m, fix_max_age_s
        The post-area rule (see the module docstring).
    clock
        Epoch seconds.
    """

    def __init__(
        self,
        engine: Engine,
        store: LiveStore,
        *,
        units: gpd.GeoDataFrame,
        zone_ids: Collection[str],
        window_s: float,
        post_radius_m: float,
        fix_max_age_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.engine, self.store, self.clock = engine, store, clock
        self.walls = {str(u): g for u, g in zip(units["unit_id"], units.geometry, strict=True)}
        self.zone_ids = set(zone_ids)
        self.window_s = float(window_s)
        self.post_radius_m = float(post_radius_m)
        self.fix_max_age_s = float(fix_max_age_s)

    # -- start --------------------------------------------------------------------
    def start(
        self, zone_id: str | None, *, actor: str = "", remote_addr: str = ""
    ) -> dict[str, Any]:
        """Alert every on-duty guard of ``zone_id`` (None: all zones); returns :meth:`get`.

        Raises
        ------
        DomainError
            InvalidInput unknown zone; Conflict no guard on duty there.
        """
        if zone_id is not None and zone_id not in self.zone_ids:
            raise InvalidInput(
                "invalid_request", "invalid roll call",
                [{"field": "zone_id", "problem": f"unknown zone; one of {sorted(self.zone_ids)}"}],
            )  # fmt: skip
        now = self.clock()
        roster = self.store.roster()
        duty = self.store.duty(now)
        called = [
            e for gid, e in roster.items() if duty.get(gid) and (zone_id in (None, e.zone_id))
        ]
        if not called:
            raise Conflict(
                "no_guard_on_duty", "no guard is on duty" + (f" in zone {zone_id}" if zone_id else "")
            )  # fmt: skip
        rid = f"RC-{uuid.uuid4().hex[:12]}"
        deadline = now + self.window_s
        with self.engine.begin() as conn:
            conn.execute(
                rollcalls.insert().values(
                    rollcall_id=rid, zone_id=zone_id, started_at=utc(now),
                    deadline_at=utc(deadline), closes_at=utc(deadline + self.window_s),
                    status="open", created_by=actor or "",
                )
            )  # fmt: skip
            conn.execute(
                rollcall_guards.insert(),
                [
                    {"rollcall_id": rid, "guard_id": e.guard_id, "zone_id": e.zone_id,
                     "unit_id": e.unit_id}
                    for e in called
                ],
            )  # fmt: skip
            write_audit(
                conn, at=now, actor=actor, action="rollcall.start", target=f"rollcall:{rid}",
                detail={"zone_id": zone_id, "alerted": len(called)}, remote_addr=remote_addr,
            )  # fmt: skip
        self.store.publish(
            {
                "type": EventType.ROLLCALL,
                "rollcall_id": rid,
                "zone_id": zone_id,
                "at": now,
                "deadline": deadline,
                "guard_ids": [e.guard_id for e in called],
            }
        )
        return self.get(rid)

    # -- answer -------------------------------------------------------------------
    def post_check(self, guard_id: str, now: float) -> dict[str, Any]:
        """Whether a guard's latest fix puts him in his post area now."""
        entry = self.store.roster().get(guard_id)
        fix = self.store.previous_fixes([guard_id])[0]
        if entry is None or fix is None:
            return {"on_post": False, "post_distance_m": None, "fix_age_s": None}
        age_s = now - fix.ts
        dist = float(haversine_m(fix.lat, fix.lon, entry.post_lat, entry.post_lon))
        wall = self.walls.get(entry.unit_id)
        inside = wall is not None and bool(shapely.contains_xy(wall, fix.lon, fix.lat))
        on_post = age_s <= self.fix_max_age_s and (dist <= self.post_radius_m or inside)
        return {
            "on_post": bool(on_post),
            "post_distance_m": round(dist, 1),
            "fix_age_s": round(age_s, 1),
            "fix_lon": fix.lon,
            "fix_lat": fix.lat,
        }

    def answer(self, rollcall_id: str, guard_id: str, *, remote_addr: str = "") -> dict[str, Any]:
        """Record a guard's answer; a repeated answer returns the first one.

        Raises
        ------
        DomainError
            NotFound unknown roll call, Forbidden the guard was not called, Conflict closed
            for answers (past ``closes_at``).
        """
        now = self.clock()
        with self.engine.begin() as conn:
            head = conn.execute(
                sa.select(rollcalls).where(rollcalls.c.rollcall_id == rollcall_id)
            ).first()
            if head is None:
                raise NotFound("not_found", f"no roll call {rollcall_id!r}")
            mine = conn.execute(
                sa.select(rollcall_guards).where(
                    rollcall_guards.c.rollcall_id == rollcall_id,
                    rollcall_guards.c.guard_id == guard_id,
                )
            ).first()
            if mine is None:
                raise Forbidden("not_called", f"guard {guard_id} is not in this roll call")
            if mine.answered_at is not None:
                return self._answer_body(rollcall_id, mine)
            if now > aware(head.closes_at).timestamp():
                raise Conflict("rollcall_closed", "this roll call no longer takes answers")
            check = self.post_check(guard_id, now)
            late = now > aware(head.deadline_at).timestamp()
            on_post = RollCallOutcome.ON_TIME if check["on_post"] else RollCallOutcome.OFF_POST
            outcome = RollCallOutcome.LATE if late else on_post
            conn.execute(
                rollcall_guards.update()
                .where(
                    rollcall_guards.c.rollcall_id == rollcall_id,
                    rollcall_guards.c.guard_id == guard_id,
                    rollcall_guards.c.answered_at.is_(None),
                )
                .values(answered_at=utc(now), outcome=outcome, **check)
            )
            write_audit(
                conn, at=now, actor=f"guard:{guard_id}", action="rollcall.answer",
                target=f"rollcall:{rollcall_id}", detail={"outcome": outcome, **check}, remote_addr=remote_addr,
            )  # fmt: skip
            mine = conn.execute(
                sa.select(rollcall_guards).where(
                    rollcall_guards.c.rollcall_id == rollcall_id,
                    rollcall_guards.c.guard_id == guard_id,
                )
            ).first()
        body = self._answer_body(rollcall_id, mine)
        self.store.publish({"type": EventType.ROLLCALL_ANSWER, **body})
        return body

    @staticmethod
    def _answer_body(rollcall_id: str, row: Any) -> dict[str, Any]:
        return {
            "rollcall_id": rollcall_id,
            "guard_id": row.guard_id,
            "outcome": row.outcome,
            "outcome_zh": (
                label_of(RollCallOutcome, row.outcome) if row.outcome else t("rollcall.pending")
            ),
            "answered_at": iso(row.answered_at),
            "on_post": row.on_post,
            "post_distance_m": row.post_distance_m,
            "fix_age_s": row.fix_age_s,
        }

    # -- close --------------------------------------------------------------------
    def close(self, rollcall_id: str) -> bool:
        """Close a roll call past its deadline and mark the missing; True if this call did it."""
        now = self.clock()
        with self.engine.begin() as conn:
            done = conn.execute(
                rollcalls.update()
                .where(
                    rollcalls.c.rollcall_id == rollcall_id,
                    rollcalls.c.status == "open",
                    rollcalls.c.deadline_at <= utc(now),
                )
                .values(status="closed", closed_at=utc(now))
            )
            if done.rowcount != 1:
                return False
            conn.execute(
                rollcall_guards.update()
                .where(
                    rollcall_guards.c.rollcall_id == rollcall_id,
                    rollcall_guards.c.answered_at.is_(None),
                )
                .values(outcome=RollCallOutcome.MISSING.value)
            )
            outcomes = conn.execute(
                sa.select(rollcall_guards.c.outcome).where(
                    rollcall_guards.c.rollcall_id == rollcall_id
                )
            ).scalars().all()  # fmt: skip
            write_audit(
                conn, at=now, actor="system", action="rollcall.close",
                target=f"rollcall:{rollcall_id}",
                detail=summarise(outcomes),
            )  # fmt: skip
        self.store.publish(
            {"type": EventType.ROLLCALL_CLOSED, "rollcall_id": rollcall_id, **summarise(outcomes)}
        )
        return True

    def close_due(self) -> list[str]:
        """Close every open roll call past its deadline; returns the ids this process closed."""
        with self.engine.connect() as conn:
            due = conn.execute(
                sa.select(rollcalls.c.rollcall_id).where(
                    rollcalls.c.status == "open", rollcalls.c.deadline_at <= utc(self.clock())
                )
            ).scalars().all()  # fmt: skip
        return [rid for rid in due if self.close(rid)]

    # -- reads --------------------------------------------------------------------
    def get(self, rollcall_id: str) -> dict[str, Any]:
        """The roll call with its result table (closing it first if it is due).

        Raises
        ------
        DomainError
            NotFound unknown id.
        """
        self.close(rollcall_id)  # computed on read: closes once, when due
        with self.engine.connect() as conn:
            head = conn.execute(
                sa.select(rollcalls).where(rollcalls.c.rollcall_id == rollcall_id)
            ).first()
            if head is None:
                raise NotFound("not_found", f"no roll call {rollcall_id!r}")
            rows = conn.execute(
                sa.select(rollcall_guards)
                .where(rollcall_guards.c.rollcall_id == rollcall_id)
                .order_by(rollcall_guards.c.zone_id, rollcall_guards.c.unit_id,
                          rollcall_guards.c.guard_id)
            ).all()  # fmt: skip
        roster = self.store.roster()
        guards = []
        for r in rows:
            entry = roster.get(r.guard_id)
            guards.append(
                {
                    **self._answer_body(rollcall_id, r),
                    "name": entry.name if entry else None,
                    "unit_id": r.unit_id,
                    "zone_id": r.zone_id,
                }
            )
        return {
            **self._head(head),
            "summary": summarise([r.outcome for r in rows]),
            "guards": guards,
        }

    @staticmethod
    def _head(head: Any) -> dict[str, Any]:
        return {
            "rollcall_id": head.rollcall_id,
            "zone_id": head.zone_id,
            "status": head.status,
            "started_at": iso(head.started_at),
            "deadline_at": iso(head.deadline_at),
            "closes_at": iso(head.closes_at),
            "closed_at": iso(head.closed_at),
            "created_by": head.created_by,
        }

    def in_period(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Roll calls started in ``[start, end)`` with their summaries (weekly bulletin)."""
        self.close_due()
        g = rollcall_guards.c
        with self.engine.connect() as conn:
            heads = conn.execute(
                sa.select(rollcalls)
                .where(rollcalls.c.started_at >= start, rollcalls.c.started_at < end)
                .order_by(rollcalls.c.started_at)
            ).all()
            ids = [h.rollcall_id for h in heads]
            counts = (
                conn.execute(
                    sa.select(g.rollcall_id, g.outcome, sa.func.count())
                    .where(g.rollcall_id.in_(ids))
                    .group_by(g.rollcall_id, g.outcome)
                ).all()
                if ids
                else []
            )
        by_id: dict[str, list[str | None]] = {rid: [] for rid in ids}
        for rid, outcome, n in counts:
            by_id[rid].extend([outcome] * int(n))
        items = [{**self._head(h), "summary": summarise(by_id[h.rollcall_id])} for h in heads]
        total = summarise([o for rid in ids for o in by_id[rid]])
        return {"from": start.isoformat(), "to": end.isoformat(), "rollcalls": items,
                "total": total}  # fmt: skip

    def pending_for(self, guard_id: str) -> list[dict[str, Any]]:
        """Roll calls still waiting for this guard's answer (newest first)."""
        now = utc(self.clock())
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(rollcalls.c.rollcall_id, rollcalls.c.deadline_at, rollcalls.c.started_at)
                .select_from(
                    rollcalls.join(
                        rollcall_guards, rollcall_guards.c.rollcall_id == rollcalls.c.rollcall_id
                    )
                )
                .where(
                    rollcall_guards.c.guard_id == guard_id,
                    rollcall_guards.c.answered_at.is_(None),
                    rollcalls.c.closes_at > now,
                )
                .order_by(rollcalls.c.started_at.desc())
            ).all()
        return [
            {"rollcall_id": r.rollcall_id, "started_at": iso(r.started_at),
             "deadline_at": iso(r.deadline_at),
             "deadline": aware(r.deadline_at).timestamp()}
            for r in rows
        ]  # fmt: skip
