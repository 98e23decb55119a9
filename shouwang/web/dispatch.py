"""Dispatch workflow endpoints: incidents, assignments, alarms, SOS, audit, figures, export.

Who acts: the ``X-Actor`` request header (the dispatcher's name until login
comes; percent-encoded UTF-8, see :mod:`shouwang.web.actor`), default
``anonymous``; the address is the request's.
Every refusal of the workflow (:mod:`shouwang.errors`) is answered at the
web edge in the one error shape, with extra members where useful
(``candidates`` for ``guard_busy``, ``owner`` for ``sos_owned``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from shouwang.dispatch import alarm_points
from shouwang.dispatch.escalation import ack_sos
from shouwang.dispatch.reads import (
    export_csv,
    export_frame,
    export_geojson,
    iso,
    list_incidents,
    response_stats,
)
from shouwang.dispatch.rules import INCIDENT_KINDS, IncidentStatus
from shouwang.errors import InvalidInput, NotFound
from shouwang.labels import INCIDENT_KIND_LABELS_ZH, label
from shouwang.records import audit
from shouwang.web.actor import actor_from_request

__all__ = ["create_blueprint"]

log = logging.getLogger("shouwang.web")

_STATUSES = tuple(s.value for s in IncidentStatus)
_SOURCES = ("dispatcher", "alarm_point", "sos", "guard_report", "history")


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("invalid_request", "the body must be a JSON object",
                       [{"field": "body", "problem": "expected a JSON object"}])  # fmt: skip
    return body


class _Query:
    """Typed query parameters and every problem with them."""

    def __init__(self, args: Mapping[str, str], tz: ZoneInfo) -> None:
        self.args, self.tz = args, tz
        self.problems: list[dict[str, str]] = []

    def time(self, name: str) -> float | None:
        """ISO date (station midnight) or date-time (no zone: station time) → epoch s."""
        text = self.args.get(name, "").strip()
        if not text:
            return None
        try:
            if len(text) == 10:
                value = datetime.combine(datetime.fromisoformat(text).date(), time(), self.tz)
            else:
                value = datetime.fromisoformat(text.replace("Z", "+00:00"))
                value = value if value.tzinfo else value.replace(tzinfo=self.tz)
        except ValueError:
            self.problems.append({"field": name, "problem": "must be an ISO date or date-time"})
            return None
        return value.timestamp()

    def choices(self, name: str, options: tuple[str, ...]) -> list[str] | None:
        text = self.args.get(name, "").strip()
        if not text:
            return None
        values = [v.strip() for v in text.split(",") if v.strip()]
        bad = [v for v in values if v not in options]
        if bad:
            self.problems.append(
                {"field": name, "problem": f"unknown {', '.join(bad)}; use {', '.join(options)}"}
            )
        return values

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        text = self.args.get(name, "").strip()
        if not text:
            return default
        if not text.isdigit() or not lo <= int(text) <= hi:
            self.problems.append({"field": name, "problem": f"must be a whole number {lo}-{hi}"})
            return default
        return int(text)

    def filters(self, zones: tuple[str, ...]) -> dict[str, Any]:
        out = {
            "since": self.time("from"),
            "until": self.time("to"),
            "status": self.choices("status", _STATUSES),
            "kind": self.choices("kind", INCIDENT_KINDS),
            "source": self.choices("source", _SOURCES),
            "zone": self.choices("zone", zones),
        }
        if out["since"] is not None and out["until"] is not None and out["since"] >= out["until"]:
            self.problems.append({"field": "to", "problem": "must be later than from"})
        return out

    def check(self, message: str) -> None:
        if self.problems:
            raise InvalidInput("invalid_request", message, self.problems)


def create_blueprint(ctx) -> Blueprint:
    """Blueprint of the dispatch endpoints, bound to the app context ``ctx``."""
    bp = Blueprint("dispatch", __name__)
    service = ctx.dispatch
    tz = ZoneInfo(ctx.settings.TIMEZONE)
    zones = tuple(str(z) for z in ctx.dataset.zones["zone_id"])

    # -- incidents ----------------------------------------------------------
    @bp.post("/api/v1/incidents")
    def create_incident():
        body = _json_body()
        if body.get("source") in ("alarm_point", "sos"):
            raise InvalidInput("invalid_request", "invalid incident", [{"field": "source",
                           "problem": "alarm_point and sos incidents come from /api/v1/alarms "
                           "and the guards' phones"}])  # fmt: skip
        incident, _ = service.create(actor_from_request(), body)
        return jsonify(incident), 201

    @bp.get("/api/v1/incidents")
    def incidents_list():
        q = _Query(request.args, tz)
        filters = q.filters(zones)
        limit = q.integer("limit", 200, 1, 2000)
        q.check("invalid incident query")
        found = list_incidents(service, limit=limit, **filters)
        return jsonify({"incidents": found, "count": len(found)})

    @bp.get("/api/v1/incidents/<incident_id>")
    def incident(incident_id: str):
        return jsonify(service.get(incident_id))

    @bp.get("/api/v1/incidents/<incident_id>/candidates")
    def candidates(incident_id: str):
        q = _Query(request.args, tz)
        k = q.integer("k", 5, 1, 50)
        q.check("invalid candidates query")
        where = service.where(incident_id)
        if where is None:
            raise NotFound("not_found", f"no incident {incident_id}")
        return jsonify(
            {"incident_id": incident_id, "candidates": service.places.candidates(*where, k=k)}
        )

    @bp.post("/api/v1/incidents/<incident_id>/assign")
    def assign(incident_id: str):
        body = _json_body()
        ids = body.get("guard_ids")
        if not isinstance(ids, list) or not all(isinstance(g, str) for g in ids):
            raise InvalidInput("invalid_request", "invalid assignment",
                           [{"field": "guard_ids", "problem": "must be a list of guard ids"}])  # fmt: skip
        made = service.assign(actor_from_request(), incident_id, ids)
        return jsonify({"incident_id": incident_id, "assignments": made}), 201

    @bp.post("/api/v1/incidents/<incident_id>/close")
    def close(incident_id: str):
        note = str((request.get_json(silent=True) or {}).get("note", ""))[:2000]
        return jsonify(service.end(actor_from_request(), incident_id, "closed", note))

    @bp.post("/api/v1/incidents/<incident_id>/cancel")
    def cancel(incident_id: str):
        note = str((request.get_json(silent=True) or {}).get("reason", ""))[:2000]
        return jsonify(service.end(actor_from_request(), incident_id, "cancelled", note))

    @bp.post("/api/v1/assignments/<assignment_id>/transition")
    def transition(assignment_id: str):
        to = _json_body().get("to")
        if not isinstance(to, str):
            raise InvalidInput("invalid_request", "invalid transition",
                           [{"field": "to", "problem": "is required, the new state"}])  # fmt: skip
        return jsonify(service.transition(actor_from_request(), assignment_id, to))

    def _export(kind: str):
        q = _Query(request.args, tz)
        filters = q.filters(zones)
        q.check("invalid export query")
        names = {gid: e.name for gid, e in ctx.store.roster().items()}
        frame = export_frame(service.engine, names, **filters)
        audit.record(service.engine, actor_from_request(), "incident.export", f"export:{kind}",
                     {"rows": len(frame), **{k: v for k, v in filters.items() if v}},
                     at=ctx.clock())  # fmt: skip
        return frame

    @bp.get("/api/v1/incidents/export.csv")
    def export_as_csv():
        text = export_csv(_export("csv"))
        return Response(text, mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'})  # fmt: skip

    @bp.get("/api/v1/incidents/export.geojson")
    def export_as_geojson():
        return Response(
            json.dumps(export_geojson(_export("geojson")), ensure_ascii=False),
            mimetype="application/geo+json",
            headers={"Content-Disposition": 'attachment; filename="incidents.geojson"'},
        )

    # -- alarms and SOS -------------------------------------------------------
    @bp.post("/api/v1/alarms")
    def raise_alarm():
        body = _json_body()
        key, kind = body.get("key"), body.get("kind", "other")
        problems = []
        if not isinstance(key, str) or not key:
            problems.append({"field": "key", "problem": "is required, the alarm point's key"})
        if kind not in INCIDENT_KINDS:
            problems.append(
                {"field": "kind", "problem": f"must be one of {', '.join(INCIDENT_KINDS)}"}
            )
        if problems:
            raise InvalidInput("invalid_request", "invalid alarm", problems)
        incident, created = alarm_points.raise_alarm(service, actor_from_request(), key, kind)
        return jsonify({**incident, "duplicate": not created}), 201 if created else 200

    @bp.get("/api/v1/alarm-points")
    def alarm_point_list():
        found = alarm_points.points(service.engine, service.alarm_secret)
        audit.record(service.engine, actor_from_request(), "alarm_points.view", "alarm_points",
                     {"points": len(found)}, at=ctx.clock())  # fmt: skip
        return jsonify({"alarm_points": found})

    @bp.post("/api/v1/sos/<guard_id>/ack")
    def sos_ack(guard_id: str):
        return jsonify(ack_sos(service, actor_from_request(), guard_id))

    # -- audit and figures ----------------------------------------------------
    @bp.get("/api/v1/audit")
    def audit_list():
        q = _Query(request.args, tz)
        since = q.time("since")
        limit = q.integer("limit", 100, 1, 5000)
        q.check("invalid audit query")
        rows = audit.entries(service.engine, since=since, limit=limit)
        return jsonify({"entries": [{**r, "at": iso(r["at"])} for r in rows]})

    @bp.get("/api/v1/stats/response-times")
    def response_times():
        q = _Query(request.args, tz)
        filters = q.filters(zones)
        q.check("invalid response-time query")
        stats = response_stats(service.engine, **filters)
        for g in stats["groups"]:
            g["kind_zh"] = label(INCIDENT_KIND_LABELS_ZH, g.get("kind"))
        return jsonify({"from": iso(filters["since"]), "to": iso(filters["until"]), **stats})

    return bp
