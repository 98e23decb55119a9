"""Timers, SOS, arrival detection and restarts of the dispatch workflow, on real Redis and SQL."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from live.fixes import Fix
from live.state.events import Event
from shouwang.records.dispatch_tables import incident_dispatch
from shouwang.vocab import EventType
from tests.web.test_dispatch_api import Events, assign, move, new_incident

# About 1e-5 degrees of latitude is 1.11 m.
M_PER_DEG_LAT = 111_195.0


@pytest.fixture
def job(ctx):
    """The context's dispatch timers (a handler on ``ctx.bus`` too)."""
    return ctx.timers


def fix_at(ctx, guard, lon, lat, ts, alarm=None):
    fix = Fix(device_id=str(guard.device_id), lat=lat, lon=lon, ts=ts, accuracy_m=5.0, alarm=alarm)
    ctx.store.record_fixes([(guard.guard_id, fix, True)])


def test_ack_timeout_offers_the_next_nearest_guard(ctx, client, on_duty, clock, job):
    events = Events(ctx.store)
    iid = new_incident(client, on_duty.iloc[0])["incident_id"]
    first = client.get(f"/api/v1/incidents/{iid}/candidates?k=2").get_json()["candidates"]
    aid = assign(client, iid, first[0]["guard_id"]).get_json()["assignments"][0]["assignment_id"]
    clock.advance(59)
    assert job.tick()["assignment_timeout"] == []
    assert (
        client.get(f"/api/v1/incidents/{iid}").get_json()["assignments"][0]["ack_due_in_s"] == 1.0
    )
    clock.advance(2)
    out = job.tick()["assignment_timeout"]
    assert len(out) == 1 and out[0]["assignment_id"] == aid
    offer = out[0]["offer"]
    assert offer["guard_id"] == first[1]["guard_id"] and offer["after"] == aid

    body = client.get(f"/api/v1/incidents/{iid}").get_json()
    assert body["status"] == "open" and body["offer"]["guard_id"] == offer["guard_id"]
    assert body["assignments"][0]["status"] == "timed_out" and body["assignments"][0]["timed_out"]
    assert ctx.store.redis.hget(ctx.store.key("dispatched"), first[0]["guard_id"]) is None
    published = [e["type"] for e in events.types()]
    assert "assignment_timeout" in published and "incident_updated" in published
    # a second tick (or another process) does not time it out again
    clock.advance(1)
    assert job.tick()["assignment_timeout"] == []
    # the late acknowledgement is refused; sending the offered guard clears the offer
    assert move(client, aid, "acknowledged").status_code == 409
    assert assign(client, iid, offer["guard_id"]).status_code == 201
    assert client.get(f"/api/v1/incidents/{iid}").get_json()["offer"] is None


def test_unassigned_incident_is_announced_once(ctx, client, on_duty, clock, job):
    iid = new_incident(client, on_duty.iloc[0])["incident_id"]
    clock.advance(ctx.settings.UNASSIGNED_ALERT_S - 1)
    assert job.tick()["incident_unassigned"] == []
    clock.advance(2)
    out = job.tick()["incident_unassigned"]
    assert [e["incident_id"] for e in out] == [iid]
    assert out[0]["unassigned_for_s"] == ctx.settings.UNASSIGNED_ALERT_S + 1
    clock.advance(5)
    assert job.tick()["incident_unassigned"] == []
    listed = client.get("/api/v1/incidents?status=open").get_json()["incidents"]
    assert listed[0]["unassigned_for_s"] == ctx.settings.UNASSIGNED_ALERT_S + 6


def test_sos_becomes_an_incident_owned_by_the_first_to_acknowledge(
    ctx, client, on_duty, clock, job
):
    guard = on_duty.iloc[4]
    lon, lat = float(guard.post_lon) + 0.0002, float(guard.post_lat)
    fix_at(ctx, guard, lon, lat, clock.now, alarm="sos")
    assert client.get("/api/v1/alarms").get_json()["alarms"][0]["guard_id"] == guard.guard_id
    job.tick()
    sos = client.get("/api/v1/incidents?source=sos").get_json()["incidents"]
    assert len(sos) == 1
    inc = sos[0]
    assert (inc["priority"], inc["status"], inc["lon"], inc["lat"]) == (1, "open", lon, lat)
    assert inc["sos"]["guard_id"] == guard.guard_id and inc["sos"]["owner"] is None
    # the same alarm by its event, and more ticks: still one incident
    event = {"type": "alarm", "guard_id": guard.guard_id, "kind": "sos", "ts": clock.now,
             "lon": lon, "lat": lat}  # fmt: skip
    job.handle_event(Event.of(event))
    clock.advance(1)
    job.tick()
    with ctx.engine.connect() as conn:
        n = conn.execute(
            sa.select(sa.func.count()).select_from(incident_dispatch)
            .where(incident_dispatch.c.sos_guard_id == guard.guard_id)
        ).scalar_one()  # fmt: skip
    assert n == 1

    clock.advance(30)
    esc = job.tick()["sos_escalated"]
    assert [(e["incident_id"], e["level"]) for e in esc] == [(inc["incident_id"], 1)]
    body = client.get(f"/api/v1/incidents/{inc['incident_id']}").get_json()
    assert body["sos"]["escalated"] is True and body["sos"]["level"] == 1
    clock.advance(30)
    assert [e["level"] for e in job.tick()["sos_escalated"]] == [2]

    first = client.post(f"/api/v1/sos/{guard.guard_id}/ack", headers={"X-Actor": "李警官"})
    assert first.status_code == 200 and first.get_json()["sos"]["owner"] == "李警官"
    assert first.get_json()["sos"]["escalated"] is False
    second = client.post(f"/api/v1/sos/{guard.guard_id}/ack", headers={"X-Actor": "王警官"})
    assert second.status_code == 409
    err = second.get_json()["error"]
    assert err["code"] == "sos_owned" and err["owner"] == "李警官"
    assert client.post(f"/api/v1/sos/{guard.guard_id}/ack",
                       headers={"X-Actor": "李警官"}).status_code == 200  # fmt: skip
    clock.advance(60)
    assert job.tick()["sos_escalated"] == []
    # closing the SOS incident clears the guard's SOS flag
    client.post(f"/api/v1/incidents/{inc['incident_id']}/close", json={"note": "误触"})
    assert client.get("/api/v1/alarms").get_json() == {"alarms": []}
    assert client.post(f"/api/v1/sos/{guard.guard_id}/ack").status_code == 404
    actions = [e["action"] for e in client.get("/api/v1/audit").get_json()["entries"]]
    assert actions.count("sos.ack") == 1 and "incident.close" in actions


def test_arrival_is_detected_from_live_fixes(ctx, client, on_duty, clock, job):
    guard = on_duty.iloc[5]
    inc = new_incident(client, guard, dlat=0.002)  # about 220 m north of his post
    aid = assign(client, inc["incident_id"], guard.guard_id).get_json()
    aid = aid["assignments"][0]["assignment_id"]
    move(client, aid, "acknowledged")
    move(client, aid, "en_route")
    job.start()
    ctx.bus.start()
    try:
        assert ctx.bus.wait_connected(5), "the event bus never subscribed"

        def status() -> str:
            return client.get(f"/api/v1/incidents/{inc['incident_id']}").get_json()["assignments"][
                0
            ]

        # The dispatch handler was subscribed when the context was built, so when
        # this later handler sees the fix, the arrival check has already judged it.
        judged = threading.Event()
        ctx.bus.subscribe(lambda event: judged.set(), [EventType.FIXES], name="test: judged")
        clock.advance(60)
        fix_at(ctx, guard, inc["lon"], inc["lat"] - 45 / M_PER_DEG_LAT, clock.now)  # 45 m short
        assert judged.wait(5), "the fix never reached the bus"
        assert status()["status"] == "en_route"
        clock.advance(20)
        fix_at(ctx, guard, inc["lon"], inc["lat"] - 25 / M_PER_DEG_LAT, clock.now)  # 25 m
        deadline = time.monotonic() + 5
        while status()["status"] != "on_scene":
            assert time.monotonic() < deadline, "arrival not detected"
            time.sleep(0.05)
    finally:
        ctx.bus.stop()
        job.stop()
    a = status()
    assert a["arrival"] == "auto"
    body = client.get(f"/api/v1/incidents/{inc['incident_id']}").get_json()
    assert body["status"] == "on_scene" and body["first_on_scene_at"]
    arrived = [e for e in body["timeline"] if e["kind"] == "on_scene"][0]
    assert arrived["actor"] == "system" and 20 < arrived["detail"]["distance_m"] < 30


def test_work_survives_restarts_of_the_app_and_of_redis(
    settings, redis_handle, clean_engine, pilot, clock
):
    from shouwang.runtime.app import build_context, create_app

    def up():
        ctx = build_context(settings, clock=clock, redis_handle=redis_handle,
                            engine=clean_engine, dataset=pilot)  # fmt: skip
        return ctx, create_app(ctx).test_client()

    ctx, client = up()
    try:
        guards = ctx.dataset.guards.sort_values("guard_id").iloc[:3]
        for r in guards.itertuples():
            ctx.store.set_duty_override(r.guard_id, True)
            fix_at(ctx, r, r.post_lon, r.post_lat, clock.now)
        g = guards.iloc[0]
        iid = new_incident(client, g)["incident_id"]
        aid = assign(client, iid, g.guard_id).get_json()["assignments"][0]["assignment_id"]
        assert move(client, aid, "acknowledged").status_code == 200
    finally:
        ctx.close()
    ctx.store.wipe()  # Redis came back empty
    clock.advance(30)

    ctx, client = up()
    try:
        states = ctx.store.states().set_index("guard_id")
        assert states.loc[g.guard_id, "incident_id"] == iid  # the mark is back, from SQL
        listed = client.get("/api/v1/incidents?status=dispatched").get_json()["incidents"]
        assert [i["incident_id"] for i in listed] == [iid]
        assert listed[0]["assignments"][0]["status"] == "acknowledged"
        # nobody else can take him meanwhile
        other = new_incident(client, guards.iloc[1])["incident_id"]
        assert assign(client, other, g.guard_id).get_json()["error"]["code"] in (
            "guard_busy",
            "guard_unavailable",  # his duty override went with Redis
        )
        for to in ("en_route", "on_scene", "cleared"):
            clock.advance(10)
            assert move(client, aid, to).status_code == 200
        body = client.get(f"/api/v1/incidents/{iid}").get_json()
        assert body["status"] == "closed"
        assert [e["kind"] for e in body["timeline"]].count("status") == 3
        assert ctx.store.redis.hget(ctx.store.key("dispatched"), g.guard_id) is None
    finally:
        ctx.close()
        ctx.store.wipe()


def test_sql_backstop_when_redis_lost_a_mark(ctx, client, on_duty):
    """Redis forgot a mark (flushed while running): SQL's unique index still refuses."""
    g = on_duty.iloc[6]
    first = new_incident(client, g)["incident_id"]
    assert assign(client, first, g.guard_id).status_code == 201
    ctx.store.redis.hdel(ctx.store.key("dispatched"), g.guard_id)
    second = new_incident(client, g, dlat=0.0008)["incident_id"]
    resp = assign(client, second, g.guard_id)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "guard_busy"
    # and the mark was put back from SQL on the way
    assert ctx.store.redis.hget(ctx.store.key("dispatched"), g.guard_id) == first


def test_migration_0002_creates_exactly_the_dispatch_tables(engine):
    """Alembic finds nothing to change for the dispatch tables after migrating."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from shouwang import records
    from shouwang.records.dispatch_tables import (
        alarm_points,
        assignments,
        audit_log,
        incident_dispatch,
        incident_events,
    )

    mine = {t.name for t in (alarm_points, assignments, audit_log, incident_dispatch,
                             incident_events)}  # fmt: skip

    def table_of(diff) -> str | None:
        op = diff[0] if isinstance(diff, list) else diff
        if op[0] in ("add_table", "remove_table"):
            return op[1].name
        if op[0] in ("add_index", "remove_index", "add_constraint", "remove_constraint"):
            return op[1].table.name
        return op[2]  # add_column/remove_column/modify_*: (op, schema, table, ...)

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, records.metadata)
    assert [d for d in diffs if table_of(d) in mine] == []
    assert mine <= set(sa.inspect(engine).get_table_names())
