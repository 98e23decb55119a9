"""Dispatch workflow over HTTP on real Redis and SQL: the chain, refusals, races, alarms, export."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
import sqlalchemy as sa

from shouwang import records
from shouwang.records.dispatch_tables import (
    alarm_points,
    assignments,
    audit_log,
    incident_dispatch,
    incident_events,
)
from tests.dispatch.test_dispatch_rules import A_STATES
from tests.dispatch.test_dispatch_rules import ASSIGNMENT_EDGES as ALLOWED

ALL_TARGETS = [*A_STATES, "flying"]

DISPATCH_TABLES = (incident_events, assignments, incident_dispatch, alarm_points, audit_log)


def new_incident(client, guard_row, *, kind="burglary", dlat=0.0004, actor="张警官", **extra):
    body = {"kind": kind, "lon": float(guard_row.post_lon), "lat": float(guard_row.post_lat) + dlat,
            "priority": 2, "description": "居民报称单元门被撬", **extra}  # fmt: skip
    resp = client.post("/api/v1/incidents", json=body, headers={"X-Actor": actor})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def assign(client, incident_id, *guard_ids, actor="张警官"):
    return client.post(f"/api/v1/incidents/{incident_id}/assign",
                       json={"guard_ids": list(guard_ids)}, headers={"X-Actor": actor})  # fmt: skip


def move(client, assignment_id, to, actor="张警官"):
    return client.post(f"/api/v1/assignments/{assignment_id}/transition", json={"to": to},
                       headers={"X-Actor": actor})  # fmt: skip


def snapshot(ctx):
    """Everything the workflow could have changed: SQL rows and Redis marks."""
    with ctx.engine.connect() as conn:
        rows = {
            t.name: sorted(map(tuple, conn.execute(sa.select(t)).all()), key=repr)
            for t in (*DISPATCH_TABLES, records.incidents)
            if t is not alarm_points
        }
    rows["marks"] = ctx.store.redis.hgetall(ctx.store.key("dispatched"))
    return rows


class Events:
    """Collects what is published on the store's events channel."""

    def __init__(self, store) -> None:
        self.pubsub = store.redis.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(store.events_channel)
        self.pubsub.get_message(timeout=0.2)

    def types(self, wait_s: float = 0.5) -> list[dict]:
        out = []
        while (m := self.pubsub.get_message(timeout=wait_s)) is not None:
            if m["type"] == "message":
                event = json.loads(m["data"])
                if event["type"] not in ("fixes", "duty"):
                    out.append(event)
        return out


def test_a_call_from_creation_to_clear(ctx, client, on_duty, clock):
    events = Events(ctx.store)
    inc = new_incident(client, on_duty.iloc[0])
    iid = inc["incident_id"]
    assert inc["status"] == "open" and inc["zone_id"] == "C" and inc["kind_zh"] == "入室盗窃"
    assert inc["created_by"] == "张警官" and inc["unassigned_for_s"] == 0.0

    cands = client.get(f"/api/v1/incidents/{iid}/candidates?k=3").get_json()["candidates"]
    assert len(cands) == 3 and [c["eta_s"] for c in cands] == sorted(c["eta_s"] for c in cands)
    nearest = cands[0]["guard_id"]
    resp = assign(client, iid, nearest)
    assert resp.status_code == 201
    aid = resp.get_json()["assignments"][0]["assignment_id"]
    states = ctx.store.states().set_index("guard_id")
    assert states.loc[nearest, "status"] == "dispatched"
    assert states.loc[nearest, "incident_id"] == iid

    steps = [("acknowledged", "dispatched"), ("en_route", "dispatched"),
             ("on_scene", "on_scene"), ("cleared", "closed")]  # fmt: skip
    for to, incident_status in steps:
        clock.advance(20)
        resp = move(client, aid, to, actor="G-phone")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.get_json()["incident_status"] == incident_status

    body = client.get(f"/api/v1/incidents/{iid}").get_json()
    assert body["status"] == "closed" and body["closed_at"] and body["first_on_scene_at"]
    a = body["assignments"][0]
    assert a["status"] == "cleared" and a["eta_s"] > 0 and not a["active"]
    assert a["acknowledged_at"] < a["en_route_at"] < a["on_scene_at"] < a["cleared_at"]
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds == ["created", "assigned", "status", "acknowledged", "en_route", "on_scene",
                     "status", "cleared", "status"]  # fmt: skip
    assert ctx.store.states().set_index("guard_id").loc[nearest, "status"] != "dispatched"

    entries = client.get("/api/v1/audit?limit=50").get_json()["entries"]
    actions = [(e["action"], e["actor"]) for e in entries]
    assert (
        actions
        == [("incident.create", "张警官"), ("incident.assign", "张警官")]
        + [("assignment.transition", "G-phone")] * 4
    )
    assert entries[0]["remote_addr"] == "127.0.0.1"
    assert [e["detail"]["to"] for e in entries[2:]] == [s for s, _ in steps]

    published = events.types()
    assert [e["type"] for e in published] == [
        "incident_created", "assignment_changed", "incident_updated", "assignment_changed",
        "assignment_changed", "assignment_changed", "incident_updated", "assignment_changed",
        "incident_updated",
    ]  # fmt: skip
    assert published[0]["incident"]["incident_id"] == iid
    assert published[-1] == {"type": "incident_updated", "incident_id": iid, "from": "on_scene",
                             "status": "closed", "at": clock.now}  # fmt: skip

    listed = client.get("/api/v1/incidents?status=closed&kind=burglary").get_json()
    assert [i["incident_id"] for i in listed["incidents"]] == [iid]


def test_bad_incident_reports_every_problem(client):
    resp = client.post("/api/v1/incidents",
                       json={"kind": "alien", "lon": 500, "priority": 9, "description": 3})  # fmt: skip
    assert resp.status_code == 400
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert fields == {"kind", "lon", "lat", "priority", "description"}
    assert client.post("/api/v1/incidents", data="nope").status_code == 400
    assert client.get("/api/v1/incidents?status=lost&from=yesterday").status_code == 400
    assert client.get("/api/v1/incidents/D19700101-NOPE").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        [],
        ["acknowledged"],
        ["acknowledged", "en_route"],
        ["acknowledged", "en_route", "on_scene"],
        ["acknowledged", "on_scene", "cleared"],
        ["declined"],
        ["timed_out"],
        ["cancelled"],
    ],
)
def test_every_invalid_transition_is_refused_and_changes_nothing(ctx, client, on_duty, path):
    inc = new_incident(client, on_duty.iloc[1])
    aid = assign(client, inc["incident_id"], on_duty.iloc[1].guard_id).get_json()
    aid = aid["assignments"][0]["assignment_id"]
    for to in path:
        assert move(client, aid, to).status_code == 200
    frm = path[-1] if path else "assigned"
    before = snapshot(ctx)
    for to in ALL_TARGETS:
        if (frm, to) in ALLOWED:
            continue
        resp = move(client, aid, to)
        assert resp.status_code == 409, (frm, to)
        err = resp.get_json()["error"]
        assert err["code"] == "invalid_transition"
        assert (err["details"][0]["from"], err["details"][0]["to"]) == (frm, to)
        assert snapshot(ctx) == before, (frm, to)


def test_concurrent_double_dispatch_exactly_one_wins(ctx, app, on_duty):
    guard = on_duty.iloc[2]
    for round_ in range(3):
        clients = [app.test_client() for _ in range(2)]
        ids = [new_incident(c, guard, dlat=0.0003 + 0.0001 * i)["incident_id"]
               for i, c in enumerate(clients)]  # fmt: skip
        barrier = threading.Barrier(2)
        answers: list = [None, None]

        def send(i: int, barrier=barrier, answers=answers, clients=clients, ids=ids) -> None:
            barrier.wait()
            answers[i] = assign(clients[i], ids[i], guard.guard_id, actor=f"dispatcher{i}")

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        codes = sorted(a.status_code for a in answers)
        assert codes == [201, 409], (round_, codes)
        loser = next(a for a in answers if a.status_code == 409).get_json()["error"]
        winner = ids[[a.status_code for a in answers].index(201)]
        assert loser["code"] == "guard_busy"
        assert loser["details"][0]["incident_id"] == winner
        fresh = [c["guard_id"] for c in loser["candidates"]]
        assert fresh and guard.guard_id not in fresh
        with ctx.engine.connect() as conn:
            active = conn.execute(
                sa.select(assignments.c.incident_id)
                .where(assignments.c.guard_id == guard.guard_id)
                .where(assignments.c.active)
            ).scalars().all()  # fmt: skip
        assert active == [winner]
        assert ctx.store.redis.hget(ctx.store.key("dispatched"), guard.guard_id) == winner
        # free him for the next round
        assert clients[0].post(f"/api/v1/incidents/{winner}/cancel",
                               json={"reason": "drill"}).status_code == 200  # fmt: skip
        assert ctx.store.redis.hget(ctx.store.key("dispatched"), guard.guard_id) is None


def test_assignment_refusals(ctx, client, on_duty):
    inc = new_incident(client, on_duty.iloc[0])
    iid = inc["incident_id"]
    off = ctx.dataset.guards.sort_values("guard_id").iloc[-1].guard_id  # no fix: not available
    resp = assign(client, iid, off)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "guard_unavailable"
    resp = assign(client, iid, "G999", "G999")
    assert resp.status_code == 400
    assert (
        client.post(f"/api/v1/incidents/{iid}/assign", json={"guard_ids": "G001"}).status_code
        == 400
    )
    # all or none: one busy guard keeps the other free
    g0, g1 = on_duty.iloc[0].guard_id, on_duty.iloc[1].guard_id
    assert assign(client, iid, g0).status_code == 201
    other = new_incident(client, on_duty.iloc[1])["incident_id"]
    resp = assign(client, other, g1, g0)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "guard_busy"
    assert ctx.store.redis.hget(ctx.store.key("dispatched"), g1) is None
    # a closed incident takes nobody
    assert (
        client.post(f"/api/v1/incidents/{other}/close", json={"note": "已处理"}).status_code == 200
    )
    resp = assign(client, other, g1)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "incident_closed"
    assert ctx.store.redis.hget(ctx.store.key("dispatched"), g1) is None
    resp = client.post(f"/api/v1/incidents/{other}/cancel", json={})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "invalid_transition"


def test_cancel_frees_every_guard(ctx, client, on_duty):
    iid = new_incident(client, on_duty.iloc[0])["incident_id"]
    g = list(on_duty.guard_id[:2])
    assert assign(client, iid, *g).status_code == 201
    body = client.post(f"/api/v1/incidents/{iid}/cancel", json={"reason": "误报"}).get_json()
    assert body["status"] == "cancelled"
    assert {a["status"] for a in body["assignments"]} == {"cancelled"}
    assert ctx.store.redis.hgetall(ctx.store.key("dispatched")) == {}
    actions = [e["action"] for e in client.get("/api/v1/audit").get_json()["entries"]]
    assert actions[-1] == "incident.cancel"


def test_one_click_alarm(ctx, client):
    points = client.get("/api/v1/alarm-points").get_json()["alarm_points"]
    schools = set(ctx.dataset.units.loc[ctx.dataset.units["kind"] == "school", "unit_id"])
    school_gates = ctx.dataset.gates[ctx.dataset.gates["unit_id"].isin(schools)]
    assert len(points) == len(school_gates) > 0
    assert all(p["key"] and len(p["key"]) == 24 for p in points)
    with ctx.engine.connect() as conn:
        hashes = set(conn.execute(sa.select(alarm_points.c.key_hash)).scalars())
    assert not {p["key"] for p in points} & hashes  # only hashes are stored

    before = snapshot(ctx)
    resp = client.post("/api/v1/alarms", json={"key": "0" * 24})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "bad_alarm_key"
    assert snapshot(ctx) == before

    point = points[0]
    resp = client.post("/api/v1/alarms", json={"key": point["key"]})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    inc = resp.get_json()
    assert (inc["priority"], inc["source"], inc["status"]) == (1, "alarm_point", "open")
    assert (inc["lon"], inc["lat"]) == (point["lon"], point["lat"])
    assert inc["zone_id"] == "S" and inc["source_ref"] == point["point_id"]
    again = client.post("/api/v1/alarms", json={"key": point["key"]})
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert again.get_json()["incident_id"] == inc["incident_id"]
    assert client.post("/api/v1/alarms", json={}).status_code == 400
    # the existing list of open SOS alarms is still served
    assert client.get("/api/v1/alarms").get_json() == {"alarms": []}


def test_export_csv_and_geojson(ctx, client, on_duty, clock):
    a = new_incident(client, on_duty.iloc[0], kind="burglary")
    clock.advance(1)  # export is oldest first
    b = new_incident(client, on_duty.iloc[3], kind="fraud", description="冒充客服诈骗")
    aid = assign(client, a["incident_id"], on_duty.iloc[0].guard_id).get_json()
    aid = aid["assignments"][0]["assignment_id"]
    for to in ("acknowledged", "on_scene", "cleared"):
        move(client, aid, to)
    resp = client.get("/api/v1/incidents/export.csv?status=closed,open")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["incident_id"] for r in rows] == [a["incident_id"], b["incident_id"]]
    first = rows[0]
    assert first["status"] == "closed" and first["status_zh"] == "已办结"
    assert first["kind_zh"] == "入室盗窃" and first["zone_id"] == "C"
    assert first["guards"] == f"{on_duty.iloc[0].guard_id} {on_duty.iloc[0]['name']}"
    assert float(first["lon"]) == a["lon"] and rows[1]["description"] == "冒充客服诈骗"

    only = client.get("/api/v1/incidents/export.geojson?kind=fraud").get_json(force=True)
    assert [f["id"] for f in only["features"]] == [b["incident_id"]]
    f = only["features"][0]
    assert f["geometry"] == {"type": "Point", "coordinates": [b["lon"], b["lat"]]}
    assert f["properties"]["status"] == "open" and f["properties"]["guards"] == ""
    later = clock.now + 3600
    from shouwang.timeutil import iso_z as iso

    empty = client.get(f"/api/v1/incidents/export.geojson?from={iso(later)}").get_json(force=True)
    assert empty["features"] == []
    history = client.get("/api/v1/incidents/export.csv?source=history").get_data(as_text=True)
    assert len(history.strip().splitlines()) == len(ctx.dataset.incidents) + 1
    exports = [e for e in client.get("/api/v1/audit").get_json()["entries"]
               if e["action"] == "incident.export"]  # fmt: skip
    assert [e["target"] for e in exports] == ["export:csv", "export:geojson", "export:geojson",
                                              "export:csv"]  # fmt: skip


def test_response_time_figures_over_the_api(ctx, client, on_duty, clock):
    waits = [(10, 5, 60), (30, 15, 120)]  # acknowledge, turnout, travel
    start = clock.now
    for i, (ack, turnout, travel) in enumerate(waits):
        guard = on_duty.iloc[i]
        iid = new_incident(client, guard)["incident_id"]
        clock.advance(4)
        aid = assign(client, iid, guard.guard_id).get_json()["assignments"][0]["assignment_id"]
        for to, wait in (("acknowledged", ack), ("en_route", turnout), ("on_scene", travel)):
            clock.advance(wait)
            assert move(client, aid, to).status_code == 200
        move(client, aid, "cleared")
    body = client.get("/api/v1/stats/response-times?zone=C").get_json()
    overall = body["overall"]
    assert overall["acknowledge"] == {"count": 2, "p50_s": 20.0, "p90_s": 28.0}
    assert overall["turnout"] == {"count": 2, "p50_s": 10.0, "p90_s": 14.0}
    assert overall["travel"] == {"count": 2, "p50_s": 90.0, "p90_s": 114.0}
    # total: 4 + 10 + 5 + 60 = 79 and 4 + 30 + 15 + 120 = 169
    assert overall["total"] == {"count": 2, "p50_s": 124.0, "p90_s": 160.0}
    assert [(g["zone_id"], g["kind"], g["kind_zh"]) for g in body["groups"]] == [
        ("C", "burglary", "入室盗窃")
    ]
    from shouwang.timeutil import iso_z as iso

    none = client.get(f"/api/v1/stats/response-times?to={iso(start - 60)}").get_json()
    assert none["overall"]["total"]["count"] == 0 and none["groups"] == []
    assert client.get("/api/v1/stats/response-times?kind=alien").status_code == 400
