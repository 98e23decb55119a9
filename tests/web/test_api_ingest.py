"""Ingest endpoints end to end: HTTP → decoders → filters → Redis → SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shouwang import records


@pytest.fixture
def guards(pilot):
    """Two real guards of the pilot: (guard_id, device_id, post lon, post lat)."""
    g = pilot.guards.sort_values("guard_id").iloc[:2]
    return [(r.guard_id, str(r.device_id), r.post_lon, r.post_lat) for r in g.itertuples()]


def guard_state(client, guard_id):
    body = client.get("/api/v1/guards").get_json()
    return next(f for f in body["features"] if f["id"] == guard_id)


def test_batch_of_ten_with_three_bad_stores_seven_and_names_three(client, ctx, guards, clock):
    (g1, d1, lon, lat), (g2, d2, lon2, lat2) = guards
    batch = []
    for i in range(10):
        device, x, y = (d1, lon, lat) if i % 2 == 0 else (d2, lon2, lat2)
        batch.append(
            {
                "device_id": device,
                "lat": y + i * 1e-5,
                "lon": x,
                "ts": clock.now - 60 + i,
                "accuracy_m": 6,
                "speed_mps": 0.5,
                "heading_deg": 90,
                "battery_pct": 80,
            }
        )
    batch[2]["lat"] = 95.0  # out of range
    batch[5] = {"lat": lat, "lon": lon}  # no device id, no time
    batch[8]["accuracy_m"] = 450  # worse than FILTER_MAX_ACCURACY_M
    resp = client.post("/api/v1/positions", json=batch)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["accepted"] == 7
    assert [r["index"] for r in body["rejected"]] == [2, 5, 8]
    fields = {r["index"]: {e["field"] for e in r["errors"]} for r in body["rejected"]}
    assert "lat" in fields[2] and "device_id" in fields[5] and "accuracy_m" in fields[8]
    ctx.history.drain_all()
    with ctx.engine.connect() as conn:
        stored = conn.execute(sa.select(records.positions.c.guard_id)).scalars().all()
    assert sorted(stored) == sorted([g1] * 3 + [g2] * 4)
    counts = ctx.store.rejection_counts()
    assert counts["invalid"] == 2 and counts["inaccurate"] == 1


def test_osmand_get_moves_the_guard(client, guards, clock):
    gid, device, _, _ = guards[0]
    now = int(clock.now)
    resp = client.get(
        f"/api/v1/ingest/osmand?id={device}&lat=33.781&lon=118.382"
        f"&timestamp={now}&speed=2.1&bearing=90&batt=80"
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    feature = guard_state(client, gid)
    assert feature["geometry"]["coordinates"] == [118.382, 33.781]
    props = feature["properties"]
    assert props["speed_mps"] == pytest.approx(2.1 * 0.514444, rel=1e-4)  # knots → m/s
    assert props["heading_deg"] == 90 and props["battery_pct"] == 80
    assert props["last_fix_at"] == datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_osmand_post_form_and_traccar_json(client, guards, clock):
    gid, device, _, _ = guards[0]
    resp = client.post(
        "/api/v1/ingest/osmand",
        data={
            "deviceid": device,
            "lat": "33.7811",
            "lon": "118.3811",
            "timestamp": str(int(clock.now) - 20),
        },
    )
    assert resp.status_code == 200
    iso = datetime.fromtimestamp(clock.now - 10, UTC).isoformat().replace("+00:00", "Z")
    body = {
        "device_id": device,
        "location": {
            "timestamp": iso,
            "coords": {
                "latitude": 33.7812,
                "longitude": 118.3812,
                "accuracy": 7,
                "speed": 1.2,
                "heading": 180,
                "altitude": 21,
            },
            "battery": {"level": 0.64, "is_charging": True},
            "extras": {},
        },
    }
    resp = client.post("/api/v1/ingest/osmand", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    props = guard_state(client, gid)["properties"]
    assert props["battery_pct"] == pytest.approx(64) and props["speed_mps"] == pytest.approx(1.2)


def test_osmand_sos_raises_an_alarm(client, ctx, guards, clock):
    gid, device, lon, lat = guards[1]
    resp = client.get(
        f"/api/v1/ingest/osmand?id={device}&lat={lat}&lon={lon}"
        f"&timestamp={int(clock.now)}&alarm=sos"
    )
    assert resp.status_code == 200
    assert [a["guard_id"] for a in client.get("/api/v1/alarms").get_json()["alarms"]] == [gid]
    assert guard_state(client, gid)["properties"]["sos"] is True
    ctx.history.drain_all()
    assert records.count_rows(ctx.engine, records.alarms) == 1


def test_unknown_device_is_refused_and_nothing_stored(client, ctx, clock):
    resp = client.get(
        f"/api/v1/ingest/osmand?id=no-such-phone&lat=33.78&lon=118.38&timestamp={int(clock.now)}"
    )
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "unknown_device"
    assert ctx.store.history_backlog() == 0


def test_osmand_with_several_bad_fields_reports_all(client, ctx, guards):
    _, device, _, _ = guards[0]
    resp = client.get(f"/api/v1/ingest/osmand?id={device}&lat=abc&lon=200&timestamp=yesterday")
    assert resp.status_code == 400
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert {"lat", "lon", "timestamp"} <= fields
    assert ctx.store.history_backlog() == 0


def test_owntracks_location_and_ignored_types(client, guards, clock):
    gid, device, _, _ = guards[0]
    msg = {
        "_type": "location",
        "tid": "g1",
        "tst": int(clock.now),
        "lat": 33.7821,
        "lon": 118.3821,
        "acc": 9,
        "vel": 18,
        "cog": 45,
        "batt": 55,
        "topic": f"owntracks/guard/{device}",
    }
    resp = client.post("/api/v1/ingest/owntracks", json=msg)
    assert resp.status_code == 200 and resp.get_json() == []
    props = guard_state(client, gid)["properties"]
    assert props["speed_mps"] == pytest.approx(5.0)  # 18 km/h
    resp = client.post("/api/v1/ingest/owntracks", json={"_type": "lwt", "tst": 1})
    assert resp.status_code == 200


def test_owntracks_device_from_http_headers(client, guards, clock):
    gid, device, _, _ = guards[1]
    msg = {"_type": "location", "tid": "zz", "tst": int(clock.now), "lat": 33.7831, "lon": 118.3831}
    resp = client.post(
        "/api/v1/ingest/owntracks", json=msg, headers={"X-Limit-U": "guard", "X-Limit-D": device}
    )
    assert resp.status_code == 200
    assert guard_state(client, gid)["geometry"]["coordinates"] == [118.3831, 33.7831]


def test_too_fast_fix_is_listed_not_stored_as_live(client, guards, clock):
    gid, device, lon, lat = guards[0]
    t0 = int(clock.now) - 30
    client.get(f"/api/v1/ingest/osmand?id={device}&lat={lat}&lon={lon}&timestamp={t0}")
    # 1 km in 10 s: 100 m/s
    resp = client.get(
        f"/api/v1/ingest/osmand?id={device}&lat={lat + 0.009}&lon={lon}&timestamp={t0 + 10}"
    )
    assert resp.status_code == 200
    assert resp.get_json()["rejected"][0]["index"] == 0
    assert guard_state(client, gid)["geometry"]["coordinates"] == [lon, lat]


def test_osmand_raw_body_without_form_content_type(client, guards, clock):
    gid, device, _, _ = guards[0]
    body = f"id={device}&lat=33.7815&lon=118.3815&timestamp={int(clock.now)}"
    resp = client.post("/api/v1/ingest/osmand", data=body, content_type="text/plain")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert guard_state(client, gid)["geometry"]["coordinates"] == [118.3815, 33.7815]


def test_traccar_json_with_a_list_of_locations_keeps_the_good_ones(client, guards, clock):
    gid, device, _, _ = guards[0]

    def loc(ts, lat):
        iso = datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
        return {"timestamp": iso, "coords": {"latitude": lat, "longitude": 118.3816}}

    body = {
        "device_id": device,
        "location": [
            loc(clock.now - 20, 33.7816),
            loc(clock.now - 10, 123),
            loc(clock.now - 5, 33.7817),
        ],
    }
    resp = client.post("/api/v1/ingest/osmand", json=body)
    assert resp.status_code == 200
    out = resp.get_json()
    assert out["accepted"] == 2 and [r["index"] for r in out["rejected"]] == [1]
    assert guard_state(client, gid)["geometry"]["coordinates"] == [118.3816, 33.7817]


def test_owntracks_empty_body_is_ignored(client):
    resp = client.post("/api/v1/ingest/owntracks", data=b"", content_type="application/json")
    assert resp.status_code == 200 and resp.get_json() == []
