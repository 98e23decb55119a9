"""The guard's phone page ``/guard``: sign-in, the guard's own state, his Socket.IO room.

The page and its script and style are served from ``shouwang/web/templates`` and
``shouwang/web/static/guard`` (not ``assets/``, which Dash loads on every map
page). Endpoints:

``POST /api/v1/guard/signin``  device id + PIN → token (also set as an HttpOnly cookie)
``GET  /api/v1/guard/me``      the signed-in guard, his open roll calls and reinforcement alerts

Guard endpoints take the token as ``Authorization: Bearer …`` or the
``sw_guard`` cookie (SameSite=Strict, so other sites cannot ride on it).
Socket.IO: namespace ``/guard``; the client passes ``auth: {token}``; the
connect handler checks it and joins the room ``guard:{guard_id}``, which
:class:`shouwang.fieldops.service.GuardRelay` fills from the store's events channel.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template, request, send_from_directory
from flask_socketio import SocketIO, join_room
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from shouwang import records
from shouwang.auth.guards import GuardSession
from shouwang.context import AppContext
from shouwang.errors import InvalidInput, NotFound, Unauthenticated
from shouwang.i18n import label_of, strings, t
from shouwang.records.dispatch_tables import assignments
from shouwang.settings import ASSETS_DIR
from shouwang.timeutil import aware
from shouwang.vocab import IncidentKind
from shouwang.web.models import parse_body
from shouwang.web.models.fieldops import SigninBody
from shouwang.web.openapi import documented

NAMESPACE = "/guard"
COOKIE = "sw_guard"
HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static" / "guard"
VENDOR_SOCKETIO = ASSETS_DIR / "vendor" / "socket.io.min.js"
#: The guard's page is in zh-CN; its script reads these catalogue strings.
LANG = "zh"
SCRIPT_STRINGS = ("guard.", "reinforcement_answer.", "report_kind.")


def bearer_token() -> str | None:
    """The guard token of this request: Authorization Bearer, else the cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def require_guard(ctx: AppContext) -> GuardSession:
    """The signed-in guard of this request (raises Unauthenticated)."""
    return ctx.fieldops.auth.verify(bearer_token())


def remote_addr() -> str:
    return request.remote_addr or ""


def _guard_state(ctx: AppContext, guard_id: str) -> dict:
    states = ctx.store.states()
    row = states.loc[states["guard_id"] == guard_id]
    if row.empty:
        raise NotFound("not_found", f"guard {guard_id} is no longer on the roster")
    r = row.iloc[0]

    def num(v):
        return None if v != v else float(v)  # NaN → null

    return {
        "guard_id": guard_id,
        "name": r["name"],
        "unit_id": r["unit_id"],
        "zone_id": r["zone_id"],
        "device_id": r["device_id"],
        "post_lon": num(r["post_lon"]),
        "post_lat": num(r["post_lat"]),
        "on_duty": bool(r["on_duty"]),
        "status": r["status"],
        "sos": bool(r["sos"]),
        "incident_id": r["incident_id"] if isinstance(r["incident_id"], str) else None,
        "last_fix_at": num(r["last_fix_at"]),
    }


def _assignment(ctx: AppContext, guard_id: str) -> dict | None:
    """The guard's active assignment (dispatch workflow), with its incident, or None."""
    a, i = assignments.c, records.incidents.c
    with ctx.engine.connect() as conn:
        row = conn.execute(
            sa.select(a.assignment_id, a.incident_id, a.status, a.assigned_at, a.eta_s,
                      i.kind, i.description, i.lon, i.lat, i.priority)
            .select_from(assignments.join(records.incidents, i.incident_id == a.incident_id))
            .where(a.guard_id == guard_id, a.active.is_(True))
            .order_by(a.assigned_at.desc())
            .limit(1)
        ).first()  # fmt: skip
    if row is None:
        return None
    out = dict(row._mapping)
    out["assigned_at"] = aware(out["assigned_at"]).isoformat()
    out["kind_zh"] = label_of(IncidentKind, out["kind"])
    return out


def create_blueprint(ctx: AppContext) -> Blueprint:
    """Blueprint of the guard page and the guard's own endpoints, bound to ``ctx``."""
    bp = Blueprint(
        "guardpage",
        __name__,
        template_folder=str(HERE / "templates"),
        static_folder=str(STATIC_DIR),
        static_url_path="/guard/static",
    )
    auth = ctx.fieldops.auth

    @bp.get("/guard")
    def page():
        return render_template(
            "guard.html",
            roll_call_minutes=ctx.settings.ROLL_CALL_MINUTES,
            t=lambda key: t(key, LANG),
            strings=strings(SCRIPT_STRINGS, LANG),
        )

    @bp.get("/guard/vendor/socket.io.min.js")
    def socketio_client():
        return send_from_directory(VENDOR_SOCKETIO.parent, VENDOR_SOCKETIO.name)

    @bp.post("/api/v1/guard/signin")
    @documented(
        "Guard sign-in on the phone page: device id + PIN → signed token (also set as the "
        "HttpOnly cookie sw_guard). Failed PINs are counted per device; after 5 in 15 minutes "
        "the device is locked out (429, Retry-After)",
        body=SigninBody,
        responses={200: "signed in: {guard_id, token, guard}", 400: "", 401: "", 429: ""},
    )
    def signin():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidInput("invalid_json", "send a JSON object {device_id, pin}")
        creds = parse_body(SigninBody, body, "invalid sign-in")
        # A refusal (bad PIN, lock-out with Retry-After) is answered at the web edge.
        guard_id, token = auth.sign_in(creds.device_id, creds.pin, remote_addr=remote_addr())
        state = _guard_state(ctx, guard_id)
        response = jsonify({"guard_id": guard_id, "token": token, "guard": state})
        response.set_cookie(
            COOKIE, token, max_age=int(auth.token_max_age_s), httponly=True, samesite="Strict",
            secure=request.is_secure, path="/",
        )  # fmt: skip
        return response

    @bp.get("/api/v1/guard/me")
    @documented("The signed-in guard: his live state, roll calls waiting for his answer, "
                "recent reinforcement alerts", guard=True,
                responses={200: "the guard's page state", 401: ""})  # fmt: skip
    def me():
        session = require_guard(ctx)
        gid = session.guard_id
        body = {
            "guard": _guard_state(ctx, gid),
            "rollcalls": ctx.fieldops.rollcalls.pending_for(gid),
            "reinforcements": ctx.fieldops.reinforcements.for_guard(gid),
            "assignment": _assignment(ctx, gid),
        }
        return jsonify(body)

    return bp


def register_socketio(ctx: AppContext, socketio: SocketIO) -> None:
    """The ``/guard`` namespace: a guard's phone joins his room ``guard:{id}``.

    What reaches the room is relayed by ``ctx.guard_relay`` (a handler on
    the event bus, :class:`shouwang.fieldops.service.GuardRelay`).
    """

    @socketio.on("connect", namespace=NAMESPACE)
    def _connect(auth=None):
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            session = ctx.fieldops.auth.verify(token or request.cookies.get(COOKIE))
        except Unauthenticated as exc:
            raise SocketRefused(exc.code) from exc
        join_room(f"guard:{session.guard_id}")
        return True
