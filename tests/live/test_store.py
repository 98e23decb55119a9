"""The live store on real Redis (embedded or server)."""

from __future__ import annotations

import json

import pytest

from live.fixes import Fix
from live.state.store import RosterEntry
from shouwang.vocab import GuardStatus

POST = (118.3800, 33.7800)


def entry(gid: str, device: str, shift: str = "day", **kw) -> RosterEntry:
    return RosterEntry(
        guard_id=gid,
        device_id=device,
        name=f"保安{gid}",
        unit_id="U01",
        zone_id="C",
        shift=shift,
        post_lon=POST[0],
        post_lat=POST[1],
        **kw,
    )


def fix(device: str, ts: float, lon: float = POST[0], lat: float = POST[1], **kw) -> Fix:
    return Fix(device_id=device, lat=lat, lon=lon, ts=ts, accuracy_m=8.0, battery_pct=77.0, **kw)


@pytest.fixture
def roster(store):
    store.load_roster([entry("G1", "d1"), entry("G2", "d2"), entry("G3", "d3", shift="night")])
    return store


def test_roster_maps_devices_to_guards(roster):
    assert roster.guards_for_devices(["d2", "nope", "d1"]) == ["G2", None, "G1"]
    assert sorted(roster.roster()) == ["G1", "G2", "G3"]


def test_status_follows_position_duty_and_age(roster, clock):
    clock.now = 1_763_712_000.0  # 2025-11-21 16:00 Asia/Shanghai: day shift on, night off
    roster.set_duty_override("G3", None)
    roster.record_fixes(
        [
            ("G1", fix("d1", clock.now), True),  # at the gate
            ("G2", fix("d2", clock.now, lon=POST[0] + 0.002), True),  # ~185 m away
            ("G3", fix("d3", clock.now), True),  # night shift
        ]
    )
    states = roster.states().set_index("guard_id")
    assert states.loc["G1", "status"] == GuardStatus.ON_POST
    assert states.loc["G2", "status"] == GuardStatus.PATROLLING
    assert states.loc["G3", "status"] == GuardStatus.OFF_DUTY
    assert states.loc["G1", "battery_pct"] == 77.0
    clock.advance(121)  # SIGNAL_LOST_AFTER_S default 120
    states = roster.states().set_index("guard_id")
    assert states.loc["G1", "status"] == GuardStatus.SIGNAL_LOST
    assert states.loc["G3", "status"] == GuardStatus.OFF_DUTY  # off duty is not "lost"


def test_on_duty_geo_set_and_override(roster, clock):
    clock.now = 1_763_712_000.0
    roster.record_fixes([("G1", fix("d1", clock.now), True), ("G3", fix("d3", clock.now), True)])
    near = roster.on_duty_within(POST[0], POST[1], 50)
    assert [gid for gid, _ in near] == ["G1"]  # G3 is off shift
    roster.set_duty_override("G3", True)
    assert sorted(g for g, _ in roster.on_duty_within(POST[0], POST[1], 50)) == ["G1", "G3"]
    roster.set_duty_override("G1", False)
    assert [g for g, _ in roster.on_duty_within(POST[0], POST[1], 50)] == ["G3"]
    assert roster.states().set_index("guard_id").loc["G1", "status"] == GuardStatus.OFF_DUTY


def test_late_fix_goes_to_history_not_live(roster, clock):
    roster.record_fixes([("G1", fix("d1", clock.now), True)])
    roster.record_fixes([("G1", fix("d1", clock.now - 60, lon=POST[0] + 0.01), False)])
    states = roster.states().set_index("guard_id")
    assert states.loc["G1", "lon"] == pytest.approx(POST[0])
    entries = roster.read_history("t", count=10, block_ms=None)
    assert [f["live"] for _, _, f in entries] == ["1", "0"]


def test_events_are_published(roster, clock):
    pubsub = roster.redis.pubsub()
    pubsub.subscribe(roster.events_channel)
    pubsub.get_message(timeout=1)  # subscribe confirmation
    roster.record_fixes([("G1", fix("d1", clock.now), True)])
    message = pubsub.get_message(timeout=2)
    pubsub.close()
    assert message is not None
    body = json.loads(message["data"])
    assert body["type"] == "fixes" and body["guards"][0]["guard_id"] == "G1"


def test_sos_flag_and_alarm_stream(roster, clock):
    roster.record_fixes([("G2", fix("d2", clock.now, alarm="sos"), True)])
    assert list(roster.open_sos()) == ["G2"]
    assert bool(roster.states().set_index("guard_id").loc["G2", "sos"])
    assert roster.redis.xlen(roster.alarms_stream) == 1
    assert roster.clear_sos("G2") and roster.open_sos() == {}


def test_rejection_counters(store):
    store.count_rejections({"too_fast": 2, "inaccurate": 1})
    store.count_rejections({"too_fast": 1})
    assert store.rejection_counts() == {"too_fast": 3, "inaccurate": 1}


def test_prefixes_isolate_stores(redis_handle, roster):
    from live.state.store import LiveStore

    other = LiveStore(redis_handle.client, prefix=roster.prefix + "other:")
    try:
        assert other.roster() == {}
        assert other.guards_for_devices(["d1"]) == [None]
    finally:
        other.wipe()
