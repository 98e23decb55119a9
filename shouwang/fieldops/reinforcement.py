"""Zone reinforcement 联防增援: "看好自家门，也护好邻家院".

From an incident, alert every available on-duty guard of the incident's
joint-defence zone (or of every zone) who is within a straight-line radius
(``radius_m``) or a travel time along the street graph (``walk_s``, compound
gates respected, e-bike guards at their street speed). Each alerted guard
answers on his page: coming 前往 or cannot 无法前往.

Who counts as available is the nearest-guard rule (:mod:`geo.nearest`): on
duty with a live fix, not signal lost, not already dispatched elsewhere.
The Redis GEO set of on-duty guards narrows the search first (at city scale
only the guards near the incident are routed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo.nearest import NoGuardOnDuty, nearest_guards
from live.state.store import LiveStore
from shouwang import records
from shouwang.errors import Forbidden, InvalidInput, NotFound
from shouwang.geoservice import GeoService
from shouwang.i18n import label_of, t
from shouwang.records.audit import write_entry as write_audit
from shouwang.records.fieldops_tables import reinforcement_alerts, reinforcements
from shouwang.timeutil import iso, utc
from shouwang.vocab import EventType, ReinforcementAnswer

__all__ = ["ANSWERS", "SCOPES", "ReinforcementService"]

ANSWERS: tuple[ReinforcementAnswer, ...] = tuple(ReinforcementAnswer)
SCOPES = ("zone", "all")
#: Alerts stay on a guard's page this long after the call.
SHOWN_FOR_S = 2 * 3600


class ReinforcementService:
    """Create reinforcement calls, record answers, read them back.

    Parameters
    ----------
    engine
        Records database.
    store
        Live store (guard states, events).
    geo
        The process's geo service: ``live_guards(states)``, ``graph``,
        ``dataset.zones``/``dataset.units``, ``walk_speed_mps``, ``ebike_speed_mps``.
    clock
        Epoch seconds.
    """

    def __init__(
        self,
        engine: Engine,
        store: LiveStore,
        geo: GeoService,
        *,
        clock: Callable[[], float],
    ) -> None:
        self.engine, self.store, self.geo, self.clock = engine, store, geo, clock

    # -- create -----------------------------------------------------------------
    def incident_point(self, incident_id: str) -> tuple[float, float] | None:
        """(lon, lat) of a recorded incident, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(records.incidents.c.lon, records.incidents.c.lat).where(
                    records.incidents.c.incident_id == incident_id
                )
            ).first()
        return None if row is None else (float(row.lon), float(row.lat))

    def candidates(
        self,
        lon: float,
        lat: float,
        *,
        radius_m: float | None,
        walk_s: float | None,
        scope: str,
    ) -> tuple[list[dict[str, Any]], str | None, list[str]]:
        """Guards to alert: ``(rows, incident zone, notes)``, nearest first.

        Each row: guard_id, name, unit_id, zone_id, distance_m, eta_s.
        """
        geo = self.geo
        vmax = max(geo.walk_speed_mps, geo.ebike_speed_mps)
        if radius_m is not None:
            reach_m = radius_m
        else:
            assert walk_s is not None  # call() has checked: exactly one of the two
            reach_m = walk_s * vmax
        # Straight line <= route: the GEO set gives every guard who might make it.
        near = {gid for gid, _ in self.store.on_duty_within(lon, lat, reach_m * 1.001 + 1.0)}
        guards = geo.live_guards(self.store.states())
        guards = guards[guards["guard_id"].isin(near)].reset_index(drop=True)
        notes: list[str] = []
        zone = None
        try:
            result = nearest_guards(
                lon, lat, guards, k=max(len(guards), 1),
                mode="line" if radius_m is not None else "walk",
                max_eta_s=walk_s, zones=geo.dataset.zones, units=geo.dataset.units,
                graph=geo.graph, walk_speed_mps=geo.walk_speed_mps,
                ebike_speed_mps=geo.ebike_speed_mps,
            )  # fmt: skip
        except NoGuardOnDuty:
            result = None
            notes.append("no available guard on duty within reach")
        rows: list[dict[str, Any]] = []
        if result is not None:
            zone = result.incident_zone_id
            notes.extend(result.problems)
            cols = result.columns
            keep = np.ones(len(result), dtype=bool)
            if radius_m is not None:
                keep &= cols["distance_m"] <= radius_m
            if scope == "zone":
                if zone is None:
                    notes.append("incident outside every zone: guards of all zones alerted")
                else:
                    keep &= cols["zone_id"].astype(object) == zone
            for i in np.flatnonzero(keep):
                rows.append(
                    {
                        "guard_id": str(cols["guard_id"][i]),
                        "name": str(cols["name"][i]) if "name" in cols else None,
                        "unit_id": str(cols["unit_id"][i]) if "unit_id" in cols else None,
                        "zone_id": None if cols["zone_id"][i] is None else str(cols["zone_id"][i]),
                        "distance_m": round(float(cols["distance_m"][i]), 1),
                        "eta_s": round(float(cols["eta_s"][i]), 1),
                    }
                )
        if not rows and not notes:
            notes.append("no available guard on duty within reach")
        return rows, zone, notes

    def create(
        self,
        *,
        incident_id: str | None,
        lon: float | None,
        lat: float | None,
        radius_m: float | None = None,
        walk_s: float | None = None,
        scope: str = "zone",
        note: str = "",
        actor: str = "",
        remote_addr: str = "",
    ) -> dict[str, Any]:
        """Call a reinforcement, alert the guards in reach; returns :meth:`get`'s shape.

        Raises
        ------
        DomainError
            NotFound when ``incident_id`` is unknown and no point is given; InvalidInput for
            a missing point or not exactly one of ``radius_m`` / ``walk_s``.
        """
        problems = []
        if (radius_m is None) == (walk_s is None):
            problems.append(
                {"field": "radius_m", "problem": "give exactly one of radius_m (metres, straight "
                 "line) or walk_s (seconds on the street graph)"}
            )  # fmt: skip
        if scope not in SCOPES:
            problems.append({"field": "scope", "problem": "must be zone or all"})
        if lon is None or lat is None:
            point = self.incident_point(incident_id) if incident_id else None
            if point is None and incident_id and not problems:
                raise NotFound(
                    "unknown_incident", f"no incident {incident_id!r}; give lon and lat",
                    [{"field": "incident_id", "problem": "not a recorded incident"}],
                )  # fmt: skip
            if point is None:
                problems.append(
                    {"field": "lon", "problem": "give lon and lat, or a recorded incident_id"}
                )
            else:
                lon, lat = point
        if problems:
            raise InvalidInput("invalid_request", "invalid reinforcement call", problems)
        assert lon is not None and lat is not None  # given, or the incident's point
        rows, zone, notes = self.candidates(lon, lat, radius_m=radius_m, walk_s=walk_s, scope=scope)
        rid = f"RF-{uuid.uuid4().hex[:12]}"
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                reinforcements.insert().values(
                    reinforcement_id=rid, incident_id=incident_id, lon=lon, lat=lat,
                    radius_m=radius_m, walk_s=walk_s, scope=scope, zone_id=zone,
                    created_at=utc(now), created_by=actor or "", note=note or "",
                )
            )  # fmt: skip
            if rows:
                conn.execute(
                    reinforcement_alerts.insert(),
                    [
                        {"reinforcement_id": rid, "guard_id": r["guard_id"],
                         "zone_id": r["zone_id"], "distance_m": r["distance_m"],
                         "eta_s": r["eta_s"]}
                        for r in rows
                    ],
                )  # fmt: skip
            write_audit(
                conn, at=now, actor=actor, action="reinforcement.create",
                target=f"reinforcement:{rid}",
                detail={"incident_id": incident_id, "lon": lon, "lat": lat, "radius_m": radius_m,
                        "walk_s": walk_s, "scope": scope, "alerted": [r["guard_id"] for r in rows]},
                remote_addr=remote_addr,
            )  # fmt: skip
        self.store.publish(
            {
                "type": EventType.REINFORCEMENT,
                "reinforcement_id": rid,
                "incident_id": incident_id,
                "lon": lon,
                "lat": lat,
                "zone_id": zone,
                "note": note or "",
                "at": now,
                "guard_ids": [r["guard_id"] for r in rows],
                "alerts": [{k: r[k] for k in ("guard_id", "distance_m", "eta_s")} for r in rows],
            }
        )
        body = self.get(rid)
        body["problems"] = notes
        return body

    # -- answers ------------------------------------------------------------------
    def respond(
        self,
        reinforcement_id: str,
        guard_id: str,
        answer: object,
        *,
        note: str = "",
        remote_addr: str = "",
    ) -> dict[str, Any]:
        """Record a guard's answer (he may change his mind; the latest counts).

        Raises
        ------
        DomainError
            InvalidInput bad answer, NotFound unknown reinforcement, Forbidden the guard was not alerted.
        """
        if answer not in ANSWERS:
            raise InvalidInput(
                "invalid_request", "invalid answer",
                [{"field": "answer", "problem": "must be coming or cannot"}],
            )  # fmt: skip
        now = self.clock()
        with self.engine.begin() as conn:
            head = conn.execute(
                sa.select(reinforcements.c.incident_id).where(
                    reinforcements.c.reinforcement_id == reinforcement_id
                )
            ).first()
            if head is None:
                raise NotFound("not_found", f"no reinforcement {reinforcement_id!r}")
            done = conn.execute(
                reinforcement_alerts.update()
                .where(
                    reinforcement_alerts.c.reinforcement_id == reinforcement_id,
                    reinforcement_alerts.c.guard_id == guard_id,
                )
                .values(answer=answer, answered_at=utc(now), note=note or "")
            )
            if done.rowcount == 0:
                raise Forbidden(
                    "not_alerted", f"guard {guard_id} was not alerted by {reinforcement_id}"
                )
            write_audit(
                conn, at=now, actor=f"guard:{guard_id}", action="reinforcement.respond",
                target=f"reinforcement:{reinforcement_id}", detail={"answer": answer, "note": note or ""},
                remote_addr=remote_addr,
            )  # fmt: skip
        event = {
            "type": EventType.REINFORCEMENT_RESPONSE,
            "reinforcement_id": reinforcement_id,
            "incident_id": head.incident_id,
            "guard_id": guard_id,
            "answer": answer,
            "at": now,
        }
        self.store.publish(event)
        return event

    # -- reads --------------------------------------------------------------------
    def get(self, reinforcement_id: str) -> dict[str, Any]:
        """The call, who was alerted (distance, ETA) and each answer.

        Raises
        ------
        DomainError
            NotFound unknown id.
        """
        with self.engine.connect() as conn:
            head = conn.execute(
                sa.select(reinforcements).where(
                    reinforcements.c.reinforcement_id == reinforcement_id
                )
            ).first()
            if head is None:
                raise NotFound("not_found", f"no reinforcement {reinforcement_id!r}")
            alerts = conn.execute(
                sa.select(reinforcement_alerts)
                .where(reinforcement_alerts.c.reinforcement_id == reinforcement_id)
                .order_by(reinforcement_alerts.c.eta_s, reinforcement_alerts.c.guard_id)
            ).all()
        roster = self.store.roster()
        guards = []
        for a in alerts:
            entry = roster.get(a.guard_id)
            guards.append(
                {
                    "guard_id": a.guard_id,
                    "name": entry.name if entry else None,
                    "unit_id": entry.unit_id if entry else None,
                    "zone_id": a.zone_id,
                    "distance_m": a.distance_m,
                    "eta_s": a.eta_s,
                    "answer": a.answer,
                    "answer_zh": (
                        label_of(ReinforcementAnswer, a.answer)
                        if a.answer
                        else t("reinforcement.no_answer")
                    ),
                    "answered_at": iso(a.answered_at),
                    "note": a.note,
                }
            )
        counts = {"alerted": len(guards), "coming": 0, "cannot": 0, "no_answer": 0}
        for g in guards:
            counts[g["answer"] or "no_answer"] += 1
        return {
            "reinforcement_id": head.reinforcement_id,
            "incident_id": head.incident_id,
            "lon": head.lon,
            "lat": head.lat,
            "radius_m": head.radius_m,
            "walk_s": head.walk_s,
            "scope": head.scope,
            "zone_id": head.zone_id,
            "note": head.note,
            "created_at": iso(head.created_at),
            "created_by": head.created_by,
            "counts": counts,
            "guards": guards,
        }

    def for_guard(self, guard_id: str) -> list[dict[str, Any]]:
        """Recent calls that alerted a guard, newest first, with his answer."""
        since = utc(self.clock() - SHOWN_FOR_S)
        r, a = reinforcements.c, reinforcement_alerts.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    r.reinforcement_id, r.incident_id, r.lon, r.lat, r.note, r.created_at,
                    a.distance_m, a.eta_s, a.answer, a.answered_at,
                )
                .select_from(
                    reinforcement_alerts.join(
                        reinforcements, r.reinforcement_id == a.reinforcement_id
                    )
                )
                .where(a.guard_id == guard_id, r.created_at >= since)
                .order_by(r.created_at.desc())
            ).all()  # fmt: skip
        return [
            {
                "reinforcement_id": x.reinforcement_id,
                "incident_id": x.incident_id,
                "lon": x.lon,
                "lat": x.lat,
                "note": x.note,
                "created_at": iso(x.created_at),
                "distance_m": x.distance_m,
                "eta_s": x.eta_s,
                "answer": x.answer,
                "answered_at": iso(x.answered_at),
            }
            for x in rows
        ]
