"""Position ingest endpoints: our batch JSON, OsmAnd (Traccar Client) and OwnTracks.

Decoding is done by ``live.ingest.protocols`` (every field problem reported
together); judging and storing by ``live.ingest.service.IngestService``.

Status codes: a request that cannot be decoded is 400, an unknown device
403; both store nothing. A fix that decodes but fails a plausibility filter
(too inaccurate, too fast…) is answered 200 with the fix listed under
``rejected``: phone apps such as Traccar Client resend a fix until they get a
2xx, so a 4xx for one inaccurate fix would jam the phone's queue forever.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, jsonify, request

from live.fixes import DecodeError
from live.ingest.protocols import decode_batch, decode_osmand_many, decode_owntracks
from live.ingest.service import IngestOutcome, IngestService
from shouwang.errors import Forbidden, InvalidInput
from shouwang.web.models import ingest as doc
from shouwang.web.openapi import documented

_ERRORS = {400: "", 403: ""}
_BATCH = {"oneOf": [{"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/Fix"}},
                    {"$ref": "#/components/schemas/Batch"}]}  # fmt: skip


def _json_body(required: bool) -> Any | None:
    if not request.data:
        if required:
            raise InvalidInput("invalid_request", "the request has no JSON body")
        return None
    body = request.get_json(silent=True, force=required)
    if body is None and (required or request.is_json):
        raise InvalidInput("invalid_json", "the body is not valid JSON")
    return body


def _form_fields() -> dict[str, str]:
    """Form fields, also from a urlencoded body sent without its content type.

    Some OsmAnd senders POST ``id=…&lat=…`` as the raw body with no (or a
    wrong) Content-Type; Traccar's server reads such a body as form data too.
    """
    if request.form:
        return request.form.to_dict()
    if request.data and not request.is_json:
        text = request.get_data(as_text=True)
        if "=" in text:
            return dict(parse_qsl(text, keep_blank_values=True))
    return {}


def _refuse_unknown(outcome: IngestOutcome) -> None:
    """A single-fix request from an unknown device is a 403, not a 200."""
    if outcome.reasons.get("unknown_device") and outcome.accepted == 0:
        raise Forbidden(
            "unknown_device",
            "this device id is not in the guard list; nothing was stored",
            outcome.rejected[0]["errors"],
        )


def create_blueprint(ingest: IngestService, clock) -> Blueprint:
    """Blueprint of the ingest endpoints, bound to ``ingest``."""
    bp = Blueprint("ingest", __name__)

    @bp.post("/api/v1/positions")
    @documented("A batch of fixes (at most 1000); bad fixes are listed, good ones stored",
                body=doc.Batch, body_schema=_BATCH, response=doc.IngestOutcome,
                responses={200: "OK", 400: ""})  # fmt: skip
    def positions():
        body = _json_body(required=True)
        try:
            decoded = decode_batch(body)
        except DecodeError as exc:
            raise InvalidInput(
                "invalid_request", "the body is not a batch of fixes", exc.errors
            ) from exc
        outcome = IngestOutcome()
        for index, errors in decoded.rejected:
            outcome.reject(index, errors, "invalid")
        ingest.ingest(decoded.fixes, outcome, protocol="batch")
        return jsonify(outcome.as_dict())

    @bp.route("/api/v1/ingest/osmand", methods=["GET", "POST"])
    @documented("OsmAnd protocol (Traccar Client, OsmAnd, GPSLogger): one fix in the query "
                "string, or form-encoded fields (POST), or the JSON body of Traccar Client 9.x",
                query=doc.OsmAndQuery, body=doc.OsmAndQuery, body_required=False, response=doc.IngestOutcome,
                media="application/x-www-form-urlencoded",
                responses={200: "stored, or listed under rejected when a plausibility filter "
                           "refused it", **_ERRORS})  # fmt: skip
    def osmand():
        body = _json_body(required=False) if request.is_json else None
        try:
            decoded = decode_osmand_many(request.args.to_dict(), _form_fields(), body, now=clock())
        except DecodeError as exc:
            ingest.store.count_rejections({"invalid": 1})
            raise InvalidInput(
                "invalid_request", "the OsmAnd request has invalid fields", exc.errors
            ) from exc
        if not decoded.fixes and len(decoded.rejected) == 1:
            # One location (the usual request) that cannot be read: a plain 400.
            ingest.store.count_rejections({"invalid": 1})
            raise InvalidInput(
                "invalid_request",
                "the OsmAnd request has invalid fields",
                decoded.rejected[0][1],
            )
        outcome = IngestOutcome()
        for index, errors in decoded.rejected:
            outcome.reject(index, errors, "invalid")
        outcome = ingest.ingest(decoded.fixes, outcome, protocol="osmand")
        _refuse_unknown(outcome)
        return jsonify(outcome.as_dict())

    @bp.post("/api/v1/ingest/owntracks")
    @documented("OwnTracks HTTP mode: `_type: location` messages; other types answered 200 "
                "and ignored", body=doc.OwnTracksMessage,
                responses={200: "an empty array (OwnTracks expects a list of commands)",
                           **_ERRORS})  # fmt: skip
    def owntracks():
        # The apps send an empty body when a friend is deleted: not an error.
        body = _json_body(required=False) if request.data else None
        if body is None and request.data:
            raise InvalidInput("invalid_json", "the body is not valid JSON")
        try:
            fix = decode_owntracks(body, dict(request.headers), query=request.args.to_dict())
        except DecodeError as exc:
            ingest.store.count_rejections({"invalid": 1})
            raise InvalidInput(
                "invalid_request", "the OwnTracks message has invalid fields", exc.errors
            ) from exc
        if fix is None:  # transition, lwt, card, empty…: valid, not a position
            # OwnTracks expects a JSON array (of commands to the phone) back.
            return jsonify([])
        outcome = ingest.ingest([(0, fix)], protocol="owntracks")
        _refuse_unknown(outcome)
        return jsonify([])

    return bp
