"""Field-operation endpoints: zone reinforcement, roll call, guard reports.

Dispatcher actions (start a reinforcement or a roll call) name their actor
in the ``X-Actor`` header until login exists (read by
:mod:`shouwang.web.actor`); guard actions (answer, respond,
report) need the guard's token (see :mod:`shouwang.web.guardpage`). Every
problem with a request is reported together in the one error shape.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request, send_file

from shouwang.errors import InvalidInput
from shouwang.fieldops.reports import MAX_PHOTO_BYTES
from shouwang.web.actor import actor_name_from_request
from shouwang.web.guardpage import remote_addr, require_guard

# Multipart overhead allowed above the photo limit before the body is refused unread.
_FORM_SLACK_BYTES = 256 * 1024


def _json_object() -> dict:
    body = request.get_json(silent=True)
    if body is None and not request.data:
        return {}
    if not isinstance(body, dict):
        raise InvalidInput("invalid_json", "the body must be a JSON object")
    return body


def _number(body: dict, name: str, problems: list, *, lo: float, hi: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        problems.append({"field": name, "problem": "must be a number"})
        return None
    if not lo <= value <= hi:
        problems.append({"field": name, "problem": f"must be between {lo:g} and {hi:g}"})
        return None
    return float(value)


def _text(body: dict, name: str, problems: list, *, max_len: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        problems.append({"field": name, "problem": f"must be text of at most {max_len} chars"})
        return None
    return value.strip() or None


def _moment(text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """ISO date or date-time; a bare date is local midnight (``end``: of the next day)."""
    if len(text) == 10:
        day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
        return datetime(day.year, day.month, day.day, tzinfo=tz)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _period(ctx) -> tuple[datetime, datetime]:
    """``from``/``to`` query parameters (default: the last 7 days); all problems at once."""
    tz = ZoneInfo(ctx.settings.TIMEZONE)
    now = datetime.fromtimestamp(ctx.clock(), tz)
    problems, bounds = [], {}
    for name, default in (("from", now - timedelta(days=7)), ("to", now + timedelta(seconds=1))):
        text = request.args.get(name, "").strip()
        try:
            bounds[name] = _moment(text, tz, end=name == "to") if text else default
        except ValueError:
            problems.append(
                {"field": name, "problem": "must be an ISO-8601 date or date-time"}
            )  # fmt: skip
    if not problems and bounds["from"] >= bounds["to"]:
        problems.append({"field": "to", "problem": "must be after from"})
    if problems:
        raise InvalidInput("invalid_request", "invalid period", problems)
    return bounds["from"], bounds["to"]


def create_blueprint(ctx) -> Blueprint:
    """Blueprint of the reinforcement, roll call and report endpoints, bound to ``ctx``."""
    bp = Blueprint("fieldops", __name__)
    ops = ctx.fieldops

    # -- reinforcement -----------------------------------------------------------
    @bp.post("/api/v1/reinforcements")
    def create_reinforcement():
        body = _json_object()
        problems: list = []
        incident_id = _text(body, "incident_id", problems, max_len=40)
        lon = _number(body, "lon", problems, lo=-180, hi=180)
        lat = _number(body, "lat", problems, lo=-90, hi=90)
        radius_m = _number(body, "radius_m", problems, lo=10, hi=10_000)
        walk_s = _number(body, "walk_s", problems, lo=10, hi=7_200)
        scope = body.get("scope", "zone")
        note = _text(body, "note", problems, max_len=500) or ""
        if (lon is None) != (lat is None) and not problems:
            problems.append({"field": "lat", "problem": "give both lon and lat, or neither"})
        if problems:
            raise InvalidInput("invalid_request", "invalid reinforcement call", problems)
        result = ops.reinforcements.create(
            incident_id=incident_id, lon=lon, lat=lat, radius_m=radius_m, walk_s=walk_s,
            scope=scope, note=note, actor=actor_name_from_request(), remote_addr=remote_addr(),
        )  # fmt: skip
        return jsonify(result), 201

    @bp.get("/api/v1/reinforcements/<reinforcement_id>")
    def get_reinforcement(reinforcement_id: str):
        return jsonify(ops.reinforcements.get(reinforcement_id))

    @bp.post("/api/v1/reinforcements/<reinforcement_id>/respond")
    def respond(reinforcement_id: str):
        session = require_guard(ctx)
        body = _json_object()
        problems: list = []
        note = _text(body, "note", problems, max_len=500) or ""
        answer = body.get("answer")
        if problems:
            raise InvalidInput("invalid_request", "invalid answer", problems)
        return jsonify(
            ops.reinforcements.respond(
                reinforcement_id, session.guard_id, answer, note=note, remote_addr=remote_addr()
            )
        )

    # -- roll call ---------------------------------------------------------------------
    @bp.post("/api/v1/rollcalls")
    def start_rollcall():
        body = _json_object()
        zone_id = body.get("zone_id")
        if zone_id is not None and not isinstance(zone_id, str):
            raise InvalidInput(
                "invalid_request", "invalid roll call",
                [{"field": "zone_id", "problem": "must be a zone id or null (all zones)"}],
            )  # fmt: skip
        result = ops.rollcalls.start(
            zone_id, actor=actor_name_from_request(), remote_addr=remote_addr()
        )
        return jsonify(result), 201

    @bp.get("/api/v1/rollcalls")
    def list_rollcalls():
        start, end = _period(ctx)
        return jsonify(ops.rollcalls.in_period(start, end))

    @bp.get("/api/v1/rollcalls/<rollcall_id>")
    def get_rollcall(rollcall_id: str):
        return jsonify(ops.rollcalls.get(rollcall_id))

    @bp.post("/api/v1/rollcalls/<rollcall_id>/answer")
    def answer_rollcall(rollcall_id: str):
        session = require_guard(ctx)
        return jsonify(
            ops.rollcalls.answer(rollcall_id, session.guard_id, remote_addr=remote_addr())
        )

    # -- reports -------------------------------------------------------------------------
    @bp.post("/api/v1/reports")
    def create_report():
        session = require_guard(ctx)
        # Refuse a body far above the photo limit before reading it.
        request.max_content_length = MAX_PHOTO_BYTES + _FORM_SLACK_BYTES
        photo = request.files.get("photo")
        has_photo = photo is not None and photo.filename != ""
        result = ops.reports.create(
            session.guard_id, kind=request.form.get("kind", ""),
            text=request.form.get("text", ""), photo=photo.stream if has_photo else None,
            remote_addr=remote_addr(),
        )  # fmt: skip
        return jsonify(result), 201

    @bp.get("/api/v1/reports")
    def list_reports():
        start, end = _period(ctx)
        guard_id = request.args.get("guard_id", "").strip() or None
        kind = request.args.get("kind", "").strip() or None
        if kind is not None and kind not in ("clue", "hazard"):
            raise InvalidInput(
                "invalid_request", "invalid report query",
                [{"field": "kind", "problem": "must be clue or hazard"}],
            )  # fmt: skip
        items = ops.reports.in_period(start, end, guard_id=guard_id, kind=kind)
        return jsonify({"from": start.isoformat(), "to": end.isoformat(), "reports": items})

    @bp.get("/api/v1/reports/<report_id>/photo")
    def report_photo(report_id: str):
        path, mime = ops.reports.photo(report_id)
        return send_file(path, mimetype=mime, max_age=3600)

    return bp
