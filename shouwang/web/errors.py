"""The web edge of the error family: one kind → status mapping, one JSON shape.

```json
{"error": {"status": 400, "code": "invalid_request", "message": "…",
           "details": [{"field": "lat", "problem": "…"}]}}
```
Services and blueprints raise the kinds of :mod:`shouwang.errors`; this
module is the only place that knows their HTTP status. An error's ``extra``
members join the error object (``candidates`` for ``guard_busy``). The shape
is pinned by ``tests/web/test_api_errors.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from shouwang.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooLarge,
    TooManyAttempts,
    Unauthenticated,
)

__all__ = ["STATUS", "error_body", "error_response", "register_error_handlers", "status_of"]

log = logging.getLogger("shouwang.web")

#: The HTTP status of each kind of refusal (the one mapping).
STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    TooManyAttempts: 429,
}


def status_of(exc: DomainError) -> int:
    """The HTTP status of ``exc`` (its nearest kind in :data:`STATUS`; else 400)."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def error_body(
    status: int,
    code: str,
    message: str,
    details: Iterable[Mapping[str, Any]] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The one error shape; ``extra`` members follow the four fixed ones."""
    error = {"status": status, "code": code, "message": message, "details": list(details)}
    error.update(extra or {})
    return {"error": error}


def error_response(exc: DomainError) -> tuple[Response, int]:
    """Flask response for ``exc`` (with ``Retry-After`` for a lock-out)."""
    status = status_of(exc)
    response = jsonify(error_body(status, exc.code, exc.message, exc.details, exc.extra))
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response, status


def register_error_handlers(app: Flask) -> None:
    """Answer every error under /api/ in the one JSON shape, and log it."""

    @app.before_request
    def _api_paths_are_not_pages():
        # Dash serves every unknown path as a page; under /api/ that would
        # answer a mistyped endpoint with HTML and 200.
        rule = request.url_rule
        if (
            request.path.startswith("/api/")
            and rule is not None
            and "<path:" in rule.rule
            and not rule.rule.startswith("/api/")
        ):
            raise NotFound("not_found", f"no API endpoint at {request.path}")

    @app.errorhandler(DomainError)
    def _refused(exc: DomainError):
        log.warning(
            "%s %s -> %d %s: %s %s",
            request.method,
            request.path,
            status_of(exc),
            exc.code,
            exc.message,
            exc.details or "",
        )
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        log.warning("%s %s -> %d", request.method, request.path, status)
        return jsonify(error_body(status, code, exc.description or exc.name)), status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return exc
        body = error_body(500, "internal_error", "internal error; the server log has the details")
        return jsonify(body), 500
