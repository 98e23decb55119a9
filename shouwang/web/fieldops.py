"""Field-operation endpoints: zone reinforcement, roll call, guard reports.

Dispatcher actions (start a reinforcement or a roll call) name their actor
in the ``X-Actor`` header until login exists (read by
:mod:`shouwang.web.actor`); guard actions (answer, respond, report) need the
guard's token (see :mod:`shouwang.web.guardpage`). Requests are validated by
the models of :mod:`shouwang.web.models.fieldops`; every problem is reported
together in the one error shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request, send_file

from shouwang.context import AppContext
from shouwang.errors import InvalidInput
from shouwang.fieldops.reports import MAX_PHOTO_BYTES
from shouwang.web.actor import actor_name_from_request
from shouwang.web.guardpage import remote_addr, require_guard
from shouwang.web.models import parse_body, parse_query
from shouwang.web.models.fieldops import (
    PeriodQuery,
    ReinforcementBody,
    ReportForm,
    ReportsQuery,
    RespondBody,
    RollcallBody,
)
from shouwang.web.openapi import documented

# Multipart overhead allowed above the photo limit before the body is refused unread.
_FORM_SLACK_BYTES = 256 * 1024


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and not request.data:
        return {}
    if not isinstance(body, dict):
        raise InvalidInput("invalid_json", "the body must be a JSON object")
    return body


def create_blueprint(ctx: AppContext) -> Blueprint:
    """Blueprint of the reinforcement, roll call and report endpoints, bound to ``ctx``."""
    bp = Blueprint("fieldops", __name__)
    ops = ctx.fieldops
    tz = ZoneInfo(ctx.settings.TIMEZONE)

    def period(model: type[PeriodQuery], message: str):
        now = datetime.fromtimestamp(ctx.clock(), tz)
        return parse_query(model, request.args, message, tz=tz, now=now)

    # -- reinforcement -----------------------------------------------------------
    @bp.post("/api/v1/reinforcements")
    @documented(
        "Zone reinforcement 联防增援: alert every available on-duty guard of the incident's "
        "zone (scope zone) or of all zones (scope all) within radius_m (straight line) or "
        "walk_s (travel time on the street graph); give exactly one",
        body=ReinforcementBody, actor=True,
        responses={201: "the call with the alerted guards (distance_m, eta_s) and problems",
                   400: "", 404: ""},
    )  # fmt: skip
    def create_reinforcement():
        b = parse_body(ReinforcementBody, _json_object(), "invalid reinforcement call")
        result = ops.reinforcements.create(
            incident_id=(b.incident_id or "").strip() or None, lon=b.lon, lat=b.lat,
            radius_m=b.radius_m, walk_s=b.walk_s, scope=b.scope, note=b.note.strip(),
            actor=actor_name_from_request(), remote_addr=remote_addr(),
        )  # fmt: skip
        return jsonify(result), 201

    @bp.get("/api/v1/reinforcements/<reinforcement_id>")
    @documented("A reinforcement call: who was alerted, distance and ETA, each answer "
                "(coming 前往 / cannot 无法前往), counts", path={"reinforcement_id": "e.g. RF-…"},
                responses={200: "the call", 404: ""})  # fmt: skip
    def get_reinforcement(reinforcement_id: str):
        return jsonify(ops.reinforcements.get(reinforcement_id))

    @bp.post("/api/v1/reinforcements/<reinforcement_id>/respond")
    @documented("The signed-in guard answers a reinforcement alert (the latest answer counts)",
                body=RespondBody, guard=True, path={"reinforcement_id": "e.g. RF-…"},
                responses={200: "the recorded answer", 400: "", 401: "", 403: "", 404: ""})  # fmt: skip
    def respond(reinforcement_id: str):
        session = require_guard(ctx)
        b = parse_body(RespondBody, _json_object(), "invalid answer")
        return jsonify(
            ops.reinforcements.respond(
                reinforcement_id, session.guard_id, b.answer, note=b.note.strip(),
                remote_addr=remote_addr(),
            )
        )  # fmt: skip

    # -- roll call ---------------------------------------------------------------------
    @bp.post("/api/v1/rollcalls")
    @documented("Roll call 系统点名 of every on-duty guard of one zone (zone_id) or all zones "
                "(null); each must answer within ROLL_CALL_MINUTES", body=RollcallBody,
                body_required=False, actor=True,
                responses={201: "the roll call with its result table", 400: "", 409: ""})  # fmt: skip
    def start_rollcall():
        b = parse_body(RollcallBody, _json_object(), "invalid roll call")
        result = ops.rollcalls.start(
            b.zone_id, actor=actor_name_from_request(), remote_addr=remote_addr()
        )
        return jsonify(result), 201

    @bp.get("/api/v1/rollcalls")
    @documented("Roll calls started in a period with their results (alerted, on_time, "
                "off_post, late, missing, response_rate) and the period's total, for the "
                "weekly bulletin", query=PeriodQuery,
                responses={200: "{from, to, rollcalls, total}", 400: ""})  # fmt: skip
    def list_rollcalls():
        q = period(PeriodQuery, "invalid period")
        return jsonify(ops.rollcalls.in_period(q.start, q.end))

    @bp.get("/api/v1/rollcalls/<rollcall_id>")
    @documented("One roll call: per guard outcome (on_time, off_post, late, missing, or "
                "pending before the deadline) and the summary; closed and the missing marked "
                "once its deadline has passed", path={"rollcall_id": "e.g. RC-…"},
                responses={200: "the roll call", 404: ""})  # fmt: skip
    def get_rollcall(rollcall_id: str):
        return jsonify(ops.rollcalls.get(rollcall_id))

    @bp.post("/api/v1/rollcalls/<rollcall_id>/answer")
    @documented("The signed-in guard answers a roll call 点名签到; it counts only if his "
                "latest fix is fresh and within POST_RADIUS_M of his post or inside his "
                "unit's wall", guard=True, path={"rollcall_id": "e.g. RC-…"},
                responses={200: "his outcome", 401: "", 403: "", 404: "", 409: ""})  # fmt: skip
    def answer_rollcall(rollcall_id: str):
        session = require_guard(ctx)
        return jsonify(
            ops.rollcalls.answer(rollcall_id, session.guard_id, remote_addr=remote_addr())
        )

    # -- reports -------------------------------------------------------------------------
    @bp.post("/api/v1/reports")
    @documented("The signed-in guard reports a clue or hazard 上报线索/隐患, with an optional "
                "photo (JPEG, PNG or WebP, at most 5 MB); nothing is stored when anything is "
                "wrong", body=ReportForm, media="multipart/form-data", guard=True,
                responses={201: "the stored report", 400: "", 401: "", 413: ""})  # fmt: skip
    def create_report():
        session = require_guard(ctx)
        # Refuse a body far above the photo limit before reading it.
        request.max_content_length = MAX_PHOTO_BYTES + _FORM_SLACK_BYTES
        form = parse_body(ReportForm, request.form.to_dict(), "invalid report")
        photo = request.files.get("photo")
        has_photo = photo is not None and photo.filename != ""
        result = ops.reports.create(
            session.guard_id, kind=form.kind, text=form.text,
            photo=photo.stream if has_photo else None, remote_addr=remote_addr(),
        )  # fmt: skip
        return jsonify(result), 201

    @bp.get("/api/v1/reports")
    @documented("Guard reports made in a period, newest first", query=ReportsQuery,
                responses={200: "{from, to, reports}", 400: ""})  # fmt: skip
    def list_reports():
        q = period(ReportsQuery, "invalid report query")
        items = ops.reports.in_period(q.start, q.end, guard_id=q.guard_id, kind=q.kind)
        return jsonify({"from": q.start.isoformat(), "to": q.end.isoformat(), "reports": items})

    @bp.get("/api/v1/reports/<report_id>/photo")
    @documented("The photo of a report", path={"report_id": "e.g. RP-…"},
                response_media="image/*", responses={200: "the image", 404: ""})  # fmt: skip
    def report_photo(report_id: str):
        path, mime = ops.reports.photo(report_id)
        return send_file(path, mimetype=mime, max_age=3600)

    return bp
