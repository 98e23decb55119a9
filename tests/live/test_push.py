"""The live push relay on real Redis, with a real Socket.IO test client.

Fixes go in through the HTTP ingest API, come out of the store's events
channel, and reach a Socket.IO client of namespace ``/live`` as batched
``guards`` messages; statuses are checked against ``LiveStore.states``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from dashboard.wall import figures
from live.push import NAMESPACE, STATUS_CODES, PushRelay
from live.state.events import Event
from live.state.store import RosterEntry
from shouwang.vocab import EventType


@pytest.fixture
def relay(app, ctx):
    return ctx.push


@pytest.fixture
def sio(app, ctx):
    """A Socket.IO test client connected to /live (it gets the snapshot first)."""
    client = ctx.socketio.test_client(app, namespace=NAMESPACE)
    assert client.is_connected(NAMESPACE)
    yield client
    client.disconnect(namespace=NAMESPACE)


@pytest.fixture
def guards(pilot):
    """Three pilot guards: (guard_id, device_id, post lon, post lat)."""
    g = pilot.guards.sort_values("guard_id").iloc[:3]
    return [
        (r.guard_id, str(r.device_id), float(r.post_lon), float(r.post_lat)) for r in g.itertuples()
    ]


def post_fix(client, device, lon, lat, ts, **extra):
    body = client.post(
        "/api/v1/positions",
        json=[{"device_id": device, "lon": lon, "lat": lat, "ts": ts, "accuracy_m": 5, **extra}],
    ).get_json()
    assert body["accepted"] == 1, body
    return body


def received(sio, name):
    return [m["args"][0] for m in sio.get_received(NAMESPACE) if m["name"] == name]


def subscribe(store):
    """A subscription to the store's events channel (what the relay's listener has)."""
    pubsub = store.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(store.events_channel)
    pubsub.get_message(timeout=1)  # the subscription's confirmation (not handed out)
    return pubsub


def pump(relay, pubsub):
    """Hand the relay every event published so far, as its listener thread does."""
    n = 0
    while (m := pubsub.get_message(timeout=0.3)) is not None:
        relay.handle_event(Event.from_json(m["data"]))
        n += 1
    return n


def as_dict(message):
    return {
        gid: (lon, lat, STATUS_CODES[st], age)
        for gid, lon, lat, st, age in zip(
            message["ids"],
            message["lon"],
            message["lat"],
            message["st"],
            message["age"],
            strict=True,
        )
    }


def test_status_codes_match_the_dashboard():
    assert STATUS_CODES == figures.STATUS_CODES
    assert set(figures.TRACE_STATUSES) == set(STATUS_CODES)


def test_a_new_client_gets_a_full_snapshot_matching_the_store(sio, ctx):
    (snapshot,) = received(sio, "snapshot")
    states = ctx.store.states()
    assert snapshot["full"] is True
    assert snapshot["ids"] == states["guard_id"].tolist()
    assert [STATUS_CODES[c] for c in snapshot["st"]] == states["status"].tolist()
    assert snapshot["name"] == states["name"].tolist()
    assert len(snapshot["lon"]) == len(states) == len(snapshot["age"])


def test_fixes_reach_the_client_as_one_batch_of_changed_guards_only(
    sio, relay, ctx, client, guards, clock
):
    received(sio, "snapshot")
    pubsub = subscribe(ctx.store)
    (g1, d1, lon1, lat1), (g2, d2, lon2, lat2), _ = guards
    for gid in (g1, g2):
        ctx.store.set_duty_override(gid, True)
    relay.states(max_age_s=0)  # read the duty change (no fix yet, so no event for it)
    relay.tick()
    sio.get_received(NAMESPACE)

    post_fix(client, d1, lon1, lat1, clock.now - 2)  # at his post
    post_fix(client, d2, lon2 + 0.002, lat2, clock.now - 1)  # ~185 m away: patrolling
    assert pump(relay, pubsub) >= 2
    sent = relay.tick()
    assert sent is not None
    (message,) = received(sio, "guards")
    got = as_dict(message)
    assert set(got) == {g1, g2}, "only the guards that moved"
    assert got[g1][:2] == pytest.approx((lon1, lat1), abs=1e-6)  # rounded to 0.1 m
    assert got[g1][2:] == ("on_post", 2)
    assert got[g2][2] == "patrolling" and got[g2][0] == pytest.approx(lon2 + 0.002, abs=1e-6)
    # Statuses computed for moved guards agree with the store's own.
    states = ctx.store.states().set_index("guard_id")
    assert got[g1][2] == states.loc[g1, "status"] and got[g2][2] == states.loc[g2, "status"]
    # Nothing new: nothing sent.
    assert relay.tick() is None
    assert received(sio, "guards") == []
    pubsub.close()


def test_status_changes_are_pushed_without_new_fixes(sio, relay, ctx, client, guards, clock):
    (g1, d1, lon1, lat1), _, _ = guards
    ctx.store.set_duty_override(g1, True)
    post_fix(client, d1, lon1, lat1, clock.now)
    relay.tick()
    sio.get_received(NAMESPACE)

    clock.advance(ctx.settings.SIGNAL_LOST_AFTER_S + 5)  # silent too long
    relay.tick(clock.now + relay.status_every_s)
    (message,) = received(sio, "guards")
    got = as_dict(message)
    assert got[g1][2] == "signal_lost"
    assert got[g1][3] == int(ctx.settings.SIGNAL_LOST_AFTER_S + 5 + relay.status_every_s)

    ctx.store.set_duty_override(g1, False)  # sent home: a duty event makes a check due
    relay.handle_event(Event(EventType.DUTY, {"on": [], "off": [g1]}))
    relay.tick()
    (message,) = received(sio, "guards")
    assert as_dict(message)[g1][2] == "off_duty"


def test_an_sos_is_pushed_with_the_open_alarm_list(sio, relay, ctx, client, guards, clock):
    (g1, d1, lon1, lat1), _, _ = guards
    relay.tick()
    sio.get_received(NAMESPACE)
    pubsub = subscribe(ctx.store)
    ctx.store.set_duty_override(g1, True)
    post_fix(client, d1, lon1, lat1, clock.now, alarm="sos")
    pump(relay, pubsub)
    relay.tick()
    messages = received(sio, "guards")
    assert messages and messages[-1]["sos"] == [g1]
    ctx.store.clear_sos(g1)
    relay.handle_event(Event("alarm_cleared"))  # unknown kinds make a check due too
    relay.tick()
    assert received(sio, "guards")[-1]["sos"] == []
    pubsub.close()


def test_a_roster_change_sends_everyone_a_new_snapshot(sio, relay, ctx):
    relay.tick()
    sio.get_received(NAMESPACE)
    extra = RosterEntry(
        guard_id="X0001",
        device_id="x-dev-1",
        name="测试",
        unit_id="U01",
        zone_id="C",
        shift="day",
        post_lon=118.37,
        post_lat=33.78,
    )
    from shouwang.runtime.app import roster_from

    ctx.store.load_roster([*roster_from(ctx.dataset), extra])
    relay.tick(ctx.store.clock() + relay.status_every_s)
    (snapshot,) = received(sio, "snapshot")
    assert "X0001" in snapshot["ids"] and len(snapshot["ids"]) == len(ctx.dataset.guards) + 1


def test_listener_thread_pushes_a_posted_fix_within_a_second(
    sio, relay, ctx, client, guards, clock
):
    (g1, d1, lon1, lat1), _, _ = guards
    relay.start()
    ctx.bus.start()  # the relay is one of its handlers
    try:
        assert ctx.bus.wait_connected(5)
        sio.get_received(NAMESPACE)
        posted = time.monotonic()
        post_fix(client, d1, lon1 + 0.0003, lat1, clock.now)
        while time.monotonic() - posted < 2.0:
            got = [as_dict(m) for m in received(sio, "guards")]
            hit = [m[g1] for m in got if g1 in m]
            if hit:
                break
            time.sleep(0.02)
        latency = time.monotonic() - posted
        assert hit, "the fix never reached the client"
        assert hit[0][0] == pytest.approx(lon1 + 0.0003, abs=1e-6)
        assert latency < relay.interval_s + 0.5
    finally:
        ctx.bus.stop()
        relay.stop()


def test_gcj02_drawing_moves_what_is_drawn_not_what_is_stored(app, ctx, client, guards, clock):
    from geo.crs import wgs84_to_gcj02

    (g1, d1, lon1, lat1), _, _ = guards
    post_fix(client, d1, lon1, lat1, clock.now)
    relay = PushRelay(ctx.store, ctx.socketio, drawn_crs="gcj02", namespace="/gcj")
    snap = relay.snapshot()
    i = snap["ids"].index(g1)
    want_lon, want_lat = wgs84_to_gcj02(lon1, lat1)
    assert (snap["lon"][i], snap["lat"][i]) == pytest.approx((want_lon[0], want_lat[0]), abs=1e-6)
    assert abs(snap["lon"][i] - lon1) > 1e-4  # GCJ-02 is offset by hundreds of metres here
    stored = ctx.store.states().set_index("guard_id").loc[g1]
    assert (stored["lon"], stored["lat"]) == pytest.approx((lon1, lat1))
    never = [j for j, a in enumerate(snap["age"]) if a is None]
    assert all(snap["lon"][j] is None for j in never)
    with pytest.raises(ValueError, match="drawn_crs"):
        PushRelay(ctx.store, ctx.socketio, drawn_crs="bd09")


def test_relay_states_are_the_stores(relay, ctx):
    states = relay.states()
    fresh = ctx.store.states()
    assert states["guard_id"].tolist() == fresh["guard_id"].tolist()
    assert np.array_equal(states["status"].to_numpy(), fresh["status"].to_numpy())
