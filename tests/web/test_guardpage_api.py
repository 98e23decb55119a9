"""The guard page's server side: the page itself, /me with the assignment, the Socket.IO room."""

from __future__ import annotations

import time

from shouwang.fieldops.service import GuardRelay
from tests.fieldops.test_fieldops_helpers import at_post, put_on_duty, sign_in


def _received(sio, name: str, timeout_s: float = 5.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    got: list[dict] = []
    while time.monotonic() < deadline:
        got += [m["args"][0] for m in sio.get_received("/guard") if m["name"] == name]
        if got:
            return got
        time.sleep(0.05)
    return got


def test_page_and_its_files_are_served_outside_dash_assets(client):
    page = client.get("/guard")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.get_data(as_text=True)
    assert "点名签到" in page.get_data(as_text=True)
    for path in ("/guard/static/guard.js", "/guard/static/guard.css",
                 "/guard/vendor/socket.io.min.js"):  # fmt: skip
        assert client.get(path).status_code == 200, path


def test_guard_room_gets_assignments_and_roll_calls(ctx, app, client, clock):
    put_on_duty(ctx, client, clock, {"G025": at_post(ctx, "G025"), "G023": at_post(ctx, "G023")})
    headers = sign_in(client, ctx, "G025")
    token = headers["Authorization"].split()[1]
    socketio = ctx.socketio
    refused = socketio.test_client(app, namespace="/guard", auth={"token": "forged"})
    assert not refused.is_connected("/guard")
    sio = socketio.test_client(app, namespace="/guard", auth={"token": token})
    assert sio.is_connected("/guard")
    other = socketio.test_client(
        app, namespace="/guard", auth={"token": sign_in(client, ctx, "G023")["Authorization"][7:]}
    )
    assert isinstance(ctx.guard_relay, GuardRelay)
    ctx.bus.start()  # the guard relay is one of its handlers
    incident = None
    try:
        assert ctx.bus.wait_connected(5)
        lon, lat = at_post(ctx, "G025", east_m=40)
        incident = client.post(
            "/api/v1/incidents",
            json={"kind": "burglary", "lon": lon, "lat": lat, "priority": 2,
                  "description": "居民报称单元门被撬"},
            headers={"X-Actor": "张警官"},
        ).get_json()  # fmt: skip
        sent = client.post(
            f"/api/v1/incidents/{incident['incident_id']}/assign", json={"guard_ids": ["G025"]}
        )
        assert sent.status_code in (200, 201), sent.get_json()
        events = _received(sio, "assignment_changed")
        assert events and events[0]["to"] == "assigned" and events[0]["guard_id"] == "G025"

        me = client.get("/api/v1/guard/me", headers=headers).get_json()
        assignment = me["assignment"]
        assert assignment["incident_id"] == incident["incident_id"]
        assert assignment["status"] == "assigned" and assignment["kind_zh"] == "入室盗窃"
        # The page's big button calls the dispatch workflow's transition endpoint.
        moved = client.post(
            f"/api/v1/assignments/{assignment['assignment_id']}/transition",
            json={"to": "acknowledged"},
            headers={"X-Actor": "guard:G025"},
        )
        assert moved.status_code == 200, moved.get_json()
        me = client.get("/api/v1/guard/me", headers=headers).get_json()
        assert me["assignment"]["status"] == "acknowledged"

        rc = client.post("/api/v1/rollcalls", json={"zone_id": "C"}).get_json()
        calls = _received(sio, "rollcall")
        assert calls and calls[0]["rollcall_id"] == rc["rollcall_id"]
        assert [c["rollcall_id"] for c in _received(other, "rollcall")] == [rc["rollcall_id"]]
        # Another guard's assignment never reaches G023's room.
        assert _received(other, "assignment_changed", timeout_s=0.5) == []
        me = client.get("/api/v1/guard/me", headers=headers).get_json()
        assert [r["rollcall_id"] for r in me["rollcalls"]] == [rc["rollcall_id"]]
    finally:
        if incident is not None:  # the shared SQL database: leave G025 free
            client.post(f"/api/v1/incidents/{incident['incident_id']}/cancel", json={})
        ctx.bus.stop()
        sio.disconnect("/guard")
        other.disconnect("/guard")
