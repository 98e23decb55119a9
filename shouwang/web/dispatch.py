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
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from shouwang.context import AppContext
from shouwang.dispatch import alarm_points
from shouwang.dispatch.escalation import ack_sos
from shouwang.dispatch.reads import (
    export_csv,
    export_frame,
    export_geojson,
    list_incidents,
    response_stats,
)
from shouwang.errors import InvalidInput, NotFound
from shouwang.i18n import label_of
from shouwang.records import audit
from shouwang.timeutil import iso_z
from shouwang.vocab import IncidentKind
from shouwang.web.actor import actor_from_request
from shouwang.web.models import parse_body, parse_query
from shouwang.web.models.dispatch import (
    AlarmBody,
    AssignBody,
    AuditQuery,
    CancelBody,
    CandidatesQuery,
    CloseBody,
    IncidentBody,
    IncidentFilters,
    IncidentListQuery,
    TransitionBody,
)
from shouwang.web.openapi import documented

__all__ = ["create_blueprint"]


_ID = {"incident_id": "incident id", "assignment_id": "assignment id",
       "guard_id": "the guard who raised the SOS"}  # fmt: skip


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("invalid_request", "the body must be a JSON object",
                           [{"field": "body", "problem": "expected a JSON object"}])  # fmt: skip
    return body


def _optional_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def create_blueprint(ctx: AppContext) -> Blueprint:
    """Blueprint of the dispatch endpoints, bound to the app context ``ctx``."""
    bp = Blueprint("dispatch", __name__)
    service = ctx.dispatch
    tz = ZoneInfo(ctx.settings.TIMEZONE)
    zones = tuple(str(z) for z in ctx.dataset.zones["zone_id"])

    def query(model, message: str):
        return parse_query(model, request.args, message, tz=tz, zones=zones)

    # -- incidents ----------------------------------------------------------
    @bp.post("/api/v1/incidents")
    @documented("Record an incident (dispatcher or guard report); zone and unit are found "
                "from the location", body=IncidentBody, actor=True,
                responses={201: "the incident with its timeline", 400: ""})  # fmt: skip
    def create_incident():
        body = parse_body(IncidentBody, _json_body(), "invalid incident",
                          extent=service.places.extent)  # fmt: skip
        incident, _ = service.create(actor_from_request(), body.model_dump())
        return jsonify(incident), 201

    @bp.get("/api/v1/incidents")
    @documented("Live incidents, newest first, with assignments and timers (unassigned_for_s, "
                "on_scene_for_s), offer and SOS state", query=IncidentListQuery,
                responses={200: "{incidents: [...], count}", 400: ""})  # fmt: skip
    def incidents_list():
        q = query(IncidentListQuery, "invalid incident query")
        found = list_incidents(service, limit=q.limit, **q.filters())
        return jsonify({"incidents": found, "count": len(found)})

    @bp.get("/api/v1/incidents/<incident_id>")
    @documented("One incident: assignments with timestamps, timeline, timers, offer (next "
                "guard after a timeout), SOS owner and escalation", path=_ID,
                responses={200: "the incident", 404: ""})  # fmt: skip
    def incident(incident_id: str):
        return jsonify(service.get(incident_id))

    @bp.get("/api/v1/incidents/<incident_id>/candidates")
    @documented("The nearest available guards to the incident by walking time",
                query=CandidatesQuery, path=_ID,
                responses={200: "{incident_id, candidates: [{guard_id, name, unit_id, zone_id, "
                           "status, eta_s, distance_m}]}", 400: "", 404: ""})  # fmt: skip
    def candidates(incident_id: str):
        q = query(CandidatesQuery, "invalid candidates query")
        where = service.where(incident_id)
        if where is None:
            raise NotFound("not_found", f"no incident {incident_id}")
        return jsonify(
            {"incident_id": incident_id, "candidates": service.places.candidates(*where, k=q.k)}
        )

    @bp.post("/api/v1/incidents/<incident_id>/assign")
    @documented("Send guards to the incident (all or none); a guard already sent elsewhere "
                "answers 409 guard_busy with fresh candidates", body=AssignBody, path=_ID,
                actor=True, responses={201: "{incident_id, assignments: [{assignment_id, "
                "guard_id, status}]}", 400: "", 404: "", 409: ""})  # fmt: skip
    def assign(incident_id: str):
        body = parse_body(AssignBody, _json_body(), "invalid assignment")
        made = service.assign(actor_from_request(), incident_id, body.guard_ids)
        return jsonify({"incident_id": incident_id, "assignments": made}), 201

    @bp.post("/api/v1/incidents/<incident_id>/close")
    @documented("Close the incident by hand (active assignments are cancelled)",
                body=CloseBody, body_required=False, path=_ID, actor=True,
                responses={200: "the incident", 404: "", 409: ""})  # fmt: skip
    def close(incident_id: str):
        note = parse_body(CloseBody, _optional_body(), "invalid close").note
        return jsonify(service.end(actor_from_request(), incident_id, "closed", note))

    @bp.post("/api/v1/incidents/<incident_id>/cancel")
    @documented("Cancel the incident (false alarm, duplicate); active assignments are "
                "cancelled", body=CancelBody, body_required=False, path=_ID, actor=True,
                responses={200: "the incident", 404: "", 409: ""})  # fmt: skip
    def cancel(incident_id: str):
        reason = parse_body(CancelBody, _optional_body(), "invalid cancel").reason
        return jsonify(service.end(actor_from_request(), incident_id, "cancelled", reason))

    @bp.post("/api/v1/assignments/<assignment_id>/transition")
    @documented("Move an assignment along assigned → acknowledged → en_route → on_scene → "
                "cleared (or declined, timed_out, cancelled); an invalid move answers 409 "
                "invalid_transition with from/to in details and changes nothing",
                body=TransitionBody, path=_ID, actor=True,
                responses={200: "{assignment_id, incident_id, guard_id, status, "
                           "incident_status}", 400: "", 404: "", 409: ""})  # fmt: skip
    def transition(assignment_id: str):
        to = parse_body(TransitionBody, _json_body(), "invalid transition").to
        return jsonify(service.transition(actor_from_request(), assignment_id, to))

    def _export(kind: str):
        filters = query(IncidentFilters, "invalid export query").filters()
        names = {gid: e.name for gid, e in ctx.store.roster().items()}
        frame = export_frame(service.engine, names, **filters)
        audit.record(service.engine, actor_from_request(), "incident.export", f"export:{kind}",
                     {"rows": len(frame), **{k: v for k, v in filters.items() if v}},
                     at=ctx.clock())  # fmt: skip
        return frame

    @bp.get("/api/v1/incidents/export.csv")
    @documented("Incidents as CSV (UTF-8 with BOM, zh-CN labels beside the codes), oldest "
                "first", query=IncidentFilters, actor=True, response_media="text/csv",
                responses={200: "CSV", 400: ""})  # fmt: skip
    def export_as_csv():
        text = export_csv(_export("csv"))
        return Response(text, mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'})  # fmt: skip

    @bp.get("/api/v1/incidents/export.geojson")
    @documented("Incidents as a GeoJSON FeatureCollection of points (WGS-84)",
                query=IncidentFilters, actor=True, response_media="application/geo+json",
                responses={200: "FeatureCollection", 400: ""})  # fmt: skip
    def export_as_geojson():
        return Response(
            json.dumps(export_geojson(_export("geojson")), ensure_ascii=False),
            mimetype="application/geo+json",
            headers={"Content-Disposition": 'attachment; filename="incidents.geojson"'},
        )

    # -- alarms and SOS -------------------------------------------------------
    @bp.post("/api/v1/alarms")
    @documented("One-click alarm (一键报警) from a fixed point: a priority-1 incident at the "
                "point; pressing again while it is open returns the same incident",
                body=AlarmBody, responses={201: "the new incident", 200: "the point's open "
                "incident (duplicate: true)", 400: "", 403: ""})  # fmt: skip
    def raise_alarm():
        body = parse_body(AlarmBody, _json_body(), "invalid alarm")
        incident, created = alarm_points.raise_alarm(
            service, actor_from_request(), body.key, body.kind
        )
        return jsonify({**incident, "duplicate": not created}), 201 if created else 200

    @bp.get("/api/v1/alarm-points")
    @documented("Admin view: every one-click alarm point (one per school gate) with its key; "
                "viewing is audited", actor=True,
                responses={200: "{alarm_points: [{point_id, gate_id, unit_id, zone_id, "
                           "name_zh, lon, lat, active, key}]}"})  # fmt: skip
    def alarm_point_list():
        found = alarm_points.points(service.engine, service.alarm_secret)
        audit.record(service.engine, actor_from_request(), "alarm_points.view", "alarm_points",
                     {"points": len(found)}, at=ctx.clock())  # fmt: skip
        return jsonify({"alarm_points": found})

    @bp.post("/api/v1/sos/<guard_id>/ack")
    @documented("Acknowledge a guard's SOS: the first dispatcher owns it and escalation "
                "stops; another dispatcher gets 409 sos_owned naming the owner", path=_ID,
                actor=True, responses={200: "the SOS incident", 404: "", 409: ""})  # fmt: skip
    def sos_ack(guard_id: str):
        return jsonify(ack_sos(service, actor_from_request(), guard_id))

    # -- audit and figures ----------------------------------------------------
    @bp.get("/api/v1/audit")
    @documented("Audit log: who did what, when, from where (oldest first from since, else "
                "the latest)", query=AuditQuery,
                responses={200: "{entries: [{id, at, actor, action, target, detail, "
                           "remote_addr}]}", 400: ""})  # fmt: skip
    def audit_list():
        q = query(AuditQuery, "invalid audit query")
        rows = audit.entries(service.engine, since=q.since, limit=q.limit)
        return jsonify({"entries": [{**r, "at": iso_z(r["at"])} for r in rows]})

    @bp.get("/api/v1/stats/response-times")
    @documented("Response times P50/P90 with counts, overall and per zone and kind: "
                "acknowledge, turnout, travel, total (created → first on scene)",
                query=IncidentFilters,
                responses={200: "{from, to, overall: {measure: {count, p50_s, p90_s}}, "
                           "groups: [...]}", 400: ""})  # fmt: skip
    def response_times():
        filters = query(IncidentFilters, "invalid response-time query").filters()
        stats = response_stats(service.engine, **filters)
        for g in stats["groups"]:
            g["kind_zh"] = label_of(IncidentKind, g.get("kind"))
        return jsonify({"from": iso_z(filters["since"]), "to": iso_z(filters["until"]), **stats})

    return bp
