"""Every API error has one JSON shape; this test pins it."""

from __future__ import annotations

import pytest

SHAPE_KEYS = {"status", "code", "message", "details"}


def assert_error_shape(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status
    assert resp.is_json, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"}
    err = body["error"]
    # The four members are always there; a refusal may add its own (``candidates``…).
    assert set(err) >= SHAPE_KEYS
    assert err["status"] == status
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], list)
    for detail in err["details"]:
        assert set(detail) >= {"field", "problem"}
    if code:
        assert err["code"] == code
    return err


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status", "code"),
    [
        (
            "post",
            "/api/v1/positions",
            {"data": "not json", "content_type": "application/json"},
            400,
            "invalid_json",
        ),
        ("post", "/api/v1/positions", {"json": {"no": "fixes"}}, 400, "invalid_request"),
        ("post", "/api/v1/positions", {}, 400, "invalid_request"),
        ("get", "/api/v1/ingest/osmand?lat=1", {}, 400, "invalid_request"),
        ("get", "/api/v1/ingest/osmand?id=ghost&lat=33.7&lon=118.3", {}, 403, "unknown_device"),
        (
            "post",
            "/api/v1/ingest/owntracks",
            {"json": {"_type": "location"}},
            400,
            "invalid_request",
        ),
        ("get", "/api/v1/nothing-here", {}, 404, "not_found"),
        ("delete", "/api/v1/zones", {}, 405, "method_not_allowed"),
    ],
)
def test_error_shape(client, method, url, kwargs, status, code):
    resp = getattr(client, method)(url, **kwargs)
    assert_error_shape(resp, status, code)


def test_batch_too_large(client):
    batch = [{"device_id": "x", "lat": 1, "lon": 1, "ts": 1}] * 1001
    assert_error_shape(client.post("/api/v1/positions", json=batch), 400, "invalid_request")


def test_unexpected_errors_are_json_too(app, client, monkeypatch, ctx):
    def boom(*_a, **_k):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(ctx.store, "states", boom)
    err = assert_error_shape(client.get("/api/v1/guards"), 500, "internal_error")
    assert "simulated" not in err["message"]  # no internals leak to the client


def test_extra_members_join_the_error_object(app, client):
    """A domain refusal's extra members sit beside the four fixed ones."""
    from shouwang.errors import Conflict

    @app.get("/api/v1/test-only/conflict")
    def _conflict():
        raise Conflict("guard_busy", "busy", [{"field": "guard_ids", "problem": "G1 is busy"}],
                       candidates=[{"guard_id": "G2"}])  # fmt: skip

    err = assert_error_shape(client.get("/api/v1/test-only/conflict"), 409, "guard_busy")
    assert err["candidates"] == [{"guard_id": "G2"}]


def test_every_error_kind_has_one_status():
    import shouwang.errors as errors
    from shouwang.web.errors import STATUS, status_of

    kinds = [getattr(errors, n) for n in errors.__all__ if n != "DomainError"]
    assert set(kinds) == set(STATUS)
    assert len(set(STATUS.values())) == len(STATUS)  # one status per kind
    assert status_of(errors.TooManyAttempts("locked_out", "wait", 30)) == 429
