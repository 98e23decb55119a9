"""The acting user (``X-Actor``): percent-encoded UTF-8, one reader, intact in the audit log."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from shouwang.records import audit
from shouwang.web.actor import decode_actor
from tests.fieldops.test_fieldops_helpers import at_post, put_on_duty

NAME = "张警官"
# What a real server hands the app for each way a client may send the name.
SENT = {
    "percent-encoded UTF-8 (the rule)": quote(NAME),
    "raw UTF-8 bytes (read as latin-1 by the server)": NAME.encode("utf-8").decode("latin-1"),
}


@pytest.mark.parametrize("raw", SENT.values(), ids=SENT.keys())
def test_decode_actor(raw):
    assert decode_actor(raw) == NAME
    assert decode_actor(f"  {raw}  ") == NAME


def test_decode_actor_plain_and_long():
    assert decode_actor("guard:G025") == "guard:G025"
    assert decode_actor("") == ""
    assert len(decode_actor("x" * 500)) == audit.MAX_NAME_CHARS


def _last(ctx, action: str) -> dict:
    rows = [r for r in audit.entries(ctx.engine, limit=5000) if r["action"] == action]
    assert rows, f"no audit row {action}"
    return max(rows, key=lambda r: r["id"])  # the newest (the test clock may stand still)


@pytest.mark.parametrize("raw", SENT.values(), ids=SENT.keys())
def test_chinese_actor_reaches_the_audit_row_intact(ctx, client, clock, raw):
    # A dispatch endpoint …
    assert client.get("/api/v1/alarm-points", headers={"X-Actor": raw}).status_code == 200
    assert _last(ctx, "alarm_points.view")["actor"] == NAME
    # … and a field-operations endpoint read the header the same way.
    put_on_duty(ctx, client, clock, {"G001": at_post(ctx, "G001")})
    started = client.post("/api/v1/rollcalls", json={"zone_id": "C"}, headers={"X-Actor": raw})
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["created_by"] == NAME
    assert _last(ctx, "rollcall.start")["actor"] == NAME


def test_no_actor_is_anonymous(ctx, client):
    assert client.get("/api/v1/alarm-points").status_code == 200
    assert _last(ctx, "alarm_points.view")["actor"] == "anonymous"
