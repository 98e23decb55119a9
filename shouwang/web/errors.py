"""One JSON shape for every API error.

```json
{"error": {"status": 400, "code": "invalid_request", "message": "…",
           "details": [{"field": "lat", "problem": "…"}]}}
```
The shape is pinned by ``tests/test_api_errors.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from live.fixes import FieldError

log = logging.getLogger("shouwang.web")


class ApiError(Exception):
    """An error answered to the client as JSON.

    Parameters
    ----------
    status
        HTTP status (4xx for the client's mistakes).
    code
        Stable machine-readable code, e.g. ``invalid_request``, ``unknown_device``.
    message
        Human-readable summary.
    details
        Every problem found, each ``{"field", "problem"}``.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Sequence[FieldError | dict[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = [d.as_dict() if isinstance(d, FieldError) else dict(d) for d in details]

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "status": self.status,
                "code": self.code,
                "message": self.message,
                "details": self.details,
            }
        }


def error_response(exc: ApiError):
    """Flask response for ``exc``."""
    return jsonify(exc.body()), exc.status


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
            raise ApiError(404, "not_found", f"no API endpoint at {request.path}")

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        log.warning(
            "%s %s -> %d %s: %s %s",
            request.method,
            request.path,
            exc.status,
            exc.code,
            exc.message,
            exc.details or "",
        )
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        log.warning("%s %s -> %d", request.method, request.path, exc.code or 500)
        return error_response(ApiError(exc.code or 500, code, exc.description or exc.name))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return exc
        return error_response(
            ApiError(500, "internal_error", "internal error; the server log has the details")
        )
